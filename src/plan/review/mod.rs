//! The review: the plan checked against what change practitioners check before it goes to a
//! sponsor, with no request. Each check has a stable id, a severity (what a failure costs)
//! and a source ([`checks::CHECKS`], which the README's table follows); each finding says
//! pass, warn or fail about one row (or the whole section, or plan), why it matters and what
//! to do. The score weighs them (see [`score`]).

pub mod checks;
mod communication;
mod metrics;
mod resistance;
mod whole;
mod words;

use super::Plan;
use checks::Check;
use serde::Serialize;
use std::time::SystemTime;

/// What a finding says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl crate::i18n::Term for Verdict {
    const KIND: &'static str = "verdict";
    fn word(self) -> &'static str {
        self.as_str()
    }
}

/// One check's finding about one row, or about its section or the plan (`item: None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub check: &'static Check,
    pub verdict: Verdict,
    /// The section it is about: the check's own, or for a plan-wide check about one section
    /// (missing, in prose, stale), that section's id.
    pub section: String,
    /// The group's name, the resistance point or the metric, as the plan shows them.
    pub item: Option<String>,
    pub message: String,
}

/// What the review needs besides the plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Person-level data went into the prompts (`--share-people`): names in answers are then
    /// expected, not leaked.
    pub people_shared: bool,
    /// When the project file last changed.
    pub project_changed: Option<SystemTime>,
}

/// Every finding, in the checks' order, and the score.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub findings: Vec<Finding>,
    pub score: u8,
}

/// The JSON shape scripts rely on: `{"score": N, "findings": [{check, level, section, item,
/// message, hint}]}`.
#[derive(Serialize)]
struct JsonReview<'a> {
    score: u8,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    check: &'static str,
    level: Verdict,
    section: &'a str,
    item: Option<&'a str>,
    message: &'a str,
    hint: &'static str,
}

impl Review {
    pub fn of(plan: &Plan, facts: &Facts) -> Review {
        let mut findings = Vec::new();
        communication::check(plan, &mut findings);
        resistance::check(plan, &mut findings);
        metrics::check(plan, &mut findings);
        whole::check(plan, facts, &mut findings);
        let order = |f: &Finding| checks::CHECKS.iter().position(|c| c.id == f.check.id);
        findings.sort_by_key(order);
        // What a pass says, in the plan's language (the checks' own text is English's).
        for f in findings.iter_mut().filter(|f| f.message == f.check.passed) {
            let key = format!("check.{}.passed", f.check.id);
            f.message = plan.language.t(&key).to_string();
        }
        Review {
            score: score(&findings),
            findings,
        }
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.findings
            .iter()
            .filter(|f| f.verdict == verdict)
            .count()
    }

    /// The findings that are not passes.
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.verdict != Verdict::Pass)
    }

    pub fn to_json(&self) -> String {
        let findings = self
            .findings
            .iter()
            .map(|f| JsonFinding {
                check: f.check.id,
                level: f.verdict,
                section: &f.section,
                item: f.item.as_deref(),
                message: &f.message,
                hint: f.check.hint,
            })
            .collect();
        let json = JsonReview {
            score: self.score,
            findings,
        };
        serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
    }
}

/// The highest score a plan with any failing finding can have: a fail is something a sponsor
/// would send back, so a score above it always means there is none.
pub const CAP_WITH_FAILS: u8 = 69;
/// What each check that fails somewhere costs on top, so two plans under the cap still differ
/// by how much is wrong with them.
pub const PER_FAILING_CHECK: f64 = 5.0;

/// 0 to 100. Each check scores the share of its findings that pass; checks whose failure is a
/// fail weigh 3, warn checks 1; the weighted mean, as a percentage, less 5 for each check that
/// fails somewhere, is the score, capped at [`CAP_WITH_FAILS`] when anything fails. Per check,
/// not per row, so a matrix of twelve groups does not outweigh five metrics, and one bad row out
/// of five costs a fifth of its check.
pub fn score(findings: &[Finding]) -> u8 {
    let mut weight_sum = 0.0;
    let mut earned = 0.0;
    let mut failing = 0.0;
    for check in checks::CHECKS {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.check.id == check.id).collect();
        if mine.is_empty() {
            continue;
        }
        let passed = mine.iter().filter(|f| f.verdict == Verdict::Pass).count();
        let weight = check.severity.weight();
        weight_sum += weight;
        earned += weight * passed as f64 / mine.len() as f64;
        if mine.iter().any(|f| f.verdict == Verdict::Fail) {
            failing += 1.0;
        }
    }
    if weight_sum == 0.0 {
        return 0;
    }
    let score = (100.0 * earned / weight_sum - PER_FAILING_CHECK * failing).round();
    let score = score.clamp(0.0, 100.0) as u8;
    if failing > 0.0 {
        score.min(CAP_WITH_FAILS)
    } else {
        score
    }
}

/// A finding of `check` about `item`: a pass, or the check's severity.
fn finding(check: &'static Check, item: Option<&str>, problem: Option<String>) -> Finding {
    let (verdict, message) = match problem {
        None => (Verdict::Pass, check.passed.to_string()),
        Some(message) => (check.severity.verdict(), message),
    };
    judged(check, item, verdict, message)
}

/// A finding with its verdict chosen by the check (a fail check may only warn: "cannot tell").
fn judged(check: &'static Check, item: Option<&str>, verdict: Verdict, message: String) -> Finding {
    Finding {
        check,
        verdict,
        section: check.section.to_string(),
        item: item.map(str::to_string),
        message,
    }
}

#[cfg(test)]
mod tests;
