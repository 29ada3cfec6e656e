//! Hostile servers and files: plan-ai must never crash (exit 101), leak the key, run escape
//! sequences on the terminal, or let a server or a shared file use up time and memory.
//! Each test here failed on the code before the hardening (see the README's fault table).

use crate::support::*;
use serde_json::json;
use std::process::Stdio;
use std::time::{Duration, Instant};

const KEY: &str = "sk-hostile-0123456789abcdefXYZ";

/// Escape sequences a model might send: clipboard write (OSC 52), clear screen, a hyperlink
/// (OSC 8), a window title, and a C1 CSI.
const ESCAPES: &str = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\\x1b]0;pwned\x07\u{9b}31m";

fn assert_no_key(text: &str, what: &str) {
    assert_lacks(text, KEY, what);
    // Not even a part of it: a key cut short still leaks most of itself.
    assert_lacks(text, &KEY[..12], what);
}

fn assert_no_escapes(text: &str, what: &str) {
    for bad in ['\x1b', '\x07', '\u{9b}', '\u{9d}', '\r'] {
        assert!(!text.contains(bad), "{what} contains {bad:?}: {text:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Key and privacy

#[test]
fn a_redirect_is_not_followed_and_the_key_never_leaves_for_another_host() {
    let elsewhere = FakeServer::echo();
    let target = format!("{}/chat/completions", elsewhere.base_url());
    let redirecting = FakeServer::with_replies(vec![
        Reply::json(307, json!({})).with_header("Location", &target),
    ]);
    let mut sb = fake_sandbox(&redirecting, 2, "auth_header = \"api-key\"\n");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let run = sb.run(&["metrics"]).expect(4);
    let err = run.stderr();
    assert_contains(&err, &target, "stderr names the redirect target");
    assert_contains(&err, "does not follow redirects", "stderr");
    assert_eq!(redirecting.count(), 1, "a redirect is not retried");
    assert!(
        elsewhere.all_requests().is_empty(),
        "the other host got a request"
    );
    assert_no_key(&err, "stderr");
}

#[test]
fn a_key_the_server_echoes_never_reaches_output_or_files() {
    // Echoed in the answer (split across chunks), in the reasoning and in the model name.
    let (a, b) = KEY.split_at(9);
    let model_chunk = sse_chunk(json!({
        "model": format!("model-{KEY}"),
        "choices": [{"index": 0, "delta": {"content": format!("key: {a}")}, "finish_reason": null}]
    }));
    let server = FakeServer::with_replies(vec![Reply::sse(vec![
        role_chunk(),
        model_chunk,
        delta(&format!("{b} end")),
        sse_chunk(
            json!({"choices": [{"delta": {"reasoning_content": KEY}, "finish_reason": null}]}),
        ),
        finish("stop"),
        done(),
    ])]);
    let mut sb = fake_sandbox(&server, 0, "");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let run = sb.run(&["metrics", "-o", "out.md"]).expect(0);
    assert_eq!(run.stdout(), "key: [redacted] end\n");
    assert_no_key(&run.stderr(), "stderr");
    assert_no_key(&sb.read("out.md"), "the -o file");
    assert_no_key(
        &sb.read(".plan-ai/sections/metrics.json"),
        "the stored record",
    );
    // And a non-streamed answer.
    let server = FakeServer::with_replies(vec![Reply::completion(&format!("plain {KEY} echo"))]);
    let mut sb = fake_sandbox(&server, 0, "stream = false\n");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "plain [redacted] echo\n");
    assert_no_key(
        &sb.read(".plan-ai/sections/metrics.json"),
        "the stored record",
    );
}

#[test]
fn an_error_is_scrubbed_before_it_is_cut() {
    // The key straddles the 300-character cut of error messages.
    let message = format!("{} {KEY} tail", "x".repeat(290));
    let server = FakeServer::with_replies(vec![Reply::error(400, &message)]);
    let mut sb = fake_sandbox(&server, 0, "");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_no_key(&err, "stderr");
    assert_contains(&err, "[redac", "stderr");
}

#[test]
fn a_dot_localhost_name_is_not_trusted_as_this_machine() {
    let mut sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.config(&profile_config("dev", "http://api.localhost:9/v1", 0, ""));
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let err = sb.run(&["metrics", "--profile", "dev"]).expect(5).stderr();
    assert_contains(
        &err,
        "refusing to send an API key over plain http://",
        "stderr",
    );
}

#[test]
fn the_environment_key_does_not_follow_a_profile_the_project_chose() {
    let server = FakeServer::echo();
    let mut sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.config(&profile_config("theirs", &server.base_url(), 0, ""));
    let text = sb.read("plan-ai.toml") + "\n[endpoint]\nprofile = \"theirs\"\n";
    sb.write("plan-ai.toml", &text);
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let err = sb.run(&["metrics"]).expect(0).stderr();
    assert_contains(
        &err,
        "not sending PLAN_AI_API_KEY to profile `theirs`",
        "stderr",
    );
    assert_eq!(server.requests()[0].header("authorization"), None);
    // Chosen on the user's side, it goes.
    sb.run(&["metrics", "--profile", "theirs"]).expect(0);
    let sent = server.requests()[1]
        .header("authorization")
        .map(str::to_string);
    assert_eq!(sent, Some(format!("Bearer {KEY}")));
}

// ---------------------------------------------------------------------------------------------
// Crashes a server or a file could cause

#[test]
fn absurd_retry_after_values_end_with_a_clear_error() {
    for (header, value, want) in [
        ("Retry-After", "1e308", "absurdly long"),
        ("retry-after-ms", "inf", "absurdly long"),
        ("retry-after-ms", "1e300", "absurdly long"),
        ("Retry-After", "600", "asks to wait 600 s"),
    ] {
        let server = FakeServer::with_replies(vec![
            Reply::error(429, "slow down").with_header(header, value),
        ]);
        let sb = fake_sandbox(&server, 2, "");
        let err = sb.run(&["metrics"]).expect(4).stderr();
        assert_contains(&err, want, "stderr");
        assert_eq!(server.count(), 1, "{header}: {value}");
    }
}

#[test]
fn an_absurd_rate_limit_reset_is_ignored_and_a_long_pause_is_said() {
    // Nothing left, reset in 1e308 s: a broken header, ignored (it used to hold the next
    // request back for 120 s without a word). Then nothing left for 13 s: the next request
    // waits, and says so.
    let server = FakeServer::start(|req, i| {
        let reply = answer_for(req).with_header("x-ratelimit-remaining-requests", "0");
        match i {
            0 => reply.with_header("x-ratelimit-reset-requests", "1e308"),
            1 => reply.with_header("x-ratelimit-reset-requests", "13s"),
            _ => answer_for(req),
        }
    });
    // Not streamed: the fake server puts headers on whole answers.
    let sb = fake_sandbox(&server, 0, "stream = false\n");
    let started = Instant::now();
    let err = sb.run(&["draft", "--jobs", "1"]).expect(0).stderr();
    let took = started.elapsed();
    assert!(
        took > Duration::from_secs(10) && took < Duration::from_secs(40),
        "{took:?}"
    );
    let reqs = server.requests();
    let gap = |a: usize, b: usize| reqs[b].started.duration_since(reqs[a].finished.unwrap());
    assert!(gap(0, 1) < Duration::from_secs(3), "{:?}", gap(0, 1));
    assert!(gap(1, 2) > Duration::from_secs(10), "{:?}", gap(1, 2));
    assert_contains(&err, "s to stay under the endpoint's rate limit", "stderr");
}

#[test]
fn an_html_error_page_with_unicode_is_shown_not_a_crash() {
    let page = "<html><head><title>İstanbul gateway: 502</title></head><body>İİİ</body></html>";
    let server = FakeServer::with_replies(vec![Reply::Json {
        status: 400,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: page.into(),
    }]);
    let sb = fake_sandbox(&server, 0, "");
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_contains(&err, "İstanbul gateway: 502 (HTML page)", "stderr");
}

#[test]
fn out_of_range_numbers_in_the_config_are_config_errors() {
    for line in [
        "connect_timeout = 1e300",
        "idle_timeout = -1",
        "request_timeout = inf",
        "max_answer_bytes = 1",
    ] {
        let sb = Sandbox::new().with_example(CRM_EXAMPLE);
        sb.config(&profile_config(
            "x",
            "http://127.0.0.1:9/v1",
            0,
            &format!("{line}\n"),
        ));
        let err = sb.run(&["metrics", "--profile", "x"]).expect(5).stderr();
        let key = line.split(' ').next().unwrap();
        assert_contains(&err, key, "stderr");
    }
}

#[test]
fn a_section_whose_task_panics_is_reported_as_failed() {
    let server = FakeServer::echo();
    let mut sb = fake_sandbox(&server, 0, "");
    sb.set_env("PLAN_AI_TEST_PANIC", "metrics");
    let err = sb.run(&["draft"]).expect(4).stderr();
    assert_contains(&err, "metrics failed", "stderr");
    assert_contains(&err, "1 of 3 sections failed (metrics)", "stderr");
    assert_contains(&err, "Re-run `plan-ai draft`", "stderr");
    assert!(sb.file(".plan-ai/sections/resistance.json").exists());
}

// ---------------------------------------------------------------------------------------------
// The terminal

#[test]
fn escape_sequences_from_the_server_never_reach_the_terminal_or_files() {
    let model = format!("evil{ESCAPES}model");
    let chunk = |content: &str| {
        sse_chunk(
            json!({"model": model, "choices": [{"delta": {"content": content}, "finish_reason": null}]}),
        )
    };
    let (a, b) = ESCAPES.split_at(5);
    let server = FakeServer::with_replies(vec![Reply::sse(vec![
        chunk(&format!("safe {a}")),
        chunk(&format!("{b} text\r\n")),
        sse_chunk(json!({"model": model, "choices": [{"delta": {}, "finish_reason": "stop"}]})),
        done(),
    ])]);
    let sb = fake_sandbox(&server, 0, "");
    let run = sb.run(&["metrics", "-o", "out.md"]).expect(0);
    assert_eq!(run.stdout(), "safe link text\n");
    assert_no_escapes(&run.stderr(), "stderr");
    assert_contains(&run.stderr(), "model: evillinkmodel", "stderr");
    assert_no_escapes(&sb.read("out.md"), "the -o file");
    let record: serde_json::Value =
        serde_json::from_str(&sb.read(".plan-ai/sections/metrics.json")).unwrap();
    assert_no_escapes(record["answer"].as_str().unwrap(), "the stored answer");
    // An error message with escapes.
    let server =
        FakeServer::with_replies(vec![Reply::error(400, &format!("bad {ESCAPES}request"))]);
    let sb = fake_sandbox(&server, 0, "");
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_no_escapes(&err, "stderr");
    assert_contains(&err, "bad linkrequest", "stderr");
}

#[test]
fn escapes_in_a_pasted_answer_and_a_stored_record_stay_out_of_the_plan() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    for id in ["resistance", "communication", "metrics"] {
        sb.run_stdin(&["paste", id, "-"], &format!("Answer {ESCAPES}for {id}."))
            .expect(0);
    }
    sb.run(&["render"]).expect(0);
    let md = sb.read("plan.md");
    assert_no_escapes(&md, "plan.md");
    assert_contains(&md, "Answer linkfor metrics.", "plan.md");
}

// ---------------------------------------------------------------------------------------------
// Resource bounds

const BIG: usize = 200 << 20;

#[test]
fn a_200_mb_answer_is_refused_in_little_memory() {
    let body = format!(
        "{{\"choices\":[{{\"message\":{{\"content\":\"{}\"}},\"finish_reason\":\"stop\"}}]}}",
        "a".repeat(BIG)
    );
    let server = FakeServer::with_replies(vec![Reply::Json {
        status: 200,
        headers: vec![],
        body,
    }]);
    let sb = fake_sandbox(&server, 0, "stream = false\n");
    let (code, kib) = peak_kib(&sb, &["metrics"]);
    assert_eq!(code, 4);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB");
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_contains(&err, "larger than 4 MiB (max_answer_bytes)", "stderr");
}

#[test]
fn a_200_mb_error_body_is_read_only_as_far_as_needed() {
    let server = FakeServer::with_replies(vec![Reply::Json {
        status: 500,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body: "e".repeat(BIG),
    }]);
    let sb = fake_sandbox(&server, 0, "");
    let started = Instant::now();
    let (code, kib) = peak_kib(&sb, &["metrics"]);
    assert_eq!(code, 4);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_200_mb_line_without_a_newline_is_refused_quickly() {
    let line = format!("data: {}", "x".repeat(BIG));
    let server = FakeServer::with_replies(vec![Reply::sse(vec![line])]);
    let sb = fake_sandbox(&server, 0, "");
    let started = Instant::now();
    let (code, kib) = peak_kib(&sb, &["metrics"]);
    assert_eq!(code, 4);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB");
    // The old parser ran for minutes on this (quadratic in the line's length).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_contains(&err, "line longer than 4 MiB", "stderr");
}

#[test]
fn an_endless_answer_stops_at_the_answer_limit() {
    let chunk = delta(&"word ".repeat(2000));
    let mut parts = vec![role_chunk()];
    parts.extend(std::iter::repeat_n(chunk, 600));
    let server = FakeServer::with_replies(vec![Reply::sse(parts)]);
    let sb = fake_sandbox(&server, 0, "max_answer_bytes = 2000000\n");
    let err = sb.run(&["metrics", "--no-stream"]).expect(4).stderr();
    assert_contains(&err, "larger than 1.9 MiB (max_answer_bytes)", "stderr");
}

#[test]
fn a_dripping_server_is_stopped_by_the_request_deadline_which_is_named() {
    let parts: Vec<(u64, String)> = std::iter::once((0, role_chunk()))
        .chain((0..60).map(|_| (500, ": .\n\n".to_string())))
        .collect();
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts,
        abort_at_end: false,
    }]);
    let sb = fake_sandbox(&server, 0, "idle_timeout = 5\nrequest_timeout = 2\n");
    let started = Instant::now();
    let err = sb.run(&["metrics", "--no-stream"]).expect(4).stderr();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_contains(&err, "request_timeout", "the hint");
    assert_lacks(&err, "raise idle_timeout", "the hint");
}

#[test]
fn a_template_that_loops_without_end_stops_with_an_error() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.write(
        "prompts/loop.md",
        "+++\ntitle = \"Loop\"\n+++\n{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n",
    );
    let started = Instant::now();
    let err = sb.run(&["prompt", "loop"]).expect(3).stderr();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_contains(&err, "template loop", "stderr");
}

#[test]
fn an_endless_project_file_is_refused() {
    let sb = Sandbox::new();
    let started = Instant::now();
    let err = sb.run(&["check", "-p", "/dev/zero"]).expect(3).stderr();
    assert!(started.elapsed() < Duration::from_secs(10));
    // Not even read: only a regular file is a project file.
    assert_contains(&err, "is not a regular file", "stderr");
}

// ---------------------------------------------------------------------------------------------
// Files

#[test]
fn a_failed_output_write_keeps_the_paid_answer() {
    let server = FakeServer::echo();
    let sb = fake_sandbox(&server, 0, "");
    // A path under a file: its folder cannot be made.
    let err = sb
        .run(&["metrics", "-o", "plan-ai.toml/out.md"])
        .expect(1)
        .stderr();
    assert_contains(&err, "plan-ai.toml", "stderr");
    assert!(sb.file(".plan-ai/sections/metrics.json").exists());
}

#[test]
fn concurrent_renders_keep_every_draft_they_wrote() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    for id in ["resistance", "communication", "metrics"] {
        sb.run_stdin(&["paste", id, "-"], &format!("Answer for {id}."))
            .expect(0);
    }
    let children: Vec<_> = (0..12)
        .map(|i| {
            sb.command(&["render", "-o", &format!("plan-{i}.md")])
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let drafts: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&sb.read(".plan-ai/drafts.json")).unwrap();
    assert_eq!(drafts.len(), 12, "{drafts:?}");
}

#[cfg(unix)]
#[test]
fn a_symlinked_store_is_refused_and_modes_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    for id in ["resistance", "communication", "metrics"] {
        sb.run_stdin(&["paste", id, "-"], &format!("Answer for {id}."))
            .expect(0);
    }
    sb.run(&["render"]).expect(0);
    let plan = sb.file("plan.md");
    std::fs::set_permissions(&plan, std::fs::Permissions::from_mode(0o644)).unwrap();
    sb.run(&["render", "--force"]).expect(0);
    let mode = std::fs::metadata(&plan).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "{mode:o}");

    let other = Sandbox::new().with_example(CRM_EXAMPLE);
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), other.file(".plan-ai")).unwrap();
    let err = other
        .run_stdin(&["paste", "metrics", "-"], "an answer")
        .expect(1)
        .stderr();
    assert_contains(&err, "is a symbolic link", "stderr");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn temp_files_a_killed_run_left_are_cleaned_on_the_next_run() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.run_stdin(&["paste", "metrics", "-"], "first").expect(0);
    // A writer that no longer runs (no such process id).
    let stale = sb.write(
        ".plan-ai/sections/.plan-ai-tmp-4000000001-Ab3xYz",
        "half a record",
    );
    let stale_plan = sb.write(".plan-ai-tmp-4000000002-Zz9", "half a plan");
    sb.run_stdin(&["paste", "metrics", "-"], "second").expect(0);
    assert!(!stale.exists());
    assert!(!stale_plan.exists());
}
