//! The plan's language: the setting and the flag, an unknown tag refused, the request that asks
//! for answers in it (and English unchanged), user catalogs and what `check` says of them, and
//! templates written for one language.

use crate::support::dialects::*;
use crate::support::*;

/// The CRM example with `language = "…"` in its `[project]` table.
fn in_language(tag: &str) -> Sandbox {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(example(CRM_EXAMPLE)).unwrap();
    let text = text.replacen(
        "[project]\n",
        &format!("[project]\nlanguage = \"{tag}\"\n"),
        1,
    );
    sb.write("plan-ai.toml", &text);
    sb
}

#[test]
fn an_unknown_language_is_bad_data_that_lists_the_available_ones() {
    let sb = in_language("xx");
    let run = sb.run(&["check"]).expect(3);
    let err = run.stderr();
    assert_contains(
        &err,
        "`[project] language` in plan-ai.toml names language `xx`, which has no catalog",
        "the error",
    );
    assert_contains(
        &err,
        "available languages: en (English), de (German, Deutsch), fr (French, français), es (Spanish, español), nl (Dutch, Nederlands)",
        "the error",
    );
    for cmd in [
        &["prompt", "--all"][..],
        &["draft", "--offline"],
        &["render"],
    ] {
        sb.run(cmd).expect(3);
    }
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    let run = sb
        .run(&["prompt", "--all", "--language", "german"])
        .expect(3);
    assert_contains(
        &run.stderr(),
        "--language names language `german`",
        "the error",
    );
    assert_contains(&run.stderr(), "did you mean `de`?", "the guess");
    sb.run(&["check", "--language", "not a tag"]).expect(3);
}

#[test]
fn english_changes_no_prompt_and_the_flag_wins_over_the_file() {
    let plain = Sandbox::new().with_example(CRM_EXAMPLE);
    let before = plain.run(&["prompt", "--all"]).expect(0).stdout();
    let json_before = plain.run(&["prompt", "--all", "--json"]).expect(0).stdout();
    for tag in ["en", "en-GB", "EN"] {
        let sb = in_language(tag);
        assert_eq!(
            sb.run(&["prompt", "--all"]).expect(0).stdout(),
            before,
            "{tag}"
        );
        assert_eq!(
            sb.run(&["prompt", "--all", "--json"]).expect(0).stdout(),
            json_before,
            "{tag}"
        );
    }
    let fr = in_language("fr");
    let run = fr.run(&["prompt", "metrics", "--language", "de"]).expect(0);
    assert_contains(
        &run.stdout(),
        "Answer language: German (Deutsch).",
        "the prompt",
    );
    let run = fr.run(&["prompt", "metrics", "--language", "en"]).expect(0);
    assert_lacks(&run.stdout(), "Answer language", "the English prompt");
}

#[test]
fn the_request_asks_for_the_language_and_prompt_marks_it() {
    let server = FakeServer::start(move |req, _| answer(Dialect::JsonSchema, req, "Zelle"));
    let sb = structured_sandbox(&server, "");
    let toml = sb.read("plan-ai.toml");
    sb.write(
        "plan-ai.toml",
        &toml.replacen("[project]\n", "[project]\nlanguage = \"de\"\n", 1),
    );
    sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 3);
    for req in server.requests() {
        let messages = req.body["messages"].as_array().unwrap();
        let system = messages[0]["content"].as_str().unwrap();
        assert_eq!(messages[0]["role"], "system");
        assert!(
            system.starts_with("Answer language: German (Deutsch). Write every text value of your answer in German (Deutsch). Keep JSON keys"),
            "{system}"
        );
        assert_contains(
            system,
            "Give your answer as one JSON object",
            "the JSON instruction",
        );
        // The article's prompt stays the user message, in English, word for word.
        let user = messages[1]["content"].as_str().unwrap();
        assert!(user.starts_with("You are "), "{user}");
    }
    let run = sb.run(&["prompt", "resistance"]).expect(0);
    assert!(
        run.stdout()
            .starts_with("Answer language: German (Deutsch)."),
        "{}",
        run.stdout()
    );
    assert_contains(
        &run.stderr(),
        "note: each prompt carries the language instruction \"Answer language: German (Deutsch). …\"",
        "the note",
    );
    let run = sb.run(&["prompt", "metrics", "--json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let system = v[0]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.starts_with("Answer language: German (Deutsch)."),
        "{system}"
    );
    // Answers made in German are not the English plan's: each is asked for again.
    sb.run(&["draft", "--language", "en"]).expect(0);
    assert_eq!(server.count(), 6);
    let english = &server.requests()[5];
    assert_lacks(
        english.body["messages"][0]["content"].as_str().unwrap(),
        "Answer language",
        "the English request",
    );
}

#[test]
fn a_user_catalog_adds_a_language_and_check_lists_what_it_lacks() {
    let sb = in_language("pt-BR");
    sb.write(
        "prompts/i18n/pt.toml",
        "[language]\nenglish = \"Portuguese\"\nnative = \"português\"\n[heading]\nabout = \"Sobre este rascunho\"\nabuot = \"typo\"\n[plan]\ntitle = \"Plano: {projeto}\"\n",
    );
    let run = sb.run(&["check"]).expect(0);
    let err = run.stderr();
    assert_contains(
        &err,
        "prompts/i18n/pt.toml: the `pt` catalog lacks",
        "the warning",
    );
    assert_contains(
        &err,
        "(English is used for them):\n  about.caution",
        "the list",
    );
    assert_contains(&err, "\n  heading.change\n", "a missing key");
    assert_lacks(&err, "\n  heading.about\n", "a key it has");
    assert_contains(
        &err,
        "`heading.abuot` is not a key plan-ai uses, so it is never shown; did you mean `heading.about`?",
        "the typo",
    );
    assert_contains(&err, "`plan.title` uses {projeto}", "the stray placeholder");
    assert_contains(
        &err,
        "note: the plan is written in Portuguese (português) (`pt-BR`)",
        "the note",
    );
    let run = sb.run(&["prompt", "metrics"]).expect(0);
    assert_contains(
        &run.stdout(),
        "Answer language: Portuguese (português).",
        "the prompt",
    );
    // An override of a shipped language lacks nothing: the shipped catalog fills the rest.
    let de = in_language("de");
    de.write(
        "prompts/i18n/de.toml",
        "[heading]\nabout = \"Über diesen Entwurf\"\n",
    );
    let run = de.run(&["check"]).expect(0);
    assert_lacks(&run.stderr(), "catalog lacks", "a German override");
    // A broken catalog is bad data naming its file.
    de.write("prompts/i18n/de.toml", "[heading\n");
    let run = de.run(&["check"]).expect(3);
    assert_contains(&run.stderr(), "prompts/i18n/de.toml", "the error");
}

#[test]
fn a_template_written_for_a_language_is_used_for_that_language_only() {
    let sb = in_language("de");
    sb.write(
        "prompts/de/resistance.md",
        "+++\ntitle = \"Widerstandsmanagement\"\ninputs = [\"project.system\", \"roles\"]\n+++\nAnalysieren Sie die Widerstände gegen {{ project.system }} bei {{ roles | map(attribute=\"name\") | listing }} bis zum {{ project.launch_date | long_date }}.\n",
    );
    let run = sb.run(&["prompt", "resistance"]).expect(0);
    assert_contains(
        &run.stdout(),
        "Analysieren Sie die Widerstände gegen Salesforce Sales Cloud bei field sales representatives, inside sales coordinators, regional sales managers und customer service agents bis zum 1. März 2027.",
        "the German template",
    );
    assert_contains(
        &run.stdout(),
        "Answer language: German (Deutsch).",
        "the instruction",
    );
    let run = sb.run(&["sections"]).expect(0);
    assert_contains(&run.stdout(), "Widerstandsmanagement", "the German title");
    for tag in ["fr", "en"] {
        let run = sb
            .run(&["prompt", "resistance", "--language", tag])
            .expect(0);
        assert_contains(&run.stdout(), "You are a change management consultant", tag);
        assert_lacks(&run.stdout(), "Analysieren", tag);
    }
    // de-AT finds the de folder too, and writes its dates the Austrian way.
    sb.write(
        "prompts/de/metrics.md",
        "+++\ntitle = \"Erfolgskennzahlen\"\n+++\nAb {{ '2027-01-04' | long_date }}.\n",
    );
    let run = sb
        .run(&["prompt", "metrics", "--language", "de-AT"])
        .expect(0);
    assert_contains(&run.stdout(), "Ab 4. Jänner 2027.", "the Austrian date");
}
