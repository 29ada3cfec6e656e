//! `revise`, `history`, `diff`, `use`, `prompt --revise` with `paste`, and the rules around
//! them: the exact messages of a revision, `--only` leaving every other item byte for byte,
//! `draft` keeping a person's version (and `--regenerate` saying what it supersedes), two
//! revisions at once, hostile feedback files.

use crate::support::dialects::*;
use crate::support::draft::{ok_reply, sandbox, section_of};
use crate::support::*;
use serde_json::{Value, json};

/// The roles and contents of a request's messages.
pub fn messages(req: &Recorded) -> Vec<(String, String)> {
    req.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (s("role"), s("content"))
        })
        .collect()
}

/// Whether a request revises an answer (it carries the earlier answer as the assistant's).
pub fn is_revision(req: &Recorded) -> bool {
    messages(req).iter().any(|(role, _)| role == "assistant")
}

/// Prose answers: the draft tests' fake model, and `REVISED-<section>: <feedback>` for a
/// revision.
fn prose_server() -> FakeServer {
    FakeServer::start(|req, _| {
        if is_revision(req) {
            let feedback = messages(req).last().unwrap().1.clone();
            reply_text(req, &format!("REVISED-{}: {feedback}", section_of(req)))
        } else {
            ok_reply(req)
        }
    })
}

/// Structured answers from a `json_schema` server: `fake cell` in every string of a first
/// answer, `revised cell` in a revision's.
fn structured_server() -> FakeServer {
    FakeServer::start(|req, _| {
        let text = if is_revision(req) {
            "revised cell"
        } else {
            "fake cell"
        };
        answer(Dialect::JsonSchema, req, text)
    })
}

fn history_json(sb: &Sandbox, id: &str) -> Vec<Value> {
    let run = sb.run(&["history", id, "--json"]).expect(0);
    serde_json::from_str::<Value>(&run.stdout())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_prose_revision_sends_the_prompt_the_answer_and_the_feedback() {
    let server = prose_server();
    let sb = sandbox(&server);
    sb.run(&["resistance"]).expect(0);
    let first = server.requests()[0].clone();
    let v1 = stored_answer(&sb, "resistance");
    let run = sb
        .run(&["revise", "resistance", "Tie every tactic to the ward rota."])
        .expect(0);
    assert_eq!(server.count(), 2);
    let sent = messages(&server.requests()[1]);
    let mut want = messages(&first);
    want.push(("assistant".into(), v1));
    want.push(("user".into(), "Tie every tactic to the ward rota.".into()));
    assert_eq!(sent, want);
    assert!(server.requests()[1].body.get("response_format").is_none());
    let out = run.stdout();
    assert_contains(&out, "REVISED-resistance: Tie every tactic", "stdout");
    assert_contains(
        &out,
        "Changes since version 1:\n- 1 line added, 1 line removed",
        "stdout",
    );
    assert_contains(
        &run.stderr(),
        "stored as version 2 of `resistance` (revised)",
        "stderr",
    );
    let record = stored_record(&sb, "resistance");
    assert_eq!(record["version"]["number"], 2);
    assert_eq!(record["version"]["how"], "revised");
    assert_eq!(record["version"]["based_on"], 1);
    assert_eq!(
        record["version"]["trail"],
        json!(["Tie every tactic to the ward rota."])
    );
    // The prompt it answers is the section's own: still current.
    assert_eq!(record["request"]["messages"], first.body["messages"]);
}

#[test]
fn a_structured_revision_keeps_its_schema_and_lists_what_changed() {
    let server = structured_server();
    let sb = structured_sandbox(&server, "");
    sb.run(&["metrics"]).expect(0);
    let first = server.requests()[0].clone();
    let v1 = stored_record(&sb, "metrics")["structured"].clone();
    let run = sb
        .run(&["revise", "metrics", "Name a baseline for each metric."])
        .expect(0);
    let second = server.requests()[1].clone();
    // The system instruction and the article's prompt as first sent, the answer's JSON as
    // the assistant's, the feedback last; the same response_format.
    let mut want = messages(&first);
    want.push(("assistant".into(), v1.to_string()));
    want.push(("user".into(), "Name a baseline for each metric.".into()));
    assert_eq!(messages(&second), want);
    assert_eq!(
        second.body["response_format"],
        first.body["response_format"]
    );
    assert_eq!(second.body["max_tokens"], first.body["max_tokens"]);
    let out = run.stdout();
    assert_contains(&out, "| Metric | What it measures |", "the new table");
    assert_contains(&out, "| revised cell |", "the new table");
    assert_contains(
        &out,
        "Changes since version 1:\n- changed summary\n- changed metric 1 (revised cell): metric, what_it_measures, target, baseline, how_to_collect, cadence, owner, low_scores_indicate\n",
        "the changes",
    );
    // diff: the same, field by field, with old and new values.
    let diff = sb.run(&["diff", "metrics"]).expect(0).stdout();
    assert!(
        diff.starts_with("metrics version 1 (generated) → metrics version 2 (revised)\nchanged summary\n    - fake cell\n    + revised cell\n"),
        "{diff}"
    );
    let json: Value =
        serde_json::from_str(&sb.run(&["diff", "metrics", "--json"]).expect(0).stdout()).unwrap();
    assert_eq!(json["diff"]["kind"], "structured");
    assert_eq!(json["a"]["version"], 1);
    assert_eq!(json["diff"]["changes"][1]["item"], "metric 1");
    assert_eq!(json["diff"]["changes"][1]["fields"][0]["old"], "fake cell");
    // --json: the new version's checked JSON, as stored, for a script.
    let run = sb
        .run(&["revise", "metrics", "Shorter owners.", "--json"])
        .expect(0);
    let json: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["section"], "metrics");
    assert_eq!(json["version"], 3);
    assert_eq!(json["based_on"], 2);
    assert_eq!(json["answer"], stored_record(&sb, "metrics")["structured"]);
    assert!(json["changes"].is_array(), "{json}");
}

#[test]
fn only_replaces_one_item_and_leaves_every_other_byte_for_byte() {
    let server = structured_server();
    let sb = structured_sandbox(&server, "");
    sb.run(&["communication"]).expect(0);
    let before = stored_record(&sb, "communication")["structured"].clone();
    sb.run(&[
        "revise",
        "communication",
        "--only",
        "it support",
        "Too generic.",
    ])
    .expect(0);
    let req = server.requests()[1].clone();
    // Asked for that row alone; the whole matrix is in the conversation.
    let schema = &req.body["response_format"]["json_schema"]["schema"];
    assert_eq!(
        schema["required"],
        json!([
            "need_to_know",
            "when",
            "frequency",
            "channel",
            "delivered_by",
            "action_wanted",
            "feedback"
        ])
    );
    let sent = messages(&req);
    assert_eq!(
        sent[sent.len() - 2],
        ("assistant".into(), before.to_string())
    );
    assert_contains(&sent[0].1, "only `IT support`", "the instruction");
    let after = stored_record(&sb, "communication")["structured"].clone();
    assert_eq!(after["matrix"]["IT support"]["channel"], "revised cell");
    assert_eq!(after["summary"].to_string(), before["summary"].to_string());
    for (group, row) in before["matrix"].as_object().unwrap() {
        if group != "IT support" {
            assert_eq!(
                after["matrix"][group].to_string(),
                row.to_string(),
                "{group}"
            );
        }
    }
    let h = history_json(&sb, "communication");
    assert_eq!(h[1]["how"], "revised-only");
    assert_eq!(h[1]["item"], "IT support");
    let text = sb.run(&["history", "communication"]).expect(0).stdout();
    assert_contains(&text, "revised-only IT support", "history");
    // An unknown item is a usage error that lists the valid ones; nothing is requested.
    let run = sb
        .run(&["revise", "communication", "--only", "finance", "x"])
        .expect(2);
    assert_contains(
        &run.stderr(),
        "no item `finance`; groups: executives, regional sales managers, field sales representatives, customer service, IT support",
        "stderr",
    );
    let run = sb.run(&["revise", "metrics", "--only", "9", "x"]).expect(2);
    assert_contains(&run.stderr(), "metrics: 1, 2, 3, 4, 5", "stderr");
    assert_eq!(server.count(), 2);
}

#[test]
fn history_diff_and_use_keep_every_version() {
    let server = prose_server();
    let sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    let v1 = stored_answer(&sb, "resistance");
    sb.run(&["revise", "resistance", "Shorter.\nAnd kinder."])
        .expect(0);
    let text = sb.run(&["history", "resistance"]).expect(0).stdout();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("    1  ") && lines[0].contains("  generated  "),
        "{text}"
    );
    assert!(
        lines[1].starts_with("*   2  ") && lines[1].contains("  revised  "),
        "{text}"
    );
    assert!(
        lines[1].contains(FAKE_MODEL) && lines[1].ends_with("Shorter."),
        "{text}"
    );
    let h = history_json(&sb, "resistance");
    assert_eq!(h[1]["version"], 2);
    assert_eq!(h[1]["how"], "revised");
    assert_eq!(h[1]["feedback"], "Shorter.\nAnd kinder.");
    assert!(h[1]["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        (h[0]["in_use"].clone(), h[1]["in_use"].clone()),
        (json!(false), json!(true))
    );
    // Prose gets a unified diff.
    let diff = sb.run(&["diff", "resistance"]).expect(0).stdout();
    assert_contains(
        &diff,
        &format!("-{v1}\n+REVISED-resistance: Shorter."),
        "diff",
    );
    assert_contains(
        &diff,
        "--- resistance version 1 (generated)\n+++ resistance version 2 (revised)",
        "diff",
    );
    // use: version 1 again, as version 3; nothing deleted.
    let run = sb.run(&["use", "resistance", "1"]).expect(0);
    assert_contains(
        &run.stderr(),
        "stored as version 3 (restored from 1)",
        "stderr",
    );
    assert_eq!(stored_answer(&sb, "resistance"), v1);
    let h = history_json(&sb, "resistance");
    assert_eq!(h.len(), 3);
    assert_eq!(
        (h[2]["how"].clone(), h[2]["restored_from"].clone()),
        (json!("restored"), json!(1))
    );
    assert_eq!(
        sb.run(&["diff", "resistance", "1", "3"]).expect(0).stdout(),
        "resistance version 1 (generated) → resistance version 3 (restored from 1)\nno differences\n"
    );
    assert_contains(
        &sb.run(&["diff", "resistance", "2"]).expect(0).stdout(),
        "+++ resistance version 3",
        "diff 2 with the current",
    );
    // Unknown versions and sections are usage errors.
    let run = sb.run(&["use", "resistance", "9"]).expect(2);
    assert_contains(&run.stderr(), "no version 9; versions: 1, 2, 3", "stderr");
    sb.run(&["diff", "resistance", "1", "7"]).expect(2);
    sb.run(&["history", "nosuch"]).expect(2);
    // A section with one version has nothing to compare; one with none, no history.
    sb.run(&["diff", "metrics"]).expect(2);
    let empty = Sandbox::new().with_example(CRM_EXAMPLE);
    let run = empty.run(&["history", "metrics"]).expect(6);
    assert_contains(
        &run.stderr(),
        "`metrics` has no stored answer yet",
        "stderr",
    );
    assert_eq!(server.count(), 4, "history, diff and use request nothing");
}

#[test]
fn draft_keeps_a_revision_and_regenerate_says_what_it_supersedes() {
    let server = prose_server();
    let sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    sb.run(&["revise", "resistance", "Tie every tactic to the rota."])
        .expect(0);
    assert_eq!(server.count(), 4);
    // Unchanged: nothing is requested, and the plan shows the revision and its feedback.
    let run = sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 4, "{}", run.stderr());
    assert_contains(
        &run.stderr(),
        "resistance: kept version 2 (revised)",
        "stderr",
    );
    let md = sb.read("plan.md");
    assert_contains(
        &md,
        "REVISED-resistance: Tie every tactic to the rota.",
        "plan.md",
    );
    assert_contains(
        &md,
        "- Version in use: 2 (revised)\n  - Feedback: Tie every tactic to the rota.\n",
        "the appendix",
    );
    assert_contains(&md, "- Version in use: 1 (generated)\n", "the appendix");
    // Another model asks the generated sections again, never the revised one.
    sb.run(&["draft", "--model", "other"]).expect(0);
    let again: Vec<&str> = server.requests()[4..].iter().map(section_of).collect();
    assert_eq!(again.len(), 2);
    assert!(!again.contains(&"resistance"), "{again:?}");
    // portfolio status counts it.
    let status: Value = serde_json::from_str(
        &sb.run(&["portfolio", "status", "plan-ai.toml", "--json"])
            .expect(0)
            .stdout(),
    )
    .unwrap();
    assert_eq!(status[0]["sections"]["revised"], 1);
    // --regenerate replaces it and says what it supersedes; the versions stay.
    let run = sb
        .run(&["draft", "--model", "other", "--regenerate", "resistance"])
        .expect(0);
    assert_contains(
        &run.stderr(),
        "`resistance`: the new answer supersedes version 2 (revised); it stays in `plan-ai history resistance`",
        "stderr",
    );
    assert_eq!(server.count(), 7);
    let h = history_json(&sb, "resistance");
    assert_eq!(h.len(), 3);
    assert_eq!(h[2]["how"], "generated");
    assert_contains(
        &sb.read("plan.md"),
        "- Version in use: 3 (generated)\n",
        "the appendix",
    );
}

#[test]
fn a_revision_pasted_from_a_chat_tool_is_recorded_as_one() {
    let server = prose_server();
    let sb = sandbox(&server);
    sb.run(&["draft"]).expect(0);
    let v1 = stored_answer(&sb, "metrics");
    let run = sb
        .run(&["prompt", "metrics", "--revise", "Name an owner for each."])
        .expect(0);
    let out = run.stdout();
    assert_contains(&out, "digital adoption analyst", "the section's prompt");
    assert_contains(
        &out,
        &format!("Here is the current answer:\n\n{v1}\n"),
        "the answer",
    );
    assert!(
        out.ends_with("send the whole answer again:\n\nName an owner for each.\n"),
        "{out}"
    );
    assert_contains(&run.stderr(), "`plan-ai paste metrics`", "the hint");
    let run = sb
        .run_stdin(&["paste", "metrics", "-"], "Owners named.")
        .expect(0);
    assert_contains(
        &run.stderr(),
        "version 2, revised from version 1 with: Name an owner",
        "stderr",
    );
    let h = history_json(&sb, "metrics");
    assert_eq!(
        (h[1]["how"].clone(), h[1]["feedback"].clone()),
        (json!("revised"), json!("Name an owner for each."))
    );
    // The next paste is a paste again.
    sb.run_stdin(&["paste", "metrics", "-"], "Pasted.")
        .expect(0);
    assert_eq!(history_json(&sb, "metrics")[2]["how"], "pasted");
    // A structured answer's follow-up carries its schema.
    let server = structured_server();
    let sb = structured_sandbox(&server, "");
    sb.run(&["metrics"]).expect(0);
    let out = sb
        .run(&["prompt", "metrics", "--revise", "x"])
        .expect(0)
        .stdout();
    assert_contains(&out, "The JSON must follow this JSON schema:", "the schema");
    assert_contains(
        &out,
        "```json\n{\n  \"summary\": \"fake cell\"",
        "the answer as JSON",
    );
    sb.run(&["prompt", "metrics", "resistance", "--revise", "x"])
        .expect(2);
}

#[test]
fn two_revisions_at_once_lose_neither_and_the_second_builds_on_the_first() {
    let server = FakeServer::start(|req, i| {
        if !is_revision(req) {
            return ok_reply(req);
        }
        let reply = reply_text(req, &format!("REVISION {i}"));
        if i == 1 { reply.delayed(1500) } else { reply }
    });
    let sb = sandbox(&server);
    sb.run(&["resistance"]).expect(0);
    let spawn = |feedback: &str| {
        sb.command(&["revise", "resistance", feedback])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn("First.");
    while server.count() < 2 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = spawn("Second.");
    let (a, b) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(a.status.success() && b.status.success(), "{a:?}\n{b:?}");
    assert_contains(
        &String::from_utf8_lossy(&b.stderr),
        "another run is revising `resistance`; waiting for it to finish",
        "the second's stderr",
    );
    let h = history_json(&sb, "resistance");
    assert_eq!(h.len(), 3);
    assert_eq!(
        (h[1]["feedback"].clone(), h[2]["feedback"].clone()),
        (json!("First."), json!("Second."))
    );
    assert_eq!(h[2]["based_on"], 2);
    // The second was asked with the first's answer.
    let sent = messages(&server.requests()[2]);
    assert_eq!(sent[sent.len() - 2].1, "REVISION 1");
}

#[test]
fn feedback_files_are_bounded_regular_files_cleaned_of_escapes() {
    let server = prose_server();
    let sb = sandbox(&server);
    sb.run(&["resistance"]).expect(0);
    sb.write(
        "fb.txt",
        "Shorter \u{1b}]52;c;cGF5bG9hZA==\u{7}please.\u{1b}[2J\n",
    );
    sb.run(&["revise", "resistance", "-f", "fb.txt"]).expect(0);
    assert_eq!(
        messages(&server.requests()[1]).last().unwrap().1,
        "Shorter please."
    );
    sb.run_stdin(&["revise", "resistance", "-"], "From stdin.")
        .expect(0);
    assert_eq!(
        messages(&server.requests()[2]).last().unwrap().1,
        "From stdin."
    );
    // Too long, a FIFO, empty, both an argument and a file: refused, nothing requested.
    sb.write("huge.txt", &"x".repeat(2 << 20));
    let run = sb
        .run(&["revise", "resistance", "-f", "huge.txt"])
        .expect(3);
    assert_contains(&run.stderr(), "is longer than 1 MiB", "stderr");
    let fifo = sb.file("fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let run = sb.run(&["revise", "resistance", "-f", "fifo"]).expect(3);
        assert_contains(&run.stderr(), "is not a regular file", "stderr");
    }
    sb.run(&["revise", "resistance", "  "]).expect(2);
    sb.run(&["revise", "resistance", "x", "-f", "fb.txt"])
        .expect(2);
    assert_eq!(server.count(), 3);
    // A version file that is not one is reported, not fatal.
    sb.write(".plan-ai/versions/resistance/0002.json", "{broken");
    let run = sb.run(&["history", "resistance"]).expect(0);
    assert_contains(
        &run.stderr(),
        "0002.json: not a plan-ai version record of `resistance`",
        "stderr",
    );
    assert_eq!(run.stdout().lines().count(), 2);
    // Revising a section with no answer names the commands that give it one.
    let run = sb.run(&["revise", "metrics", "x"]).expect(6);
    assert_contains(&run.stderr(), "`plan-ai run metrics`", "stderr");
}
