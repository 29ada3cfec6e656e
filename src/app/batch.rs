//! `--batch` and `portfolio collect`: submitting to a provider's Batch API and bringing the
//! results back.

use super::open::{Kept, Opened, Renew};
use super::{Ctx, runtime};
use crate::error::{Result, exit};
use crate::llm::Client;
use crate::run::batch::Member;
use crate::run::batch_api;
use crate::run::portfolio::Status;
use crate::text::plural;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The opened projects as members of a Batch API round trip (nothing is asked again).
fn members(opened: Vec<Opened>) -> Vec<Member<Kept>> {
    opened
        .into_iter()
        .map(|o| {
            let label = o.label();
            o.into_member(Renew::default(), Some(label))
        })
        .collect()
}

/// One client per distinct endpoint, for the members `wanted` says need one.
async fn connect<C>(
    cx: &Ctx<'_>,
    members: &[Member<C>],
    wanted: impl Fn(&Member<C>) -> bool,
) -> Result<Vec<Option<Arc<Client>>>> {
    let notify = cx.notify(None);
    let mut by_key: HashMap<String, Arc<Client>> = HashMap::new();
    let mut out = Vec::new();
    for m in members {
        if !wanted(m) {
            out.push(None);
            continue;
        }
        let key = m.endpoint_key();
        let client = match by_key.get(&key) {
            Some(c) => c.clone(),
            None => {
                let c = Arc::new(Client::connect(m.endpoint.clone(), &notify).await?);
                by_key.insert(key, c.clone());
                c
            }
        };
        out.push(Some(client));
    }
    Ok(out)
}

/// Submits what the projects need to their endpoints' Batch API; `collect_paths` is what
/// `plan-ai portfolio collect` is told to look at (shell-quoted).
pub fn submit(
    cx: &Ctx,
    opened: Vec<Opened>,
    broken: Vec<Status>,
    collect_paths: &str,
) -> Result<i32> {
    for b in &broken {
        let why = b.broken.as_deref().unwrap_or_default();
        let first = why.lines().next().unwrap_or_default();
        cx.ui
            .warn(format_args!("{}: skipped: {first}", b.path.display()));
    }
    let members = members(opened);
    let notify = cx.notify(None);
    let submitted = runtime()?.block_on(async {
        let clients = connect(cx, &members, |m| m.store.batch_state().is_some()).await?;
        // Results already back are stored first, so nothing is bought twice.
        if clients.iter().any(Option::is_some) {
            batch_api::collect(&members, &clients, &notify).await?;
        }
        let clients = connect(cx, &members, |_| true).await?;
        batch_api::submit(&members, &clients).await
    })?;
    if submitted.is_empty() {
        cx.ui.status(
            "nothing to submit: every section has a current answer or is already in a batch",
        );
    }
    for s in &submitted {
        cx.ui.status(format_args!(
            "submitted batch {} with {} for {}; results within 24 hours: `plan-ai portfolio collect {collect_paths}`",
            s.batch_id,
            plural(s.requests, "request"),
            plural(s.projects, "project")
        ));
    }
    Ok(if broken.is_empty() {
        exit::OK
    } else {
        exit::DATA
    })
}

/// Stores what the projects' batches brought back; the exit code says whether all did.
pub fn collect(cx: &Ctx, opened: Vec<Opened>) -> Result<(i32, Vec<Member<Kept>>)> {
    let members = members(opened);
    let notify = cx.notify(None);
    let report = runtime()?.block_on(async {
        let clients = connect(cx, &members, |m| m.store.batch_state().is_some()).await?;
        batch_api::collect(&members, &clients, &notify).await
    })?;
    for (id, status, done, total) in &report.running {
        cx.ui.status(format_args!(
            "batch {id} is {status} ({done} of {total} done); collect again later"
        ));
    }
    for (id, why) in &report.unreachable {
        cx.ui.warn(format_args!(
            "batch {id}: could not be collected ({why}); it stays, collect again later"
        ));
    }
    cx.ui.status(format_args!(
        "collected {}; {} failed and will be sent again with the next --batch run",
        plural(report.stored, "section"),
        report.failed.len()
    ));
    let code = if report.failed.is_empty() && report.unreachable.is_empty() {
        exit::OK
    } else {
        exit::ENDPOINT
    };
    Ok((code, members))
}

/// Before a real-time run: stores whatever finished batches brought back. Problems are said,
/// not fatal: the run asks for what is still missing.
pub fn collect_quietly<C>(cx: &Ctx, members: &[Member<C>]) -> Result<()> {
    let batched = |m: &Member<C>| m.store.batch_state().is_some_and(|s| s.batch_id.is_some());
    if !members.iter().any(batched) {
        return Ok(());
    }
    let notify = cx.notify(None);
    let result = runtime()?.block_on(async {
        let clients = connect(cx, members, |m| m.store.batch_state().is_some()).await?;
        batch_api::collect(members, &clients, &notify).await
    });
    match result {
        Ok(r) => {
            for (id, why) in &r.unreachable {
                cx.ui.warn(format_args!(
                    "batch {id}: could not be collected ({why}); it stays, collect again later"
                ));
            }
            if r.stored > 0 {
                cx.ui.status(format_args!(
                    "collected {} from a batch",
                    plural(r.stored, "section")
                ));
            }
        }
        Err(e) => cx.ui.warn(format_args!(
            "could not collect batch results: {}",
            e.headline()
        )),
    }
    Ok(())
}

/// Says so when a project's `batch.json` is there but cannot be read: its sections are then
/// not held back, and may be requested although a batch was bought for them.
pub fn say_unreadable_batch(cx: &Ctx, store: &crate::run::store::Store, project: &Path) {
    if let Some(why) = store.batch_state_unreadable() {
        cx.ui.warn(format_args!(
            "{}: {} cannot be read ({why}): no section is held back for a batch; `plan-ai batch forget{}` removes it",
            project.display(),
            store.dir().join("batch.json").display(),
            super::project_flag(project)
        ));
    }
}

/// `batch forget`: the project stops waiting for its batch.
pub fn forget(cx: &Ctx) -> Result<i32> {
    let ws = cx.open()?;
    let store = cx.store(&ws)?;
    let path = ws.loaded.path.display();
    match store.forget_batch()? {
        Some(state) => {
            let ids: Vec<&str> = state.sections.keys().map(String::as_str).collect();
            cx.ui.status(format_args!(
                "forgot batch {} of {path}: {} ({}) no longer wait for it; the next draft requests them, and what the batch brings back later is not collected",
                state.batch_id.as_deref().unwrap_or("(not sent)"),
                plural(ids.len(), "section"),
                ids.join(", ")
            ));
        }
        None => cx.ui.status(format_args!("{path} waits for no batch")),
    }
    Ok(exit::OK)
}
