//! One error type for the whole tool, the exit code each kind maps to, and the wording of every
//! error built from parts (unknown names, missing data, endpoint failures and their hints).
//!
//! Exit codes are part of the interface (documented in the README and `--help`), so they are
//! defined here once and nowhere else. Lower layers build errors as data; this file decides how
//! they read, so the network layer never names a CLI command itself.

use crate::text::{did_you_mean, shell_word};
use std::fmt;
use std::path::{Path, PathBuf};

/// Process exit codes. Stable: scripts depend on them.
pub mod exit {
    pub const OK: i32 = 0;
    /// I/O failure, refused overwrite, or anything not covered below.
    pub const FAILURE: i32 = 1;
    /// Bad command line (clap uses 2 as well).
    pub const USAGE: i32 = 2;
    /// The project file or a template is malformed or lacks data a section needs.
    pub const DATA: i32 = 3;
    /// The endpoint failed: unreachable, HTTP error, broken stream, timeout.
    pub const ENDPOINT: i32 = 4;
    /// Configuration or key problem: bad config file, unknown profile, keyring unavailable.
    pub const CONFIG: i32 = 5;
    /// The draft is incomplete: some sections have no stored answer yet.
    pub const INCOMPLETE: i32 = 6;
    /// `review --fail-under`: the plan's score is below the bar.
    pub const BELOW_BAR: i32 = 7;
    /// Interrupted by Ctrl-C (128 + SIGINT).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug)]
pub enum Error {
    /// Bad project data or template; the message is complete (may span lines).
    Data(String),
    /// Sections need project data the file lacks: every gap at once.
    MissingData {
        file: PathBuf,
        missing: Vec<MissingInput>,
    },
    /// A name that is not among the known ones (a section, a profile).
    Unknown(UnknownName),
    /// A language no catalog serves (`[project] language`, `--language`).
    UnknownLanguage {
        tag: String,
        /// Where it was written.
        origin: String,
        /// "de (German, Deutsch)", for every language this run can write.
        available: Vec<String>,
        /// The tag the input most likely meant ("German" → `de`).
        suggestion: Option<String>,
    },
    Endpoint(Box<EndpointError>),
    Config(String),
    /// The project file does not exist.
    ProjectNotFound(PathBuf),
    /// A request would carry person-level data the project keeps local (people = "local").
    PersonInRequest {
        section: String,
        /// The project field it comes from, when one holds it.
        field: Option<String>,
        /// What it is: "the name", "the title", "an e-mail address"…
        found: &'static str,
        /// Whose it is, when it is a stakeholder's.
        person: Option<String>,
        /// Found in the JSON schema (built from groups and roles), where a pseudonym would
        /// change the answer's keys: refused unless people are shared.
        in_schema: bool,
    },
    /// A section that plans for named stakeholders was asked for while it is held back.
    HeldBack {
        section: String,
        /// The project names no stakeholders (else: people are kept local).
        no_register: bool,
    },
    /// A profile that needs a key has none it may send.
    KeyNeeded {
        profile: String,
        /// The project file chose the profile, so the environment's key is not sent to it.
        chosen_by_project: bool,
        /// Where else a key can come from.
        env_var: &'static str,
    },
    Incomplete(String),
    Usage(String),
    /// plan-ai would overwrite something it must not (exit 1).
    Refused(String),
    Interrupted,
    Io {
        context: String,
        source: std::io::Error,
    },
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Data(_) | Error::MissingData { .. } | Error::UnknownLanguage { .. } => {
                exit::DATA
            }
            Error::Unknown(u) => match u.kind {
                NameKind::Section => exit::USAGE,
                NameKind::Profile | NameKind::Preset => exit::CONFIG,
            },
            Error::Endpoint(_) => exit::ENDPOINT,
            Error::Config(_) | Error::KeyNeeded { .. } => exit::CONFIG,
            Error::ProjectNotFound(_) | Error::PersonInRequest { .. } | Error::HeldBack { .. } => {
                exit::DATA
            }
            Error::Incomplete(_) => exit::INCOMPLETE,
            Error::Usage(_) => exit::USAGE,
            Error::Interrupted => exit::INTERRUPTED,
            Error::Io { .. } | Error::Refused(_) | Error::Other(_) => exit::FAILURE,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An I/O error about a file, worded the way people read it.
    pub fn file(action: &str, path: &Path, source: std::io::Error) -> Self {
        Error::io(format!("cannot {action} {}", path.display()), source)
    }

    /// The first line, for one-line progress displays.
    pub fn headline(&self) -> String {
        self.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(m)
            | Error::Config(m)
            | Error::Incomplete(m)
            | Error::Usage(m)
            | Error::Refused(m)
            | Error::Other(m) => f.write_str(m),
            Error::MissingData { file, missing } => write_missing(f, file, missing),
            Error::Unknown(u) => u.fmt(f),
            Error::UnknownLanguage {
                tag,
                origin,
                available,
                suggestion,
            } => {
                write!(f, "{origin} names language `{tag}`, which has no catalog")?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean `{s}`?")?;
                }
                write!(
                    f,
                    "\navailable languages: {}; add another with i18n/<tag>.toml in a prompts folder",
                    available.join(", ")
                )
            }
            Error::Endpoint(e) => e.fmt(f),
            Error::Interrupted => f.write_str("interrupted"),
            Error::PersonInRequest {
                section,
                field,
                found,
                person,
                in_schema,
            } => {
                write!(f, "the request for `{section}` would send {found}")?;
                if let Some(person) = person {
                    write!(f, " of stakeholder {person}")?;
                }
                if let Some(field) = field {
                    write!(f, ", from {field}")?;
                }
                f.write_str(if *in_schema {
                    ", in its JSON schema, where a pseudonym would change the answer's keys; names leave this machine only with people = \"shared\", so nothing was sent"
                } else {
                    "; person-level data stays on this machine (people = \"local\"), so nothing was sent"
                })
            }
            Error::HeldBack {
                section,
                no_register: false,
            } => write!(
                f,
                "`{section}` plans for named stakeholders, and people are kept on this machine (people = \"local\"), so it is not asked for"
            ),
            Error::HeldBack {
                section,
                no_register: true,
            } => write!(
                f,
                "`{section}` plans for named stakeholders, and the project names none: add [[stakeholders]] to the project file"
            ),
            Error::ProjectNotFound(path) => {
                write!(f, "project file {} not found", path.display())
            }
            Error::KeyNeeded {
                profile,
                chosen_by_project: false,
                env_var,
            } => write!(
                f,
                "profile `{profile}` needs an API key, and none is stored or set in {env_var}"
            ),
            Error::KeyNeeded {
                profile,
                chosen_by_project: true,
                env_var,
            } => write!(
                f,
                "profile `{profile}` (chosen by the project file) needs an API key, and none is stored for it; {env_var} is not sent to a profile the project file chose"
            ),
            Error::Io { context, source } => write!(f, "{context}: {}", describe_io(source)),
        }
    }
}

impl std::error::Error for Error {}

impl From<EndpointError> for Error {
    fn from(e: EndpointError) -> Self {
        Error::Endpoint(Box::new(e))
    }
}

/// `std::io::Error`'s Display adds "(os error 2)"; people need the words only.
fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a folder, not a file".into(),
        _ => strip_os_error(&e.to_string()),
    }
}

/// Drops the " (os error N)" tail std and hyper add to messages.
pub fn strip_os_error(s: &str) -> String {
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown names

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Section,
    Profile,
    Preset,
}

#[derive(Debug, Clone)]
pub struct UnknownName {
    pub kind: NameKind,
    pub name: String,
    pub known: Vec<String>,
    /// Where the name was written, when it came from a file (e.g. the config file).
    pub origin: Option<String>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, listing, see) = match self.kind {
            NameKind::Section => ("section", "sections", "plan-ai sections"),
            NameKind::Profile => ("profile or preset", "known", "plan-ai profiles"),
            NameKind::Preset => ("preset", "presets", "plan-ai profiles"),
        };
        if let Some(origin) = &self.origin {
            write!(f, "{origin} names ")?;
            write!(f, "{what} `{}`, which does not exist", self.name)?;
        } else {
            write!(f, "no {what} named `{}`", self.name)?;
        }
        if let Some(hint) = did_you_mean(&self.name, self.known.iter().map(String::as_str)) {
            write!(f, "; did you mean `{hint}`?")?;
        }
        write!(f, "\n{listing}: {} (see `{see}`)", self.known.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------
// Missing project data

/// A field sections need that the project lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingInput {
    /// Dotted path in the project file, e.g. `project.system` or `roles`.
    pub path: String,
    pub sections: Vec<String>,
}

fn write_missing(f: &mut fmt::Formatter<'_>, file: &Path, missing: &[MissingInput]) -> fmt::Result {
    let sections: std::collections::BTreeSet<&String> =
        missing.iter().flat_map(|m| &m.sections).collect();
    write!(
        f,
        "{} lacks data that {}:",
        file.display(),
        if sections.len() == 1 {
            "this section needs"
        } else {
            "these sections need"
        }
    )?;
    for m in missing {
        write!(
            f,
            "\n  - {:<26} needed by {}",
            m.path,
            m.sections.join(", ")
        )?;
        if let Some(example) = example_for(&m.path) {
            write!(f, "\n      e.g. {example}")?;
        }
    }
    Ok(())
}

fn example_for(path: &str) -> Option<&'static str> {
    Some(match path {
        "project.name" => "[project] name = \"Sales CRM rollout\"",
        "project.system" => "[project] system = \"Salesforce Sales Cloud\"",
        "project.department" => "[project] department = \"Sales Operations team\"",
        "project.company_type" => {
            "[project] company_type = \"a mid-sized industrial manufacturer\""
        }
        "project.description" => "[project] description = \"the move from spreadsheets to a CRM\"",
        "project.launch_date" => "[project] launch_date = 2027-03-01",
        "project.primary_purpose" => {
            "[project] primary_purpose = \"tracking every customer opportunity\""
        }
        "project.replaced_tools" => {
            "[project] replaced_tools = [\"Excel pipeline sheets\", \"Outlook folders\"]"
        }
        "roles" => "[[roles]] name = \"sales representatives\"",
        "groups" => "[[groups]] name = \"executives\"",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Endpoint failures

/// A request that failed for good: where, why, after how many attempts, and what to try.
#[derive(Debug, Clone)]
pub struct EndpointError {
    /// What was attempted, e.g. `POST http://host/v1/chat/completions`.
    pub action: String,
    /// What went wrong, already scrubbed of the key and of terminal escapes.
    pub reason: String,
    pub attempts: u32,
    /// Part of the answer had been shown when the stream broke, so it was not retried.
    pub after_partial_output: bool,
    pub hint: Option<Hint>,
    /// The server rejected the request's `response_format`: another way of asking may work.
    pub format_rejected: bool,
}

/// What to try next after an endpoint failure. Worded here, chosen by the network layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    /// 401/403: the key was refused; `env_var` is where else a key can come from.
    KeyRefused {
        profile: String,
        env_var: &'static str,
    },
    /// 404 that names the model.
    UnknownModel { profile: String, model: String },
    /// The prompt plus max_tokens exceed the context window.
    ContextLength,
    /// 404 otherwise: usually a base URL without `/v1`.
    CheckBaseUrl { base_url: String },
    /// Connection refused on this machine.
    StartLocalServer,
    /// A time limit fired; which one.
    Timeout(TimeLimit),
    /// A structured answer was cut off at a token limit the user chose.
    RaiseMaxTokens,
    /// A redirect, which an API endpoint has no business sending.
    Redirected { location: String },
    /// The server asks to wait longer than plan-ai waits; `None`: an absurd time.
    WaitTooLong { seconds: Option<u64>, max: u64 },
    /// Every request was refused with 429: a used-up quota, or a limit far below the pace.
    RateLimitedForGood { profile: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    Connect,
    Idle,
    Request,
}

impl TimeLimit {
    pub fn setting(self) -> &'static str {
        match self {
            TimeLimit::Connect => "connect_timeout",
            TimeLimit::Idle => "idle_timeout",
            TimeLimit::Request => "request_timeout",
        }
    }
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.action)?;
        if self.after_partial_output {
            f.write_str(" after part of the answer was shown")?;
        }
        write!(f, ": {}", self.reason)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::KeyRefused { profile, env_var } => {
                let p = shell_word(profile);
                write!(
                    f,
                    "the server refused the key. Check it with `plan-ai key status --profile {p}`, store a new one with `plan-ai key set --profile {p}`, or set {env_var}"
                )
            }
            Hint::UnknownModel { profile, model } => write!(
                f,
                "the server does not know model `{model}`; list its models with `plan-ai profiles test {}`",
                shell_word(profile)
            ),
            Hint::ContextLength => f.write_str(
                "the prompt plus max_tokens exceed the model's context window: lower max_tokens, shorten the project's context fields, or use a model (or server setting) with a larger context",
            ),
            Hint::CheckBaseUrl { base_url } => write!(
                f,
                "check the base URL {base_url}: most servers expect it to end in /v1"
            ),
            Hint::StartLocalServer => f.write_str(
                "is the local server running? For the bundled llama.cpp server: scripts/llm-server start",
            ),
            Hint::Timeout(limit) => match limit {
                TimeLimit::Connect => f.write_str(
                    "raise connect_timeout in the profile if the server is slow to accept connections",
                ),
                TimeLimit::Idle => f.write_str(
                    "raise idle_timeout in the profile if the server is just slow to send its first bytes",
                ),
                TimeLimit::Request => f.write_str(
                    "the whole request took longer than request_timeout allows; raise it in the profile for long answers",
                ),
            },
            Hint::RaiseMaxTokens => f.write_str(
                "raise max_tokens (--max-tokens, [endpoint] max_tokens in the project, or the profile), or use --prose",
            ),
            Hint::WaitTooLong { seconds, max } => match seconds {
                Some(s) => write!(
                    f,
                    "the server asks to wait {s} s before retrying, longer than plan-ai waits ({max} s); try again later"
                ),
                None => write!(
                    f,
                    "the server asks to wait an absurdly long time before retrying (plan-ai waits at most {max} s); try again later"
                ),
            },
            Hint::RateLimitedForGood { profile } => write!(
                f,
                "the provider's quota may be used up, or its limit is far below this run's pace: check the account, set rpm and tpm in profile `{profile}` (or --rpm, --tpm, --jobs), and run again; finished sections are kept"
            ),
            Hint::Redirected { location } => write!(
                f,
                "the server redirected the request to {location}; plan-ai does not follow redirects (the key and the prompt would go there too). Set base_url to the final address if you trust it"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_section_suggests_and_lists() {
        let e = Error::Unknown(UnknownName {
            kind: NameKind::Section,
            name: "resistence".into(),
            known: vec!["resistance".into(), "metrics".into()],
            origin: None,
        });
        assert_eq!(e.exit_code(), exit::USAGE);
        assert_eq!(
            e.to_string(),
            "no section named `resistence`; did you mean `resistance`?\nsections: resistance, metrics (see `plan-ai sections`)"
        );
    }

    #[test]
    fn unknown_profile_is_a_config_error_without_a_wild_guess() {
        let e = Error::Unknown(UnknownName {
            kind: NameKind::Profile,
            name: "zzz".into(),
            known: vec!["openai".into()],
            origin: None,
        });
        assert_eq!(e.exit_code(), exit::CONFIG);
        assert!(!e.to_string().contains("did you mean"));
    }

    #[test]
    fn endpoint_error_reads_as_one_story() {
        let e = Error::from(EndpointError {
            action: "POST http://x/v1/chat/completions".into(),
            reason: "HTTP 401 Unauthorized: bad key".into(),
            attempts: 1,
            after_partial_output: false,
            format_rejected: false,
            hint: Some(Hint::KeyRefused {
                profile: "my work".into(),
                env_var: "PLAN_AI_API_KEY",
            }),
        });
        let s = e.to_string();
        assert!(s.starts_with("POST http://x/v1/chat/completions failed: HTTP 401"));
        assert!(s.contains("`plan-ai key set --profile 'my work'`"), "{s}");
        assert_eq!(e.exit_code(), exit::ENDPOINT);
    }

    #[test]
    fn attempts_and_partial_output_are_said() {
        let e = EndpointError {
            action: "POST u".into(),
            reason: "cut".into(),
            attempts: 3,
            after_partial_output: true,
            hint: None,
            format_rejected: false,
        };
        assert_eq!(
            e.to_string(),
            "POST u failed after part of the answer was shown: cut (after 3 attempts)"
        );
    }

    #[test]
    fn missing_data_lists_each_field_with_an_example() {
        let e = Error::MissingData {
            file: "p.toml".into(),
            missing: vec![
                MissingInput {
                    path: "project.system".into(),
                    sections: vec!["resistance".into(), "metrics".into()],
                },
                MissingInput {
                    path: "custom.thing".into(),
                    sections: vec!["x".into()],
                },
            ],
        };
        let s = e.to_string();
        assert!(s.starts_with("p.toml lacks data that these sections need:"));
        assert!(s.contains("project.system             needed by resistance, metrics"));
        assert!(s.contains("e.g. [project] system = "));
        assert_eq!(e.exit_code(), exit::DATA);
    }

    #[test]
    fn io_errors_lose_the_os_error_number() {
        let e = Error::io(
            "cannot read x",
            std::io::Error::other("broken thing (os error 42)"),
        );
        assert_eq!(e.to_string(), "cannot read x: broken thing");
        assert_eq!(strip_os_error("plain"), "plain");
    }
}
