//! `plan-ai draft` as a batch: the sections requested concurrently (or one at a time with
//! `--jobs 1`), a failed section with the others kept and `--allow-partial`, resuming after a
//! failure, and the tokens and cost reported per section.

use crate::support::draft::*;
use crate::support::*;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Concurrency

#[test]
fn draft_requests_sections_concurrently_and_assembles_the_plan() {
    let server = FakeServer::start(|req, _| ok_reply(req).delayed(500));
    let sb = sandbox(&server);

    let start = Instant::now();
    let run = sb.run(&["draft"]).expect(0);
    let wall = start.elapsed();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "one request per section");
    assert_eq!(requested_since(&server, 0), sorted(&SECTIONS));
    let last_start = reqs.iter().map(|r| r.started).max().unwrap();
    let first_finish = reqs.iter().map(|r| r.finished.unwrap()).min().unwrap();
    assert!(
        last_start < first_finish,
        "all three requests should be in flight at once (last started {:?} after the first finished)",
        last_start.duration_since(first_finish)
    );
    assert!(
        wall < Duration::from_millis(1200),
        "3 sections × 500 ms served concurrently took {wall:?}"
    );

    let md = sb.read("plan.md");
    for id in SECTIONS {
        assert_contains(&md, &answer_of(id), "plan.md");
        assert!(stored(&sb, id).is_some(), "{id} stored");
    }
    // Section order follows the outline: resistance, communication, metrics.
    let pos = |id: &str| md.find(&answer_of(id)).unwrap();
    assert!(pos("resistance") < pos("communication") && pos("communication") < pos("metrics"));
    // Local project data, people included.
    assert_contains(
        &md,
        "# Implementation plan: Sales CRM rollout 2027",
        "plan.md",
    );
    assert_contains(&md, "Derek Holloway", "plan.md");
    assert_contains(
        &md,
        "| **High influence** | **Manage closely:** Margaret Ellison (Chief Commercial Officer); Derek Holloway (Regional Sales Manager, North) | **Keep satisfied:** Tomasz Nowak",
        "plan.md",
    );
    assert_contains(
        &md,
        "| **Monitor:** Sam Okafor (IT Service Desk Manager) |",
        "plan.md",
    );
    assert_contains(
        &md,
        "## Appendix: how the generated sections were made",
        "plan.md",
    );
    assert_contains(&md, "### Resistance planning (`resistance`)", "plan.md");
    assert_contains(&md, "### Success metrics (`metrics`)", "plan.md");
    assert_contains(
        &md,
        "You are a change management consultant with 15 years of experience",
        "the appendix",
    );
    assert_contains(
        &md,
        "fake-model, endpoint http://127.0.0.1:",
        "the appendix",
    );
    assert_lacks(&md, "**Missing:**", "plan.md");
    assert_contains(&run.stderr(), "wrote ./plan.md (3 sections)", "stderr");
}

#[test]
fn jobs_1_sends_one_request_at_a_time() {
    let server = FakeServer::start(|req, _| ok_reply(req).delayed(300));
    let sb = sandbox(&server);

    let start = Instant::now();
    sb.run(&["draft", "--jobs", "1"]).expect(0);
    let wall = start.elapsed();

    let mut reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    reqs.sort_by_key(|r| r.started);
    for pair in reqs.windows(2) {
        let prev_end = pair[0].finished.unwrap();
        // `finished` is stamped just after the last byte is written; allow for that gap.
        assert!(
            pair[1].started + Duration::from_millis(50) >= prev_end,
            "with --jobs 1, {} started {:?} before {} finished",
            section_of(&pair[1]),
            prev_end.duration_since(pair[1].started),
            section_of(&pair[0]),
        );
    }
    assert!(
        wall >= Duration::from_millis(900),
        "serial run took only {wall:?}"
    );
    assert_every_answer(&sb.read("plan.md"), "plan.md");
}

// ---------------------------------------------------------------------------------------------
// Failure, resume, --allow-partial

#[test]
fn failed_section_keeps_the_others_and_a_rerun_requests_only_it() {
    let (server, healthy) = server_with_failing_metrics();
    let sb = sandbox(&server);

    let run = sb.run(&["draft"]).expect(4);
    let err = run.stderr();
    assert_eq!(server.count(), 3, "a 400 is not retried");
    assert_contains(&err, "metrics failed", "stderr");
    assert_contains(&err, "1 of 3 sections failed (metrics)", "stderr");
    assert_contains(&err, "Re-run `plan-ai draft`", "stderr");
    assert_contains(&err, "--allow-partial", "stderr");
    assert_contains(&err, "fake: this section is broken on purpose", "stderr");
    assert!(
        !sb.file("plan.md").exists(),
        "no draft without every section"
    );
    assert_eq!(stored_answer(&sb, "resistance"), answer_of("resistance"));
    assert_eq!(
        stored_answer(&sb, "communication"),
        answer_of("communication")
    );
    assert!(stored(&sb, "metrics").is_none());
    let rec = stored(&sb, "resistance").unwrap();
    assert_eq!(rec["source"], "endpoint");
    assert_eq!(rec["request"]["model"], "fake-model");
    assert!(temp_files(sb.path()).is_empty());

    healthy.store(true, Ordering::SeqCst);
    let run = sb.run(&["draft"]).expect(0);
    assert_eq!(
        server.count(),
        4,
        "only the missing section is requested again"
    );
    assert_eq!(requested_since(&server, 3), ["metrics"]);
    assert_contains(&run.stderr(), "reused", "stderr");
    assert_every_answer(&sb.read("plan.md"), "plan.md");
}

#[test]
fn allow_partial_writes_the_draft_with_a_missing_marker_but_still_fails() {
    let server = FakeServer::start(|req, _| {
        if section_of(req) == "metrics" {
            broken()
        } else {
            ok_reply(req)
        }
    });
    let sb = sandbox(&server);

    let run = sb.run(&["draft", "--allow-partial"]).expect(4);
    assert_contains(&run.stderr(), "1 of 3 sections failed (metrics)", "stderr");
    assert_contains(&run.stderr(), "1 missing", "stderr");
    let md = sb.read("plan.md");
    assert_contains(&md, &answer_of("resistance"), "plan.md");
    assert_contains(&md, &answer_of("communication"), "plan.md");
    assert_lacks(&md, &answer_of("metrics"), "plan.md");
    assert_contains(
        &md,
        "> **Incomplete:** no answer yet for metrics.",
        "plan.md",
    );
    let section7 = part_of(&md, "## 7. Success metrics", "## 8.");
    assert_contains(
        section7,
        "> **Missing:** no answer yet for this section.",
        "section 7",
    );
    assert_contains(section7, "`plan-ai prompt metrics`", "section 7");
    assert_contains(&md, "- Not generated yet.", "the appendix");
}

#[test]
fn a_broken_stream_is_a_failure_not_a_stored_answer() {
    let server = FakeServer::start(|req, _| {
        if section_of(req) == "metrics" {
            Reply::Sse {
                parts: vec![(0, role_chunk()), (0, delta("METRICS half an ans"))],
                abort_at_end: true,
            }
        } else {
            ok_reply(req)
        }
    });
    let sb = fake_sandbox(&server, 0, "");
    let run = sb.run(&["draft"]).expect(4);
    assert_contains(&run.stderr(), "metrics failed", "stderr");
    assert!(stored(&sb, "metrics").is_none(), "no partial answer stored");
    assert!(!sb.file("plan.md").exists());
}

/// Following the resume hint after `draft --model X` must not pay again for finished sections.
#[test]
fn resume_hint_keeps_the_endpoint_flags() {
    let (server, healthy) = server_with_failing_metrics();
    let sb = sandbox(&server);
    let run = sb.run(&["draft", "--model", "other"]).expect(4);
    let err = run.stderr();
    let hint = err
        .lines()
        .find(|l| l.starts_with("Re-run `"))
        .unwrap_or_else(|| panic!("no resume hint in:\n{err}"));
    let command = hint
        .trim_start_matches("Re-run `")
        .split('`')
        .next()
        .unwrap()
        .to_string();
    assert_contains(&command, "--model other", "the resume command");

    healthy.store(true, Ordering::SeqCst);
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    sb.run(&args).expect(0);
    assert_eq!(requested_since(&server, 3), ["metrics"]);
}

// ---------------------------------------------------------------------------------------------
// Usage and cost

/// A stream with this section's answer and a usage chunk with these counts.
fn reply_with_usage(req: &Recorded) -> Reply {
    let (prompt, completion) = match section_of(req) {
        "resistance" => (1000, 2000),
        "communication" => (3000, 4000),
        _ => (5000, 6000),
    };
    Reply::sse(vec![
        role_chunk(),
        delta(&answer_of(section_of(req))),
        finish("stop"),
        usage_chunk(prompt, completion),
        done(),
    ])
}

#[test]
fn draft_reports_tokens_per_section_and_cost() {
    let server = FakeServer::start(|req, _| reply_with_usage(req));
    let sb = fake_sandbox(
        &server,
        RETRIES,
        "price_input_per_million = 1.0\nprice_output_per_million = 2.0\n",
    );
    let run = sb.run(&["draft"]).expect(0);
    let err = run.stderr();
    let row = |a: &str, b: &str, c: &str, d: &str| format!("{a:<16} {b:>8} {c:>8} {d:>8}");
    assert_contains(&err, &row("section", "prompt", "answer", "total"), "stderr");
    assert_contains(
        &err,
        &format!("{}  new", row("resistance", "1000", "2000", "3000")),
        "stderr",
    );
    assert_contains(
        &err,
        &format!("{}  new", row("communication", "3000", "4000", "7000")),
        "stderr",
    );
    assert_contains(
        &err,
        &format!("{}  new", row("metrics", "5000", "6000", "11000")),
        "stderr",
    );
    assert_contains(&err, &row("total", "9000", "12000", "21000"), "stderr");
    // (9000 × 1.0 + 12000 × 2.0) / 1e6
    assert_contains(
        &err,
        "cost: 0.0330 for this run (new answers), 0.0330 for the whole draft",
        "stderr",
    );
    assert_contains(
        &sb.read("plan.md"),
        "**Total tokens:** 9,000 prompt + 12,000 answer = 21,000.",
        "plan.md",
    );

    // A rerun costs nothing new; the draft still costs the same.
    let run = sb.run(&["draft", "--regenerate", "resistance"]).expect(0);
    let err = run.stderr();
    assert_contains(
        &err,
        &format!("{}  reused", row("metrics", "5000", "6000", "11000")),
        "stderr",
    );
    assert_contains(
        &err,
        &format!("{}  new", row("resistance", "1000", "2000", "3000")),
        "stderr",
    );
    // (1000 + 4000) / 1e6 new
    assert_contains(
        &err,
        "cost: 0.0050 for this run (new answers), 0.0330 for the whole draft",
        "stderr",
    );
}

#[test]
fn no_cost_line_without_prices() {
    let server = FakeServer::start(|req, _| reply_with_usage(req));
    let sb = sandbox(&server);
    let run = sb.run(&["draft"]).expect(0);
    assert_contains(&run.stderr(), "total", "stderr");
    assert_lacks(&run.stderr(), "cost:", "stderr");
}
