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
use std::collections::{HashMap, VecDeque};
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

/// One project in a run: its sections, where their answers go, the endpoint it asks, and
/// whatever the caller wants back with the outcome (`context`). Owned, so a run can take
/// projects one after another and let each go when it is done.
pub struct Member<C = ()> {
    /// Event ids are `prefix/section` (a portfolio) or just `section` (no prefix).
    pub prefix: Option<String>,
    pub sections: Vec<Planned>,
    pub project: Arc<Project>,
    pub store: Store,
    /// As resolved from settings (the stored records keep the model as configured).
    pub endpoint: Endpoint,
    /// Ask again even when a stored answer is current: every section, or these.
    pub fresh: bool,
    pub regenerate: Vec<String>,
    pub context: C,
}

impl<C> Member<C> {
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

/// Runs one project's sections until every one is done or failed, or `interrupt` resolves
/// (Ctrl-C). Connecting fails the whole run (`Err`); a section that fails is reported in the
/// outcome.
pub async fn generate(
    member: Member,
    jobs: usize,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
) -> Result<Outcome> {
    let mut outcome = None;
    let done = |_: Member, o: Outcome| outcome = Some(o);
    generate_many([member], jobs, events, interrupt, true, done).await?;
    Ok(outcome.unwrap_or_default())
}

/// A member whose sections are out, and what is known of it so far.
struct Active<C> {
    member: Member<C>,
    outcome: Outcome,
    /// Sections not yet recorded.
    pending: usize,
    client: Arc<Client>,
}

/// Runs the sections of every member, `jobs` requests in flight in all, one client per
/// distinct endpoint, and hands each member back with its outcome (`finished`) as soon as its
/// last section is recorded. Members are taken from the iterator only as places free up, so a
/// portfolio of a thousand projects holds a few at a time, not all of them.
///
/// With `strict`, failing to connect fails the run (`Err`); otherwise that member's sections
/// fail and the others go on. On `interrupt` (Ctrl-C) the members under way are handed back
/// marked interrupted, members not yet taken are left alone, and `Ok(true)` is returned.
pub async fn generate_many<C>(
    members: impl IntoIterator<Item = Member<C>>,
    jobs: usize,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
    strict: bool,
    mut finished: impl FnMut(Member<C>, Outcome),
) -> Result<bool> {
    // One listener for the whole run, so connecting is interruptible too and no signal falls
    // between two listeners.
    tokio::pin!(interrupt);
    let jobs = jobs.max(1);
    let mut members = members.into_iter().enumerate();
    let mut clients: HashMap<String, std::result::Result<Arc<Client>, String>> = HashMap::new();
    let mut active: HashMap<usize, Active<C>> = HashMap::new();
    let mut queue: VecDeque<(usize, Planned, Rung)> = VecDeque::new();
    let mut tasks = JoinSet::new();
    let mut running = HashMap::new();
    let mut exhausted = false;
    loop {
        // Keep `jobs` requests going, taking the next member when the queue runs dry.
        while tasks.len() < jobs {
            if let Some((i, p, start)) = queue.pop_front() {
                let a = &active[&i];
                let task = spawn_request(a.client.clone(), p, i, &a.member, start, &events);
                let handle = tasks.spawn(task.0);
                running.insert(handle.id(), (i, task.1));
                continue;
            }
            if exhausted {
                break;
            }
            let Some((i, m)) = members.next() else {
                exhausted = true;
                break;
            };
            let mut outcome = Outcome::default();
            let todo = reuse_what_is_current(&m, events.as_ref(), &mut outcome);
            if todo.is_empty() {
                finished(m, outcome);
                continue;
            }
            let key = m.endpoint_key();
            if !clients.contains_key(&key) {
                let notify = |n: Notice| events.notice("", &n);
                let connected = tokio::select! {
                    c = Client::connect(m.endpoint.clone(), &notify) => c,
                    _ = &mut interrupt => {
                        hand_back_interrupted(&mut active, events.as_ref(), &mut finished);
                        outcome.interrupted = true;
                        finished(m, outcome);
                        return Ok(true);
                    }
                };
                if strict && let Err(e) = connected {
                    events.not_started(&todo.iter().map(|p| m.id(p.id())).collect::<Vec<_>>());
                    return Err(e);
                }
                clients.insert(
                    key.clone(),
                    connected.map(Arc::new).map_err(|e| e.to_string()),
                );
            }
            match &clients[&key] {
                Ok(client) => {
                    // Start the structure ladder where a previous run found this endpoint
                    // and model answer.
                    let start = m
                        .store
                        .remembered_rung(&formats_key(&m, client))
                        .unwrap_or(Rung::JsonSchema);
                    queue.extend(todo.iter().map(|p| (i, p.clone(), start)));
                    let pending = todo.len();
                    let client = client.clone();
                    active.insert(
                        i,
                        Active {
                            member: m,
                            outcome,
                            pending,
                            client,
                        },
                    );
                }
                Err(why) => {
                    events.not_started(&todo.iter().map(|p| m.id(p.id())).collect::<Vec<_>>());
                    for p in &todo {
                        outcome
                            .failed
                            .push((p.id().to_string(), Error::Other(why.clone())));
                    }
                    finished(m, outcome);
                }
            }
        }
        if tasks.is_empty() {
            return Ok(false);
        }
        let joined = tokio::select! {
            joined = tasks.join_next_with_id() => joined,
            _ = &mut interrupt => {
                tasks.abort_all();
                hand_back_interrupted(&mut active, events.as_ref(), &mut finished);
                return Ok(true);
            }
        };
        let Some(joined) = joined else { continue };
        let i = match joined {
            Ok((_, (i, p, result))) => {
                let a = active
                    .get_mut(&i)
                    .expect("a running section's member is active");
                let key = formats_key(&a.member, &a.client);
                record(&p, result, &a.member, &key, events.as_ref(), &mut a.outcome);
                i
            }
            Err(e) => {
                // A task that panicked is a failed section like any other.
                let (i, section) = running.get(&e.id()).cloned().unwrap_or_default();
                let error = Error::Other(format!(
                    "internal error while requesting `{section}` (a bug in plan-ai; please report it)"
                ));
                if let Some(a) = active.get_mut(&i) {
                    events.failed(&a.member.id(&section), &error);
                    a.outcome.failed.push((section, error));
                }
                i
            }
        };
        if let Some(a) = active.get_mut(&i) {
            a.pending -= 1;
            if a.pending == 0 {
                let a = active.remove(&i).expect("just seen");
                finished(a.member, a.outcome);
            }
        }
    }
}

/// Ctrl-C: the members under way go back marked interrupted, in the order they were taken.
fn hand_back_interrupted<C>(
    active: &mut HashMap<usize, Active<C>>,
    events: &dyn Events,
    finished: &mut impl FnMut(Member<C>, Outcome),
) {
    events.interrupted();
    let mut under_way: Vec<_> = active.drain().collect();
    under_way.sort_by_key(|(i, _)| *i);
    for (_, mut a) in under_way {
        a.outcome.interrupted = true;
        finished(a.member, a.outcome);
    }
}

/// The key under which the way of asking for structure is remembered.
fn formats_key<C>(m: &Member<C>, client: &Client) -> String {
    format!("{} {}", m.endpoint.transport.base_url, client.model())
}

/// Sections whose stored answer is current are reused; the rest are returned, to request.
fn reuse_what_is_current<C>(
    m: &Member<C>,
    events: &dyn Events,
    outcome: &mut Outcome,
) -> Vec<Planned> {
    let mut todo = Vec::new();
    for p in &m.sections {
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

/// The task that requests one section, and its section.
fn spawn_request<C>(
    client: Arc<Client>,
    p: Planned,
    member: usize,
    m: &Member<C>,
    start: Rung,
    events: &Arc<dyn Events>,
) -> (impl Future<Output = Done> + Send + 'static, String) {
    let events = events.clone();
    let project = m.project.clone();
    let id = m.id(p.id());
    let stream = m.endpoint.stream;
    let explicit = m.endpoint.max_tokens_explicit;
    let section = p.id().to_string();
    let task = async move {
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
fn record<C>(
    p: &Planned,
    result: Result<Generated>,
    m: &Member<C>,
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
