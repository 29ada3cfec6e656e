//! Shared by the `draft_*` test files: a fake model that answers each built-in section of the
//! CRM example with a recognisable text, and sandboxes set up to talk to it.

use super::asserts::assert_contains;
use super::cli::Sandbox;
use super::config::fake_sandbox;
use super::fake_server::{FakeServer, Recorded, Reply};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The built-in sections, in outline order.
pub const SECTIONS: [&str; 3] = ["resistance", "communication", "metrics"];

/// The retry budget of the draft tests' profile.
pub const RETRIES: u32 = 1;

/// Which built-in section a chat request is for, told apart by its prompt's opening role.
pub fn section_of(req: &Recorded) -> &'static str {
    let text = req.user_text();
    if text.contains("change management consultant") {
        "resistance"
    } else if text.contains("internal communications specialist") {
        "communication"
    } else if text.contains("digital adoption analyst") {
        "metrics"
    } else {
        "unknown"
    }
}

/// The distinctive answer the fake model gives for a section.
pub fn answer_of(section: &str) -> String {
    format!(
        "{}-ANSWER from the fake model for the {section} section.",
        section.to_uppercase()
    )
}

/// A successful answer for this request, streamed when it asks for a stream.
pub fn ok_reply(req: &Recorded) -> Reply {
    let text = answer_of(section_of(req));
    if req.wants_stream() {
        Reply::stream_text(&text, 3, 0)
    } else {
        Reply::completion(&text)
    }
}

/// A 400 that is neither retried nor "adapted" to (no parameter name in the message).
pub fn broken() -> Reply {
    Reply::error(400, "fake: this section is broken on purpose")
}

/// The CRM example as `plan-ai.toml`, with a config whose default profile talks to `server`.
pub fn sandbox(server: &FakeServer) -> Sandbox {
    fake_sandbox(server, RETRIES, "")
}

/// A healthy server and a sandbox where `draft` has already succeeded once.
pub fn drafted() -> (FakeServer, Sandbox) {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    (server, sb)
}

/// A server whose metrics requests fail until the returned flag is set.
pub fn server_with_failing_metrics() -> (FakeServer, Arc<AtomicBool>) {
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    let server = FakeServer::start(move |req, _| {
        if section_of(req) == "metrics" && !flag.load(Ordering::SeqCst) {
            broken()
        } else {
            ok_reply(req)
        }
    });
    (server, healthy)
}

/// Sections of the chat requests from index `from` on, sorted.
pub fn requested_since(server: &FakeServer, from: usize) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = server.requests()[from..].iter().map(section_of).collect();
    v.sort_unstable();
    v
}

pub fn sorted<'a>(ids: &[&'a str]) -> Vec<&'a str> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v
}

/// Asserts that `md` holds the fake model's answer for every built-in section.
#[track_caller]
pub fn assert_every_answer(md: &str, what: &str) {
    for id in SECTIONS {
        assert_contains(md, &answer_of(id), what);
    }
}

/// The part of `md` from the first `from` up to (not including) the next `to` after it.
#[track_caller]
pub fn part_of<'a>(md: &'a str, from: &str, to: &str) -> &'a str {
    let start = md
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in:\n{md}"));
    let len = md[start..]
        .find(to)
        .unwrap_or_else(|| panic!("no {to:?} after {from:?} in:\n{md}"));
    &md[start..start + len]
}
