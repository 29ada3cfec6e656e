//! What changed between two versions of an answer: structured answers item by item (a group's
//! row, a point, a metric) and field by field; prose as a unified text diff.

use serde::Serialize;
use serde_json::Value;

/// The difference between two answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Diff {
    /// Both answers are structured: what changed, item by item.
    Structured { changes: Vec<Change> },
    /// Either is prose: a unified diff of the text, and how many lines it adds and removes.
    Prose {
        unified: String,
        added: usize,
        removed: usize,
    },
}

/// What happened to one item, or to one plain field (such as the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::Added => "added",
            Op::Removed => "removed",
            Op::Changed => "changed",
        }
    }
}

/// One item that differs: `IT support`, `point 3`, `summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub item: String,
    /// The item's first text (a point's phrase, a metric's name), to tell it by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub change: Op,
    /// The fields that differ, for a changed item.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// The difference between two structured answers.
pub fn structured(a: &Value, b: &Value) -> Diff {
    let mut changes = Vec::new();
    for key in keys(a, b) {
        let (x, y) = (a.get(&key), b.get(&key));
        if x == y {
            continue;
        }
        match (x, y) {
            (Some(Value::Object(x)), Some(Value::Object(y)))
                if x.values().chain(y.values()).all(Value::is_object) =>
            {
                let (xo, yo) = (Value::Object(x.clone()), Value::Object(y.clone()));
                for name in keys(&xo, &yo) {
                    if let Some(c) = item(name.clone(), xo.get(&name), yo.get(&name)) {
                        changes.push(c);
                    }
                }
            }
            (Some(Value::Array(x)), Some(Value::Array(y)))
                if x.iter().chain(y).all(Value::is_object) =>
            {
                let noun = singular(&key);
                for i in 0..x.len().max(y.len()) {
                    let label = format!("{noun} {}", i + 1);
                    if let Some(c) = item(label, x.get(i), y.get(i)) {
                        changes.push(c);
                    }
                }
            }
            _ => changes.push(Change {
                item: key.clone(),
                title: None,
                change: Op::Changed,
                fields: vec![FieldChange {
                    field: key,
                    old: x.cloned().unwrap_or(Value::Null),
                    new: y.cloned().unwrap_or(Value::Null),
                }],
            }),
        }
    }
    Diff::Structured { changes }
}

/// The difference between two texts, as a unified diff with three lines of context.
pub fn prose(a: &str, b: &str, a_name: &str, b_name: &str) -> Diff {
    let a = crate::text::with_newline(a);
    let b = crate::text::with_newline(b);
    let diff = similar::TextDiff::from_lines(&a, &b);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(a_name, b_name)
        .to_string();
    Diff::Prose {
        unified,
        added,
        removed,
    }
}

/// The keys of two objects: `a`'s in order, then those only `b` has.
fn keys(a: &Value, b: &Value) -> Vec<String> {
    let mut out: Vec<String> = a
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    for k in b.as_object().into_iter().flat_map(|o| o.keys()) {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

/// `points` → `point`: how one element of a list field is named.
fn singular(field: &str) -> String {
    let noun = field.strip_suffix('s').filter(|s| !s.is_empty());
    noun.unwrap_or(field).replace('_', " ")
}

fn item(label: String, x: Option<&Value>, y: Option<&Value>) -> Option<Change> {
    let title = |v: Option<&Value>| {
        let first = v?.as_object()?.values().find_map(Value::as_str)?;
        Some(crate::text::snippet(first, 60))
    };
    let (change, fields) = match (x, y) {
        (None, None) => return None,
        (None, Some(_)) => (Op::Added, Vec::new()),
        (Some(_), None) => (Op::Removed, Vec::new()),
        (Some(x), Some(y)) if x == y => return None,
        (Some(x), Some(y)) => {
            let fields = keys(x, y)
                .into_iter()
                .filter(|k| x.get(k) != y.get(k))
                .map(|k| FieldChange {
                    old: x.get(&k).cloned().unwrap_or(Value::Null),
                    new: y.get(&k).cloned().unwrap_or(Value::Null),
                    field: k,
                })
                .collect();
            (Op::Changed, fields)
        }
    };
    Some(Change {
        item: label,
        title: title(y).or_else(|| title(x)),
        change,
        fields,
    })
}

/// A field's value as one line of text: lists joined with `; `.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.replace('\n', " "),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        match self {
            Diff::Structured { changes } => changes.is_empty(),
            Diff::Prose { added, removed, .. } => added + removed == 0,
        }
    }

    /// One line per change: `changed metric 3 (Quote turnaround): target, owner`.
    pub fn summary(&self) -> Vec<String> {
        match self {
            Diff::Structured { changes } => changes.iter().map(Change::headline).collect(),
            Diff::Prose { added, removed, .. } if added + removed > 0 => vec![format!(
                "{} added, {} removed",
                crate::text::plural(*added, "line"),
                crate::text::plural(*removed, "line")
            )],
            Diff::Prose { .. } => Vec::new(),
        }
    }

    /// The whole difference for people: each change with its fields' old and new values, or
    /// the unified diff.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        match self {
            Diff::Structured { changes } => {
                for c in changes {
                    out.push_str(&c.headline());
                    out.push('\n');
                    for f in &c.fields {
                        let field = match f.field == c.item {
                            true => String::new(),
                            false => format!("  {}\n", f.field),
                        };
                        out.push_str(&field);
                        out.push_str(&format!(
                            "    - {}\n    + {}\n",
                            shown(&f.old),
                            shown(&f.new)
                        ));
                    }
                }
            }
            Diff::Prose { unified, .. } => out.push_str(unified),
        }
        out
    }
}

impl Change {
    fn headline(&self) -> String {
        let mut line = format!("{} {}", self.change.word(), self.item);
        if let Some(t) = &self.title {
            line.push_str(&format!(" ({t})"));
        }
        let names: Vec<&str> = self.fields.iter().map(|f| f.field.as_str()).collect();
        if !names.is_empty() && names != [self.item.as_str()] {
            line.push_str(&format!(": {}", names.join(", ")));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn structured_answers_are_compared_item_by_item_and_field_by_field() {
        let a = json!({
            "summary": "old",
            "points": [{"point": "P1", "when": "now"}, {"point": "P2", "when": "later"}],
            "matrix": {"execs": {"channel": "email"}, "IT": {"channel": "chat"}},
        });
        let b = json!({
            "summary": "new",
            "points": [{"point": "P1", "when": "soon"}, {"point": "P2", "when": "later"}, {"point": "P3", "when": "x"}],
            "matrix": {"execs": {"channel": "email"}, "finance": {"channel": "post"}},
        });
        let d = structured(&a, &b);
        assert_eq!(
            d.summary(),
            [
                "changed summary",
                "changed point 1 (P1): when",
                "added point 3 (P3)",
                "removed IT (chat)",
                "added finance (post)",
            ]
        );
        assert_eq!(
            d.to_text().lines().take(5).collect::<Vec<_>>(),
            [
                "changed summary",
                "    - old",
                "    + new",
                "changed point 1 (P1): when",
                "  when",
            ]
        );
        assert!(structured(&a, &a).is_empty());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["kind"], "structured");
        assert_eq!(json["changes"][1]["change"], "changed");
        assert_eq!(json["changes"][1]["fields"][0]["old"], "now");
    }

    #[test]
    fn lists_in_a_field_are_one_value() {
        let a = json!({"points": [{"point": "P", "tactics": ["a", "b"]}]});
        let b = json!({"points": [{"point": "P", "tactics": ["a", "c"]}]});
        assert_eq!(
            structured(&a, &b).to_text(),
            "changed point 1 (P): tactics\n  tactics\n    - a; b\n    + a; c\n"
        );
    }

    #[test]
    fn prose_gets_a_unified_diff() {
        let d = prose("one\ntwo\nthree", "one\n2\nthree\nfour", "v1", "v2");
        let Diff::Prose {
            unified,
            added,
            removed,
        } = &d
        else {
            panic!("{d:?}")
        };
        assert_eq!((*added, *removed), (2, 1));
        assert_eq!(
            unified,
            "--- v1\n+++ v2\n@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four\n"
        );
        assert_eq!(d.summary(), ["2 lines added, 1 line removed"]);
        assert!(prose("same", "same\n", "a", "b").is_empty());
        assert!(prose("same", "same", "a", "b").summary().is_empty());
    }

    #[test]
    fn list_fields_name_their_items() {
        let cases = [
            ("points", "point"),
            ("metrics", "metric"),
            ("s", "s"),
            ("next_steps", "next step"),
        ];
        for (field, want) in cases {
            assert_eq!(singular(field), want);
        }
    }
}
