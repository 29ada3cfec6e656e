//! A section's versions: `history` (one line each), `diff` (two of them compared) and `use`
//! (an earlier one made current again, as a new version: nothing is ever deleted).

use super::revise::{current, history as read_history, lock};
use super::{Ctx, project_flag};
use crate::error::{Error, Result, exit};
use crate::run::record::How;
use crate::run::versions::{self, Change, History};
use crate::run::workspace::Workspace;
use crate::run::{Store, StoredSection};
use crate::text::shell_word;
use serde::Serialize;

/// A version as `history --json` shows it.
#[derive(Serialize)]
struct VersionView<'a> {
    version: u32,
    how: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restored_from: Option<u32>,
    based_on: Option<u32>,
    created: &'a str,
    model: Option<&'a str>,
    tokens: Option<u64>,
    feedback: Option<&'a str>,
    in_use: bool,
}

fn how_word(how: &How) -> &'static str {
    match how {
        How::Generated => "generated",
        How::Revised => "revised",
        How::RevisedOnly { .. } => "revised-only",
        How::Pasted => "pasted",
        How::Edited => "edited",
        How::Restored { .. } => "restored",
    }
}

fn view<'a>(v: &'a StoredSection, in_use: Option<u32>) -> VersionView<'a> {
    let meta = v.version.as_ref();
    let how = meta.map(|m| &m.how);
    VersionView {
        version: v.number(),
        how: how_word(&v.how()),
        item: match how {
            Some(How::RevisedOnly { item }) => Some(item),
            _ => None,
        },
        restored_from: match how {
            Some(How::Restored { from }) => Some(*from),
            _ => None,
        },
        based_on: meta.and_then(|m| m.based_on),
        created: &v.created_at,
        model: v.model.as_deref(),
        tokens: v.usage.map(|u| u.total_tokens),
        feedback: meta.and_then(|m| m.feedback.as_deref()),
        in_use: in_use == Some(v.number()),
    }
}

/// The section's store, after checking that the project has such a section.
fn open(cx: &Ctx, id: &str) -> Result<(Workspace, Store, String)> {
    let ws = cx.open()?;
    let id = ws.catalog.select(&[id.to_string()])?[0].id.clone();
    let store = cx.store(&ws)?;
    Ok((ws, store, id))
}

/// Every version of the section, or why there is none.
fn versions(cx: &Ctx, store: &Store, id: &str) -> Result<History> {
    let h = read_history(cx, store, id)?;
    if h.versions.is_empty() {
        return Err(super::hints::no_answer(id, &cx.g.project));
    }
    Ok(h)
}

pub fn history(cx: &Ctx, id: &str, json: bool) -> Result<i32> {
    let (_ws, store, id) = open(cx, id)?;
    let h = versions(cx, &store, &id)?;
    let views: Vec<VersionView> = h.versions.iter().map(|v| view(v, h.in_use)).collect();
    if json {
        let text = serde_json::to_string_pretty(&views).map_err(|e| Error::Other(e.to_string()))?;
        cx.ui.result(&(text + "\n"))?;
        return Ok(exit::OK);
    }
    let hows: Vec<String> = h.versions.iter().map(|v| v.how().label()).collect();
    let width = hows.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let model_width = views
        .iter()
        .map(|v| v.model.unwrap_or("-").chars().count())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for (v, how) in views.iter().zip(&hows) {
        let tokens = v.tokens.map_or("-".to_string(), |t| format!("{t} tokens"));
        let feedback = v
            .feedback
            .map(|f| crate::text::snippet(f.lines().next().unwrap_or_default(), 72))
            .unwrap_or_default();
        let line = format!(
            "{} {:>3}  {}  {how:<width$}  {:<model_width$}  {tokens:>11}  {feedback}",
            if v.in_use { "*" } else { " " },
            v.version,
            v.created,
            v.model.unwrap_or("-"),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    cx.ui.result(&out)?;
    if let Some(n) = h.in_use {
        cx.ui.status(format_args!("* version {n} is in use"));
    }
    Ok(exit::OK)
}

/// The version numbered `n`, or a usage error listing those there are.
fn get(h: &History, n: u32) -> Result<&StoredSection> {
    h.get(n).ok_or_else(|| {
        let have: Vec<String> = h.numbers().iter().map(u32::to_string).collect();
        Error::Usage(format!(
            "`{}` has no version {n}; versions: {}",
            h.section,
            have.join(", ")
        ))
    })
}

#[derive(Serialize)]
struct DiffView<'a> {
    section: &'a str,
    a: VersionView<'a>,
    b: VersionView<'a>,
    diff: crate::sections::diff::Diff,
}

pub fn diff(cx: &Ctx, id: &str, a: Option<u32>, b: Option<u32>, json: bool) -> Result<i32> {
    let (_ws, store, id) = open(cx, id)?;
    let h = versions(cx, &store, &id)?;
    let newer = match b {
        Some(n) => get(&h, n)?,
        None => current(&h, &id, &cx.g.project)?,
    };
    let older = match a {
        Some(n) => get(&h, n)?,
        None => h.before(newer.number()).ok_or_else(|| {
            Error::Usage(format!(
                "nothing to compare: version {} is the first of `{id}` (see `plan-ai history {}{}`)",
                newer.number(),
                shell_word(&id),
                project_flag(&cx.g.project)
            ))
        })?,
    };
    let d = versions::compare(older, newer);
    if json {
        let v = DiffView {
            section: &id,
            a: view(older, h.in_use),
            b: view(newer, h.in_use),
            diff: d,
        };
        let text = serde_json::to_string_pretty(&v).map_err(|e| Error::Other(e.to_string()))?;
        cx.ui.result(&(text + "\n"))?;
        return Ok(exit::OK);
    }
    let mut out = format!("{} → {}\n", versions::title(older), versions::title(newer));
    match d.is_empty() {
        true => out.push_str("no differences\n"),
        false => out.push_str(&d.to_text()),
    }
    cx.ui.result(&out)?;
    Ok(exit::OK)
}

pub fn use_version(cx: &Ctx, id: &str, n: u32) -> Result<i32> {
    let (ws, store, id) = open(cx, id)?;
    let _lock = lock(cx, &store, &id)?;
    let h = versions(cx, &store, &id)?;
    let chosen = get(&h, n)?;
    if h.in_use == Some(n) {
        cx.ui.status(format_args!(
            "version {n} of `{id}` is already in use; nothing recorded"
        ));
        return Ok(exit::OK);
    }
    let mut record = chosen.clone();
    record.created_at = crate::text::now_rfc3339();
    record.usage = None;
    let change = Change {
        how: How::Restored { from: n },
        based_on: Some(chosen),
        feedback: None,
    };
    let c = store.commit(record, change)?;
    cx.ui.status(format_args!(
        "version {n} of `{id}` is in use again, stored as version {} (restored from {n})",
        c.number
    ));
    if let Ok(filled) = ws.fill_one(&id)
        && !chosen.is_current(&filled, None)
    {
        cx.ui.warn(format_args!(
            "version {n} of `{id}` was made from an earlier prompt (the project file or template changed since); `plan-ai draft --regenerate {}{}` asks anew",
            shell_word(&id),
            project_flag(&cx.g.project)
        ));
    }
    Ok(exit::OK)
}

/// Says which versions a regeneration of `id` supersedes (a person's, in use): they stay in
/// its history.
pub(super) fn say_superseded(cx: &Ctx, store: &Store, id: &str, project: &std::path::Path) {
    let Ok(h) = store.history(id) else {
        return;
    };
    let gone: Vec<String> = h
        .superseded()
        .iter()
        .map(|v| format!("{} ({})", v.number(), v.how().label()))
        .collect();
    if gone.is_empty() {
        return;
    }
    // In a portfolio run the project is named first (the flag alone would not say which).
    let whose = if project == cx.g.project {
        String::new()
    } else {
        format!("{}: ", project.display())
    };
    cx.ui.note(format_args!(
        "{whose}`{id}`: the new answer supersedes version{} {}; {} in `plan-ai history {}{}`",
        if gone.len() == 1 { "" } else { "s" },
        crate::text::list_en(&gone),
        if gone.len() == 1 {
            "it stays"
        } else {
            "they stay"
        },
        shell_word(id),
        project_flag(project)
    ));
}
