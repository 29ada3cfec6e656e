//! A portfolio: every project file under some paths, and where each one stands (sections done,
//! stale, missing or failed, tokens and cost) without a single request.

use super::section::Planned;
use super::store::{self, Store, StoredSection};
use super::workspace::Workspace;
use crate::chat::Usage;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::project::Stance;
use std::path::{Path, PathBuf};

/// A portfolio's settings (`plan::load::settings`), never a project.
const SETTINGS: &str = "portfolio.toml";

/// The project files under `paths`: a file as given; a folder's `*.toml` files that are
/// plan-ai projects (with a `[project]` table), and with `recursive` its subfolders' too
/// (hidden folders, `target` and `node_modules` skipped). Sorted, each once.
pub fn discover(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, recursive, &mut found)?;
        } else {
            // Named on purpose: a file that is missing or broken is reported, not skipped.
            found.push(path.clone());
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, recursive: bool, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::file("read folder", dir, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let skip = name.starts_with('.') || name == "target" || name == "node_modules";
            if recursive && !skip {
                walk(&path, true, found)?;
            }
        } else if name.ends_with(".toml") && name != SETTINGS && is_project(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Whether a TOML file is a plan-ai project: it has a `[project]` table. A file that does not
/// parse counts when it says `[project]` (so a broken project is reported, not ignored).
fn is_project(path: &Path) -> bool {
    let Ok(Some(bytes)) = crate::fs::read_regular(path, crate::project::MAX_FILE_BYTES) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    // The header on a line of its own says it without parsing: discovery runs on one thread,
    // and parsing every file here took a fifteenth of a 1,000-project status.
    let header = |l: &str| l.split('#').next().is_some_and(|l| l.trim() == "[project]");
    if text.lines().any(header) {
        return true;
    }
    match text.parse::<toml::Table>() {
        Ok(table) => table.get("project").is_some_and(toml::Value::is_table),
        Err(_) => text.lines().any(|l| l.trim() == "[project]"),
    }
}

/// Where one section stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A current answer: its prompt and settings are unchanged.
    Done,
    /// An answer made from an earlier prompt or other settings.
    Stale,
    /// No answer yet.
    Missing,
    /// No answer, and the last request for it failed.
    Failed,
}

/// Where one project stands.
#[derive(Debug, Clone)]
pub struct Status {
    pub path: PathBuf,
    pub name: String,
    pub system: String,
    pub launch: String,
    pub owner: String,
    pub sections: Vec<(String, State)>,
    /// Sections whose version in use a person revised, edited or restored.
    pub revised: usize,
    pub usage: Usage,
    pub cost: Option<f64>,
    /// Stakeholders marked resistant or unaware, by name (or counted).
    pub attention: Vec<Attention>,
    /// The plan as written (the Markdown one when there is one), if written yet.
    pub plan: Option<PathBuf>,
    /// The review's score of what is stored (`plan-ai review`), once a section has an answer.
    pub score: Option<u8>,
    /// Why the project could not be read; everything else is empty then.
    pub broken: Option<String>,
}

impl Status {
    /// The status as a summary shared beyond the project may show it when the project's
    /// named parts go to a confidential annex: who resists counted, not named.
    pub fn names_in_annex(mut self, p: &crate::project::Project) -> Status {
        self.attention = attention(p, false);
        self
    }

    pub fn broken(path: &Path, why: &Error) -> Status {
        Status {
            path: path.to_path_buf(),
            name: String::new(),
            system: String::new(),
            launch: String::new(),
            owner: String::new(),
            sections: Vec::new(),
            revised: 0,
            usage: Usage::default(),
            cost: None,
            score: None,
            attention: Vec::new(),
            plan: None,
            broken: Some(why.to_string()),
        }
    }

    pub fn count(&self, state: State) -> usize {
        self.sections.iter().filter(|(_, s)| *s == state).count()
    }
}

/// Where `ws` stands, from its store alone: `stored` holds its records as read, one per
/// planned section ([`read_stored`]). With the endpoint a run would use, an answer made with
/// other settings counts as stale; without, only its prompt counts.
pub fn status(
    ws: &Workspace,
    planned: &[Planned],
    store: &Store,
    stored: &[Option<StoredSection>],
    endpoint: Option<&Endpoint>,
) -> Status {
    let p = &ws.loaded.project;
    let failures = store.failures();
    let mut usage = Usage::default();
    let mut revised = 0;
    let sections = planned
        .iter()
        .zip(stored)
        .map(|(pl, stored)| {
            let state = match stored {
                Some(s) => {
                    if let Some(u) = s.usage {
                        usage += u;
                    }
                    revised += usize::from(s.how().is_revision());
                    let asked = endpoint.map(|e| (e, pl.structure.as_ref()));
                    if s.is_current(&pl.filled, asked) {
                        State::Done
                    } else {
                        State::Stale
                    }
                }
                None if failures.contains_key(pl.id()) => State::Failed,
                None => State::Missing,
            };
            (pl.id().to_string(), state)
        })
        .collect();
    let base = store::default_plan_base(&ws.loaded.path);
    let plan = ["md", "docx", "html", "xlsx"]
        .iter()
        .map(|ext| {
            let mut p = base.as_os_str().to_os_string();
            p.push(format!(".{ext}"));
            PathBuf::from(p)
        })
        .find(|p| p.exists());
    Status {
        path: ws.loaded.path.clone(),
        name: p.project.name.clone().unwrap_or_default(),
        system: p.project.system.clone().unwrap_or_default(),
        launch: p
            .project
            .launch_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        owner: p.project.owner.clone().unwrap_or_default(),
        sections,
        revised,
        cost: endpoint.and_then(|e| e.prices).map(|pr| pr.cost(&usage)),
        usage,
        attention: attention(p, true),
        plan,
        score: None,
        broken: None,
    }
}

/// The stored record of each planned section (none where there is none or it cannot be read),
/// and a note for each that cannot.
pub fn read_stored(
    planned: &[Planned],
    store: &Store,
) -> (Vec<Option<StoredSection>>, Vec<String>) {
    let mut notes = Vec::new();
    let stored = (planned.iter())
        .map(|pl| store.load_or_note(pl.id(), &mut notes))
        .collect();
    (stored, notes)
}

/// A stakeholder who needs work before go-live, or how many of one stance there are when the
/// names go to a confidential annex.
#[derive(Debug, Clone, PartialEq)]
pub enum Attention {
    Named { name: String, stance: Stance },
    Counted { n: usize, stance: Stance },
}

impl Attention {
    /// "Ann Lee (resistant)", "2 resistant (names in the annex)", in `lang`.
    pub fn text(&self, lang: &crate::i18n::Language) -> String {
        match self {
            Attention::Named { name, stance } => format!("{name} ({})", lang.term(*stance)),
            Attention::Counted { n, stance } => lang.plural(
                "portfolio.counted",
                *n as u64,
                &[("stance", lang.term(*stance))],
            ),
        }
    }
}

/// Who is resistant or unaware: by name, or (when names go to a confidential annex) counted.
fn attention(p: &crate::project::Project, named: bool) -> Vec<Attention> {
    let wanted =
        |s: &&crate::project::Stakeholder| matches!(s.stance, Stance::Resistant | Stance::Unaware);
    if named {
        return (p.stakeholders.iter().filter(wanted))
            .map(|s| Attention::Named {
                name: s.name.clone(),
                stance: s.stance,
            })
            .collect();
    }
    let count = |stance: Stance| p.stakeholders.iter().filter(|s| s.stance == stance).count();
    [Stance::Resistant, Stance::Unaware]
        .into_iter()
        .filter(|st| count(*st) > 0)
        .map(|stance| Attention::Counted {
            n: count(stance),
            stance,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_finds_projects_and_skips_other_toml() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let project = "[project]\nname = \"x\"\n";
        for (path, text) in [
            ("a.toml", project),
            ("Cargo.toml", "[package]\nname = \"c\"\n"),
            ("broken.toml", "[project]\nname = \n"),
            (
                "commented.toml",
                "  [project]   # the rollout\nname = \"y\"\n",
            ),
            ("inline.toml", "project = { name = \"z\" }\n"),
            ("quoted.toml", "[tool]\nnote = \"\"\"\n[projects]\n\"\"\"\n"),
            ("notes.txt", project),
            ("sub/b.toml", project),
            (".plan-ai/c.toml", project),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let names = |found: Vec<PathBuf>| -> Vec<String> {
            found
                .iter()
                .map(|p| p.strip_prefix(root).unwrap().display().to_string())
                .collect()
        };
        let flat = discover(&[root.to_path_buf()], false).unwrap();
        let both = ["a.toml", "broken.toml", "commented.toml", "inline.toml"];
        assert_eq!(names(flat), both);
        let deep = discover(&[root.to_path_buf()], true).unwrap();
        assert_eq!(names(deep), [&both[..], &["sub/b.toml"]].concat());
        // A file named on purpose is taken as it is.
        let named = discover(&[root.join("Cargo.toml"), root.join("a.toml")], false).unwrap();
        assert_eq!(names(named), ["Cargo.toml", "a.toml"]);
    }
}
