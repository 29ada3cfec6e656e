//! Every version of a section, kept: `versions/<id>/<n>.json` in the run store, each a whole
//! section record with its [`VersionMeta`], written atomically and never replaced or deleted.
//! The current record, `sections/<id>.json`, is a copy of the version in use, so everything
//! that reads it keeps working.
//!
//! A new version is numbered under the store's lock (two runs at once each get a number of
//! their own), written first, and only then made current: a failure at any point (a full disk)
//! leaves every stored version, and the current record, as they were. A revision holds the
//! section's own lock from reading the current version to storing the new one, so a second
//! revision of the same section waits and then builds on the first.

use super::record::{How, StoredSection, VersionMeta};
use super::store::Store;
use crate::error::{Error, Result};
use crate::fs::write_atomic;
use crate::sections::diff::{self, Diff};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A version holds one answer and its prompt; anything bigger was not written by plan-ai.
const MAX_VERSION_BYTES: u64 = 1 << 30;
/// Where the follow-up prompt of `prompt --revise` waits for its pasted answer.
const PENDING: &str = "pending-revision.json";

/// What a new version is: how it was made, from which version, and the feedback behind it.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub how: How,
    pub based_on: Option<&'a StoredSection>,
    pub feedback: Option<String>,
}

impl Change<'_> {
    /// A record as it comes (a first answer, or one copied from another store): how it says
    /// it was made.
    pub fn first(s: &StoredSection) -> Change<'static> {
        Change {
            how: s.how(),
            based_on: None,
            feedback: s.version.as_ref().and_then(|v| v.feedback.clone()),
        }
    }
}

/// Where a new version went.
#[derive(Debug)]
pub struct Committed {
    pub number: u32,
    pub version: PathBuf,
    pub current: PathBuf,
}

/// A section's versions as stored, oldest first, and which one is in use.
#[derive(Debug, Default)]
pub struct History {
    pub section: String,
    pub versions: Vec<StoredSection>,
    /// The current record's version; `None` with no current record.
    pub in_use: Option<u32>,
    /// Files that are not version records: reported, then left out.
    pub problems: Vec<String>,
}

impl History {
    pub fn get(&self, n: u32) -> Option<&StoredSection> {
        self.versions.iter().find(|v| v.number() == n)
    }

    pub fn current(&self) -> Option<&StoredSection> {
        self.get(self.in_use?)
    }

    /// The version stored just before `n`.
    pub fn before(&self, n: u32) -> Option<&StoredSection> {
        self.versions.iter().rev().find(|v| v.number() < n)
    }

    pub fn numbers(&self) -> Vec<u32> {
        self.versions.iter().map(StoredSection::number).collect()
    }

    /// The versions a regeneration supersedes: the one in use and those it was made from, back
    /// to (not including) a generated answer. Empty when a generated answer is in use.
    pub fn superseded(&self) -> Vec<&StoredSection> {
        let mut chain = Vec::new();
        let mut at = self.current();
        while let Some(v) = at {
            if v.how() == How::Generated
                || chain
                    .iter()
                    .any(|c: &&StoredSection| c.number() == v.number())
            {
                break;
            }
            chain.push(v);
            at = match v.how() {
                How::Restored { from } => self.get(from),
                _ => v
                    .version
                    .as_ref()
                    .and_then(|m| m.based_on)
                    .and_then(|b| self.get(b)),
            };
        }
        chain.reverse();
        chain
    }
}

/// The revision `prompt --revise` printed, waiting for `paste` to bring its answer back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRevision {
    pub feedback: String,
    /// The version the printed prompt showed.
    pub based_on: u32,
    pub created_at: String,
}

/// The section's revision lock, held until dropped.
pub struct SectionLock(#[allow(dead_code)] std::fs::File);

/// What changed from version `a` to version `b`: item by item when both are structured,
/// else a unified diff of their text.
pub fn compare(a: &StoredSection, b: &StoredSection) -> Diff {
    match (&a.structured, &b.structured) {
        (Some(x), Some(y)) => diff::structured(x, y),
        _ => diff::prose(&a.answer, &b.answer, &title(a), &title(b)),
    }
}

/// `metrics version 2 (revised)`.
pub fn title(v: &StoredSection) -> String {
    format!("{} version {} ({})", v.section, v.number(), v.how().label())
}

/// A section id names files: only what a template's file name may be (`prompts::valid_id`).
fn check_id(id: &str) -> Result<()> {
    if crate::prompts::valid_id(id) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "`{}` is not a section id (lower-case letters, digits, - and _)",
            crate::sanitize::strip_controls(id)
        )))
    }
}

/// The number a version file's name gives (`3.json`, `0003.json`); other names are not versions.
fn number_of(name: &str) -> Option<u32> {
    let digits = name.strip_suffix(".json")?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

fn file_name(n: u32) -> String {
    format!("{n:04}.json")
}

/// The version numbers stored in `dir`, by the names of its files.
fn numbers_in(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| number_of(e.file_name().to_str()?))
        .collect()
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Error::Other(e.to_string()))
}

/// The trail of feedback that leads to a new version.
fn trail(change: &Change, record: &StoredSection) -> Vec<String> {
    match (change.based_on, &change.how) {
        (Some(b), How::Restored { .. }) => b.trail().to_vec(),
        (Some(b), _) => b
            .trail()
            .iter()
            .cloned()
            .chain(change.feedback.clone())
            .collect(),
        (None, _) if record.version.is_some() => record.trail().to_vec(),
        (None, _) => change.feedback.iter().cloned().collect(),
    }
}

impl Store {
    /// Where a section's versions are kept.
    pub fn versions_dir(&self, id: &str) -> PathBuf {
        self.dir().join("versions").join(id)
    }

    /// Stores `record` as the section's next version and makes it current. A current record
    /// from before versions were kept is stored as its first version beforehand, so nothing
    /// is ever lost.
    pub fn commit(&self, mut record: StoredSection, change: Change) -> Result<Committed> {
        let id = record.section.clone();
        check_id(&id)?;
        let _lock = self.lock()?;
        let dir = self.versions_dir(&id);
        let mut numbers = numbers_in(&dir);
        if numbers.is_empty()
            && let Ok(Some(mut old)) = self.load(&id)
        {
            let n = old.number();
            if old.version.is_none() {
                old.version = Some(VersionMeta {
                    number: n,
                    how: old.how(),
                    based_on: None,
                    feedback: None,
                    trail: Vec::new(),
                });
            }
            write_atomic(&dir.join(file_name(n)), to_json(&old)?.as_bytes())?;
            numbers.push(n);
        }
        let number = numbers.iter().max().map_or(1, |n| n + 1);
        record.version = Some(VersionMeta {
            number,
            trail: trail(&change, &record),
            how: change.how,
            based_on: change.based_on.map(StoredSection::number),
            feedback: change.feedback,
        });
        let version = dir.join(file_name(number));
        write_atomic(&version, to_json(&record)?.as_bytes())?;
        let current = self.write_current(&record)?;
        Ok(Committed {
            number,
            version,
            current,
        })
    }

    /// Every stored version of `id`, and which is in use. Files that are not version records
    /// are reported in `problems`, never fatal.
    pub fn history(&self, id: &str) -> Result<History> {
        check_id(id)?;
        let dir = self.versions_dir(id);
        let mut h = History {
            section: id.to_string(),
            ..History::default()
        };
        for n in numbers_in(&dir) {
            let path = dir.join(file_name(n));
            let path = if path.exists() {
                path
            } else {
                dir.join(format!("{n}.json"))
            };
            match read_version(&path, id, n) {
                Some(v) if h.get(n).is_none() => h.versions.push(v),
                Some(_) => {}
                None => h.problems.push(format!(
                    "ignoring {}: not a plan-ai version record of `{id}`",
                    path.display()
                )),
            }
        }
        match self.load(id) {
            Ok(Some(current)) => {
                let n = current.number();
                if h.get(n).is_none() {
                    // Stored before versions were kept, or its version file is unreadable.
                    h.versions.push(current);
                }
                h.in_use = Some(n);
            }
            Ok(None) => {}
            Err(e) => h.problems.push(e.to_string()),
        }
        h.versions.sort_by_key(StoredSection::number);
        Ok(h)
    }

    /// Takes the section's revision lock; when another run holds it, `on_wait` is called and
    /// this waits for it.
    pub fn lock_section(&self, id: &str, on_wait: impl FnOnce()) -> Result<SectionLock> {
        check_id(id)?;
        let dir = self.versions_dir(id);
        std::fs::create_dir_all(&dir).map_err(|e| Error::file("create folder", &dir, e))?;
        let path = dir.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::file("open", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock().map_err(|e| Error::file("lock", &path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::file("lock", &path, e)),
        }
        Ok(SectionLock(file))
    }

    /// Remembers the revision `prompt --revise` printed, for `paste` to record.
    pub fn save_pending_revision(&self, id: &str, p: &PendingRevision) -> Result<PathBuf> {
        check_id(id)?;
        let path = self.versions_dir(id).join(PENDING);
        write_atomic(&path, to_json(p)?.as_bytes())?;
        Ok(path)
    }

    /// The revision waiting for its pasted answer, if any (an unreadable one counts as none).
    pub fn pending_revision(&self, id: &str) -> Option<PendingRevision> {
        check_id(id).ok()?;
        let path = self.versions_dir(id).join(PENDING);
        let bytes = crate::fs::read_limited(&path, 1 << 20).ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    /// Forgets the waiting revision (its answer was pasted).
    pub fn clear_pending_revision(&self, id: &str) {
        if check_id(id).is_ok() {
            let _ = std::fs::remove_file(self.versions_dir(id).join(PENDING));
        }
    }
}

/// A version file, if it is a regular file holding version `n` of `id`.
fn read_version(path: &Path, id: &str, n: u32) -> Option<StoredSection> {
    if !std::fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let bytes = crate::fs::read_limited(path, MAX_VERSION_BYTES).ok()??;
    let v: StoredSection = serde_json::from_slice(&bytes).ok()?;
    (v.section == id && v.number() == n && v.version.is_some()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Project;
    use crate::run::record::tests::filled;

    fn pasted(text: &str) -> StoredSection {
        StoredSection::from_paste(&filled("p"), text, None, &Project::default()).unwrap()
    }

    fn revised<'a>(on: &'a StoredSection, feedback: &str) -> Change<'a> {
        Change {
            how: How::Revised,
            based_on: Some(on),
            feedback: Some(feedback.into()),
        }
    }

    #[test]
    fn versions_compare_as_structure_when_both_are_structured_else_as_text() {
        let mut a = pasted("line one\nline two");
        let mut b = pasted("line one\nline 2");
        assert_eq!(compare(&a, &b).summary(), ["1 line added, 1 line removed"]);
        let Diff::Prose { unified, .. } = compare(&a, &b) else {
            panic!()
        };
        assert!(
            unified.starts_with("--- metrics version 1 (pasted)\n"),
            "{unified}"
        );
        a.structured = Some(serde_json::json!({"summary": "x"}));
        assert!(matches!(compare(&a, &b), Diff::Prose { .. }));
        b.structured = Some(serde_json::json!({"summary": "y"}));
        assert_eq!(compare(&a, &b).summary(), ["changed summary"]);
    }

    #[test]
    fn version_file_names() {
        let cases = [
            ("0001.json", Some(1)),
            ("12.json", Some(12)),
            ("0000.json", None),
            ("1.json.tmp", None),
            (".lock", None),
            ("pending-revision.json", None),
            ("-1.json", None),
            ("1234567890.json", None),
            ("../1.json", None),
        ];
        for (name, want) in cases {
            assert_eq!(number_of(name), want, "{name}");
        }
        assert_eq!(file_name(3), "0003.json");
    }

    #[test]
    fn versions_are_numbered_kept_and_the_newest_is_current() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.save(&pasted("one")).unwrap();
        let h = store.history("metrics").unwrap();
        let v1 = h.current().unwrap().clone();
        assert_eq!((h.numbers(), h.in_use), (vec![1], Some(1)));
        let c = store
            .commit(pasted("two"), revised(&v1, "shorter, please\nand kinder"))
            .unwrap();
        assert_eq!(c.number, 2);
        let v2 = store.load("metrics").unwrap().unwrap();
        assert_eq!(v2.answer, "two");
        let meta = v2.version.clone().unwrap();
        assert_eq!(meta.how, How::Revised);
        assert_eq!(meta.based_on, Some(1));
        assert_eq!(meta.trail, ["shorter, please\nand kinder"]);
        // Restoring copies the old trail, and records a new version; nothing is deleted.
        store
            .commit(
                v1.clone(),
                Change {
                    how: How::Restored { from: 1 },
                    based_on: Some(&v1),
                    feedback: None,
                },
            )
            .unwrap();
        let h = store.history("metrics").unwrap();
        assert_eq!((h.numbers(), h.in_use), (vec![1, 2, 3], Some(3)));
        assert_eq!(h.current().unwrap().answer, "one");
        assert!(h.current().unwrap().trail().is_empty());
        assert_eq!(h.before(3).unwrap().answer, "two");
        assert!(h.problems.is_empty(), "{:?}", h.problems);
    }

    #[test]
    fn a_record_from_before_versions_becomes_version_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // What an older plan-ai wrote: a current record, no versions folder.
        store.write_current(&pasted("old")).unwrap();
        let h = store.history("metrics").unwrap();
        assert_eq!((h.numbers(), h.in_use), (vec![1], Some(1)));
        let old = h.current().unwrap().clone();
        store.commit(pasted("new"), revised(&old, "f")).unwrap();
        let h = store.history("metrics").unwrap();
        assert_eq!(h.numbers(), [1, 2]);
        assert_eq!(h.get(1).unwrap().answer, "old");
        assert_eq!(h.get(1).unwrap().how(), How::Pasted);
    }

    #[test]
    fn corrupt_version_files_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.save(&pasted("one")).unwrap();
        store.save(&pasted("two")).unwrap();
        let vdir = store.versions_dir("metrics");
        std::fs::write(vdir.join("0001.json"), "{not json").unwrap();
        std::fs::write(vdir.join("0007.json"), "{}").unwrap();
        std::fs::write(vdir.join("notes.txt"), "ignored").unwrap();
        let h = store.history("metrics").unwrap();
        assert_eq!((h.numbers(), h.in_use), (vec![2], Some(2)));
        assert_eq!(h.problems.len(), 2, "{:?}", h.problems);
        assert!(h.problems[0].contains("not a plan-ai version record"));
        // The next version still gets a number of its own.
        store.save(&pasted("three")).unwrap();
        assert_eq!(store.load("metrics").unwrap().unwrap().number(), 8);
    }

    #[test]
    fn a_failed_write_loses_nothing_already_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.save(&pasted("kept")).unwrap();
        let vdir = store.versions_dir("metrics");
        let before = std::fs::read(vdir.join("0001.json")).unwrap();
        // The next version's file cannot be written (its name is taken by a folder: as a full
        // disk, the write fails part way).
        std::fs::create_dir(vdir.join("0002.json")).unwrap();
        std::fs::write(vdir.join("0002.json/x"), "x").unwrap();
        let e = store.save(&pasted("lost")).unwrap_err();
        assert!(e.to_string().contains("0002.json"), "{e}");
        assert_eq!(store.load("metrics").unwrap().unwrap().answer, "kept");
        assert_eq!(std::fs::read(vdir.join("0001.json")).unwrap(), before);
        let names: Vec<String> = std::fs::read_dir(&vdir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| n.starts_with(".plan-ai-tmp")),
            "{names:?}"
        );
    }

    #[test]
    fn section_ids_that_are_not_file_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for id in ["../x", "a/b", "", "UP"] {
            assert!(store.history(id).is_err(), "{id}");
        }
        let mut bad = pasted("x");
        bad.section = "../../etc".into();
        assert_eq!(store.save(&bad).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn concurrent_commits_each_get_a_version() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..6)
            .map(|i| {
                let root = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let store = Store::open(&root).unwrap();
                    store.save(&pasted(&format!("answer {i}"))).unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let h = Store::open(dir.path()).unwrap().history("metrics").unwrap();
        assert_eq!(h.numbers(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(h.in_use, Some(6));
    }

    #[test]
    fn the_section_lock_makes_a_second_holder_wait() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let held = store.lock_section("metrics", || panic!("free")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let other = store.clone();
        let t = std::thread::spawn(move || {
            let waited = std::cell::Cell::new(false);
            let _l = other.lock_section("metrics", || waited.set(true)).unwrap();
            tx.send(waited.get()).unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(rx.try_recv().is_err(), "the second holder went ahead");
        drop(held);
        assert!(rx.recv().unwrap(), "it said it waited");
        t.join().unwrap();
    }

    #[test]
    fn a_regeneration_supersedes_the_persons_versions_back_to_a_generated_one() {
        let h = |hows: &[(How, Option<u32>)], in_use| {
            let versions = hows
                .iter()
                .enumerate()
                .map(|(i, (how, based_on))| {
                    let mut s = pasted("x");
                    s.version = Some(VersionMeta {
                        number: i as u32 + 1,
                        how: how.clone(),
                        based_on: *based_on,
                        feedback: None,
                        trail: Vec::new(),
                    });
                    s
                })
                .collect();
            let h = History {
                section: "metrics".into(),
                versions,
                in_use: Some(in_use),
                problems: Vec::new(),
            };
            h.superseded()
                .iter()
                .map(|v| v.number())
                .collect::<Vec<_>>()
        };
        let generated = (How::Generated, None);
        assert_eq!(h(std::slice::from_ref(&generated), 1), Vec::<u32>::new());
        let chain = [
            generated.clone(),
            (How::Revised, Some(1)),
            (How::Edited, Some(2)),
        ];
        assert_eq!(h(&chain, 3), [2, 3]);
        let restored = [
            generated,
            (How::Revised, Some(1)),
            (How::Revised, Some(2)),
            (How::Restored { from: 2 }, Some(2)),
        ];
        assert_eq!(h(&restored, 4), [2, 4]);
        assert_eq!(h(&[(How::Pasted, None)], 1), [1]);
    }
}
