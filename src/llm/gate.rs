//! How many requests one endpoint gets at once. Unlimited by default (the run's `--jobs`
//! bounds it); the profile's `jobs` caps it; and it drops to one for the rest of the run when
//! the server turns out to cut a running answer short whenever another request arrives, as
//! llama-cpp-python's server does with its default `interrupt_requests`.

use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    /// The most requests that were ever in flight at once.
    peak: usize,
}

/// Shared by every request to one endpoint.
#[derive(Debug)]
pub struct Gate {
    state: Mutex<State>,
    freed: Notify,
    /// The limit may be lowered when the server cuts answers; not when the user chose it.
    adaptive: AtomicBool,
    lowered: AtomicBool,
}

/// A place among the requests in flight, given back when dropped.
pub struct Slot<'a> {
    gate: &'a Gate,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.gate.state().in_flight -= 1;
        self.gate.freed.notify_waiters();
    }
}

impl Gate {
    /// `limit`: the user's own (the profile's `jobs`), which is then never changed; `None`:
    /// no limit of its own, lowered when the server needs it.
    pub fn new(limit: Option<usize>) -> Gate {
        Gate {
            state: Mutex::new(State {
                limit: limit.unwrap_or(usize::MAX).max(1),
                in_flight: 0,
                peak: 0,
            }),
            freed: Notify::new(),
            adaptive: AtomicBool::new(limit.is_none()),
            lowered: AtomicBool::new(false),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a place.
    pub async fn enter(&self) -> Slot<'_> {
        loop {
            // Registered before looking, so a place freed in between is not missed.
            let mut freed = pin!(self.freed.notified());
            freed.as_mut().enable();
            {
                let mut s = self.state();
                if s.in_flight < s.limit {
                    s.in_flight += 1;
                    s.peak = s.peak.max(s.in_flight);
                    return Slot { gate: self };
                }
            }
            freed.await;
        }
    }

    /// Requests in flight now, this one included when it holds a slot.
    pub fn in_flight(&self) -> usize {
        self.state().in_flight
    }

    /// The most requests that were in flight at once so far.
    pub fn peak(&self) -> usize {
        self.state().peak
    }

    /// The user chose how many requests go at once (`--jobs`): it is not lowered.
    pub fn fix(&self) {
        self.adaptive.store(false, Ordering::Relaxed);
    }

    /// One request at a time from now on, if the limit may be changed. True only for the call
    /// that lowered it (so it is said once).
    pub fn one_at_a_time(&self) -> bool {
        if !self.adaptive.load(Ordering::Relaxed) {
            return false;
        }
        self.state().limit = 1;
        !self.lowered.swap(true, Ordering::Relaxed)
    }

    /// Whether the limit may be lowered.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive.load(Ordering::Relaxed)
    }

    /// Whether this run lowered it to one.
    pub fn lowered(&self) -> bool {
        self.lowered.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn lowered_to_one_the_next_request_waits_for_the_running_ones() {
        let gate = Arc::new(Gate::new(None));
        let a = gate.enter().await;
        let b = gate.enter().await;
        assert_eq!((gate.in_flight(), gate.peak()), (2, 2));
        assert!(gate.one_at_a_time(), "the first lowering is said");
        assert!(!gate.one_at_a_time(), "and only the first");
        assert!(gate.lowered());
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _slot = gate.enter().await;
                gate.in_flight()
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "two are still in flight");
        drop(a);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "one is still in flight");
        drop(b);
        assert_eq!(waiting.await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_limit_the_user_chose_is_never_lowered() {
        let cases = [(Some(3), false), (None, true)];
        for (limit, adaptive) in cases {
            let gate = Gate::new(limit);
            assert_eq!(gate.is_adaptive(), adaptive);
            assert_eq!(gate.one_at_a_time(), adaptive);
        }
        let fixed = Gate::new(None);
        fixed.fix();
        assert!(!fixed.one_at_a_time());
        let _one = fixed.enter().await;
        let _two = fixed.enter().await;
        assert_eq!(fixed.in_flight(), 2);
    }
}
