//! A server that cuts a running answer short whenever another request arrives, as
//! llama-cpp-python's server does with its default `interrupt_requests`: `draft` finds out,
//! sends one request at a time for the rest of the run, says so once with the setting that
//! makes it permanent, and remembers it for the endpoint and model. An explicit `--jobs` or a
//! profile's `jobs` wins.

use crate::support::draft::*;
use crate::support::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const NOTE: &str = "sending it one request at a time";

/// Answers each section word by word (80 ms apart), cutting the running answers short when a
/// new request arrives.
fn interrupting_server() -> FakeServer {
    let epoch = Arc::new(AtomicUsize::new(0));
    FakeServer::start(move |req, _| {
        let mine = epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let Reply::Sse { parts, .. } = Reply::stream_text(&answer_of(section_of(req)), 1, 80)
        else {
            unreachable!("stream_text is an SSE reply")
        };
        Reply::Interruptible {
            parts,
            epoch: epoch.clone(),
            mine,
        }
    })
}

/// Whether any two requests were being answered at the same time.
fn overlapped(requests: &[Recorded]) -> bool {
    requests.iter().enumerate().any(|(i, a)| {
        requests[i + 1..].iter().any(|b| {
            let (a_end, b_end) = (a.finished.unwrap(), b.finished.unwrap());
            a.started < b_end && b.started < a_end
        })
    })
}

#[test]
fn draft_goes_one_at_a_time_says_so_once_and_remembers_it() {
    let server = interrupting_server();
    let sb = sandbox(&server);
    let run = sb.run(&["draft"]).expect(0);
    let err = run.stderr();
    assert_eq!(err.matches(NOTE).count(), 1, "said once: {err}");
    assert_contains(
        &err,
        "set jobs = 1 in profile `fake`",
        "the permanent setting",
    );
    assert_every_answer(&sb.read("plan.md"), "the plan");
    let first = server.requests();
    assert!(first.len() <= 6, "{} requests", first.len());
    let remembered = sb.read(".plan-ai/one-at-a-time.json");
    assert_contains(&remembered, &server.base_url(), "remembered per endpoint");
    assert_contains(&remembered, FAKE_MODEL, "and model");

    // The next run starts one at a time: nothing is cut, nothing overlaps, nothing is said.
    let run = sb.run(&["draft", "--fresh"]).expect(0);
    assert_lacks(&run.stderr(), NOTE, "the second run");
    let second = server.requests()[first.len()..].to_vec();
    assert_eq!(second.len(), 3, "one request per section");
    assert!(!overlapped(&second), "one at a time");
}

#[test]
fn an_explicit_jobs_wins() {
    // --jobs: the user's choice stands, even against this server.
    let server = interrupting_server();
    let sb = sandbox(&server);
    let run = sb.run(&["draft", "--jobs", "3"]);
    assert_lacks(&run.stderr(), NOTE, "with --jobs");
    assert!(!sb.file(".plan-ai/one-at-a-time.json").exists());
    assert!(overlapped(&server.requests()), "three at once, as asked");

    // A profile's jobs = 1: one at a time from the start, so nothing is ever cut.
    let server = interrupting_server();
    let sb = fake_sandbox(&server, RETRIES, "jobs = 1\n");
    let run = sb.run(&["draft"]).expect(0);
    let err = run.stderr();
    assert_lacks(&err, NOTE, "with jobs = 1 in the profile");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "{err}");
    assert!(!overlapped(&requests));
}
