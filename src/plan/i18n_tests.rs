//! The plan's language: its accessors, and the English catalog pinned to the English the
//! renderers and the review write today (the keys the render pass reads in their place).

use super::*;
use crate::i18n::{Language, Shipped};

#[test]
fn the_plan_speaks_its_language() {
    let plan = Plan::assemble(
        &Project::default(),
        &[],
        &Store::open(tempfile::tempdir().unwrap().path()).unwrap(),
    );
    assert_eq!(plan.t("heading.review"), "Review");
    let plan = plan.in_language(Language::shipped(Shipped::De));
    assert_eq!(plan.t("heading.review"), "Prüfung");
    assert_eq!(
        plan.term(crate::project::Stance::Supportive),
        "unterstützend"
    );
    assert_eq!(plan.term(review::Verdict::Fail), "nicht erfüllt");
    assert_eq!(
        plan.language.long_date("2027-03-08").as_deref(),
        Some("8. März 2027")
    );
}

#[test]
fn every_check_has_its_texts_in_every_catalog_and_english_is_todays() {
    for s in Shipped::ALL {
        let lang = Language::shipped(s);
        for c in review::checks::CHECKS {
            for part in ["why", "hint", "passed"] {
                let key = format!("check.{}.{part}", c.id);
                assert!(lang.message(&key).is_some(), "{s:?} {key}");
            }
        }
    }
    let en = Language::english();
    for c in review::checks::CHECKS {
        assert_eq!(en.t(&format!("check.{}.why", c.id)), c.why, "{}", c.id);
        assert_eq!(en.t(&format!("check.{}.hint", c.id)), c.hint, "{}", c.id);
        assert_eq!(
            en.t(&format!("check.{}.passed", c.id)),
            c.passed,
            "{}",
            c.id
        );
    }
}

/// Every table's columns are catalog keys: English reads as the renderers always wrote, and
/// every shipped catalog has each of them.
#[test]
fn the_tables_columns_read_as_before_in_english_and_exist_in_every_catalog() {
    use crate::sections::{communication, engagement, metrics, resistance, table::headers};
    let en = Language::english();
    let matrix: Vec<&str> = communication::COLUMNS.iter().map(|(_, h)| *h).collect();
    let tables: [(&[&str], &str); 6] = [
        (
            &REGISTER_COLUMNS,
            "Name|Title|Group|Influence|Interest|Stance|Notes",
        ),
        (
            &REVIEW_COLUMNS,
            "Section|Check|Result|Row|Finding|Why it matters|What to do",
        ),
        (
            resistance::COLUMNS,
            "Resistance point|Roles affected|Underlying reason|Tactics before go-live|Who acts|When|Early-warning sign",
        ),
        (
            metrics::COLUMNS,
            "Metric|What it measures|Dimension|Target|Baseline|How to collect|Cadence|Owner|Low scores indicate",
        ),
        (
            &matrix,
            "What they need to know|When|Frequency|Channel|Who delivers|Action wanted|How feedback comes back",
        ),
        (
            engagement::COLUMNS,
            "Stakeholder|Stance: now → target|What matters to them|Engagement actions|Who engages them|When|Sign of progress",
        ),
    ];
    for (keys, english) in tables {
        assert_eq!(headers(keys, &en).join("|"), english);
        for s in Shipped::ALL {
            for k in keys {
                assert!(s.catalog().get(k).is_some(), "{s:?} {k}");
            }
        }
    }
    let de = Language::shipped(Shipped::De);
    assert_eq!(
        headers(resistance::COLUMNS, &de)[0..2],
        ["Widerstandspunkt", "Betroffene Rollen"]
    );
}

/// The plan in German: built-in headings (unless a template renamed them), tables' headers and
/// enum values, what to double-check, and how a version was made.
#[test]
fn a_plan_in_german_shows_its_tables_headings_and_warnings_in_german() {
    use crate::sections::{Structure, Structured};
    let p = crate::project::parse(
        std::path::Path::new("crm.toml"),
        include_str!("../../examples/crm-manufacturer.toml"),
    )
    .unwrap()
    .project;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let answer = include_str!("../../tests/data/review/crm-good-metrics.json");
    let structure = Structure::built_in(Kind::Metrics, &p);
    let filled = crate::prompts::FilledPrompt {
        section: "metrics".into(),
        title: "Success metrics".into(),
        messages: vec![crate::chat::Message::user("p")],
    };
    let record = StoredSection::from_paste(&filled, answer, Some(&structure), &p).unwrap();
    store.save(&record).unwrap();
    let planned = [Planned {
        filled,
        structure: Some(structure),
    }];
    let english = Plan::assemble(&p, &planned, &store);
    let plan = english.clone().in_language(Language::shipped(Shipped::De));
    let s = plan.section("metrics").unwrap();
    assert_eq!(s.title, "Erfolgskennzahlen");
    let a = s.answer.as_ref().unwrap();
    assert!(
        a.text.contains("| Kennzahl | Was sie misst | Dimension |"),
        "{}",
        a.text
    );
    assert!(a.text.contains("| Nutzungsgrad |"), "{}", a.text);
    assert_eq!(a.how, "eingefügt");
    assert_eq!(a.settings, "aus einem Chat-Werkzeug eingefügt");
    // English is as it was, and a title a template chose stays.
    let e = english.section("metrics").unwrap();
    assert!(
        e.answer
            .as_ref()
            .unwrap()
            .text
            .contains("| Metric | What it measures |")
    );
    let mut renamed = english.clone();
    renamed.sections[0].title = "Adoption KPIs".into();
    let renamed = renamed.in_language(Language::shipped(Shipped::De));
    assert_eq!(renamed.sections[0].title, "Adoption KPIs");
    // What to double-check, in German.
    let Some(Structured::Metrics(m)) = &a.structured else {
        panic!("structured")
    };
    let mut m = m.clone();
    m.metrics[0].metric = "Weekly logins".into();
    let warnings = Structured::Metrics(m).warnings_in(&p, &plan.language);
    assert!(
        warnings[0].starts_with("Die Kennzahl „Weekly logins“ zählt Anmeldungen"),
        "{warnings:?}"
    );
}
