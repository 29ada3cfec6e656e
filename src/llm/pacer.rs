//! Pacing requests under a provider's rate limits, shared by every request to one endpoint:
//! client-side token buckets for requests and tokens per minute (`rpm`, `tpm`), tightened by
//! the server's `x-ratelimit-*` headers, and one pause for everyone when the server answers
//! 429, instead of each request backing off on its own while the others keep hitting the limit.

use super::{Notice, Notify};
use reqwest::header::HeaderMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::endpoint::RateLimits as Limits;

/// One bucket: `capacity` at most, refilled at `per_sec`.
#[derive(Debug)]
struct Bucket {
    level: f64,
    capacity: f64,
    per_sec: f64,
}

impl Bucket {
    /// A per-minute limit, paced evenly: the bucket holds one second's worth (at least one
    /// request, or the largest single request for tokens), so a run never bursts a minute's
    /// allowance at once and trips a sliding window.
    fn per_minute(limit: u32, min_capacity: f64) -> Bucket {
        let per_sec = limit as f64 / 60.0;
        let capacity = per_sec.max(min_capacity);
        Bucket {
            level: capacity,
            capacity,
            per_sec,
        }
    }

    fn refill(&mut self, elapsed: Duration) {
        self.level = (self.level + elapsed.as_secs_f64() * self.per_sec).min(self.capacity);
    }

    /// How long until `amount` is there (zero if it is).
    fn wait_for(&self, amount: f64) -> Duration {
        let amount = amount.min(self.capacity);
        if self.level >= amount {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((amount - self.level) / self.per_sec)
        }
    }
}

#[derive(Debug)]
struct State {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    last: Instant,
    /// Nobody sends before this: a 429, or the server saying nothing is left.
    paused_until: Option<Instant>,
    /// The server's own count of what is left, and when it resets.
    server_tokens: Option<(u64, Instant)>,
    /// The end of the last long wait reported, so concurrent waiters say it once.
    reported_until: Option<Instant>,
}

/// Shared by all requests to one endpoint.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

/// The longest a server's reset time is trusted for (a typo'd header must not stall a run).
const MAX_RESET: Duration = Duration::from_secs(120);
/// A reset time beyond this is not a rate limit's window but a broken header (`1e308`): ignored.
const ABSURD_RESET: f64 = 3600.0;
/// Waits longer than this are said (as a [`Notice::Pacing`]): a run that sits still that long
/// must not look hung.
pub const REPORTED_WAIT: Duration = Duration::from_secs(10);

impl Pacer {
    pub fn new(limits: Limits) -> Pacer {
        Pacer {
            state: Mutex::new(State {
                requests: limits.rpm.map(|r| Bucket::per_minute(r.max(1), 1.0)),
                tokens: limits.tpm.map(|t| Bucket::per_minute(t.max(1), 1.0)),
                last: Instant::now(),
                paused_until: None,
                server_tokens: None,
                reported_until: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request of about `tokens` tokens may go, and takes its share. A wait over
    /// [`REPORTED_WAIT`] is said through `notify`.
    pub async fn acquire(&self, tokens: u32, notify: Notify<'_>) {
        loop {
            let now = Instant::now();
            let wait = self.try_take(tokens as f64, now);
            if wait.is_zero() {
                return;
            }
            if self.worth_saying(wait, now) {
                notify(Notice::Pacing(wait));
            }
            // A little jitter, so workers released together do not arrive together.
            let jitter = Duration::from_millis(fastrand::u64(0..150));
            tokio::time::sleep(wait + jitter).await;
        }
    }

    /// Takes the share and returns zero, or returns how long to wait first.
    fn try_take(&self, tokens: f64, now: Instant) -> Duration {
        let mut s = self.state();
        let elapsed = now.saturating_duration_since(s.last);
        s.last = now;
        if let Some(until) = s.paused_until {
            if until > now {
                return until - now;
            }
            s.paused_until = None;
        }
        if let Some((left, reset)) = s.server_tokens {
            if reset <= now {
                s.server_tokens = None;
            } else if (left as f64) < tokens {
                return reset - now;
            }
        }
        let s = &mut *s;
        for bucket in [&mut s.requests, &mut s.tokens].into_iter().flatten() {
            bucket.refill(elapsed);
        }
        let wait = [
            s.requests.as_ref().map(|b| b.wait_for(1.0)),
            s.tokens.as_ref().map(|b| b.wait_for(tokens)),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default();
        if !wait.is_zero() {
            return wait;
        }
        if let Some(b) = &mut s.requests {
            b.level -= 1.0;
        }
        if let Some(b) = &mut s.tokens {
            b.level -= tokens.min(b.capacity);
        }
        if let Some((left, reset)) = s.server_tokens {
            s.server_tokens = Some((left.saturating_sub(tokens as u64), reset));
        }
        Duration::ZERO
    }

    /// Whether a wait of `wait` from `now` is long and new enough to be said: concurrent
    /// requests waiting for the same moment say it once.
    fn worth_saying(&self, wait: Duration, now: Instant) -> bool {
        if wait <= REPORTED_WAIT {
            return false;
        }
        let mut s = self.state();
        let end = now + wait;
        if s.reported_until.is_some_and(|r| end <= r + REPORTED_WAIT) {
            return false;
        }
        s.reported_until = Some(end);
        true
    }

    /// Everyone waits `wait` (a 429): the limit is shared, so backing off alone does not help.
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait.min(MAX_RESET);
        let mut s = self.state();
        s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Tightens pacing to what the server says is left (`x-ratelimit-remaining-*` and
    /// `-reset-*`). Negative or malformed values are ignored, and so are resets over an hour.
    pub fn observe(&self, headers: &HeaderMap) {
        let now = Instant::now();
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let count = |name: &str| {
            get(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
        };
        let reset = |name: &str| get(name).and_then(parse_reset);
        let mut s = self.state();
        if let Some(left) = count("x-ratelimit-remaining-requests") {
            if left == 0 {
                if let Some(r) = reset("x-ratelimit-reset-requests") {
                    let until = now + r.min(MAX_RESET);
                    s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
                }
            } else if let Some(b) = &mut s.requests {
                b.level = b.level.min(left as f64);
            }
        }
        if let (Some(left), Some(r)) = (
            count("x-ratelimit-remaining-tokens"),
            reset("x-ratelimit-reset-tokens"),
        ) {
            s.server_tokens = Some((left as u64, now + r.min(MAX_RESET)));
        }
    }

    /// The pause still to come, if any (for messages).
    pub fn paused_for(&self) -> Option<Duration> {
        let s = self.state();
        s.paused_until
            .and_then(|u| u.checked_duration_since(Instant::now()))
    }
}

/// A reset time as OpenAI writes it: `1s`, `6m0s`, `12ms`, `1m30.5s`, `1h`, or plain seconds.
/// `None` for anything else, including a negative, infinite or absurd (over an hour) time.
pub fn parse_reset(text: &str) -> Option<Duration> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return (secs.is_finite() && (0.0..=ABSURD_RESET).contains(&secs))
            .then(|| Duration::from_secs_f64(secs));
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&i| i > 0)?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    (total.is_finite() && total <= ABSURD_RESET).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_times_in_every_form() {
        let cases = [
            ("1s", Some(1.0)),
            ("6m0s", Some(360.0)),
            ("12ms", Some(0.012)),
            ("1m30.5s", Some(90.5)),
            ("1h", Some(3600.0)),
            ("0.25", Some(0.25)),
            ("-1", None),
            // Absurd: not a rate limit's window, so ignored rather than capped.
            ("1e308", None),
            ("inf", None),
            ("NaN", None),
            ("3601", None),
            ("2h", None),
            ("99999999999999999999h", None),
            ("soon", None),
            ("5x", None),
            ("", Some(0.0)),
        ];
        for (text, want) in cases {
            let got = parse_reset(text).map(|d| d.as_secs_f64());
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{text}: {g}"),
                (g, w) => assert_eq!(g, w, "{text}"),
            }
        }
    }

    #[test]
    fn requests_are_paced_evenly_at_the_rate() {
        let p = Pacer::new(Limits {
            rpm: Some(600),
            tpm: None,
        });
        let t0 = Instant::now();
        // Ten per second: the bucket holds one second's worth.
        for _ in 0..10 {
            assert_eq!(p.try_take(1.0, t0), Duration::ZERO);
        }
        let wait = p.try_take(1.0, t0);
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert_eq!(
            p.try_take(1.0, t0 + Duration::from_millis(100)),
            Duration::ZERO
        );
    }

    #[test]
    fn tokens_per_minute_count_the_estimate() {
        let p = Pacer::new(Limits {
            rpm: None,
            tpm: Some(60_000),
        });
        let t0 = Instant::now();
        assert_eq!(p.try_take(1000.0, t0), Duration::ZERO);
        let wait = p.try_take(1000.0, t0);
        assert!(wait >= Duration::from_millis(990), "{wait:?}");
    }

    #[test]
    fn a_429_pauses_everyone_and_server_headers_tighten_pacing() {
        let p = Pacer::new(Limits::default());
        assert_eq!(p.try_take(1.0, Instant::now()), Duration::ZERO);
        p.pause(Duration::from_secs(2));
        assert!(p.try_take(1.0, Instant::now()) > Duration::from_millis(1900));
        let p = Pacer::new(Limits::default());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining-requests", "0".parse().unwrap());
        h.insert("x-ratelimit-reset-requests", "1s".parse().unwrap());
        h.insert("x-ratelimit-remaining-tokens", "500".parse().unwrap());
        h.insert("x-ratelimit-reset-tokens", "3s".parse().unwrap());
        p.observe(&h);
        let wait = p.try_take(100.0, Instant::now());
        assert!(wait > Duration::from_millis(900), "{wait:?}");
        // Negative or malformed values are unknown, not limits.
        let p = Pacer::new(Limits::default());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining-requests", "-1".parse().unwrap());
        h.insert("x-ratelimit-reset-requests", "0s".parse().unwrap());
        h.insert("x-ratelimit-remaining-tokens", "lots".parse().unwrap());
        p.observe(&h);
        assert_eq!(p.try_take(100.0, Instant::now()), Duration::ZERO);
    }

    #[test]
    fn an_absurd_reset_header_is_ignored() {
        let p = Pacer::new(Limits::default());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining-requests", "0".parse().unwrap());
        h.insert("x-ratelimit-reset-requests", "1e308".parse().unwrap());
        p.observe(&h);
        assert_eq!(p.try_take(1.0, Instant::now()), Duration::ZERO);
    }

    #[test]
    fn long_waits_are_said_once_however_many_wait() {
        let p = Pacer::new(Limits::default());
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let cases = [
            (s(5), 0, false),  // short: not worth a word
            (s(10), 0, false), // the limit itself: not said
            (s(30), 0, true),  // long: said
            (s(30), 0, false), // the same moment, another waiter: said already
            (s(29), 1, false), // still that moment (ends within 10 s of it)
            (s(45), 1, true),  // a later, longer wait: said again
        ];
        for (wait, at, want) in cases {
            assert_eq!(p.worth_saying(wait, t0 + s(at)), want, "{wait:?} at {at}");
        }
    }

    #[test]
    fn an_absurd_reset_is_capped() {
        let p = Pacer::new(Limits::default());
        p.pause(Duration::from_secs(1_000_000));
        assert!(p.paused_for().unwrap() <= MAX_RESET);
    }
}
