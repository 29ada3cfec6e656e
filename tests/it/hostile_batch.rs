//! A hostile or forgetful Batch API, and a tampered batch.json: section keys that climb out of
//! the store, ids and messages with escape codes, the key or megabytes, a batch the server no
//! longer knows, and answers over the answer limit. Each test failed on the code before the fix
//! (see the README's fault table).

use crate::portfolio::{batch_server, portfolio};
use crate::support::batch_api::{Behaviour, FakeBatches};
use crate::support::*;
use std::sync::Arc;

const KEY: &str = "sk-hostile-0123456789abcdefXYZ";
const ESCAPES: &str = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b]0;pwned\x07\u{9b}31m";
const CRM_STORE: &str = "projects/.plan-ai/projects/crm";

#[track_caller]
fn assert_clean(text: &str, what: &str) {
    assert!(text.len() < 64 * 1024, "{what}: {} bytes", text.len());
    for bad in ['\x1b', '\x07', '\u{9b}'] {
        assert!(!text.contains(bad), "{what} contains {bad:?}: {text:?}");
    }
    assert!(!text.contains(&KEY[..12]), "{what} holds the key: {text}");
}

/// Batches that behave as `behaviour` says, and crm.toml submitted to them.
fn submitted(behaviour: Behaviour) -> (Arc<FakeBatches>, FakeServer, Sandbox) {
    let batches = Arc::new(FakeBatches::new(behaviour));
    let server = batch_server(batches.clone());
    let mut sb = portfolio(&server, "");
    sb.set_env("PLAN_AI_API_KEY", KEY);
    sb.run(&["portfolio", "draft", "projects/crm.toml", "--batch"])
        .expect(0);
    (batches, server, sb)
}

#[test]
fn a_section_key_in_batch_json_never_becomes_a_path() {
    let (_batches, _server, sb) = submitted(Behaviour::default());
    let path = format!("{CRM_STORE}/batch.json");
    let state = sb
        .read(&path)
        .replace("\"metrics\": {", "\"../../../../../outside/pwn\": {");
    assert!(state.contains("outside/pwn"), "{state}");
    sb.write(&path, &state);
    let err = sb
        .run(&["portfolio", "collect", "projects/crm.toml"])
        .expect(0)
        .stderr();
    assert_contains(&err, "not a section id", "stderr");
    assert_contains(&err, "collected 2 sections", "stderr");
    for climbed in ["outside", "projects/outside", "projects/.plan-ai/outside"] {
        assert!(!sb.file(climbed).exists(), "{climbed} was created");
    }
    assert!(
        !sb.file(&format!("{CRM_STORE}/sections/metrics.json"))
            .exists()
    );
}

#[test]
fn batch_ids_statuses_and_messages_are_cleaned_and_bounded() {
    // Failed lines whose message carries escapes, the key and 5 MB.
    let message = format!("bad {ESCAPES} line {KEY} {}", "m".repeat(5 << 20));
    let (_batches, _server, sb) = submitted(Behaviour {
        fail_containing: Some("::".into()),
        fail_message: Some(message),
        ..Default::default()
    });
    let run = sb.run(&["portfolio", "collect", "projects/crm.toml"]);
    let err = run.stderr();
    assert_clean(&err, "stderr");
    assert_eq!(run.code(), 4, "{err}");
    assert_contains(&err, "bad line [redacted] mmm", "stderr");
    for file in ["batch.json", "failures.json"] {
        assert_clean(&sb.read(&format!("{CRM_STORE}/{file}")), file);
    }

    // A batch id with escapes, or with the key, is not taken (it would go into URLs, files
    // and the terminal).
    for suffix in [ESCAPES.to_string(), format!("-{KEY}")] {
        let batches = Arc::new(FakeBatches::new(Behaviour {
            id_suffix: Some(suffix),
            ..Default::default()
        }));
        let server = batch_server(batches);
        let mut sb = portfolio(&server, "");
        sb.set_env("PLAN_AI_API_KEY", KEY);
        let run = sb.run(&["portfolio", "draft", "projects/crm.toml", "--batch"]);
        let err = run.stderr();
        assert_clean(&err, "stderr");
        assert_ne!(run.code(), 0, "{err}");
        assert_contains(&err, "unusable `id`", "stderr");
        assert!(!sb.file(&format!("{CRM_STORE}/batch.json")).exists());
    }

    // A status with escapes.
    let (batches, _server, sb) = submitted(Behaviour::default());
    batches.set_behaviour(Behaviour {
        status: Some(format!("{ESCAPES}weird")),
        ..Default::default()
    });
    let run = sb.run(&["portfolio", "collect", "projects/crm.toml"]);
    assert_clean(&run.stderr(), "stderr");
    assert_contains(&run.stderr(), "unknown status `weird`", "stderr");
}

#[test]
fn a_batch_the_server_forgot_releases_its_sections_and_collect_goes_on() {
    let batches = Arc::new(FakeBatches::new(Behaviour::default()));
    let server = batch_server(batches.clone());
    let sb = portfolio(&server, "");
    let (_, id) = a_batch_each(&sb);
    assert_eq!(batches.batch_count(), 2);
    batches.forget(&id);
    let err = sb
        .run(&["portfolio", "collect", "projects"])
        .expect(4)
        .stderr();
    assert_contains(
        &err,
        &format!("the server no longer knows batch {id}"),
        "stderr",
    );
    assert_contains(&err, "released 3 sections", "stderr");
    assert_lacks(&err, "/v1", "stderr: no hint about the base URL");
    // erp's batch, after crm's in the folder, was still collected.
    assert!(
        sb.file("projects/.plan-ai/projects/erp/sections/metrics.json")
            .exists(),
        "{err}"
    );
    // crm's sections are no longer "in a batch": a plain draft asks for them.
    let run = sb.run(&["draft", "-p", "projects/crm.toml"]).expect(0);
    assert_eq!(server.count(), 3, "{}", run.stderr());
}

/// One batch per project, crm's first, then erp's: crm's batch.json and its batch id.
fn a_batch_each(sb: &Sandbox) -> (String, String) {
    for project in ["crm", "erp"] {
        sb.run(&[
            "portfolio",
            "draft",
            &format!("projects/{project}.toml"),
            "--batch",
        ])
        .expect(0);
    }
    let state = sb.read(&format!("{CRM_STORE}/batch.json"));
    let id = state
        .split("\"batch_id\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    (state, id)
}

/// A server that fails to say how one batch stands (a 500 however often it is asked) does not
/// stop the other batches being collected; the failing one stays, to collect later.
#[test]
fn a_batch_the_server_cannot_report_on_stays_and_collect_goes_on() {
    let batches = Arc::new(FakeBatches::new(Behaviour::default()));
    let server = batch_server(batches.clone());
    let sb = portfolio(&server, "");
    // No retries: the 500 is final at once.
    sb.config(&format!(
        "default_profile = \"p\"\n[profiles.p]\nbase_url = \"{}\"\nmodel = \"{FAKE_MODEL}\"\nretries = 0\n",
        server.base_url()
    ));
    let (state, id) = a_batch_each(&sb);
    batches.fail(&id);
    let err = sb
        .run(&["portfolio", "collect", "projects"])
        .expect(4)
        .stderr();
    assert_contains(
        &err,
        &format!("batch {id}: could not be collected"),
        "stderr",
    );
    assert!(
        sb.file("projects/.plan-ai/projects/erp/sections/metrics.json")
            .exists(),
        "erp's batch was collected: {err}"
    );
    assert_eq!(
        sb.read(&format!("{CRM_STORE}/batch.json")),
        state,
        "crm's batch is kept as it was"
    );
    // Once the server answers again, it is collected.
    batches.state_clear_failing();
    sb.run(&["portfolio", "collect", "projects"]).expect(0);
    assert!(
        sb.file(&format!("{CRM_STORE}/sections/metrics.json"))
            .exists()
    );
}

#[test]
fn a_huge_answer_in_the_output_file_is_refused_in_little_memory() {
    // Every answer 50 MB, and 60 more lines of 1 MB for no request: a 210 MB output file.
    let (_batches, _server, sb) = submitted(Behaviour {
        answer_bytes: Some(50 << 20),
        filler_lines: Some((60, 1 << 20)),
        ..Default::default()
    });
    let (code, kib) = peak_kib(&sb, &["portfolio", "collect", "projects/crm.toml"]);
    assert_eq!(code, 4);
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB");
    let failures = sb.read(&format!("{CRM_STORE}/failures.json"));
    assert_contains(
        &failures,
        "larger than 4 MiB (max_answer_bytes)",
        "failures.json",
    );
    assert!(
        !sb.file(&format!("{CRM_STORE}/sections/metrics.json"))
            .exists()
    );
}

#[test]
fn batch_forget_stops_waiting_and_the_next_draft_requests_the_sections() {
    let (_batches, server, sb) = submitted(Behaviour {
        polls_to_complete: 1000,
        ..Behaviour::default()
    });
    let before = server.count();
    // Still running: draft requests nothing of it and says how to stop waiting.
    let run = sb.run(&["draft", "-p", "projects/crm.toml"]);
    assert_contains(&run.stderr(), "still in a batch", "draft");
    assert_contains(
        &run.stderr(),
        "plan-ai batch forget -p projects/crm.toml",
        "the way out",
    );
    assert_eq!(server.count(), before, "nothing bought twice");
    let err = sb
        .run(&["batch", "forget", "-p", "projects/crm.toml"])
        .expect(0)
        .stderr();
    assert_contains(&err, "forgot batch", "batch forget");
    assert_contains(&err, "3 sections", "batch forget");
    assert!(!sb.file(&format!("{CRM_STORE}/batch.json")).exists());
    sb.run(&["draft", "-p", "projects/crm.toml"]).expect(0);
    assert_eq!(server.count(), before + 3, "the next draft asks for them");
    let again = sb
        .run(&["batch", "forget", "-p", "projects/crm.toml"])
        .expect(0);
    assert_contains(
        &again.stderr(),
        "waits for no batch",
        "nothing left to forget",
    );
}
