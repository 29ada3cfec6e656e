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
    std::fs::copy(example(CRM_EXAMPLE), sb.file("p/sub/crm.toml")).unwrap();
    let run = sb.run(&["check", "-p", "p/sub/crm.toml"]).expect(0);
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
