//! Drafting through a provider's Batch API: the sections that need an answer go out as one
//! JSONL batch per endpoint (structured ones with their schema), the batch id is saved in each
//! project's store, and a later collect stores each result as if it had come back in real time,
//! matching lines by `custom_id` (the output's order is not guaranteed). Failed lines wait to
//! be sent again with the next batch.

use super::batch::Member;
use super::section::{Generated, Planned, outgoing, structured_messages};
use super::store::{BatchState, PendingSection, StoredSection};
use crate::chat::{ChatRequest, FinishReason};
use crate::error::Result;
use crate::llm::{Client, Notice, Notify};
use crate::sections::Rung;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What a submission sent.
#[derive(Debug)]
pub struct Submitted {
    pub batch_id: String,
    pub requests: usize,
    pub projects: usize,
}

/// What a collection found, batch by batch.
#[derive(Debug, Default)]
pub struct Collected {
    pub stored: usize,
    pub failed: Vec<(String, String)>,
    /// Batches still running: id, status, done, total.
    pub running: Vec<(String, &'static str, u64, u64)>,
    /// Batches the server could not be asked about or read from (id, why): left as they
    /// were, to collect again; the other batches are collected all the same.
    pub unreachable: Vec<(String, String)>,
}

/// The line id of a section: the project's file name and a hash of its path, then the section.
fn custom_id<C>(m: &Member<C>, section: &str) -> String {
    let path = m.store.dir().display().to_string();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in path.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!(
        "{}-{:08x}::{section}",
        m.prefix.as_deref().unwrap_or("plan"),
        h as u32
    )
}

/// Sections in a batch that is still out: not to be sent (or bought) twice.
pub fn in_flight(state: Option<&BatchState>) -> Vec<String> {
    match state {
        Some(s) if s.batch_id.is_some() => s
            .sections
            .iter()
            .filter(|(_, p)| p.failed.is_none())
            .map(|(id, _)| id.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Sends every section that needs an answer (and is not already out) in one batch per
/// endpoint. `clients` holds a connected client for each member (`None`: no endpoint).
pub async fn submit<C>(
    members: &[Member<C>],
    clients: &[Option<Arc<Client>>],
) -> Result<Vec<Submitted>> {
    let mut groups: HashMap<usize, Vec<(usize, Planned)>> = HashMap::new();
    let mut order: Vec<usize> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let Some(client) = &clients[i] else { continue };
        let state = m.store.batch_state();
        let out = in_flight(state.as_ref());
        let key = Arc::as_ptr(client) as usize;
        for p in &m.sections {
            let current = m.store.load(p.id()).ok().flatten().is_some_and(|s| {
                !m.fresh && s.is_current(&p.filled, Some((&m.endpoint, p.structure.as_ref())))
            });
            if current || out.iter().any(|id| id == p.id()) {
                continue;
            }
            if !groups.contains_key(&key) {
                order.push(key);
            }
            groups.entry(key).or_default().push((i, p.clone()));
        }
    }
    let mut submitted = Vec::new();
    for key in order {
        let items = &groups[&key];
        let client = clients[items[0].0].as_ref().expect("grouped by client");
        let mut jsonl = Vec::new();
        let mut pending: BTreeMap<usize, Vec<(String, PendingSection)>> = BTreeMap::new();
        for (i, p) in items {
            let (line, section) = request_line(&members[*i], p, client)?;
            jsonl.extend_from_slice(line.to_string().as_bytes());
            jsonl.push(b'\n');
            pending
                .entry(*i)
                .or_default()
                .push((p.id().to_string(), section));
        }
        let file_id = client.upload_batch_file(&jsonl).await?;
        let batch = client
            .create_batch(&file_id, &format!("plan-ai: {} sections", items.len()))
            .await?;
        for (i, sections) in &pending {
            let m = &members[*i];
            let mut state = m.store.batch_state().unwrap_or_default();
            state.batch_id = Some(batch.id.clone());
            state.base_url = m.endpoint.transport.base_url.clone();
            state.model = client.model().to_string();
            state.submitted_at = crate::text::now_rfc3339();
            // What was sent again replaces its failed entry; what is still out stays.
            state
                .sections
                .retain(|id, p| p.failed.is_none() && !sections.iter().any(|(s, _)| s == id));
            for (id, p) in sections {
                state.sections.insert(id.clone(), p.clone());
            }
            m.store.save_batch_state(&state)?;
        }
        submitted.push(Submitted {
            batch_id: batch.id,
            requests: items.len(),
            projects: pending.len(),
        });
    }
    Ok(submitted)
}

/// One section as a line of the batch's JSONL (structured ones with their schema, at the
/// ladder's first rung: the Batch API is OpenAI's or Azure's), and what to remember of it.
/// Its messages pass the outgoing guard, as a real-time request's do; a line that may not
/// leave stops the batch before anything is uploaded.
fn request_line<C>(
    m: &Member<C>,
    p: &Planned,
    client: &Client,
) -> Result<(serde_json::Value, PendingSection)> {
    let id = custom_id(m, p.id());
    let messages = match &p.structure {
        Some(s) => structured_messages(&p.filled, s, Rung::JsonSchema),
        None => p.filled.messages.clone(),
    };
    let format = p
        .structure
        .as_ref()
        .and_then(|s| s.response_format(Rung::JsonSchema));
    let messages = outgoing(&messages, format.as_ref(), p.id(), &m.project, m.privacy)?;
    let budget = p.structure.as_ref().and_then(|s| s.budget);
    let req = ChatRequest {
        messages: &messages,
        stream: false,
        response_format: format.as_ref(),
        max_tokens: (!m.endpoint.max_tokens_explicit)
            .then_some(budget)
            .flatten(),
    };
    let line = serde_json::json!({
        "custom_id": id,
        "method": "POST",
        "url": crate::llm::batch::line_url(client),
        "body": client.batch_body(&req),
    });
    let section = PendingSection {
        custom_id: id,
        messages: p.filled.messages.clone(),
        structure: p.structure.as_ref().map(|s| s.fingerprint()),
        failed: None,
    };
    Ok((line, section))
}

/// Polls every batch the members wait for; stores what completed. A batch the server no
/// longer knows releases its sections (they are requested again), and the others go on.
pub async fn collect<C>(
    members: &[Member<C>],
    clients: &[Option<Arc<Client>>],
    notify: Notify<'_>,
) -> Result<Collected> {
    let mut report = Collected::default();
    // Each batch is asked about once, whatever number of projects it carries.
    let mut states: HashMap<usize, BatchState> = HashMap::new();
    let mut batches: Vec<((String, usize), Vec<usize>)> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let (Some(state), Some(client)) = (m.store.batch_state(), clients[i].as_ref()) else {
            continue;
        };
        for id in &state.ignored {
            notify(Notice::Info(format!(
                "{}: ignoring `{}` in {}: not a section id",
                label(m),
                crate::text::snippet(&crate::sanitize::strip_controls(id), 80),
                m.store.dir().join("batch.json").display()
            )));
        }
        let Some(batch_id) = state.batch_id.clone() else {
            continue;
        };
        let key = (batch_id, Arc::as_ptr(client) as usize);
        match batches.iter_mut().find(|(k, _)| *k == key) {
            Some((_, waiting)) => waiting.push(i),
            None => batches.push((key, vec![i])),
        }
        states.insert(i, state);
    }
    'batches: for ((batch_id, _), waiting) in batches {
        let client = clients[waiting[0]].as_ref().expect("grouped by client");
        let shown = crate::text::snippet(&crate::sanitize::strip_controls(&batch_id), 80);
        let info = match client.get_batch(&batch_id).await {
            Ok(info) => info,
            Err(e) => {
                report.unreachable.push((shown, e.headline()));
                continue;
            }
        };
        let Some(info) = info else {
            let why = format!(
                "the server no longer knows batch {shown} (deleted, expired or another account's)"
            );
            for i in waiting {
                let mut state = states.remove(&i).unwrap_or_default();
                release(&members[i], &mut state, &why, notify, &mut report)?;
            }
            continue;
        };
        if info.status.is_running() {
            report.running.push((
                info.id.clone(),
                info.status.as_str(),
                info.completed,
                info.total,
            ));
            continue;
        }
        // Each line is stored the moment it is read: one line in memory at a time.
        let mut wanted: HashMap<String, (usize, String)> = HashMap::new();
        for &i in &waiting {
            for (section, p) in states[&i]
                .sections
                .iter()
                .filter(|(_, p)| p.failed.is_none())
            {
                wanted.insert(p.custom_id.clone(), (i, section.clone()));
            }
        }
        let mut outcomes: HashMap<String, std::result::Result<(), String>> = HashMap::new();
        for file in [&info.output_file_id, &info.error_file_id]
            .into_iter()
            .flatten()
        {
            let mut each = |line: crate::llm::batch::ResultLine| {
                let Some((i, section)) = wanted.get(&line.custom_id) else {
                    return;
                };
                if outcomes.contains_key(&line.custom_id) {
                    return;
                }
                let pending = &states[i].sections[section];
                let result = match (line.body, line.error) {
                    (Some(body), _) => client.batch_answer(&body),
                    (None, e) => Err(e.unwrap_or_default()),
                };
                let result =
                    result.and_then(|answer| store_result(&members[*i], section, pending, answer));
                if result.is_ok() {
                    note_outcome(&members[*i], section, None, notify);
                }
                outcomes.insert(line.custom_id, result);
            };
            match client.file_lines(file, &mut each).await {
                Ok(true) => {}
                Ok(false) => notify(Notice::Info(format!(
                    "batch {}: the server no longer has its file {file}",
                    info.id
                ))),
                // Cut off mid-file: what was read is stored; the batch stays to be collected
                // again (nothing is sent twice, a line stored twice is the same answer).
                Err(e) => {
                    report.unreachable.push((shown, e.headline()));
                    continue 'batches;
                }
            }
        }
        let ended = format!("the batch {}", info.status.as_str());
        for i in waiting {
            let m = &members[i];
            let mut state = states.remove(&i).unwrap_or_default();
            let mut stored = Vec::new();
            for (section, pending) in state
                .sections
                .iter_mut()
                .filter(|(_, p)| p.failed.is_none())
            {
                let outcome = outcomes.remove(&pending.custom_id);
                match outcome
                    .unwrap_or_else(|| Err(format!("no result in the batch's output ({ended})")))
                {
                    Ok(()) => {
                        report.stored += 1;
                        stored.push(section.clone());
                    }
                    Err(why) => {
                        note_outcome(m, section, Some(&why), notify);
                        notify(Notice::Info(format!(
                            "{}: {section}: {why}; it is sent again with the next --batch run",
                            label(m)
                        )));
                        report.failed.push((section.clone(), why.clone()));
                        pending.failed = Some(why);
                    }
                }
            }
            // Stored sections leave the state; failed ones wait to be sent again.
            state.sections.retain(|id, _| !stored.contains(id));
            state.batch_id = None;
            m.store.save_batch_state(&state)?;
        }
    }
    Ok(report)
}

fn label<C>(m: &Member<C>) -> &str {
    m.prefix.as_deref().unwrap_or("plan")
}

/// Frees the sections of a batch that is gone: they wait to be sent again, and a real-time
/// run requests them.
fn release<C>(
    m: &Member<C>,
    state: &mut BatchState,
    why: &str,
    notify: Notify<'_>,
    report: &mut Collected,
) -> Result<()> {
    let mut released = Vec::new();
    for (section, pending) in state
        .sections
        .iter_mut()
        .filter(|(_, p)| p.failed.is_none())
    {
        note_outcome(m, section, Some(why), notify);
        report.failed.push((section.clone(), why.to_string()));
        pending.failed = Some(why.to_string());
        released.push(section.clone());
    }
    notify(Notice::Info(format!(
        "{}: {why}; released {}: the next run requests them again",
        label(m),
        crate::text::plural(released.len(), "section")
    )));
    state.batch_id = None;
    m.store.save_batch_state(state)
}

/// Stores one batch result as a real-time answer would be stored.
fn store_result<C>(
    m: &Member<C>,
    section: &str,
    pending: &PendingSection,
    answer: crate::chat::Answer,
) -> std::result::Result<(), String> {
    let planned = m.sections.iter().find(|p| p.id() == section);
    let filled = crate::prompts::FilledPrompt {
        section: section.to_string(),
        title: planned
            .map(|p| p.filled.title.clone())
            .unwrap_or_else(|| section.to_string()),
        messages: pending.messages.clone(),
    };
    // The structure asked for, when the project still asks for the same one.
    let structure = planned
        .and_then(|p| p.structure.as_ref())
        .filter(|s| Some(s.fingerprint()) == pending.structure);
    let mut generated = Generated {
        structured: None,
        rung: structure.map(|_| Rung::JsonSchema),
        unstructured: None,
        requests: 1,
        answer,
    };
    if let Some(s) = structure {
        if generated.answer.finish_reason == FinishReason::Length {
            return Err("the JSON answer was cut off at the token limit".into());
        }
        let text = if generated.answer.text.trim().is_empty() {
            generated.answer.reasoning.clone().unwrap_or_default()
        } else {
            generated.answer.text.clone()
        };
        match s.check_text(&text, &m.project) {
            Ok(checked) => generated.structured = Some(checked),
            Err(problems) => {
                generated.rung = None;
                generated.unstructured = Some(problems.join("; "));
            }
        }
    }
    let stored = StoredSection::from_generated(&filled, &m.endpoint, structure, &generated);
    m.store.save(&stored).map_err(|e| e.to_string())?;
    Ok(())
}

/// Remembers a section's outcome for `portfolio status`; failing to loses no answer, and is
/// said.
fn note_outcome<C>(m: &Member<C>, section: &str, failure: Option<&str>, notify: Notify<'_>) {
    if let Err(e) = m.store.note_outcome(section, failure) {
        notify(Notice::Info(format!(
            "{}: {section}: could not note the outcome for `portfolio status`: {e}",
            label(m)
        )));
    }
}
