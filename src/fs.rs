//! File helpers: the folder a file lives in, and atomic writes.

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

/// Writes `contents` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the target. A crash or Ctrl-C leaves either the old file or the new one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(|e| Error::file("create folder", &dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".plan-ai-tmp-")
        .tempfile_in(&dir)
        .map_err(|e| Error::file("write to", &dir, e))?;
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::file("write", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::file("write", path, e.error))?;
    Ok(())
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
