//! The review as people read it on a terminal: grouped by section, each check's verdict, the
//! rows it concerns, why it matters and what to do, and the score last.

use super::{Tone, paint};
use crate::plan::review::checks::CHECKS;
use crate::plan::review::{Finding, Review, Verdict};
use std::fmt::Write as _;

const SECTIONS: [(&str, &str); 4] = [
    ("communication", "Communication"),
    ("resistance", "Resistance"),
    ("metrics", "Metrics"),
    ("plan", "Whole plan"),
];

pub fn render(review: &Review, color: bool) -> String {
    let mut out = String::new();
    let label = |v: Verdict| {
        let tone = match v {
            Verdict::Pass => Tone::Good,
            Verdict::Warn => Tone::Warn,
            Verdict::Fail => Tone::Bad,
        };
        paint(&format!("{:<4}", v.as_str()), tone, color)
    };
    for (section, title) in SECTIONS {
        let checks: Vec<_> = CHECKS.iter().filter(|c| c.section == section).collect();
        let mine = |id: &str| -> Vec<&Finding> {
            review
                .findings
                .iter()
                .filter(|f| f.check.id == id)
                .collect()
        };
        if checks.iter().all(|c| mine(c.id).is_empty()) {
            continue;
        }
        let _ = writeln!(out, "{title}");
        for check in checks {
            let findings = mine(check.id);
            if findings.is_empty() {
                continue;
            }
            let passed = findings
                .iter()
                .filter(|f| f.verdict == Verdict::Pass)
                .count();
            if passed == findings.len() {
                let count = if findings.len() > 1 {
                    format!(" ({passed} of {})", findings.len())
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "  {}  {:<20} {}{count}",
                    label(Verdict::Pass),
                    check.id,
                    check.passed
                );
                continue;
            }
            for f in findings.iter().filter(|f| f.verdict != Verdict::Pass) {
                let item = match &f.item {
                    Some(item) => format!("{item}: "),
                    None if f.section != check.section => format!("{}: ", f.section),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {}  {:<20} {item}{}",
                    label(f.verdict),
                    check.id,
                    f.message
                );
            }
            let _ = writeln!(out, "        {:<20} why: {}", "", check.why);
            let _ = writeln!(out, "        {:<20} fix: {}", "", check.hint);
            if passed > 0 {
                let _ = writeln!(
                    out,
                    "        {:<20} ({passed} of {} pass)",
                    "",
                    findings.len()
                );
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "score: {} of 100 ({} fail, {} warn, {} pass)",
        review.score,
        review.count(Verdict::Fail),
        review.count(Verdict::Warn),
        review.count(Verdict::Pass)
    );
    out
}
