//! An opened project: its file, loaded and checked, the templates that apply to it, and the
//! way to its run store. What every project command starts from.

use super::section::Planned;
use super::store::{self, Store};
use crate::error::{Error, Result};
use crate::project::{Loaded, Privacy};
use crate::prompts::{Catalog, FilledPrompt, HeldBack, Section};
use std::path::Path;

pub struct Workspace {
    pub loaded: Loaded,
    pub catalog: Catalog,
    /// Whether prompts may use person-level data: the flag's choice, else the project's.
    pub privacy: Privacy,
}

impl Workspace {
    /// Opens the project at `path`, with templates and catalogs from the config folder, the
    /// project's own `prompts/` and `prompts_flag` (highest last). `privacy_flag` and
    /// `language_flag`: the command line's choices, which win over the project file's.
    pub fn open(
        path: &Path,
        prompts_flag: Option<&Path>,
        privacy_flag: Option<Privacy>,
        language_flag: Option<&str>,
    ) -> Result<Workspace> {
        let loaded = crate::project::load(path)?;
        if let Some(dir) = prompts_flag
            && !dir.is_dir()
        {
            return Err(Error::Usage(format!(
                "--prompts {}: no such folder",
                dir.display()
            )));
        }
        let (language, origin) = match language_flag {
            Some(flag) => (Some(flag), "--language".to_string()),
            None => (
                loaded.project.project.language.as_deref(),
                format!("`[project] language` in {}", loaded.path.display()),
            ),
        };
        let dirs =
            crate::prompts::prompt_dirs(&crate::fs::config_dir(), &loaded.dir(), prompts_flag);
        let mut catalog = Catalog::load_in(&dirs, language, &origin)?;
        let privacy = privacy_flag.unwrap_or(loaded.project.privacy.privacy());
        // Engagement plans for named people: asked only when prompts may use the register.
        if !privacy.allows_people() {
            catalog.hold_back_people(HeldBack::PeopleLocal);
        } else if loaded.project.stakeholders.is_empty() {
            catalog.hold_back_people(HeldBack::NoRegister);
        }
        Ok(Workspace {
            privacy,
            loaded,
            catalog,
        })
    }

    /// Fills `sections`, after checking that the project has every input they need, each
    /// asking for answers in the plan's language.
    pub fn fill(&self, sections: &[&Section]) -> Result<Vec<FilledPrompt>> {
        let filled = crate::prompts::fill_all(
            &self.loaded.path,
            &self.loaded.project,
            sections,
            self.privacy,
        )?;
        Ok(filled
            .into_iter()
            .map(|f| f.in_language(&self.catalog.language))
            .collect())
    }

    pub fn fill_all(&self) -> Result<Vec<FilledPrompt>> {
        self.fill(&self.catalog.all())
    }

    /// The one section named `id`, filled.
    pub fn fill_one(&self, id: &str) -> Result<FilledPrompt> {
        let section = self.catalog.select(&[id.to_string()])?;
        Ok(self.fill(&section)?.remove(0))
    }

    /// The structure each filled section asks for: none with `prose`, except a custom
    /// section's own schema, which is what that section is for.
    pub fn planned(&self, filled: &[FilledPrompt], prose: bool) -> Vec<Planned> {
        filled
            .iter()
            .map(|f| {
                let schema = self.catalog.get(&f.section).and_then(|s| s.schema.as_ref());
                let prose = prose && schema.is_none();
                Planned {
                    structure: crate::sections::structure_for(
                        &f.section,
                        schema,
                        &self.loaded.project,
                        prose,
                    ),
                    filled: f.clone(),
                }
            })
            .collect()
    }

    /// The project's run store, and a note when a project file other than `plan-ai.toml`
    /// that was drafted before it had a store of its own took over its answers from the
    /// shared one.
    pub fn store(&self) -> Result<(Store, Option<String>)> {
        let store = Store::for_project(&self.loaded.path)?;
        if store::project_stem(&self.loaded.path).is_none() {
            return Ok((store, None));
        }
        let legacy = Store::legacy(&self.loaded.dir())?;
        let copied = store.adopt_from(&legacy, &self.fill_all().unwrap_or_default())?;
        let note = (copied > 0).then(|| {
            format!(
                "{} now has a run store of its own, {}; copied {} from the shared {}",
                self.loaded.path.display(),
                store.dir().display(),
                crate::text::plural(copied, "stored answer"),
                legacy.dir().display()
            )
        });
        Ok((store, note))
    }
}
