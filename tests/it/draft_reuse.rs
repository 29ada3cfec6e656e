//! What `plan-ai draft` reuses from the run store and what it requests again: an unchanged
//! rerun, another model or setting, changed project data, `--regenerate`, `--fresh`,
//! `--sections`, an unreadable record, and answers stored by the single-section commands.

use crate::support::draft::*;
use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Reuse, --regenerate, --fresh

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
    assert_every_answer(&md, "plan.md");
    assert_lacks(&md, "**Missing:**", "plan.md");
}

#[test]
fn an_unreadable_record_is_ignored_and_requested_again() {
    let (server, sb) = drafted();
    std::fs::write(section_path(&sb, "metrics"), "{ not json").unwrap();
    let run = sb.run(&["draft"]).expect(0);
    assert_contains(&run.stderr(), "warning: ignoring", "stderr");
    assert_eq!(requested_since(&server, 3), ["metrics"]);
    assert_eq!(stored_answer(&sb, "metrics"), answer_of("metrics"));
}

// ---------------------------------------------------------------------------------------------
// Answers from the single-section commands

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
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    let config = fake_config(&server, RETRIES, "");
    let model_line = format!("model = \"{FAKE_MODEL}\"\n");
    assert_contains(&config, &model_line, "the config");
    sb.config(&config.replace(&model_line, ""));
    sb.run(&["metrics"]).expect(0);
    assert_eq!(server.count(), 1);
    assert_eq!(server.requests()[0].body["model"], "fake-model");
    sb.run(&["draft"]).expect(0);
    assert_eq!(requested_since(&server, 1), ["communication", "resistance"]);
}
