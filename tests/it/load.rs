//! `plan-ai portfolio load`: change load per group and period across a folder of projects, as
//! a table (coloured, or marked without colour), JSON and CSV, with the settings file, aliases,
//! a broken project skipped, and no request.

use crate::support::*;
use serde_json::Value;

/// Three rollouts on overlapping groups, and a settings file that makes "Nurse unit managers"
/// the same group as "Ward managers".
fn portfolio() -> Sandbox {
    let sb = Sandbox::new();
    let project = |name: &str, launch: &str, groups: &str| {
        format!(
            "[project]\nname = \"{name}\"\nlaunch_date = {launch}\n[[milestones]]\nname = \"pilot\"\ndate = {launch}\n{groups}"
        )
    };
    sb.write(
        "p/ward-app.toml",
        &project(
            "Ward rota app",
            "2027-03-01",
            "[[groups]]\nname = \"Ward managers\"\nimpact = \"high\"\n[[groups]]\nname = \"Service desk\"\nimpact = \"low\"\n",
        ),
    );
    sb.write(
        "p/emr.toml",
        &project(
            "Electronic records",
            "2027-03-10",
            "[[groups]]\nname = \"nurse unit managers\"\nimpact = \"medium\"\n[[groups]]\nname = \"service-desk\"\nimpact = \"high\"\n",
        ),
    );
    sb.write(
        "p/finance.toml",
        &project(
            "Finance close",
            "2027-09-01",
            "[[groups]]\nname = \"Finance team\"\n",
        ),
    );
    sb.write(
        "p/portfolio.toml",
        "[thresholds]\namber = 10\nred = 20\n[groups.\"Ward managers\"]\naliases = [\"Nurse unit managers\"]\n",
    );
    sb
}

#[test]
fn json_merges_names_and_aliases_and_lists_collisions() {
    let sb = portfolio();
    let run = sb
        .run(&["portfolio", "load", "p", "--format", "json"])
        .expect(0);
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    let groups: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["Finance team", "Service desk", "Ward managers"]);
    let ward = &v["groups"][2];
    assert_eq!(ward["aliases"], serde_json::json!(["nurse unit managers"]));
    // W10 holds the records go-live (5 × 2) while the rota app's window runs (10): red.
    let w10 = ward["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["period"] == "2027-W10")
        .unwrap();
    assert_eq!(w10["score"], 20);
    assert_eq!(w10["level"], "red");
    let collision = v["collisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["group"] == "Ward managers" && c["period"] == "2027-W10")
        .unwrap();
    assert_eq!(
        collision["projects"],
        serde_json::json!(["Electronic records", "Ward rota app"])
    );
    let err = run.stderr();
    assert_contains(&err, "Finance close", "an impact not stated is said");
    assert_lacks(
        &err,
        "portfolio.toml: ",
        "the settings file is not a project",
    );
}

/// Not a terminal (the output is captured): no colour, so each level keeps a marker.
#[test]
fn the_table_keeps_its_levels_readable_without_colour_and_months_roll_up() {
    let sb = portfolio();
    let out = sb.run(&["portfolio", "load", "p"]).expect(0).stdout();
    assert_contains(&out, "Ward managers", "the table");
    assert_contains(&out, "20!", "a red cell, marked");
    assert_contains(&out, "+", "an amber cell, marked");
    assert_contains(&out, "collisions:", "the list after the table");
    assert_lacks(&out, "\u{1b}[", "no colour");
    let months = sb
        .run(&[
            "portfolio",
            "load",
            "p",
            "--by",
            "month",
            "--from",
            "2027-02",
            "--to",
            "2027-04",
        ])
        .expect(0)
        .stdout();
    assert_contains(&months, "  02 ", "months");
    assert_lacks(&months, "W10", "months, not weeks");
}

#[test]
fn csv_has_a_row_per_group_and_period() {
    let sb = portfolio();
    let out = sb
        .run(&[
            "portfolio",
            "load",
            "p",
            "--format",
            "csv",
            "--from",
            "2027-W09",
            "--to",
            "2027-W10",
        ])
        .expect(0)
        .stdout();
    let lines: Vec<&str> = out.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "Group,Period,Score,Level,Projects");
    assert_eq!(lines.len(), 1 + 3 * 2, "{out}");
    assert!(
        lines.contains(&"Service desk,2027-W10,21,red,Electronic records; Ward rota app"),
        "{out}"
    );
}

#[test]
fn a_broken_project_is_listed_and_skipped_and_bad_flags_are_usage_errors() {
    let sb = portfolio();
    sb.write(
        "p/broken.toml",
        "[project]\nname = \"Broken\nlaunch_date = 3\n",
    );
    let run = sb
        .run(&["portfolio", "load", "p", "--format", "json"])
        .expect(3);
    assert_contains(&run.stderr(), "broken: skipped", "the broken project");
    let v: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["groups"].as_array().unwrap().len(), 3);
    sb.run(&["portfolio", "load", "p", "--from", "March"])
        .expect(2);
    sb.write("p/portfolio.toml", "[thresholds]\namber = 30\nred = 20\n");
    let run = sb.run(&["portfolio", "load", "p"]).expect(3);
    assert_contains(
        &run.stderr(),
        "portfolio.toml: thresholds must be",
        "the settings error",
    );
}

#[test]
fn check_warns_about_a_missing_impact_inside_a_portfolio_only() {
    let sb = portfolio();
    std::fs::create_dir_all(sb.file("p/sub")).unwrap();
    // The example says every group's impact but the executives'.
    let crm = std::fs::read_to_string(example(CRM_EXAMPLE)).unwrap();
    let crm = crm.replace(
        "name = \"executives\"\nimpact = \"low\"\n",
        "name = \"executives\"\n",
    );
    sb.write("p/sub/crm.toml", &crm);
    let run = sb.run(&["check", "-p", "p/sub/crm.toml"]).expect(0);
    assert_lacks(&run.stderr(), "\"IT support\" does not say", "it does");
    assert_contains(
        &run.stderr(),
        "group \"executives\" does not say its impact",
        "inside",
    );
    std::fs::remove_file(sb.file("p/portfolio.toml")).unwrap();
    let run = sb.run(&["check", "-p", "p/sub/crm.toml"]).expect(0);
    assert_lacks(
        &run.stderr(),
        "does not say its impact",
        "outside a portfolio",
    );
}

/// Python's zipfile and ElementTree on `portfolio.xlsx`'s "Change load" sheet: each cell's
/// value, the fill colour of its style, and the comment on it.
const CHANGE_LOAD_PROBE: &str = r#"
styles = ET.fromstring(z.read("xl/styles.xml"))
fills = [f.find(f"{S}patternFill/{S}fgColor") for f in styles.find(S + "fills")]
xf_fill = [int(x.get("fillId", "0")) for x in styles.find(S + "cellXfs")]
sheets = [s.get("name") for s in ET.fromstring(z.read("xl/workbook.xml")).iter(S + "sheet")]
sheet = next(s for s in ET.fromstring(z.read("xl/workbook.xml")).iter(S + "sheet") if s.get("name") == "Change load")
path = "xl/" + rels[sheet.get(R + "id")].lstrip("/").removeprefix("xl/")
ws = ET.fromstring(z.read(path))
cells = {}
for c in ws.iter(S + "c"):
    v = c.find(S + "v"); inline = c.find(S + "is")
    text = shared[int(v.text)] if c.get("t") == "s" else ("".join(t.text or "" for t in inline.iter(S + "t")) if inline is not None else (v.text if v is not None else ""))
    fg = fills[xf_fill[int(c.get("s", "0"))]]
    cells[c.get("r")] = {"value": text, "fill": fg.get("rgb") if fg is not None else None}
relpath = posixpath.join(posixpath.dirname(path), "_rels", posixpath.basename(path) + ".rels")
for r in ET.fromstring(z.read(relpath)):
    if r.get("Type").endswith("/comments"):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), r.get("Target")))
        for cm in ET.fromstring(z.read(target)).iter(S + "comment"):
            cells.setdefault(cm.get("ref"), {})["comment"] = "".join(t.text or "" for t in cm.iter(S + "t"))
print(json.dumps({"sheets": sheets, "cells": cells}))
"#;

/// `portfolio draft` on two rollouts that both land on IT support: the change load goes into
/// portfolio.md, portfolio.html and a sheet of portfolio.xlsx, and each plan names the other.
#[test]
fn a_drafted_portfolio_carries_the_load_and_each_plan_names_the_other_changes() {
    use crate::support::dialects::{Dialect, answer};
    let server = FakeServer::start(|req, _| answer(Dialect::JsonSchema, req, "load cell"));
    let sb = crate::portfolio::portfolio(&server, "");
    // The ERP go-live moves to 15 March 2027 (W11), two weeks after the CRM's (W09); both
    // hit IT support hard.
    let erp = sb
        .read("projects/erp.toml")
        .replace("launch_date = 2027-07-01", "launch_date = 2027-03-15");
    sb.write("projects/erp.toml", &erp);
    for f in ["projects/crm.toml", "projects/erp.toml"] {
        let text = sb.read(f).replace(
            "name = \"IT support\"\nimpact = \"medium\"",
            "name = \"IT support\"\nimpact = \"high\"",
        );
        sb.write(f, &text);
    }
    let run = sb.run(&["portfolio", "draft", "projects"]).expect(0);
    assert_contains(
        &run.stderr(),
        "portfolio.html",
        "the summary names every file",
    );
    let crm = sb.read("projects/crm.plan.md");
    assert_contains(
        &crm,
        "**Other changes landing on these groups**",
        "crm plan",
    );
    assert_contains(
        &crm,
        "- **IT support:** Finance ERP implementation (go-live 2027-W11).",
        "the ERP lands on IT support while the CRM does",
    );
    let md = sb.read("projects/portfolio.md");
    assert_contains(&md, "## Change load", "portfolio.md");
    assert_contains(&md, "| IT support |", "portfolio.md heatmap row");
    let html = sb.read("projects/portfolio.html");
    assert_contains(&html, "<table class=\"heat\"", "portfolio.html heatmap");
    let probe: Value = serde_json::from_str(&crate::exports::python(
        &format!("{}{CHANGE_LOAD_PROBE}", crate::exports::XLSX_OPEN),
        &sb.file("projects/portfolio.xlsx"),
    ))
    .unwrap();
    assert!(
        probe["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Change load"),
        "{probe}"
    );
    let cells = probe["cells"].as_object().unwrap();
    let row = cells
        .iter()
        .find(|(r, c)| r.starts_with('A') && c["value"] == "IT support")
        .map(|(r, _)| r[1..].to_string())
        .expect("an IT support row");
    // Columns hold ISO weeks from row 1; find W11 (ERP go-live 20 + CRM window 10 = 30: red).
    let col = cells
        .iter()
        .find(|(r, c)| r.ends_with('1') && r.len() <= 3 && c["value"] == "2027-W11")
        .map(|(r, _)| r.trim_end_matches('1').to_string())
        .expect("a 2027-W11 column");
    let w11 = &cells[&format!("{col}{row}")];
    assert_eq!(w11["value"], "30", "{w11}");
    assert_eq!(w11["fill"], "FFFFC7CE", "red fill: {w11}");
    let comment = w11["comment"].as_str().unwrap_or_default();
    assert_contains(
        comment,
        "Finance ERP implementation",
        "the comment names the projects",
    );
    assert_contains(comment, "go-live", "and why");
}

/// Escape codes in a group's or project's name never reach the terminal raw, in any format.
#[test]
fn escape_codes_in_names_never_reach_stdout() {
    let sb = Sandbox::new();
    sb.write(
        "p/a.toml",
        "[project]\nname = \"Evil\\u009b2J\\u001b]0;title\\u0007 app\"\nlaunch_date = 2027-03-01\n[[groups]]\nname = \"Ward\\u009b31m managers\\u001b[2J\\u007f\"\nimpact = \"high\"\n",
    );
    for format in ["json", "csv", "table"] {
        let out = sb
            .run(&["portfolio", "load", "p", "--format", format])
            .expect(0)
            .stdout();
        assert!(
            !out.chars()
                .any(|c| c == '\u{1b}' || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c)),
            "{format}: {out:?}"
        );
        assert_contains(&out, "managers", format);
    }
}

/// Thirty copies of the CRM rollout, each under a 2,000-character name, all on the same groups
/// in the same weeks: each plan names the eight nearest and counts the rest, and the summary's
/// workbook is written (a cell's comment listing them all once passed Excel's limit and lost
/// the whole workbook).
#[test]
fn a_crowded_portfolio_names_a_few_per_group_and_still_writes_its_workbook() {
    use crate::support::dialects::{Dialect, answer};
    let server = FakeServer::start(|req, _| answer(Dialect::JsonSchema, req, "crowd cell"));
    let sb = crate::portfolio::portfolio(&server, "");
    std::fs::remove_file(sb.file("projects/erp.toml")).unwrap();
    let crm = sb.read("projects/crm.toml");
    std::fs::remove_file(sb.file("projects/crm.toml")).unwrap();
    let long = "A very long programme name ".repeat(75);
    for i in 0..30 {
        let named = crm.replacen(
            "name = \"Sales CRM rollout 2027\"",
            &format!("name = \"{long}{i:02}\""),
            1,
        );
        sb.write(&format!("projects/site-{i:02}.toml"), &named);
    }
    sb.run(&["portfolio", "draft", "projects", "--jobs", "4"])
        .expect(0);
    let plan = sb.read("projects/site-00.plan.md");
    let line = plan
        .lines()
        .find(|l| l.starts_with("- **field sales representatives:**"))
        .unwrap_or_else(|| panic!("a field sales line in\n{plan}"));
    assert_eq!(line.matches(&long).count(), 8, "{line}");
    assert!(line.ends_with("; and 21 more at the same time."), "{line}");
    assert!(sb.file("projects/portfolio.xlsx").exists());
}
