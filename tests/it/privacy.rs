//! People and privacy end to end, against the in-process server with the example projects:
//! a name typed into a group-level field is refused when people are local (nothing leaves);
//! pseudonymised, no request (real-time, the structured re-ask, a revision, a Batch API
//! line, a portfolio's) carries a name, a part of one, a title or an e-mail address, and the
//! names come back in every format; with `--annex` the main files name nobody and the
//! confidential annex names everyone, marked as such.

use crate::exports::python;
use crate::portfolio::{batch_server, portfolio};
use crate::support::batch_api::{Behaviour, FakeBatches};
use crate::support::dialects::{Dialect, answer, reply_text, schema_of};
use crate::support::*;
use serde_json::Value;
use std::sync::Arc;

/// What could name someone in a project file: each full name (stakeholders and champions,
/// honorifics aside too), each part of one of 3 letters or more as written, each title, and
/// the e-mail addresses in it.
struct People {
    names: Vec<String>,
    parts: Vec<String>,
    titles: Vec<String>,
    emails: Vec<String>,
}

impl People {
    fn of(project: &str) -> People {
        let v: toml::Value = toml::from_str(project).unwrap();
        let list = |key: &str| v.get(key).and_then(|s| s.as_array()).cloned();
        let field = |t: &toml::Value, k: &str| t.get(k).and_then(|x| x.as_str()).map(String::from);
        let mut p = People {
            names: vec![],
            parts: vec![],
            titles: vec![],
            emails: vec![],
        };
        for s in list("stakeholders").into_iter().flatten() {
            p.names.extend(field(&s, "name"));
            p.titles.extend(field(&s, "title"));
        }
        for c in list("champions").into_iter().flatten() {
            p.names.extend(field(&c, "name"));
        }
        for name in p.names.clone() {
            let words: Vec<&str> = name
                .split_whitespace()
                .filter(|w| !w.ends_with('.'))
                .collect();
            p.names.push(words.join(" "));
            let long = words.into_iter().filter(|w| w.chars().count() >= 3);
            p.parts.extend(long.map(String::from));
        }
        p.emails = project
            .split(|c: char| c.is_whitespace() || c == '"' || c == ',')
            .filter(|w| w.contains('@'))
            .map(String::from)
            .collect();
        p
    }

    /// Everything of these people that `text` holds: names and titles in any case, parts as
    /// whole words as written, e-mail addresses.
    fn in_text(&self, text: &str) -> Vec<String> {
        let mut found = self.names_in(text);
        let lower = text.to_lowercase();
        let titles = self
            .titles
            .iter()
            .filter(|t| lower.contains(&t.to_lowercase()));
        found.extend(titles.cloned());
        found
    }

    /// [`People::in_text`], titles aside: what a plan for wider reading may not hold (a title
    /// there is a role: "Sponsor: Chief Commercial Officer").
    fn names_in(&self, text: &str) -> Vec<String> {
        let lower = text.to_lowercase();
        let words = words(text);
        let mut found: Vec<String> = (self.names.iter())
            .filter(|n| lower.contains(&n.to_lowercase()))
            .cloned()
            .collect();
        found.extend(
            self.parts
                .iter()
                .filter(|p| words.contains(&p.as_str()))
                .cloned(),
        );
        found.extend(
            self.emails
                .iter()
                .filter(|e| text.contains(e.as_str()))
                .cloned(),
        );
        found
    }

    /// Asserts that no request `server` got carried any of it.
    #[track_caller]
    fn assert_never_sent(&self, bodies: &[String]) {
        assert!(!bodies.is_empty(), "no request was made");
        for body in bodies {
            let found = self.in_text(body);
            assert!(found.is_empty(), "{found:?} sent in:\n{body}");
        }
    }
}

/// The words of `text`, as written.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).collect()
}

/// The bodies of the chat requests `server` got (and of any Batch API upload).
fn bodies(server: &FakeServer) -> Vec<String> {
    (server.all_requests().iter())
        .filter(|r| r.raw_body.contains("messages"))
        .map(|r| r.raw_body.clone())
        .collect()
}

/// The CRM example, with a name in the description, an e-mail address and a phone number
/// in a stakeholder's notes, and `extra` lines at the end.
fn crm_with_leaks(extra: &str) -> String {
    let text = std::fs::read_to_string(example(CRM_EXAMPLE)).unwrap();
    let text = text.replace(
        "into Salesforce Sales Cloud\"",
        "into Salesforce Sales Cloud, sponsored by Margaret Ellison, with Holloway's North region last\"",
    );
    let text = text.replace(
        "his reps follow his lead\"",
        "his reps follow his lead; reach him at derek.holloway@pumps.example or +44 161 496 0000\"",
    );
    format!("{text}\n{extra}")
}

/// A server answering structured requests with `text` in every string: pseudonyms in it
/// come back as names in the plan.
fn server_writing(text: &'static str) -> FakeServer {
    FakeServer::start(move |req, _| answer(Dialect::JsonSchema, req, text))
}

#[test]
fn a_name_in_the_description_is_refused_when_people_are_local_and_nothing_leaves() {
    let server = server_writing("unused");
    let sb = structured_sandbox(&server, "");
    sb.write("plan-ai.toml", &crm_with_leaks(""));
    for args in [&["draft"][..], &["draft", "--batch"], &["communication"]] {
        let err = sb.run(args).expect(3).stderr();
        assert_contains(
            &err,
            "would send the name of stakeholder Margaret Ellison, from project.description",
            "the refusal",
        );
        assert_contains(&err, "nothing was sent", "the refusal");
        assert_contains(
            &err,
            "hint: rephrase project.description without the name, or choose --people pseudonymised",
            "the hint",
        );
    }
    assert_eq!(server.all_requests().len(), 0, "no request left");
    // check says so before any request, field by field.
    let err = sb.run(&["check"]).expect(3).stderr();
    assert_contains(
        &err,
        "warning: project.description holds the name of stakeholder Margaret Ellison; people are kept local",
        "check",
    );
    assert_contains(
        &err,
        "project.description holds a part of the name of stakeholder Derek Holloway",
        "check",
    );
    // The engagement section is not asked for, and the draft is complete without it.
    let clean = std::fs::read_to_string(example(CRM_EXAMPLE)).unwrap();
    sb.write("plan-ai.toml", &clean);
    let err = sb.run(&["prompt", "engagement"]).expect(3).stderr();
    assert_contains(
        &err,
        "plans for named stakeholders, and people are kept on this machine",
        "stderr",
    );
    assert_contains(&err, "hint: choose --people pseudonymised", "stderr");
    sb.run(&["draft"]).expect(0);
    assert_eq!(server.count(), 3, "the article's three sections only");
    let md = sb.read("plan.md");
    assert_contains(
        &md,
        "can be drafted without sending a name: set `[privacy] people = \"pseudonymised\"`",
        "how to turn it on",
    );
    assert_lacks(&md, "**Missing:**", "plan.md");
}

#[test]
fn pseudonymised_requests_carry_no_name_title_or_email_and_names_come_back() {
    // The first engagement answer names someone and does not fit: the re-ask quotes it.
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let server = FakeServer::start(move |req, _| {
        let schema = schema_of(req).unwrap_or_default();
        let engagement = schema.to_string().contains("current_stance");
        if engagement && first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return reply_text(req, "{\"summary\": \"Derek Holloway will not move\"}");
        }
        answer(Dialect::JsonSchema, req, "ask S03 before S01")
    });
    let sb = structured_sandbox(&server, "");
    let project = crm_with_leaks("");
    sb.write("plan-ai.toml", &project);
    let who = People::of(&project);
    // check says what goes out instead.
    let err = sb
        .run(&["check", "--people", "pseudonymised"])
        .expect(0)
        .stderr();
    assert_contains(
        &err,
        "project.description holds the name of stakeholder Margaret Ellison; requests carry S01 instead",
        "check",
    );
    // `prompt engagement` shows exactly what is sent: codes.
    let shown = sb.run(&[
        "prompt",
        "engagement",
        "--people",
        "pseudonymised",
        "--json",
    ]);
    let shown = shown.expect(0).stdout();
    assert_contains(
        &shown,
        "S03: regional sales managers; influence high, interest high; stance today: resistant",
        "the prompt",
    );
    assert!(who.in_text(&shown).is_empty(), "{:?}", who.in_text(&shown));
    sb.run(&["draft", "--people", "pseudonymised"]).expect(0);
    let sent = bodies(&server);
    assert_eq!(sent.len(), 5, "four sections and one re-ask");
    who.assert_never_sent(&sent);
    let reask = sent.iter().find(|b| b.contains("does not fit")).unwrap();
    assert_contains(
        reask,
        "S03 will not move",
        "the quoted answer, pseudonymised",
    );
    assert_contains(&sent.concat(), "[e-mail removed]", "contacts removed");
    // A revision's feedback goes through the same guard.
    sb.run(&[
        "revise",
        "engagement",
        "--people",
        "pseudonymised",
        "Start with Derek Holloway (Regional Sales Manager, North).",
    ])
    .expect(0);
    who.assert_never_sent(&bodies(&server));
    assert_contains(
        &bodies(&server).concat(),
        "Start with S03 (S03).",
        "the feedback",
    );
    // Stored answers keep the codes; the plan puts the names back, in every format.
    let stored = serde_json::to_string(&stored_record(&sb, "engagement")["structured"]).unwrap();
    assert_contains(&stored, "\"S03\"", "the stored answer");
    assert!(who.in_text(&stored).is_empty(), "{stored}");
    sb.run(&[
        "render",
        "--people",
        "pseudonymised",
        "--format",
        "md,docx,xlsx,html,csv",
    ])
    .expect(0);
    let named = "ask Derek Holloway before Margaret Ellison";
    assert_contains(
        &sb.read("plan.md"),
        &format!("| Derek Holloway | resistant → neutral | {named} |"),
        "plan.md",
    );
    for file in [
        "plan.docx",
        "plan.xlsx",
        "plan.html",
        "plan-csv/engagement.csv",
    ] {
        let text = text_of(&sb.file(file));
        assert_contains(&text, named, file);
    }
}

/// All the text a file holds, read with Python's own readers: every XML part of a zip (a
/// Word or Excel file), the text of a web page, or the file itself.
fn text_of(path: &std::path::Path) -> String {
    python(
        r#"
import sys, zipfile, html.parser, xml.etree.ElementTree as ET
p = sys.argv[1]
if zipfile.is_zipfile(p):
    z = zipfile.ZipFile(p)
    for n in z.namelist():
        if n.endswith(".xml"):
            print(" ".join(t for t in ET.fromstring(z.read(n)).itertext()))
elif p.endswith(".html"):
    class P(html.parser.HTMLParser):
        def handle_data(self, d): print(d, end="")
        def handle_starttag(self, tag, attrs):
            for k, v in attrs: print(f" {k}={v} ", end="")
    P().feed(open(p, encoding="utf-8").read())
else:
    print(open(p, encoding="utf-8-sig").read())
"#,
        path,
    )
}

#[test]
fn with_the_annex_the_main_files_name_nobody_and_the_annex_names_everyone() {
    let server = server_writing("ask S03 before S01");
    let sb = structured_sandbox(&server, "");
    let project = crm_with_leaks(
        "[privacy]\npeople = \"pseudonymised\"\n[output]\nconfidential_annex = true\n",
    );
    sb.write("plan-ai.toml", &project);
    let who = People::of(&project);
    sb.run(&["draft", "--format", "md,docx,xlsx,html,csv"])
        .expect(0);
    who.assert_never_sent(&bodies(&server));
    for (main, annex) in [
        ("plan.md", "plan.confidential.md"),
        ("plan.docx", "plan.confidential.docx"),
        ("plan.xlsx", "plan.confidential.xlsx"),
        ("plan.html", "plan.confidential.html"),
        (
            "plan-csv/communication.csv",
            "plan.confidential-csv/engagement.csv",
        ),
    ] {
        let text = text_of(&sb.file(main));
        assert!(
            who.names_in(&text).is_empty(),
            "{main}: {:?}",
            who.names_in(&text)
        );
        assert_contains(&text, "ask S03 before S01", main);
        if !main.ends_with(".csv") {
            assert_contains(&text, "plan.confidential.", "the pointer at the annex");
        }
        let text = text_of(&sb.file(annex));
        let missing: Vec<&String> = who
            .names
            .iter()
            .filter(|n| !text.contains(n.as_str()))
            .collect();
        let engagement_only = annex.ends_with("engagement.csv");
        if !engagement_only {
            assert!(missing.is_empty(), "{annex} lacks {missing:?}");
            assert_contains(&text, "Confidential — named stakeholders", annex);
        }
        assert_contains(&text, "ask Derek Holloway before Margaret Ellison", annex);
    }
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(sb.file(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("plan.confidential-csv"),
        [
            "CONFIDENTIAL.txt",
            "champions.csv",
            "engagement.csv",
            "stakeholders.csv"
        ]
    );
    assert!(!names("plan-csv").contains(&"stakeholders.csv".to_string()));
    let csv_text = text_of(&sb.file("plan.confidential-csv/stakeholders.csv"));
    assert!(csv_text.starts_with("Code,Name,"), "{csv_text}");
    // The markings: the title, the header and the footer, the document properties.
    let md = sb.read("plan.confidential.md");
    assert!(md.starts_with("# Confidential — named stakeholders: Sales CRM rollout 2027\n"));
    assert_contains(
        &md,
        "\n*Confidential — named stakeholders · Sales CRM rollout 2027 · ",
        "the last line",
    );
    let docx = marks(&sb.file("plan.confidential.docx"));
    for part in [
        "docProps/core.xml category",
        "docProps/core.xml title",
        "word/header1.xml",
        "word/footer1.xml",
    ] {
        assert!(docx.contains(&format!("{part}: yes")), "{part}: {docx}");
    }
    let xlsx = marks(&sb.file("plan.confidential.xlsx"));
    for part in [
        "docProps/core.xml category",
        "docProps/core.xml title",
        "xl/worksheets/sheet1.xml header",
        "xl/worksheets/sheet1.xml footer",
        "docProps/custom.xml",
    ] {
        assert!(xlsx.contains(&format!("{part}: yes")), "{part}: {xlsx}");
    }
    let html = sb.read("plan.confidential.html");
    assert_contains(
        &html,
        "<title>Confidential — named stakeholders: annex to the implementation plan for Sales CRM rollout 2027</title>",
        "the title",
    );
    assert_contains(
        &html,
        "<meta name=\"classification\" content=\"Confidential — named stakeholders\">",
        "the meta",
    );
    assert_eq!(
        html.matches("<p class=\"marking\">Confidential — named stakeholders</p>")
            .count(),
        2,
        "header and footer"
    );
    // The main files are not marked, and say where the named parts are.
    assert!(!marks(&sb.file("plan.docx")).contains(": yes"));
    assert_contains(
        &sb.read("plan.md"),
        "are in the confidential annex, plan.confidential.md",
        "plan.md",
    );
    // -o names the pair: split.md and split.confidential.md.
    sb.run(&["render", "-o", "split.md"]).expect(0);
    assert!(sb.file("split.confidential.md").exists());
    assert!(who.names_in(&sb.read("split.md")).is_empty());
}

/// Where a Word or Excel file is marked: each place the marking should be, "yes" or "no".
fn marks(path: &std::path::Path) -> String {
    python(
        r#"
import sys, zipfile
m = "Confidential — named stakeholders"
z = zipfile.ZipFile(sys.argv[1])
part = lambda n: z.read(n).decode() if n in z.namelist() else ""
core = part("docProps/core.xml")
def say(what, ok): print(f"{what}: {'yes' if ok else 'no'}")
say("docProps/core.xml category", f"<cp:category>{m}</cp:category>" in core)
say("docProps/core.xml title", f"<dc:title>{m}" in core)
say("word/header1.xml", m in part("word/header1.xml"))
say("word/footer1.xml", m in part("word/footer1.xml"))
sheet = part("xl/worksheets/sheet1.xml")
say("xl/worksheets/sheet1.xml header", "<oddHeader>" in sheet and m in sheet.split("<oddHeader>")[1].split("</oddHeader>")[0])
say("xl/worksheets/sheet1.xml footer", "<oddFooter>" in sheet and m in sheet.split("<oddFooter>")[1].split("</oddFooter>")[0])
say("docProps/custom.xml", "Classification" in part("docProps/custom.xml") and m in part("docProps/custom.xml"))
"#,
        path,
    )
}

#[test]
fn batch_and_portfolio_runs_send_no_name_either() {
    let batches = Arc::new(FakeBatches::new(Behaviour::default()));
    let server = batch_server(batches.clone());
    let mut sb = portfolio(&server, "");
    sb.set_env("PLAN_AI_API_KEY", "sk-test-privacy");
    let mut who = Vec::new();
    for name in ["crm", "erp"] {
        let path = format!("projects/{name}.toml");
        let text = sb.read(&path) + "\n[privacy]\npeople = \"pseudonymised\"\n";
        sb.write(&path, &text);
        who.push(People::of(&text));
    }
    sb.run(&["portfolio", "draft", "projects", "--batch"])
        .expect(0);
    let lines: Vec<String> = batches
        .uploaded_lines()
        .iter()
        .map(Value::to_string)
        .collect();
    assert_eq!(lines.len(), 8, "four sections for each project");
    assert!(
        lines.iter().any(|l| l.contains("stance today: resistant")),
        "engagement went"
    );
    sb.run(&["portfolio", "collect", "projects"]).expect(0);
    // Fresh real-time answers for crm: the portfolio's own requests.
    sb.run(&[
        "portfolio",
        "draft",
        "projects/crm.toml",
        "--fresh",
        "--annex",
    ])
    .expect(0);
    let mut sent = lines;
    sent.extend(
        bodies(&server)
            .into_iter()
            .filter(|b| b.contains("messages")),
    );
    assert!(sent.len() > 8, "real-time requests too");
    for w in &who {
        w.assert_never_sent(&sent);
    }
    // The erp plan (from the batch) has its names back; crm's main part has none.
    sb.run(&["portfolio", "draft", "projects/erp.toml"])
        .expect(0);
    let erp = sb.read("projects/erp.plan.md");
    assert_contains(
        &erp,
        "| Brenda Walsh | resistant →",
        "names back from a batch answer",
    );
    assert!(who[0].names_in(&sb.read("projects/crm.plan.md")).is_empty());
    assert_contains(
        &sb.read("projects/crm.plan.confidential.md"),
        "| S03 | Derek Holloway |",
        "the annex",
    );
}

#[test]
fn names_that_collide_with_words_hide_inside_words_or_carry_escapes() {
    // "Will May" (a verb and a month), "Anna Quist" (inside the tool "Quistorp"), and a name
    // with a terminal escape in it.
    let server = server_writing("talk to S01, S02 and S03 in May");
    let sb = structured_sandbox(&server, "");
    let base = std::fs::read_to_string(example(CRM_EXAMPLE)).unwrap();
    let start = base.find("[[stakeholders]]").unwrap();
    let end = base.find("[[champions]]").unwrap();
    let people = "[[stakeholders]]\nname = \"Will May\"\ntitle = \"Buyer\"\ngroup = \"executives\"\ninfluence = \"high\"\ninterest = \"high\"\nstance = \"resistant\"\nnotes = \"we may lose him in May; he will push back\"\n\n[[stakeholders]]\nname = \"Anna Quist\"\ntitle = \"Pricing Analyst\"\ngroup = \"customer service\"\ninfluence = \"low\"\ninterest = \"high\"\nstance = \"neutral\"\n\n[[stakeholders]]\nname = \"Eve\\u001b]0;pwned\\u0007 Stone\"\ntitle = \"Head of Audit\"\ngroup = \"IT support\"\ninfluence = \"medium\"\ninterest = \"low\"\nstance = \"unaware\"\nnotes = \"Stone asks for the Quistorp price list\"\n\n";
    let project = format!("{}{people}{}", &base[..start], &base[end..]).replace(
        "\"a private Access database of key accounts\"",
        "\"a private Access database of key accounts\", \"the Quistorp price list\"",
    ) + "\n[privacy]\npeople = \"pseudonymised\"\n";
    sb.write("plan-ai.toml", &project);
    sb.run(&["draft"]).expect(0);
    let sent = bodies(&server).concat();
    for gone in ["Will May", "\\u001b", "pwned", "Buyer", "Head of Audit"] {
        assert_lacks(&sent, gone, "the requests");
    }
    for part in ["Will", "Anna", "Quist", "Eve", "Stone", "May"] {
        assert!(!words(&sent).contains(&part), "{part} sent");
    }
    assert_contains(
        &sent,
        "the Quistorp price list",
        "a word holding a name part stays",
    );
    assert_contains(
        &sent,
        "we may lose him in S01; he will push back",
        "the verbs stay, the capitalised part goes",
    );
    let md = sb.read("plan.md");
    assert_contains(
        &md,
        "talk to Will May, Anna Quist and Eve Stone in May",
        "names back, escapes gone",
    );
    assert_lacks(&md, "\u{1b}", "plan.md");
    assert_lacks(&md, "pwned", "plan.md");
}

/// Paste mode is a request by hand: the JSON instruction quotes the schema, built from the
/// groups, so a group named after a person is refused there as in a request.
#[test]
fn a_pasted_json_instruction_passes_the_same_guard() {
    let server = server_writing("unused");
    let sb = structured_sandbox(&server, "");
    let text = std::fs::read_to_string(example(CRM_EXAMPLE)).unwrap();
    let text = text.replacen(
        "name = \"customer service\"",
        "name = \"Derek Holloway's customer service team\"",
        1,
    );
    sb.write(
        "plan-ai.toml",
        &format!("{text}\n[privacy]\npeople = \"pseudonymised\"\n"),
    );
    let err = sb
        .run(&["prompt", "communication", "--structured"])
        .expect(3)
        .stderr();
    assert_contains(&err, "in its JSON schema", "the refusal");
    // Without the JSON instruction the prose prompt goes out with a code for the name.
    let out = sb.run(&["prompt", "communication"]).expect(0).stdout();
    assert_lacks(&out, "Holloway", "the prose prompt");
    assert_eq!(server.all_requests().len(), 0);
}
