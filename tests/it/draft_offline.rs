//! The plan draft without an endpoint: `prompt` and `paste` round trips into
//! `draft --offline`, pasted answers reused online, and `render` from the store alone.

use crate::support::draft::*;
use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Offline round trip

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
    assert_contains(&md, "1 of them was pasted from a chat tool", "plan.md");
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

// ---------------------------------------------------------------------------------------------
// render

#[test]
fn render_reassembles_without_any_request() {
    let (server, sb) = drafted();
    std::fs::remove_file(sb.file("plan.md")).unwrap();

    sb.run(&["render"]).expect(0);
    assert_eq!(server.count(), 3);
    assert_eq!(server.all_requests().len(), 3, "not even GET /models");
    assert_every_answer(&sb.read("plan.md"), "plan.md");

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
    let section7 = part_of(&md, "## 7.", "## 8.");
    assert_contains(section7, "**Out of date:**", "section 7");
    let section5 = part_of(&md, "## 5.", "## 6.");
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
