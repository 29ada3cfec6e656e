//! A server that refuses every request with 429, forever (a used-up quota): the run stops after
//! a bounded number of refusals in a row, with a message that says so, instead of letting every
//! section of every project use up its attempts one pause after another.

use crate::support::*;
use std::time::{Duration, Instant};

#[test]
fn a_429_that_never_ends_stops_the_whole_run() {
    let server = FakeServer::start(|_, _| {
        Reply::error(429, "You exceeded your current quota").with_header("retry-after", "1")
    });
    let sb = Sandbox::new();
    for name in ["a", "b", "c", "d"] {
        std::fs::create_dir_all(sb.file("projects")).unwrap();
        std::fs::copy(
            example(CRM_EXAMPLE),
            sb.file(&format!("projects/{name}.toml")),
        )
        .unwrap();
    }
    sb.config(&fake_config(&server, 3, ""));
    let started = Instant::now();
    let run = sb
        .run(&["portfolio", "draft", "projects", "--jobs", "2"])
        .expect(4);
    let took = started.elapsed();
    let err = run.stderr();
    // Before: 4 projects × 3 sections × 4 attempts = 48 requests over 89 s (Retry-After: 3).
    // Now: the breaker's bar for 2 in flight (12 refusals in a row), and the 2 in flight then.
    let sent = server.count();
    assert!(sent <= 14, "{sent} requests: {err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_contains(&err, "requests in a row with 429", "the reason");
    assert_contains(&err, "quota may be used up", "what to do");
    assert_contains(&err, "sections failed", "the summary");
}
