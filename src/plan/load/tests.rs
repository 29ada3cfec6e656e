//! The rule on a case computed by hand: two projects on one ward-manager group (spelled two
//! ways), a low-impact group with its own dates.
//!
//! A: go-live Monday 1 March 2027 (2027-W09), milestone 19 February (W07); ward managers high
//! (10) from W03 to W17, double in W07 and W09.
//! B: go-live 10 March 2027 (W10); "ward-managers" medium (5) from W04 to W18, double in W10;
//! service desk low (1) from 8 to 21 March (W10–W11), double in W10.

use super::*;
use crate::text::days_from_civil;

fn d(y: i64, m: u32, day: u32) -> i64 {
    days_from_civil(y, m, day)
}

fn group(name: &str, impact: Level, from: Option<i64>, to: Option<i64>) -> GroupImpact {
    GroupImpact {
        name: name.into(),
        impact,
        stated: true,
        from,
        to,
    }
}

fn projects() -> Vec<ProjectLoad> {
    vec![
        ProjectLoad {
            name: "A".into(),
            launch: Some(d(2027, 3, 1)),
            milestones: vec![d(2027, 2, 19)],
            groups: vec![group("Ward managers", Level::High, None, None)],
        },
        ProjectLoad {
            name: "B".into(),
            launch: Some(d(2027, 3, 10)),
            milestones: vec![],
            groups: vec![
                group("ward-managers", Level::Medium, None, None),
                group(
                    "Service desk",
                    Level::Low,
                    Some(d(2027, 3, 8)),
                    Some(d(2027, 3, 21)),
                ),
            ],
        },
    ]
}

/// Score and heat of `group` in the period labelled `label`.
fn cell(map: &Heatmap, group: &str, label: &str) -> (u32, Heat) {
    let g = map.groups.iter().find(|g| g.group == group).unwrap();
    let i = map.labels().iter().position(|l| l == label).unwrap();
    (g.cells[i].score, map.heat(&g.cells[i]))
}

#[test]
fn weeks_window_edges_double_weeks_and_the_case_merge() {
    let map = heatmap(&projects(), &Settings::default(), By::Week, None, None);
    let labels = map.labels();
    assert_eq!(labels.first().unwrap(), "2027-W03");
    assert_eq!(labels.last().unwrap(), "2027-W18");
    assert_eq!(
        map.groups.len(),
        2,
        "ward managers merged, service desk apart"
    );
    let cases = [
        ("Ward managers", "2027-W03", 10, Heat::Amber),
        ("Ward managers", "2027-W04", 15, Heat::Amber),
        ("Ward managers", "2027-W07", 25, Heat::Red),
        ("Ward managers", "2027-W08", 15, Heat::Amber),
        ("Ward managers", "2027-W09", 25, Heat::Red),
        ("Ward managers", "2027-W10", 20, Heat::Red),
        ("Ward managers", "2027-W17", 15, Heat::Amber),
        ("Ward managers", "2027-W18", 5, Heat::Green),
        ("Service desk", "2027-W09", 0, Heat::Green),
        ("Service desk", "2027-W10", 2, Heat::Green),
        ("Service desk", "2027-W11", 1, Heat::Green),
        ("Service desk", "2027-W12", 0, Heat::Green),
    ];
    for (group, label, score, heat) in cases {
        assert_eq!(cell(&map, group, label), (score, heat), "{group} {label}");
    }
    let ward = map
        .groups
        .iter()
        .find(|g| g.group == "Ward managers")
        .unwrap();
    assert_eq!(ward.aliases, ["ward-managers"]);
    let w09 = &ward.cells[map.labels().iter().position(|l| l == "2027-W09").unwrap()];
    let reasons: Vec<Reason> = w09.shares.iter().map(|s| s.reason).collect();
    assert_eq!(reasons, [Reason::GoLive, Reason::Window]);
}

#[test]
fn months_count_each_project_once_and_double_for_a_go_live_or_milestone() {
    let map = heatmap(&projects(), &Settings::default(), By::Month, None, None);
    assert_eq!(
        map.labels(),
        ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]
    );
    let cases = [
        ("2027-01", 15, Heat::Amber),
        ("2027-02", 25, Heat::Red),
        ("2027-03", 30, Heat::Red),
        ("2027-04", 15, Heat::Amber),
        ("2027-05", 15, Heat::Amber),
    ];
    for (label, score, heat) in cases {
        assert_eq!(cell(&map, "Ward managers", label), (score, heat), "{label}");
    }
}

#[test]
fn thresholds_weights_aliases_and_a_range() {
    let mut settings = Settings {
        thresholds: Thresholds { amber: 16, red: 26 },
        ..Settings::default()
    };
    settings.weights.high = 11;
    settings.groups.insert(
        "Ward managers".into(),
        settings::GroupSettings {
            aliases: vec!["Service desk".into()],
        },
    );
    let from = parse_day("2027-W09");
    let to = parse_day("2027-W10");
    let map = heatmap(&projects(), &settings, By::Week, from, to);
    assert_eq!(map.labels(), ["2027-W09", "2027-W10"]);
    assert_eq!(map.groups.len(), 1, "the alias merged the service desk in");
    // W09: A's go-live 22 + B 5; W10: A 11 + B's go-live 10 + the desk's 2.
    assert_eq!(cell(&map, "Ward managers", "2027-W09"), (27, Heat::Red));
    assert_eq!(cell(&map, "Ward managers", "2027-W10"), (23, Heat::Amber));
    let collisions = map.collisions();
    assert_eq!(collisions.len(), 2);
    assert_eq!(map.names(collisions[1].shares), ["A", "B"]);
}

#[test]
fn periods_and_dates_are_read_in_three_forms() {
    assert_eq!(parse_day("2027-W09"), Some(d(2027, 3, 1)));
    assert_eq!(parse_day("2027-03"), Some(d(2027, 3, 1)));
    assert_eq!(parse_day("2027-03-10"), Some(d(2027, 3, 10)));
    for bad in ["2027-W54", "2027-13", "March", "2027-02-30x", ""] {
        assert_eq!(parse_day(bad), None, "{bad}");
    }
}

#[test]
fn a_project_without_dates_is_said_and_a_missing_impact_noted() {
    let mut p = projects();
    p[0].launch = None;
    p[1].groups[0].stated = false;
    let map = heatmap(&p, &Settings::default(), By::Week, None, None);
    assert_eq!(map.unplaced, ["A"]);
    assert_eq!(map.unstated, ["B"]);
}

#[test]
fn the_json_has_the_documented_shape() {
    let map = heatmap(&projects(), &Settings::default(), By::Week, None, None);
    let v: serde_json::Value = serde_json::from_str(&map.to_json()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["periods", "thresholds", "groups", "collisions"]);
    assert_eq!(v["thresholds"], serde_json::json!({"amber": 10, "red": 20}));
    let periods = v["periods"].as_array().unwrap().len();
    for g in v["groups"].as_array().unwrap() {
        assert_eq!(
            g["cells"].as_array().unwrap().len(),
            periods,
            "every period, empty too"
        );
    }
    let cell = &v["groups"][1]["cells"][6];
    assert_eq!(cell["period"], "2027-W09");
    assert_eq!(cell["level"], "red");
    assert_eq!(
        cell["projects"][0],
        serde_json::json!({"project": "A", "impact": "high", "reason": "go-live"})
    );
    assert_eq!(v["collisions"][0]["projects"], serde_json::json!(["A"]));
}

#[test]
fn a_plan_names_the_other_projects_on_its_groups_while_its_change_lands() {
    let mut loads = projects();
    // C lands on the service desk long after B's window there: not overlapping.
    loads.push(ProjectLoad {
        name: "C".into(),
        launch: Some(d(2027, 10, 4)),
        milestones: vec![],
        groups: vec![group("Service desk", Level::High, None, None)],
    });
    let map = heatmap(&loads, &Settings::default(), By::Week, None, None);
    let names = |o: &OtherChanges| -> Vec<(String, Option<String>)> {
        o.projects
            .iter()
            .map(|p| (p.project.clone(), p.go_live.clone()))
            .collect()
    };
    let a = map.others_for(0, &loads);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].group, "Ward managers");
    assert_eq!(
        names(&a[0]),
        [("B".to_string(), Some("2027-W10".to_string()))]
    );
    // B: the ward managers overlap with A; the service desk with nobody (C comes later).
    let b = map.others_for(1, &loads);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(
        names(&b[0]),
        [("A".to_string(), Some("2027-W09".to_string()))]
    );
    assert!(map.others_for(2, &loads).is_empty());
    assert!(
        map.others_for(9, &loads).is_empty(),
        "an index out of range"
    );
}

#[test]
fn a_plan_among_many_names_the_nearest_go_lives_and_counts_the_rest() {
    // Me (index 0) and 30 others on one group, go-lives a week apart either side of mine,
    // and one with no launch date but an impact window over mine.
    let mine = d(2027, 3, 1);
    let on_group = |name: String, launch: Option<i64>| ProjectLoad {
        name,
        launch,
        milestones: vec![],
        groups: vec![match launch {
            Some(_) => group("Field sales", Level::Medium, None, None),
            None => group("Field sales", Level::Low, Some(mine - 7), Some(mine + 7)),
        }],
    };
    let mut loads = vec![on_group("Me".into(), Some(mine))];
    for k in 1..=15i64 {
        loads.push(on_group(format!("Later {k:02}"), Some(mine + 7 * k)));
        loads.push(on_group(format!("Earlier {k:02}"), Some(mine - 7 * k)));
    }
    loads.push(on_group("Undated".into(), None));
    let map = heatmap(&loads, &Settings::default(), By::Week, None, None);
    let others = map.others_for(0, &loads);
    assert_eq!(others.len(), 1);
    let names: Vec<&str> = others[0]
        .projects
        .iter()
        .map(|p| p.project.as_str())
        .collect();
    // Windows reach 6 weeks before and 8 after a go-live, so mine is W03–W17: "Earlier k"
    // (W03-k to W17-k) and "Later k" (W03+k to W17+k) overlap it for k up to 14, and the
    // undated one does: 29 in all.
    assert_eq!(
        names,
        [
            "Earlier 01",
            "Later 01",
            "Earlier 02",
            "Later 02",
            "Earlier 03",
            "Later 03",
            "Earlier 04",
            "Later 04"
        ],
        "the nearest go-lives first, ties by name"
    );
    assert_eq!(names.len(), OTHERS_SHOWN);
    assert_eq!(others[0].more + OTHERS_SHOWN, 29, "{others:?}");
}
