//! File helpers: the config folder, bounded reads, atomic writes that keep a file's mode, and
//! the clean-up of temporary files a killed run left behind.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// plan-ai's config folder: `$PLAN_AI_CONFIG_DIR`, else the platform's (XDG on Linux:
/// `~/.config/plan-ai`). Home of `config.toml` and the user's own `prompts/`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PLAN_AI_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    use etcetera::BaseStrategy;
    match etcetera::choose_base_strategy() {
        Ok(s) => s.config_dir().join("plan-ai"),
        Err(_) => PathBuf::from(".plan-ai-config"),
    }
}

/// The folder `path` lives in: its parent, or `.` for a bare file name.
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads at most `max` bytes from `reader`; `None` if there is more. Never trusts a size from
/// metadata: `/dev/zero` and FIFOs report none.
pub fn read_limited_from(reader: impl std::io::Read, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// Reads the file at `path`, at most `max` bytes; `None` if it is longer. Takes whatever can
/// be opened, pipes included (`paste answer <(pbpaste)`); files plan-ai finds or keeps itself
/// are read with [`read_regular`].
pub fn read_limited(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    read_limited_from(std::fs::File::open(path)?, max)
}

/// A small text file from a folder a user may share (a template, a catalog): a regular file
/// of at most `max` bytes, in UTF-8. `what` names it in errors ("template").
pub fn read_text_file(path: &Path, max: u64, what: &str) -> Result<String> {
    let bytes = read_regular(path, max)
        .map_err(|e| Error::file(&format!("read {what}"), path, e))?
        .ok_or_else(|| {
            Error::Data(format!(
                "{}: a {what} longer than {} is not a {what}",
                path.display(),
                crate::text::bytes(max)
            ))
        })?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Data(format!("{}: {what} is not valid UTF-8", path.display())))
}

/// [`read_limited`] for a regular file only: a FIFO, device or socket is refused at once
/// (see [`open_regular`]).
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    read_limited_from(open_regular(path)?, max)
}

/// Opens `path` for reading if it is a regular file. Opening a FIFO blocks until a writer
/// comes, which a planted one never does, and a device may never end: the file is opened
/// without blocking and checked through the opened handle (no gap between check and open).
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    require_regular(&file)?;
    Ok(file)
}

/// An error unless `file` is a regular file.
pub fn require_regular(file: &std::fs::File) -> std::io::Result<()> {
    if file.metadata()?.is_file() {
        Ok(())
    } else {
        Err(not_regular())
    }
}

/// Why a FIFO, device or socket is not read.
pub fn not_regular() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "not a regular file (a FIFO, device or socket); plan-ai reads only regular files",
    )
}

/// Temporary files start with this, then the writing process's id and a dash.
const TEMP_PREFIX: &str = ".plan-ai-tmp-";

/// Writes `contents` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the target, and the folder synced. A crash or Ctrl-C leaves either the old
/// file or the new one. A replaced file keeps its permissions; a new one gets the usual
/// permissions under the umask (not a temp file's 0600).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(|e| Error::file("create folder", &dir, e))?;
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0666, which the kernel narrows by the umask, as for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| Error::file("write to", &dir, e))?;
    if let Ok(existing) = std::fs::metadata(path) {
        // Best effort: a file we may replace but not chmod keeps the new file's mode.
        let _ = tmp.as_file().set_permissions(existing.permissions());
    }
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::file("write", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::file("write", path, e.error))?;
    sync_dir(&dir);
    Ok(())
}

/// Makes a rename in `dir` durable. Best effort: not every platform can sync a folder.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes temporary files in `dir` that a killed plan-ai left: those whose writer is no
/// longer running (or, where that cannot be told, that are over an hour old). Returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        let writer = rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        let stale = match writer {
            Some(pid) if pid == std::process::id() => false,
            Some(pid) => !process_alive(pid).unwrap_or_else(|| older_than_an_hour(&entry)),
            None => older_than_an_hour(&entry),
        };
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process runs, where the platform can tell (`/proc` on Linux).
fn process_alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    proc.is_dir().then(|| proc.join(pid.to_string()).exists())
}

fn older_than_an_hour(entry: &std::fs::DirEntry) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > std::time::Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_dir_of_bare_and_nested_names() {
        let cases = [
            ("plan-ai.toml", "."),
            ("a/b.toml", "a"),
            ("/x/y/z.toml", "/x/y"),
            ("./p.toml", "."),
        ];
        for (input, want) in cases {
            assert_eq!(parent_dir(Path::new(input)), PathBuf::from(want), "{input}");
        }
    }

    #[test]
    fn limited_reads_stop_at_the_limit() {
        type Case<'a> = (&'a [u8], u64, Option<&'a [u8]>);
        let cases: &[Case] = &[
            (b"abc", 3, Some(b"abc")),
            (b"abc", 10, Some(b"abc")),
            (b"abcd", 3, None),
            (b"", 0, Some(b"")),
        ];
        for (input, max, want) in cases {
            let got = read_limited_from(*input, *max).unwrap();
            assert_eq!(got.as_deref(), *want, "{input:?} max {max}");
        }
        // An endless reader ends at the limit.
        assert_eq!(read_limited_from(std::io::repeat(0), 1000).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_opened_and_a_fifo_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let file = dir.path().join("plain.toml");
        std::fs::write(&file, "x").unwrap();
        let cases: [(&Path, Option<&[u8]>); 4] = [
            (&file, Some(b"x")),
            (&fifo, None),
            (Path::new("/dev/zero"), None),
            (dir.path(), None),
        ];
        for (path, want) in cases {
            let got = read_regular(path, 100);
            match want {
                Some(bytes) => assert_eq!(got.unwrap().as_deref(), Some(bytes)),
                None => assert!(got.is_err(), "{path:?}"),
            }
        }
        let e = read_regular(&fifo, 1).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.md");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // A new file is not left at a temp file's 0600 (the umask decides the rest).
        let fresh = dir.path().join("fresh.md");
        write_atomic(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_ne!(mode, 0o600, "{mode:o}");
        assert_eq!(mode & 0o600, 0o600);
    }

    #[test]
    fn stale_temp_files_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mine = format!("{TEMP_PREFIX}{}-abc", std::process::id());
        let dead = format!("{TEMP_PREFIX}{}-abc", u32::MAX - 7);
        for name in [&mine, &dead, &"keep.md".to_string()] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        assert_eq!(remove_stale_temp_files(dir.path()), 1);
        assert!(dir.path().join(&mine).exists());
        assert!(!dir.path().join(&dead).exists());
        assert!(dir.path().join("keep.md").exists());
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.md");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.md"]);
    }
}
