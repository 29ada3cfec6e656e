//! The run store: `.plan-ai/` next to the project file. One JSON file per section, written
//! atomically the moment that section finishes, so a failure or Ctrl-C never loses finished
//! work and a finished section is never paid for twice. Also remembers the drafts it wrote, so
//! it never overwrites one a person has edited since.

pub use super::record::{AnswerSource, RequestRecord, StoredSection};

use crate::chat::Message;
use crate::error::{Error, Result};
use crate::fs::write_atomic;
use crate::prompts::FilledPrompt;
use crate::sections::Rung;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DIR: &str = ".plan-ai";
/// A record holds one answer (at most 256 MiB by the largest max_answer_bytes), its prompt and
/// reasoning; anything bigger was not written by plan-ai.
const MAX_RECORD_BYTES: u64 = 1 << 30;
/// A file bigger than this is not a draft plan-ai wrote, so it is not read to be compared.
const MAX_DRAFT_BYTES: u64 = 256 << 20;

/// Sections sent to a provider's Batch API and not yet collected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchState {
    /// The batch they are in; `None`: they wait to be sent again (their last batch failed).
    pub batch_id: Option<String>,
    pub base_url: String,
    pub model: String,
    pub submitted_at: String,
    pub sections: BTreeMap<String, PendingSection>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSection {
    /// The line's id in the batch: `<project>-<hash>::<section>`.
    pub custom_id: String,
    /// The prompt as filled when it was sent (what the stored record will say was asked).
    pub messages: Vec<Message>,
    /// The fingerprint of the schema asked for, if structured.
    pub structure: Option<String>,
    /// Why its last result failed; it is sent again on the next `--batch` run.
    pub failed: Option<String>,
}

/// A stored file that is not a section record: reported, then treated as absent, so the
/// section is simply requested again.
#[derive(Debug)]
pub struct Unreadable(pub PathBuf);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ignoring {}: not a plan-ai section record",
            self.0.display()
        )
    }
}

#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store next to a project file. Refuses a store folder that is a symbolic link (writes
    /// would land wherever it points), and clears temporary files a killed run left behind.
    pub fn open(project_dir: &Path) -> Result<Store> {
        Store::open_at(project_dir, project_dir.join(DIR))
    }

    /// The store of one project file. A lone `plan-ai.toml` keeps `.plan-ai/`; any other file
    /// gets a store of its own, `.plan-ai/projects/<name>/`, so projects sharing a folder never
    /// share answers (`crm.toml` → `.plan-ai/projects/crm/`).
    pub fn for_project(project_file: &Path) -> Result<Store> {
        let folder = crate::fs::parent_dir(project_file);
        Store::open_at(&folder, folder.join(Store::relative_dir(project_file)))
    }

    /// Where a project's store sits, relative to the project's folder.
    pub fn relative_dir(project_file: &Path) -> PathBuf {
        match project_stem(project_file) {
            None => PathBuf::from(DIR),
            Some(stem) => Path::new(DIR).join("projects").join(stem),
        }
    }

    /// The store of a project file, for reading only: no clean-up, no checks (`status`).
    pub fn peek(project_file: &Path) -> Store {
        let folder = crate::fs::parent_dir(project_file);
        Store {
            dir: folder.join(Store::relative_dir(project_file)),
        }
    }

    /// The store every project file in `project_dir` used before each had its own.
    pub fn legacy(project_dir: &Path) -> Result<Store> {
        Store::open(project_dir)
    }

    fn open_at(project_dir: &Path, dir: PathBuf) -> Result<Store> {
        let root = project_dir.join(DIR);
        let mut chain = vec![
            root.clone(),
            root.join("projects"),
            dir.clone(),
            dir.join("sections"),
        ];
        chain.dedup();
        for d in chain {
            if std::fs::symlink_metadata(&d).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::Refused(format!(
                    "{} is a symbolic link; plan-ai keeps its answers only in a real folder there (writes would land wherever the link points). Remove the link, or move the project.",
                    d.display()
                )));
            }
        }
        for d in [project_dir.to_path_buf(), dir.clone(), dir.join("sections")] {
            crate::fs::remove_stale_temp_files(&d);
        }
        Ok(Store { dir })
    }

    /// Copies into this (new) store the answers an older, shared store holds for these exact
    /// prompts: a project drafted before it had a store of its own keeps what it paid for.
    /// Returns how many were copied; nothing happens once this store has answers.
    pub fn adopt_from(&self, legacy: &Store, filled: &[FilledPrompt]) -> Result<usize> {
        if legacy.dir == self.dir || self.dir.join("sections").exists() {
            return Ok(0);
        }
        let mut copied = 0;
        for f in filled {
            if let Ok(Some(s)) = legacy.load(&f.section)
                && s.request.messages == f.messages
            {
                self.save(&s)?;
                copied += 1;
            }
        }
        for (key, rung) in legacy.formats() {
            let _ = self.remember_rung(&key, rung);
        }
        Ok(copied)
    }

    /// Holds the store's lock until dropped: read-modify-write steps of two runs at once
    /// (e.g. two drafts of one project) must not interleave.
    pub(super) fn lock(&self) -> Result<std::fs::File> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::file("create folder", &self.dir, e))?;
        let path = self.dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::file("open", &path, e))?;
        file.lock().map_err(|e| Error::file("lock", &path, e))?;
        Ok(file)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn section_path(&self, id: &str) -> PathBuf {
        self.dir.join("sections").join(format!("{id}.json"))
    }

    /// Stores `s` as the section's newest version and makes it current (see `versions`).
    pub fn save(&self, s: &StoredSection) -> Result<PathBuf> {
        self.commit(s.clone(), super::versions::Change::first(s))
            .map(|c| c.current)
    }

    /// Writes the current record of a section (under the lock, by `versions` only).
    pub(super) fn write_current(&self, s: &StoredSection) -> Result<PathBuf> {
        let path = self.section_path(&s.section);
        let json = serde_json::to_string_pretty(s).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&path, json.as_bytes())?;
        Ok(path)
    }

    /// The stored result for `id`, if any.
    pub fn load(&self, id: &str) -> std::result::Result<Option<StoredSection>, Unreadable> {
        let path = self.section_path(id);
        let bytes = match crate::fs::read_limited(&path, MAX_RECORD_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Err(Unreadable(path)),
            Err(_) => return Ok(None),
        };
        match serde_json::from_slice::<StoredSection>(&bytes) {
            Ok(s) if s.section == id => Ok(Some(s)),
            _ => Err(Unreadable(path)),
        }
    }

    /// [`Store::load`], with an unreadable record noted in `warnings` and treated as absent.
    pub fn load_or_note(&self, id: &str, warnings: &mut Vec<String>) -> Option<StoredSection> {
        self.load(id).unwrap_or_else(|e| {
            warnings.push(e.to_string());
            None
        })
    }

    fn formats_path(&self) -> PathBuf {
        self.dir.join("formats.json")
    }

    fn formats(&self) -> BTreeMap<String, Rung> {
        crate::fs::read_limited(&self.formats_path(), 1 << 20)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default()
    }

    /// How to ask this endpoint and model for structure, as a previous run found out.
    pub fn remembered_rung(&self, endpoint_and_model: &str) -> Option<Rung> {
        self.formats().get(endpoint_and_model).copied()
    }

    /// Remembers how structure was asked for successfully, for later runs to start there.
    pub fn remember_rung(&self, endpoint_and_model: &str, rung: Rung) -> Result<()> {
        let _lock = self.lock()?;
        let mut formats = self.formats();
        if formats.get(endpoint_and_model) == Some(&rung) {
            return Ok(());
        }
        formats.insert(endpoint_and_model.to_string(), rung);
        let json =
            serde_json::to_string_pretty(&formats).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.formats_path(), json.as_bytes())
    }

    fn one_at_a_time_path(&self) -> PathBuf {
        self.dir.join("one-at-a-time.json")
    }

    fn one_at_a_time(&self) -> std::collections::BTreeSet<String> {
        crate::fs::read_limited(&self.one_at_a_time_path(), 1 << 20)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default()
    }

    /// Whether a previous run found this endpoint and model cut answers short when requests
    /// overlap, so it gets one at a time.
    pub fn remembered_one_at_a_time(&self, endpoint_and_model: &str) -> bool {
        self.one_at_a_time().contains(endpoint_and_model)
    }

    /// Remembers that this endpoint and model takes one request at a time.
    pub fn remember_one_at_a_time(&self, endpoint_and_model: &str) -> Result<()> {
        let _lock = self.lock()?;
        let mut keys = self.one_at_a_time();
        if !keys.insert(endpoint_and_model.to_string()) {
            return Ok(());
        }
        let json = serde_json::to_string_pretty(&keys).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.one_at_a_time_path(), json.as_bytes())
    }

    fn failures_path(&self) -> PathBuf {
        self.dir.join("failures.json")
    }

    /// Sections whose last request failed, with why (for `portfolio status`).
    pub fn failures(&self) -> BTreeMap<String, String> {
        crate::fs::read_limited(&self.failures_path(), 1 << 20)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default()
    }

    /// Remembers that `section`'s last request failed (`Some(why)`) or succeeded (`None`).
    pub fn note_outcome(&self, section: &str, failure: Option<&str>) -> Result<()> {
        let _lock = self.lock()?;
        let mut failures = self.failures();
        let changed = match failure {
            Some(why) => {
                failures
                    .insert(section.to_string(), why.to_string())
                    .as_deref()
                    != Some(why)
            }
            None => failures.remove(section).is_some(),
        };
        if !changed {
            return Ok(());
        }
        let json =
            serde_json::to_string_pretty(&failures).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.failures_path(), json.as_bytes())
    }

    fn batch_path(&self) -> PathBuf {
        self.dir.join("batch.json")
    }

    /// The Batch API job this project's sections wait for, if any.
    pub fn batch_state(&self) -> Option<BatchState> {
        crate::fs::read_limited(&self.batch_path(), 64 << 20)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_slice(&t).ok())
    }

    /// Saves the batch state; an empty one is removed.
    pub fn save_batch_state(&self, state: &BatchState) -> Result<()> {
        let _lock = self.lock()?;
        if state.sections.is_empty() {
            return match std::fs::remove_file(self.batch_path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(Error::file("remove", &self.batch_path(), e))
                }
                _ => Ok(()),
            };
        }
        let json = serde_json::to_string_pretty(state).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.batch_path(), json.as_bytes())
    }

    fn drafts_path(&self) -> PathBuf {
        self.dir.join("drafts.json")
    }

    /// Writes the draft atomically. Refuses to replace a file that plan-ai did not write or
    /// that changed since it did, unless `force`.
    pub fn write_draft(&self, path: &Path, contents: &[u8], force: bool) -> Result<()> {
        let key = std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string();
        let _lock = self.lock()?;
        let mut written: BTreeMap<String, String> =
            crate::fs::read_limited(&self.drafts_path(), MAX_DRAFT_BYTES)
                .ok()
                .flatten()
                .and_then(|t| serde_json::from_slice(&t).ok())
                .unwrap_or_default();
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a folder; give a file name with -o",
                path.display()
            )));
        }
        if !force && path.exists() {
            let existing = crate::fs::read_limited(path, MAX_DRAFT_BYTES)
                .ok()
                .flatten();
            let ours = existing.as_deref().is_some_and(|e| {
                written.get(&key).is_some_and(|h| *h == fingerprint(e)) || e == contents
            });
            if !ours {
                return Err(Error::Refused(format!(
                    "{} exists and was edited since plan-ai wrote it (or plan-ai did not write it); refusing to overwrite it.\nPass --force to replace it, or -o OTHER.md to write the draft elsewhere.",
                    path.display()
                )));
            }
        }
        write_atomic(path, contents)?;
        written.insert(key, fingerprint(contents));
        let json =
            serde_json::to_string_pretty(&written).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.drafts_path(), json.as_bytes())
    }
}

/// A project file's own name when it is not the default `plan-ai.toml`.
pub fn project_stem(project_file: &Path) -> Option<String> {
    let name = project_file.file_name()?.to_str()?;
    if name == "plan-ai.toml" {
        return None;
    }
    let stem = name.strip_suffix(".toml").unwrap_or(name);
    Some(stem.to_string())
}

/// Where a project's plan goes by default, without an extension: `plan` next to a lone
/// `plan-ai.toml`, `<name>.plan` next to any other project file (`crm.toml` → `crm.plan.md`).
pub fn default_plan_base(project_file: &Path) -> PathBuf {
    let folder = crate::fs::parent_dir(project_file);
    match project_stem(project_file) {
        None => folder.join("plan"),
        Some(stem) => folder.join(format!("{stem}.plan")),
    }
}

/// FNV-1a, 64-bit: stable across Rust versions (std's hasher is not), and collisions do not
/// matter for "did someone edit this file".
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}-{}", bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Project;
    use crate::run::record::tests::filled;

    #[test]
    fn fingerprints_are_stable_and_tell_files_apart() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325-0");
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c-1");
        assert_ne!(fingerprint(b"ab"), fingerprint(b"ba"));
    }

    #[test]
    fn save_load_and_unreadable_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.load("metrics").unwrap().is_none());
        let s =
            StoredSection::from_paste(&filled("p"), "answer", None, &Project::default()).unwrap();
        store.save(&s).unwrap();
        assert_eq!(store.load("metrics").unwrap().unwrap().answer, "answer");
        std::fs::write(dir.path().join(".plan-ai/sections/metrics.json"), "{}").unwrap();
        let mut notes = Vec::new();
        assert!(store.load_or_note("metrics", &mut notes).is_none());
        assert!(
            notes[0].contains("not a plan-ai section record"),
            "{notes:?}"
        );
    }

    #[test]
    fn rungs_are_remembered_per_endpoint_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.remembered_rung("http://h/v1 m"), None);
        store
            .remember_rung("http://h/v1 m", Rung::JsonObject)
            .unwrap();
        store
            .remember_rung("http://h/v1 other", Rung::JsonSchema)
            .unwrap();
        assert_eq!(
            store.remembered_rung("http://h/v1 m"),
            Some(Rung::JsonObject)
        );
        assert_eq!(
            store.remembered_rung("http://h/v1 other"),
            Some(Rung::JsonSchema)
        );
    }

    #[test]
    fn one_request_at_a_time_is_remembered_per_endpoint_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(!store.remembered_one_at_a_time("http://h/v1 m"));
        store.remember_one_at_a_time("http://h/v1 m").unwrap();
        store.remember_one_at_a_time("http://h/v1 m").unwrap();
        assert!(store.remembered_one_at_a_time("http://h/v1 m"));
        assert!(!store.remembered_one_at_a_time("http://h/v1 other"));
    }

    #[test]
    fn each_project_file_has_its_own_store_and_plan() {
        let cases = [
            ("plan-ai.toml", ".plan-ai", "plan"),
            ("dir/plan-ai.toml", ".plan-ai", "dir/plan"),
            ("crm.toml", ".plan-ai/projects/crm", "crm.plan"),
            ("p/erp.v2.toml", ".plan-ai/projects/erp.v2", "p/erp.v2.plan"),
        ];
        for (file, store, plan) in cases {
            assert_eq!(
                Store::relative_dir(Path::new(file)),
                PathBuf::from(store),
                "{file}"
            );
            let want = if file.contains('/') {
                PathBuf::from(plan)
            } else {
                Path::new(".").join(plan)
            };
            assert_eq!(default_plan_base(Path::new(file)), want, "{file}");
        }
    }

    #[test]
    fn a_new_store_adopts_the_shared_stores_answers_for_its_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = Store::open(dir.path()).unwrap();
        legacy
            .save(
                &StoredSection::from_paste(
                    &filled("mine"),
                    "old answer",
                    None,
                    &Project::default(),
                )
                .unwrap(),
            )
            .unwrap();
        let own = Store::for_project(&dir.path().join("crm.toml")).unwrap();
        assert_eq!(
            own.adopt_from(&legacy, &[filled("other prompt")]).unwrap(),
            0
        );
        assert_eq!(own.adopt_from(&legacy, &[filled("mine")]).unwrap(), 1);
        assert_eq!(own.load("metrics").unwrap().unwrap().answer, "old answer");
        // Once it has answers of its own, it adopts nothing more.
        assert_eq!(own.adopt_from(&legacy, &[filled("mine")]).unwrap(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join(DIR)).unwrap();
        let e = Store::open(dir.path()).err().unwrap();
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
    }

    #[test]
    fn concurrent_draft_writers_keep_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let root = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let store = Store::open(&root).unwrap();
                    for round in 0..5 {
                        let path = root.join(format!("plan-{i}.md"));
                        store
                            .write_draft(&path, format!("v{round}").as_bytes(), false)
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = std::fs::read_to_string(dir.path().join(DIR).join("drafts.json")).unwrap();
        let written: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
        assert_eq!(written.len(), 8, "{text}");
    }

    #[test]
    fn drafts_are_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let path = dir.path().join("plan.md");
        store.write_draft(&path, b"v1", false).unwrap();
        store.write_draft(&path, b"v2", false).unwrap();
        std::fs::write(&path, "edited by hand").unwrap();
        let e = store.write_draft(&path, b"v3", false).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::FAILURE);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited by hand");
        store.write_draft(&path, b"v3", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "v3");
    }
}
