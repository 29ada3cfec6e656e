//! The plan in every format its readers open, read back with independent readers: Python's
//! own HTML parser and csv module, and the zip and XML inside Word and Excel files. Both
//! example projects, complete and with missing sections, and answers full of hostile text.

mod support;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use support::dialects::fill_schema;
use support::*;

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
        sb.run_stdin(&["paste", id, "-"], &answer.to_string())
            .expect(0);
    }
    sb
}

fn python(script: &str, arg: &Path) -> String {
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
        let sb = pasted(example, &["resistance", "communication", "metrics"]);
        sb.run(&["render", "-o", "plan.html"]).expect(0);
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
        // Document control, roles, the register, and the three structured sections.
        assert!(count("table") >= 6, "{probe}");
        assert_contains(
            &probe,
            "<script>alert(1)</script> | pipes | emoji 👍🏽 and שלום עולם",
            "the text shown as text",
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
