//! The review calibrated on plans written as a capable model writes them: for each example a
//! good plan (scores high, fails nothing) and a degraded one with the eight defects
//! practitioners send back (each is flagged).

use super::checks::*;
use super::*;
use crate::project::Project;
use crate::prompts::FilledPrompt;
use crate::run::section::Planned;
use crate::run::{Store, StoredSection};
use crate::sections::{Kind, Structure};

fn example(name: &str) -> Project {
    let text = match name {
        "crm" => include_str!("../../../examples/crm-manufacturer.toml"),
        _ => include_str!("../../../examples/erp-finance.toml"),
    };
    crate::project::parse(std::path::Path::new("p.toml"), text)
        .unwrap()
        .project
}

fn fixture(example: &str, quality: &str, kind: Kind) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/review");
    // The degraded plans' defects are in the article's three sections; both plans share
    // one engagement answer.
    let quality = if kind == Kind::Engagement {
        "good"
    } else {
        quality
    };
    let path = format!("{dir}/{example}-{quality}-{}.json", kind.id());
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The plan with each section's answer pasted (structured), or missing where `answer` says.
fn plan_of(p: &Project, answer: &dyn Fn(Kind) -> Option<String>) -> Plan {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let planned: Vec<Planned> = Kind::ALL
        .into_iter()
        .map(|kind| {
            let structure = Structure::built_in(kind, p);
            let filled = FilledPrompt {
                section: kind.id().into(),
                title: kind.id().into(),
                messages: vec![crate::chat::Message::user("the prompt")],
            };
            if let Some(text) = answer(kind) {
                let record = StoredSection::from_paste(&filled, &text, Some(&structure), p);
                store.save(&record.unwrap()).unwrap();
            }
            Planned {
                filled,
                structure: Some(structure),
            }
        })
        .collect();
    Plan::assemble(p, &planned, &store)
}

fn reviewed(example_name: &str, quality: &str) -> Review {
    let p = example(example_name);
    let plan = plan_of(&p, &|kind| Some(fixture(example_name, quality, kind)));
    Review::of(&plan, &Facts::default())
}

fn failing(review: &Review) -> Vec<String> {
    review
        .problems()
        .map(|f| {
            format!(
                "{} {} {:?}: {}",
                f.verdict.as_str(),
                f.check.id,
                f.item,
                f.message
            )
        })
        .collect()
}

#[test]
fn a_good_plan_scores_high_and_fails_nothing() {
    for example_name in ["crm", "erp"] {
        let review = reviewed(example_name, "good");
        let problems = failing(&review);
        assert_eq!(
            review.count(Verdict::Fail),
            0,
            "{example_name}: {problems:#?}"
        );
        assert!(
            review.score >= 90,
            "{example_name}: {} {problems:#?}",
            review.score
        );
    }
}

#[test]
fn a_degraded_plan_has_each_of_the_eight_defects_flagged() {
    // (example, the row each defect sits in)
    let cases = [
        (
            "crm",
            "field sales representatives",
            "The North region keeps running its own forecast workbook after go-live",
            "Weekly logins",
            "Quotes built from price books",
            "Pipeline reviews run from dashboards",
        ),
        (
            "erp",
            "clinic managers",
            "Clinic managers see phone approvals as time taken from patients",
            "ERP logins",
            "Approval waiting time",
            "Invoices matched without paper",
        ),
    ];
    for (example_name, group, point, login, no_baseline, no_owner) in cases {
        let review = reviewed(example_name, "degraded");
        let flagged = |id: &str, item: Option<&str>, verdict: Verdict| {
            review
                .findings
                .iter()
                .any(|f| f.check.id == id && f.item.as_deref() == item && f.verdict == verdict)
        };
        let defects = [
            ("the 70% myth", PLAN_MYTHS.id, None, Verdict::Fail),
            (
                "a point owned by the project team",
                RESISTANCE_OWNER.id,
                Some(point),
                Verdict::Fail,
            ),
            (
                "\"as needed\"",
                RESISTANCE_WHEN.id,
                Some(point),
                Verdict::Warn,
            ),
            (
                "stock tactics",
                RESISTANCE_TACTICS.id,
                Some(point),
                Verdict::Warn,
            ),
            (
                "reached once",
                COMMS_TOUCHPOINTS.id,
                Some(group),
                Verdict::Fail,
            ),
            ("no way back", COMMS_FEEDBACK.id, Some(group), Verdict::Warn),
            (
                "high adoption",
                METRICS_TARGET.id,
                Some(login),
                Verdict::Fail,
            ),
            (
                "an empty baseline",
                METRICS_BASELINE.id,
                Some(no_baseline),
                Verdict::Warn,
            ),
            (
                "an empty owner",
                METRICS_OWNER.id,
                Some(no_owner),
                Verdict::Fail,
            ),
            (
                "a project-team sender",
                COMMS_SENDER.id,
                Some(group),
                Verdict::Fail,
            ),
            (
                "a login metric",
                METRICS_VANITY.id,
                Some(login),
                Verdict::Fail,
            ),
        ];
        for (what, id, item, verdict) in defects {
            assert!(
                flagged(id, item, verdict),
                "{example_name}: {what} ({id} {item:?}) not flagged: {:#?}",
                failing(&review)
            );
        }
        // A newsletter alone is flagged for a large group (the CRM's 42 reps).
        let large = example(example_name)
            .groups
            .iter()
            .any(|g| g.name == group && g.size.is_some_and(|n| n >= 20));
        assert_eq!(
            flagged(COMMS_LIVE.id, Some(group), Verdict::Warn),
            large,
            "{example_name}"
        );
        assert!(
            review.score <= CAP_WITH_FAILS,
            "{example_name}: {}",
            review.score
        );
        assert!(review.score < reviewed(example_name, "good").score);
    }
}

#[test]
fn missing_and_prose_sections_are_said() {
    let p = example("crm");
    let plan = plan_of(&p, &|kind| match kind {
        Kind::Metrics => None,
        Kind::Resistance => Some("Just prose about resistance.".into()),
        Kind::Communication | Kind::Engagement => Some(fixture("crm", "good", kind)),
    });
    let review = Review::of(&plan, &Facts::default());
    let about = |id: &str, section: &str| {
        review
            .findings
            .iter()
            .find(|f| f.check.id == id && f.section == section)
            .map(|f| f.verdict)
    };
    assert_eq!(about(PLAN_COMPLETE.id, "metrics"), Some(Verdict::Fail));
    assert_eq!(about(PLAN_STRUCTURED.id, "resistance"), Some(Verdict::Warn));
    assert_eq!(
        about(PLAN_STRUCTURED.id, "communication"),
        Some(Verdict::Pass)
    );
    assert!(
        !review
            .findings
            .iter()
            .any(|f| f.check.id == METRICS_OWNER.id)
    );
}

#[test]
fn names_and_staleness_depend_on_the_facts() {
    let p = example("crm");
    let mut answer = fixture("crm", "good", Kind::Resistance);
    answer = answer.replace(
        "the Chief Commercial Officer on the ownership rules",
        "Derek Holloway on the ownership rules",
    );
    let plan = plan_of(&p, &|kind| match kind {
        Kind::Resistance => Some(answer.clone()),
        kind => Some(fixture("crm", "good", kind)),
    });
    let names = |facts: &Facts| {
        Review::of(&plan, facts)
            .findings
            .into_iter()
            .filter(|f| f.check.id == PLAN_NAMES.id && f.verdict == Verdict::Fail)
            .count()
    };
    assert_eq!(names(&Facts::default()), 1, "a name that was never sent");
    let shared = Facts {
        people_shared: true,
        ..Facts::default()
    };
    assert_eq!(names(&shared), 0, "names sent on purpose");
    let later = Facts {
        project_changed: Some(std::time::SystemTime::now() + std::time::Duration::from_secs(60)),
        ..Facts::default()
    };
    let stale = Review::of(&plan, &later)
        .findings
        .into_iter()
        .filter(|f| f.check.id == PLAN_STALE.id && f.verdict == Verdict::Warn)
        .count();
    assert_eq!(stale, 4);
}

#[test]
fn the_score_weighs_checks_not_rows() {
    let f = |check: &'static Check, verdict| judged(check, None, verdict, String::new());
    use Verdict::*;
    let cases: Vec<(Vec<Finding>, u8)> = vec![
        (vec![], 0),
        (vec![f(&COMMS_SENDER, Pass), f(&COMMS_FEEDBACK, Pass)], 100),
        // A warn check at half: (3·1 + 1·0.5) / 4.
        (
            vec![
                f(&COMMS_SENDER, Pass),
                f(&COMMS_FEEDBACK, Pass),
                f(&COMMS_FEEDBACK, Warn),
            ],
            88,
        ),
        // One fail of five rows: (3·0.8 + 1) / 4 = 85, less 5, capped at 69.
        (
            vec![
                f(&COMMS_SENDER, Pass),
                f(&COMMS_SENDER, Pass),
                f(&COMMS_SENDER, Pass),
                f(&COMMS_SENDER, Pass),
                f(&COMMS_SENDER, Fail),
                f(&COMMS_FEEDBACK, Pass),
            ],
            69,
        ),
        (vec![f(&COMMS_SENDER, Fail), f(&COMMS_FEEDBACK, Warn)], 0),
        // Half the weight earned, two failing checks: 50 - 10.
        (
            vec![
                f(&COMMS_SENDER, Fail),
                f(&RESISTANCE_OWNER, Fail),
                f(&COMMS_FEEDBACK, Pass),
                f(&COMMS_WHEN, Pass),
                f(&COMMS_LIVE, Pass),
                f(&PLAN_STALE, Pass),
                f(&PLAN_DATES, Pass),
                f(&PLAN_CHAMPIONS, Pass),
            ],
            40,
        ),
    ];
    for (findings, want) in cases {
        assert_eq!(score(&findings), want, "{findings:?}");
    }
}

#[test]
fn the_json_has_exactly_the_documented_shape() {
    let review = reviewed("crm", "degraded");
    let v: serde_json::Value = serde_json::from_str(&review.to_json()).unwrap();
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, ["score", "findings"]);
    assert_eq!(v["score"], review.score);
    for f in v["findings"].as_array().unwrap() {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["check", "level", "section", "item", "message", "hint"]
        );
        assert!(["pass", "warn", "fail"].contains(&f["level"].as_str().unwrap()));
        assert!(f["item"].is_string() || f["item"].is_null());
    }
    let passes = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] == "pass");
    assert!(passes.count() > 10, "passing checks are listed too");
}

#[test]
fn the_readme_lists_every_check_as_the_table_says() {
    let readme = include_str!("../../../README.md");
    for line in markdown_table().lines().skip(2) {
        assert!(readme.contains(line), "README lacks: {line}");
    }
}

#[test]
fn every_check_is_in_the_table_once() {
    let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), CHECKS.len());
    let table = markdown_table();
    for c in CHECKS {
        assert!(table.contains(&format!("`{}`", c.id)));
    }
}

#[test]
fn the_review_of_a_plan_in_german_says_its_findings_in_german() {
    use crate::i18n::{Language, Shipped};
    let p = example("crm");
    let plan = plan_of(&p, &|kind| Some(fixture("crm", "degraded", kind)));
    let english = Review::of(&plan, &Facts::default());
    let german = Review::of(
        &plan.in_language(Language::shipped(Shipped::De)),
        &Facts::default(),
    );
    // The same findings and score; only the words differ.
    assert_eq!(english.score, german.score);
    let verdicts = |r: &Review| -> Vec<(&str, Verdict)> {
        r.findings.iter().map(|f| (f.check.id, f.verdict)).collect()
    };
    assert_eq!(verdicts(&english), verdicts(&german));
    let said = |r: &Review, id: &str, verdict: Verdict| -> String {
        let f = r
            .findings
            .iter()
            .find(|f| f.check.id == id && f.verdict == verdict);
        f.map(|f| f.message.clone()).unwrap_or_default()
    };
    assert_eq!(
        said(&english, "plan.champions", Verdict::Pass),
        "has a champion"
    );
    assert_eq!(
        said(&german, "plan.champions", Verdict::Pass),
        "hat einen Multiplikator"
    );
    assert!(
        said(&german, "metrics.vanity", Verdict::Fail)
            .starts_with("„Weekly logins“ zählt Anmeldungen"),
        "{}",
        said(&german, "metrics.vanity", Verdict::Fail)
    );
    assert!(
        said(&english, "metrics.vanity", Verdict::Fail)
            .starts_with("\"Weekly logins\" counts logins")
    );
}
