//! What to do after an attempt fails, decided from plain facts (no I/O, so every path is a row
//! of a table test), and the breaker that stops a run a server only ever answers with 429.

use super::failure::Failure;
use std::sync::Mutex;
use std::time::Duration;

/// The longest `Retry-After` plan-ai honours; a server asking for more gets a clear error.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(120);
/// Parameter adaptations per request (each changes one thing the server rejected).
const MAX_ADAPTATIONS: u32 = 3;
/// Free retries per request for answers another request cut short.
const MAX_CUT_RETRIES: u32 = 4;

/// What is known when an attempt has failed.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub failure: &'a Failure,
    /// The request asks for structure in `response_format`.
    pub asks_format: bool,
    /// What adapting the request would change, if the failure names a parameter it can drop
    /// or rename (see `wire::adapt`).
    pub adaptation: Option<&'static str>,
    pub adapted: u32,
    /// Other requests to this endpoint were in flight when this answer came back cut short,
    /// and the endpoint's limit may be lowered.
    pub cut_by_another: bool,
    pub cut_retries: u32,
    /// Text already shown can be taken back (false once a terminal printed part of it).
    pub can_restart: bool,
    /// The next backoff delay; `None` when the retries are used up.
    pub backoff: Option<Duration>,
    /// How long the endpoint's shared pause still holds (after a 429 without `Retry-After`).
    pub paused_for: Option<Duration>,
}

/// The decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// The server does not take this way of asking for structure: the caller tries the next.
    FormatRejected,
    /// Send again at once with the parameter changed; not an attempt.
    Adapt(&'static str),
    /// Another request cut this one: send again one at a time; not an attempt.
    OneAtATime,
    /// Send again after `wait`; `pause_all`: a rate limit, which every request waits out.
    Retry { wait: Duration, pause_all: bool },
    /// Stop. `after_partial_output`: part of the answer was shown, so it could not be retried;
    /// `wait_too_long`: the server asked to wait longer than plan-ai waits (`Duration::MAX`
    /// for an absurd time).
    GiveUp {
        after_partial_output: bool,
        wait_too_long: Option<Duration>,
    },
}

pub fn decide(f: &Facts) -> Next {
    let give_up = Next::GiveUp {
        after_partial_output: false,
        wait_too_long: None,
    };
    if f.asks_format && f.failure.rejects_format() {
        return Next::FormatRejected;
    }
    if let (
        Failure::Http {
            status: 400 | 422, ..
        },
        Some(change),
    ) = (f.failure, f.adaptation)
        && f.adapted < MAX_ADAPTATIONS
    {
        return Next::Adapt(change);
    }
    if !f.failure.retryable() {
        return give_up;
    }
    if !f.can_restart {
        return Next::GiveUp {
            after_partial_output: true,
            wait_too_long: None,
        };
    }
    if f.cut_by_another
        && matches!(f.failure, Failure::Stream(_))
        && f.cut_retries < MAX_CUT_RETRIES
    {
        return Next::OneAtATime;
    }
    let Some(backoff) = f.backoff else {
        return give_up;
    };
    let rate_limited = matches!(f.failure, Failure::Http { status: 429, .. });
    let wait = f
        .failure
        .retry_after()
        .or_else(|| rate_limited.then_some(f.paused_for).flatten())
        .unwrap_or(backoff);
    if wait > MAX_RETRY_WAIT {
        return Next::GiveUp {
            after_partial_output: false,
            wait_too_long: Some(wait),
        };
    }
    Next::Retry {
        wait,
        pause_all: rate_limited,
    }
}

/// Counts rate-limit refusals in a row across every request to one endpoint. A server that
/// refuses everything (a quota used up, a limit far below the pace) would otherwise let each
/// section use up its attempts, one long pause after another.
#[derive(Debug, Default)]
pub struct Breaker {
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    in_a_row: u32,
    tripped: Option<u32>,
}

impl Breaker {
    fn state(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An answer came back: the count starts again.
    pub fn success(&self) {
        self.state().in_a_row = 0;
    }

    /// A 429. Returns true when this one trips the breaker: `peak` requests were in flight at
    /// most, and each may see a refusal before the shared pause holds them back, so the bar
    /// rises with it.
    pub fn refused(&self, peak: usize) -> bool {
        let mut s = self.state();
        s.in_a_row += 1;
        let trips = s.tripped.is_none() && s.in_a_row >= threshold(peak);
        if trips {
            s.tripped = Some(s.in_a_row);
        }
        trips
    }

    /// The refusals in a row that tripped it, once it has tripped: nothing more is sent.
    pub fn tripped(&self) -> Option<u32> {
        self.state().tripped
    }
}

/// Refusals in a row, with no success between them, that stop the run.
pub fn threshold(peak_in_flight: usize) -> u32 {
    8 + 2 * peak_in_flight.min(64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, retry_after: Option<u64>) -> Failure {
        Failure::Http {
            status,
            message: "m".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    fn facts(failure: &Failure) -> Facts<'_> {
        Facts {
            failure,
            asks_format: false,
            adaptation: None,
            adapted: 0,
            cut_by_another: false,
            cut_retries: 0,
            can_restart: true,
            backoff: Some(Duration::from_millis(500)),
            paused_for: None,
        }
    }

    #[test]
    fn each_failure_gets_its_decision() {
        let give_up = Next::GiveUp {
            after_partial_output: false,
            wait_too_long: None,
        };
        let cut = Failure::Stream("the server sent an empty answer".into());
        let rejected = Failure::Http {
            status: 400,
            message: "response_format json_schema is not supported".into(),
            retry_after: None,
        };
        let s = |n| Duration::from_secs(n);
        let half = Duration::from_millis(500);
        type Change<'a> = &'a dyn Fn(&mut Facts);
        let cases: Vec<(&str, Failure, Change, Next)> = vec![
            (
                "503 backs off",
                http(503, None),
                &|_| {},
                Next::Retry {
                    wait: half,
                    pause_all: false,
                },
            ),
            (
                "Retry-After is honoured",
                http(503, Some(7)),
                &|_| {},
                Next::Retry {
                    wait: s(7),
                    pause_all: false,
                },
            ),
            (
                "429 pauses everyone",
                http(429, Some(3)),
                &|_| {},
                Next::Retry {
                    wait: s(3),
                    pause_all: true,
                },
            ),
            (
                "429 joins a pause under way",
                http(429, None),
                &|f| f.paused_for = Some(Duration::from_secs(9)),
                Next::Retry {
                    wait: s(9),
                    pause_all: true,
                },
            ),
            (
                "an absurd wait",
                http(429, Some(10_000)),
                &|_| {},
                Next::GiveUp {
                    after_partial_output: false,
                    wait_too_long: Some(s(10_000)),
                },
            ),
            (
                "retries used up",
                http(503, None),
                &|f| f.backoff = None,
                give_up.clone(),
            ),
            ("401 is final", http(401, None), &|_| {}, give_up.clone()),
            (
                "a parameter adapted",
                http(400, None),
                &|f| f.adaptation = Some("x"),
                Next::Adapt("x"),
            ),
            (
                "three adaptations at most",
                http(400, None),
                &|f| {
                    f.adaptation = Some("x");
                    f.adapted = 3
                },
                give_up.clone(),
            ),
            (
                "the format rejected",
                rejected.clone(),
                &|f| f.asks_format = true,
                Next::FormatRejected,
            ),
            (
                "not asking for a format",
                rejected.clone(),
                &|_| {},
                give_up.clone(),
            ),
            (
                "a cut stream is retried",
                cut.clone(),
                &|_| {},
                Next::Retry {
                    wait: half,
                    pause_all: false,
                },
            ),
            (
                "cut by another request",
                cut.clone(),
                &|f| f.cut_by_another = true,
                Next::OneAtATime,
            ),
            (
                "cut by another, free retries used",
                cut.clone(),
                &|f| {
                    f.cut_by_another = true;
                    f.cut_retries = 4
                },
                Next::Retry {
                    wait: half,
                    pause_all: false,
                },
            ),
            (
                "cut after text was shown",
                cut.clone(),
                &|f| {
                    f.cut_by_another = true;
                    f.can_restart = false
                },
                Next::GiveUp {
                    after_partial_output: true,
                    wait_too_long: None,
                },
            ),
        ];
        for (what, failure, change, want) in cases {
            let mut f = facts(&failure);
            change(&mut f);
            assert_eq!(decide(&f), want, "{what}");
        }
    }

    #[test]
    fn the_breaker_trips_once_after_refusals_in_a_row() {
        let b = Breaker::default();
        let bar = threshold(2);
        assert_eq!(bar, 12);
        for _ in 1..bar {
            assert!(!b.refused(2));
        }
        b.success();
        for _ in 1..bar {
            assert!(!b.refused(2), "a success starts the count again");
        }
        assert_eq!(b.tripped(), None);
        assert!(b.refused(2));
        assert_eq!(b.tripped(), Some(bar));
        assert!(!b.refused(2), "tripped once");
        assert!(threshold(64) == threshold(1000), "the bar has a ceiling");
    }
}
