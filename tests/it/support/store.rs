//! The run store a project keeps next to its file (`.plan-ai/sections/ID.json`), and the
//! temp files atomic writes leave when they go wrong.

use super::cli::Sandbox;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the sandbox project's stored record for a section lives.
pub fn section_path(sb: &Sandbox, id: &str) -> PathBuf {
    sb.file(&format!(".plan-ai/sections/{id}.json"))
}

/// The stored record for a section, parsed (panics when it is there but not JSON).
pub fn stored(sb: &Sandbox, id: &str) -> Option<Value> {
    let text = std::fs::read_to_string(section_path(sb, id)).ok()?;
    Some(
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{id}.json is not valid JSON ({e}):\n{text}")),
    )
}

/// The stored record for a section; panics when there is none.
#[track_caller]
pub fn stored_record(sb: &Sandbox, id: &str) -> Value {
    stored(sb, id).unwrap_or_else(|| panic!("no stored record for {id}"))
}

/// The stored record's answer text.
#[track_caller]
pub fn stored_answer(sb: &Sandbox, id: &str) -> String {
    stored_record(sb, id)
        .get("answer")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{id}.json has no answer"))
        .to_string()
}

/// Every file under `dir` whose name starts with the atomic-write temp prefix.
pub fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if entry
            .file_name()
            .to_string_lossy()
            .starts_with(".plan-ai-tmp-")
        {
            found.push(path);
        }
    }
    found
}
