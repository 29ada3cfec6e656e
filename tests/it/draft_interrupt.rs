//! Interrupting `plan-ai draft` mid-run: Ctrl-C (SIGINT) exits 130 and keeps the finished
//! sections, SIGKILL leaves them valid, and nothing half-written is left behind.

use crate::support::draft::*;
use crate::support::*;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A server where metrics takes `slow_ms` while `slow` is set; the others answer at once.
fn slow_metrics_server(slow: Arc<AtomicBool>, slow_ms: u64) -> FakeServer {
    FakeServer::start(move |req, _| {
        if section_of(req) == "metrics" && slow.load(Ordering::SeqCst) {
            ok_reply(req).delayed(slow_ms)
        } else {
            ok_reply(req)
        }
    })
}

fn spawn_draft(sb: &Sandbox) -> Child {
    sb.command(&["draft"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plan-ai draft")
}

fn wait_for_fast_sections(sb: &Sandbox, child: &mut Child) {
    let stored_both = wait_until(Duration::from_secs(10), || {
        section_path(sb, "resistance").exists() && section_path(sb, "communication").exists()
    });
    if !stored_both {
        let _ = child.kill();
        panic!("the two fast sections were not stored within 10 s");
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "draft should still wait for metrics"
    );
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C and SIGKILL

#[test]
fn ctrl_c_exits_130_and_keeps_finished_sections() {
    let slow = Arc::new(AtomicBool::new(true));
    let server = slow_metrics_server(slow.clone(), 10_000);
    let sb = sandbox(&server);
    let mut child = spawn_draft(&sb);
    wait_for_fast_sections(&sb, &mut child);

    interrupt(&child);
    let start = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(3));
    let waited = start.elapsed();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        status.code(),
        Some(130),
        "exit status {status:?}; stderr:\n{err}"
    );
    assert!(waited < Duration::from_secs(2), "took {waited:?} to stop");
    assert_contains(
        &err,
        "interrupted: 2 finished section(s) are stored",
        "stderr",
    );

    assert_eq!(stored_answer(&sb, "resistance"), answer_of("resistance"));
    assert_eq!(
        stored_answer(&sb, "communication"),
        answer_of("communication")
    );
    assert!(stored(&sb, "metrics").is_none());
    assert!(!sb.file("plan.md").exists());
    assert_eq!(temp_files(sb.path()), Vec::<PathBuf>::new());

    // Resuming requests only the section that was cut short.
    slow.store(false, Ordering::SeqCst);
    let before = server.count();
    assert_eq!(before, 3);
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, before), ["metrics"]);
    assert_contains(&sb.read("plan.md"), &answer_of("metrics"), "plan.md");
}

#[test]
fn ctrl_c_before_any_section_finishes_stores_nothing() {
    let server = FakeServer::start(|req, _| ok_reply(req).delayed(10_000));
    let sb = sandbox(&server);
    let mut child = spawn_draft(&sb);
    if !wait_until(Duration::from_secs(10), || server.count() == 3) {
        let _ = child.kill();
        panic!("the three requests did not arrive within 10 s");
    }
    // Let the batch reach its Ctrl-C wait (it does so right after sending the requests).
    std::thread::sleep(Duration::from_millis(100));
    interrupt(&child);
    let status = wait_exit(&mut child, Duration::from_secs(3));
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(130), "stderr:\n{err}");
    assert_contains(&err, "interrupted: 0 finished section(s)", "stderr");
    for id in SECTIONS {
        assert!(stored(&sb, id).is_none());
    }
    assert!(!sb.file("plan.md").exists());
    assert_eq!(temp_files(sb.path()), Vec::<PathBuf>::new());
}

#[test]
fn sigkill_leaves_finished_sections_valid() {
    let server = slow_metrics_server(Arc::new(AtomicBool::new(true)), 10_000);
    let sb = sandbox(&server);
    let mut child = spawn_draft(&sb);
    wait_for_fast_sections(&sb, &mut child);

    child.kill().unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(3));
    assert!(!status.success());

    assert_eq!(stored_answer(&sb, "resistance"), answer_of("resistance"));
    assert_eq!(
        stored_answer(&sb, "communication"),
        answer_of("communication")
    );
    assert!(stored(&sb, "metrics").is_none());
    assert!(!sb.file("plan.md").exists());
    // Finished sections are usable offline.
    let run = sb.run(&["render"]).expect(6);
    assert_contains(&run.stderr(), "no answer yet for metrics", "stderr");
}
