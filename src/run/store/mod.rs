//! The run store: `.plan-ai/` next to the project file. One JSON file per section, written
//! atomically the moment that section finishes, so a failure or Ctrl-C never loses finished
//! work and a finished section is never paid for twice. Also remembers the drafts it wrote, so
//! it never overwrites one a person has edited since.

mod names;

pub use super::record::{AnswerSource, RequestRecord, StoredSection};
pub use names::{check_project_name, default_plan_base, project_stem};

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
    /// Keys of the file that are not section ids (`../../x`), left out when it was read:
    /// they would become file names.
    #[serde(skip)]
    pub ignored: Vec<String>,
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

/// A stored file that is not a section record (or not a regular file, or cannot be read):
/// reported, then treated as absent, so the section is simply requested again.
#[derive(Debug)]
pub struct Unreadable(pub PathBuf, pub String);

impl Unreadable {
    fn not_a_record(path: PathBuf) -> Unreadable {
        Unreadable(path, "not a plan-ai section record".into())
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ignoring {}: {}", self.0.display(), self.1)
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
        check_project_name(project_file)?;
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
        // A way of asking not remembered is only learned again on the next request.
        for (key, rung) in legacy.formats() {
            let _ = self.remember_rung(&key, rung);
        }
        Ok(copied)
    }

    /// Holds the store's lock until dropped: read-modify-write steps of two runs at once
    /// (e.g. two drafts of one project) must not interleave. A lock that is a symbolic link
    /// (creating it would make a file wherever it points) or not a regular file (a FIFO would
    /// block the open) is refused.
    pub(super) fn lock(&self) -> Result<std::fs::File> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::file("create folder", &self.dir, e))?;
        let path = self.dir.join("lock");
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let refused = |what: &str| {
            Error::Refused(format!(
                "{} is {what}; plan-ai locks its store with a plain file there. Remove it and run again.",
                path.display()
            ))
        };
        const ODD: &str = "not a regular file (a FIFO, device or socket)";
        let odd = || match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => Some("a symbolic link"),
            Ok(m) if !m.is_file() => Some(ODD),
            _ => None,
        };
        if let Some(what) = odd() {
            return Err(refused(what));
        }
        // Checked again through the open itself: the path may change in between.
        let file = options
            .open(&path)
            .map_err(|e| odd().map_or_else(|| Error::file("open", &path, e), refused))?;
        crate::fs::require_regular(&file).map_err(|_| refused(ODD))?;
        file.lock().map_err(|e| Error::file("lock", &path, e))?;
        Ok(file)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a section's record is kept. Ids reach here from state files too: one that is not
    /// a section id (`../../x`, `a/b`) would be a path out of the store, so it has none.
    fn section_path(&self, id: &str) -> Option<PathBuf> {
        crate::prompts::valid_id(id).then(|| self.dir.join("sections").join(format!("{id}.json")))
    }

    /// Stores `s` as the section's newest version and makes it current (see `versions`).
    pub fn save(&self, s: &StoredSection) -> Result<PathBuf> {
        self.commit(s.clone(), super::versions::Change::first(s))
            .map(|c| c.current)
    }

    /// Writes the current record of a section (under the lock, by `versions` only).
    pub(super) fn write_current(&self, s: &StoredSection) -> Result<PathBuf> {
        let path = self.section_path(&s.section).ok_or_else(|| {
            Error::Refused(format!(
                "refusing to store a section named {:?}: not a section id (a-z, 0-9, - and _)",
                crate::text::snippet(&crate::sanitize::strip_controls(&s.section), 80)
            ))
        })?;
        let json = serde_json::to_string_pretty(s).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&path, json.as_bytes())?;
        Ok(path)
    }

    /// The stored result for `id`, if any.
    pub fn load(&self, id: &str) -> std::result::Result<Option<StoredSection>, Unreadable> {
        let Some(path) = self.section_path(id) else {
            return Ok(None);
        };
        let bytes = match crate::fs::read_regular(&path, MAX_RECORD_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Err(Unreadable::not_a_record(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                let why = crate::error::strip_os_error(&e.to_string());
                return Err(Unreadable(path, why));
            }
        };
        match serde_json::from_slice::<StoredSection>(&bytes) {
            Ok(s) if s.section == id => Ok(Some(s)),
            _ => Err(Unreadable::not_a_record(path)),
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
        crate::fs::read_regular(&self.formats_path(), 1 << 20)
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

    /// Sections whose last request failed, with why (for `portfolio status`); keys that are
    /// not section ids are left out.
    pub fn failures(&self) -> BTreeMap<String, String> {
        let mut failures: BTreeMap<String, String> =
            crate::fs::read_regular(&self.failures_path(), 1 << 20)
                .ok()
                .flatten()
                .and_then(|t| serde_json::from_slice(&t).ok())
                .unwrap_or_default();
        failures.retain(|id, _| crate::prompts::valid_id(id));
        failures
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

    /// The Batch API job this project's sections wait for, if any. Keys that are not section
    /// ids are left out (and listed in `ignored`).
    pub fn batch_state(&self) -> Option<BatchState> {
        let mut state: BatchState = crate::fs::read_regular(&self.batch_path(), 64 << 20)
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_slice(&t).ok())?;
        let (good, bad) = std::mem::take(&mut state.sections)
            .into_iter()
            .partition(|(id, _)| crate::prompts::valid_id(id));
        state.sections = good;
        state.ignored = bad.into_keys().collect();
        Some(state)
    }

    /// Why a `batch.json` that is there cannot be read (not a regular file, too large, not
    /// the JSON plan-ai writes); none when it reads or is absent. Its sections are then not
    /// known to be in a batch, and the person running plan-ai should hear so.
    pub fn batch_state_unreadable(&self) -> Option<String> {
        let path = self.batch_path();
        std::fs::symlink_metadata(&path).ok()?;
        let why = match crate::fs::read_regular(&path, 64 << 20) {
            Err(e) => e.to_string(),
            Ok(None) => "larger than 64 MiB".to_string(),
            Ok(Some(bytes)) => match serde_json::from_slice::<BatchState>(&bytes) {
                Ok(_) => return None,
                Err(e) => format!("not a batch record ({e})"),
            },
        };
        Some(why)
    }

    /// Saves the batch state; an empty one is removed.
    pub fn save_batch_state(&self, state: &BatchState) -> Result<()> {
        let _lock = self.lock()?;
        if state.sections.is_empty() {
            return self.remove_batch_state();
        }
        let json = serde_json::to_string_pretty(state).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(&self.batch_path(), json.as_bytes())
    }

    /// Forgets the Batch API job this project waits for (`plan-ai batch forget`): its
    /// sections are no longer "in a batch", so any run may request them. Returns what was
    /// forgotten (none when there was no batch; an unreadable batch.json is removed all the
    /// same). What the batch brings back later is not collected.
    pub fn forget_batch(&self) -> Result<Option<BatchState>> {
        let _lock = self.lock()?;
        let state = self.batch_state();
        self.remove_batch_state()?;
        Ok(state)
    }

    fn remove_batch_state(&self) -> Result<()> {
        match std::fs::remove_file(self.batch_path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::file("remove", &self.batch_path(), e))
            }
            _ => Ok(()),
        }
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
            crate::fs::read_regular(&self.drafts_path(), MAX_DRAFT_BYTES)
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
            let existing = crate::fs::read_regular(path, MAX_DRAFT_BYTES)
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

/// A file's fingerprint: collisions do not matter for "did someone edit this file".
fn fingerprint(bytes: &[u8]) -> String {
    format!("{:016x}-{}", fnv(bytes), bytes.len())
}

/// FNV-1a, 64-bit: stable across Rust versions (std's hasher is not).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

#[cfg(test)]
mod tests;
