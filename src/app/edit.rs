//! `edit`: the section's current answer in `$VISUAL` or `$EDITOR` (pretty JSON for a
//! structured answer, Markdown for prose), as `git commit` opens its message. The saved file is
//! checked; an edit that does not fit opens again with the reasons on a terminal, and without
//! one is kept in a file the error names. Unchanged, emptied, or an editor that fails: nothing
//! is stored.

use super::Ctx;
use super::revise::{current, history, lock, read_document};
use crate::error::{Error, Result, exit};
use crate::run::editing::{self, Format, Saved};
use crate::run::record::How;
use crate::run::versions::Change;
use std::io::IsTerminal;
use std::path::Path;

/// An edited answer is a chat answer at most: far below this.
const MAX_EDIT_BYTES: u64 = 16 << 20;

pub fn edit(cx: &Ctx, id: &str) -> Result<i32> {
    let ws = cx.open()?;
    let filled = ws.fill_one(id)?;
    let id = filled.section.clone();
    let project = &ws.loaded.project;
    // Checked against the section's structure, whatever the endpoint's prose setting.
    let planned = ws.planned(std::slice::from_ref(&filled), false).remove(0);
    let structure = planned.structure.as_ref();
    let store = cx.store(&ws)?;
    let h = history(cx, &store, &id)?;
    let current = current(&h, &id, &cx.g.project)?.clone();
    let terminal = std::io::stdin().is_terminal();
    let editor = editor(terminal)?;
    let format = Format::of(&current);
    let path = store.dir().join("edit").join(format!(
        "{id}-{}.{}",
        std::process::id(),
        format.extension()
    ));
    let body = editing::body(&current);
    crate::fs::write_atomic(&path, (editing::header(&current, &[]) + &body).as_bytes())?;
    let done = |note: &str| {
        let _ = std::fs::remove_file(&path);
        cx.ui.status(format_args!("{note}; nothing stored"));
        Ok(exit::OK)
    };
    loop {
        run_editor(&editor, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&path);
        })?;
        let text = read_document(&path, MAX_EDIT_BYTES, "edited answer")?;
        let record = match editing::check(&current, &text, structure, project) {
            Saved::Unchanged => return done("no change"),
            Saved::Emptied => return done("the file is empty"),
            Saved::Valid(record) => record,
            Saved::Invalid(problems) if terminal => {
                let again = editing::header(&current, &problems) + editing::strip_header(&text);
                crate::fs::write_atomic(&path, again.as_bytes())?;
                continue;
            }
            Saved::Invalid(problems) => {
                return Err(Error::Data(format!(
                    "the edit of `{id}` does not fit its structure:\n  - {}\nNothing stored; the edit is kept in {}",
                    problems.join("\n  - "),
                    path.display()
                )));
            }
        };
        // Stored only if no other run made another version current meanwhile.
        let _lock = lock(cx, &store, &id)?;
        let now = store.history(&id)?.in_use;
        if now != Some(current.number()) {
            return Err(Error::Refused(format!(
                "`{id}` changed while it was being edited (version {} is in use now); nothing stored, the edit is kept in {}",
                now.map_or("none".into(), |n| n.to_string()),
                path.display()
            )));
        }
        let change = Change {
            how: How::Edited,
            based_on: Some(&current),
            feedback: None,
        };
        let c = store.commit(*record, change)?;
        let _ = std::fs::remove_file(&path);
        cx.ui.status(format_args!(
            "stored the edit of `{id}` as version {} (edited) in {}",
            c.number,
            c.version.display()
        ));
        return Ok(exit::OK);
    }
}

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi` on a terminal.
fn editor(terminal: bool) -> Result<String> {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match set("VISUAL").or_else(|| set("EDITOR")) {
        Some(e) => Ok(e),
        None if terminal => Ok("vi".into()),
        None => Err(Error::Usage(
            "no editor: set $VISUAL or $EDITOR (e.g. EDITOR=nano)".into(),
        )),
    }
}

/// Runs the editor on `path`, as git does: through the shell, so `$EDITOR` may carry
/// arguments (`code --wait`). A failure to start or a non-zero exit stores nothing.
fn run_editor(editor: &str, path: &Path) -> Result<()> {
    #[cfg(unix)]
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(editor)
        .arg(path)
        .status();
    #[cfg(not(unix))]
    let status = std::process::Command::new(editor).arg(path).status();
    let status = status.map_err(|e| Error::io(format!("cannot start the editor `{editor}`"), e))?;
    if !status.success() {
        return Err(Error::Other(format!(
            "the editor `{editor}` exited with {}; nothing stored",
            status
                .code()
                .map_or("a signal".to_string(), |c| format!("status {c}"))
        )));
    }
    Ok(())
}
