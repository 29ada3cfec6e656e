//! `--batch` and `portfolio collect`: submitting to a provider's Batch API and bringing the
//! results back.

use super::portfolio::Opened;
use super::{print_notice, runtime};
use crate::cli::{Global, PortfolioPaths};
use crate::error::{Result, exit};
use crate::llm::Client;
use crate::run::batch::Member;
use crate::run::batch_api;
use crate::run::portfolio::Status;
use std::collections::HashMap;
use std::sync::Arc;

fn members(opened: &[Opened]) -> Vec<Member> {
    opened
        .iter()
        .map(|o| Member {
            prefix: Some(o.label()),
            sections: o.planned.clone(),
            project: Arc::new(o.ws.loaded.project.clone()),
            store: o.store.clone(),
            endpoint: o.endpoint.clone(),
            fresh: false,
            regenerate: Vec::new(),
            context: (),
        })
        .collect()
}

/// One client per distinct endpoint, for the members `wanted` says need one.
async fn connect(
    members: &[Member],
    wanted: impl Fn(&Member) -> bool,
    g: &Global,
) -> Result<Vec<Option<Arc<Client>>>> {
    let notify = print_notice(g.verbose);
    let mut by_key: HashMap<String, Arc<Client>> = HashMap::new();
    let mut out = Vec::new();
    for m in members {
        if !wanted(m) {
            out.push(None);
            continue;
        }
        let e = &m.endpoint;
        let key = format!(
            "{}\n{}\n{:?}",
            e.profile, e.transport.base_url, e.request.model
        );
        let client = match by_key.get(&key) {
            Some(c) => c.clone(),
            None => {
                let c = Arc::new(Client::connect(e.clone(), &notify).await?);
                by_key.insert(key, c.clone());
                c
            }
        };
        out.push(Some(client));
    }
    Ok(out)
}

pub fn submit(
    opened: &[Opened],
    broken: Vec<Status>,
    paths: &PortfolioPaths,
    g: &Global,
) -> Result<i32> {
    for b in &broken {
        eprintln!(
            "{}: skipped: {}",
            b.path.display(),
            b.broken
                .as_deref()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
        );
    }
    let members = members(opened);
    let notify = print_notice(g.verbose);
    let submitted = runtime()?.block_on(async {
        let clients = connect(&members, |m| m.store.batch_state().is_some(), g).await?;
        // Results already back are stored first, so nothing is bought twice.
        if clients.iter().any(Option::is_some) {
            batch_api::collect(&members, &clients, &notify).await?;
        }
        let clients = connect(&members, |_| true, g).await?;
        batch_api::submit(&members, &clients).await
    })?;
    if submitted.is_empty() {
        eprintln!("nothing to submit: every section has a current answer or is already in a batch");
    }
    let where_ = paths
        .paths
        .iter()
        .map(|p| crate::text::shell_word(&p.display().to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    for s in &submitted {
        eprintln!(
            "submitted batch {} with {} for {}; results within 24 hours: `plan-ai portfolio collect {where_}`",
            s.batch_id,
            crate::text::plural(s.requests, "request"),
            crate::text::plural(s.projects, "project")
        );
    }
    Ok(if broken.is_empty() {
        exit::OK
    } else {
        exit::DATA
    })
}

/// Stores what the members' batches brought back; the exit code says whether all did.
pub fn collect(opened: &[Opened], g: &Global) -> Result<i32> {
    let members = members(opened);
    let notify = print_notice(g.verbose);
    let report = runtime()?.block_on(async {
        let clients = connect(&members, |m| m.store.batch_state().is_some(), g).await?;
        batch_api::collect(&members, &clients, &notify).await
    })?;
    for (id, status, done, total) in &report.running {
        eprintln!("batch {id} is {status} ({done} of {total} done); collect again later");
    }
    eprintln!(
        "collected {}; {} failed and will be sent again with the next --batch run",
        crate::text::plural(report.stored, "section"),
        report.failed.len()
    );
    Ok(if report.failed.is_empty() {
        exit::OK
    } else {
        exit::ENDPOINT
    })
}

/// Before a real-time run: stores whatever finished batches brought back. Problems are
/// said, not fatal: the run asks for what is still missing.
pub fn collect_quietly(opened: &[Opened], g: &Global) -> Result<()> {
    let members = members(opened);
    if !members
        .iter()
        .any(|m| m.store.batch_state().is_some_and(|s| s.batch_id.is_some()))
    {
        return Ok(());
    }
    let notify = print_notice(g.verbose);
    let result = runtime()?.block_on(async {
        let clients = connect(&members, |m| m.store.batch_state().is_some(), g).await?;
        batch_api::collect(&members, &clients, &notify).await
    });
    match result {
        Ok(r) if r.stored > 0 => eprintln!(
            "collected {} from a batch",
            crate::text::plural(r.stored, "section")
        ),
        Ok(_) => {}
        Err(e) => eprintln!("note: could not collect batch results: {}", e.headline()),
    }
    Ok(())
}
