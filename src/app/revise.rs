//! `revise`: the model revises a section's current answer with feedback (the whole answer, or
//! one item with `--only`), and the result becomes a new version; `prompt SECTION --revise`
//! and the `paste` that brings a chat tool's revision back.

use super::ask::{self, One};
use super::{Ctx, hints, project_flag};
use crate::cli::{PromptArgs, ReviseArgs};
use crate::endpoint::{self, Config};
use crate::error::{Error, Result, exit};
use crate::project::Project;
use crate::run::record::How;
use crate::run::section::outgoing;
use crate::run::versions::{self, Change, History, PendingRevision};
use crate::run::{Store, StoredSection, revise};
use crate::sanitize::strip_controls;
use crate::sections::items::{self, Item};
use crate::sections::{Kind, Structure};
use crate::term::progress::Receiving;
use crate::term::report;
use crate::text::{list_en, shell_word};
use std::path::{Path, PathBuf};

/// Feedback is a few sentences; a file far bigger than this is not feedback.
const MAX_FEEDBACK_BYTES: u64 = 1 << 20;

pub fn revise(cx: &Ctx, args: &ReviseArgs) -> Result<i32> {
    let feedback = feedback(args.feedback.as_deref(), args.file.as_deref())?;
    let ws = cx.open()?;
    let filled = ws.fill_one(&args.section)?;
    let id = filled.section.clone();
    let project = &ws.loaded.project;
    let cfg = Config::load()?;
    let endpoint = endpoint::resolve(&cfg, &cx.overrides(&args.tuning), &project.endpoint)?;
    let planned = ws
        .planned(std::slice::from_ref(&filled), endpoint.prose)
        .remove(0);
    let full = planned.structure.as_ref();
    let only = match &args.only {
        Some(name) => Some(item(&id, full, project, name)?),
        None => None,
    };
    let store = cx.store(&ws)?;
    let _lock = lock(cx, &store, &id)?;
    let history = history(cx, &store, &id)?;
    let current = current(&history, &id, &cx.g.project)?.clone();
    if !current.is_current(&filled, None) {
        cx.ui.note(format_args!(
            "version {} of `{id}` was made from an earlier prompt; the revision is asked with today's",
            current.number()
        ));
    }
    if let Some(item) = &only
        && current
            .structured
            .as_ref()
            .and_then(|v| item.get(v))
            .is_none()
    {
        return Err(Error::Usage(format!(
            "version {} of `{id}` has no structured `{}` to revise (it is prose, or lacks that item); revise the whole section without --only",
            current.number(),
            item.label
        )));
    }
    let asked = revise::conversation(&filled, &current, &feedback);
    let narrowed = only.as_ref().zip(full).map(|(i, f)| i.narrow(f));
    let mut sink = Receiving::new(cx.ui, &id);
    let one = One {
        filled: &asked,
        structure: narrowed.as_ref().or(full),
        project,
        privacy: ws.privacy,
        stream: endpoint.stream && !args.no_stream,
    };
    let generated = ask::generate(cx, &endpoint, Some(&store), &one, &mut sink)?;
    sink.done();
    let record = revise::record(
        &filled,
        &endpoint,
        full,
        &generated,
        only.as_ref().map(|i| (i, &current)),
        project,
    )?;
    let change = Change {
        how: revise::how(only.as_ref()),
        based_on: Some(&current),
        feedback: Some(feedback.clone()),
    };
    let committed = store.commit(record.clone(), change)?;
    let changes = versions::compare(&current, &record);
    let out = if args.json {
        let answer = match &record.structured {
            Some(v) => v.clone(),
            None => serde_json::Value::String(record.answer.clone()),
        };
        let view = serde_json::json!({
            "section": id,
            "version": committed.number,
            "based_on": current.number(),
            "how": revise::how(only.as_ref()).label(),
            "answer": answer,
            "changes": changes.summary(),
        });
        serde_json::to_string_pretty(&view).unwrap_or_default() + "\n"
    } else {
        let mut out = crate::text::with_newline(&ask::with_names(&ws, &record.answer));
        out.push_str(&format!("\nChanges since version {}:\n", current.number()));
        match changes.summary().as_slice() {
            [] => out.push_str("- none: the model sent the same answer\n"),
            lines => lines.iter().for_each(|l| out.push_str(&format!("- {l}\n"))),
        }
        out
    };
    cx.ui.result(&out)?;
    cx.ui.status(format_args!(
        "stored as version {} of `{id}` ({}) in {}",
        committed.number,
        revise::how(only.as_ref()).label(),
        committed.version.display()
    ));
    cx.ui.status(report::answer_summary(
        &generated.answer,
        generated.requests,
    ));
    if let Some(why) = &generated.unstructured {
        cx.ui.warn(report::unstructured_warning(&id, why));
    }
    if let (Some(value), Some(full)) = (&record.structured, full)
        && let Ok(typed) = full.check(value, project)
    {
        for w in typed.warnings(project) {
            cx.ui.warn(format_args!("{id}: {w}"));
        }
    }
    Ok(exit::OK)
}

/// The item `--only` names, or a usage error listing the valid ones.
fn item(id: &str, full: Option<&Structure>, p: &Project, name: &str) -> Result<Item> {
    let Some(kind) = full.and_then(|s| s.kind) else {
        return Err(Error::Usage(format!(
            "--only revises one item of a built-in structured section ({}); `{id}` is not one here",
            list_en(&Kind::ALL.map(Kind::id))
        )));
    };
    items::find(kind, p, name).map_err(|known| {
        let what = match kind {
            Kind::Communication => "groups",
            Kind::Resistance => "resistance points",
            Kind::Metrics => "metrics",
            Kind::Engagement => "stakeholders",
        };
        Error::Usage(format!(
            "`{id}` has no item `{}`; {what}: {}",
            strip_controls(name),
            known.join(", ")
        ))
    })
}

/// The section's revision lock; a second run waits for the first, and says so.
pub(super) fn lock(cx: &Ctx, store: &Store, id: &str) -> Result<versions::SectionLock> {
    store.lock_section(id, || {
        cx.ui.note(format_args!(
            "another run is revising `{id}`; waiting for it to finish"
        ))
    })
}

/// The section's versions, with unreadable files said.
pub(super) fn history(cx: &Ctx, store: &Store, id: &str) -> Result<History> {
    let h = store.history(id)?;
    for p in &h.problems {
        cx.ui.warn(p);
    }
    Ok(h)
}

/// The version in use, or why there is none.
pub(super) fn current<'h>(h: &'h History, id: &str, project: &Path) -> Result<&'h StoredSection> {
    h.current().ok_or_else(|| hints::no_answer(id, project))
}

/// The feedback: the argument, or a file (`-f FILE`), or standard input (`-`), cleaned of
/// terminal escapes. Bounded; a FIFO or device is refused; an empty one is a usage error.
fn feedback(arg: Option<&str>, file: Option<&Path>) -> Result<String> {
    let stdin = arg == Some("-") || file == Some(Path::new("-"));
    let text = match (stdin, file) {
        (true, _) => {
            let bytes = crate::fs::read_limited_from(std::io::stdin(), MAX_FEEDBACK_BYTES)
                .map_err(|e| Error::io("cannot read standard input", e))?;
            let bytes = bytes.ok_or_else(|| too_long(Path::new("standard input")))?;
            String::from_utf8(bytes).map_err(|_| {
                Error::Data("the feedback on standard input is not UTF-8 text".into())
            })?
        }
        (false, Some(path)) => read_document(path, MAX_FEEDBACK_BYTES, "feedback")?,
        (false, None) => arg.unwrap_or_default().to_string(),
    };
    let text = strip_controls(&text).trim().to_string();
    if text.is_empty() {
        return Err(Error::Usage(
            "the feedback is empty: say what to change".into(),
        ));
    }
    Ok(text)
}

fn too_long(what: &Path) -> Error {
    Error::Data(format!(
        "{} is longer than {}; feedback is never that long",
        what.display(),
        crate::text::bytes(MAX_FEEDBACK_BYTES)
    ))
}

/// A person's document (feedback, an edited answer): a regular file of at most `max` bytes of
/// UTF-8. A FIFO, device or folder is refused before it is opened (reading one could block
/// forever or never end).
pub(super) fn read_document(path: &Path, max: u64, what: &str) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::file("read", path, e))?;
    if !meta.is_file() {
        return Err(Error::Data(format!(
            "{} is not a regular file (a FIFO, device or folder); give the {what} in a file",
            path.display()
        )));
    }
    let bytes = crate::fs::read_limited(path, max)
        .map_err(|e| Error::file("read", path, e))?
        .ok_or_else(|| {
            Error::Data(format!(
                "{} is longer than {}; refusing to read it as the {what}",
                path.display(),
                crate::text::bytes(max)
            ))
        })?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Data(format!("{}: not valid UTF-8 text", path.display())))
}

/// `prompt SECTION --revise FEEDBACK`: the follow-up prompt for a chat tool, remembered so
/// that `paste SECTION` records the answer as a revision.
pub fn prompt(cx: &Ctx, args: &PromptArgs, feedback: &str) -> Result<i32> {
    let [id] = args.sections.as_slice() else {
        return Err(Error::Usage("--revise takes exactly one section".into()));
    };
    let feedback = strip_controls(feedback).trim().to_string();
    if feedback.is_empty() {
        return Err(Error::Usage(
            "the feedback is empty: say what to change".into(),
        ));
    }
    let ws = cx.open()?;
    let filled = ws.fill_one(id)?;
    let id = filled.section.clone();
    let store = cx.store(&ws)?;
    let h = history(cx, &store, &id)?;
    let current = current(&h, &id, &cx.g.project)?;
    let planned = ws.planned(std::slice::from_ref(&filled), false).remove(0);
    // The schema only when the answer is structured: a prose answer is revised as prose.
    let structure = planned
        .structure
        .as_ref()
        .filter(|_| current.structured.is_some());
    let text = revise::followup_prompt(&filled, structure, current, &feedback);
    // What is pasted into a chat tool leaves this machine too: the same guard as a request.
    let message = crate::chat::Message::user(text);
    let project = &ws.loaded.project;
    let text = outgoing(&[message], None, &id, project, ws.privacy)?
        .remove(0)
        .content;
    let pending = PendingRevision {
        feedback,
        based_on: current.number(),
        created_at: crate::text::now_rfc3339(),
    };
    store.save_pending_revision(&id, &pending)?;
    cx.ui.result(&text)?;
    cx.ui.hint(format_args!(
        "paste the chat tool's answer back with `plan-ai paste {}{}`: it is stored as a revision of version {}",
        shell_word(&id),
        project_flag(&cx.g.project),
        current.number()
    ));
    Ok(exit::OK)
}

/// Stores a pasted answer: a revision when `prompt --revise` printed its prompt, else a
/// pasted version. Returns where it went and what it is.
pub fn store_paste(store: &Store, stored: StoredSection) -> Result<(PathBuf, String)> {
    let id = stored.section.clone();
    let Some(pending) = store.pending_revision(&id) else {
        let change = Change::first(&stored);
        let c = store.commit(stored, change)?;
        return Ok((c.current, format!("version {}", c.number)));
    };
    let h = store.history(&id)?;
    let change = Change {
        how: How::Revised,
        based_on: h.get(pending.based_on),
        feedback: Some(pending.feedback.clone()),
    };
    let c = store.commit(stored, change)?;
    store.clear_pending_revision(&id);
    Ok((
        c.current,
        format!(
            "version {}, revised from version {} with: {}",
            c.number,
            pending.based_on,
            crate::text::snippet(pending.feedback.lines().next().unwrap_or_default(), 60)
        ),
    ))
}
