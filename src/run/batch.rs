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
    /// Takes out the sections still out in a Batch API job (not to be requested, or bought,
    /// twice) and returns their ids.
    pub fn hold_back_batched(&mut self) -> Vec<String> {
        let out = super::batch_api::in_flight(self.store.batch_state().as_ref());
        self.sections.retain(|p| !out.iter().any(|id| id == p.id()));
        out
    }

    fn id(&self, section: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}/{section}"),
            None => section.to_string(),
        }
    }

    /// Members asking the same endpoint share one client (one connection pool, one pacer).
    pub fn endpoint_key(&self) -> String {
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
/// (Ctrl-C), and hands back its context with the outcome. Connecting fails the whole run
/// (`Err`); a section that fails is reported in the outcome.
pub async fn generate<C>(
    member: Member<C>,
    jobs: usize,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
) -> Result<(C, Outcome)> {
    let mut back = None;
    let done = |m: Member<C>, o: Outcome| back = Some((m.context, o));
    let on_failure = OnConnectFailure::FailRun;
    generate_many([member], jobs, events, interrupt, on_failure, done).await?;
    // The one member is taken before anything can interrupt, so it always comes back.
    back.ok_or_else(|| Error::Other("internal error: the run lost its project".into()))
}

/// What failing to reach a member's endpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConnectFailure {
    /// The whole run fails (one project: nothing else could be done).
    FailRun,
    /// That member's sections fail; the other members go on (a portfolio).
    FailMember,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every member taken was handed back with its outcome.
    Completed,
    /// Ctrl-C: the members under way were handed back marked interrupted; the rest were not
    /// taken.
    Interrupted,
}

/// A member whose sections are out, and what is known of it so far.
struct Active<C> {
    member: Member<C>,
    outcome: Outcome,
    /// Sections not yet recorded.
    pending: usize,
    client: Arc<Client>,
}

type Finished<'f, C> = &'f mut dyn FnMut(Member<C>, Outcome);

/// Runs the sections of every member, `jobs` requests in flight in all, one client per
/// distinct endpoint, and hands each member back with its outcome (`finished`) as soon as its
/// last section is recorded. Members are taken from the iterator only as places free up, so a
/// portfolio of a thousand projects holds a few at a time, not all of them.
///
/// `on_failure` says what failing to connect does. On `interrupt` (Ctrl-C) the members under
/// way are handed back marked interrupted and members not yet taken are left alone.
pub async fn generate_many<C>(
    members: impl IntoIterator<Item = Member<C>>,
    jobs: usize,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
    on_failure: OnConnectFailure,
    mut finished: impl FnMut(Member<C>, Outcome),
) -> Result<Ended> {
    // One listener for the whole run, so connecting is interruptible too and no signal falls
    // between two listeners.
    tokio::pin!(interrupt);
    let finished: Finished<C> = &mut finished;
    let mut run = Runner::new(events.clone());
    let mut members = members.into_iter().enumerate();
    loop {
        // Keep `jobs` requests going, taking the next member when the queue runs dry.
        while run.tasks.len() < jobs.max(1) {
            if run.spawn_queued() {
                continue;
            }
            let Some((i, m)) = members.next() else { break };
            let Some((m, todo, outcome)) = run.reuse(m, finished) else {
                continue;
            };
            let key = m.endpoint_key();
            if !run.clients.contains_key(&key) {
                let notify = |n: Notice| events.notice("", &n);
                let connected = tokio::select! {
                    c = Client::connect(m.endpoint.clone(), &notify) => c,
                    _ = &mut interrupt => {
                        run.interrupted(finished, Some((m, outcome)));
                        return Ok(Ended::Interrupted);
                    }
                };
                if on_failure == OnConnectFailure::FailRun
                    && let Err(e) = connected
                {
                    events.not_started(&todo.iter().map(|p| m.id(p.id())).collect::<Vec<_>>());
                    return Err(e);
                }
                let connected = connected.map(Arc::new).map_err(|e| e.to_string());
                run.clients.insert(key.clone(), connected);
            }
            run.enqueue(i, m, todo, outcome, &key, finished);
        }
        if run.tasks.is_empty() {
            return Ok(Ended::Completed);
        }
        let joined = tokio::select! {
            joined = run.tasks.join_next_with_id() => joined,
            _ = &mut interrupt => {
                run.interrupted(finished, None);
                return Ok(Ended::Interrupted);
            }
        };
        if let Some(joined) = joined {
            run.record(joined, finished);
        }
    }
}

/// A run under way: the clients, the members whose sections are out, the sections waiting for
/// a place, and the requests in flight.
struct Runner<C> {
    events: Arc<dyn Events>,
    clients: HashMap<String, std::result::Result<Arc<Client>, String>>,
    active: HashMap<usize, Active<C>>,
    queue: VecDeque<(usize, Planned, Rung)>,
    tasks: JoinSet<Done>,
    running: HashMap<tokio::task::Id, (usize, String)>,
}

impl<C> Runner<C> {
    fn new(events: Arc<dyn Events>) -> Runner<C> {
        Runner {
            events,
            clients: HashMap::new(),
            active: HashMap::new(),
            queue: VecDeque::new(),
            tasks: JoinSet::new(),
            running: HashMap::new(),
        }
    }

    /// Sends the next waiting section, if there is one.
    fn spawn_queued(&mut self) -> bool {
        let Some((i, p, start)) = self.queue.pop_front() else {
            return false;
        };
        let a = &self.active[&i];
        let task = spawn_request(a.client.clone(), p, i, &a.member, start, &self.events);
        let handle = self.tasks.spawn(task.0);
        self.running.insert(handle.id(), (i, task.1));
        true
    }

    /// A member's current stored answers are reused; with nothing left to ask it is handed
    /// back at once, else it comes back with the sections to request.
    fn reuse(
        &self,
        m: Member<C>,
        finished: Finished<C>,
    ) -> Option<(Member<C>, Vec<Planned>, Outcome)> {
        let mut outcome = Outcome::default();
        let todo = reuse_what_is_current(&m, self.events.as_ref(), &mut outcome);
        if todo.is_empty() {
            finished(m, outcome);
            return None;
        }
        Some((m, todo, outcome))
    }

    /// Queues a member's sections on its endpoint's client; if that endpoint could not be
    /// reached, they fail and the member is handed back.
    fn enqueue(
        &mut self,
        i: usize,
        m: Member<C>,
        todo: Vec<Planned>,
        mut outcome: Outcome,
        key: &str,
        finished: Finished<C>,
    ) {
        match &self.clients[key] {
            Ok(client) => {
                // Start the structure ladder where a previous run found this endpoint and
                // model answer.
                let start = m
                    .store
                    .remembered_rung(&formats_key(&m, client))
                    .unwrap_or(Rung::JsonSchema);
                self.queue
                    .extend(todo.iter().map(|p| (i, p.clone(), start)));
                let (pending, client) = (todo.len(), client.clone());
                let active = Active {
                    member: m,
                    outcome,
                    pending,
                    client,
                };
                self.active.insert(i, active);
            }
            Err(why) => {
                let ids: Vec<String> = todo.iter().map(|p| m.id(p.id())).collect();
                self.events.not_started(&ids);
                for p in &todo {
                    let error = Error::Other(why.clone());
                    outcome.failed.push((p.id().to_string(), error));
                }
                finished(m, outcome);
            }
        }
    }

    /// Records a finished request (stored first), and hands its member back when it was the
    /// member's last.
    fn record(
        &mut self,
        joined: std::result::Result<(tokio::task::Id, Done), tokio::task::JoinError>,
        finished: Finished<C>,
    ) {
        let i = match joined {
            Ok((id, (i, p, result))) => {
                self.running.remove(&id);
                let a = self
                    .active
                    .get_mut(&i)
                    .expect("a running section's member is active");
                let key = formats_key(&a.member, &a.client);
                record(
                    &p,
                    result,
                    &a.member,
                    &key,
                    self.events.as_ref(),
                    &mut a.outcome,
                );
                i
            }
            Err(e) => {
                // A task that panicked is a failed section like any other. Every task is
                // entered in `running` when it is spawned, so its section is known.
                let Some((i, section)) = self.running.remove(&e.id()) else {
                    let error = Error::Other(format!(
                        "internal error: a request task ended without a record ({e})"
                    ));
                    self.events.failed("", &error);
                    return;
                };
                let error = Error::Other(format!(
                    "internal error while requesting `{section}` (a bug in plan-ai; please report it)"
                ));
                if let Some(a) = self.active.get_mut(&i) {
                    self.events.failed(&a.member.id(&section), &error);
                    a.outcome.failed.push((section, error));
                }
                i
            }
        };
        if let Some(a) = self.active.get_mut(&i) {
            a.pending -= 1;
            if a.pending == 0 {
                let a = self.active.remove(&i).expect("just seen");
                finished(a.member, a.outcome);
            }
        }
    }

    /// Ctrl-C: requests in flight are dropped; the members under way (and `connecting`, the
    /// one whose endpoint was being reached) go back marked interrupted, in the order taken.
    fn interrupted(&mut self, finished: Finished<C>, connecting: Option<(Member<C>, Outcome)>) {
        self.tasks.abort_all();
        self.events.interrupted();
        let mut under_way: Vec<_> = self.active.drain().collect();
        under_way.sort_by_key(|(i, _)| *i);
        let under_way = under_way.into_iter().map(|(_, a)| (a.member, a.outcome));
        for (member, mut outcome) in under_way.chain(connecting) {
            outcome.interrupted = true;
            finished(member, outcome);
        }
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
        if let Some(rung) = g.rung
            && let Err(e) = m.store.remember_rung(formats_key, rung)
        {
            // Only a speed-up for later runs: the answer is stored all the same.
            outcome.warnings.push(format!(
                "{}: could not remember how this server takes structure: {e}",
                p.id()
            ));
        }
        Ok(stored)
    });
    // Remembered for `portfolio status`; failing to remember it loses no answer.
    let failure = saved.as_ref().err().map(|e| e.headline());
    if let Err(e) = m.store.note_outcome(p.id(), failure.as_deref()) {
        outcome.warnings.push(format!(
            "{}: could not note the outcome for `portfolio status`: {e}",
            p.id()
        ));
    }
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
