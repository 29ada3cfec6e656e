//! The endpoint client against the in-process OpenAI-compatible server: streaming shapes,
//! faults, retries, adaptations, key rules and atomic output.

use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-SECRET-4f9a2b7c1d";

/// The CRM example with a default profile talking to `server`, with a retry budget of 2.
fn sandbox(server: &FakeServer, extra: &str) -> Sandbox {
    fake_sandbox(server, 2, extra)
}

#[track_caller]
fn assert_no_key(run: &Run) {
    assert!(
        !run.stdout().contains(KEY) && !run.stderr().contains(KEY),
        "key leaked:\n{}\n{}",
        run.stdout(),
        run.stderr()
    );
    assert!(
        !run.stderr().contains("SECRET"),
        "part of the key leaked: {}",
        run.stderr()
    );
}

#[test]
fn resistance_streams_the_answer_and_reports_usage_on_stderr() {
    let server = FakeServer::with_replies(vec![Reply::stream_text("Point one.\nPoint two.", 1, 0)]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["resistance"]).expect(0);
    assert_eq!(run.stdout(), "Point one.\nPoint two.\n");
    assert!(
        run.stderr().contains("model: fake-model"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("10 prompt + 4 answer = 14"),
        "{}",
        run.stderr()
    );
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["model"], "fake-model");
    assert!(
        req.user_text()
            .starts_with("You are a change management consultant")
    );
    // Only what the user set is sent: no temperature, no max_tokens.
    assert!(
        req.body.get("temperature").is_none() && req.body.get("max_tokens").is_none(),
        "{}",
        req.body
    );
    assert!(
        req.header("authorization").is_none(),
        "no key configured: no Authorization header"
    );
}

#[test]
fn streamed_text_arrives_before_the_answer_is_finished() {
    // The second half is held back 1.5 s; the first half must already be on stdout.
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts: vec![
            (0, role_chunk()),
            (0, delta("early ")),
            (1500, delta("late")),
            (0, finish("stop")),
            (0, done()),
        ],
        abort_at_end: false,
    }]);
    let sb = sandbox(&server, "");
    let mut child = sb
        .command(&["metrics"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 6];
    std::io::Read::read_exact(&mut stdout, &mut buf).unwrap();
    assert_eq!(&buf, b"early ");
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "first text took {:?}",
        started.elapsed()
    );
    assert!(child.wait().unwrap().success());
}

#[test]
fn no_stream_and_output_file() {
    let server = FakeServer::echo();
    let sb = sandbox(&server, "");
    let run = sb
        .run(&["communication", "--no-stream", "-o", "comms.md"])
        .expect(0);
    assert!(
        run.stdout()
            .starts_with("Fake answer about «You are an internal communications"),
        "{}",
        run.stdout()
    );
    assert_eq!(sb.read("comms.md"), run.stdout());
    assert_eq!(server.requests()[0].body["stream"], false);
    // `comms` is an alias, and `run SECTION` reaches any section.
    sb.run(&["comms", "--no-stream"]).expect(0);
    sb.run(&["run", "metrics"]).expect(0);
    let err = sb.run(&["run", "nosuch"]).expect(2).stderr();
    assert!(err.contains("no section named `nosuch`"), "{err}");
}

#[test]
fn sse_quirks_are_tolerated() {
    // Comments and keep-alives, data: without a space, CRLF line ends, one frame split across
    // three writes (mid-JSON), chunks with empty choices, usage in a last chunk of its own.
    let frame = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"caf\u{e9} \"},\"finish_reason\":null}]}\n\n";
    let parts = vec![
        ": keep-alive\n\n".to_string(),
        "data:{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\r\n\r\n".to_string(),
        frame[..7].to_string(),
        frame[7..40].to_string(),
        frame[40..].to_string(),
        "data: {\"choices\":[]}\n\n".to_string(),
        delta("ok"),
        ": ping\n\n".to_string(),
        finish("stop"),
        usage_chunk(7, 3),
        done(),
    ];
    let server = FakeServer::with_replies(vec![Reply::sse(parts)]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "caf\u{e9} ok\n");
    assert!(
        run.stderr().contains("7 prompt + 3 answer = 10"),
        "{}",
        run.stderr()
    );
}

#[test]
fn missing_usage_is_reported_as_not_reported() {
    let server =
        FakeServer::with_replies(vec![Reply::sse(vec![delta("hi"), finish("stop"), done()])]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "hi\n");
    assert!(run.stderr().contains("not reported"), "{}", run.stderr());
}

#[test]
fn reasoning_is_kept_out_of_the_answer() {
    let reasoning_field = sse_chunk(
        json!({"choices":[{"index":0,"delta":{"reasoning_content":"hidden thoughts"},"finish_reason":null}]}),
    );
    let reasoning_alt = sse_chunk(
        json!({"choices":[{"index":0,"delta":{"reasoning":"more hidden"},"finish_reason":null}]}),
    );
    let server = FakeServer::with_replies(vec![Reply::sse(vec![
        reasoning_field,
        reasoning_alt,
        delta("<thi"),
        delta("nk>secret plan</th"),
        delta("ink>\n\nVisible"),
        delta(" answer <b>ok</b>"),
        finish("stop"),
        done(),
    ])]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics", "-o", "m.md"]).expect(0);
    assert_eq!(run.stdout(), "Visible answer <b>ok</b>\n");
    assert_eq!(sb.read("m.md"), "Visible answer <b>ok</b>\n");
    let v = stored_record(&sb, "metrics");
    assert_eq!(v["answer"], "Visible answer <b>ok</b>");
    assert!(v["reasoning"].as_str().unwrap().contains("secret plan"));
}

#[test]
fn non_streamed_think_blocks_are_removed_too() {
    let server =
        FakeServer::with_replies(vec![Reply::completion("<think>why</think>\nThe answer.")]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics", "--no-stream"]).expect(0);
    assert_eq!(run.stdout(), "The answer.\n");
}

#[test]
fn a_server_that_ignores_stream_true_is_accepted() {
    let server = FakeServer::with_replies(vec![Reply::completion("whole answer")]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "whole answer\n");
}

#[test]
fn error_inside_a_200_stream_is_an_error() {
    let err_chunk = sse_chunk(json!({"error": {"message": "upstream overloaded", "code": 502}}));
    let server = FakeServer::with_replies(vec![Reply::sse(vec![err_chunk])]);
    let sb = fake_sandbox(&server, 0, "");
    let run = sb.run(&["metrics", "-o", "out.md"]).expect(4);
    assert!(
        run.stderr().contains("upstream overloaded"),
        "{}",
        run.stderr()
    );
    assert!(!sb.file("out.md").exists(), "no output file on failure");
}

#[test]
fn a_stream_cut_before_finish_reason_is_retried_then_fails() {
    let cut = Reply::Sse {
        parts: vec![(0, delta("partial "))],
        abort_at_end: true,
    };
    let ended = Reply::sse(vec![delta("partial "), done()]);
    let server = FakeServer::with_replies(vec![cut, ended]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics", "--no-stream", "-o", "out.md"]);
    // --no-stream: nothing shown yet, so the cut stream is retried (3 attempts with retries = 2).
    let run = run.expect(4);
    assert_eq!(server.count(), 3, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("ended before the answer was finished")
            || run.stderr().contains("stream broke"),
        "{}",
        run.stderr()
    );
    assert!(!sb.file("out.md").exists());
    assert!(
        !section_path(&sb, "metrics").exists(),
        "an incomplete answer is never stored"
    );
    let leftovers: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_cut_stream_after_text_was_shown_fails_without_repeating_it() {
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts: vec![(0, delta("shown "))],
        abort_at_end: true,
    }]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics", "-o", "out.md"]).expect(4);
    assert_eq!(server.count(), 1);
    assert_eq!(run.stdout().matches("shown").count(), 1);
    assert!(
        run.stderr().contains("after part of the answer was shown"),
        "{}",
        run.stderr()
    );
    assert!(!sb.file("out.md").exists());
}

#[test]
fn retries_429_honouring_retry_after_then_succeeds() {
    let server = FakeServer::with_replies(vec![
        Reply::error(429, "Rate limit reached").with_header("Retry-After", "1"),
        Reply::stream_text("fine", 1, 0),
    ]);
    let sb = sandbox(&server, "");
    let started = Instant::now();
    let run = sb.run(&["metrics"]).expect(0);
    let elapsed = started.elapsed();
    assert_eq!(run.stdout(), "fine\n");
    assert_eq!(server.count(), 2);
    assert!(
        run.stderr().contains("HTTP 429")
            && run.stderr().contains("Rate limit reached")
            && run.stderr().contains("retrying in 1.0 s"),
        "{}",
        run.stderr()
    );
    assert!(
        elapsed >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured ({elapsed:?})"
    );
    let gap = server.requests()[1].started - server.requests()[0].started;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
}

#[test]
fn retry_after_as_http_date_and_ms_are_understood() {
    let server = FakeServer::with_replies(vec![
        Reply::error(503, "busy").with_header("retry-after-ms", "50"),
        Reply::error(503, "busy").with_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        Reply::stream_text("ok", 1, 0),
    ]);
    let sb = sandbox(&server, "");
    let started = Instant::now();
    let run = sb.run(&["metrics"]).expect(0);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a date in the past means no wait: {:?}",
        started.elapsed()
    );
    assert!(
        run.stderr().contains("retrying in 0.1 s") || run.stderr().contains("retrying in 0.0 s"),
        "{}",
        run.stderr()
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn persistent_5xx_gives_up_after_the_retry_budget_with_the_servers_message() {
    let server = FakeServer::with_replies(vec![
        Reply::error(503, "The engine is currently overloaded").with_header("Retry-After", "0"),
    ]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(4);
    assert_eq!(server.count(), 3, "1 try + 2 retries");
    let err = run.stderr();
    assert!(
        err.contains(
            "HTTP 503 Service Unavailable: The engine is currently overloaded (after 3 attempts)"
        ),
        "{err}"
    );
}

#[test]
fn client_errors_are_not_retried_and_get_hints() {
    for (status, message, hint) in [
        (401, "Incorrect API key provided", "plan-ai key set"),
        (403, "Forbidden", "plan-ai key status"),
        (404, "Not Found", "end in /v1"),
        (400, "messages: field required", ""),
    ] {
        let server = FakeServer::with_replies(vec![Reply::error(status, message)]);
        let sb = sandbox(&server, "");
        let err = sb.run(&["metrics"]).expect(4).stderr();
        assert_eq!(server.count(), 1, "{status} must not be retried");
        assert!(
            err.contains(&format!("HTTP {status}")) && err.contains(message),
            "{err}"
        );
        assert!(err.contains(hint), "{status}: {err}");
    }
    // A 404 about the model points at the model, not the URL.
    let server =
        FakeServer::with_replies(vec![Reply::error(404, "The model `gpt-9` does not exist")]);
    let sb = sandbox(&server, "");
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert!(err.contains("does not know model `fake-model`"), "{err}");
}

#[test]
fn error_bodies_of_every_shape_are_readable() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
    for (body, ctype, expected) in [
        (
            json!({"error": "model is loading"}).to_string(),
            "application/json",
            "model is loading",
        ),
        (
            json!({"detail": "Not authenticated"}).to_string(),
            "application/json",
            "Not authenticated",
        ),
        (
            json!({"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}).to_string(),
            "application/json",
            "field required",
        ),
        (
            json!({"message": "quota exceeded"}).to_string(),
            "application/json",
            "quota exceeded",
        ),
        (
            "\"plain json string\"".to_string(),
            "application/json",
            "plain json string",
        ),
        (html.to_string(), "text/html", "502 Bad Gateway (HTML page)"),
        (
            "upstream connect error".to_string(),
            "text/plain",
            "upstream connect error",
        ),
        (String::new(), "text/plain", "(empty response body)"),
    ] {
        let server = FakeServer::with_replies(vec![Reply::Json {
            status: 400,
            headers: vec![("Content-Type".into(), ctype.into())],
            body,
        }]);
        let sb = sandbox(&server, "");
        let err = sb.run(&["metrics"]).expect(4).stderr();
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(!err.contains("<html>"), "raw HTML dumped: {err}");
    }
}

#[test]
fn connection_refused_is_retried_and_explained() {
    // A port with nothing listening: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.config(&format!(
        "[profiles.local]\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmodel = \"m\"\nretries = 1\n"
    ));
    let err = sb
        .run(&["metrics", "--profile", "local"])
        .expect(4)
        .stderr();
    assert!(err.contains("cannot connect to http://127.0.0.1"), "{err}");
    assert!(
        err.contains("retrying") && err.contains("after 2 attempts"),
        "{err}"
    );
    assert!(err.contains("is the local server running"), "{err}");
}

#[test]
fn a_hangup_is_retried() {
    let server = FakeServer::with_replies(vec![
        Reply::Hangup,
        Reply::stream_text("after hangup", 2, 0),
    ]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "after hangup\n");
    assert_eq!(server.count(), 2);
}

#[test]
fn idle_timeout_is_reset_by_keep_alives() {
    // Keep-alive comments every 300 ms for 1.2 s, idle timeout 0.8 s: must not time out.
    let mut parts: Vec<(u64, String)> = (0..4)
        .map(|_| (300, ": keep-alive\n\n".to_string()))
        .collect();
    parts.extend([
        (0, delta("slow but alive")),
        (0, finish("stop")),
        (0, done()),
    ]);
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts,
        abort_at_end: false,
    }]);
    let sb = sandbox(&server, "idle_timeout = 0.8\n");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "slow but alive\n");

    // Silence longer than the idle timeout fails (after the retry budget).
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts: vec![(0, role_chunk()), (1500, delta("too late"))],
        abort_at_end: false,
    }]);
    let sb = fake_sandbox(&server, 0, "idle_timeout = 0.4\n");
    let run = sb.run(&["metrics", "--no-stream"]).expect(4);
    assert!(
        run.stderr().contains("idle_timeout") || run.stderr().contains("in time"),
        "{}",
        run.stderr()
    );
}

#[test]
fn finish_reason_length_warns_and_names_the_setting() {
    let server = FakeServer::with_replies(vec![Reply::sse(vec![
        delta("cut off mid"),
        finish("length"),
        done(),
    ])]);
    let sb = sandbox(&server, "");
    let run = sb.run(&["metrics", "--max-tokens", "5"]).expect(0);
    assert_eq!(run.stdout(), "cut off mid\n");
    assert!(
        run.stderr().contains("cut off") && run.stderr().contains("max_tokens"),
        "{}",
        run.stderr()
    );
    assert_eq!(server.requests()[0].body["max_tokens"], 5);
}

#[test]
fn max_tokens_is_renamed_when_the_server_asks_for_max_completion_tokens() {
    let server = FakeServer::start(|req, _| {
        if req.body.get("max_tokens").is_some() {
            Reply::error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            )
        } else {
            Reply::stream_text("adapted", 1, 0)
        }
    });
    let sb = sandbox(&server, "max_tokens = 300\n");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "adapted\n");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].body["max_completion_tokens"], 300);
    assert!(reqs[1].body.get("max_tokens").is_none());
    assert!(
        run.stderr()
            .contains("max_completion_tokens instead of max_tokens"),
        "{}",
        run.stderr()
    );
}

#[test]
fn rejected_temperature_and_stream_options_are_dropped_once() {
    let server = FakeServer::start(|req, _| {
        if req.body.get("temperature").is_some() {
            Reply::error(
                400,
                "Unsupported value: 'temperature' does not support 0.2 with this model.",
            )
        } else if req.body.get("stream_options").is_some() {
            Reply::error(
                400,
                "Unrecognized request argument supplied: stream_options",
            )
        } else {
            Reply::stream_text("plain", 1, 0)
        }
    });
    let sb = sandbox(&server, "temperature = 0.2\n");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(run.stdout(), "plain\n");
    assert_eq!(server.count(), 3);
    assert!(
        run.stderr().contains("temperature") && run.stderr().contains("stream_options"),
        "{}",
        run.stderr()
    );
}

#[test]
fn settings_follow_flag_env_project_profile_precedence() {
    let server = FakeServer::echo();
    let mut sb = sandbox(&server, "temperature = 0.9\nmax_tokens = 100\n");
    // Project file beats profile.
    let text =
        sb.read("plan-ai.toml") + "\n[endpoint]\nmodel = \"project-model\"\ntemperature = 0.5\n";
    sb.write("plan-ai.toml", &text);
    sb.run(&["metrics"]).expect(0);
    // Env beats project; flag beats env.
    sb.set_env("PLAN_AI_MODEL", "env-model");
    sb.run(&["metrics"]).expect(0);
    sb.run(&["metrics", "--model", "flag-model", "--temperature", "0.1"])
        .expect(0);
    let reqs = server.requests();
    assert_eq!(reqs[0].body["model"], "project-model");
    assert_eq!(reqs[0].body["temperature"], 0.5);
    assert_eq!(reqs[0].body["max_tokens"], 100);
    assert_eq!(reqs[1].body["model"], "env-model");
    assert_eq!(reqs[2].body["model"], "flag-model");
    assert_eq!(reqs[2].body["temperature"], 0.1);
}

#[test]
fn extra_headers_are_sent_and_the_model_is_discovered_when_unset() {
    let server = FakeServer::echo();
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.config(&format!(
        "default_profile = \"gw\"\n[profiles.gw]\nbase_url = \"{}/\"\n[profiles.gw.headers]\nX-Team = \"pmo\"\n",
        server.base_url()
    ));
    sb.run(&["metrics"]).expect(0);
    let req = &server.requests()[0];
    assert_eq!(
        req.body["model"], "fake-model",
        "the server's only model is used"
    );
    assert_eq!(req.header("x-team"), Some("pmo"));
}

#[test]
fn unknown_profiles_and_bad_configs_are_config_errors() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let err = sb
        .run(&["metrics", "--profile", "olama"])
        .expect(5)
        .stderr();
    assert!(err.contains("did you mean `ollama`"), "{err}");
    let err = sb
        .run(&["metrics", "--base-url", "localhost:8080"])
        .expect(5)
        .stderr();
    assert!(err.contains("http://"), "{err}");
    sb.config("[profiles.x]\nbase_url = \"http://127.0.0.1:1/v1\"\nmodle = \"m\"\n");
    let err = sb.run(&["metrics", "--profile", "x"]).expect(5).stderr();
    assert!(
        err.contains("config.toml") && err.contains("modle"),
        "{err}"
    );
}

#[test]
fn the_env_key_is_sent_as_bearer_and_never_shown() {
    let server = FakeServer::start(|req, _| {
        // A hostile or careless server echoing the header back in an error.
        Reply::error(
            401,
            &format!(
                "bad key {}",
                req.header("authorization").unwrap_or_default()
            ),
        )
    });
    let mut sb = sandbox(&server, "");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let run = sb.run(&["metrics", "--verbose"]).expect(4);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_no_key(&run);
    assert!(run.stderr().contains("[redacted]"), "{}", run.stderr());
    // Key status says where it comes from, never what it is.
    let run = sb.run(&["key", "status"]).expect(0);
    assert!(run.stdout().contains("PLAN_AI_API_KEY"));
    assert_no_key(&run);
}

#[test]
fn a_key_is_never_sent_over_plain_http_to_another_machine() {
    let mut sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.config("[profiles.remote]\nbase_url = \"http://10.255.255.1:9/v1\"\nmodel = \"m\"\n");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let run = sb.run(&["metrics", "--profile", "remote"]).expect(5);
    assert!(
        run.stderr().contains("https://") && run.stderr().contains("allow_insecure_http"),
        "{}",
        run.stderr()
    );
    assert_no_key(&run);
}

#[test]
fn a_profile_that_needs_a_key_says_how_to_give_one() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let err = sb
        .run(&["metrics", "--profile", "openai"])
        .expect(5)
        .stderr();
    assert!(err.contains("PLAN_AI_API_KEY"), "{err}");
}

#[test]
fn profiles_lists_presets_and_test_reports_support() {
    let server = FakeServer::echo();
    let sb = sandbox(&server, "");
    let out = sb.run(&["profiles"]).expect(0).stdout();
    for name in [
        "fake",
        "openai",
        "ollama",
        "llamacpp",
        "vllm",
        "lmstudio",
        "openrouter",
    ] {
        assert!(out.contains(name), "{name} missing: {out}");
    }
    assert!(out.contains("* fake"), "active profile marked: {out}");
    let out = sb.run(&["profiles", "test"]).expect(0).stdout();
    assert!(
        out.contains("models:") && out.contains("fake-model"),
        "{out}"
    );
    assert!(out.contains("streaming:   yes"), "{out}");
    assert!(out.contains("result:      OK"), "{out}");
    let one_token = &server.requests()[0];
    assert_eq!(one_token.body["max_tokens"], 1);
}

#[test]
fn ctrl_c_exits_130_and_leaves_no_output_file() {
    let server = FakeServer::with_replies(vec![Reply::Sse {
        parts: vec![(0, delta("begun ")), (10_000, finish("stop"))],
        abort_at_end: false,
    }]);
    let sb = sandbox(&server, "");
    let mut child = sb
        .command(&["metrics", "-o", "out.md"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(5), || server.count() > 0);
    std::thread::sleep(Duration::from_millis(200));
    interrupt(&child);
    let started = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(3));
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!sb.file("out.md").exists());
    assert!(!section_path(&sb, "metrics").exists());
}

#[test]
fn azure_style_gateways_get_the_key_in_their_header_and_the_api_version() {
    let server = FakeServer::echo();
    let mut sb = sandbox(
        &server,
        "auth_header = \"api-key\"\n[profiles.fake.query]\napi-version = \"2024-06-01\"\n",
    );
    sb.set_env("PLAN_AI_API_KEY", KEY);
    let run = sb.run(&["metrics", "--verbose"]).expect(0);
    assert_no_key(&run);
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions?api-version=2024-06-01");
    assert_eq!(req.header("api-key"), Some(KEY));
    assert!(req.header("authorization").is_none());
}

#[test]
fn a_context_length_error_explains_what_to_lower() {
    let server = FakeServer::with_replies(vec![Reply::error(
        400,
        "This model's maximum context length is 2048 tokens. However, you requested 2551 tokens.",
    )]);
    let sb = sandbox(&server, "");
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_eq!(server.count(), 1);
    assert!(
        err.contains("maximum context length is 2048") && err.contains("lower max_tokens"),
        "{err}"
    );
}
