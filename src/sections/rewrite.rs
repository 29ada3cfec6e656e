//! Every piece of text in a structured answer, rewritten by one function: how the plan puts
//! names back where an answer has pseudonyms (S01 → the stakeholder), and how a plan meant
//! for wider reading takes them out again.

use super::{Communication, Engagement, Metrics, Resistance, Structured};
use serde_json::Value;

impl Structured {
    /// The answer with `f` applied to every text it holds: summaries, cells, list items, and
    /// the names rows go by (a group, a stakeholder). Stances, dimensions and numbers stay.
    pub fn map_text(&self, f: &dyn Fn(&str) -> String) -> Structured {
        let all = |items: &[String]| items.iter().map(|s| f(s)).collect::<Vec<_>>();
        match self {
            Structured::Resistance(r) => Structured::Resistance(Resistance {
                summary: f(&r.summary),
                points: (r.points.iter())
                    .map(|p| super::resistance::Point {
                        point: f(&p.point),
                        affected_roles: all(&p.affected_roles),
                        underlying_reason: f(&p.underlying_reason),
                        tactics: all(&p.tactics),
                        who_acts: f(&p.who_acts),
                        when: f(&p.when),
                        early_warning_sign: f(&p.early_warning_sign),
                    })
                    .collect(),
            }),
            Structured::Communication(c) => Structured::Communication(Communication {
                summary: f(&c.summary),
                rows: (c.rows.iter())
                    .map(|(g, r)| {
                        let row = super::communication::Row {
                            need_to_know: f(&r.need_to_know),
                            when: f(&r.when),
                            frequency: f(&r.frequency),
                            channel: f(&r.channel),
                            delivered_by: f(&r.delivered_by),
                            action_wanted: f(&r.action_wanted),
                            feedback: f(&r.feedback),
                        };
                        (f(g), row)
                    })
                    .collect(),
            }),
            Structured::Metrics(m) => Structured::Metrics(Metrics {
                summary: f(&m.summary),
                metrics: (m.metrics.iter())
                    .map(|x| super::metrics::Metric {
                        metric: f(&x.metric),
                        what_it_measures: f(&x.what_it_measures),
                        dimension: x.dimension,
                        target: f(&x.target),
                        baseline: f(&x.baseline),
                        how_to_collect: f(&x.how_to_collect),
                        cadence: f(&x.cadence),
                        owner: f(&x.owner),
                        low_scores_indicate: f(&x.low_scores_indicate),
                    })
                    .collect(),
            }),
            Structured::Engagement(e) => Structured::Engagement(Engagement {
                summary: f(&e.summary),
                rows: (e.rows.iter())
                    .map(|(who, r)| {
                        let row = super::engagement::Row {
                            current_stance: r.current_stance,
                            target_stance: r.target_stance,
                            what_matters: f(&r.what_matters),
                            actions: all(&r.actions),
                            engaged_by: f(&r.engaged_by),
                            when: f(&r.when),
                            sign_of_progress: f(&r.sign_of_progress),
                        };
                        (f(who), row)
                    })
                    .collect(),
            }),
            Structured::Custom(v) => Structured::Custom(map_json(v, f)),
        }
    }
}

/// A JSON value with `f` applied to every string and every key.
pub fn map_json(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|i| map_json(i, f)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (f(k), map_json(v, f))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Stance;
    use serde_json::json;

    fn upper(s: &str) -> String {
        s.to_uppercase()
    }

    #[test]
    fn every_text_is_rewritten_and_closed_values_stay() {
        let row = super::super::engagement::Row {
            current_stance: Stance::Resistant,
            target_stance: Stance::Supportive,
            what_matters: "his reps".into(),
            actions: vec!["a".into(), "b".into()],
            engaged_by: "cfo".into(),
            when: "w".into(),
            sign_of_progress: "s".into(),
        };
        let e = Structured::Engagement(Engagement {
            summary: "sum".into(),
            rows: vec![("S01".into(), row)],
        });
        let Structured::Engagement(out) = e.map_text(&upper) else {
            panic!()
        };
        assert_eq!(out.summary, "SUM");
        assert_eq!(out.rows[0].0, "S01");
        assert_eq!(out.rows[0].1.actions, ["A", "B"]);
        assert_eq!(out.rows[0].1.engaged_by, "CFO");
        assert_eq!(out.rows[0].1.current_stance, Stance::Resistant);
        let custom = Structured::Custom(json!({"k": ["x", 1, {"in": "y"}], "n": null}));
        let Structured::Custom(v) = custom.map_text(&upper) else {
            panic!()
        };
        assert_eq!(v, json!({"K": ["X", 1, {"IN": "Y"}], "N": null}));
    }
}
