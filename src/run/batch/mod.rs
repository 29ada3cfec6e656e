//! The batch run: every section at once (within a limit), each stored the moment it finishes.
//! Nothing here prints: progress is reported through [`Events`]. What to do next is decided in
//! [`schedule`]; the run's state and its I/O live in [`runner`].

mod runner;
mod schedule;

use super::section::Planned;
use super::store::{Store, StoredSection};
use crate::chat::Usage;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::llm::{Client, Notice};
use crate::project::{Privacy, Project};
use runner::{Finished, Runner};
use schedule::Step;
use std::future::Future;
use std::sync::Arc;

/// A sane cap on requests in flight: local servers queue them anyway, hosted ones rate-limit.
pub const MAX_JOBS: usize = 8;

/// What the batch reports as it goes. Called from several tasks at once.
pub trait Events: Send + Sync {
    /// A stored answer is current and will be used as is.
    fn reused(&self, id: &str);
    /// A person's version (pasted, revised, edited, restored) is kept as it is: `draft` never
    /// replaces one unless asked to. `version` says which, e.g. `version 3 (revised)`.
    fn kept(&self, id: &str, version: &str) {
        let _ = version;
        self.reused(id);
    }
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
    /// What its requests may carry of the people.
    pub privacy: Privacy,
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

/// Runs one project's sections until every one is done or failed, or `interrupt` resolves
/// (Ctrl-C), and hands back its context with the outcome. Connecting fails the whole run
/// (`Err`); a section that fails is reported in the outcome.
pub async fn generate<C>(
    member: Member<C>,
    jobs: Jobs,
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

/// Requests in flight at once across the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jobs {
    pub limit: usize,
    /// The user chose the limit (`--jobs`): no endpoint's own limit is lowered on its own,
    /// nor taken from what an earlier run found.
    pub chosen: bool,
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

/// Runs the sections of every member, `jobs` requests in flight in all, one client per
/// distinct endpoint, and hands each member back with its outcome (`finished`) as soon as its
/// last section is recorded. Members are taken from the iterator only as places free up, so a
/// portfolio of a thousand projects holds a few at a time, not all of them.
///
/// `on_failure` says what failing to connect does. On `interrupt` (Ctrl-C) the members under
/// way are handed back marked interrupted and members not yet taken are left alone.
pub async fn generate_many<C>(
    members: impl IntoIterator<Item = Member<C>>,
    jobs: Jobs,
    events: Arc<dyn Events>,
    interrupt: impl Future<Output = ()>,
    on_failure: OnConnectFailure,
    mut finished: impl FnMut(Member<C>, Outcome),
) -> Result<Ended> {
    // One listener for the whole run, so connecting is interruptible too and no signal falls
    // between two listeners.
    tokio::pin!(interrupt);
    let finished: Finished<C> = &mut finished;
    let mut run = Runner::new(events.clone(), jobs.chosen);
    let mut members = members.into_iter().enumerate().peekable();
    loop {
        let step = schedule::next_step(
            run.in_flight(),
            jobs.limit,
            run.queued(),
            members.peek().is_some(),
        );
        match step {
            Step::SendQueued => run.spawn_queued(),
            Step::TakeMember => {
                let Some((i, m)) = members.next() else {
                    continue;
                };
                let Some((m, todo, outcome)) = run.reuse(m, finished) else {
                    continue;
                };
                let key = m.endpoint_key();
                if !run.has_client(&key) {
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
                        let ids: Vec<String> = todo.iter().map(|p| m.id(p.id())).collect();
                        events.not_started(&ids);
                        return Err(e);
                    }
                    run.add_client(&key, connected);
                }
                run.enqueue(i, m, todo, outcome, &key, finished);
            }
            Step::AwaitOne => {
                let joined = tokio::select! {
                    joined = run.join_next() => joined,
                    _ = &mut interrupt => {
                        run.interrupted(finished, None);
                        return Ok(Ended::Interrupted);
                    }
                };
                if let Some(joined) = joined {
                    run.record(joined, finished);
                }
            }
            Step::Finish => return Ok(Ended::Completed),
        }
    }
}
