//! The batch run: every section at once (within a limit), each stored the moment it finishes.
//! Nothing here prints: progress is reported through [`Events`].

use super::section::{self, Generated, Job, Planned};
use super::store::{Store, StoredSection};
use crate::chat::Usage;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::llm::{Client, Notice, Sink};
use crate::project::Project;
use crate::sections::Rung;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;

/// A sane cap on requests in flight: local servers queue them anyway, hosted ones rate-limit.
pub const MAX_JOBS: usize = 8;

/// What the batch reports as it goes. Called from several tasks at once.
pub trait Events: Send + Sync {
    /// A stored answer is current and will be used as is.
    fn reused(&self, id: &str);
    /// The request for `id` is being sent (it got a place among the jobs).
    fn started(&self, id: &str);
    /// A piece of streamed text arrived for `id`.
    fn delta(&self, id: &str);
    /// The request for `id` starts over (a retry); pieces counted so far are void.
    fn restarted(&self, id: &str);
    fn notice(&self, id: &str, notice: &Notice);
    fn finished(&self, id: &str, stored: &StoredSection);
    fn failed(&self, id: &str, error: &Error);
    /// These sections were never sent (connecting failed).
    fn not_started(&self, ids: &[String]);
    /// The run was interrupted: whatever is still running is dropped, not stored.
    fn interrupted(&self);
}

pub struct Batch<'a> {
    pub sections: &'a [Planned],
    pub project: Arc<Project>,
    pub store: &'a Store,
    /// As resolved from settings (the stored records keep the model as configured).
    pub endpoint: Endpoint,
    pub jobs: usize,
    /// Ask again even when a stored answer is current: every section, or these.
    pub fresh: bool,
    pub regenerate: &'a [String],
}

/// How the run ended, section by section.
#[derive(Default)]
pub struct Outcome {
    pub generated: Vec<StoredSection>,
    pub reused: Vec<StoredSection>,
    pub failed: Vec<(String, Error)>,
    pub interrupted: bool,
    /// Unreadable stored records that were ignored.
    pub warnings: Vec<String>,
}

impl Outcome {
    pub fn done(&self) -> usize {
        self.generated.len() + self.reused.len()
    }

    /// Token usage of new answers and of all answers; `None` where no section reported any.
    pub fn usage(&self) -> (Usage, Usage) {
        let sum = |list: &[StoredSection]| {
            list.iter()
                .filter_map(|s| s.usage)
                .fold(Usage::default(), |mut t, u| {
                    t += u;
                    t
                })
        };
        let new = sum(&self.generated);
        let mut all = new;
        all += sum(&self.reused);
        (new, all)
    }
}

/// Counts streamed pieces for the progress display.
struct EventSink<'a> {
    id: &'a str,
    events: &'a dyn Events,
}

impl Sink for EventSink<'_> {
    fn text(&mut self, _: &str) {
        self.events.delta(self.id);
    }
    fn restart(&mut self) -> bool {
        self.events.restarted(self.id);
        true
    }
}

/// Runs the batch until every section is done or failed, or `interrupt` resolves (Ctrl-C).
/// Connecting fails the whole run (`Err`); a section that fails is reported in the outcome.
pub async fn generate(
    batch: Batch<'_>,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let todo = reuse_what_is_current(&batch, events.as_ref(), &mut outcome);
    if todo.is_empty() {
        return Ok(outcome);
    }
    // One listener for the whole run, so connecting is interruptible too and no signal falls
    // between two listeners.
    tokio::pin!(interrupt);
    let notify = |n: Notice| events.notice("", &n);
    let connected = tokio::select! {
        c = Client::connect(batch.endpoint.clone(), &notify) => c,
        _ = &mut interrupt => {
            outcome.interrupted = true;
            events.interrupted();
            return Ok(outcome);
        }
    };
    let client = match connected {
        Ok(c) => Arc::new(c),
        Err(e) => {
            let ids: Vec<String> = todo.iter().map(|p| p.id().to_string()).collect();
            events.not_started(&ids);
            return Err(e);
        }
    };
    // Start the structure ladder where a previous run found this endpoint and model answer.
    let formats_key = format!("{} {}", batch.endpoint.transport.base_url, client.model());
    let start = batch
        .store
        .remembered_rung(&formats_key)
        .unwrap_or(Rung::JsonSchema);
    let (mut tasks, sections) = spawn_requests(client, todo, start, &batch, &events);
    let collect = async {
        while let Some(joined) = tasks.join_next_with_id().await {
            match joined {
                Ok((_, (p, result))) => record(
                    &p,
                    result,
                    &batch,
                    &formats_key,
                    events.as_ref(),
                    &mut outcome,
                ),
                Err(e) => {
                    // A task that panicked is a failed section like any other.
                    let id = sections.get(&e.id()).cloned().unwrap_or_default();
                    let error = Error::Other(format!(
                        "internal error while requesting `{id}` (a bug in plan-ai; please report it)"
                    ));
                    events.failed(&id, &error);
                    outcome.failed.push((id, error));
                }
            }
        }
    };
    tokio::select! {
        _ = collect => {}
        _ = &mut interrupt => {
            outcome.interrupted = true;
            events.interrupted();
        }
    }
    tasks.abort_all();
    Ok(outcome)
}

/// Sections whose stored answer is current are reused; the rest are returned, to request.
fn reuse_what_is_current(
    batch: &Batch<'_>,
    events: &dyn Events,
    outcome: &mut Outcome,
) -> Vec<Planned> {
    let mut todo = Vec::new();
    for p in batch.sections {
        let forced = batch.fresh || batch.regenerate.iter().any(|id| id == p.id());
        let asked = Some((&batch.endpoint, p.structure.as_ref()));
        match batch.store.load_or_note(p.id(), &mut outcome.warnings) {
            Some(s) if !forced && s.is_current(&p.filled, asked) => {
                events.reused(&s.section);
                outcome.reused.push(s);
            }
            _ => todo.push(p.clone()),
        }
    }
    todo
}

type Done = (Planned, Result<Generated>);

/// One task per section, at most `batch.jobs` requesting at once; and which task is which.
fn spawn_requests(
    client: Arc<Client>,
    todo: Vec<Planned>,
    start: Rung,
    batch: &Batch<'_>,
    events: &Arc<dyn Events>,
) -> (JoinSet<Done>, HashMap<tokio::task::Id, String>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(batch.jobs.max(1)));
    let stream = batch.endpoint.stream;
    let explicit = batch.endpoint.max_tokens_explicit;
    let mut tasks = JoinSet::new();
    let mut sections = HashMap::new();
    for p in todo {
        let (client, limit, events) = (client.clone(), limit.clone(), events.clone());
        let project = batch.project.clone();
        let id = p.id().to_string();
        let handle = tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            events.started(p.id());
            // Fault injection for the tests (debug builds only): a task that panics must be
            // reported as a failed section, not silently dropped.
            #[cfg(debug_assertions)]
            if std::env::var_os("PLAN_AI_TEST_PANIC").is_some_and(|v| v == p.id()) {
                panic!("PLAN_AI_TEST_PANIC: deliberate panic for `{}`", p.id());
            }
            let mut sink = EventSink {
                id: p.id(),
                events: events.as_ref(),
            };
            let notify = |n: Notice| events.notice(p.id(), &n);
            let job = Job {
                filled: &p.filled,
                structure: p.structure.as_ref(),
                project: &project,
                stream,
                start,
                max_tokens_explicit: explicit,
            };
            let result = section::request(&client, &job, &mut sink, &notify).await;
            (p, result)
        });
        sections.insert(handle.id(), id);
    }
    (tasks, sections)
}

/// Stores a finished request's answer (first: whatever happens next, it is kept) and reports it.
fn record(
    p: &Planned,
    result: Result<Generated>,
    batch: &Batch<'_>,
    formats_key: &str,
    events: &dyn Events,
    outcome: &mut Outcome,
) {
    let saved = result.and_then(|g| {
        let stored =
            StoredSection::from_generated(&p.filled, &batch.endpoint, p.structure.as_ref(), &g);
        batch.store.save(&stored)?;
        if let Some(rung) = g.rung {
            // Only a speed-up for later runs: failing to remember it loses nothing.
            let _ = batch.store.remember_rung(formats_key, rung);
        }
        Ok(stored)
    });
    match saved {
        Ok(stored) => {
            events.finished(p.id(), &stored);
            outcome.generated.push(stored);
        }
        Err(e) => {
            events.failed(p.id(), &e);
            outcome.failed.push((p.id().to_string(), e));
        }
    }
}
