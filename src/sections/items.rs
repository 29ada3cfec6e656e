//! One item of a built-in structured answer (a communication group's row, a resistance point,
//! a metric) for `revise --only`: naming it as the plan shows it, the schema narrowed to it,
//! and putting the revised item back with every other item left exactly as it was.

use super::{Kind, Structure, communication, engagement, metrics, resistance, schema};
use crate::project::Project;
use serde_json::Value;

/// An item of a structured answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// As history shows it: the group's name, `point 3`, `metric 2`.
    pub label: String,
    /// Where it sits in the answer (a JSON pointer).
    pointer: String,
    /// Where its schema sits in the section's schema (a JSON pointer).
    schema_pointer: String,
}

/// The names a kind's items go by on the command line: group names, numbers from 1, or the
/// stakeholders' pseudonyms.
pub fn names(kind: Kind, p: &Project) -> Vec<String> {
    let numbers = |n: usize| (1..=n).map(|i| i.to_string()).collect();
    match kind {
        Kind::Communication => communication::audiences(p),
        Kind::Resistance => numbers(resistance::POINTS),
        Kind::Metrics => numbers(metrics::METRICS),
        Kind::Engagement => engagement::codes(p),
    }
}

/// The item `name` names (a group's name, exactly or in any case; a number; a stakeholder's
/// pseudonym or name), or the names that would.
pub fn find(kind: Kind, p: &Project, name: &str) -> Result<Item, Vec<String>> {
    let known = names(kind, p);
    let name = name.trim();
    // A stakeholder goes by their name too; the item is their pseudonym's.
    let by_name = (kind == Kind::Engagement)
        .then(|| {
            p.stakeholders
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(name))
        })
        .flatten()
        .and_then(|i| known.get(i));
    let found = known
        .iter()
        .find(|k| *k == name)
        .or_else(|| known.iter().find(|k| k.eq_ignore_ascii_case(name)))
        .or(by_name);
    let Some(found) = found else {
        return Err(known);
    };
    let keyed = |field: &str| Item {
        label: found.clone(),
        pointer: format!("/{field}/{}", escape(found)),
        schema_pointer: format!("/properties/{field}/properties/{}", escape(found)),
    };
    let item = match kind {
        Kind::Communication => keyed("matrix"),
        Kind::Engagement => keyed("stakeholders"),
        Kind::Resistance | Kind::Metrics => {
            let (field, noun) = match kind {
                Kind::Resistance => ("points", "point"),
                _ => ("metrics", "metric"),
            };
            let n: usize = found.parse().expect("numbered items");
            Item {
                label: format!("{noun} {n}"),
                pointer: format!("/{field}/{}", n - 1),
                schema_pointer: format!("/properties/{field}/items"),
            }
        }
    };
    Ok(item)
}

/// A JSON pointer's reference token for `key`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Item {
    /// The item in an answer, if it is there.
    pub fn get<'v>(&self, answer: &'v Value) -> Option<&'v Value> {
        answer.pointer(&self.pointer)
    }

    /// `answer` with this item replaced by `new`, every other byte of it as it was; `None`
    /// when the answer has no such item.
    pub fn replace(&self, answer: &Value, new: Value) -> Option<Value> {
        let mut out = answer.clone();
        *out.pointer_mut(&self.pointer)? = new;
        Some(out)
    }

    /// What the request for this item alone asks for: the item's own schema (an object, so
    /// the strict rules hold), said in the instruction.
    pub fn narrow(&self, full: &Structure) -> Structure {
        let schema = full
            .schema
            .pointer(&self.schema_pointer)
            .cloned()
            .unwrap_or_else(|| schema::object(Vec::new()));
        let fields: Vec<String> = schema["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        Structure {
            section: full.section.clone(),
            kind: None,
            budget: schema::token_budget(&schema),
            coverage: format!(
                "only `{}`, revised, as one object with exactly its fields ({}); the other items stay as they are and are not sent",
                self.label,
                fields.join(", ")
            ),
            schema,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project() -> Project {
        toml::from_str(
            r#"
[project]
name = "x"
[[roles]]
name = "clerks"
[[groups]]
name = "executives"
[[groups]]
name = "IT support"
[[groups]]
name = "a/b~c"
[[stakeholders]]
name = "Ann Day"
title = "CFO"
group = "executives"
influence = "high"
interest = "high"
stance = "resistant"
[[stakeholders]]
name = "Bo Lee"
title = "Clerk"
group = "IT support"
influence = "low"
interest = "high"
stance = "neutral"
"#,
        )
        .unwrap()
    }

    #[test]
    fn items_are_named_as_the_plan_shows_them() {
        let p = project();
        let cases: &[(Kind, &str, Result<&str, ()>)] = &[
            (Kind::Communication, "IT support", Ok("IT support")),
            (Kind::Communication, "it SUPPORT", Ok("IT support")),
            (Kind::Communication, " executives ", Ok("executives")),
            (Kind::Communication, "a/b~c", Ok("a/b~c")),
            (Kind::Communication, "finance", Err(())),
            (Kind::Resistance, "3", Ok("point 3")),
            (Kind::Resistance, "0", Err(())),
            (Kind::Resistance, "6", Err(())),
            (Kind::Metrics, "5", Ok("metric 5")),
            (Kind::Metrics, "metric", Err(())),
            (Kind::Engagement, "S02", Ok("S02")),
            (Kind::Engagement, "s01", Ok("S01")),
            (Kind::Engagement, "bo lee", Ok("S02")),
            (Kind::Engagement, "S03", Err(())),
        ];
        for (kind, name, want) in cases {
            let got = find(*kind, &p, name).map(|i| i.label).map_err(|_| ());
            assert_eq!(got.as_deref().map_err(|_| ()), *want, "{kind:?} {name}");
        }
        assert_eq!(
            find(Kind::Communication, &p, "finance").unwrap_err(),
            ["executives", "IT support", "a/b~c"]
        );
        assert_eq!(
            find(Kind::Metrics, &p, "9").unwrap_err(),
            ["1", "2", "3", "4", "5"]
        );
    }

    #[test]
    fn replacing_an_item_leaves_the_others_exactly_as_they_were() {
        let p = project();
        let answer = json!({
            "summary": "s",
            "matrix": {"executives": {"a": "1"}, "IT support": {"a": "2"}, "a/b~c": {"a": "3"}}
        });
        let item = find(Kind::Communication, &p, "a/b~c").unwrap();
        assert_eq!(item.get(&answer), Some(&json!({"a": "3"})));
        let out = item.replace(&answer, json!({"a": "new"})).unwrap();
        assert_eq!(
            out.to_string(),
            r#"{"summary":"s","matrix":{"executives":{"a":"1"},"IT support":{"a":"2"},"a/b~c":{"a":"new"}}}"#
        );
        let point = find(Kind::Resistance, &p, "2").unwrap();
        let points = json!({"summary": "s", "points": [1, 2, 3]});
        assert_eq!(
            point.replace(&points, json!(20)).unwrap(),
            json!({"summary": "s", "points": [1, 20, 3]})
        );
        // An answer without the item (fewer points than the schema asks for) has no place.
        let metric = find(Kind::Metrics, &p, "5").unwrap();
        assert_eq!(metric.replace(&json!({"metrics": []}), json!(1)), None);
    }

    #[test]
    fn the_narrowed_schema_is_the_items_own_and_keeps_the_strict_rules() {
        let p = project();
        for (kind, name) in [
            (Kind::Communication, "IT support"),
            (Kind::Resistance, "1"),
            (Kind::Metrics, "4"),
            (Kind::Engagement, "S01"),
        ] {
            let full = Structure::built_in(kind, &p);
            let narrow = find(kind, &p, name).unwrap().narrow(&full);
            assert!(
                schema::strict_problems(&narrow.schema).is_empty(),
                "{kind:?}"
            );
            assert_eq!(narrow.section, full.section);
            assert!(narrow.kind.is_none());
            assert!(narrow.budget.unwrap() < full.budget.unwrap(), "{kind:?}");
            // A valid item from the full answer passes the narrowed check.
            let props = narrow.schema["properties"].as_object().unwrap();
            assert!(props.len() >= 7, "{kind:?}: {props:?}");
            assert!(narrow.coverage.starts_with("only `"), "{}", narrow.coverage);
        }
    }
}
