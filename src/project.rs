//! The project data file: reading it, validating it against a schema, and the typed result.
//!
//! Validation walks the span-carrying TOML tree first, so that *every* unknown key, wrong type
//! and bad value is reported at once with its line and column, instead of serde's first error
//! only. Only a file that passes is deserialized into [`Project`].

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// A project file is a few KB; anything past this is a wrong file, not a big project.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

pub const LEVELS: &[&str] = &["high", "medium", "low"];
pub const STANCES: &[&str] = &[
    "unknown",
    "unaware",
    "resistant",
    "neutral",
    "supportive",
    "leading",
];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Project {
    #[serde(default)]
    pub project: Info,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub stakeholders: Vec<Stakeholder>,
    #[serde(default)]
    pub champions: Vec<Champion>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub feedback: Feedback,
    #[serde(default)]
    pub operations: Operations,
    #[serde(default)]
    pub endpoint: EndpointPrefs,
    #[serde(default)]
    pub privacy: Privacy,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Info {
    pub name: Option<String>,
    pub system: Option<String>,
    pub department: Option<String>,
    pub company_type: Option<String>,
    pub description: Option<String>,
    pub launch_date: Option<toml::value::Datetime>,
    pub primary_purpose: Option<String>,
    #[serde(default)]
    pub replaced_tools: Vec<String>,
    #[serde(default)]
    pub workarounds: Vec<String>,
    pub sponsor: Option<String>,
    pub owner: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub headcount: Option<u32>,
    pub what_changes: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub size: Option<u32>,
    pub concerns: Option<String>,
    #[serde(default)]
    pub preferred_channels: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stakeholder {
    pub name: String,
    pub title: String,
    pub group: String,
    pub influence: String,
    pub interest: String,
    pub stance: String,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Champion {
    pub name: String,
    pub group: Option<String>,
    pub why: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Milestone {
    pub name: String,
    pub date: Option<toml::value::Datetime>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Feedback {
    #[serde(default)]
    pub channels: Vec<String>,
    pub cadence: Option<String>,
    pub anonymous_channel: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Operations {
    #[serde(default)]
    pub processes_to_change: Vec<String>,
    #[serde(default)]
    pub reports_retired: Vec<String>,
    #[serde(default)]
    pub new_workflows: Vec<String>,
}

/// Endpoint preferences a project may carry. Deliberately no `base_url`: a project file is
/// shared between people, and must not be able to redirect someone's key to another host.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EndpointPrefs {
    pub profile: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Privacy {
    /// Opt-in: let prompts see person-level data (stakeholders, champions).
    #[serde(default)]
    pub share_people: bool,
}

/// A loaded, schema-valid project and what was noticed about it.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub project: Project,
    pub warnings: Vec<String>,
}

impl Loaded {
    /// The folder the project file lives in: home of its `prompts/`, `.plan-ai/` and `plan.md`.
    pub fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Schema

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Count,
    Float,
    Bool,
    Date,
    StrList,
    OneOf(&'static [&'static str]),
    Table(&'static [Field]),
    Tables(&'static [Field]),
}

struct Field {
    key: &'static str,
    kind: Kind,
    /// Required inside its table entry (e.g. a role's `name`). Section-level needs are decided by
    /// the templates' declared inputs, not here.
    required: bool,
}

const fn f(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: false,
    }
}
const fn req(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: true,
    }
}

const INFO: &[Field] = &[
    f("name", Kind::Str),
    f("system", Kind::Str),
    f("department", Kind::Str),
    f("company_type", Kind::Str),
    f("description", Kind::Str),
    f("launch_date", Kind::Date),
    f("primary_purpose", Kind::Str),
    f("replaced_tools", Kind::StrList),
    f("workarounds", Kind::StrList),
    f("sponsor", Kind::Str),
    f("owner", Kind::Str),
    f("version", Kind::Str),
];
const ROLE: &[Field] = &[
    req("name", Kind::Str),
    f("headcount", Kind::Count),
    f("what_changes", Kind::Str),
];
const GROUP: &[Field] = &[
    req("name", Kind::Str),
    f("size", Kind::Count),
    f("concerns", Kind::Str),
    f("preferred_channels", Kind::StrList),
];
const STAKEHOLDER: &[Field] = &[
    req("name", Kind::Str),
    req("title", Kind::Str),
    req("group", Kind::Str),
    req("influence", Kind::OneOf(LEVELS)),
    req("interest", Kind::OneOf(LEVELS)),
    req("stance", Kind::OneOf(STANCES)),
    f("notes", Kind::Str),
];
const CHAMPION: &[Field] = &[
    req("name", Kind::Str),
    f("group", Kind::Str),
    f("why", Kind::Str),
];
const MILESTONE: &[Field] = &[req("name", Kind::Str), f("date", Kind::Date)];
const FEEDBACK: &[Field] = &[
    f("channels", Kind::StrList),
    f("cadence", Kind::Str),
    f("anonymous_channel", Kind::Str),
];
const OPERATIONS: &[Field] = &[
    f("processes_to_change", Kind::StrList),
    f("reports_retired", Kind::StrList),
    f("new_workflows", Kind::StrList),
];
const ENDPOINT: &[Field] = &[
    f("profile", Kind::Str),
    f("model", Kind::Str),
    f("temperature", Kind::Float),
    f("max_tokens", Kind::Count),
];
const PRIVACY: &[Field] = &[f("share_people", Kind::Bool)];
const ROOT: &[Field] = &[
    f("project", Kind::Table(INFO)),
    f("roles", Kind::Tables(ROLE)),
    f("groups", Kind::Tables(GROUP)),
    f("stakeholders", Kind::Tables(STAKEHOLDER)),
    f("champions", Kind::Tables(CHAMPION)),
    f("milestones", Kind::Tables(MILESTONE)),
    f("feedback", Kind::Table(FEEDBACK)),
    f("operations", Kind::Table(OPERATIONS)),
    f("endpoint", Kind::Table(ENDPOINT)),
    f("privacy", Kind::Table(PRIVACY)),
];

// ---------------------------------------------------------------------------------------------
// Loading

/// A problem found in the file, with the byte range it is about.
struct Problem {
    span: Range<usize>,
    message: String,
}

pub fn load(path: &Path) -> Result<Loaded> {
    let text = read_text(path)?;
    let problems = match DeTable::parse(&text) {
        Ok(root) => {
            let mut problems = Vec::new();
            check_table(root.get_ref(), root.span(), ROOT, "", &mut problems);
            problems
        }
        Err(e) => vec![Problem {
            span: e.span().unwrap_or(0..0),
            message: format!("invalid TOML: {}", e.message().trim_end()),
        }],
    };
    if !problems.is_empty() {
        return Err(Error::Data(describe_problems(path, &text, &problems)));
    }
    // The walk above accepted every key and type, so serde cannot fail here; if it ever does,
    // its own located message is still the right thing to show.
    let project: Project =
        toml::from_str(&text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
    let project = normalize(project);
    let warnings = weak_spots(&project);
    Ok(Loaded {
        path: path.to_path_buf(),
        project,
        warnings,
    })
}

fn read_text(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Data(format!(
                "project file {} not found.\nCreate one with `plan-ai init`, or point at one with `-p FILE` (examples are in examples/).",
                path.display()
            ))
        } else {
            Error::file("read project file", path, e)
        }
    })?;
    if meta.is_dir() {
        return Err(Error::Data(format!(
            "{} is a folder; give the project file itself, e.g. -p {}",
            path.display(),
            path.join("plan-ai.toml").display()
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::Data(format!(
            "{} is {} bytes; a project file is a few kilobytes (limit {} bytes). Is this the right file?",
            path.display(),
            meta.len(),
            MAX_FILE_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::file("read project file", path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let (line, col) = line_col(&String::from_utf8_lossy(&e.as_bytes()[..good]), good);
        Error::Data(format!(
            "{}:{line}:{col}: the file is not valid UTF-8 (byte {good}); save it as UTF-8",
            path.display()
        ))
    })
}

fn check_table(
    table: &DeTable<'_>,
    table_span: Range<usize>,
    fields: &[Field],
    prefix: &str,
    problems: &mut Vec<Problem>,
) {
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        let path = join(prefix, name);
        match fields.iter().find(|f| f.key == name) {
            Some(field) => check_value(value.get_ref(), value.span(), field.kind, &path, problems),
            None => {
                let mut message = format!("unknown key `{path}`");
                if let Some(hint) = did_you_mean(name, fields.iter().map(|f| f.key)) {
                    let _ = write!(message, "; did you mean `{}`?", join(prefix, hint));
                } else {
                    let known: Vec<_> = fields.iter().map(|f| f.key).collect();
                    let _ = write!(message, " (known keys here: {})", known.join(", "));
                }
                problems.push(Problem {
                    span: key.span(),
                    message,
                });
            }
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        let present = table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == field.key);
        if present.is_none() {
            problems.push(Problem {
                span: table_span.start..table_span.start,
                message: format!("`{}` is required here", join(prefix, field.key)),
            });
        }
    }
}

fn check_value(
    value: &DeValue<'_>,
    span: Range<usize>,
    kind: Kind,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let mut wrong = |expected: &str| {
        let mut message = format!("`{path}` must be {expected}, not {}", describe(value));
        if matches!(kind, Kind::Date) && value.is_str() {
            message.push_str(" (write the date without quotes: launch_date = 2027-03-01)");
        }
        problems.push(Problem {
            span: span.clone(),
            message,
        });
    };
    match kind {
        Kind::Str => {
            if !value.is_str() {
                wrong("a string");
            }
        }
        Kind::Count => match value.as_integer().map(|i| i.as_str().parse::<i64>()) {
            Some(Ok(n)) if (0..=u32::MAX as i64).contains(&n) => {}
            Some(_) => wrong("a whole number from 0 up"),
            None => wrong("a whole number"),
        },
        Kind::Float => {
            if !(value.is_float() || value.is_integer()) {
                wrong("a number");
            }
        }
        Kind::Bool => {
            if !value.is_bool() {
                wrong("true or false");
            }
        }
        Kind::Date => match value.as_datetime() {
            Some(d) if d.date.is_some() && d.time.is_none() => {}
            Some(_) => wrong("a date without a time (e.g. 2027-03-01)"),
            None => wrong("a date (e.g. 2027-03-01)"),
        },
        Kind::StrList => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.get_ref().is_str() {
                        problems.push(Problem {
                            span: item.span(),
                            message: format!(
                                "`{path}[{i}]` must be a string, not {}",
                                describe(item.get_ref())
                            ),
                        });
                    }
                }
            }
            None if value.is_str() => wrong("a list of strings, e.g. [\"Excel\"]"),
            None => wrong("a list of strings"),
        },
        Kind::OneOf(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => {}
            Some(s) => {
                let mut message = format!(
                    "`{path}` is \"{s}\"; expected one of: {}",
                    allowed.join(", ")
                );
                if let Some(hint) = did_you_mean(&s.to_lowercase(), allowed.iter().copied()) {
                    let _ = write!(message, " (did you mean \"{hint}\"?)");
                }
                problems.push(Problem { span, message });
            }
            None => wrong(&format!("one of {}", allowed.join(", "))),
        },
        Kind::Table(fields) => match value.as_table() {
            Some(t) => check_table(t, span, fields, path, problems),
            None => wrong("a table"),
        },
        Kind::Tables(fields) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    match item.get_ref().as_table() {
                        Some(t) => check_table(t, item.span(), fields, &item_path, problems),
                        None => problems.push(Problem {
                            span: item.span(),
                            message: format!("`{item_path}` must be a table ([[{path}]])"),
                        }),
                    }
                }
            }
            None => wrong(&format!("a list of tables, written [[{path}]]")),
        },
    }
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date/time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The closest known name, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(input: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (strsim::jaro_winkler(input, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn describe_problems(path: &Path, text: &str, problems: &[Problem]) -> String {
    let mut sorted: Vec<&Problem> = problems.iter().collect();
    sorted.sort_by_key(|p| p.span.start);
    let mut out = format!(
        "{} has {} problem{}:",
        path.display(),
        sorted.len(),
        if sorted.len() == 1 { "" } else { "s" }
    );
    for p in sorted {
        let (line, col) = line_col(text, p.span.start);
        let _ = write!(out, "\n  {}:{line}:{col}: {}", path.display(), p.message);
        if let Some(source_line) = text.lines().nth(line - 1) {
            let shown: String = source_line.chars().take(120).collect();
            let _ = write!(
                out,
                "\n      | {shown}\n      | {}^",
                " ".repeat(col.saturating_sub(1).min(120))
            );
        }
    }
    out
}

/// Trims every string, so "  " counts as empty and stray spaces never reach a prompt.
fn normalize(mut p: Project) -> Project {
    fn opt(s: &mut Option<String>) {
        if let Some(v) = s {
            let t = v.trim();
            *s = if t.is_empty() {
                None
            } else {
                Some(t.to_string())
            };
        }
    }
    fn list(v: &mut Vec<String>) {
        v.iter_mut().for_each(|s| *s = s.trim().to_string());
        v.retain(|s| !s.is_empty());
    }
    fn s(v: &mut String) {
        *v = v.trim().to_string();
    }
    let i = &mut p.project;
    for o in [
        &mut i.name,
        &mut i.system,
        &mut i.department,
        &mut i.company_type,
        &mut i.description,
        &mut i.primary_purpose,
        &mut i.sponsor,
        &mut i.owner,
        &mut i.version,
    ] {
        opt(o);
    }
    list(&mut i.replaced_tools);
    list(&mut i.workarounds);
    for r in &mut p.roles {
        s(&mut r.name);
        opt(&mut r.what_changes);
    }
    for g in &mut p.groups {
        s(&mut g.name);
        opt(&mut g.concerns);
        list(&mut g.preferred_channels);
    }
    for st in &mut p.stakeholders {
        for v in [&mut st.name, &mut st.title, &mut st.group] {
            s(v);
        }
        opt(&mut st.notes);
    }
    for c in &mut p.champions {
        s(&mut c.name);
        opt(&mut c.group);
        opt(&mut c.why);
    }
    for m in &mut p.milestones {
        s(&mut m.name);
    }
    list(&mut p.feedback.channels);
    opt(&mut p.feedback.cadence);
    opt(&mut p.feedback.anonymous_channel);
    list(&mut p.operations.processes_to_change);
    list(&mut p.operations.reports_retired);
    list(&mut p.operations.new_workflows);
    opt(&mut p.endpoint.profile);
    opt(&mut p.endpoint.model);
    p.roles.retain(|r| !r.name.is_empty());
    p.groups.retain(|g| !g.name.is_empty());
    p
}

/// Data that is valid but will make a weak plan. Warnings never block.
fn weak_spots(p: &Project) -> Vec<String> {
    let mut w = Vec::new();
    if p.stakeholders.is_empty() {
        w.push(
            "no [[stakeholders]]: the plan's stakeholder analysis needs names, not categories"
                .to_string(),
        );
    }
    for g in &p.groups {
        if !p
            .stakeholders
            .iter()
            .any(|s| s.group.eq_ignore_ascii_case(&g.name))
        {
            w.push(format!("group \"{}\" has no named stakeholder", g.name));
        }
    }
    for s in &p.stakeholders {
        if !p
            .groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(&s.group))
        {
            let mut msg = format!(
                "stakeholder \"{}\" is in group \"{}\", which is not among [[groups]]",
                s.name, s.group
            );
            if let Some(hint) = did_you_mean(&s.group, p.groups.iter().map(|g| g.name.as_str())) {
                let _ = write!(msg, " (did you mean \"{hint}\"?)");
            }
            w.push(msg);
        }
    }
    let unknown = p
        .stakeholders
        .iter()
        .filter(|s| s.stance == "unknown")
        .count();
    if unknown > 0 && unknown * 2 > p.stakeholders.len() {
        w.push(format!(
            "{unknown} of {} stakeholders have stance \"unknown\"",
            p.stakeholders.len()
        ));
    }
    if p.champions.is_empty() && !p.stakeholders.is_empty() {
        w.push("no [[champions]] yet: find people with informal influence early".to_string());
    }
    for r in &p.roles {
        if r.what_changes.is_none() {
            w.push(format!(
                "role \"{}\" does not say what_changes for it",
                r.name
            ));
        }
    }
    w
}

/// The project as the templates see it: project-, group- and role-level data, and person-level
/// data only when `share_people` is on.
pub fn template_context(p: &Project, share_people: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("endpoint");
        obj.remove("privacy");
        if let Some(launch) = p.project.launch_date.as_ref() {
            obj["project"]["launch_date"] = serde_json::Value::String(launch.to_string());
        }
        for m in obj
            .get_mut("milestones")
            .and_then(|m| m.as_array_mut())
            .into_iter()
            .flatten()
        {
            if let Some(d) = m
                .get("date")
                .and_then(|d| d.as_object())
                .and_then(|d| d.values().next())
                .cloned()
            {
                m["date"] = d;
            }
        }
        if !share_people {
            obj.remove("stakeholders");
            obj.remove("champions");
        }
    }
    v
}

/// Person-level top-level keys, which prompts only see on opt-in.
pub const PERSON_LEVEL: &[&str] = &["stakeholders", "champions"];
