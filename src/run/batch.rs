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

/// One project in a run: its sections, where their answers go, and the endpoint it asks.
pub struct Member<'a> {
    /// Event ids are `prefix/section` (a portfolio) or just `section` (no prefix).
    pub prefix: Option<String>,
    pub sections: &'a [Planned],
    pub project: Arc<Project>,
    pub store: &'a Store,
    /// As resolved from settings (the stored records keep the model as configured).
    pub endpoint: Endpoint,
    /// Ask again even when a stored answer is current: every section, or these.
    pub fresh: bool,
    pub regenerate: &'a [String],
}

impl Member<'_> {
    fn id(&self, section: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}/{section}"),
            None => section.to_string(),
        }
    }

    /// Members asking the same endpoint share one client (one connection pool, one pacer).
    fn endpoint_key(&self) -> String {
        let e = &self.endpoint;
        format!(
            "{}\n{}\n{:?}\n{:?}",
            e.profile, e.transport.base_url, e.request.model, e.transport.query
        )
    }
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

/// Runs one project's batch until every section is done or failed, or `interrupt` resolves
/// (Ctrl-C). Connecting fails the whole run (`Err`); a section that fails is reported in the
/// outcome.
pub async fn generate(
    batch: Batch<'_>,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
) -> Result<Outcome> {
    let member = Member {
        prefix: None,
        sections: batch.sections,
        project: batch.project,
        store: batch.store,
        endpoint: batch.endpoint,
        fresh: batch.fresh,
        regenerate: batch.regenerate,
    };
    let mut outcomes = generate_many(&[member], batch.jobs, events, interrupt, true).await?;
    Ok(outcomes.remove(0))
}

/// Runs the sections of every member at once, `jobs` requests in flight in all, one client
/// per distinct endpoint. With `strict`, failing to connect fails the run (`Err`); otherwise
/// the sections of that endpoint fail and the others go on.
pub async fn generate_many(
    members: &[Member<'_>],
    jobs: usize,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
    strict: bool,
) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Outcome> = members.iter().map(|_| Outcome::default()).collect();
    let todo: Vec<Vec<Planned>> = members
        .iter()
        .zip(&mut outcomes)
        .map(|(m, o)| reuse_what_is_current(m, events.as_ref(), o))
        .collect();
    if todo.iter().all(Vec::is_empty) {
        return Ok(outcomes);
    }
    // One listener for the whole run, so connecting is interruptible too and no signal falls
    // between two listeners.
    tokio::pin!(interrupt);
    let interrupted = |outcomes: &mut Vec<Outcome>| {
        outcomes.iter_mut().for_each(|o| o.interrupted = true);
        events.interrupted();
    };
    let mut clients: HashMap<String, Arc<Client>> = HashMap::new();
    let mut assigned: Vec<Option<Arc<Client>>> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if todo[i].is_empty() {
            assigned.push(None);
            continue;
        }
        let key = m.endpoint_key();
        if let Some(c) = clients.get(&key) {
            assigned.push(Some(c.clone()));
            continue;
        }
        let notify = |n: Notice| events.notice("", &n);
        let connected = tokio::select! {
            c = Client::connect(m.endpoint.clone(), &notify) => c,
            _ = &mut interrupt => {
                interrupted(&mut outcomes);
                return Ok(outcomes);
            }
        };
        match connected {
            Ok(c) => {
                let c = Arc::new(c);
                clients.insert(key, c.clone());
                assigned.push(Some(c));
            }
            Err(e) => {
                let ids: Vec<String> = todo[i].iter().map(|p| m.id(p.id())).collect();
                events.not_started(&ids);
                if strict {
                    return Err(e);
                }
                for p in &todo[i] {
                    outcomes[i]
                        .failed
                        .push((p.id().to_string(), Error::Other(e.to_string())));
                }
                assigned.push(None);
            }
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut tasks = JoinSet::new();
    let mut running = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        let Some(client) = &assigned[i] else { continue };
        // Start the structure ladder where a previous run found this endpoint and model answer.
        let start = m
            .store
            .remembered_rung(&formats_key(m, client))
            .unwrap_or(Rung::JsonSchema);
        for p in todo[i].iter().cloned() {
            let task = spawn_request(client.clone(), p, i, m, start, &limit, &events);
            let handle = tasks.spawn(task.0);
            running.insert(handle.id(), (i, task.1));
        }
    }
    let collect = async {
        while let Some(joined) = tasks.join_next_with_id().await {
            match joined {
                Ok((_, (i, p, result))) => {
                    let m = &members[i];
                    let key = assigned[i]
                        .as_ref()
                        .map(|c| formats_key(m, c))
                        .unwrap_or_default();
                    record(&p, result, m, &key, events.as_ref(), &mut outcomes[i]);
                }
                Err(e) => {
                    // A task that panicked is a failed section like any other.
                    let (i, section) = running.get(&e.id()).cloned().unwrap_or_default();
                    let error = Error::Other(format!(
                        "internal error while requesting `{section}` (a bug in plan-ai; please report it)"
                    ));
                    events.failed(&members[i].id(&section), &error);
                    outcomes[i].failed.push((section, error));
                }
            }
        }
    };
    tokio::select! {
        _ = collect => {}
        _ = &mut interrupt => interrupted(&mut outcomes),
    }
    tasks.abort_all();
    Ok(outcomes)
}

/// The key under which the way of asking for structure is remembered.
fn formats_key(m: &Member<'_>, client: &Client) -> String {
    format!("{} {}", m.endpoint.transport.base_url, client.model())
}

/// Sections whose stored answer is current are reused; the rest are returned, to request.
fn reuse_what_is_current(
    m: &Member<'_>,
    events: &dyn Events,
    outcome: &mut Outcome,
) -> Vec<Planned> {
    let mut todo = Vec::new();
    for p in m.sections {
        let forced = m.fresh || m.regenerate.iter().any(|id| id == p.id());
        let asked = Some((&m.endpoint, p.structure.as_ref()));
        match m.store.load_or_note(p.id(), &mut outcome.warnings) {
            Some(s) if !forced && s.is_current(&p.filled, asked) => {
                events.reused(&m.id(&s.section));
                outcome.reused.push(s);
            }
            _ => todo.push(p.clone()),
        }
    }
    todo
}

type Done = (usize, Planned, Result<Generated>);

/// The task that requests one section once it gets one of the run's places, and its section.
fn spawn_request(
    client: Arc<Client>,
    p: Planned,
    member: usize,
    m: &Member<'_>,
    start: Rung,
    limit: &Arc<tokio::sync::Semaphore>,
    events: &Arc<dyn Events>,
) -> (impl Future<Output = Done> + Send + 'static, String) {
    let (limit, events) = (limit.clone(), events.clone());
    let project = m.project.clone();
    let id = m.id(p.id());
    let stream = m.endpoint.stream;
    let explicit = m.endpoint.max_tokens_explicit;
    let section = p.id().to_string();
    let task = async move {
        let _permit = limit.acquire_owned().await;
        events.started(&id);
        // Fault injection for the tests (debug builds only): a task that panics must be
        // reported as a failed section, not silently dropped.
        #[cfg(debug_assertions)]
        if std::env::var_os("PLAN_AI_TEST_PANIC").is_some_and(|v| v == p.id()) {
            panic!("PLAN_AI_TEST_PANIC: deliberate panic for `{}`", p.id());
        }
        let mut sink = EventSink {
            id: &id,
            events: events.as_ref(),
        };
        let notify = |n: Notice| events.notice(&id, &n);
        let job = Job {
            filled: &p.filled,
            structure: p.structure.as_ref(),
            project: &project,
            stream,
            start,
            max_tokens_explicit: explicit,
        };
        let result = section::request(&client, &job, &mut sink, &notify).await;
        (member, p, result)
    };
    (task, section)
}

/// Stores a finished request's answer (first: whatever happens next, it is kept) and reports it.
fn record(
    p: &Planned,
    result: Result<Generated>,
    m: &Member<'_>,
    formats_key: &str,
    events: &dyn Events,
    outcome: &mut Outcome,
) {
    let saved = result.and_then(|g| {
        let stored =
            StoredSection::from_generated(&p.filled, &m.endpoint, p.structure.as_ref(), &g);
        m.store.save(&stored)?;
        if let Some(rung) = g.rung {
            // Only a speed-up for later runs: failing to remember it loses nothing.
            let _ = m.store.remember_rung(formats_key, rung);
        }
        Ok(stored)
    });
    // Remembered for `portfolio status`; a failure to remember it loses no answer.
    let _ = m.store.note_outcome(
        p.id(),
        saved.as_ref().err().map(|e| e.headline()).as_deref(),
    );
    match saved {
        Ok(stored) => {
            events.finished(&m.id(p.id()), &stored);
            outcome.generated.push(stored);
        }
        Err(e) => {
            events.failed(&m.id(p.id()), &e);
            outcome.failed.push((p.id().to_string(), e));
        }
    }
}
