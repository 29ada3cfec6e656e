use super::*;
use crate::project::{self, Project};
use std::path::Path;

fn example(name: &str) -> Project {
    let text = match name {
        "crm" => include_str!("../../examples/crm-manufacturer.toml"),
        _ => include_str!("../../examples/erp-finance.toml"),
    };
    project::parse(Path::new(name), text).unwrap().project
}

fn good_answer(kind: Kind, p: &Project) -> Value {
    match kind {
        Kind::Communication => {
            let row = json!({"need_to_know": "n", "when": "w", "frequency": "f", "channel": "c",
                             "delivered_by": "their line manager", "action_wanted": "a", "feedback": "fb"});
            let matrix: serde_json::Map<String, Value> = communication::audiences(p)
                .into_iter()
                .map(|g| (g, row.clone()))
                .collect();
            json!({"summary": "s", "matrix": matrix})
        }
        Kind::Resistance => {
            let roles: Vec<String> = p.roles.iter().map(|r| r.name.clone()).collect();
            let point = |i: usize| {
                json!({"point": format!("p{i}"), "affected_roles": [roles[i % roles.len()]],
                "underlying_reason": "r", "tactics": ["t"], "who_acts": "w", "when": "2 weeks before", "early_warning_sign": "e"})
            };
            json!({"summary": "s", "points": (0..5).map(point).collect::<Vec<_>>()})
        }
        Kind::Metrics => {
            let metric = |i: usize| {
                json!({"metric": format!("m{i}"), "what_it_measures": "x", "dimension": "utilisation",
                "target": "90%", "baseline": "to be measured", "how_to_collect": "report", "cadence": "weekly",
                "owner": "o", "low_scores_indicate": "l"})
            };
            json!({"summary": "s", "metrics": (0..5).map(metric).collect::<Vec<_>>()})
        }
        Kind::Engagement => {
            let rows: serde_json::Map<String, Value> = engagement::codes(p)
                .into_iter()
                .zip(&p.stakeholders)
                .map(|(code, s)| {
                    (
                        code,
                        json!({"current_stance": s.stance, "target_stance": "supportive",
                        "what_matters": "m", "actions": ["a", "b"], "engaged_by": "their manager",
                        "when": "w", "sign_of_progress": "s"}),
                    )
                })
                .collect();
            json!({"summary": "s", "stakeholders": rows})
        }
    }
}

const KINDS: [Kind; 4] = Kind::ALL;

#[test]
fn every_built_in_schema_follows_the_strict_rules_for_both_examples() {
    for name in ["crm", "erp"] {
        let p = example(name);
        for kind in KINDS {
            let s = Structure::built_in(kind, &p);
            assert_eq!(
                schema::strict_problems(&s.strict_schema()),
                Vec::<String>::new(),
                "{name} {kind:?}"
            );
            let format = s.response_format(Rung::JsonSchema).unwrap();
            let schema_name = format["json_schema"]["name"].as_str().unwrap();
            assert!(
                schema_name.len() <= 64
                    && schema_name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            );
        }
    }
}

#[test]
fn the_communication_schema_forbids_a_missing_audience() {
    let p = example("crm");
    let s = Structure::built_in(Kind::Communication, &p);
    let groups = communication::audiences(&p);
    assert_eq!(groups.len(), p.groups.len());
    assert_eq!(
        s.strict_schema()["properties"]["matrix"]["required"],
        json!(groups)
    );
    let mut answer = good_answer(Kind::Communication, &p);
    let Structured::Communication(c) = s.check(&answer, &p).unwrap() else {
        panic!("not a communication matrix")
    };
    let audiences: Vec<&str> = c.rows.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(
        audiences,
        groups.iter().map(String::as_str).collect::<Vec<_>>()
    );
    answer["matrix"].as_object_mut().unwrap().remove(&groups[1]);
    let problems = s.check(&answer, &p).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|m| m.contains(&format!("`{}` is missing", groups[1]))),
        "{problems:?}"
    );
}

#[test]
fn resistance_and_metrics_need_exactly_five() {
    let p = example("erp");
    for (kind, list) in [(Kind::Resistance, "points"), (Kind::Metrics, "metrics")] {
        let s = Structure::built_in(kind, &p);
        let mut answer = good_answer(kind, &p);
        assert!(s.check(&answer, &p).is_ok(), "{kind:?}");
        let extra = answer[list][0].clone();
        answer[list].as_array_mut().unwrap().push(extra);
        let problems = s.check(&answer, &p).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|m| m.contains("6 items, at most 5 wanted")),
            "{problems:?}"
        );
    }
}

#[test]
fn roles_must_be_the_projects_and_uncovered_ones_are_warned_about() {
    let p = example("crm");
    let s = Structure::built_in(Kind::Resistance, &p);
    let mut answer = good_answer(Kind::Resistance, &p);
    let Structured::Resistance(r) = s.check(&answer, &p).unwrap() else {
        panic!()
    };
    // Five points over four roles: every role is mentioned.
    assert_eq!(resistance::uncovered_roles(&r, &p), Vec::<String>::new());
    for point in answer["points"].as_array_mut().unwrap() {
        point["affected_roles"] = json!([p.roles[0].name]);
    }
    let structured = s.check(&answer, &p).unwrap();
    let warnings = structured.warnings(&p);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&p.roles[1].name), "{warnings:?}");
    answer["points"][0]["affected_roles"] = json!(["interns"]);
    assert!(s.check(&answer, &p).is_err());
}

#[test]
fn login_counts_and_project_team_senders_are_flagged() {
    let p = example("crm");
    let s = Structure::built_in(Kind::Metrics, &p);
    let mut answer = good_answer(Kind::Metrics, &p);
    answer["metrics"][2]["metric"] = json!("Weekly logins");
    let warnings = s.check(&answer, &p).unwrap().warnings(&p);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("\"Weekly logins\" counts logins"),
        "{warnings:?}"
    );
    let s = Structure::built_in(Kind::Communication, &p);
    let mut answer = good_answer(Kind::Communication, &p);
    let first = communication::audiences(&p)[0].clone();
    answer["matrix"][&first]["delivered_by"] = json!("The project team");
    let warnings = s.check(&answer, &p).unwrap().warnings(&p);
    assert!(warnings[0].starts_with(&format!(
        "the message to {first} is delivered by the project team"
    )));
}

#[test]
fn instructions_say_json_and_carry_the_schema_only_without_a_format() {
    let p = example("crm");
    let s = Structure::built_in(Kind::Communication, &p);
    for rung in [Rung::JsonSchema, Rung::JsonObject, Rung::Prompted] {
        let text = s.instruction(rung);
        assert!(text.contains("JSON"), "{rung:?}");
        assert!(text.contains("executives"), "{text}");
        assert_eq!(
            text.contains("\"additionalProperties\""),
            rung == Rung::Prompted,
            "{rung:?}"
        );
        assert_eq!(s.response_format(rung).is_some(), rung != Rung::Prompted);
    }
    assert_eq!(Rung::JsonSchema.next(), Some(Rung::JsonObject));
    assert_eq!(Rung::Prompted.next(), None);
    // json_object keeps the grammar hints; json_schema does not.
    assert!(
        s.response_format(Rung::JsonObject)
            .unwrap()
            .to_string()
            .contains("maxLength")
    );
    assert!(
        !s.response_format(Rung::JsonSchema)
            .unwrap()
            .to_string()
            .contains("maxLength")
    );
}

#[test]
fn json_is_found_in_prose_and_broken_answers_say_why() {
    let p = example("crm");
    let s = Structure::built_in(Kind::Metrics, &p);
    let text = format!(
        "Here are the metrics:\n```json\n{}\n```",
        good_answer(Kind::Metrics, &p)
    );
    assert!(s.check_text(&text, &p).is_ok());
    let e = s.check_text("I cannot help with that.", &p).unwrap_err();
    assert_eq!(e, ["the answer is not a JSON object"]);
}

#[test]
fn fingerprints_change_with_the_projects_groups() {
    let p = example("crm");
    let a = Structure::built_in(Kind::Communication, &p).fingerprint();
    let mut q = p.clone();
    q.groups.pop();
    let b = Structure::built_in(Kind::Communication, &q).fingerprint();
    assert_ne!(a, b);
    assert_eq!(
        a,
        Structure::built_in(Kind::Communication, &p).fingerprint()
    );
}

#[test]
fn prose_mode_and_custom_schemas_choose_the_structure() {
    let p = example("crm");
    assert!(structure_for("metrics", None, &p, true).is_none());
    assert!(structure_for("champions", None, &p, false).is_none());
    let custom = schema::object(vec![("summary".into(), schema::text("s", 100))]);
    let s = structure_for("champions", Some(&custom), &p, false).unwrap();
    assert_eq!(s.kind, None);
    assert!(matches!(
        s.check(&json!({"summary": "x"}), &p),
        Ok(Structured::Custom(_))
    ));
    assert_eq!(
        structure_for("metrics", None, &p, false).unwrap().kind,
        Some(Kind::Metrics)
    );
}

#[test]
fn every_stakeholder_gets_an_engagement_row_with_their_stance_today() {
    for name in ["crm", "erp"] {
        let p = example(name);
        let s = Structure::built_in(Kind::Engagement, &p);
        let mut answer = good_answer(Kind::Engagement, &p);
        let Structured::Engagement(e) = s.check(&answer, &p).unwrap() else {
            panic!("not an engagement plan")
        };
        assert_eq!(e.rows.len(), p.stakeholders.len(), "{name}");
        for ((code, row), person) in e.rows.iter().zip(&p.stakeholders) {
            assert!(code.starts_with('S'), "{code}");
            assert_eq!(row.current_stance, person.stance);
        }
        // The stance today is the register's: another one does not fit.
        answer["stakeholders"]["S01"]["current_stance"] = json!("unaware");
        assert!(s.check(&answer, &p).is_err(), "{name}");
        // Not one of the names is in what is asked.
        let asked = format!("{}{}", s.schema, s.coverage);
        for person in &p.stakeholders {
            assert!(!asked.contains(&person.name), "{name}: {}", person.name);
        }
    }
}

#[test]
fn every_dimension_is_translated_in_every_shipped_catalog() {
    use crate::i18n::{Language, Shipped, Term};
    use crate::sections::metrics::Dimension;
    let all = [
        Dimension::Speed,
        Dimension::Utilisation,
        Dimension::Proficiency,
    ];
    for s in Shipped::ALL {
        for d in all {
            assert!(
                Language::shipped(s).message(&d.key()).is_some(),
                "{s:?} {d:?}"
            );
        }
    }
    assert_eq!(Dimension::Speed.key(), "dimension.speed_of_adoption");
    let de = Language::shipped(Shipped::De);
    assert_eq!(de.term(Dimension::Speed), "Adoptionsgeschwindigkeit");
}
