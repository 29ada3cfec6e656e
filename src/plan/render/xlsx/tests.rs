use super::*;
use crate::plan::render::Part;
use crate::project::Project;
use crate::prompts::FilledPrompt;
use crate::run::{Store, StoredSection, section::Planned};
use crate::sections::{Kind, Structure};
use serde_json::json;
use std::io::Read;

type Text<'a> = &'a dyn Fn(&str) -> String;

fn crm() -> Project {
    let text = include_str!("../../../../examples/crm-manufacturer.toml");
    let loaded = crate::project::parse(std::path::Path::new("crm.toml"), text);
    loaded.unwrap().project
}

/// A structured answer as JSON, every text made by `text`.
fn json(p: &Project, kind: Kind, text: Text) -> String {
    let roles: Vec<&str> = p.roles.iter().map(|r| r.name.as_str()).collect();
    let row = |g: &str| json!({"need_to_know": text(&format!("need for {g}")), "when": text("when"), "frequency": text("frequency"), "channel": text("channel"), "delivered_by": text("sender"), "action_wanted": text("action"), "feedback": text("feedback")});
    let point = |i: usize| json!({"point": text(&format!("point {i}")), "affected_roles": [roles[i % roles.len()], roles[(i + 1) % roles.len()]], "underlying_reason": text("reason"), "tactics": [text("tactic 1"), text("tactic 2")], "who_acts": text("who"), "when": text("when"), "early_warning_sign": text("sign")});
    let metric = |target: &str| json!({"metric": text("metric"), "what_it_measures": text("what"), "dimension": "utilisation", "target": target, "baseline": text("baseline"), "how_to_collect": text("how"), "cadence": "weekly", "owner": text("owner"), "low_scores_indicate": text("low")});
    let groups = communication::audiences(p).into_iter();
    let targets = "90% of reps|≤ 5 tickets/day|to be agreed|4.5 / 5|1,200 quotes".split('|');
    let answer = match kind {
        Kind::Communication => {
            json!({"matrix": groups.map(|g| (g.clone(), row(&g))).collect::<serde_json::Map<_, _>>()})
        }
        Kind::Resistance => json!({"points": (0..5).map(point).collect::<Vec<_>>()}),
        Kind::Metrics => json!({"metrics": targets.map(metric).collect::<Vec<_>>()}),
        Kind::Engagement => {
            let row = |(code, s): (String, &crate::project::Stakeholder)| {
                (
                    code,
                    json!({"current_stance": s.stance, "target_stance": "supportive", "what_matters": text("matters"), "actions": [text("action 1"), text("action 2")], "engaged_by": text("engager"), "when": text("when"), "sign_of_progress": text("sign")}),
                )
            };
            let codes = crate::sections::engagement::codes(p).into_iter();
            json!({"stakeholders": codes.zip(&p.stakeholders).map(row).collect::<serde_json::Map<_, _>>()})
        }
    };
    let mut answer = answer.as_object().unwrap().clone();
    answer.insert("summary".into(), text("summary").into());
    serde_json::Value::Object(answer).to_string()
}

/// The plan assembled from a store holding what `paste` gives for each section (pasted).
fn plan(p: &Project, paste: &dyn Fn(Kind) -> Option<String>) -> Plan {
    let kinds = [Kind::Communication, Kind::Resistance, Kind::Metrics];
    plan_of(p, &kinds, paste)
}

fn plan_of(p: &Project, kinds: &[Kind], paste: &dyn Fn(Kind) -> Option<String>) -> Plan {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let planned: Vec<Planned> = (kinds.iter().copied())
        .map(|kind| {
            let structure = Structure::built_in(kind, p);
            let messages = vec![crate::chat::Message::user("the prompt")];
            let section = structure.section.clone();
            let title = section.clone();
            let filled = FilledPrompt {
                section,
                title,
                messages,
            };
            if let Some(text) = paste(kind) {
                let record = StoredSection::from_paste(&filled, &text, Some(&structure), p);
                store.save(&record.unwrap()).unwrap();
            }
            let structure = Some(structure);
            Planned { filled, structure }
        })
        .collect();
    Plan::assemble(p, &planned, &store)
}

fn answered(p: &Project, text: Text) -> Plan {
    plan(p, &|kind| Some(json(p, kind, text)))
}

/// The workbook's parts, read back with the zip crate (not rust_xlsxwriter).
fn parts(plan: &Plan) -> impl Fn(&str) -> String + use<> {
    read(render(plan, &Part::Whole).unwrap())
}

fn read(bytes: Vec<u8>) -> impl Fn(&str) -> String + use<> {
    move |name: &str| {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }
}

fn table_ref(xml: &str) -> &str {
    let start = xml.find(" ref=\"").unwrap() + 6;
    &xml[start..start + xml[start..].find('"').unwrap()]
}

/// A cell's element in a sheet's XML.
fn cell(xml: &str, at: &str) -> String {
    let rest = &xml[xml.find(&format!("<c r=\"{at}\"")).unwrap()..];
    let open = rest.find('>').unwrap();
    let end = rest.find("</c>").map_or(open + 1, |e| e + 4);
    let end = if rest[..open].ends_with('/') {
        open + 1
    } else {
        end
    };
    rest[..end].to_string()
}

/// Asserts that `xml` holds each of `wanted`, separated by `¦`.
fn has(xml: &str, wanted: &str) {
    for want in wanted.split('¦') {
        assert!(xml.contains(want), "{want}");
    }
}

#[test]
fn the_crm_workbook_has_a_sheet_and_table_per_tracker() {
    let part = parts(&answered(&crm(), &|k| format!("{k} text")));
    let sheets = "Stakeholders|Communication|Resistance|Metrics|Milestones|About";
    let sheets = format!("name=\"{}\"", sheets.replace('|', "\"¦name=\""));
    has(&part("xl/workbook.xml"), &sheets);
    for (i, want) in (1..).zip(["A1:J8", "A1:J6", "A1:I6", "A1:K6", "A1:C4"]) {
        assert_eq!(table_ref(&part(&format!("xl/tables/table{i}.xml"))), want);
        let sheet = part(&format!("xl/worksheets/sheet{i}.xml"));
        has(&sheet, "state=\"frozen\"¦<tablePart ¦<dataValidation ");
    }
    let people = part("xl/worksheets/sheet1.xml");
    let stances = "\"unknown,unaware,resistant,neutral,supportive,leading\"</formula1>";
    assert_eq!(people.matches(stances).count(), 2);
    assert_eq!(people.matches("\"high,medium,low\"</formula1>").count(), 2);
    let rules = "<conditionalFormatting sqref=\"F2:F208\">¦<formula>\"resistant\"</";
    has(&people, rules);
    let metrics = part("xl/worksheets/sheet4.xml");
    assert_eq!(metrics.matches("<cfRule type=\"expression\"").count(), 3);
    for (at, want) in [("F2", "90"), ("F3", "5"), ("F5", "4.5"), ("F6", "1200")] {
        has(&cell(&metrics, at), &format!("<v>{want}</v>"));
    }
    assert!(!cell(&metrics, "F4").contains("<v>"), "\"to be agreed\"");
    let wanted = "executives¦IT support¦Derek Holloway¦need for customer service text¦reason text¦• field sales representatives\n• inside sales coordinators¦Sales CRM rollout 2027¦Confidential¦filled from the structured answer.";
    has(&part("xl/sharedStrings.xml"), wanted);
    has(
        &part("xl/worksheets/sheet2.xml"),
        "\"Planned,Sent,Cancelled\"",
    );
    // Milestone dates are numbers with a date format, not text.
    let date = cell(&part("xl/worksheets/sheet5.xml"), "B2");
    assert!(date.contains("<v>46398</v>") && !date.contains("t=\"s\""));
    has(&part("xl/styles.xml"), "formatCode=\"yyyy-mm-dd\"");
}

#[test]
fn missing_sections_leave_trackers_to_fill_in_and_say_why() {
    let part = parts(&plan(&crm(), &|_| None));
    let table = |i: usize| table_ref(&part(&format!("xl/tables/table{i}.xml"))).to_string();
    assert_eq!([2, 3, 4].map(table), ["A1:J6", "A1:I2", "A1:K2"]);
    let why = "customer service¦the communication section is missing: the sheet lists";
    has(&part("xl/sharedStrings.xml"), why);
    // An empty project: every tracker keeps its header and one empty row.
    let part = parts(&plan(&Project::default(), &|_| None));
    for i in 1..=5 {
        assert!(table_ref(&part(&format!("xl/tables/table{i}.xml"))).ends_with('2'));
    }
    // Prose answers: the sheets are empty and About says why.
    let prose = parts(&plan(&crm(), &|_| Some("Just prose.".into())));
    let why = "the metrics answer is prose, not structured";
    has(&prose("xl/sharedStrings.xml"), why);
    assert_eq!(table_ref(&prose("xl/tables/table3.xml")), "A1:I2");
}

#[test]
fn hostile_text_stays_inside_its_cell() {
    let hostile = |k: &str| match k {
        "summary" | "reason" => "x".repeat(40_000),
        "when" => "😀 🚀 שלום עולם مرحبا".to_string(),
        "sender" => "y".repeat(2_000),
        k if k.starts_with("need") => "<script>alert(1)</script> | a | b".to_string(),
        k => format!("{k}\u{7}\u{1b}[31m _x0041_ =SUM(A1)"),
    };
    let mut project = crm();
    project.groups[0].name = "<b>&\"'</b>".into();
    project.project.name = Some("a\u{0}b".into());
    let part = parts(&answered(&project, &hostile));
    let strings = part("xl/sharedStrings.xml");
    let wanted = "&lt;script&gt;alert(1)&lt;/script&gt; | a | b¦😀 🚀 שלום עולם مرحبا¦&lt;b&gt;&amp;\"'&lt;/b&gt;¦Trackers for ab¦_x005F_x0041_ =SUM(A1)¦[cut: the text was 40,000 characters; an Excel cell holds 32,767]";
    has(&strings, wanted);
    has(&strings, &"y".repeat(2_000));
    for unwanted in ["<script>", "\u{0}", "[31m", "_x0000_", "_x0007_"] {
        assert!(!strings.contains(unwanted), "{unwanted}");
    }
    assert!(!part("xl/worksheets/sheet3.xml").contains("<f>"));
    let long = ["é".repeat(40_000), "😀".repeat(20_000), "a".repeat(40_000)];
    let fits = |s: &String| {
        (CELL_MAX - 1..=CELL_MAX).contains(&clean(s, &Language::english()).encode_utf16().count())
    };
    assert!(long.iter().all(fits));
    assert_eq!(
        clean(&"a".repeat(CELL_MAX), &Language::english()),
        "a".repeat(CELL_MAX)
    );
    assert_eq!(clean(" a\r\nb\u{1b}[31m\t", &Language::english()), "a\nb");
}

#[test]
fn target_values_are_read_from_the_target_text() {
    let cases = "90%:90|≤ 5 tickets/day:5|within 4 weeks, 80 % of reps:80|1,200 quotes:1200|4.5 out of 5:4.5|3,5 on average:3|to be agreed:|:";
    for case in cases.split('|') {
        let (text, want) = case.rsplit_once(':').unwrap();
        assert_eq!(target_number(text, ('.', ',')), want.parse().ok(), "{text}");
    }
    assert_eq!(target_number(&"9".repeat(400), ('.', ',')), None);
    // As each language writes numbers.
    let cases = [
        ("de", "1.200 Angebote bis Ende März", 1200.0),
        ("de", "4,5 von 5 Punkten", 4.5),
        ("de", "85 % der Besuche nach 4 Wochen", 85.0),
        ("fr", "1\u{202f}200 devis en 6 semaines", 1200.0),
        ("fr", "1 200 devis", 1200.0),
        ("fr", "4,5 sur 5", 4.5),
        ("es", "1.200 presupuestos", 1200.0),
        ("nl", "3,5 gemiddeld", 3.5),
        ("en", "1,200 quotes", 1200.0),
    ];
    for (tag, text, want) in cases {
        let lang = crate::i18n::Available::default()
            .resolve(Some(tag), "test")
            .unwrap();
        assert_eq!(
            target_number(text, lang.separators()),
            Some(want),
            "{tag}: {text}"
        );
    }
}

#[test]
fn every_sheet_prints_landscape_one_page_wide_with_titles_and_page_numbers() {
    let long = |k: &str| format!("{k}: {}", "a sentence of ordinary words ".repeat(4));
    let mut project = crm();
    project.project.name = Some("R&D rollout".into());
    let part = parts(&plan(&project, &|kind| {
        (kind != Kind::Metrics).then(|| json(&project, kind, &long))
    }));
    for i in 1..=6 {
        let sheet = part(&format!("xl/worksheets/sheet{i}.xml"));
        let wanted = "<pageSetUpPr fitToPage=\"1\"/>¦fitToHeight=\"0\" orientation=\"landscape\"¦<oddHeader>&amp;LR&amp;&amp;D rollout&amp;R&amp;A</oddHeader>¦&amp;RPage &amp;P of &amp;N</oddFooter>¦no answer yet for metrics";
        has(&sheet, wanted);
    }
    let book = part("xl/workbook.xml");
    for sheet in [
        "Stakeholders",
        "Communication",
        "Resistance",
        "Metrics",
        "Milestones",
    ] {
        has(&book, &format!(">{sheet}!$1:$1</definedName>"));
    }
    // Columns sized by what they hold, capped; rows as tall as their text.
    let points = part("xl/worksheets/sheet3.xml");
    let widths: Vec<f64> = (points.split("<col ").skip(1))
        .map(|c| {
            c.split("width=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        widths.iter().all(|w| (8.0..=51.0).contains(w)),
        "{widths:?}"
    );
    assert!(points.contains("customHeight=\"1\""), "row heights set");
    let tall = (points.split("<row r=\"2\"").nth(1))
        .unwrap()
        .split("ht=\"")
        .nth(1)
        .unwrap();
    let tall: f64 = tall.split('"').next().unwrap().parse().unwrap();
    assert!(
        tall >= 60.0,
        "a row of long cells is several lines tall: {tall}"
    );
    has(
        &part("xl/sharedStrings.xml"),
        "• field sales representatives\n• inside sales coordinators",
    );
}

#[test]
fn the_annex_holds_the_named_sheets_marked_and_the_main_part_none() {
    use crate::project::Privacy;
    let p = crm();
    let text = |k: &str| format!("{k} text");
    let whole =
        plan_of(&p, &Kind::ALL, &|k| Some(json(&p, k, &text))).with_people(Privacy::Pseudonymised);
    let book = |part: &dyn Fn(&str) -> String| {
        let xml = part("xl/workbook.xml");
        (xml.split("<sheet name=\"").skip(1))
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // The whole workbook: the register with the engagement plan's targets, and its tracker.
    let all = parts(&whole);
    let sheets = "Stakeholders Engagement Communication Resistance Metrics Milestones About";
    assert_eq!(book(&all).join(" "), sheets);
    assert_eq!(table_ref(&all("xl/tables/table1.xml")), "A1:J8");
    assert_eq!(table_ref(&all("xl/tables/table2.xml")), "A1:K8");
    has(
        &all("xl/sharedStrings.xml"),
        "Derek Holloway¦engager text¦• action 1 text\n• action 2 text",
    );
    // The annex: the named sheets alone, each stakeholder's code first, marked everywhere.
    let annex = read(render_annex(&whole).unwrap());
    assert_eq!(
        book(&annex).join(" "),
        "Stakeholders Engagement Champions About"
    );
    assert_eq!(table_ref(&annex("xl/tables/table1.xml")), "A1:K8");
    has(
        &annex("xl/sharedStrings.xml"),
        "Code¦S03¦Derek Holloway¦Priya Raman",
    );
    for i in 1..=4 {
        let sheet = annex(&format!("xl/worksheets/sheet{i}.xml"));
        has(
            &sheet,
            "&amp;C&amp;BConfidential — named stakeholders&amp;B&amp;R&amp;A</oddHeader>¦&amp;C&amp;BConfidential — named stakeholders&amp;B&amp;RPage",
        );
    }
    has(
        &annex("docProps/core.xml"),
        "<dc:title>Confidential — named stakeholders: Sales CRM rollout 2027</dc:title>¦<cp:category>Confidential — named stakeholders</cp:category>¦<cp:keywords>Confidential — named stakeholders</cp:keywords>",
    );
    has(
        &annex("docProps/custom.xml"),
        "name=\"Classification\"¦Confidential — named stakeholders",
    );
    // The main part: no named sheet and no name; About points at the annex.
    let main = read(
        render(
            &whole.without_people(),
            &Part::Main {
                annex: "x.confidential.xlsx".into(),
            },
        )
        .unwrap(),
    );
    assert_eq!(
        book(&main).join(" "),
        "Communication Resistance Metrics Milestones About"
    );
    let strings = main("xl/sharedStrings.xml");
    has(&strings, "Confidential annex¦x.confidential.xlsx");
    for person in &p.stakeholders {
        assert!(!strings.contains(&person.name), "{}", person.name);
    }
}
