//! The plan in every format its readers open, read back with independent readers: Python's
//! own HTML parser and csv module, and the zip and XML inside Word and Excel files. Both
//! example projects, complete and with missing sections, and answers full of hostile text.

use crate::support::dialects::fill_schema;
use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// Text a model might write that every format must survive.
const HOSTILE: &str = "<script>alert(1)</script> | pipes | emoji 👍🏽 and שלום עולם";

fn long_cell() -> String {
    "long ".repeat(400)
}

/// A sandbox with every built-in section pasted as structured JSON (from the section's own
/// schema, as `prompt --json` shows it), with hostile text in the cells.
fn pasted(example: &str, sections: &[&str]) -> Sandbox {
    let sb = Sandbox::new().with_example(example);
    let requests: Value =
        serde_json::from_str(&sb.run(&["prompt", "--all", "--json"]).expect(0).stdout()).unwrap();
    for req in requests.as_array().unwrap() {
        let id = req["section"].as_str().unwrap();
        if !sections.contains(&id) {
            continue;
        }
        let schema = &req["response_format"]["json_schema"]["schema"];
        let mut answer = fill_schema(schema, HOSTILE);
        answer["summary"] = json!(format!("Summary of {id}. {}", long_cell()));
        // The first row's last text column holds a 2,000-character cell. Rows are a list
        // (resistance points, metrics) or keyed by group (the communication matrix).
        let mut rows = answer.as_object_mut().unwrap().values_mut();
        let first_row = match rows.find(|v| !v.is_string()).unwrap() {
            Value::Array(rows) => &mut rows[0],
            Value::Object(rows) => rows.values_mut().next().unwrap(),
            other => panic!("no rows in {other}"),
        };
        let cells = first_row.as_object_mut().unwrap().values_mut();
        *cells.filter(|c| c.is_string()).last().unwrap() = json!(long_cell());
        sb.run_stdin(&["paste", id, "-"], &answer.to_string())
            .expect(0);
    }
    sb
}

/// `example` with every section pasted, rendered to `file` (its format by its extension).
fn rendered(example: &str, file: &str) -> Sandbox {
    let sb = pasted(example, &["resistance", "communication", "metrics"]);
    sb.run(&["render", "-o", file]).expect(0);
    sb
}

pub fn python(script: &str, arg: &Path) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(arg)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Python's html.parser: element counts and the text of the page.
const HTML_PROBE: &str = r#"
import sys, html.parser, collections
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = collections.Counter(); self.text = []
    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        for k, v in attrs:
            if k.startswith("on") or (v or "").lower().startswith("javascript:"): self.tags["UNSAFE"] += 1
    def handle_data(self, d): self.text.append(d)
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
for t in ["script", "table", "h1", "h2", "th", "img", "iframe", "link", "UNSAFE"]:
    print(f"{t}={p.tags[t]}")
print("TEXT=" + "".join(p.text).replace("\n", " "))
"#;

#[test]
fn html_is_one_safe_page_with_every_table() {
    for example in [CRM_EXAMPLE, "erp-finance.toml"] {
        let sb = rendered(example, "plan.html");
        let probe = python(HTML_PROBE, &sb.file("plan.html"));
        let count = |tag: &str| -> usize {
            probe
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{tag}=")))
                .unwrap()
                .parse()
                .unwrap()
        };
        for tag in ["script", "img", "iframe", "link", "UNSAFE"] {
            assert_eq!(count(tag), 0, "{example}: <{tag}> in the page");
        }
        assert_eq!(count("h1"), 1);
        assert!(count("h2") >= 8, "{probe}");
        // Document control, roles, the register, the grid, and the three structured sections.
        assert!(count("table") >= 7, "{probe}");
        assert_contains(
            &probe,
            "<script>alert(1)</script> | pipes | emoji 👍🏽 and שלום עולם",
            "the text shown as text",
        );
        assert_contains(
            &probe,
            long_cell().trim(),
            "the 2,000-character cell, whole",
        );
        let html = sb.read("plan.html");
        assert_contains(&html, "@media print", "print CSS");
        assert_contains(&html, "name=\"viewport\"", "phone layout");
    }
}

/// Python's csv module: rows of a file, checking the BOM.
const CSV_PROBE: &str = r#"
import sys, csv, json
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
rows = list(csv.reader(raw[3:].decode("utf-8").splitlines(keepends=True)))
print(json.dumps(rows))
"#;

#[test]
fn csv_writes_one_file_per_table_with_a_bom() {
    let sb = pasted(CRM_EXAMPLE, &["resistance", "communication", "metrics"]);
    sb.run(&["render", "--format", "csv"]).expect(0);
    let dir = sb.file("plan-csv");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "communication.csv",
            "metrics.csv",
            "milestones.csv",
            "resistance.csv",
            "review.csv",
            "roles.csv",
            "stakeholders.csv"
        ]
    );
    let rows = |name: &str| -> Vec<Vec<String>> {
        serde_json::from_str(&python(CSV_PROBE, &dir.join(name))).unwrap()
    };
    let comms = rows("communication.csv");
    assert_eq!(comms[0][0], "Audience");
    assert_eq!(comms.len(), 1 + 5, "a row per group");
    assert_eq!(comms[1][1], HOSTILE);
    let long = |rows: &[Vec<String>]| rows[1].iter().any(|c| c.trim() == long_cell().trim());
    assert!(long(&comms), "the 2,000-character cell, whole");
    assert_eq!(rows("metrics.csv").len(), 1 + 5);
    assert_eq!(rows("resistance.csv").len(), 1 + 5);
    let people = rows("stakeholders.csv");
    assert_eq!(
        people[0],
        [
            "Name",
            "Title",
            "Group",
            "Influence",
            "Interest",
            "Stance",
            "Notes"
        ]
    );
    assert!(people.iter().any(|r| r[0] == "Derek Holloway"));
}

#[test]
fn several_formats_sit_next_to_each_other_and_none_is_clobbered() {
    let sb = pasted(CRM_EXAMPLE, &["resistance", "communication", "metrics"]);
    let err = sb
        .run(&["render", "--format", "md,html,csv"])
        .expect(0)
        .stderr();
    assert_contains(&err, "plan.md, ./plan.html, ./plan-csv", "stderr");
    // An edited file of any format is not overwritten without --force.
    sb.write("plan.html", "<p>my notes</p>");
    let err = sb
        .run(&["render", "--format", "md,html"])
        .expect(1)
        .stderr();
    assert_contains(&err, "plan.html exists and was edited", "stderr");
    assert_eq!(sb.read("plan.html"), "<p>my notes</p>");
    sb.write("plan-csv/metrics.csv", "edited");
    sb.run(&["render", "--format", "csv"]).expect(1);
    sb.run(&["render", "--format", "md,html,csv", "--force"])
        .expect(0);
    assert_contains(&sb.read("plan.html"), "<!DOCTYPE html>", "plan.html");
    sb.run(&["render", "--format", "pdf"]).expect(2);
}

#[test]
fn missing_sections_are_marked_in_every_format_and_exit_6() {
    let sb = pasted("erp-finance.toml", &["communication"]);
    sb.run(&["render", "--format", "md,html,csv"]).expect(6);
    assert!(
        !sb.file("plan.html").exists(),
        "nothing without --allow-partial"
    );
    sb.run(&["render", "--format", "md,html,csv", "--allow-partial"])
        .expect(6);
    let html = sb.read("plan.html");
    assert_contains(
        &html,
        "Incomplete: no answer yet for resistance, metrics",
        "the notice",
    );
    assert_contains(&html, "<strong>Missing:</strong>", "the marker");
    let metrics = std::fs::read_to_string(sb.file("plan-csv/metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 1, "only the header: {metrics}");
}

#[test]
fn the_project_can_choose_the_default_formats() {
    let sb = pasted(CRM_EXAMPLE, &["resistance", "communication", "metrics"]);
    let text = sb.read("plan-ai.toml") + "\n[output]\nformats = [\"md\", \"html\"]\n";
    sb.write("plan-ai.toml", &text);
    sb.run(&["render"]).expect(0);
    assert!(sb.file("plan.md").exists() && sb.file("plan.html").exists());
    let bad = sb.read("plan-ai.toml").replace("\"html\"]", "\"pdf\"]");
    sb.write("plan-ai.toml", &bad);
    let err = sb.run(&["render"]).expect(3).stderr();
    assert_contains(&err, "unknown format `pdf`", "stderr");
}

/// Python's zipfile and ElementTree on a .docx: the styles paragraphs use (by their style's
/// name), tables and repeating header rows, list numbering, the footer's page field, the
/// document properties and all the text, paragraph by paragraph.
const DOCX_PROBE: &str = r#"
import sys, zipfile, json, collections, xml.etree.ElementTree as ET
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
names = {s.get(W + "styleId"): s.find(W + "name").get(W + "val")
         for s in ET.fromstring(z.read("word/styles.xml")).iter(W + "style")}
doc = ET.fromstring(z.read("word/document.xml"))
styles = collections.Counter(names[p.get(W + "val")] for p in doc.iter(W + "pStyle"))
paras = ["".join(t.text or "" for t in p.iter(W + "t")) for p in doc.iter(W + "p")]
tables = [[["".join(t.text or "" for t in c.iter(W + "t")) for c in r.iter(W + "tc")]
           for r in tbl.iter(W + "tr")] for tbl in doc.iter(W + "tbl")]
core = ET.fromstring(z.read("docProps/core.xml"))
props = {e.tag.split("}")[1]: e.text for e in core}
footer = z.read("word/footer1.xml").decode()
header = "".join(t.text or "" for t in ET.fromstring(z.read("word/header1.xml")).iter(W + "t"))
print(json.dumps({
    "styles": styles, "paras": paras, "tables": tables, "props": props, "header": header,
    "repeat": sum(1 for _ in doc.iter(W + "tblHeader")),
    "numbered": sum(1 for _ in doc.iter(W + "numPr")),
    "page_field": "PAGE" in footer,
}))
"#;

#[test]
fn word_has_real_headings_tables_lists_and_properties() {
    for example in [CRM_EXAMPLE, "erp-finance.toml"] {
        let sb = rendered(example, "plan.docx");
        let d: Value = serde_json::from_str(&python(DOCX_PROBE, &sb.file("plan.docx"))).unwrap();
        let styles = &d["styles"];
        assert_eq!(styles["Title"], 1, "{example}: {styles}");
        assert!(styles["heading 1"].as_u64().unwrap() >= 8, "{styles}");
        assert!(styles["heading 2"].as_u64().unwrap() >= 3, "{styles}");
        let tables = d["tables"].as_array().unwrap();
        // Document control, roles, the register, the grid, then the structured sections.
        assert!(tables.len() >= 7, "{example}: {} tables", tables.len());
        assert!(d["repeat"].as_u64().unwrap() >= 3, "header rows repeat");
        // A 2,000-character cell makes a row far taller than a quarter of a page: the matrix
        // becomes one block per audience, a numbered heading and a field/value table.
        let groups = if example == CRM_EXAMPLE { 5 } else { 4 };
        let blocks: Vec<&Value> = (tables.iter())
            .filter(|t| t[0][0] == "What they need to know")
            .collect();
        assert_eq!(blocks.len(), groups, "a block per group: {blocks:?}");
        let first = if example == CRM_EXAMPLE {
            "1. executives"
        } else {
            "1. executive board"
        };
        assert!(
            d["paras"].as_array().unwrap().iter().any(|p| p == first),
            "{first}"
        );
        assert_eq!(blocks[0][0][1], HOSTILE, "hostile text kept as text");
        let long = blocks[0].as_array().unwrap().iter();
        assert!(
            long.filter_map(|row| row[1].as_str())
                .any(|c| c.trim() == long_cell().trim()),
            "the 2,000-character cell, whole"
        );
        let text = d["paras"].as_array().unwrap();
        assert!(
            text.iter()
                .any(|p| p.as_str().unwrap().contains(long_cell().trim())),
            "the 2,000-character summary, whole"
        );
        assert!(d["numbered"].as_u64().unwrap() > 0, "lists are Word lists");
        assert_eq!(d["page_field"], true, "page numbers in the footer");
        assert_contains(d["header"].as_str().unwrap(), "DRAFT", "the notice");
        assert_contains(
            d["props"]["title"].as_str().unwrap(),
            "Implementation plan",
            "title",
        );
        assert!(d["props"]["creator"].as_str().is_some(), "author: {d}");
    }
}

/// Makes `FILE.ref.docx` from a plan-ai .docx: a German template (its heading styles' ids are
/// not English, their names are standard; heading 1 red) on US Letter.
pub const GERMAN_LETTER: &str = r#"
import sys, zipfile
src = zipfile.ZipFile(sys.argv[1]); out = zipfile.ZipFile(sys.argv[1] + ".ref.docx", "w")
for i in src.infolist():
    data = src.read(i.filename)
    if i.filename == "word/styles.xml":
        data = data.replace(b'w:styleId="Heading1"', b'w:styleId="berschrift1"')
        data = data.replace(b'<w:name w:val="heading 1"/>', b'<w:name w:val="heading 1"/><w:rPr><w:color w:val="FF0000"/></w:rPr>', 1)
    if i.filename == "word/document.xml":
        data = data.replace(b'w:w="11906"', b'w:w="12240"').replace(b'w:h="16838"', b'w:h="15840"')
    out.writestr(i, data)
out.close()
"#;

#[test]
fn word_takes_a_reference_documents_styles_by_name() {
    let sb = pasted(CRM_EXAMPLE, &["resistance", "communication", "metrics"]);
    sb.run(&["render", "-o", "first.docx"]).expect(0);
    // A German template: the heading styles' ids are not English, their names are standard.
    python(GERMAN_LETTER, &sb.file("first.docx"));
    sb.run(&[
        "render",
        "-o",
        "plan.docx",
        "--reference-doc",
        "first.docx.ref.docx",
    ])
    .expect(0);
    let d: Value = serde_json::from_str(&python(DOCX_PROBE, &sb.file("plan.docx"))).unwrap();
    assert!(d["styles"]["heading 1"].as_u64().unwrap() >= 8, "{d}");
    let docx = std::fs::read(sb.file("plan.docx")).unwrap();
    let xml = python(
        "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read('word/document.xml').decode()); print(z.read('word/styles.xml').decode())",
        &sb.file("plan.docx"),
    );
    assert!(!docx.is_empty());
    assert_contains(
        &xml,
        r#"<w:pStyle w:val="berschrift1"/>"#,
        "the template's id",
    );
    assert_contains(&xml, r#"w:w="12240""#, "the template's page size");
    assert_contains(&xml, r#"<w:color w:val="FF0000"/>"#, "the template's style");
    sb.write("bad.docx", "not a zip");
    let err = sb
        .run(&["render", "-o", "x.docx", "--reference-doc", "bad.docx"])
        .expect(3)
        .stderr();
    assert_contains(&err, "bad.docx is not a .docx file", "stderr");
}

/// The start of every probe of a .xlsx: the workbook opened and checked (`z`), its shared
/// strings (`shared`) and the targets of its relationships (`rels`).
pub const XLSX_OPEN: &str = r#"
import sys, zipfile, json, re, posixpath, xml.etree.ElementTree as ET
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
shared = []
if "xl/sharedStrings.xml" in z.namelist():
    shared = ["".join(t.text or "" for t in si.iter(S + "t")) for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(S + "si")]
rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
"#;

/// Python's zipfile and ElementTree on a .xlsx: per sheet, its name, frozen pane, drop-down
/// lists, conditional formats, tables and its cells as text.
const XLSX_PROBE: &str = r#"
out = []
for sheet in ET.fromstring(z.read("xl/workbook.xml")).iter(S + "sheet"):
    path = "xl/" + rels[sheet.get(R + "id")].lstrip("/").removeprefix("xl/")
    ws = ET.fromstring(z.read(path))
    rows = []
    for row in ws.iter(S + "row"):
        cells = {}
        for c in row.iter(S + "c"):
            col = re.match(r"[A-Z]+", c.get("r")).group(0)
            v = c.find(S + "v"); inline = c.find(S + "is")
            text = shared[int(v.text)] if c.get("t") == "s" else ("".join(t.text or "" for t in inline.iter(S + "t")) if inline is not None else (v.text if v is not None else ""))
            cells[col] = text
        rows.append([cells.get(chr(65 + i), "") for i in range(max([ord(k[-1]) - 64 for k in cells] or [0]))])
    pane = ws.find(f"{S}sheetViews/{S}sheetView/{S}pane")
    out.append({
        "name": sheet.get("name"), "rows": rows,
        "frozen": pane is not None and pane.get("state") == "frozen",
        "lists": [dv.find(S + "formula1").text for dv in ws.iter(S + "dataValidation") if dv.get("type") == "list"],
        "rules": sum(1 for _ in ws.iter(S + "cfRule")),
        "tables": sum(1 for _ in ws.iter(S + "tablePart")),
    })
print(json.dumps(out))
"#;

#[test]
fn excel_has_a_sheet_per_tracker_with_lists_frozen_headers_and_tables() {
    for example in [CRM_EXAMPLE, "erp-finance.toml"] {
        let sb = rendered(example, "plan.xlsx");
        let sheets: Value = serde_json::from_str(&python(
            &format!("{XLSX_OPEN}{XLSX_PROBE}"),
            &sb.file("plan.xlsx"),
        ))
        .unwrap();
        let sheets = sheets.as_array().unwrap();
        let names: Vec<&str> = sheets.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Stakeholders",
                "Communication",
                "Resistance",
                "Metrics",
                "Milestones",
                "Review",
                "About"
            ],
            "{example}"
        );
        let sheet = |name: &str| sheets.iter().find(|s| s["name"] == name).unwrap();
        for name in &names[..6] {
            let s = sheet(name);
            assert_eq!(s["frozen"], true, "{name}: header row frozen");
            assert_eq!(s["tables"], 1, "{name}: an Excel table");
        }
        let people = sheet("Stakeholders");
        let header: Vec<&str> = people["rows"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(
            header,
            [
                "Name",
                "Title",
                "Group",
                "Influence",
                "Interest",
                "Stance",
                "Notes",
                "Desired stance",
                "Owner",
                "Next action"
            ]
        );
        let lists = people["lists"].to_string();
        assert_contains(&lists, "resistant", "stance drop-down");
        assert_contains(&lists, "high", "influence drop-down");
        assert!(
            people["rules"].as_u64().unwrap() >= 2,
            "resistant/unaware colours"
        );
        assert!(
            sheet("Metrics")["rules"].as_u64().unwrap() >= 1,
            "red/amber/green"
        );
        let comms = sheet("Communication")["rows"].as_array().unwrap().clone();
        let groups = if example == CRM_EXAMPLE { 5 } else { 4 };
        assert!(comms.len() > groups, "a row per group");
        assert_eq!(comms[1][1], HOSTILE, "hostile text kept as text");
        let long = comms[1].as_array().unwrap().iter();
        assert!(
            long.filter_map(Value::as_str)
                .any(|c| c.trim() == long_cell().trim()),
            "the 2,000-character cell, whole"
        );
        let about = sheet("About")["rows"].to_string();
        assert_contains(&about, "Generated", "what and when");
    }
}

#[test]
fn csv_cells_that_start_like_formulas_are_shown_never_run() {
    // Project data and a model's answer that a spreadsheet would run as formulas.
    let sb = pasted(CRM_EXAMPLE, &[]);
    let text = sb
        .read("plan-ai.toml")
        .replace(
            "name = \"Sales CRM rollout 2027\"",
            "name = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"open\\\")\"",
        )
        .replace("notes = \"sponsor;", "notes = \"@SUM(1+1) sponsor;")
        .replace(
            "name = \"Margaret Ellison\"",
            "name = \"+1+cmd|' /C calc'!A0\"",
        );
    sb.write("plan-ai.toml", &text);
    sb.run(&["render", "--format", "csv", "--allow-partial"])
        .expect(6);
    let people = std::fs::read_to_string(sb.file("plan-csv/stakeholders.csv")).unwrap();
    assert_contains(&people, "\n'+1+cmd|' /C calc'!A0,", "the name, inert");
    assert_contains(&people, "'@SUM(1+1) sponsor;", "the note, inert");
    let status = sb
        .run(&["portfolio", "status", ".", "--csv"])
        .expect(0)
        .stdout();
    assert_contains(&status, "'=HYPERLINK(", "the project's name, inert");
    for row in people.lines().chain(status.lines()) {
        for cell in row.trim_start_matches('\u{feff}').split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell} in {row}");
        }
    }
    // In Excel the same cells are text, never a formula (no <f> element in any sheet).
    sb.run(&[
        "render",
        "--format",
        "xlsx",
        "--allow-partial",
        "-o",
        "plan.xlsx",
    ])
    .expect(6);
    let probe = format!(
        "{XLSX_OPEN}{}",
        r#"
import io
formulas = sum(1 for n in z.namelist() if n.startswith("xl/worksheets/sheet") for _ in ET.fromstring(z.read(n)).iter(S + "f"))
print(json.dumps({"formulas": formulas, "texts": shared}))
"#
    );
    let v: Value = serde_json::from_str(&python(&probe, &sb.file("plan.xlsx"))).unwrap();
    assert_eq!(v["formulas"], 0, "no formula in the workbook");
    let texts = v["texts"].to_string();
    assert_contains(&texts, "+1+cmd|' /C calc'!A0", "the name, as text");
}
