//! One error type for the whole tool, and the exit code each kind maps to.
//!
//! Exit codes are part of the interface (documented in the README and `--help`), so they are
//! defined here once and nowhere else.

use std::fmt;
use std::path::{Path, PathBuf};

/// Process exit codes. Stable: scripts depend on them.
pub mod exit {
    pub const OK: i32 = 0;
    /// I/O failure, refused overwrite, or anything not covered below.
    pub const FAILURE: i32 = 1;
    /// Bad command line (clap uses 2 as well).
    pub const USAGE: i32 = 2;
    /// The project file or a template is malformed or lacks data a section needs.
    pub const DATA: i32 = 3;
    /// The endpoint failed: unreachable, HTTP error, broken stream, timeout.
    pub const ENDPOINT: i32 = 4;
    /// Configuration or key problem: bad config file, unknown profile, keyring unavailable.
    pub const CONFIG: i32 = 5;
    /// The draft is incomplete: some sections have no stored answer yet.
    pub const INCOMPLETE: i32 = 6;
    /// Interrupted by Ctrl-C (128 + SIGINT).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug)]
pub enum Error {
    /// Bad project data or template; the message is complete (may span lines).
    Data(String),
    Endpoint(String),
    Config(String),
    Incomplete(String),
    Usage(String),
    Interrupted,
    Io {
        context: String,
        source: std::io::Error,
    },
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Data(_) => exit::DATA,
            Error::Endpoint(_) => exit::ENDPOINT,
            Error::Config(_) => exit::CONFIG,
            Error::Incomplete(_) => exit::INCOMPLETE,
            Error::Usage(_) => exit::USAGE,
            Error::Interrupted => exit::INTERRUPTED,
            Error::Io { .. } | Error::Other(_) => exit::FAILURE,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An I/O error about a file, worded the way people read it.
    pub fn file(action: &str, path: &Path, source: std::io::Error) -> Self {
        Error::io(format!("cannot {action} {}", path.display()), source)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(m)
            | Error::Endpoint(m)
            | Error::Config(m)
            | Error::Incomplete(m)
            | Error::Usage(m)
            | Error::Other(m) => f.write_str(m),
            Error::Interrupted => f.write_str("interrupted"),
            Error::Io { context, source } => write!(f, "{context}: {}", describe_io(source)),
        }
    }
}

impl std::error::Error for Error {}

/// `std::io::Error`'s Display adds "(os error 2)"; people need the words only.
fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a folder, not a file".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the target. A crash or Ctrl-C leaves either the old file or the new one.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
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
