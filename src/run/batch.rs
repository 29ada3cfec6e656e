//! The batch run: every section at once (within a limit), each stored the moment it finishes.
//! Nothing here prints: progress is reported through [`Events`].

use super::store::{Store, StoredSection};
use crate::chat::{Answer, Usage};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::llm::{Client, Notice, Sink};
use crate::prompts::FilledPrompt;
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
    pub filled: &'a [FilledPrompt],
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
            let ids: Vec<String> = todo.iter().map(|f| f.section.clone()).collect();
            events.not_started(&ids);
            return Err(e);
        }
    };
    let (mut tasks, sections) = spawn_requests(client, todo, &batch, &events);
    let collect = async {
        while let Some(joined) = tasks.join_next_with_id().await {
            match joined {
                Ok((_, (f, result))) => record(&f, result, &batch, events.as_ref(), &mut outcome),
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
) -> Vec<FilledPrompt> {
    let mut todo = Vec::new();
    for f in batch.filled {
        let forced = batch.fresh || batch.regenerate.contains(&f.section);
        match batch.store.load_or_note(&f.section, &mut outcome.warnings) {
            Some(s) if !forced && s.is_current(f, Some(&batch.endpoint)) => {
                events.reused(&s.section);
                outcome.reused.push(s);
            }
            _ => todo.push(f.clone()),
        }
    }
    todo
}

type Done = (FilledPrompt, Result<Answer>);

/// One task per section, at most `batch.jobs` requesting at once; and which task is which.
fn spawn_requests(
    client: Arc<Client>,
    todo: Vec<FilledPrompt>,
    batch: &Batch<'_>,
    events: &Arc<dyn Events>,
) -> (JoinSet<Done>, HashMap<tokio::task::Id, String>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(batch.jobs.max(1)));
    let stream = batch.endpoint.stream;
    let mut tasks = JoinSet::new();
    let mut sections = HashMap::new();
    for f in todo {
        let (client, limit, events) = (client.clone(), limit.clone(), events.clone());
        let id = f.section.clone();
        let handle = tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            events.started(&f.section);
            // Fault injection for the tests (debug builds only): a task that panics must be
            // reported as a failed section, not silently dropped.
            #[cfg(debug_assertions)]
            if std::env::var_os("PLAN_AI_TEST_PANIC").is_some_and(|v| v == f.section.as_str()) {
                panic!("PLAN_AI_TEST_PANIC: deliberate panic for `{}`", f.section);
            }
            let mut sink = EventSink {
                id: &f.section,
                events: events.as_ref(),
            };
            let notify = |n: Notice| events.notice(&f.section, &n);
            let result = client.chat(&f.messages, stream, &mut sink, &notify).await;
            (f, result)
        });
        sections.insert(handle.id(), id);
    }
    (tasks, sections)
}

/// Stores a finished request's answer (first: whatever happens next, it is kept) and reports it.
fn record(
    f: &FilledPrompt,
    result: Result<Answer>,
    batch: &Batch<'_>,
    events: &dyn Events,
    outcome: &mut Outcome,
) {
    let saved = result.and_then(|answer| {
        let stored = StoredSection::from_answer(f, &batch.endpoint, &answer);
        batch.store.save(&stored).map(|_| stored)
    });
    match saved {
        Ok(stored) => {
            events.finished(&f.section, &stored);
            outcome.generated.push(stored);
        }
        Err(e) => {
            events.failed(&f.section, &e);
            outcome.failed.push((f.section.clone(), e));
        }
    }
}
