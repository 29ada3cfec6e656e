//! Resistance planning: every role covered, someone named to act, a time for it, and tactics a
//! person could carry out.

use super::checks::{RESISTANCE_OWNER, RESISTANCE_ROLES, RESISTANCE_TACTICS, RESISTANCE_WHEN};
use super::words::{NOBODY, STOCK, is_anchored, is_placeholder};
use super::{Finding, finding};
use crate::i18n::Language;
use crate::plan::Plan;
use crate::sections::resistance::{Point, uncovered_roles};
use crate::text::contains_word;

pub fn check(plan: &Plan, out: &mut Vec<Finding>) {
    let Some(r) = plan.resistance() else {
        return;
    };
    let (p, l) = (&plan.project, &plan.language);
    let missing = uncovered_roles(r, p);
    for role in p.roles.iter().map(|r| r.name.as_str()) {
        let problem = (missing.iter().any(|m| m == role))
            .then(|| l.format("finding.role_uncovered", &[("role", role)]));
        out.push(finding(&RESISTANCE_ROLES, Some(role), problem));
    }
    for point in &r.points {
        let item = Some(point.point.as_str());
        let problem = names_nobody(&point.who_acts)
            .then(|| l.format("finding.names_nobody", &[("who", point.who_acts.trim())]));
        out.push(finding(&RESISTANCE_OWNER, item, problem));
        let problem = (!is_anchored(&point.when, p))
            .then(|| l.format("finding.no_time", &[("when", point.when.trim())]));
        out.push(finding(&RESISTANCE_WHEN, item, problem));
        out.push(finding(&RESISTANCE_TACTICS, item, stock_tactics(point, l)));
    }
}

/// Empty, a placeholder, or only "the project team", "management" and the like.
fn names_nobody(who: &str) -> bool {
    if is_placeholder(who) {
        return true;
    }
    let mut rest = format!(" {} ", who.to_lowercase());
    for phrase in NOBODY {
        while contains_word(&rest, phrase) {
            rest = rest.replacen(phrase, " ", 1);
        }
    }
    let joiners = ["and", "with", "the", "&", "/", ",", "."];
    !rest
        .split_whitespace()
        .any(|w| !joiners.contains(&w.trim_matches(|c: char| !c.is_alphanumeric() && c != '&')))
}

/// Why the tactics are not concrete, if they are not: none, or each only a stock phrase.
fn stock_tactics(point: &Point, l: &Language) -> Option<String> {
    let tactics: Vec<&str> = point
        .tactics
        .iter()
        .map(|t| t.trim())
        .filter(|t| !is_placeholder(t))
        .collect();
    if tactics.is_empty() {
        return Some(l.t("finding.no_tactics").to_string());
    }
    // A stock phrase with a few words around it is still only the phrase.
    let stock =
        |t: &&str| STOCK.iter().any(|s| contains_word(t, s)) && t.split_whitespace().count() < 9;
    tactics.iter().all(stock).then(|| {
        let quoted: Vec<String> = (tactics.iter())
            .map(|t| l.format("finding.quoted", &[("text", t)]))
            .collect();
        let tactics = quoted.join("; ");
        l.format("finding.stock_tactics", &[("tactics", &tactics)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_that_name_nobody() {
        let cases = [
            ("the project team", true),
            ("Project team and management", true),
            ("", true),
            ("TBD", true),
            ("as needed", true),
            ("regional sales managers, with the project team", false),
            ("Derek's line manager", false),
            ("the sponsor", false),
        ];
        for (who, want) in cases {
            assert_eq!(names_nobody(who), want, "{who:?}");
        }
    }

    #[test]
    fn stock_phrases_are_not_tactics() {
        let point = |tactics: &[&str]| Point {
            point: "p".into(),
            affected_roles: vec![],
            underlying_reason: "r".into(),
            tactics: tactics.iter().map(|t| t.to_string()).collect(),
            who_acts: "w".into(),
            when: "w".into(),
            early_warning_sign: "s".into(),
        };
        let en = Language::english();
        let stock = |tactics: &[&str]| stock_tactics(&point(tactics), &en);
        assert_eq!(stock(&[]).as_deref(), Some("no tactics"));
        assert_eq!(
            stock(&["Ensure buy-in", "Communicate effectively."]).as_deref(),
            Some("only stock phrases: \"Ensure buy-in\"; \"Communicate effectively.\"")
        );
        assert!(
            stock(&[
                "Ensure buy-in",
                "Run a 30-minute pipeline demo for the North reps"
            ])
            .is_none()
        );
        assert!(stock(&["Ask Derek to co-design the forecast view so his reps see their own numbers first, which ensures buy-in"]).is_none());
    }
}
