//! The assembled plan draft as a file: refusal to clobber a hand-edited or foreign plan.md,
//! where it is written, how answers are placed in it (cut-off answers, reasoning, custom
//! sections), and that person-level data stays local.

use crate::support::draft::*;
use crate::support::*;

use std::sync::atomic::Ordering;

// ---------------------------------------------------------------------------------------------
// Clobber refusal

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
// Where the draft goes

#[test]
fn project_in_a_subfolder_keeps_store_and_draft_next_to_it() {
    let (server, healthy) = server_with_failing_metrics();
    let sb = Sandbox::new();
    sb.config(&fake_config(&server, RETRIES, ""));
    std::fs::create_dir_all(sb.file("proj")).unwrap();
    std::fs::copy(example("crm-manufacturer.toml"), sb.file("proj/crm.toml")).unwrap();

    let run = sb.run(&["draft", "-p", "proj/crm.toml"]).expect(4);
    assert_contains(
        &run.stderr(),
        "Re-run `plan-ai draft -p proj/crm.toml`",
        "stderr",
    );
    // A project file other than plan-ai.toml has a store and a plan named after it.
    assert!(
        sb.file("proj/.plan-ai/projects/crm/sections/resistance.json")
            .exists()
    );
    assert!(!sb.file(".plan-ai").exists());

    healthy.store(true, Ordering::SeqCst);
    sb.run(&["draft", "-p", "proj/crm.toml"]).expect(0);
    assert_eq!(requested_since(&server, 3), ["metrics"]);
    assert_contains(
        &sb.read("proj/crm.plan.md"),
        &answer_of("metrics"),
        "proj/crm.plan.md",
    );
    assert!(!sb.file("plan.md").exists());
    assert!(!sb.file("proj/plan.md").exists());
}

#[test]
fn projects_sharing_a_folder_keep_apart_and_an_old_shared_store_is_adopted() {
    let server = FakeServer::start(|req, _| ok_reply(req));
    let sb = Sandbox::new();
    sb.config(&fake_config(&server, RETRIES, ""));
    std::fs::copy(example("crm-manufacturer.toml"), sb.file("crm.toml")).unwrap();
    std::fs::copy(example("erp-finance.toml"), sb.file("erp.toml")).unwrap();
    // A store written before each file had its own: the CRM project's answers, shared.
    std::fs::copy(example("crm-manufacturer.toml"), sb.file("plan-ai.toml")).unwrap();
    sb.run(&["draft"]).expect(0);
    std::fs::remove_file(sb.file("plan-ai.toml")).unwrap();
    std::fs::remove_file(sb.file("plan.md")).unwrap();
    assert_eq!(server.count(), 3);

    let run = sb.run(&["draft", "-p", "crm.toml"]).expect(0);
    assert_contains(
        &run.stderr(),
        "copied 3 stored answers from the shared",
        "stderr",
    );
    assert_eq!(
        server.count(),
        3,
        "the CRM answers were adopted, not bought again"
    );
    sb.run(&["draft", "-p", "erp.toml"]).expect(0);
    assert_eq!(server.count(), 6, "the ERP project has answers of its own");
    assert!(sb.file("crm.plan.md").exists() && sb.file("erp.plan.md").exists());
    assert!(
        sb.file(".plan-ai/projects/crm/sections/metrics.json")
            .exists()
    );
    assert!(
        sb.file(".plan-ai/projects/erp/sections/metrics.json")
            .exists()
    );
    // Nothing changed: both reuse everything.
    sb.run(&["draft", "-p", "crm.toml"]).expect(0);
    sb.run(&["draft", "-p", "erp.toml"]).expect(0);
    assert_eq!(server.count(), 6);
}

// ---------------------------------------------------------------------------------------------
// The answers in the draft

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
    let section7 = part_of(&md, "## 7.", "## 8.");
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
    assert_every_answer(&md, "plan.md");
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

// ---------------------------------------------------------------------------------------------
// Privacy

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
