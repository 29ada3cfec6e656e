//! The names a project file's store and plan take: distinct files never share them.

use super::fnv;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The name of a project file's own store (and plan) when it is not the default
/// `plan-ai.toml`: `crm.toml` → `crm`. Distinct files never share one: a name that is not a
/// plain `NAME.toml` (`...toml`, `a~b.toml`, `crm` without `.toml`, one with control
/// characters or not UTF-8) gets what can be shown of it and a hash of its exact bytes,
/// `NAME~0123abcd…`; a plain name never holds `~`, so the two kinds never meet.
pub fn project_stem(project_file: &Path) -> Option<String> {
    let raw = project_file.file_name()?;
    let name = raw.to_str();
    if name == Some("plan-ai.toml") {
        return None;
    }
    let plain = name
        .and_then(|n| n.strip_suffix(".toml"))
        .filter(|stem| is_plain_stem(stem));
    if let Some(stem) = plain {
        return Some(stem.to_string());
    }
    let lossy = raw.to_string_lossy();
    let shown: String = lossy
        .chars()
        .map(|c| if is_plain_char(c) { c } else { '_' })
        .skip_while(|c| *c == '.')
        .take(60)
        .collect();
    Some(format!("{shown}~{:016x}", fnv(raw.as_encoded_bytes())))
}

fn is_plain_char(c: char) -> bool {
    !c.is_control()
        && !matches!(
            c,
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '~'
        )
}

fn is_plain_stem(stem: &str) -> bool {
    !stem.is_empty() && !stem.starts_with('.') && stem.chars().all(is_plain_char)
}

/// Refuses a project file whose name cannot be shown (not UTF-8): its store, plan and every
/// message name it.
pub fn check_project_name(project_file: &Path) -> Result<()> {
    match project_file.file_name() {
        Some(name) if name.to_str().is_none() => Err(Error::Data(format!(
            "{}: a project file's name must be valid UTF-8 (it names the project's store and plan); rename it",
            project_file.display()
        ))),
        _ => Ok(()),
    }
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
