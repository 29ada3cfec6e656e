//! The plan in its language, in every format: a German plan from each example read back with
//! independent readers (Python's zipfile, ElementTree and html.parser), with German headings,
//! dates, sheet names, drop-downs and colours, and no English fixed text left outside the
//! model's answers, the project's own data and the prompts as sent; French and Dutch
//! smoke tests; the portfolio summary in the language asked for.

use crate::exports::{XLSX_OPEN, python};
use crate::support::dialects::fill_schema;
use crate::support::*;
use serde_json::Value;

/// What a model answering in German writes in every text field: German, so any English in
/// the plan is plan-ai's own.
const GERMAN_ANSWER: &str =
    "Die Regionalleitung erklärt im Teamgespräch vier Wochen vor dem Go-live, was sich ändert";

/// `example` with every section, the engagement plan too (people pseudonymised), pasted as
/// German answers to the German prompts.
fn german(example: &str) -> Sandbox {
    let sb = Sandbox::new().with_example(example);
    let flags = ["--people", "pseudonymised", "--language", "de"];
    let mut args = flags.to_vec();
    args.extend(["prompt", "--all", "--json"]);
    let requests: Value = serde_json::from_str(&sb.run(&args).expect(0).stdout()).unwrap();
    for req in requests.as_array().unwrap() {
        let id = req["section"].as_str().unwrap();
        let schema = &req["response_format"]["json_schema"]["schema"];
        let answer = fill_schema(schema, GERMAN_ANSWER).to_string();
        let mut args = flags.to_vec();
        args.extend(["paste", id, "-"]);
        sb.run_stdin(&args, &answer).expect(0);
    }
    sb
}

/// Renders the plan in German in every format, people pseudonymised, with `more` flags.
fn render(sb: &Sandbox, more: &[&str]) {
    let mut args = vec!["--people", "pseudonymised", "--language", "de", "render"];
    args.extend(["-o", "plan.md", "--format", "md,docx,xlsx,html,csv"]);
    args.extend(more);
    sb.run(&args).expect(0);
}

/// What a reader of a Word file or a web page sees, read back by Python's own modules: the
/// text (the prompts as sent left out: they stay English by design), the headings, the page
/// footer and the language the file declares.
const READ_BACK: &str = r#"
import sys, json, re, zipfile, html.parser, xml.etree.ElementTree as ET
path = sys.argv[1]
out = {"text": [], "headings": [], "footer": "", "lang": ""}
if path.endswith(".docx"):
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    z = zipfile.ZipFile(path); assert z.testzip() is None
    styles = ET.fromstring(z.read("word/styles.xml"))
    names = {s.get(W + "styleId"): s.find(W + "name").get(W + "val") for s in styles.iter(W + "style")}
    for l in styles.iter(W + "lang"):
        out["lang"] = l.get(W + "val")
    for p in ET.fromstring(z.read("word/document.xml")).iter(W + "p"):
        s = p.find(f"{W}pPr/{W}pStyle")
        name = names.get(s.get(W + "val")) if s is not None else "Normal"
        text = "".join(t.text or "" for t in p.iter(W + "t"))
        if name == "Code":
            continue
        out["text"].append(text)
        if name.startswith("heading") or name == "Title":
            out["headings"].append(text)
    for part in ["word/header1.xml", "word/footer1.xml"]:
        out["text"].append("".join(t.text or "" for t in ET.fromstring(z.read(part)).iter(W + "t")))
    out["footer"] = out["text"][-1]
    out["text"] += [e.text or "" for e in ET.fromstring(z.read("docProps/core.xml"))]
else:
    class P(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(); self.stack = []
        def handle_starttag(self, tag, attrs):
            if tag == "html":
                out["lang"] = dict(attrs).get("lang", "")
            if tag not in ("br", "meta", "hr", "img", "input", "col"):
                self.stack.append(tag)
        def handle_endtag(self, tag):
            while self.stack and self.stack.pop() != tag:
                pass
        def handle_data(self, d):
            if "pre" in self.stack or "style" in self.stack:
                return
            out["text"].append(d)
            if any(h in self.stack for h in ("h1", "h2", "h3")):
                out["headings"].append(d)
            if "footer" in self.stack:
                out["footer"] += d
    P().feed(open(path, encoding="utf-8").read())
print(json.dumps(out))
"#;

/// The same for a workbook, after [`XLSX_OPEN`]: its text (shared strings, notes, input
/// messages, page headers and footers, properties), sheet names, drop-down lists and the
/// values its colours are keyed to.
const XLSX_READ_BACK: &str = r#"
out = {"text": list(shared), "footer": "", "sheets": [], "lists": [], "coloured": []}
for sheet in ET.fromstring(z.read("xl/workbook.xml")).iter(S + "sheet"):
    out["sheets"].append(sheet.get("name"))
    ws = ET.fromstring(z.read("xl/" + rels[sheet.get(R + "id")].lstrip("/").removeprefix("xl/")))
    for hf in ["oddHeader", "oddFooter"]:
        for e in ws.iter(S + hf):
            out["text"].append(e.text or "")
            if hf == "oddFooter":
                out["footer"] = e.text or ""
    for dv in ws.iter(S + "dataValidation"):
        if dv.get("type") == "list":
            out["lists"].append(dv.find(S + "formula1").text)
        out["text"].append(dv.get("prompt") or "")
    for rule in ws.iter(S + "cfRule"):
        out["coloured"] += [f.text for f in rule.iter(S + "formula")]
for name in z.namelist():
    if re.match(r"xl/comments\d*\.xml", name):
        out["text"] += ["".join(t.text or "" for t in c.iter(S + "t")) for c in ET.fromstring(z.read(name)).iter(S + "comment")]
out["text"] += [e.text or "" for e in ET.fromstring(z.read("docProps/core.xml"))]
print(json.dumps(out))
"#;

/// A file as its reader sees it.
fn read_back(sb: &Sandbox, file: &str) -> Value {
    let script = match file.ends_with(".xlsx") {
        true => format!("{XLSX_OPEN}{XLSX_READ_BACK}"),
        false => READ_BACK.to_string(),
    };
    serde_json::from_str(&python(&script, &sb.file(file))).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    (v.as_array().into_iter().flatten())
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The English catalog's text, message by message, in pieces between placeholders, where
/// `tag`'s catalog says something else: what must not be left in a plan in `tag`. Pieces
/// of fewer than four letters ("of", "to") and pieces the other catalog also uses are left
/// out; so are the portfolio's and the change load's messages, which no plan shows.
fn english_pieces(tag: &str) -> Vec<String> {
    use plan_ai::i18n::{Catalog, Message};
    let read = |t: &str| {
        let path = repo().join("i18n").join(format!("{t}.toml"));
        Catalog::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let forms = |m: Option<&Message>| -> Vec<String> {
        match m {
            Some(Message::Text(t)) => vec![t.clone()],
            Some(Message::Plural(forms)) => forms.values().cloned().collect(),
            None => Vec::new(),
        }
    };
    let (en, other) = (read("en"), read(tag));
    let theirs: Vec<String> = other.keys().flat_map(|k| forms(other.get(k))).collect();
    let mut pieces = Vec::new();
    for key in en.keys() {
        if ["language.", "portfolio.", "load."]
            .iter()
            .any(|p| key.starts_with(p))
        {
            continue;
        }
        let translated = forms(other.get(key));
        for form in forms(en.get(key))
            .iter()
            .filter(|f| !translated.contains(f))
        {
            for piece in split_placeholders(form) {
                let piece = piece.trim_matches(|c: char| " ;,.:()\"`".contains(c));
                let letters = piece.chars().filter(char::is_ascii_alphabetic).count();
                if letters >= 4 && !theirs.iter().any(|t| t.contains(piece)) {
                    pieces.push(piece.to_string());
                }
            }
        }
    }
    pieces.sort();
    pieces.dedup();
    pieces
}

fn split_placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => rest = &rest[open + close + 1..],
            None => break,
        }
    }
    out.push(rest);
    out
}

/// The English pieces found in `text` as whole words, less those the project's own data
/// holds (the example projects are written in English) and the review's check ids
/// (`plan.stale`), which are identifiers.
fn english_left(text: &str, pieces: &[String], project: &str) -> Vec<String> {
    let ids = regex_lite::Regex::new(r"\b[a-z]+\.[a-z_]+\b").unwrap();
    let text = ids.replace_all(text, " ");
    let whole = |piece: &str| {
        text.match_indices(piece).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + piece.len()..].chars().next();
            !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
        })
    };
    (pieces.iter())
        .filter(|p| !project.contains(p.as_str()) && whole(p))
        .cloned()
        .collect()
}

/// Asserts no English piece is left in `text`, naming `what` when one is.
#[track_caller]
fn no_english(text: &str, pieces: &[String], project: &str, what: impl std::fmt::Display) {
    let left = english_left(text, pieces, project);
    assert!(left.is_empty(), "{what}: English left: {left:?}");
}

#[test]
fn the_english_pieces_are_what_an_english_plan_shows() {
    let pieces = english_pieces("de");
    for wanted in [
        "Document control",
        "Resistance planning",
        "Influence / interest",
        "Page",
    ] {
        assert!(pieces.iter().any(|p| p == wanted), "{wanted}: {pieces:?}");
    }
    // "Name", "Status" and "Sponsor" are German as well.
    for same in ["Name", "Status", "Sponsor"] {
        assert!(!pieces.iter().any(|p| p == same), "{same}");
    }
    let text = "Dokumentenlenkung · Resistance planning · plan.stale · Pages";
    assert_eq!(
        english_left(text, &pieces, ""),
        ["Resistance", "Resistance planning"]
    );
}

#[test]
fn a_german_plan_from_each_example_is_german_in_every_format() {
    let dates = [
        (CRM_EXAMPLE, "1. März 2027"),
        ("erp-finance.toml", "1. Juli 2027"),
    ];
    let pieces = english_pieces("de");
    for (example, launch) in dates {
        let sb = german(example);
        render(&sb, &[]);
        let project = sb.read("plan-ai.toml");
        let headings = [
            "Umsetzungsplan: ",
            "1. Dokumentenlenkung",
            "2. Zu diesem Entwurf",
            "3. Die Veränderung",
            "4. Stakeholder-Analyse",
            "Einbindung der Schlüssel-Stakeholder",
            "5. Widerstandsmanagement",
            "6. Kommunikationsplan und -rhythmus",
            "7. Erfolgskennzahlen",
            "8. Multiplikatoren, Feedbackschleifen und Verankerung im Tagesgeschäft",
            "Anhang: wie die generierten Abschnitte entstanden sind",
            "Prüfung",
        ];
        // Markdown, the prompts as sent left out.
        let md = sb.read("plan.md");
        let fence = regex_lite::Regex::new(r"(?s)````text.*?````").unwrap();
        let md_text = fence.replace_all(&md, "");
        for h in headings {
            assert_contains(&md, h, &format!("{example}: plan.md"));
        }
        assert_contains(&md, &format!("| Go-live | {launch} |"), "the launch date");
        assert_contains(&md, "| Widerstandspunkt | Betroffene Rollen |", "plan.md");
        no_english(&md_text, &pieces, &project, format!("{example}: plan.md"));
        // Word, HTML and Excel, each as its reader sees it.
        for file in ["plan.docx", "plan.html"] {
            let seen = read_back(&sb, file);
            let shown = strings(&seen["headings"]).join("\n");
            for h in headings {
                assert_contains(&shown, h, &format!("{example}: {file}'s headings"));
            }
            let text = strings(&seen["text"]).join("\n");
            assert_contains(&text, launch, &format!("{example}: {file}"));
            no_english(&text, &pieces, &project, format!("{example}: {file}"));
        }
        let docx = read_back(&sb, "plan.docx");
        assert_eq!(docx["lang"], "de-DE", "Word spells the document in German");
        assert_eq!(
            docx["footer"], "Seite 1 von 1",
            "the footer, Word's fields as written"
        );
        let html = read_back(&sb, "plan.html");
        assert_eq!(html["lang"], "de");
        assert_contains(
            html["footer"].as_str().unwrap(),
            "Erstellt mit plan-ai",
            "the page's footer",
        );
        let xlsx = read_back(&sb, "plan.xlsx");
        assert_eq!(
            strings(&xlsx["sheets"]),
            [
                "Stakeholder",
                "Einbindung",
                "Kommunikation",
                "Widerstände",
                "Kennzahlen",
                "Meilensteine",
                "Prüfung",
                "Info"
            ],
            "{example}"
        );
        assert!(
            xlsx["footer"]
                .as_str()
                .unwrap()
                .ends_with("&RSeite &P von &N"),
            "{}",
            xlsx["footer"]
        );
        let lists = strings(&xlsx["lists"]).join("\n");
        for words in [
            "\"hoch,mittel,niedrig\"",
            "unbekannt,unwissend,ablehnend",
            "\"Geplant,Versendet,Abgesagt\"",
            "Adoptionsgeschwindigkeit,Nutzungsgrad,Anwendungskompetenz",
        ] {
            assert_contains(&lists, words, &format!("{example}: the drop-downs"));
        }
        // Each colour keyed to the word its drop-down offers.
        let coloured = strings(&xlsx["coloured"]).join("\n");
        for word in [
            "\"ablehnend\"",
            "\"unwissend\"",
            "\"nicht erfüllt\"",
            "\"erfüllt\"",
        ] {
            assert_contains(&coloured, word, &format!("{example}: the colours"));
        }
        let text = strings(&xlsx["text"]).join("\n");
        assert_contains(&text, "Tracker für ", "the About sheet");
        no_english(&text, &pieces, &project, format!("{example}: plan.xlsx"));
        // CSV: German headers, the files keep their ids.
        let csv = sb.read("plan-csv/resistance.csv");
        assert!(
            csv.starts_with("\u{feff}Widerstandspunkt,Betroffene Rollen,"),
            "{csv}"
        );
        let register = sb.read("plan-csv/stakeholders.csv");
        assert!(
            register.starts_with("\u{feff}Name,Funktion,Gruppe,Einfluss,Interesse,Haltung,Notizen"),
            "{register}"
        );
    }
}

#[test]
fn the_german_annex_and_main_part_are_marked_in_german() {
    let sb = german(CRM_EXAMPLE);
    render(&sb, &["--annex"]);
    let annex = sb.read("plan.confidential.md");
    assert!(
        annex.starts_with("# Vertraulich – Stakeholder mit Namen: Sales CRM rollout 2027"),
        "{annex}"
    );
    assert_contains(&annex, "## 1. Stakeholder-Register", "the annex");
    assert_contains(&annex, "| Code | Name | Funktion |", "the annex");
    let main = sb.read("plan.md");
    assert_contains(
        &main,
        "stehen in der vertraulichen Anlage plan.confidential.md",
        "the main part",
    );
    let pieces = english_pieces("de");
    let project = sb.read("plan-ai.toml");
    let seen = read_back(&sb, "plan.confidential.xlsx");
    assert_eq!(
        strings(&seen["sheets"]),
        ["Stakeholder", "Einbindung", "Multiplikatoren", "Info"]
    );
    let text = strings(&seen["text"]).join("\n");
    assert_contains(
        &text,
        "&C&BVertraulich – Stakeholder mit Namen&B",
        "each sheet's header",
    );
    no_english(&text, &pieces, &project, "the annex workbook");
    let docx = strings(&read_back(&sb, "plan.confidential.docx")["text"]).join("\n");
    no_english(&docx, &pieces, &project, "the annex document");
}

#[test]
fn french_and_dutch_plans_speak_their_language() {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.run(&[
        "--language",
        "fr",
        "render",
        "--allow-partial",
        "-o",
        "plan.md",
        "--format",
        "md,xlsx",
    ])
    .expect(6);
    let md = sb.read("plan.md");
    for wanted in [
        "# Plan de mise en œuvre : Sales CRM rollout 2027",
        "## 4. Analyse des parties prenantes",
        "## 5. Gestion des résistances",
        "| Mise en service |",
        "| 1 mars 2027 |",
        "> **Manquant :**",
    ] {
        assert_contains(&md, wanted, "the French plan");
    }
    let pieces = english_pieces("fr");
    let fence = regex_lite::Regex::new(r"(?s)````text.*?````").unwrap();
    let project = sb.read("plan-ai.toml");
    no_english(
        &fence.replace_all(&md, ""),
        &pieces,
        &project,
        "the French plan",
    );
    let sb = Sandbox::new().with_example("erp-finance.toml");
    sb.run(&[
        "--language",
        "nl",
        "render",
        "--allow-partial",
        "-o",
        "plan.xlsx",
    ])
    .expect(6);
    let seen = read_back(&sb, "plan.xlsx");
    assert_eq!(
        strings(&seen["sheets"]),
        [
            "Stakeholders",
            "Communicatie",
            "Weerstand",
            "Indicatoren",
            "Mijlpalen",
            "Toetsing",
            "Over"
        ]
    );
    assert!(
        seen["footer"]
            .as_str()
            .unwrap()
            .ends_with("&RPagina &P van &N")
    );
}

#[test]
fn the_portfolio_summary_follows_the_flag_then_portfolio_toml_then_english() {
    let sb = Sandbox::new();
    for (dir, name) in [("crm", CRM_EXAMPLE), ("erp", "erp-finance.toml")] {
        std::fs::create_dir_all(sb.file(dir)).unwrap();
        std::fs::copy(example(name), sb.file(&format!("{dir}/plan-ai.toml"))).unwrap();
    }
    let collect = |flags: &[&str]| {
        let mut args = flags.to_vec();
        args.extend(["portfolio", "collect", "-r", "."]);
        sb.run(&args).expect(0);
        sb.read("portfolio.md")
    };
    let md = collect(&[]);
    assert!(
        md.starts_with("# Portfolio of implementation plans\n\n2 projects, "),
        "{md}"
    );
    let md = collect(&["--language", "de"]);
    assert!(
        md.starts_with("# Portfolio der Umsetzungspläne\n\n2 Projekte, davon "),
        "{md}"
    );
    assert_contains(
        &md,
        "| Projekt | Datei | System | Go-live |",
        "the summary's columns",
    );
    assert_contains(&md, "## Veränderungslast", "the change load");
    assert_contains(
        &sb.read("portfolio.html"),
        "<html lang=\"de\">",
        "portfolio.html",
    );
    sb.write("portfolio.toml", "language = \"fr\"\n");
    let md = collect(&[]);
    assert!(
        md.starts_with("# Portefeuille des plans de mise en œuvre\n\n2 projets"),
        "{md}"
    );
    // The flag wins; the terminal's status table stays English.
    let run = sb
        .run(&["--language", "nl", "portfolio", "collect", "-r", "."])
        .expect(0);
    assert!(
        sb.read("portfolio.md")
            .starts_with("# Portfolio van implementatieplannen")
    );
    assert_contains(&run.stderr(), "project", "the terminal table");
    sb.write("portfolio.toml", "language = \"klingon\"\n");
    let run = sb.run(&["portfolio", "collect", "-r", "."]).expect(3);
    assert_contains(
        &run.stderr(),
        "`language` in ./portfolio.toml names language `klingon`",
        "the error",
    );
}
