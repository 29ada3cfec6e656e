//! End-to-end tests against a real OpenAI-compatible server with a real model: the llama.cpp
//! server (llama-cpp-python) with SmolLM2-135M-Instruct, started by `scripts/llm-server start`.
//!
//! Set PLAN_AI_E2E_BASE_URL (e.g. http://127.0.0.1:8080/v1) to run them; without it they are
//! skipped with a visible message. CI sets PLAN_AI_E2E_REQUIRED=1, which turns a missing
//! server into a failure instead of a skip. The model's prose is poor (135M parameters): these
//! tests check the protocol and the pipeline, not the writing.

use crate::support::*;

/// The sandbox configured for the real server, or None (after saying so) to skip. With
/// `prose`, a small token budget keeps the CPU-bound model quick; without, the built-in
/// sections ask for structure and the budgets follow their schemas.
fn real_server_for(example: &str, prose: bool) -> Option<Sandbox> {
    let base = std::env::var("PLAN_AI_E2E_BASE_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let Some(base) = base else {
        if std::env::var("PLAN_AI_E2E_REQUIRED").is_ok_and(|v| v == "1") {
            panic!("PLAN_AI_E2E_REQUIRED=1 but PLAN_AI_E2E_BASE_URL is not set");
        }
        skip(
            "real_llm",
            "no real server configured (run scripts/llm-server start, then set PLAN_AI_E2E_BASE_URL=http://127.0.0.1:8080/v1)",
        );
        return None;
    };
    let sb = Sandbox::new().with_example(example);
    // No model: the profile uses the server's only model, as the llamacpp preset does. The
    // idle timeout covers a cold start.
    let prose = if prose {
        "prose = true\nmax_tokens = 96\n"
    } else {
        ""
    };
    sb.config(&format!(
        "default_profile = \"real\"\n[profiles.real]\nbase_url = \"{base}\"\nidle_timeout = 300\nretries = 1\n{prose}"
    ));
    Some(sb)
}

fn real_server() -> Option<Sandbox> {
    real_server_for(CRM_EXAMPLE, true)
}

#[test]
fn every_section_command_streams_a_real_answer() {
    let Some(sb) = real_server() else { return };
    for command in ["resistance", "communication", "metrics"] {
        let run = sb.run(&[command]).expect(0);
        assert!(
            run.stdout().trim().len() > 20,
            "{command}: answer too short: {:?}",
            run.stdout()
        );
        let err = run.stderr();
        assert!(
            err.contains("model: ") && err.contains("tokens: "),
            "{command}: {err}"
        );
        // The stored record is complete and names the model the server reported.
        let v = stored_record(&sb, command);
        assert_eq!(v["source"], "endpoint");
        assert!(
            ["stop", "length"].contains(&v["finish_reason"].as_str().unwrap()),
            "{v}"
        );
        // llama-cpp-python never reports usage in a stream (it ignores stream_options), so
        // usage is absent here, and stderr says so rather than inventing a count.
        match v["usage"]["completion_tokens"].as_u64() {
            Some(n) => assert!(n > 0, "{v}"),
            None => assert!(err.contains("not reported by the server"), "{err}"),
        }
    }
}

#[test]
fn every_section_command_works_without_streaming_and_writes_its_file() {
    let Some(sb) = real_server() else { return };
    for command in ["resistance", "comms", "metrics"] {
        let out = format!("{command}.md");
        let run = sb.run(&[command, "--no-stream", "-o", &out]).expect(0);
        assert!(
            run.stdout().trim().len() > 20,
            "{command}: {:?}",
            run.stdout()
        );
        assert_eq!(
            sb.read(&out),
            run.stdout(),
            "{command}: file and stdout differ"
        );
    }
}

/// The project's group names, from its file.
fn groups_of(sb: &Sandbox) -> Vec<String> {
    let project: toml::Value = toml::from_str(&sb.read("plan-ai.toml")).unwrap();
    project["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

/// Structure on a real server: llama-cpp-python takes `json_object` with a schema and
/// constrains decoding to it, so even a 135M model gives a matrix row for every group and
/// exactly five resistance points and five metrics.
fn structured_draft(example: &str, check_reuse: bool) {
    let Some(sb) = real_server_for(example, false) else {
        return;
    };
    let run = sb.run(&["draft"]).expect(0);
    let err = run.stderr();
    assert!(!err.contains("did not fit its structure"), "{err}");
    let groups = groups_of(&sb);
    let comms = stored_record(&sb, "communication");
    let matrix = comms["structured"]["matrix"]
        .as_object()
        .expect("a structured matrix");
    let mut keys: Vec<&String> = matrix.keys().collect();
    let mut want: Vec<&String> = groups.iter().collect();
    keys.sort();
    want.sort();
    assert_eq!(keys, want, "one row per group");
    assert_eq!(
        comms["rung"], "json_object",
        "llama-cpp-python takes json_object"
    );
    let points = stored_record(&sb, "resistance")["structured"]["points"].clone();
    assert_eq!(points.as_array().map(Vec::len), Some(5), "{points}");
    let metrics = stored_record(&sb, "metrics")["structured"]["metrics"].clone();
    assert_eq!(metrics.as_array().map(Vec::len), Some(5), "{metrics}");

    let plan = sb.read("plan.md");
    for heading in [
        "## 4. Stakeholder analysis",
        "## 5. Resistance planning",
        "## 6. Communication plan and cadence",
        "## 7. Success metrics",
        "## Appendix",
    ] {
        assert!(plan.contains(heading), "missing {heading}");
    }
    assert!(
        !plan.contains("**Missing:**") && !plan.contains("**Unstructured:**"),
        "{plan}"
    );
    assert!(
        plan.contains("| Audience | What they need to know |"),
        "{plan}"
    );
    for g in &groups {
        assert!(plan.contains(&format!("| {g} |")), "no matrix row for {g}");
    }
    assert!(plan.contains("| Resistance point | Roles affected |"));
    assert!(plan.contains("| Metric | What it measures | Dimension |"));
    if check_reuse {
        // Nothing changed: the second run asks the server nothing and says so.
        let again = sb.run(&["draft"]).expect(0);
        assert_eq!(
            again.stderr().matches("reused the stored answer").count(),
            3,
            "{}",
            again.stderr()
        );
    }
}

#[test]
fn structured_draft_of_the_crm_example_has_a_row_per_group_then_reuses_every_answer() {
    structured_draft(CRM_EXAMPLE, true);
}

#[test]
fn structured_draft_of_the_erp_example_has_a_row_per_group() {
    structured_draft("erp-finance.toml", false);
}

/// A German plan on the real server runs end to end: every request carries the language
/// instruction and every section keeps its structure (the model's German is not judged).
#[test]
fn a_german_draft_runs_end_to_end() {
    let Some(sb) = real_server_for(CRM_EXAMPLE, false) else {
        return;
    };
    let run = sb.run(&["draft", "--language", "de"]).expect(0);
    assert!(
        !run.stderr().contains("did not fit its structure"),
        "{}",
        run.stderr()
    );
    for id in ["resistance", "communication", "metrics"] {
        let record = stored_record(&sb, id);
        let system = record["request"]["messages"][0]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(
            system.starts_with("Answer language: German (Deutsch)."),
            "{id}: {system}"
        );
        assert!(record["structured"].is_object(), "{id}: {record}");
    }
    assert!(!sb.read("plan.md").contains("**Missing:**"));
}

#[test]
fn a_prose_draft_is_complete() {
    let Some(sb) = real_server() else { return };
    let run = sb.run(&["draft"]).expect(0);
    let plan = sb.read("plan.md");
    assert!(plan.contains("# Implementation plan: Sales CRM rollout 2027"));
    assert!(!plan.contains("**Missing:**"), "{plan}");
    assert!(
        plan.contains("Derek Holloway"),
        "the local register is in the draft"
    );
    assert!(
        run.stderr().contains("total"),
        "usage table: {}",
        run.stderr()
    );
}

#[test]
fn profiles_test_talks_to_the_real_server() {
    let Some(sb) = real_server() else { return };
    let out = sb.run(&["profiles", "test"]).expect(0).stdout();
    assert!(
        out.contains("streaming:   yes") && out.contains("result:      OK"),
        "{out}"
    );
}

/// llama-cpp-python's server as users start it (`interrupt_requests` on: a request arriving
/// while another streams cuts that one short): `draft` finds out, goes one request at a time,
/// and finishes. `scripts/test` starts it on a second port (`scripts/llm-server start
/// --defaults`) and sets PLAN_AI_E2E_DEFAULTS_URL.
#[test]
fn draft_finishes_against_a_server_started_with_its_defaults() {
    let Some(base) = std::env::var("PLAN_AI_E2E_DEFAULTS_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        if std::env::var("PLAN_AI_E2E_REQUIRED").is_ok_and(|v| v == "1") {
            panic!("PLAN_AI_E2E_REQUIRED=1 but PLAN_AI_E2E_DEFAULTS_URL is not set");
        }
        skip(
            "real_llm",
            "no server with its defaults (PLAN_AI_LLM_PORT=8081 scripts/llm-server start --defaults, then set PLAN_AI_E2E_DEFAULTS_URL=http://127.0.0.1:8081/v1)",
        );
        return;
    };
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.config(&format!(
        "default_profile = \"defaults\"\n[profiles.defaults]\nbase_url = \"{base}\"\nidle_timeout = 300\nretries = 1\nprose = true\nmax_tokens = 64\n"
    ));
    let run = sb.run(&["draft"]).expect(0);
    let err = run.stderr();
    assert_contains(&err, "sending it one request at a time", "stderr");
    assert_contains(&err, "jobs = 1", "the permanent setting");
    assert_contains(
        &sb.read(".plan-ai/one-at-a-time.json"),
        base.trim_end_matches('/'),
        "remembered",
    );
    assert!(sb.file("plan.md").exists());
}

/// A revision on the real server: the conversation (prompt, answer, feedback) is accepted, and
/// the answer is stored as version 2, revised from version 1, with its feedback.
#[test]
fn a_revision_against_the_real_server_becomes_version_two() {
    let Some(sb) = real_server() else { return };
    sb.run(&["resistance", "--no-stream"]).expect(0);
    let first = stored_record(&sb, "resistance");
    let feedback = "Make it shorter: three bullet points.";
    let run = sb.run(&["revise", "resistance", feedback]).expect(0);
    assert_contains(&run.stdout(), "Changes since version 1:\n- ", "stdout");
    assert_contains(
        &run.stderr(),
        "stored as version 2 of `resistance` (revised)",
        "stderr",
    );
    let record = stored_record(&sb, "resistance");
    assert_eq!(record["source"], "endpoint");
    assert_eq!(record["version"]["based_on"], 1);
    assert_eq!(record["version"]["feedback"], feedback);
    assert_eq!(record["request"]["messages"], first["request"]["messages"]);
    assert!(!record["answer"].as_str().unwrap().trim().is_empty());
    let history: serde_json::Value = serde_json::from_str(
        &sb.run(&["history", "resistance", "--json"])
            .expect(0)
            .stdout(),
    )
    .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["how"], "revised");
    assert!(history[1]["model"].as_str().is_some_and(|m| !m.is_empty()));
}
