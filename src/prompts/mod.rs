//! Section templates: the built-in ones embedded in the binary, user overrides and custom
//! sections from prompts folders, and filling them from a project.
//!
//! A template file is `prompts/<section>.md`: TOML front matter between `+++` lines (title,
//! inputs it needs, optional system message), then a minijinja body. The draft's outline is
//! `prompts/draft.jinja`, overridable the same way.

mod fill;
mod front;
pub mod language;

pub use fill::{FilledPrompt, environment, fill_all, guarded, missing_inputs};
pub use front::valid_id;
pub use language::environment_in;

use crate::error::{Error, NameKind, Result, UnknownName};
use crate::i18n::{Available, Language};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Built-in sections, in the order the draft uses them.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("resistance", include_str!("../../prompts/resistance.md")),
    (
        "communication",
        include_str!("../../prompts/communication.md"),
    ),
    ("metrics", include_str!("../../prompts/metrics.md")),
    ("engagement", include_str!("../../prompts/engagement.md")),
];
pub const DRAFT_TEMPLATE: &str = "draft.jinja";
pub const BUILT_IN_DRAFT: &str = include_str!("../../prompts/draft.jinja");
/// The confidential annex's outline: the plan's named parts, written next to it.
pub const ANNEX_TEMPLATE: &str = "annex.jinja";
pub const BUILT_IN_ANNEX: &str = include_str!("../../prompts/annex.jinja");

pub fn is_built_in(id: &str) -> bool {
    BUILT_IN.iter().any(|(b, _)| *b == id)
}

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
    /// One of the three built-in sections (possibly overridden by a file).
    pub built_in: bool,
    /// A custom JSON schema for a structured answer (built-ins have theirs in `sections`).
    pub schema: Option<serde_json::Value>,
    /// The language the template is written in, when it comes from a language's folder
    /// (`prompts/de/`): its filters write dates and lists in that language.
    pub language: Option<Language>,
}

/// The draft outline template and where it came from.
#[derive(Debug, Clone)]
pub struct DraftTemplate {
    pub text: String,
    pub source: Source,
}

/// Prompt folders, lowest precedence first: the config folder's, the project's, then `--prompts`.
pub fn prompt_dirs(config_dir: &Path, project_dir: &Path, flag: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![config_dir.join("prompts"), project_dir.join("prompts")];
    dirs.extend(flag.map(Path::to_path_buf));
    dirs
}

pub struct Catalog {
    /// Built-ins first in their fixed order, then custom sections sorted by id.
    pub sections: Vec<Section>,
    pub draft: DraftTemplate,
    pub annex: DraftTemplate,
    /// Sections left out for this project, and why: not asked, not missing.
    pub held_back: Vec<(String, HeldBack)>,
    /// The plan's language, resolved against the shipped catalogs and the folders' own.
    pub language: Language,
    /// The languages the folders add or override (`i18n/<tag>.toml`).
    pub languages: Available,
}

/// Why a section that plans for named stakeholders is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBack {
    /// People are kept local: prompts may not use the register.
    PeopleLocal,
    /// The project names no stakeholders.
    NoRegister,
}

/// Sections by id, and the draft outline and annex, as the folders are read.
struct Found {
    by_id: BTreeMap<String, Section>,
    draft: DraftTemplate,
    annex: DraftTemplate,
}

impl Catalog {
    /// The catalog in English: built-ins, then each folder in `dirs`.
    pub fn load(dirs_low_to_high: &[PathBuf]) -> Result<Catalog> {
        Catalog::load_in(dirs_low_to_high, None, "")
    }

    /// Loads built-ins, then each folder in `dirs` from lowest to highest precedence; a file
    /// named like a built-in replaces it, any other `*.md` adds a section. `language` (the
    /// project's or the flag's; `origin` says which, for an unknown one) is resolved against
    /// the folders' catalogs, and within each folder its own subfolder (`de/`, then `de-AT/`)
    /// overrides the folder's templates.
    pub fn load_in(
        dirs_low_to_high: &[PathBuf],
        language: Option<&str>,
        origin: &str,
    ) -> Result<Catalog> {
        let languages = Available::load(dirs_low_to_high)?;
        let language = languages.resolve(language, origin)?;
        let built_in = |text: &str| DraftTemplate {
            text: text.to_string(),
            source: Source::BuiltIn,
        };
        let mut found = Found {
            by_id: BTreeMap::new(),
            draft: built_in(BUILT_IN_DRAFT),
            annex: built_in(BUILT_IN_ANNEX),
        };
        for (id, text) in BUILT_IN {
            let mut s = front::parse_section(id, text, Source::BuiltIn)?;
            s.built_in = true;
            found.by_id.insert(id.to_string(), s);
        }
        let mut folders = language.folders();
        folders.reverse();
        for dir in dirs_low_to_high {
            found.read(dir, None)?;
            for tag in &folders {
                found.read(&dir.join(tag), Some(&language))?;
            }
        }
        let Found {
            mut by_id,
            draft,
            annex,
        } = found;
        let mut sections: Vec<Section> = Vec::new();
        for (id, _) in BUILT_IN {
            sections.extend(by_id.remove(*id));
        }
        sections.extend(by_id.into_values());
        Ok(Catalog {
            sections,
            draft,
            annex,
            held_back: Vec::new(),
            language,
            languages,
        })
    }

    /// Leaves out the built-in sections that plan for named stakeholders (`engagement`),
    /// when prompts may not use the register or there is none: they are then neither asked
    /// for nor missing.
    pub fn hold_back_people(&mut self, why: HeldBack) {
        let (out, kept) = std::mem::take(&mut self.sections)
            .into_iter()
            .partition(|s| crate::sections::Kind::of(&s.id).is_some_and(|k| k.needs_people()));
        self.sections = kept;
        let out: Vec<Section> = out;
        self.held_back.extend(out.into_iter().map(|s| (s.id, why)));
    }

    pub fn get(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    pub fn all(&self) -> Vec<&Section> {
        self.sections.iter().collect()
    }

    /// Looks sections up by id (comma-separated lists and the `comms` alias accepted), in the
    /// catalog's order.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Section>> {
        let mut wanted = Vec::new();
        for raw in ids {
            for id in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let id = if id == "comms" { "communication" } else { id };
                if let Some((_, why)) = self.held_back.iter().find(|(h, _)| h == id) {
                    return Err(Error::HeldBack {
                        section: id.to_string(),
                        no_register: *why == HeldBack::NoRegister,
                    });
                }
                if self.get(id).is_none() {
                    return Err(Error::Unknown(UnknownName {
                        kind: NameKind::Section,
                        name: id.to_string(),
                        known: self.sections.iter().map(|s| s.id.clone()).collect(),
                        origin: None,
                    }));
                }
                wanted.push(id.to_string());
            }
        }
        Ok(self
            .sections
            .iter()
            .filter(|s| wanted.contains(&s.id))
            .collect())
    }

    /// Ids of the selected sections, in the catalog's order.
    pub fn select_ids(&self, ids: &[String]) -> Result<Vec<String>> {
        Ok(self.select(ids)?.iter().map(|s| s.id.clone()).collect())
    }
}

impl Found {
    /// Reads one folder's templates; `language` when it is a language's own folder.
    fn read(&mut self, dir: &Path, language: Option<&Language>) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name == DRAFT_TEMPLATE || name == ANNEX_TEMPLATE {
                let outline = DraftTemplate {
                    text: read_template(&path)?,
                    source: Source::File(path.clone()),
                };
                if name == ANNEX_TEMPLATE {
                    self.annex = outline;
                } else {
                    self.draft = outline;
                }
                continue;
            }
            let Some(id) = name.strip_suffix(".md") else {
                continue;
            };
            if !front::valid_id(id) {
                return Err(Error::Data(format!(
                    "{}: a section file name may use only a-z, 0-9, - and _ (it becomes the section id)",
                    path.display()
                )));
            }
            let text = read_template(&path)?;
            let mut s = front::parse_section(id, &text, Source::File(path.clone()))?;
            s.built_in = is_built_in(id);
            s.language = language.cloned();
            self.by_id.insert(id.to_string(), s);
        }
        Ok(())
    }
}

/// A template is a page of text; past this it is the wrong file.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

fn read_template(path: &Path) -> Result<String> {
    crate::fs::read_text_file(path, MAX_TEMPLATE_BYTES, "template")
}

/// Writes the built-in templates into `dir` for editing; refuses to overwrite without `force`.
pub fn export(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file("create folder", dir, e))?;
    let mut files: Vec<(String, &str)> = BUILT_IN
        .iter()
        .map(|(id, t)| (format!("{id}.md"), *t))
        .collect();
    files.push((DRAFT_TEMPLATE.to_string(), BUILT_IN_DRAFT));
    files.push((ANNEX_TEMPLATE.to_string(), BUILT_IN_ANNEX));
    let existing: Vec<String> = files
        .iter()
        .map(|(n, _)| dir.join(n))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() && !force {
        return Err(Error::Refused(format!(
            "refusing to overwrite {}; pass --force to replace them",
            existing.join(", ")
        )));
    }
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        crate::fs::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_come_first_in_their_order() {
        let c = Catalog::load(&[]).unwrap();
        let ids: Vec<&str> = c.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["resistance", "communication", "metrics", "engagement"]
        );
        assert!(c.sections.iter().all(|s| s.built_in));
        assert_eq!(c.draft.source, Source::BuiltIn);
    }

    #[test]
    fn people_sections_are_held_back_and_say_why_when_asked_for() {
        let mut c = Catalog::load(&[]).unwrap();
        c.hold_back_people(HeldBack::PeopleLocal);
        let ids: Vec<&str> = c.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["resistance", "communication", "metrics"]);
        let e = c.select(&["metrics,engagement".into()]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::HeldBack {
                    no_register: false,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.exit_code(), crate::error::exit::DATA);
        assert!(c.select(&["metrics".into()]).is_ok());
    }

    #[test]
    fn select_accepts_lists_and_the_alias_and_keeps_catalog_order() {
        let c = Catalog::load(&[]).unwrap();
        let ids = c
            .select_ids(&["metrics,comms".into(), " resistance ".into()])
            .unwrap();
        assert_eq!(ids, ["resistance", "communication", "metrics"]);
    }

    #[test]
    fn an_unknown_section_is_a_usage_error_with_a_suggestion() {
        let c = Catalog::load(&[]).unwrap();
        let e = c.select(&["metrix".into()]).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(e.to_string().contains("did you mean `metrics`?"), "{e}");
    }

    #[test]
    fn prompt_dirs_go_from_config_to_flag() {
        let dirs = prompt_dirs(Path::new("/c"), Path::new("proj"), Some(Path::new("flag")));
        assert_eq!(
            dirs,
            [
                PathBuf::from("/c/prompts"),
                PathBuf::from("proj/prompts"),
                PathBuf::from("flag")
            ]
        );
        assert_eq!(prompt_dirs(Path::new("/c"), Path::new("."), None).len(), 2);
    }
}
