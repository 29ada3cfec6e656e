//! Section templates: the built-in ones embedded in the binary, user overrides and custom
//! sections from prompts folders, and filling them from a project.
//!
//! A template file is `prompts/<section>.md`: TOML front matter between `+++` lines (title,
//! inputs it needs, optional system message), then a minijinja body. The draft's outline is
//! `prompts/draft.jinja`, overridable the same way.

use crate::error::{Error, Result};
use crate::project::{self, Project};
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Built-in sections, in the order the draft uses them.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("resistance", include_str!("../prompts/resistance.md")),
    ("communication", include_str!("../prompts/communication.md")),
    ("metrics", include_str!("../prompts/metrics.md")),
];
pub const DRAFT_TEMPLATE: &str = "draft.jinja";
pub const BUILT_IN_DRAFT: &str = include_str!("../prompts/draft.jinja");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    BuiltIn,
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub inputs: Vec<String>,
    pub system: Option<String>,
    pub body: String,
    pub source: Source,
    pub built_in: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    #[serde(default)]
    inputs: Vec<String>,
    system: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// A section's prompt, filled and ready to paste or send.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FilledPrompt {
    pub section: String,
    pub title: String,
    pub messages: Vec<Message>,
}

impl FilledPrompt {
    /// What a person pastes into a chat UI: the system text (if any) then the user text.
    pub fn paste_text(&self) -> String {
        let parts: Vec<&str> = self.messages.iter().map(|m| m.content.as_str()).collect();
        parts.join("\n\n")
    }
}

pub struct Catalog {
    /// Built-ins first in their fixed order, then custom sections sorted by id.
    pub sections: Vec<Section>,
    pub draft: (String, Source),
}

impl Catalog {
    /// Loads built-ins, then each folder in `dirs` from lowest to highest precedence; a file
    /// named like a built-in replaces it, any other `*.md` adds a section.
    pub fn load(dirs_low_to_high: &[PathBuf]) -> Result<Catalog> {
        let mut by_id: BTreeMap<String, Section> = BTreeMap::new();
        for (id, text) in BUILT_IN {
            let mut s = parse_section(id, text, Source::BuiltIn)?;
            s.built_in = true;
            by_id.insert(id.to_string(), s);
        }
        let mut draft = (BUILT_IN_DRAFT.to_string(), Source::BuiltIn);
        for dir in dirs_low_to_high {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if name == DRAFT_TEMPLATE {
                    draft = (read_template(&path)?, Source::File(path.clone()));
                    continue;
                }
                let Some(id) = name.strip_suffix(".md") else {
                    continue;
                };
                if !valid_id(id) {
                    return Err(Error::Data(format!(
                        "{}: a section file name may use only a-z, 0-9, - and _ (it becomes the section id)",
                        path.display()
                    )));
                }
                let text = read_template(&path)?;
                let mut s = parse_section(id, &text, Source::File(path.clone()))?;
                s.built_in = BUILT_IN.iter().any(|(b, _)| *b == id);
                by_id.insert(id.to_string(), s);
            }
        }
        let mut sections: Vec<Section> = Vec::new();
        for (id, _) in BUILT_IN {
            if let Some(s) = by_id.remove(*id) {
                sections.push(s);
            }
        }
        sections.extend(by_id.into_values());
        Ok(Catalog { sections, draft })
    }

    pub fn get(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// Looks sections up by id (accepting the `comms` alias), in the catalog's order.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Section>> {
        let mut wanted = Vec::new();
        for raw in ids {
            for id in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let id = if id == "comms" { "communication" } else { id };
                match self.get(id) {
                    Some(_) => wanted.push(id.to_string()),
                    None => {
                        let mut msg = format!("no section named `{id}`");
                        if let Some(h) =
                            project::did_you_mean(id, self.sections.iter().map(|s| s.id.as_str()))
                        {
                            msg.push_str(&format!("; did you mean `{h}`?"));
                        }
                        let all: Vec<&str> = self.sections.iter().map(|s| s.id.as_str()).collect();
                        msg.push_str(&format!(
                            "\nsections: {} (see `plan-ai sections`)",
                            all.join(", ")
                        ));
                        return Err(Error::Usage(msg));
                    }
                }
            }
        }
        Ok(self
            .sections
            .iter()
            .filter(|s| wanted.contains(&s.id))
            .collect())
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn read_template(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::file("read template", path, e))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Data(format!("{}: template is not valid UTF-8", path.display())))
}

fn parse_section(id: &str, text: &str, source: Source) -> Result<Section> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |msg: String| Error::Data(format!("template {source}: {msg}"));
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or_else(|| err("must start with a `+++` line, then front matter (title = \"...\", inputs = [...]), then `+++`".into()))?;
    let end = rest
        .find("\n+++\n")
        .or_else(|| rest.find("\n+++\r\n"))
        .map(|i| (i, i + 5))
        .or_else(|| rest.strip_suffix("\n+++").map(|r| (r.len(), rest.len())))
        .ok_or_else(|| err("front matter is not closed by a `+++` line".into()))?;
    let front: FrontMatter = toml::from_str(&rest[..end.0])
        .map_err(|e| err(format!("front matter: {}", e.message())))?;
    let body = rest[end.1..].trim_start_matches(['\r', '\n']).to_string();
    if front.title.trim().is_empty() {
        return Err(err("front matter `title` is empty".into()));
    }
    Ok(Section {
        id: id.to_string(),
        title: front.title.trim().to_string(),
        inputs: front.inputs,
        system: front.system,
        body,
        source,
        built_in: false,
    })
}

// ---------------------------------------------------------------------------------------------
// Filling

/// A minijinja environment with the filters every template may use.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // Project text is inserted once and never re-rendered, and nothing is HTML-escaped.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("list_en", list_en);
    env.add_filter("long_date", long_date);
    env
}

/// "A", "A and B", "A, B and C".
fn list_en(items: Value) -> std::result::Result<String, minijinja::Error> {
    let items: Vec<String> = items.try_iter()?.map(|v| v.to_string()).collect();
    Ok(match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    })
}

/// "2027-03-01" → "1 March 2027": unambiguous in every locale.
fn long_date(value: Value) -> std::result::Result<String, minijinja::Error> {
    let s = value.to_string();
    Ok(format_long_date(&s).unwrap_or(s))
}

pub fn format_long_date(iso: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = iso.get(..10)?.split('-');
    let (y, m, d) = (
        parts.next()?,
        parts.next()?.parse::<usize>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
    );
    Some(format!("{d} {} {y}", MONTHS.get(m.checked_sub(1)?)?))
}

/// A field a section needs that the project lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub path: String,
    pub sections: Vec<String>,
}

fn lookup<'a>(ctx: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(ctx, |v, key| v.get(key))
}

fn is_empty(v: Option<&serde_json::Value>) -> bool {
    match v {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => s.trim().is_empty(),
        Some(serde_json::Value::Array(a)) => a.is_empty(),
        Some(serde_json::Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// Every required input missing for `sections`, each listed once with the sections needing it.
pub fn missing_inputs(p: &Project, sections: &[&Section]) -> Vec<Missing> {
    let ctx = project::template_context(p, true);
    let mut missing: Vec<Missing> = Vec::new();
    let mut push = |path: &str, section: &str| match missing.iter_mut().find(|m| m.path == path) {
        Some(m) => m.sections.push(section.to_string()),
        None => missing.push(Missing {
            path: path.to_string(),
            sections: vec![section.to_string()],
        }),
    };
    for s in sections {
        // The project's name heads every prompt's output and the draft.
        if is_empty(lookup(&ctx, "project.name")) {
            push("project.name", &s.id);
        }
        for input in &s.inputs {
            if input != "project.name" && is_empty(lookup(&ctx, input)) {
                push(input, &s.id);
            }
        }
    }
    missing
}

pub fn describe_missing(path: &Path, missing: &[Missing]) -> String {
    let sections: std::collections::BTreeSet<&String> =
        missing.iter().flat_map(|m| &m.sections).collect();
    let mut out = format!(
        "{} lacks data that {}:",
        path.display(),
        if sections.len() == 1 {
            "this section needs"
        } else {
            "these sections need"
        }
    );
    for m in missing {
        out.push_str(&format!(
            "\n  - {:<26} needed by {}",
            m.path,
            m.sections.join(", ")
        ));
        if let Some(example) = example_for(&m.path) {
            out.push_str(&format!("\n      e.g. {example}"));
        }
    }
    out
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

/// Fills one section. Missing inputs must have been checked by the caller; a template that
/// uses an undefined value still fails here, with the template's line.
pub fn fill(
    env: &mut Environment<'static>,
    section: &Section,
    p: &Project,
    share_people: bool,
) -> Result<FilledPrompt> {
    let source_err = |e: minijinja::Error| {
        Error::Data(format!(
            "template {} ({}): {e:#}",
            section.id, section.source
        ))
    };
    env.add_template_owned(section.id.clone(), section.body.clone())
        .map_err(source_err)?;
    let tmpl = env.get_template(&section.id).map_err(source_err)?;
    if !share_people {
        let used = tmpl.undeclared_variables(false);
        if let Some(person) = project::PERSON_LEVEL.iter().find(|k| used.contains(**k)) {
            return Err(Error::Data(format!(
                "template {} ({}) uses `{person}`, which is person-level data.\nPerson-level data stays on this machine unless you opt in: set `[privacy] share_people = true` in the project file, or pass --share-people.",
                section.id, section.source
            )));
        }
    }
    let ctx = project::template_context(p, share_people);
    let text = tmpl
        .render(minijinja::value::Serde(&ctx))
        .map_err(source_err)?;
    let text = tidy(&text);
    let mut messages = Vec::new();
    if let Some(system) = section.system.as_deref().filter(|s| !s.trim().is_empty()) {
        messages.push(Message {
            role: "system".into(),
            content: system.trim().to_string(),
        });
    }
    messages.push(Message {
        role: "user".into(),
        content: text,
    });
    Ok(FilledPrompt {
        section: section.id.clone(),
        title: section.title.clone(),
        messages,
    })
}

/// Trims trailing spaces and collapses runs of blank lines that conditional blocks leave.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// Writes the built-in templates into `dir` for editing; refuses to overwrite without `force`.
pub fn export(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file("create folder", dir, e))?;
    let mut files: Vec<(String, &str)> = BUILT_IN
        .iter()
        .map(|(id, t)| (format!("{id}.md"), *t))
        .collect();
    files.push((DRAFT_TEMPLATE.to_string(), BUILT_IN_DRAFT));
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|(n, _)| dir.join(n))
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() && !force {
        let names: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Other(format!(
            "refusing to overwrite {}; pass --force to replace them",
            names.join(", ")
        )));
    }
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        crate::error::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
