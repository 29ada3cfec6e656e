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

/// The English catalog says what the renderers say today, column by column: the keys the
/// render pass reads in their place.
#[test]
fn the_english_catalog_has_the_columns_the_renderers_show() {
    use crate::sections::{communication, metrics, resistance};
    let en = Language::english();
    let keys = |ks: &[&str]| -> Vec<String> {
        ks.iter()
            .map(|k| en.t(&format!("column.{k}")).to_string())
            .collect()
    };
    let register = [
        "name",
        "title",
        "group",
        "influence",
        "interest",
        "stance",
        "notes",
    ];
    assert_eq!(keys(&register), REGISTER_COLUMNS);
    let review = [
        "section",
        "check",
        "result",
        "row",
        "finding",
        "why_it_matters",
        "what_to_do",
    ];
    assert_eq!(keys(&review), REVIEW_COLUMNS);
    let points = [
        "resistance_point",
        "roles_affected",
        "underlying_reason",
        "tactics",
        "who_acts",
        "when",
        "early_warning_sign",
    ];
    assert_eq!(keys(&points), resistance::COLUMNS);
    let measures = [
        "metric",
        "what_it_measures",
        "dimension",
        "target",
        "baseline",
        "how_to_collect",
        "cadence",
        "owner",
        "low_scores_indicate",
    ];
    assert_eq!(keys(&measures), metrics::COLUMNS);
    let matrix = [
        "need_to_know",
        "when",
        "frequency",
        "channel",
        "delivered_by",
        "action_wanted",
        "how_feedback",
    ];
    let headers: Vec<&str> = communication::COLUMNS.iter().map(|(_, h)| *h).collect();
    assert_eq!(keys(&matrix), headers);
    assert_eq!(en.t("column.audience"), "Audience");
}
