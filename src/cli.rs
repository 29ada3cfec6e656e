//! The command line: clap types only, no logic.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    I/O error, or refused to overwrite a file
  2    usage error (bad flags, unknown section)
  3    bad project data or template (syntax, unknown key, missing data), or a
       pasted or edited answer that does not fit its structure
  4    endpoint failed (unreachable, HTTP error, broken stream, timeout)
  5    configuration or key problem (config file, profile, keyring)
  6    draft incomplete: some sections have no answer yet
  7    review: the plan's score is below --fail-under
  130  interrupted (Ctrl-C); finished sections are kept";

#[derive(Parser, Debug)]
#[command(
    name = "plan-ai",
    version,
    about = "Plan the human side of an IT rollout: fill change-management prompts from a project file, \
             send them to any OpenAI-compatible endpoint, and assemble an implementation-plan draft.",
    after_help = EXIT_CODES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Project data file
    #[arg(
        short = 'p',
        long = "project",
        global = true,
        value_name = "FILE",
        default_value = "plan-ai.toml"
    )]
    pub project: PathBuf,
    /// Folder of prompt templates that override or add sections [default: prompts/ next to the project file]
    #[arg(long, global = true, value_name = "DIR")]
    pub prompts: Option<PathBuf>,
    /// What prompts may carry of the stakeholders: local (nothing: the default), pseudonymised (S01, S02…, names put back locally) or shared [default: the project's [privacy] people]
    #[arg(long, global = true, value_enum, value_name = "MODE")]
    pub people: Option<PeopleMode>,
    /// The same as --people shared
    #[arg(long, global = true, conflicts_with = "people")]
    pub share_people: bool,
    /// The plan's language, a BCP 47 tag: en, de, fr, es, nl, or one a catalog in a prompts folder adds [default: the project's [project] language, else en]
    #[arg(long, global = true, value_name = "TAG")]
    pub language: Option<String>,
    /// Endpoint profile from the config file, or a preset (openai, ollama, llamacpp, vllm, lmstudio, openrouter)
    #[arg(long, global = true, env = "PLAN_AI_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1
    #[arg(long, global = true, env = "PLAN_AI_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Model name to request
    #[arg(long, global = true, env = "PLAN_AI_MODEL", value_name = "NAME")]
    pub model: Option<String>,
    /// Print request details (never the key) to stderr
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only results, warnings and errors: no notes, progress or status lines
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// What prompts may carry of the stakeholders.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleMode {
    /// Nothing: names, titles and stances stay on this machine
    Local,
    /// The register as S01, S02…, with names, titles and contacts taken out of the notes
    Pseudonymised,
    /// As written
    Shared,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a commented starter project file
    Init {
        /// Where to write it
        #[arg(default_value = "plan-ai.toml")]
        file: PathBuf,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Validate the project file: syntax, keys, and the data every section needs
    Check,
    /// Print filled prompts, ready to paste into a chat tool (no key, no network)
    Prompt(PromptArgs),
    /// List sections with their title, source and the inputs they need
    Sections,
    /// Work with the built-in templates
    Templates {
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// Generate the resistance-planning section and stream it
    Resistance(Ask),
    /// Generate the communication matrix section and stream it
    #[command(visible_alias = "comms")]
    Communication(Ask),
    /// Generate the success-metrics section and stream it
    Metrics(Ask),
    /// Generate any section, including custom ones, and stream it
    Run {
        /// Section id
        section: String,
        #[command(flatten)]
        ask: Ask,
    },
    /// Generate every section concurrently and assemble the plan draft
    Draft(DraftArgs),
    /// Record an answer pasted from a chat tool as a section's result
    Paste {
        /// Section id
        section: String,
        /// File holding the answer, or - for standard input
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Re-assemble the draft from stored answers, without any request
    Render(RenderArgs),
    /// Check the stored plan against what change practitioners check, with a score (no request)
    Review(ReviewArgs),
    /// Revise a section with feedback: the model gets its prompt, its current answer and FEEDBACK; the result becomes a new version
    Revise(ReviseArgs),
    /// List a section's versions: number, time, how it was made, model, tokens, feedback
    History {
        /// Section id
        section: String,
        /// Print a JSON array of versions
        #[arg(long)]
        json: bool,
    },
    /// Compare two versions of a section [default: the one before the version in use, and the one in use]
    Diff {
        /// Section id
        section: String,
        /// The older version [default: the one before B]
        a: Option<u32>,
        /// The newer version [default: the one in use]
        b: Option<u32>,
        /// Print the changes as JSON
        #[arg(long)]
        json: bool,
    },
    /// Make version N of a section current again, recorded as a new version (nothing is deleted)
    Use {
        /// Section id
        section: String,
        /// The version to use (see `plan-ai history SECTION`)
        version: u32,
    },
    /// Edit a section's answer in $VISUAL or $EDITOR; the saved edit, checked, becomes a new version
    Edit {
        /// Section id
        section: String,
    },
    /// List endpoint profiles, or test one
    Profiles {
        #[command(subcommand)]
        action: Option<ProfilesAction>,
    },
    /// Store, inspect or delete a profile's API key in the OS keyring
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Draft, track and collect plans for many projects at once (a PMO's portfolio)
    Portfolio {
        #[command(subcommand)]
        action: PortfolioAction,
    },
    /// The project's Batch API job
    Batch {
        #[command(subcommand)]
        action: BatchAction,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output
    Man,
}

#[derive(Args, Debug, Clone)]
pub struct ReviewArgs {
    /// Print {"score": N, "findings": [...]} for scripts
    #[arg(long)]
    pub json: bool,
    /// Exit 7 when the score is below SCORE (0 to 100)
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fail_under: Option<u8>,
}

#[derive(Args, Debug, Clone)]
pub struct PromptArgs {
    /// Sections to print (see `plan-ai sections`)
    #[arg(value_name = "SECTION", required_unless_present = "all")]
    pub sections: Vec<String>,
    /// Print every section
    #[arg(long, conflicts_with = "sections")]
    pub all: bool,
    /// Print a JSON array: section, title, the messages and response_format as they would be sent
    #[arg(long)]
    pub json: bool,
    /// Add the JSON instruction and schema, for a chat tool to answer in JSON (`plan-ai paste` takes it back)
    #[arg(long)]
    pub structured: bool,
    /// Print the follow-up prompt that asks a chat tool to revise the section's current answer with FEEDBACK; `plan-ai paste SECTION` records its answer as a revised version
    #[arg(long, value_name = "FEEDBACK", conflicts_with_all = ["all", "json"])]
    pub revise: Option<String>,
}

/// `revise`: a section, what to change, and how to ask.
#[derive(Args, Debug, Clone)]
pub struct ReviseArgs {
    /// Section id
    pub section: String,
    /// What to change, in words (- reads it from standard input)
    #[arg(
        value_name = "FEEDBACK",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub feedback: Option<String>,
    /// Read the feedback from FILE (- for standard input)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Revise one item only, keeping the others exactly: a communication group's name, or a resistance point's or metric's number as the plan shows it
    #[arg(long, value_name = "ITEM")]
    pub only: Option<String>,
    /// Print {"section", "version", "how", "answer", "changes"} for scripts: the new version's checked JSON (prose as a string), pseudonyms as stored
    #[arg(long)]
    pub json: bool,
    /// Wait for the whole answer instead of streaming it
    #[arg(long)]
    pub no_stream: bool,
    #[command(flatten)]
    pub tuning: Tuning,
}

#[derive(Subcommand, Debug)]
pub enum TemplatesAction {
    /// Write the built-in templates to DIR for editing
    Export {
        dir: PathBuf,
        /// Overwrite existing files
        #[arg(long)]
        force: bool,
    },
}

/// Options for a single-section request.
#[derive(Args, Debug, Clone, Default)]
pub struct Ask {
    /// Wait for the whole answer instead of streaming it
    #[arg(long)]
    pub no_stream: bool,
    /// Also write the answer to FILE (atomically: no partial file on failure)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the validated JSON of a structured section instead of its tables
    #[arg(long, conflicts_with = "prose")]
    pub json: bool,
    #[command(flatten)]
    pub tuning: Tuning,
}

/// Per-run overrides of the profile's request settings.
#[derive(Args, Debug, Clone, Default)]
pub struct Tuning {
    /// Ask for prose, not structured JSON (the built-in sections then are not tables)
    #[arg(long)]
    pub prose: bool,
    /// Sampling temperature
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Maximum tokens in the answer
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,
    /// The provider's limit of requests per minute: requests are paced to it
    #[arg(long, value_name = "N")]
    pub rpm: Option<u32>,
    /// The provider's limit of tokens per minute (prompt plus max_tokens, estimated)
    #[arg(long, value_name = "N")]
    pub tpm: Option<u32>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct RenderArgs {
    /// Where to write the plan; its extension picks the format (.md, .docx, .xlsx, .html) [default: plan.md next to the project file]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write these formats, next to each other (md, docx, xlsx, html, csv: a folder of one CSV per table) [default: [output] formats, else md]
    #[arg(long, value_delimiter = ',', value_name = "F,G")]
    pub format: Vec<String>,
    /// A Word file whose styles, theme, page setup, header and footer the .docx takes (as pandoc's --reference-doc)
    #[arg(long, value_name = "FILE.docx")]
    pub reference_doc: Option<PathBuf>,
    /// Write the draft even if some sections have no answer (they are marked as missing)
    #[arg(long)]
    pub allow_partial: bool,
    /// Overwrite a draft that was edited since plan-ai wrote it
    #[arg(long)]
    pub force: bool,
    /// Put the named parts (register, grid, named stances, champions, engagement plan) in a confidential annex, NAME.confidential.EXT next to each NAME.EXT [default: [output] confidential_annex]
    #[arg(long)]
    pub annex: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DraftArgs {
    /// Only these sections (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub sections: Vec<String>,
    /// Requests in flight at once [default: all sections, at most 8]
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Request a new answer for this section even if a stored one is current (repeatable)
    #[arg(long, value_name = "SECTION")]
    pub regenerate: Vec<String>,
    /// Request new answers for every section
    #[arg(long)]
    pub fresh: bool,
    /// Never touch the network: assemble from stored (or pasted) answers only
    #[arg(long, conflicts_with_all = ["fresh", "regenerate"])]
    pub offline: bool,
    /// Submit the sections to the provider's Batch API (half price, results within 24 h) and return; `plan-ai portfolio collect FILE` (or a later `draft`) fetches them
    #[arg(long, conflicts_with = "offline")]
    pub batch: bool,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub tuning: Tuning,
}

#[derive(Subcommand, Debug)]
pub enum PortfolioAction {
    /// Draft every project's plan: one process, one limit on requests in flight, paced under
    /// the provider's rate limits (or submitted to its Batch API with --batch)
    Draft(PortfolioDraftArgs),
    /// Where each project stands, without a request: sections done, stale, missing, failed
    Status(PortfolioStatusArgs),
    /// Fetch the results of Batch API jobs submitted with `portfolio draft --batch`
    Collect(PortfolioPaths),
    /// Which stakeholder groups are hit by too many rollouts at once: change load per group and
    /// period, without a request
    Load(PortfolioLoadArgs),
}

#[derive(Args, Debug, Clone)]
pub struct PortfolioLoadArgs {
    #[command(flatten)]
    pub paths: PortfolioPaths,
    /// The periods: ISO weeks or calendar months
    #[arg(long, value_enum, default_value_t = LoadPeriod::Week)]
    pub by: LoadPeriod,
    /// From this week, month or date (2027-W05, 2027-03, 2027-03-01) [default: the earliest window]
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// To this week, month or date [default: the latest window]
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// How to print it
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    /// Weights, thresholds and group aliases [default: portfolio.toml in the first folder named]
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadPeriod {
    /// ISO weeks (2027-W10)
    Week,
    /// Calendar months (2027-03)
    Month,
}

#[derive(Args, Debug, Clone)]
pub struct PortfolioPaths {
    /// Project files, or folders of them (every *.toml with a [project] table)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Look for project files in subfolders too
    #[arg(short, long)]
    pub recursive: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PortfolioDraftArgs {
    #[command(flatten)]
    pub paths: PortfolioPaths,
    /// Requests in flight at once, across all projects [default: 2 for a server on this machine, 8 otherwise]
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Request new answers for every section
    #[arg(long)]
    pub fresh: bool,
    /// Submit the requests to the provider's Batch API (half price, results within 24 h) and return; `portfolio collect` fetches them
    #[arg(long)]
    pub batch: bool,
    /// Write each project's plan even if some sections have no answer (they are marked as missing)
    #[arg(long)]
    pub allow_partial: bool,
    /// Overwrite plans that were edited since plan-ai wrote them
    #[arg(long)]
    pub force: bool,
    /// Formats of each project's plan (md, docx, xlsx, html, csv) [default: each project's [output] formats, else md]
    #[arg(long, value_delimiter = ',', value_name = "F,G")]
    pub format: Vec<String>,
    /// Put each plan's named parts in a confidential annex next to it [default: each project's [output] confidential_annex]
    #[arg(long)]
    pub annex: bool,
    #[command(flatten)]
    pub tuning: Tuning,
}

#[derive(Args, Debug, Clone)]
pub struct PortfolioStatusArgs {
    #[command(flatten)]
    pub paths: PortfolioPaths,
    /// How to print it
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    /// Print JSON (the same as --format json)
    #[arg(long, conflicts_with_all = ["format", "csv"])]
    pub json: bool,
    /// Print CSV (the same as --format csv)
    #[arg(long, conflicts_with = "format", hide = true)]
    pub csv: bool,
}

impl PortfolioStatusArgs {
    /// `--format`, or the older `--json`/`--csv` spelling of it.
    pub fn format(&self) -> TableFormat {
        match (self.json, self.csv) {
            (true, _) => TableFormat::Json,
            (_, true) => TableFormat::Csv,
            _ => self.format,
        }
    }
}

/// How a table goes to stdout.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Aligned columns for people
    Table,
    /// A JSON array, for scripts
    Json,
    /// CSV with a header row (RFC 4180)
    Csv,
}

#[derive(Subcommand, Debug)]
pub enum BatchAction {
    /// Stop waiting for the project's batch: its sections are requested by the next draft (what the batch brings back later is not collected)
    Forget,
}

#[derive(Subcommand, Debug)]
pub enum ProfilesAction {
    /// List profiles and presets (the default)
    List,
    /// Check a profile: list models, send a one-token request, report latency and support
    Test {
        /// Profile name [default: the active profile]
        name: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyAction {
    /// Store a key: read from standard input, or asked for (hidden) on a terminal
    Set,
    /// Say where the key would come from (environment, keyring, none); never prints it
    Status,
    /// Delete the stored key
    Delete,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn status_formats_and_their_older_spellings() {
        let format = |args: &[&str]| {
            let mut argv = vec!["plan-ai", "portfolio", "status", "p"];
            argv.extend(args);
            match Cli::try_parse_from(argv).map(|c| c.command) {
                Ok(Command::Portfolio {
                    action: PortfolioAction::Status(s),
                }) => Ok(s.format()),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e.kind()),
            }
        };
        assert_eq!(format(&[]), Ok(TableFormat::Table));
        assert_eq!(format(&["--json"]), Ok(TableFormat::Json));
        assert_eq!(format(&["--csv"]), Ok(TableFormat::Csv));
        assert_eq!(format(&["--format", "csv"]), Ok(TableFormat::Csv));
        assert!(format(&["--json", "--format", "csv"]).is_err());
        assert!(format(&["--format", "xml"]).is_err());
    }
}
