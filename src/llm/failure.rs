//! Why an attempt failed: classifying transport errors and HTTP statuses, reading error bodies
//! of every shape servers send, `Retry-After`, and the hint to give when it fails for good.

use crate::error::{Hint, TimeLimit, strip_os_error};
use crate::text::snippet;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// One failed attempt, classified for the retry loop.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Could not connect, or the connection broke before a response.
    Connect(String),
    Timeout(TimeLimit, String),
    Http {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The stream ended, broke or reported an error before a finish_reason.
    Stream(String),
    /// The response was not what an OpenAI-compatible server sends.
    Protocol(String),
    /// The server redirected the request (never followed: the key and prompt would go along).
    Redirect {
        status: u16,
        location: String,
    },
    /// The response broke a size limit; asking again would not help.
    Limit(String),
    /// The model declined to answer (OpenAI's `refusal`).
    Refused(String),
}

impl Failure {
    pub fn retryable(&self) -> bool {
        match self {
            Failure::Connect(_) | Failure::Timeout(..) | Failure::Stream(_) => true,
            Failure::Http { status, .. } => *status == 429 || *status >= 500,
            Failure::Protocol(_)
            | Failure::Redirect { .. }
            | Failure::Limit(_)
            | Failure::Refused(_) => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Failure::Connect(m)
            | Failure::Timeout(_, m)
            | Failure::Stream(m)
            | Failure::Protocol(m)
            | Failure::Limit(m) => m.clone(),
            Failure::Refused(why) => format!("the model declined to answer: {why}"),
            Failure::Redirect { status, location } => {
                format!(
                    "HTTP {status} {}: redirected to {location}",
                    reason(*status)
                )
            }
            Failure::Http {
                status, message, ..
            } => format!("HTTP {status} {}: {message}", reason(*status)),
        }
    }

    /// A 400/422/500 that complains about the request's `response_format`: the server does not
    /// take this way of asking for structure (llama-cpp-python answers `json_schema` with a 500,
    /// LM Studio `json_object` with a 400).
    pub fn rejects_format(&self) -> bool {
        match self {
            Failure::Http {
                status: 400 | 422 | 500,
                message,
                ..
            } => {
                let m = message.to_lowercase();
                ["response_format", "json_schema", "json_object", "schema"]
                    .iter()
                    .any(|w| m.contains(w))
            }
            _ => false,
        }
    }

    /// What to try next, given where the request went.
    pub fn hint(&self, profile: &str, model: &str, base_url: &str) -> Option<Hint> {
        Some(match self {
            Failure::Http {
                status: 401 | 403, ..
            } => Hint::KeyRefused {
                profile: profile.to_string(),
                env_var: crate::endpoint::keys::ENV_KEY,
            },
            Failure::Http {
                status: 404,
                message,
                ..
            } if message.to_lowercase().contains("model") => Hint::UnknownModel {
                profile: profile.to_string(),
                model: model.to_string(),
            },
            Failure::Http { message, .. }
                if message.contains("context length") || message.contains("context_length") =>
            {
                Hint::ContextLength
            }
            Failure::Http { status: 404, .. } => Hint::CheckBaseUrl {
                base_url: base_url.to_string(),
            },
            Failure::Connect(_) if crate::endpoint::url::is_loopback(base_url) => {
                Hint::StartLocalServer
            }
            Failure::Timeout(limit, _) => Hint::Timeout(*limit),
            Failure::Redirect { location, .. } => Hint::Redirected {
                location: location.clone(),
            },
            _ => return None,
        })
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// When a transport error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Sending the request, before a response arrived.
    Sending,
    /// Reading the response body: the answer is incomplete, so it may be retried.
    Reading,
}

/// A transport error. `elapsed` and `request_timeout` tell which time limit fired.
pub fn transport(
    e: &reqwest::Error,
    stage: Stage,
    origin: &str,
    elapsed: Duration,
    request_timeout: Duration,
) -> Failure {
    let text = describe_reqwest(e, origin);
    if e.is_timeout() {
        Failure::Timeout(time_limit(e, elapsed, request_timeout), text)
    } else if stage == Stage::Reading {
        Failure::Stream(format!("the connection broke mid-answer ({text})"))
    } else if e.is_decode() {
        Failure::Protocol(text)
    } else {
        Failure::Connect(text)
    }
}

fn time_limit(e: &reqwest::Error, elapsed: Duration, request_timeout: Duration) -> TimeLimit {
    if e.is_connect() {
        TimeLimit::Connect
    } else if elapsed + Duration::from_millis(50) >= request_timeout {
        TimeLimit::Request
    } else {
        TimeLimit::Idle
    }
}

/// reqwest's Display says "error sending request"; people need the cause at the bottom.
fn describe_reqwest(e: &reqwest::Error, origin: &str) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let root = strip_os_error(&cause.to_string());
    if e.is_timeout() {
        format!("{origin} did not answer in time ({root})")
    } else if e.is_connect() {
        format!("cannot connect to {origin}: {root}")
    } else {
        format!("{origin}: {root}")
    }
}

/// `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, as a wait from now. Absurd
/// values (infinite, `1e308`) become `Duration::MAX`; negative ones or NaN, no wait.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Some(seconds(ms / 1000.0));
    }
    let v = header("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return Some(seconds(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

fn seconds(s: f64) -> Duration {
    if s.is_nan() || s <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX)
    }
}

/// A readable message from an error body in any of the shapes servers use.
pub fn error_message(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty response body)".to_string();
    }
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        for key in ["error", "detail", "message", "msg"] {
            if let Some(inner) = v.get(key) {
                return snippet(&error_text(inner), 300);
            }
        }
        if let Some(s) = v.as_str() {
            return snippet(s, 300);
        }
        return snippet(trimmed, 300);
    }
    if trimmed.starts_with('<') {
        return snippet(&strip_html(trimmed), 200);
    }
    snippet(trimmed, 300)
}

/// The message inside an error value: a string, `{message, code}`, or a list of them.
pub fn error_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let msg = o
                .get("message")
                .or_else(|| o.get("msg"))
                .or_else(|| o.get("detail"));
            match msg {
                Some(m) => {
                    let mut s = error_text(m);
                    if let Some(code) = o.get("code").and_then(|c| {
                        c.as_str()
                            .map(str::to_string)
                            .or_else(|| c.as_u64().map(|n| n.to_string()))
                    }) {
                        s.push_str(&format!(" (code {code})"));
                    }
                    s
                }
                None => Value::Object(o.clone()).to_string(),
            }
        }
        Value::Array(items) => items.iter().map(error_text).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// Text of an HTML error page (a proxy's 502, say): its title, else its visible text.
fn strip_html(html: &str) -> String {
    // ASCII-only lower-casing keeps every byte where it was, so offsets found in `lower` are
    // valid in `html` (full Unicode lower-casing changes lengths: `İ` grows a byte).
    let lower = html.to_ascii_lowercase();
    if let (Some(a), Some(b)) = (lower.find("<title>"), lower.find("</title>"))
        && b > a + 7
    {
        return format!("{} (HTML page)", html[a + 7..b].trim());
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ") + " (HTML page)"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies_of_every_shape() {
        let cases = [
            (
                json!({"error": {"message": "bad", "code": "x1"}}).to_string(),
                "bad (code x1)",
            ),
            (
                json!({"error": {"message": "bad", "code": 400}}).to_string(),
                "bad (code 400)",
            ),
            (
                json!({"error": "model is loading"}).to_string(),
                "model is loading",
            ),
            (
                json!({"detail": [{"msg": "a"}, {"msg": "b"}]}).to_string(),
                "a; b",
            ),
            (json!({"message": "quota"}).to_string(), "quota"),
            (json!({"other": 1}).to_string(), "{\"other\":1}"),
            ("\"just a string\"".to_string(), "just a string"),
            (
                "<html><title> 502 Bad Gateway </title></html>".to_string(),
                "502 Bad Gateway (HTML page)",
            ),
            (
                "<p>Oops <b>down</b></p>".to_string(),
                "Oops down (HTML page)",
            ),
            ("plain\n text".to_string(), "plain text"),
            (
                "<html><title>İstanbul 502</title></html>".to_string(),
                "İstanbul 502 (HTML page)",
            ),
            (
                "<HTML><TITLE>Upper</TITLE>".to_string(),
                "Upper (HTML page)",
            ),
            ("<p>İİİİ <b>x</b></p>".to_string(), "İİİİ x (HTML page)"),
            ("   ".to_string(), "(empty response body)"),
        ];
        for (body, want) in cases {
            assert_eq!(error_message(&body), want, "{body}");
        }
    }

    #[test]
    fn long_error_bodies_are_cut() {
        let body = "x".repeat(1000);
        assert_eq!(error_message(&body).chars().count(), 301);
    }

    fn headers(pairs: &[(&str, &str)]) -> reqwest::header::HeaderMap {
        let mut h = reqwest::header::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<Duration>);
        let cases: &[Case] = &[
            (&[("retry-after", "2")], Some(Duration::from_secs(2))),
            (&[("retry-after", "1.5")], Some(Duration::from_millis(1500))),
            (
                &[("retry-after-ms", "250")],
                Some(Duration::from_millis(250)),
            ),
            (
                &[("retry-after-ms", "100"), ("retry-after", "9")],
                Some(Duration::from_millis(100)),
            ),
            (&[("retry-after", "-3")], Some(Duration::ZERO)),
            (
                &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
                Some(Duration::ZERO),
            ),
            (&[("retry-after", "soon")], None),
            (&[("retry-after", "1e308")], Some(Duration::MAX)),
            (&[("retry-after-ms", "inf")], Some(Duration::MAX)),
            (&[("retry-after-ms", "1e300")], Some(Duration::MAX)),
            (&[("retry-after", "NaN")], Some(Duration::ZERO)),
            (&[], None),
        ];
        for (pairs, want) in cases {
            assert_eq!(retry_after(&headers(pairs)), *want, "{pairs:?}");
        }
    }

    #[test]
    fn which_failures_are_retried() {
        let http = |status| Failure::Http {
            status,
            message: String::new(),
            retry_after: None,
        };
        let cases = [
            (http(429), true),
            (http(500), true),
            (http(503), true),
            (http(400), false),
            (http(401), false),
            (http(404), false),
            (Failure::Connect("x".into()), true),
            (Failure::Timeout(TimeLimit::Idle, "x".into()), true),
            (Failure::Stream("x".into()), true),
            (Failure::Protocol("x".into()), false),
        ];
        for (f, want) in cases {
            assert_eq!(f.retryable(), want, "{f:?}");
        }
    }

    #[test]
    fn hints_follow_the_failure() {
        let http = |status, message: &str| Failure::Http {
            status,
            message: message.into(),
            retry_after: None,
        };
        let local = "http://127.0.0.1:8080/v1";
        let remote = "https://api.example.com/v1";
        let cases = [
            (http(401, "no"), remote, Some("KeyRefused")),
            (
                http(404, "The model `x` does not exist"),
                remote,
                Some("UnknownModel"),
            ),
            (http(404, "Not Found"), remote, Some("CheckBaseUrl")),
            (
                http(400, "maximum context length is 2048"),
                remote,
                Some("ContextLength"),
            ),
            (http(400, "bad"), remote, None),
            (
                Failure::Connect("refused".into()),
                local,
                Some("StartLocalServer"),
            ),
            (Failure::Connect("refused".into()), remote, None),
            (
                Failure::Timeout(TimeLimit::Request, "t".into()),
                remote,
                Some("Timeout"),
            ),
        ];
        for (f, base, want) in cases {
            let got = f.hint("p", "m", base).map(|h| format!("{h:?}"));
            match want {
                Some(w) => assert!(
                    got.as_deref().is_some_and(|g| g.starts_with(w)),
                    "{f:?}: {got:?}"
                ),
                None => assert_eq!(got, None, "{f:?}"),
            }
        }
    }

    #[test]
    fn http_failures_read_with_their_reason_phrase() {
        let f = Failure::Http {
            status: 503,
            message: "overloaded".into(),
            retry_after: None,
        };
        assert_eq!(f.describe(), "HTTP 503 Service Unavailable: overloaded");
    }
}
