//! The offline core: init, check, prompt, sections, templates — no key, no network.

use crate::support::*;

/// The article's three prompts with their blanks, as printed in the seed article.
const ARTICLE_RESISTANCE: &str = "You are a change management consultant with 15 years of experience in IT implementations. Your task is to analyse potential resistance points for my implementation. The system being implemented is [system name] in the [department/team name] at [company type]. Current tools being replaced include [existing tools]. Key user groups are [list roles]. Identify the top 5 resistance points I’ll likely face, the underlying reasons for each, and specific tactics to address them before go-live.";
const ARTICLE_COMMUNICATION: &str = "You are an internal communications specialist for enterprise IT projects. Your task is to create a communication matrix for my implementation. The project is [brief project description] launching on [date]. Stakeholder groups include [list groups: executives, managers, end users, IT support, etc.]. For each group, specify: what they need to know, when they need to know it, the best channel to reach them, who should deliver the message, and what action you want them to take.";
const ARTICLE_METRICS: &str = "You are a digital adoption analyst specialising in enterprise software. Your task is to define meaningful adoption metrics for [system name] being implemented in [department]. The system’s primary purpose is [key function]. Beyond login counts, identify 5 specific metrics that indicate genuine adoption versus superficial usage. For each metric, explain what it measures, the target threshold, how to collect the data, and what low scores might indicate about user experience or training gaps.";

/// Fills the article's brackets by hand, from the example file's values.
fn fill(article: &str, blanks: &[(&str, &str)]) -> String {
    let mut s = article.to_string();
    for (blank, value) in blanks {
        assert!(s.contains(blank), "article has no {blank}");
        s = s.replace(blank, value);
    }
    assert!(!s.contains('['), "unfilled blank in {s}");
    s
}

#[test]
fn seed_article_is_quoted_faithfully() {
    // The constants above must be the article's own words.
    let article =
        std::fs::read_to_string(repo().join("../shared/seed/implementation-plans-article.txt"))
            .or_else(|_| {
                std::fs::read_to_string(
                    repo().join("../../shared/seed/implementation-plans-article.txt"),
                )
            });
    let Ok(article) = article else {
        skip(
            "seed_article_is_quoted_faithfully",
            "the seed article (../shared/seed) is not beside this checkout",
        );
        return;
    };
    for prompt in [ARTICLE_RESISTANCE, ARTICLE_COMMUNICATION, ARTICLE_METRICS] {
        assert!(article.contains(prompt), "not in the article: {prompt}");
    }
}

#[test]
fn built_in_prompts_are_the_article_with_every_blank_filled() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let out = sb.run(&["prompt", "resistance"]).expect(0).stdout();
    let expected = fill(
        ARTICLE_RESISTANCE,
        &[
            ("[system name]", "Salesforce Sales Cloud"),
            ("[department/team name]", "Sales Operations team"),
            (
                "[company type]",
                "a family-owned industrial pump manufacturer with 850 staff",
            ),
            (
                "[existing tools]",
                "regional Excel pipeline workbooks, shared Outlook folders for quotes and a private Access database of key accounts",
            ),
            (
                "[list roles]",
                "field sales representatives, inside sales coordinators, regional sales managers and customer service agents",
            ),
        ],
    );
    assert!(
        out.starts_with(&expected),
        "resistance prompt:\n{out}\nexpected to start with:\n{expected}"
    );

    let out = sb.run(&["prompt", "communication"]).expect(0).stdout();
    let expected = fill(
        ARTICLE_COMMUNICATION,
        &[
            (
                "[brief project description]",
                "the move of our sales pipeline, account records and quoting from spreadsheets and shared mailboxes into Salesforce Sales Cloud",
            ),
            ("[date]", "1 March 2027"),
            (
                "[list groups: executives, managers, end users, IT support, etc.]",
                "executives, regional sales managers, field sales representatives, customer service and IT support",
            ),
        ],
    );
    assert!(out.starts_with(&expected), "communication prompt:\n{out}");

    let out = sb.run(&["prompt", "metrics"]).expect(0).stdout();
    let expected = fill(
        ARTICLE_METRICS,
        &[
            ("[system name]", "Salesforce Sales Cloud"),
            ("[department]", "Sales Operations team"),
            (
                "[key function]",
                "giving sales and management one trustworthy view of every customer opportunity, from first enquiry to signed order",
            ),
        ],
    );
    assert!(out.starts_with(&expected), "metrics prompt:\n{out}");
}

/// The engagement prompt for the CRM example as a pseudonymised request carries it.
const ENGAGEMENT_CRM: &str = "You are a stakeholder engagement lead for enterprise IT implementations. The system being implemented is Salesforce Sales Cloud in the Sales Operations team, launching on 1 March 2027. The project is the move of our sales pipeline, account records and quoting from spreadsheets and shared mailboxes into Salesforce Sales Cloud. For each key stakeholder below, plan how to move them from where they stand today to where the change needs them by go-live: the target stance, what matters to them, two or three specific engagement actions, who should engage them (a role, not a name), when, and the sign that shows they are moving. Each stakeholder is referred to by a code; use the codes exactly as written.

Key stakeholders:
- S01: executives; influence high, interest high; stance today: leading; notes: sponsor; wants one forecast she can trust by Q2
- S02: executives; influence high, interest medium; stance today: neutral; notes: approves licence spend; asks about payback
- S03: regional sales managers; influence high, interest high; stance today: resistant; notes: built the North workbook himself; his reps follow his lead
- S04: regional sales managers; influence medium, interest high; stance today: supportive
- S05: field sales representatives; influence medium, interest high; stance today: resistant; notes: top seller; worried the CRM exposes his key accounts to others
- S06: customer service; influence low, interest high; stance today: supportive
- S07: IT support; influence medium, interest medium; stance today: neutral

Context you can use:
- Milestones: pilot with the South region (11 January 2027); data migration freeze (19 February 2027); go-live for all regions (1 March 2027).
- executives: concerned about forecast accuracy during the switch and the cost of lost selling time
- regional sales managers: concerned about losing control of their region's numbers and their reps' time in training
- field sales representatives: concerned about more admin, less time with customers, and commission disputes
- IT support: concerned about ticket volume in launch week
";

#[test]
fn the_engagement_prompt_is_sent_with_codes_and_names_only_when_shared() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let args = ["prompt", "engagement", "--people", "pseudonymised"];
    assert_eq!(sb.run(&args).expect(0).stdout(), ENGAGEMENT_CRM);
    let shared = sb
        .run(&["prompt", "engagement", "--share-people"])
        .expect(0)
        .stdout();
    assert_contains(
        &shared,
        "- S03 (Derek Holloway, Regional Sales Manager, North): regional sales managers;",
        "names sent as written when shared",
    );
    // Kept local (the default): not asked for, and --all leaves it out.
    let all = sb.run(&["prompt", "--all"]).expect(0).stdout();
    assert_lacks(&all, "engagement", "prompt --all");
    sb.run(&["prompt", "engagement"]).expect(3);
    // With no register there is nobody to plan for.
    let text = sb.read("plan-ai.toml");
    let cut = &text[..text.find("[[stakeholders]]").unwrap()];
    sb.write("plan-ai.toml", cut);
    let err = sb
        .run(&["prompt", "engagement", "--people", "pseudonymised"])
        .expect(3)
        .stderr();
    assert_contains(
        &err,
        "the project names none: add [[stakeholders]]",
        "stderr",
    );
}

#[test]
fn enrichment_is_added_as_context_and_people_are_not() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let all = sb.run(&["prompt", "--all"]).expect(0).stdout();
    assert!(all.contains("field sales representatives (42 people): log every customer visit"));
    assert!(all.contains("concerned about forecast accuracy"));
    assert!(all.contains("Milestones: pilot with the South region (11 January 2027)"));
    for person in [
        "Margaret Ellison",
        "Derek Holloway",
        "Luis Ortega",
        "Priya Raman",
        "built the North workbook",
    ] {
        assert!(
            !all.contains(person),
            "person-level data `{person}` leaked into a prompt"
        );
    }
}

#[test]
fn several_sections_get_titled_separators_and_one_section_is_bare() {
    let sb = Sandbox::new().with_example("erp-finance.toml");
    let one = sb.run(&["prompt", "metrics"]).expect(0).stdout();
    assert!(one.starts_with("You are a digital adoption analyst"));
    assert!(!one.contains("====="));
    assert!(one.ends_with(".\n") || one.ends_with("\n"));
    let all = sb.run(&["prompt", "--all"]).expect(0).stdout();
    let heads: Vec<&str> = all.lines().filter(|l| l.starts_with("===== ")).collect();
    assert_eq!(heads.len(), 3, "{all}");
    assert!(heads[0].contains("resistance (1/3): Resistance planning"));
    assert!(heads[1].contains("communication (2/3)"));
    assert!(heads[2].contains("metrics (3/3): Success metrics"));
    // The comms alias and comma lists work the same way.
    let two = sb.run(&["prompt", "comms,metrics"]).expect(0).stdout();
    assert_eq!(two.lines().filter(|l| l.starts_with("===== ")).count(), 2);
}

#[test]
fn prompt_json_lists_messages_as_sent() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let out = sb.run(&["prompt", "--all", "--json"]).expect(0).stdout();
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["section"], "resistance");
    assert_eq!(items[0]["title"], "Resistance planning");
    // Structured by default: the JSON instruction is a system message, then the article's
    // prompt as the user message, and the response_format is shown as it would be sent.
    assert_eq!(items[0]["messages"][0]["role"], "system");
    assert_eq!(items[0]["messages"][1]["role"], "user");
    assert!(
        items[0]["messages"][1]["content"]
            .as_str()
            .unwrap()
            .starts_with("You are a change management consultant")
    );
    assert_eq!(items[0]["response_format"]["type"], "json_schema");
}

#[test]
fn examples_pass_check() {
    for name in ["crm-manufacturer.toml", "erp-finance.toml"] {
        let sb = Sandbox::new().with_example(name);
        let out = sb.run(&["check"]).expect(0).stdout();
        assert!(out.contains("is usable: 3 sections ready"), "{out}");
    }
}

#[test]
fn init_writes_a_starter_that_check_explains_and_refuses_to_overwrite() {
    let sb = Sandbox::new();
    sb.run(&["init"]).expect(0);
    let text = sb.read("plan-ai.toml");
    assert!(text.contains("[project]") && text.contains("[[stakeholders]]"));
    sb.run(&["init"]).expect(1);
    sb.write("plan-ai.toml", "# mine\n");
    sb.run(&["init"]).expect(1);
    assert_eq!(sb.read("plan-ai.toml"), "# mine\n", "init must not clobber");
    sb.run(&["init", "--force"]).expect(0);
    assert!(sb.read("plan-ai.toml").contains("[project]"));
    sb.run(&["init", "other.toml"]).expect(0);
    // The blank starter lists every missing field at once, with the sections needing each.
    let err = sb.run(&["check"]).expect(3).stderr();
    for (field, sections) in [
        ("project.name", "resistance, communication, metrics"),
        ("project.system", "resistance, metrics"),
        ("project.company_type", "resistance"),
        ("project.replaced_tools", "resistance"),
        ("roles", "resistance"),
        ("project.description", "communication"),
        ("groups", "communication"),
        ("project.primary_purpose", "metrics"),
    ] {
        let line = err
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {field} ")))
            .unwrap_or_else(|| panic!("{field} not listed:\n{err}"));
        assert!(line.contains(sections), "{line}");
    }
}

#[test]
fn missing_data_fails_prompt_with_the_same_complete_list() {
    let sb = Sandbox::new();
    sb.write(
        "plan-ai.toml",
        "[project]\nname = \"X\"\nsystem = \"  \"\ndepartment = \"Finance\"\n",
    );
    let err = sb.run(&["prompt", "metrics"]).expect(3).stderr();
    assert!(
        err.contains("project.system") && err.contains("project.primary_purpose"),
        "{err}"
    );
    assert!(
        !err.contains("project.description"),
        "communication's needs are not metrics': {err}"
    );
    // An empty string counts as missing (it was blank above), and check lists every section's needs.
    let err = sb.run(&["check"]).expect(3).stderr();
    assert!(
        err.contains("project.description") && err.contains("groups"),
        "{err}"
    );
}

#[test]
fn schema_errors_are_all_reported_with_line_and_column() {
    let sb = Sandbox::new();
    sb.write(
        "plan-ai.toml",
        "[project]\nname = \"x\"\nsytem = \"y\"\nlaunch_date = \"2027-01-01\"\n\n[[roles]]\nname = 3\nheadcount = -2\n\n[[stakeholders]]\nname = \"A\"\ntitle = \"B\"\ngroup = \"c\"\ninfluence = \"hgh\"\ninterest = \"low\"\nstance = \"fine\"\n\n[extra]\nz = 1\n",
    );
    let err = sb.run(&["check"]).expect(3).stderr();
    assert!(err.contains("plan-ai.toml has 7 problems"), "{err}");
    assert!(
        err.contains(
            "plan-ai.toml:3:1: unknown key `project.sytem`; did you mean `project.system`?"
        ),
        "{err}"
    );
    assert!(
        err.contains("plan-ai.toml:4:15: `project.launch_date` must be a date"),
        "{err}"
    );
    assert!(err.contains("without quotes"), "{err}");
    assert!(
        err.contains("plan-ai.toml:7:8: `roles[0].name` must be a string"),
        "{err}"
    );
    assert!(
        err.contains("plan-ai.toml:8:13: `roles[0].headcount` must be a whole number from 0 up"),
        "{err}"
    );
    assert!(
        err.contains("plan-ai.toml:14:13: `stakeholders[0].influence` is \"hgh\"")
            && err.contains("did you mean \"high\"?"),
        "{err}"
    );
    assert!(
        err.contains("plan-ai.toml:16:10: `stakeholders[0].stance` is \"fine\""),
        "{err}"
    );
    assert!(
        err.contains("plan-ai.toml:18:2: unknown key `extra`"),
        "{err}"
    );
}

#[test]
fn a_missing_required_key_in_a_table_entry_is_reported() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let text = sb
        .read("plan-ai.toml")
        .replacen("stance = \"leading\"\n", "", 1);
    sb.write("plan-ai.toml", &text);
    let err = sb.run(&["check"]).expect(3).stderr();
    assert!(
        err.contains("`stakeholders[0].stance` is required here"),
        "{err}"
    );
}

#[test]
fn bad_files_get_one_clear_error_and_never_panic() {
    let sb = Sandbox::new();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "syntax.toml",
            b"[project\nname = 1".to_vec(),
            "syntax.toml:1:9: invalid TOML",
        ),
        (
            "unterminated.toml",
            b"[project]\nname = \"abc\n".to_vec(),
            "unterminated.toml:2:",
        ),
        (
            "duplicate.toml",
            b"[project]\nname = \"a\"\nname = \"b\"\n".to_vec(),
            "duplicate.toml:3:1",
        ),
        (
            "latin1.toml",
            b"[project]\nname = \"Z\xfcrich\"\n".to_vec(),
            "latin1.toml:2:10: the file is not valid UTF-8",
        ),
        (
            "types.toml",
            b"project = 5\nroles = \"x\"\n".to_vec(),
            "`project` must be a table",
        ),
        ("empty.toml", b"".to_vec(), "lacks data"),
    ];
    for (name, bytes, expected) in cases {
        std::fs::write(sb.file(name), bytes).unwrap();
        let run = sb.run(&["check", "-p", name]);
        assert_eq!(run.code(), 3, "{name}: {}", run.stderr());
        assert!(run.stderr().contains(expected), "{name}: {}", run.stderr());
        assert!(!run.stderr().contains("panicked"), "{name}");
    }
    // A folder, a missing file, and a 50 MB file.
    let err = sb.run(&["check", "-p", "."]).expect(3).stderr();
    assert!(err.contains("is a folder"), "{err}");
    let err = sb.run(&["check", "-p", "nope.toml"]).expect(3).stderr();
    assert!(
        err.contains("nope.toml not found") && err.contains("plan-ai init"),
        "{err}"
    );
    let big = std::fs::File::create(sb.file("big.toml")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    let err = sb.run(&["check", "-p", "big.toml"]).expect(3).stderr();
    assert!(
        err.contains("52428800 bytes") && err.contains("right file"),
        "{err}"
    );
}

#[test]
fn braces_and_brackets_in_data_reach_the_prompt_literally() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    let text = sb.read("plan-ai.toml").replace(
        "system = \"Salesforce Sales Cloud\"",
        "system = \"Sales {{ project.name }} [system name] {% if x %}{# c #}\"",
    );
    sb.write("plan-ai.toml", &text);
    let out = sb.run(&["prompt", "resistance"]).expect(0).stdout();
    assert!(out.contains("The system being implemented is Sales {{ project.name }} [system name] {% if x %}{# c #} in the"), "{out}");
}

#[test]
fn a_user_template_overrides_a_built_in_and_custom_sections_are_added() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.write(
        "prompts/metrics.md",
        "+++\ntitle = \"Our metrics\"\ninputs = [\"project.system\"]\n+++\nMETRICS FOR {{ project.system | upper }}\n",
    );
    sb.write(
        "prompts/champions.md",
        "+++\ntitle = \"Champion network\"\ninputs = [\"project.system\", \"roles\"]\n+++\nDesign a champion network for {{ project.system }} across {{ roles | map(attribute=\"name\") | list_en }}.\n",
    );
    let out = sb.run(&["prompt", "metrics"]).expect(0).stdout();
    assert_eq!(out, "METRICS FOR SALESFORCE SALES CLOUD\n");
    let out = sb.run(&["prompt", "champions"]).expect(0).stdout();
    assert!(out.starts_with("Design a champion network for Salesforce Sales Cloud across field sales representatives,"), "{out}");
    let list = sb.run(&["sections"]).expect(0).stdout();
    assert!(
        list.contains("champions") && list.contains("Champion network"),
        "{list}"
    );
    assert!(list.contains("overrides the built-in"), "{list}");
    let all = sb.run(&["prompt", "--all"]).expect(0).stdout();
    let order: Vec<&str> = all.lines().filter(|l| l.starts_with("===== ")).collect();
    assert!(
        order[3].contains("champions (4/4)"),
        "custom sections come after the built-ins: {order:?}"
    );

    // --prompts DIR wins over prompts/ next to the project file.
    sb.write(
        "mine/metrics.md",
        "+++\ntitle = \"Mine\"\n+++\nFROM --prompts\n",
    );
    let out = sb
        .run(&["prompt", "metrics", "--prompts", "mine"])
        .expect(0)
        .stdout();
    assert_eq!(out, "FROM --prompts\n");
    // And the config folder is the lowest layer.
    sb.write(
        "config/prompts/budget.md",
        "+++\ntitle = \"Budget\"\n+++\nBudget for {{ project.name }}\n",
    );
    let out = sb.run(&["prompt", "budget"]).expect(0).stdout();
    assert_eq!(out, "Budget for Sales CRM rollout 2027\n");
}

#[test]
fn template_errors_name_the_template_and_line() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.write(
        "prompts/typo.md",
        "+++\ntitle = \"Typo\"\n+++\nLine one\nUses {{ project.sytem }} here\n",
    );
    let err = sb.run(&["prompt", "typo"]).expect(3).stderr();
    assert!(
        err.contains("typo.md") && err.contains(":2") && err.contains("sytem"),
        "{err}"
    );
    sb.write("prompts/typo.md", "no front matter\n");
    let err = sb.run(&["prompt", "metrics"]).expect(3).stderr();
    assert!(err.contains("typo.md") && err.contains("+++"), "{err}");
    sb.write(
        "prompts/typo.md",
        "+++\ntitle = \"T\"\ninptus = []\n+++\nx\n",
    );
    let err = sb.run(&["check"]).expect(3).stderr();
    assert!(err.contains("typo.md") && err.contains("inptus"), "{err}");
}

#[test]
fn person_level_data_needs_an_explicit_opt_in() {
    let sb = Sandbox::new().with_example("crm-manufacturer.toml");
    sb.write(
        "prompts/people.md",
        "+++\ntitle = \"People\"\n+++\n{% for s in stakeholders %}{{ s.name }}; {% endfor %}\n",
    );
    let err = sb.run(&["prompt", "people"]).expect(3).stderr();
    assert!(
        err.contains("person-level") && err.contains("--people pseudonymised"),
        "{err}"
    );
    let out = sb
        .run(&["prompt", "people", "--share-people"])
        .expect(0)
        .stdout();
    assert!(out.contains("Derek Holloway;"), "{out}");
}

#[test]
fn templates_export_writes_the_built_ins_and_refuses_to_overwrite() {
    let sb = Sandbox::new().with_example("erp-finance.toml");
    sb.run(&["templates", "export", "prompts"]).expect(0);
    for name in [
        "resistance.md",
        "communication.md",
        "metrics.md",
        "draft.jinja",
    ] {
        let exported = sb.read(&format!("prompts/{name}"));
        let built_in = std::fs::read_to_string(repo().join("prompts").join(name)).unwrap();
        assert_eq!(exported, built_in, "{name}");
    }
    sb.run(&["templates", "export", "prompts"]).expect(1);
    // The exported copies now override the built-ins and produce the same prompts.
    let list = sb.run(&["sections"]).expect(0).stdout();
    assert!(list.contains("overrides the built-in"), "{list}");
    sb.run(&["prompt", "--all"]).expect(0);
    sb.run(&["templates", "export", "prompts", "--force"])
        .expect(0);
}

#[test]
fn usage_errors_exit_2_and_unknown_sections_suggest() {
    let sb = Sandbox::new().with_example("erp-finance.toml");
    let err = sb.run(&["prompt", "resistence"]).expect(2).stderr();
    assert!(err.contains("did you mean `resistance`"), "{err}");
    sb.run(&["prompt"]).expect(2);
    sb.run(&["frobnicate"]).expect(2);
    let help = sb.run(&["--help"]).expect(0).stdout();
    assert!(
        help.contains("Exit codes:") && help.contains("130"),
        "{help}"
    );
}

#[test]
fn prompt_needs_no_config_key_or_network() {
    let mut sb = Sandbox::new().with_example("crm-manufacturer.toml");
    // A broken config file and an unreachable endpoint must not matter offline.
    sb.config("this is not toml");
    sb.set_env("PLAN_AI_BASE_URL", "http://127.0.0.1:9/v1");
    sb.run(&["prompt", "--all"]).expect(0);
    sb.run(&["check"]).expect(0);
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    let sb = Sandbox::new();
    for (shell, marker) in [
        ("bash", "complete -F _plan__ai"),
        ("zsh", "#compdef plan-ai"),
        ("fish", "complete -c plan-ai"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = sb.run(&["completions", shell]).expect(0).stdout();
        assert_contains(&out, marker, shell);
        // Every command is there to complete.
        for command in ["draft", "resistance", "paste", "profiles", "completions"] {
            assert_contains(&out, command, shell);
        }
    }
    sb.run(&["completions", "tcsh"]).expect(2);
    let man = sb.run(&["man"]).expect(0).stdout();
    assert_contains(&man, ".TH plan-ai 1", "the man page");
    assert_contains(&man, "Exit codes", "the man page");
}
