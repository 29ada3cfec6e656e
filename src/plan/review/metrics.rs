//! Success metrics: use rather than logins, a target with a number and a time, a baseline, an
//! owner, a concrete data source, and at least two of the three adoption dimensions.

use super::checks::{
    METRICS_BASELINE, METRICS_DIMENSIONS, METRICS_OWNER, METRICS_SOURCE, METRICS_TARGET,
    METRICS_VANITY,
};
use super::words::{SOURCES, VANITY, dates_in, is_placeholder};
use super::{Finding, Verdict, finding, judged};
use crate::i18n::Language;
use crate::plan::Plan;
use crate::sections::metrics::Metric;
use crate::text::{contains_any_word, contains_word};

pub fn check(plan: &Plan, out: &mut Vec<Finding>) {
    let Some(m) = plan.metrics() else {
        return;
    };
    let l = &plan.language;
    let system = plan.project.project.system.as_deref().unwrap_or_default();
    for x in &m.metrics {
        let item = Some(x.metric.as_str());
        let counted = format!("{} {}", x.metric, x.what_it_measures);
        let problem = (contains_any_word(&counted, VANITY) || x.is_login_count())
            .then(|| l.format("finding.vanity", &[("metric", x.metric.trim())]));
        out.push(finding(&METRICS_VANITY, item, problem));
        out.push(target(x, l));
        let baseline = x.baseline.trim();
        let problem = is_placeholder(baseline)
            .then(|| l.format("finding.no_baseline", &[("baseline", baseline)]));
        out.push(finding(&METRICS_BASELINE, item, problem));
        let problem = is_placeholder(&x.owner).then(|| l.t("finding.no_owner").to_string());
        out.push(finding(&METRICS_OWNER, item, problem));
        let how = x.how_to_collect.trim();
        let named =
            contains_any_word(how, SOURCES) || (!system.is_empty() && contains_word(how, system));
        let problem =
            (!named || is_placeholder(how)).then(|| l.format("finding.no_source", &[("how", how)]));
        out.push(finding(&METRICS_SOURCE, item, problem));
    }
    let mut dimensions: Vec<_> = m.metrics.iter().map(|x| x.dimension).collect();
    dimensions.sort_by_key(|d| d.as_str());
    dimensions.dedup();
    let problem = (dimensions.len() < 2).then(|| {
        let named: Vec<&str> = dimensions.iter().map(|d| l.term(*d)).collect();
        l.format("finding.dimensions", &[("dimensions", &l.list(&named))])
    });
    out.push(finding(&METRICS_DIMENSIONS, None, problem));
}

/// A number and a time: a fail when neither is there, a warn when one is missing.
fn target(x: &Metric, l: &Language) -> Finding {
    let t = x.target.trim();
    let number = t.chars().any(|c| c.is_ascii_digit())
        || contains_any_word(
            t,
            &[
                "all", "every", "none", "half", "zero", "no", "one", "two", "three", "four",
                "five", "six", "seven", "eight", "nine", "ten", "twice",
            ],
        );
    let time = !dates_in(t).is_empty()
        || contains_any_word(
            t,
            &[
                "week",
                "weeks",
                "day",
                "days",
                "month",
                "months",
                "quarter",
                "year",
                "go-live",
                "go live",
                "launch",
                "by",
                "within",
                "until",
                "end",
                "after",
                "q1",
                "q2",
                "q3",
                "q4",
                "daily",
                "weekly",
                "monthly",
                "per week",
                "per month",
            ],
        );
    let (verdict, message) = match (number, time) {
        (true, true) => (Verdict::Pass, METRICS_TARGET.passed.to_string()),
        (false, false) => (
            Verdict::Fail,
            l.format("finding.target_neither", &[("target", t)]),
        ),
        (true, false) => (
            Verdict::Warn,
            l.format("finding.target_no_time", &[("target", t)]),
        ),
        (false, true) => (
            Verdict::Warn,
            l.format("finding.target_no_number", &[("target", t)]),
        ),
    };
    judged(&METRICS_TARGET, Some(&x.metric), verdict, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::metrics::Dimension;

    fn metric(target: &str) -> Metric {
        Metric {
            metric: "m".into(),
            what_it_measures: "w".into(),
            dimension: Dimension::Utilisation,
            target: target.into(),
            baseline: "b".into(),
            how_to_collect: "h".into(),
            cadence: "weekly".into(),
            owner: "o".into(),
            low_scores_indicate: "l".into(),
        }
    }

    #[test]
    fn targets_need_a_number_and_a_time() {
        let cases = [
            (
                "90% of quotes in the CRM 4 weeks after go-live",
                Verdict::Pass,
            ),
            ("≤ 5 tickets a day by the end of March", Verdict::Pass),
            ("high adoption", Verdict::Fail),
            ("90%", Verdict::Warn),
            ("by go-live", Verdict::Warn),
        ];
        for (t, want) in cases {
            assert_eq!(
                target(&metric(t), &Language::english()).verdict,
                want,
                "{t}"
            );
        }
    }
}
