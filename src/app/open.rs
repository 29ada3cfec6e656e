//! Opening projects for a run: one project file (`draft`) or every project under some paths (a
//! portfolio), each with its prompts filled, its endpoint resolved and its store, ready to be a
//! member of a run.

use super::Ctx;
use crate::endpoint::{self, Config, Endpoint, Overrides};
use crate::error::{Error, Result};
use crate::prompts::FilledPrompt;
use crate::run::batch::Member;
use crate::run::portfolio::{self, Status};
use crate::run::section::Planned;
use crate::run::store::Store;
use crate::run::workspace::Workspace;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A project ready to draft.
pub struct Opened {
    pub ws: Workspace,
    pub filled: Vec<FilledPrompt>,
    pub planned: Vec<Planned>,
    pub store: Store,
    pub endpoint: Endpoint,
}

/// What a run hands back with a member's outcome, to write its plan.
pub type Kept = (Workspace, Vec<FilledPrompt>);

/// Which stored answers a run asks for again, although they are current.
#[derive(Debug, Clone, Default)]
pub struct Renew {
    /// Every section (`--fresh`).
    pub all: bool,
    /// These sections (`--regenerate`).
    pub sections: Vec<String>,
}

impl Opened {
    /// Opens the project at `path`: checked, prompts filled, endpoint resolved, store opened.
    pub fn open(cx: &Ctx, path: &Path, config: &Config, overrides: &Overrides) -> Result<Opened> {
        let ws = cx.open_at(path)?;
        let filled = ws.fill_all()?;
        let endpoint = endpoint::resolve(config, overrides, &ws.loaded.project.endpoint)?;
        let planned = ws.planned(&filled, endpoint.prose);
        let store = cx.store(&ws)?;
        Ok(Opened {
            ws,
            filled,
            planned,
            store,
            endpoint,
        })
    }

    /// How the project is named in progress lines: its path, without `.toml`.
    pub fn label(&self) -> String {
        label(&self.ws.loaded.path)
    }

    /// The project as a member of a run, with its workspace and prompts kept for writing
    /// the plan when it is done. `prefix` names its sections in progress lines (a portfolio's
    /// members need one).
    pub fn into_member(self, renew: Renew, prefix: Option<String>) -> Member<Kept> {
        Member {
            prefix,
            sections: self.planned,
            project: Arc::new(self.ws.loaded.project.clone()),
            privacy: self.ws.privacy,
            store: self.store,
            endpoint: self.endpoint,
            fresh: renew.all,
            regenerate: renew.sections,
            context: (self.ws, self.filled),
        }
    }
}

/// A project's name in progress lines and tables: its path relative to the current folder
/// (as given when it is elsewhere), without `.toml`. Two `plan-ai.toml` in two folders stay
/// apart: `p01/plan-ai`, `p02/plan-ai`.
pub fn label(path: &Path) -> String {
    let shown = relative(path);
    let text = shown.display().to_string();
    let text = text.strip_suffix(".toml").unwrap_or(&text);
    crate::sanitize::strip_controls(text).replace('\n', " ")
}

/// `path` relative to the current folder when it is inside it; as given otherwise.
pub fn relative(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().ok();
    let absolute = std::path::absolute(path).ok();
    match (cwd, absolute) {
        (Some(cwd), Some(abs)) => abs
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// The project files under `paths`; none at all is a usage error, which says where it looked
/// (and, without `--recursive`, that subfolders were not).
pub fn discover(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>> {
    let files = portfolio::discover(paths, recursive)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Usage(format!(
            "no project files (*.toml with a [project] table) in {}{}",
            shown.join(", "),
            if recursive {
                ""
            } else {
                "; --recursive looks in subfolders too"
            }
        )));
    }
    Ok(files)
}

/// Every project among `files`, opened; the ones that cannot be are reported, not fatal.
pub fn open_files(
    cx: &Ctx,
    files: &[PathBuf],
    config: &Config,
    overrides: &Overrides,
) -> (Vec<Opened>, Vec<Status>) {
    let mut opened = Vec::new();
    let mut broken = Vec::new();
    for file in files {
        match Opened::open(cx, file, config, overrides) {
            Ok(o) => opened.push(o),
            Err(e) => broken.push(Status::broken(file, &e)),
        }
    }
    (opened, broken)
}

/// Where a portfolio's summary goes: the first folder named, else the first file's folder.
pub fn summary_dir(paths: &[PathBuf]) -> PathBuf {
    let first = &paths[0];
    if first.is_dir() {
        first.clone()
    } else {
        crate::fs::parent_dir(first)
    }
}

/// What reading a file gives when the thread reading it panicked (a bug): a broken project
/// that says so, instead of a project silently missing from the summary.
pub trait ReadFailed {
    fn read_failed(file: &Path) -> Self;
}

impl ReadFailed for Status {
    fn read_failed(file: &Path) -> Status {
        let why = "internal error while reading it (a bug in plan-ai; please report it)";
        Status::broken(file, &Error::Other(why.into()))
    }
}

impl<T: Default> ReadFailed for (Status, T) {
    fn read_failed(file: &Path) -> (Status, T) {
        (Status::read_failed(file), T::default())
    }
}

impl<T> ReadFailed for std::result::Result<T, Box<Status>> {
    fn read_failed(file: &Path) -> Self {
        Err(Box::new(Status::read_failed(file)))
    }
}

/// `one` of every file, in the files' order, on a few threads (a portfolio can be a thousand
/// projects). Each thread takes the next file when done with one: the drafted projects of a
/// portfolio cost more than the rest, and they come together. A file whose reading panicked
/// is reported as unread, and the others are read all the same.
pub fn in_parallel<T: Send + ReadFailed>(
    files: &[PathBuf],
    one: impl Fn(&Path) -> T + Sync,
) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<T>>> = Mutex::new(files.iter().map(|_| None).collect());
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(f) = files.get(i) else { break };
            let read = one(f);
            done.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(read);
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        // A thread that panicked ends; the others go on with what is left. Joined here, its
        // panic is not the scope's.
        for h in handles {
            let _ = h.join();
        }
    });
    let done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    (done.into_iter().zip(files))
        .map(|(read, f)| read.unwrap_or_else(|| T::read_failed(f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_the_folder_and_drop_the_extension() {
        let cwd = std::env::current_dir().unwrap();
        let cases = [
            (PathBuf::from("p01/plan-ai.toml"), "p01/plan-ai"),
            (cwd.join("p02/plan-ai.toml"), "p02/plan-ai"),
            (PathBuf::from("/elsewhere/crm.toml"), "/elsewhere/crm"),
            (PathBuf::from("odd\u{1b}[2Jname.toml"), "oddname"),
            (PathBuf::from("two\nlines.toml"), "two lines"),
        ];
        for (path, want) in cases {
            assert_eq!(label(&path), want, "{path:?}");
        }
    }
}
