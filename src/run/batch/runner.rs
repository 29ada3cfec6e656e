//! A run under way: the clients (one per endpoint), the members whose sections are out, the
//! sections waiting for a place, and the requests in flight; starting requests, and recording
//! each answer the moment it arrives.

use super::{Events, Member, Outcome};
use crate::error::{Error, Result};
use crate::llm::{Client, Notice, Sink};
use crate::run::section::{self, Generated, Job, Planned};
use crate::run::store::StoredSection;
use crate::sections::Rung;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;

/// A member whose sections are out, and what is known of it so far.
pub(super) struct Active<C> {
    member: Member<C>,
    outcome: Outcome,
    /// Sections not yet recorded.
    pending: usize,
    client: Arc<Client>,
}

pub(super) type Finished<'f, C> = &'f mut dyn FnMut(Member<C>, Outcome);

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

/// A run under way: the clients, the members whose sections are out, the sections waiting for
/// a place, and the requests in flight.
pub(super) struct Runner<C> {
    events: Arc<dyn Events>,
    /// The user chose `--jobs`: endpoints keep their limits.
    jobs_chosen: bool,
    clients: HashMap<String, std::result::Result<Arc<Client>, String>>,
    active: HashMap<usize, Active<C>>,
    queue: VecDeque<(usize, Planned, Rung)>,
    tasks: JoinSet<Done>,
    running: HashMap<tokio::task::Id, (usize, String)>,
}

pub(super) type Joined = std::result::Result<(tokio::task::Id, Done), tokio::task::JoinError>;

impl<C> Runner<C> {
    pub(super) fn new(events: Arc<dyn Events>, jobs_chosen: bool) -> Runner<C> {
        Runner {
            events,
            jobs_chosen,
            clients: HashMap::new(),
            active: HashMap::new(),
            queue: VecDeque::new(),
            tasks: JoinSet::new(),
            running: HashMap::new(),
        }
    }

    /// Requests in flight.
    pub(super) fn in_flight(&self) -> usize {
        self.tasks.len()
    }

    /// Sections waiting for a place.
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn has_client(&self, key: &str) -> bool {
        self.clients.contains_key(key)
    }

    /// The client for an endpoint key, or why there is none (its members' sections fail).
    pub(super) fn add_client(&mut self, key: &str, connected: Result<Client>) {
        let connected = connected.map(|c| {
            if self.jobs_chosen {
                c.fix_concurrency();
            }
            Arc::new(c)
        });
        let connected = connected.map_err(|e| e.to_string());
        self.clients.insert(key.to_string(), connected);
    }

    pub(super) async fn join_next(&mut self) -> Option<Joined> {
        self.tasks.join_next_with_id().await
    }

    /// Sends the next waiting section, if there is one.
    pub(super) fn spawn_queued(&mut self) {
        let Some((i, p, start)) = self.queue.pop_front() else {
            return;
        };
        let a = &self.active[&i];
        let task = spawn_request(a.client.clone(), p, i, &a.member, start, &self.events);
        let handle = self.tasks.spawn(task.0);
        self.running.insert(handle.id(), (i, task.1));
    }

    /// A member's current stored answers are reused; with nothing left to ask it is handed
    /// back at once, else it comes back with the sections to request.
    pub(super) fn reuse(
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
    pub(super) fn enqueue(
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
                // Start where a previous run found this endpoint and model answer: on the
                // structure ladder, and one request at a time if it cuts answers otherwise.
                let key = formats_key(&m, client);
                let start = m.store.remembered_rung(&key).unwrap_or(Rung::JsonSchema);
                if m.store.remembered_one_at_a_time(&key) {
                    client.one_at_a_time();
                }
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
    pub(super) fn record(&mut self, joined: Joined, finished: Finished<C>) {
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
                if a.client.went_one_at_a_time()
                    && let Err(e) = a.member.store.remember_one_at_a_time(&key)
                {
                    let warning =
                        format!("could not remember to send {key} one request at a time: {e}");
                    a.outcome.warnings.push(warning);
                }
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
    pub(super) fn interrupted(
        &mut self,
        finished: Finished<C>,
        connecting: Option<(Member<C>, Outcome)>,
    ) {
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
            // A person's version is never replaced unasked, even when its prompt changed.
            Some(s) if !forced && s.how().by_person() => {
                let version = format!("version {} ({})", s.number(), s.how().label());
                if !s.is_current(&p.filled, None) {
                    outcome.warnings.push(format!(
                        "{}: kept {version}, made by a person from an earlier prompt; regenerate the section to replace it",
                        m.id(p.id())
                    ));
                }
                events.kept(&m.id(&s.section), &version);
                outcome.reused.push(s);
            }
            Some(s) if !forced && s.is_current(&p.filled, asked) => {
                events.reused(&m.id(&s.section));
                outcome.reused.push(s);
            }
            _ => todo.push(p.clone()),
        }
    }
    todo
}

pub(super) type Done = (usize, Planned, Result<Generated>);

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
    let privacy = m.privacy;
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
            privacy,
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
