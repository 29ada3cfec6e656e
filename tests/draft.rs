//! Integration tests of `plan-ai draft`, `paste`, `render` and `prompt`: the concurrent batch,
//! the run store (reuse, resume, interruption), the assembled plan draft and its clobber guard.

mod support;
use support::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SECTIONS: [&str; 3] = ["resistance", "communication", "metrics"];

/// Stakeholder and champion names from examples/crm-manufacturer.toml: person-level data.
const PEOPLE: [&str; 8] = [
    "Margaret Ellison",
    "Tomasz Nowak",
    "Derek Holloway",
    "Aisha Rahman",
    "Luis Ortega",
    "Hannah Becker",
    "Sam Okafor",
    "Priya Raman",
];

// ---------------------------------------------------------------------------------------------
// Helpers

/// Which built-in section a chat request is for, told apart by its prompt's opening role.
fn section_of(req: &Recorded) -> &'static str {
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
fn answer_of(section: &str) -> String {
    format!(
        "{}-ANSWER from the fake model for the {section} section.",
        section.to_uppercase()
    )
}

/// A successful answer for this request, streamed when it asks for a stream.
fn ok_reply(req: &Recorded) -> Reply {
    let text = answer_of(section_of(req));
    if req.wants_stream() {
        Reply::stream_text(&text, 3, 0)
    } else {
        Reply::completion(&text)
    }
}

/// A 400 that is neither retried nor "adapted" to (no parameter name in the message).
fn broken() -> Reply {
    Reply::error(400, "fake: this section is broken on purpose")
}

/// A healthy server and a sandbox where `draft` has already succeeded once.
fn drafted() -> (FakeServer, Sandbox) {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    (server, sb)
}

/// A server whose metrics requests fail until the returned flag is set.
fn server_with_failing_metrics() -> (FakeServer, Arc<AtomicBool>) {
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

fn profile(server: &FakeServer, extra: &str) -> String {
    format!(
        "default_profile = \"fake\"\n[profiles.fake]\nbase_url = \"{}\"\nmodel = \"fake-model\"\nretries = 1\n{extra}",
        server.base_url()
    )
}

/// The CRM example as `plan-ai.toml`, with a config whose default profile talks to `server`.
fn sandbox(server: &FakeServer) -> Sandbox {
    sandbox_with(server, "")
}

fn sandbox_with(server: &FakeServer, extra_profile_lines: &str) -> Sandbox {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.config(&profile(server, extra_profile_lines));
    sb
}

/// Sections of the chat requests from index `from` on, sorted.
fn requested_since(server: &FakeServer, from: usize) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = server.requests()[from..].iter().map(section_of).collect();
    v.sort_unstable();
    v
}

fn sorted<'a>(ids: &[&'a str]) -> Vec<&'a str> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v
}

fn section_path(sb: &Sandbox, id: &str) -> PathBuf {
    sb.file(&format!(".plan-ai/sections/{id}.json"))
}

/// The stored record for a section, parsed (panics when it is there but not JSON).
fn stored(sb: &Sandbox, id: &str) -> Option<Value> {
    let text = std::fs::read_to_string(section_path(sb, id)).ok()?;
    Some(
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{id}.json is not valid JSON ({e}):\n{text}")),
    )
}

fn stored_answer(sb: &Sandbox, id: &str) -> String {
    stored(sb, id)
        .unwrap_or_else(|| panic!("no stored record for {id}"))
        .get("answer")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{id}.json has no answer"))
        .to_string()
}

/// Every file under `dir` whose name starts with the atomic-write temp prefix.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if entry
            .file_name()
            .to_string_lossy()
            .starts_with(".plan-ai-tmp-")
        {
            found.push(path);
        }
    }
    found
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str, what: &str) {
    assert!(
        haystack.contains(needle),
        "{what} should contain {needle:?}:\n{haystack}"
    );
}

#[track_caller]
fn assert_lacks(haystack: &str, needle: &str, what: &str) {
    assert!(
        !haystack.contains(needle),
        "{what} should not contain {needle:?}:\n{haystack}"
    );
}

/// Polls until `cond` holds, for at most `limit`.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Waits for the child to exit, for at most `limit`; kills it (and panics) otherwise.
fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("plan-ai did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// 1-2. Concurrency

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
        "- **Manage closely** (high influence, high interest): Margaret Ellison (Chief Commercial Officer); Derek Holloway (Regional Sales Manager, North)",
        "plan.md",
    );
    assert_contains(
        &md,
        "- **Keep satisfied** (high influence, lower interest): Tomasz Nowak",
        "plan.md",
    );
    assert_contains(
        &md,
        "- **Monitor** (lower influence, lower interest): Sam Okafor",
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
    for id in SECTIONS {
        assert_contains(&sb.read("plan.md"), &answer_of(id), "plan.md");
    }
}

// ---------------------------------------------------------------------------------------------
// 3, 6. Failure, resume, --allow-partial

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
    let md = sb.read("plan.md");
    for id in SECTIONS {
        assert_contains(&md, &answer_of(id), "plan.md");
    }
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
    let section7 = &md[md.find("## 7. Success metrics").expect("section 7")..];
    let section7 = &section7[..section7.find("## 8.").unwrap()];
    assert_contains(
        section7,
        "> **Missing:** no answer yet for this section.",
        "section 7",
    );
    assert_contains(section7, "`plan-ai prompt metrics`", "section 7");
    assert_contains(&md, "- Not generated yet.", "the appendix");
}

// ---------------------------------------------------------------------------------------------
// 4-5. Reuse, --regenerate, --fresh

#[test]
fn unchanged_rerun_reuses_every_section_and_rewrites_the_same_draft() {
    let (server, sb) = drafted();
    assert_eq!(server.count(), 3);
    let first = sb.read("plan.md");

    let run = sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 3, "nothing changed: no request");
    assert_eq!(sb.read("plan.md"), first);
    let err = run.stderr();
    for id in SECTIONS {
        assert_contains(
            &err,
            &format!("{id}: reused the stored answer (prompt and settings unchanged)"),
            "stderr",
        );
    }
}

#[test]
fn another_model_requests_every_section_again() {
    let (server, sb) = drafted();
    assert_eq!(server.count(), 3);

    sb.run(&["draft", "--model", "other"]).expect(0);
    assert_eq!(server.count(), 6);
    assert_eq!(requested_since(&server, 3), sorted(&SECTIONS));
    for r in &server.requests()[3..] {
        assert_eq!(r.body["model"], "other");
    }
    assert_eq!(stored(&sb, "metrics").unwrap()["request"]["model"], "other");

    // The same model again: reused.
    sb.run(&["draft", "--model", "other"]).expect(0);
    assert_eq!(server.count(), 6);
    // Changing the temperature is a different request too.
    sb.run(&["draft", "--model", "other", "--temperature", "0.3"])
        .expect(0);
    assert_eq!(server.count(), 9);
}

#[test]
fn changed_project_data_requests_only_the_sections_whose_prompt_changed() {
    let (server, sb) = drafted();
    assert_eq!(server.count(), 3);
    let toml = sb.read("plan-ai.toml");

    // primary_purpose is only in the metrics prompt.
    let purpose = "giving sales and management one trustworthy view";
    assert!(toml.contains(purpose));
    sb.write(
        "plan-ai.toml",
        &toml.replace(purpose, "giving sales one reliable view"),
    );
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, 3), ["metrics"]);
    assert_contains(
        &server.requests()[3].user_text(),
        "giving sales one reliable view",
        "the new metrics prompt",
    );

    // The system name is in the resistance and metrics prompts, not the communication one.
    let toml = sb.read("plan-ai.toml");
    sb.write(
        "plan-ai.toml",
        &toml.replace(
            "system = \"Salesforce Sales Cloud\"",
            "system = \"HubSpot Sales Hub\"",
        ),
    );
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, 4), ["metrics", "resistance"]);
    assert_eq!(server.count(), 6);
    assert_contains(&sb.read("plan.md"), "HubSpot Sales Hub", "plan.md");
}

#[test]
fn regenerate_requests_only_that_section_and_fresh_requests_all() {
    let (server, sb) = drafted();
    assert_eq!(server.count(), 3);

    sb.run(&["draft", "--regenerate", "resistance"]).expect(0);
    assert_eq!(requested_since(&server, 3), ["resistance"]);

    sb.run(&[
        "draft",
        "--regenerate",
        "resistance",
        "--regenerate",
        "comms",
    ])
    .expect(0);
    assert_eq!(requested_since(&server, 4), ["communication", "resistance"]);

    sb.run(&["draft", "--fresh"]).expect(0);
    assert_eq!(requested_since(&server, 6), sorted(&SECTIONS));
    assert_eq!(server.count(), 9);

    // An unknown section is a usage error before any request.
    let run = sb.run(&["draft", "--regenerate", "resistanse"]).expect(2);
    assert_contains(&run.stderr(), "did you mean `resistance`", "stderr");
    // --offline never touches the network, so it cannot regenerate.
    sb.run(&["draft", "--offline", "--fresh"]).expect(2);
    assert_eq!(server.count(), 9);
}

// ---------------------------------------------------------------------------------------------
// 7. Interruption

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

#[test]
fn ctrl_c_exits_130_and_keeps_finished_sections() {
    let slow = Arc::new(AtomicBool::new(true));
    let server = slow_metrics_server(slow.clone(), 10_000);
    let sb = sandbox(&server);
    let mut child = spawn_draft(&sb);
    wait_for_fast_sections(&sb, &mut child);

    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
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

// ---------------------------------------------------------------------------------------------
// 8. Offline round trip

#[test]
fn offline_round_trip_with_pasted_answers() {
    // No config and no server at all.
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");

    let run = sb.run(&["prompt", "resistance"]).expect(0);
    let prompt = run.stdout();
    assert_contains(
        &prompt,
        "You are a change management consultant",
        "the prompt",
    );
    assert_contains(&prompt, "Salesforce Sales Cloud", "the prompt");

    sb.write(
        "answer.txt",
        "<think>secret reasoning</think>\n# Top\n\nPASTED-RESISTANCE body text.\n\n## Sub\n\nMore detail.\n\n```md\n# not a heading\n```\n",
    );
    let run = sb.run(&["paste", "resistance", "answer.txt"]).expect(0);
    assert_contains(
        &run.stderr(),
        "stored the answer for `resistance`",
        "stderr",
    );
    sb.run_stdin(
        &["paste", "communication", "-"],
        "PASTED-COMMUNICATION from stdin.\n",
    )
    .expect(0);
    let rec = stored(&sb, "resistance").unwrap();
    assert_eq!(rec["source"], "pasted");
    assert_lacks(
        rec["answer"].as_str().unwrap(),
        "secret reasoning",
        "the stored answer",
    );

    // An empty paste stores nothing.
    sb.run_stdin(&["paste", "metrics", "-"], "  \n").expect(3);
    assert!(stored(&sb, "metrics").is_none());

    let run = sb.run(&["draft", "--offline"]).expect(6);
    let err = run.stderr();
    assert_contains(&err, "no answer yet for metrics", "stderr");
    assert_contains(&err, "`plan-ai prompt metrics`", "stderr");
    assert_contains(&err, "`plan-ai paste metrics FILE`", "stderr");
    assert_lacks(&err, "plan-ai prompt resistance", "stderr");
    assert!(!sb.file("plan.md").exists());

    sb.write("metrics.txt", "PASTED-METRICS answer.\n");
    sb.run(&["paste", "metrics", "metrics.txt"]).expect(0);
    let run = sb.run(&["draft", "--offline"]).expect(0);
    assert_contains(&run.stderr(), "(3 sections)", "stderr");

    let md = sb.read("plan.md");
    for text in [
        "PASTED-RESISTANCE body text.",
        "PASTED-COMMUNICATION from stdin.",
        "PASTED-METRICS answer.",
    ] {
        assert_contains(&md, text, "plan.md");
    }
    assert_lacks(&md, "secret reasoning", "plan.md");
    assert_lacks(&md, "<think>", "plan.md");
    // The pasted answer's headings sit under "## 5. Resistance planning".
    assert_contains(&md, "\n### Top\n", "plan.md");
    assert_contains(&md, "\n#### Sub\n", "plan.md");
    assert_lacks(&md, "\n# Top", "plan.md");
    assert_contains(&md, "\n# not a heading\n", "a code block in plan.md");
    assert_contains(&md, "- Source: pasted from a chat tool", "the appendix");
    assert_contains(&md, "3 of them were pasted from a chat tool", "plan.md");
    assert!(md.find("## 5. Resistance planning").unwrap() < md.find("### Top").unwrap());
    assert!(md.find("### Top").unwrap() < md.find("## 6.").unwrap());
}

#[test]
fn pasted_answers_are_reused_by_an_online_draft() {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = sandbox(&server);
    sb.run_stdin(&["paste", "resistance"], "PASTED-RESISTANCE.")
        .expect(0);
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, 0), ["communication", "metrics"]);
    let md = sb.read("plan.md");
    assert_contains(&md, "PASTED-RESISTANCE.", "plan.md");
    assert_contains(&md, "1 of them were pasted from a chat tool", "plan.md");
}

// ---------------------------------------------------------------------------------------------
// 9. Clobber refusal

/// A sandbox with every section pasted, so drafts need no server.
fn pasted_sandbox() -> Sandbox {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    for id in SECTIONS {
        sb.run_stdin(&["paste", id], &answer_of(id)).expect(0);
    }
    sb
}

#[test]
fn hand_edited_draft_is_not_overwritten_without_force() {
    let sb = pasted_sandbox();
    sb.run(&["draft", "--offline"]).expect(0);
    let original = sb.read("plan.md");
    let edited = format!("{original}\nMy own notes.\n");
    sb.write("plan.md", &edited);

    for args in [
        &["render"][..],
        &["draft", "--offline"][..],
        &["render", "--allow-partial"][..],
    ] {
        let run = sb.run(args).expect(1);
        assert_contains(&run.stderr(), "refusing to overwrite", "stderr");
        assert_contains(&run.stderr(), "--force", "stderr");
        assert_eq!(
            sb.read("plan.md"),
            edited,
            "`{}` left the file alone",
            args.join(" ")
        );
    }

    // Elsewhere is fine.
    sb.run(&["render", "-o", "other.md"]).expect(0);
    assert_eq!(sb.read("other.md"), original);
    assert_eq!(sb.read("plan.md"), edited);

    sb.run(&["render", "--force"]).expect(0);
    assert_eq!(sb.read("plan.md"), original);
    // Now it is plan-ai's again: a new answer re-renders without --force.
    sb.run_stdin(&["paste", "metrics"], "A NEWER METRICS ANSWER.")
        .expect(0);
    sb.run(&["render"]).expect(0);
    assert_contains(&sb.read("plan.md"), "A NEWER METRICS ANSWER.", "plan.md");
}

#[test]
fn online_draft_also_refuses_to_clobber() {
    let (server, sb) = drafted();
    sb.write("plan.md", "edited by hand\n");
    let run = sb.run(&["draft"]).expect(1);
    assert_contains(&run.stderr(), "--force", "stderr");
    assert_eq!(sb.read("plan.md"), "edited by hand\n");
    sb.run(&["draft", "--force"]).expect(0);
    assert_contains(&sb.read("plan.md"), &answer_of("metrics"), "plan.md");
    assert_eq!(
        server.count(),
        3,
        "refusing and forcing reuse the stored answers"
    );
}

#[test]
fn a_plan_md_that_plan_ai_never_wrote_is_refused() {
    let sb = pasted_sandbox();
    sb.write("plan.md", "# My plan\n\nWritten by a person.\n");
    let run = sb.run(&["render"]).expect(1);
    assert_contains(&run.stderr(), "refusing to overwrite", "stderr");
    assert_contains(&run.stderr(), "-o OTHER.md", "stderr");
    assert_eq!(sb.read("plan.md"), "# My plan\n\nWritten by a person.\n");

    sb.run(&["draft", "--offline", "-o", "drafts/plan-v2.md"])
        .expect(0);
    assert_contains(
        &sb.read("drafts/plan-v2.md"),
        &answer_of("resistance"),
        "-o file",
    );
    assert_eq!(sb.read("plan.md"), "# My plan\n\nWritten by a person.\n");
}

#[test]
fn the_same_file_named_two_ways_is_still_ours() {
    let sb = pasted_sandbox();
    sb.run(&["render"]).expect(0);
    // The default output is ./plan.md; naming it plan.md must not look like someone else's file.
    sb.run_stdin(&["paste", "metrics"], "CHANGED METRICS.")
        .expect(0);
    sb.run(&["render", "-o", "plan.md"]).expect(0);
    sb.run_stdin(&["paste", "metrics"], "CHANGED AGAIN.")
        .expect(0);
    sb.run(&["render", "-o", "./plan.md"]).expect(0);
    assert_contains(&sb.read("plan.md"), "CHANGED AGAIN.", "plan.md");
}

// ---------------------------------------------------------------------------------------------
// 10. render

#[test]
fn render_reassembles_without_any_request() {
    let (server, sb) = drafted();
    std::fs::remove_file(sb.file("plan.md")).unwrap();

    sb.run(&["render"]).expect(0);
    assert_eq!(server.count(), 3);
    assert_eq!(server.all_requests().len(), 3, "not even GET /models");
    let md = sb.read("plan.md");
    for id in SECTIONS {
        assert_contains(&md, &answer_of(id), "plan.md");
    }

    // With the project changed, render keeps the stored answer but flags it as out of date.
    let toml = sb.read("plan-ai.toml");
    sb.write(
        "plan-ai.toml",
        &toml.replace(
            "primary_purpose = \"giving",
            "primary_purpose = \"finally giving",
        ),
    );
    let run = sb.run(&["render"]).expect(0);
    assert_eq!(server.count(), 3);
    assert_contains(
        &run.stderr(),
        "the stored answer for `metrics` was made from a different prompt",
        "stderr",
    );
    let md = sb.read("plan.md");
    let section7 = &md[md.find("## 7.").unwrap()..md.find("## 8.").unwrap()];
    assert_contains(section7, "**Out of date:**", "section 7");
    let section5 = &md[md.find("## 5.").unwrap()..md.find("## 6.").unwrap()];
    assert_lacks(section5, "Out of date", "section 5");
}

#[test]
fn render_needs_no_config_and_reports_missing_sections() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    // A config pointing nowhere usable must not matter either.
    sb.config("default_profile = \"nope\"\n");
    let run = sb.run(&["render"]).expect(6);
    assert_contains(
        &run.stderr(),
        "no answer yet for resistance, communication, metrics",
        "stderr",
    );
    assert!(!sb.file("plan.md").exists());

    let run = sb.run(&["render", "--allow-partial"]).expect(6);
    assert_contains(&run.stderr(), "3 missing", "stderr");
    let md = sb.read("plan.md");
    assert_eq!(md.matches("> **Missing:**").count(), 3);
    assert_contains(&md, "Derek Holloway", "plan.md");
}

// ---------------------------------------------------------------------------------------------
// 11. Privacy

#[test]
fn requests_never_carry_person_level_data() {
    let (server, sb) = drafted();
    let reqs = server.all_requests();
    assert_eq!(server.count(), 3);
    for r in &reqs {
        for name in PEOPLE {
            assert_lacks(&r.raw_body, name, "a request body");
            assert_lacks(&r.path, name, "a request path");
        }
        assert_lacks(&r.raw_body, "built the North workbook", "a request body");
    }
    let md = sb.read("plan.md");
    for name in PEOPLE {
        assert_contains(&md, name, "plan.md");
    }
    // The appendix's "prompt as sent" is the prompt, without the people either.
    let appendix = &md[md.find("## Appendix").unwrap()..];
    for name in PEOPLE {
        assert_lacks(appendix, name, "the appendix");
    }
}

// ---------------------------------------------------------------------------------------------
// 12. Usage and cost

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
    let sb = sandbox_with(
        &server,
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
        "**Total tokens:** 9000 prompt + 12000 answer = 21000.",
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

// ---------------------------------------------------------------------------------------------
// Suspected bugs

/// `draft --sections a` should still assemble the whole plan from what is stored.
#[test]
fn draft_with_sections_keeps_the_other_stored_sections_in_the_plan() {
    let (server, sb) = drafted();
    sb.run(&[
        "draft",
        "--sections",
        "resistance",
        "--regenerate",
        "resistance",
    ])
    .expect(0);
    assert_eq!(requested_since(&server, 3), ["resistance"]);
    let md = sb.read("plan.md");
    for id in SECTIONS {
        assert_contains(&md, &answer_of(id), "plan.md");
    }
    assert_lacks(&md, "**Missing:**", "plan.md");
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
// More edges of the store and the assembly

#[test]
fn an_unreadable_record_is_ignored_and_requested_again() {
    let (server, sb) = drafted();
    std::fs::write(section_path(&sb, "metrics"), "{ not json").unwrap();
    let run = sb.run(&["draft"]).expect(0);
    assert_contains(&run.stderr(), "warning: ignoring", "stderr");
    assert_eq!(requested_since(&server, 3), ["metrics"]);
    assert_eq!(stored_answer(&sb, "metrics"), answer_of("metrics"));
}

#[test]
fn project_in_a_subfolder_keeps_store_and_draft_next_to_it() {
    let (server, healthy) = server_with_failing_metrics();
    let sb = Sandbox::new();
    sb.config(&profile(&server, ""));
    std::fs::create_dir_all(sb.file("proj")).unwrap();
    std::fs::copy(example("crm-manufacturer.toml"), sb.file("proj/crm.toml")).unwrap();

    let run = sb.run(&["draft", "-p", "proj/crm.toml"]).expect(4);
    assert_contains(
        &run.stderr(),
        "Re-run `plan-ai draft -p proj/crm.toml`",
        "stderr",
    );
    assert!(sb.file("proj/.plan-ai/sections/resistance.json").exists());
    assert!(!sb.file(".plan-ai").exists());

    healthy.store(true, Ordering::SeqCst);
    sb.run(&["draft", "-p", "proj/crm.toml"]).expect(0);
    assert_eq!(requested_since(&server, 3), ["metrics"]);
    assert_contains(
        &sb.read("proj/plan.md"),
        &answer_of("metrics"),
        "proj/plan.md",
    );
    assert!(!sb.file("plan.md").exists());
}

#[test]
fn a_cut_off_answer_is_stored_and_flagged_in_the_draft() {
    let server = FakeServer::start(|req, _| {
        if section_of(req) == "metrics" {
            Reply::sse(vec![
                role_chunk(),
                delta("METRICS answer that stops mid"),
                finish("length"),
                done(),
            ])
        } else {
            ok_reply(req)
        }
    });
    let sb = sandbox(&server);
    let run = sb.run(&["draft"]).expect(0);
    assert_contains(&run.stderr(), "CUT OFF at max_tokens", "stderr");
    let md = sb.read("plan.md");
    let section7 = &md[md.find("## 7.").unwrap()..md.find("## 8.").unwrap()];
    assert_contains(section7, "METRICS answer that stops mid", "section 7");
    assert_contains(section7, "> **Cut off:**", "section 7");
    assert_lacks(
        &md[..md.find("## 7.").unwrap()],
        "**Cut off:**",
        "sections 1-6",
    );
}

#[test]
fn reasoning_from_the_endpoint_stays_out_of_the_draft() {
    let server = FakeServer::start(|req, _| {
        let text = format!(
            "<think>private chain of thought</think>\n\n{}",
            answer_of(section_of(req))
        );
        Reply::stream_text(&text, 2, 0)
    });
    let sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    let md = sb.read("plan.md");
    assert_lacks(&md, "private chain of thought", "plan.md");
    assert_lacks(&md, "think>", "plan.md");
    for id in SECTIONS {
        assert_contains(&md, &answer_of(id), "plan.md");
    }
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
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.config(&profile(&server, "").replace("retries = 1", "retries = 0"));
    let run = sb.run(&["draft"]).expect(4);
    assert_contains(&run.stderr(), "metrics failed", "stderr");
    assert!(stored(&sb, "metrics").is_none(), "no partial answer stored");
    assert!(!sb.file("plan.md").exists());
}

#[test]
fn ask_command_answer_is_reused_by_draft() {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = sandbox(&server);
    sb.run(&["metrics"]).expect(0);
    assert_eq!(server.count(), 1);
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, 1), ["communication", "resistance"]);
}

/// With a profile that names no model (the model is discovered from GET /models), an answer
/// from `plan-ai metrics` must still be reused by `draft`.
#[test]
fn ask_command_answer_is_reused_by_draft_when_the_model_is_discovered() {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.config(&profile(&server, "").replace("model = \"fake-model\"\n", ""));
    sb.run(&["metrics"]).expect(0);
    assert_eq!(server.count(), 1);
    assert_eq!(server.requests()[0].body["model"], "fake-model");
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, 1), ["communication", "resistance"]);
}

/// A pasted answer that is nothing but reasoning leaves no answer: it must not be stored as
/// an empty section (the draft would show an empty section and no "Missing" marker).
#[test]
fn a_paste_with_only_reasoning_is_refused() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let run = sb.run_stdin(&["paste", "metrics"], "<think>only thinking here</think>\n");
    let code = run.code();
    let stored_metrics = stored(&sb, "metrics");
    assert!(
        code == 3 && stored_metrics.is_none(),
        "exit {code}, stored {stored_metrics:?}; stderr:\n{}",
        run.stderr()
    );
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
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
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
fn custom_sections_get_their_own_numbered_part_with_nested_headings() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.write(
        "prompts/champions.md",
        "+++\ntitle = \"Champion network\"\ninputs = [\"roles\"]\n+++\nDesign a champion network for {{ roles | map(attribute=\"name\") | list_en }}.\n",
    );
    for id in SECTIONS {
        sb.run_stdin(&["paste", id], &format!("Answer for {id}."))
            .expect(0);
    }
    sb.run_stdin(
        &["paste", "champions"],
        "# Network\nOne per region.\n## Rhythm\nMonthly.",
    )
    .expect(0);
    sb.run(&["draft", "--offline"]).expect(0);
    let plan = sb.read("plan.md");
    assert_contains(&plan, "## 9. Further sections", "plan.md");
    assert_contains(
        &plan,
        "### 9.1 Champion network\n\n#### Network\nOne per region.\n##### Rhythm",
        "plan.md",
    );
    assert_contains(&plan, "### Champion network (`champions`)", "appendix");
}
