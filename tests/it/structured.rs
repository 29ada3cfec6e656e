//! Structured sections against the in-process server speaking each dialect seen in the wild:
//! every path ends in the documented outcome after the documented number of requests.

use crate::support::dialects::*;
use crate::support::*;
use serde_json::{Value, json};

/// The CRM example's stakeholder groups: one matrix row each.
const GROUPS: [&str; 5] = [
    "executives",
    "regional sales managers",
    "field sales representatives",
    "customer service",
    "IT support",
];

fn dialect_server(d: Dialect) -> FakeServer {
    FakeServer::start(move |req, _| answer(d, req, "fake cell"))
}

fn formats(server: &FakeServer) -> Vec<Option<String>> {
    server.requests().iter().map(format_of).collect()
}

/// The user message of a request (the last one: a re-ask adds its own).
fn last_user(req: &Recorded) -> String {
    req.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_json_schema_server_answers_each_section_in_one_request_and_the_plan_has_tables() {
    let server = dialect_server(Dialect::JsonSchema);
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 3, "{}", run.stderr());
    for req in server.requests() {
        assert_eq!(format_of(&req).as_deref(), Some("json_schema"));
        assert_eq!(req.body["response_format"]["json_schema"]["strict"], true);
        // The article's prompt is the user message, word for word; the JSON instruction is
        // a system message of its own.
        assert_eq!(req.body["messages"][0]["role"], "system");
        assert!(
            last_user(&req).starts_with("You are "),
            "{}",
            last_user(&req)
        );
    }
    let md = sb.read("plan.md");
    assert_contains(
        &md,
        "| Audience | What they need to know | When | Frequency | Channel | Who delivers | Action wanted | How feedback comes back |",
        "the matrix header",
    );
    for g in GROUPS {
        assert_contains(&md, &format!("| {g} | fake cell |"), "a matrix row");
    }
    assert_contains(
        &md,
        "| Resistance point | Roles affected |",
        "the resistance table",
    );
    assert_contains(
        &md,
        "| Metric | What it measures | Dimension |",
        "the metrics table",
    );
    assert_eq!(
        md.matches("| speed of adoption |").count(),
        5,
        "5 metric rows"
    );
    let record = stored_record(&sb, "communication");
    assert_eq!(record["rung"], "json_schema");
    assert_eq!(
        record["structured"]["matrix"].as_object().unwrap().len(),
        GROUPS.len()
    );
    // Unchanged: every answer is reused.
    let again = sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 3, "{}", again.stderr());
}

#[test]
fn llama_cpp_python_falls_back_to_json_object_and_later_runs_start_there() {
    let server = dialect_server(Dialect::LlamaCppPython);
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(
        formats(&server),
        [Some("json_schema".into()), Some("json_object".into())]
    );
    assert_contains(
        &run.stderr(),
        "does not take response_format json_schema",
        "stderr",
    );
    assert_contains(&run.stdout(), "| Metric | What it measures |", "stdout");
    // The schema travels with json_object, with its length hints for the grammar.
    let second = &server.requests()[1];
    assert!(
        second.body["response_format"]["schema"]
            .to_string()
            .contains("maxLength")
    );
    assert!(
        last_user(second).contains("JSON")
            || second.body["messages"][0]["content"]
                .as_str()
                .unwrap()
                .contains("JSON")
    );
    sb.run(&["communication"]).expect(0);
    assert_eq!(
        formats(&server)[2].as_deref(),
        Some("json_object"),
        "remembered"
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn a_server_that_takes_no_format_gets_the_schema_in_the_prompt() {
    let server = dialect_server(Dialect::NoFormats);
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["communication"]).expect(0);
    assert_eq!(
        formats(&server),
        [Some("json_schema".into()), Some("json_object".into()), None]
    );
    let third = &server.requests()[2];
    let system = third.body["messages"][0]["content"].as_str().unwrap();
    assert_contains(system, "```json", "the schema in the prompt");
    for g in GROUPS {
        assert_contains(&run.stdout(), &format!("| {g} |"), "a matrix row");
    }
}

#[test]
fn a_gateway_that_ignores_the_format_is_asked_once_more_then_kept_as_prose() {
    let server = dialect_server(Dialect::IgnoresFormat);
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 6, "2 requests per section");
    let err = run.stderr();
    assert_contains(
        &err,
        "did not fit its structure even when asked again",
        "stderr",
    );
    let record = stored_record(&sb, "metrics");
    assert!(record["unstructured"].is_string(), "{record}");
    assert!(record.get("structured").is_none());
    let md = sb.read("plan.md");
    assert_eq!(md.matches("> **Unstructured:**").count(), 3, "{md}");
    assert_contains(&md, "fake cell", "the prose is kept");
}

#[test]
fn invalid_json_once_is_asked_again_with_what_was_wrong() {
    let server = FakeServer::start(|req, i| {
        if i == 0 {
            reply_text(req, "{\"summary\": broken")
        } else {
            answer(Dialect::JsonSchema, req, "fixed")
        }
    });
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["metrics"]).expect(0);
    assert_eq!(server.count(), 2);
    let second = &server.requests()[1];
    assert_contains(&last_user(second), "That JSON does not fit", "the re-ask");
    assert_contains(&last_user(second), "not a JSON object", "the re-ask");
    let messages = second.body["messages"].as_array().unwrap();
    assert!(
        messages.iter().any(|m| m["role"] == "assistant"),
        "the first answer is quoted"
    );
    assert_contains(&run.stdout(), "| fixed |", "the table");
}

#[test]
fn an_answer_missing_a_group_is_asked_again_naming_it() {
    let server = FakeServer::start(|req, i| {
        let schema = schema_of(req).unwrap();
        let mut v = fill_schema(&schema, "cell");
        if i == 0 {
            v["matrix"]
                .as_object_mut()
                .unwrap()
                .remove("customer service");
        }
        reply_text(req, &v.to_string())
    });
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["communication"]).expect(0);
    assert_eq!(server.count(), 2);
    assert_contains(
        &last_user(&server.requests()[1]),
        "`customer service` is missing",
        "the re-ask",
    );
    assert_contains(&run.stdout(), "| customer service |", "the table");
}

#[test]
fn truncated_json_is_asked_again_with_more_room_unless_the_user_set_the_limit() {
    let cut = |req: &Recorded| {
        let json = fill_schema(&schema_of(req).unwrap(), "x").to_string();
        let half = &json[..json.len() / 2];
        Reply::sse(vec![delta(half), finish("length"), done()])
    };
    let server = FakeServer::start(move |req, i| {
        if i == 0 {
            cut(req)
        } else {
            answer(Dialect::JsonSchema, req, "x")
        }
    });
    let sb = structured_sandbox(&server, "");
    sb.run(&["metrics"]).expect(0);
    let limits: Vec<Value> = server
        .requests()
        .iter()
        .map(|r| r.body["max_tokens"].clone())
        .collect();
    assert_eq!(limits.len(), 2);
    let (first, second) = (limits[0].as_u64().unwrap(), limits[1].as_u64().unwrap());
    assert_eq!(second, first * 2, "{limits:?}");

    let server = FakeServer::start(move |req, _| cut(req));
    let sb = structured_sandbox(&server, "");
    let err = sb
        .run(&["metrics", "--max-tokens", "500"])
        .expect(4)
        .stderr();
    assert_eq!(server.count(), 1);
    assert_contains(&err, "was cut off at the token limit of 500", "stderr");
    assert_contains(&err, "raise max_tokens", "the hint");
}

#[test]
fn json_in_the_reasoning_is_used_and_a_refusal_is_an_error() {
    let server = FakeServer::start(|req, _| {
        let v = fill_schema(&schema_of(req).unwrap(), "from reasoning");
        Reply::json(
            200,
            json!({"model": FAKE_MODEL, "choices": [{"message": {"content": "", "reasoning_content": v.to_string()}, "finish_reason": "stop"}]}),
        )
    });
    let sb = structured_sandbox(&server, "stream = false\n");
    let run = sb.run(&["metrics"]).expect(0);
    assert_contains(&run.stdout(), "| from reasoning |", "stdout");

    let server = FakeServer::start(|_, _| {
        Reply::json(
            200,
            json!({"choices": [{"message": {"content": null, "refusal": "I can't help with that."}, "finish_reason": "stop"}]}),
        )
    });
    let sb = structured_sandbox(&server, "stream = false\n");
    let err = sb.run(&["metrics"]).expect(4).stderr();
    assert_contains(
        &err,
        "the model declined to answer: I can't help with that.",
        "stderr",
    );
    assert_eq!(server.count(), 1, "a refusal is not retried");
}

#[test]
fn single_sections_print_tables_or_validated_json_and_warn_about_uncovered_roles() {
    let server = dialect_server(Dialect::JsonSchema);
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["resistance"]).expect(0);
    assert!(
        run.stdout()
            .starts_with("fake cell\n\n| Resistance point |"),
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains("{\""), "no raw JSON");
    // The fake model names the first role in every point.
    assert_contains(
        &run.stderr(),
        "no resistance point mentions inside sales coordinators",
        "stderr",
    );
    let out = sb.run(&["metrics", "--json"]).expect(0).stdout();
    let v: Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["metrics"].as_array().unwrap().len(), 5);
    sb.run(&["communication"]).expect(0);
    sb.run(&["render", "--allow-partial"]).expect(0);
    let md = sb.read("plan.md");
    // The review, the plan's last section, names the role no point covers.
    assert_contains(&md, "| resistance.roles | fail |", "the plan's review");
    assert_contains(&md, "no resistance point covers", "the plan's review");
}

#[test]
fn prose_sends_only_the_articles_prompt() {
    let server = dialect_server(Dialect::JsonSchema);
    let sb = structured_sandbox(&server, "");
    let run = sb.run(&["metrics", "--prose"]).expect(0);
    let req = &server.requests()[0];
    assert!(req.body.get("response_format").is_none());
    let messages = req.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(run.stdout(), "fake cell\n");
    // The project can choose prose too.
    let text = sb.read("plan-ai.toml") + "\n[endpoint]\nprose = true\n";
    sb.write("plan-ai.toml", &text);
    sb.run(&["communication"]).expect(0);
    assert!(server.requests()[1].body.get("response_format").is_none());
}

#[test]
fn prompt_shows_the_structured_request_and_paste_takes_json_or_prose() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    let plain = sb.run(&["prompt", "metrics"]).expect(0).stdout();
    assert!(
        !plain.contains("JSON"),
        "the article's prompt alone: {plain}"
    );
    let structured = sb
        .run(&["prompt", "metrics", "--structured"])
        .expect(0)
        .stdout();
    assert!(
        structured.starts_with(plain.trim_end()),
        "the article's prompt first"
    );
    assert_contains(&structured, "```json", "the schema");
    let json_view: Value = serde_json::from_str(
        &sb.run(&["prompt", "communication", "--json"])
            .expect(0)
            .stdout(),
    )
    .unwrap();
    assert_eq!(json_view[0]["response_format"]["type"], "json_schema");
    let required = &json_view[0]["response_format"]["json_schema"]["schema"]["properties"]["matrix"]
        ["required"];
    assert_eq!(required, &json!(GROUPS));

    // Paste JSON (as a chat tool would, fenced in prose), then prose, then JSON that does not fit.
    let schema = json_view[0]["response_format"]["json_schema"]["schema"].clone();
    let answer = fill_schema(&schema, "pasted cell");
    let fenced = format!("Here it is:\n```json\n{answer}\n```");
    let err = sb
        .run_stdin(&["paste", "communication", "-"], &fenced)
        .expect(0)
        .stderr();
    assert_contains(
        &err,
        "(structured: checked JSON, shown as tables)",
        "stderr",
    );
    sb.run_stdin(&["paste", "resistance", "-"], "Resistance in prose.")
        .expect(0);
    let mut broken = answer.clone();
    broken["matrix"]
        .as_object_mut()
        .unwrap()
        .remove("IT support");
    let err = sb
        .run_stdin(&["paste", "metrics", "-"], &broken.to_string())
        .expect(3)
        .stderr();
    assert_contains(&err, "does not fit its structure", "stderr");
    sb.run_stdin(&["paste", "metrics", "-"], "Metrics in prose.")
        .expect(0);
    sb.run(&["render"]).expect(0);
    let md = sb.read("plan.md");
    assert_contains(&md, "| IT support | pasted cell |", "the pasted matrix");
    assert_contains(&md, "Resistance in prose.", "the pasted prose");
}

#[test]
fn a_custom_section_with_a_schema_is_structured_and_a_bad_schema_is_refused() {
    let server = dialect_server(Dialect::JsonSchema);
    let sb = structured_sandbox(&server, "");
    sb.write(
        "prompts/champions.md",
        "+++\ntitle = \"Champion network\"\nschema = \"champions.json\"\n+++\nName champions for {{ project.system }}.\n",
    );
    sb.write(
        "prompts/champions.json",
        &json!({"type": "object", "additionalProperties": false, "required": ["summary", "champions"],
                "properties": {"summary": {"type": "string"},
                    "champions": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                        "required": ["name", "why"], "properties": {"name": {"type": "string"}, "why": {"type": "string"}}}}}})
        .to_string(),
    );
    let run = sb.run(&["run", "champions", "--prose"]).expect(0);
    assert!(
        server.requests()[0].body.get("response_format").is_some(),
        "a custom schema is the section's point"
    );
    assert_contains(&run.stdout(), "| Name | Why |", "the custom table");
    sb.write(
        "prompts/champions.json",
        &json!({"type": "object", "properties": {"name": {"type": "string"}}}).to_string(),
    );
    let err = sb.run(&["prompt", "champions"]).expect(3).stderr();
    assert_contains(&err, "`additionalProperties` must be false", "stderr");
}

#[test]
fn changing_the_groups_asks_for_the_matrix_again_and_reuses_the_rest() {
    let server = dialect_server(Dialect::JsonSchema);
    let sb = structured_sandbox(&server, "");
    sb.run(&["draft"]).expect(0);
    let text = sb.read("plan-ai.toml") + "\n[[groups]]\nname = \"finance\"\n";
    sb.write("plan-ai.toml", &text);
    sb.run(&["draft"]).expect(0);
    // Only the communication prompt names the groups; its schema changed too.
    assert_eq!(server.count(), 4);
    assert_contains(
        &sb.read("plan.md"),
        "| finance | fake cell |",
        "the new row",
    );
}

#[test]
fn the_engagement_plan_has_a_row_per_stakeholder_on_every_dialect_with_names_back() {
    for d in [
        Dialect::JsonSchema,
        Dialect::LlamaCppPython,
        Dialect::NoFormats,
    ] {
        let server = FakeServer::start(move |req, _| answer(d, req, "see S03 first"));
        let sb = structured_sandbox(&server, "");
        let run = sb
            .run(&["run", "engagement", "--people", "pseudonymised"])
            .expect(0);
        let out = run.stdout();
        assert_contains(
            &out,
            "| Stakeholder | Stance: now → target | What matters to them |",
            "the table",
        );
        assert_contains(
            &out,
            "| Derek Holloway | resistant → neutral | see Derek Holloway first |",
            "a row, names back",
        );
        assert_eq!(
            out.matches(" → neutral |").count(),
            7,
            "{d:?}: a row per stakeholder"
        );
        // Stored as answered: with the codes.
        let record = stored_record(&sb, "engagement");
        let rows = record["structured"]["stakeholders"].as_object().unwrap();
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            ["S01", "S02", "S03", "S04", "S05", "S06", "S07"]
        );
        assert_eq!(rows["S03"]["current_stance"], "resistant");
        assert!(!record.to_string().contains("Holloway"), "{d:?}");
        let wanted = match d {
            Dialect::JsonSchema => vec![Some("json_schema")],
            Dialect::LlamaCppPython => vec![Some("json_schema"), Some("json_object")],
            _ => vec![Some("json_schema"), Some("json_object"), None],
        };
        let wanted: Vec<Option<String>> = wanted.into_iter().map(|w| w.map(String::from)).collect();
        assert_eq!(formats(&server), wanted, "{d:?}");
    }
}
