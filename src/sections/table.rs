//! Structured answers as plain tables: what every renderer (Markdown, Word, Excel, HTML, CSV)
//! lays out in its own way.

use super::{Structured, communication, engagement, metrics, resistance};
use crate::i18n::Language;
use serde_json::Value;

/// A table of text. A cell may hold several lines; a list's items each start with [`BULLET`]
/// (see [`list`]), and every renderer shows them as its own kind of list.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Shown above the table when a section has several.
    pub caption: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Structured {
    /// The answer's tables, in reading order, as an English plan shows them.
    pub fn tables(&self) -> Vec<Table> {
        self.tables_in(&Language::english())
    }

    /// The answer's tables, in reading order, with headers and enum values in `lang`.
    pub fn tables_in(&self, lang: &Language) -> Vec<Table> {
        match self {
            Structured::Communication(c) => {
                let mut columns = vec![lang.t("column.audience").to_string()];
                columns.extend(
                    communication::COLUMNS
                        .iter()
                        .map(|(_, h)| lang.t(h).to_string()),
                );
                let rows = c
                    .rows
                    .iter()
                    .map(|(g, r)| {
                        std::iter::once(g.clone())
                            .chain(r.cells().iter().map(|s| s.to_string()))
                            .collect()
                    })
                    .collect();
                vec![Table {
                    caption: None,
                    columns,
                    rows,
                }]
            }
            Structured::Resistance(r) => vec![Table {
                caption: None,
                columns: headers(resistance::COLUMNS, lang),
                rows: r
                    .points
                    .iter()
                    .map(|p| {
                        vec![
                            p.point.clone(),
                            list(&p.affected_roles),
                            p.underlying_reason.clone(),
                            list(&p.tactics),
                            p.who_acts.clone(),
                            p.when.clone(),
                            p.early_warning_sign.clone(),
                        ]
                    })
                    .collect(),
            }],
            Structured::Metrics(m) => vec![Table {
                caption: None,
                columns: headers(metrics::COLUMNS, lang),
                rows: m
                    .metrics
                    .iter()
                    .map(|x| {
                        vec![
                            x.metric.clone(),
                            x.what_it_measures.clone(),
                            lang.term(x.dimension).to_string(),
                            x.target.clone(),
                            x.baseline.clone(),
                            x.how_to_collect.clone(),
                            x.cadence.clone(),
                            x.owner.clone(),
                            x.low_scores_indicate.clone(),
                        ]
                    })
                    .collect(),
            }],
            Structured::Engagement(e) => vec![Table {
                caption: None,
                columns: headers(engagement::COLUMNS, lang),
                rows: e
                    .rows
                    .iter()
                    .map(|(who, r)| {
                        vec![
                            who.clone(),
                            r.stances(lang),
                            r.what_matters.clone(),
                            list(&r.actions),
                            r.engaged_by.clone(),
                            r.when.clone(),
                            r.sign_of_progress.clone(),
                        ]
                    })
                    .collect(),
            }],
            Structured::Custom(v) => custom_tables(v, lang),
        }
    }
}

/// What starts each item of a list in a cell.
pub const BULLET: &str = "• ";

/// A list as one cell's text: each item on a line of its own after a [`BULLET`]; a single
/// item is just its text (a list of one reads as a value).
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(|s| s.as_ref().trim()).collect();
    match items.as_slice() {
        [one] => one.to_string(),
        items => items
            .iter()
            .map(|i| format!("{BULLET}{i}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// A cell's list items, when it is a list of two or more (every line starts with a bullet).
pub fn list_items(cell: &str) -> Option<Vec<&str>> {
    let lines: Vec<&str> = cell.lines().filter(|l| !l.trim().is_empty()).collect();
    let items: Option<Vec<&str>> = lines
        .iter()
        .map(|l| l.trim_start().strip_prefix(BULLET))
        .collect();
    items.filter(|i| i.len() > 1)
}

/// Column headers from their catalog keys, in `lang`.
pub fn headers(keys: &[&str], lang: &Language) -> Vec<String> {
    keys.iter().map(|k| lang.t(k).to_string()).collect()
}

/// A custom answer's fields: a list of objects becomes a table, an object of objects a table
/// keyed by name, and plain values a two-column table of their own.
fn custom_tables(v: &Value, lang: &Language) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut plain = Vec::new();
    for (name, field) in v.as_object().into_iter().flatten() {
        if name == "summary" {
            continue;
        }
        match field {
            Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
                let columns: Vec<String> = items[0]
                    .as_object()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                let rows = items
                    .iter()
                    .map(|item| columns.iter().map(|c| cell(&item[c])).collect())
                    .collect();
                tables.push(Table {
                    caption: Some(label(name)),
                    columns: columns.iter().map(|c| label(c)).collect(),
                    rows,
                });
            }
            Value::Object(entries)
                if entries.values().all(Value::is_object) && !entries.is_empty() =>
            {
                let first = entries.values().next().and_then(Value::as_object);
                let keys: Vec<String> = first
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                let mut columns = vec![String::new()];
                columns.extend(keys.iter().map(|k| label(k)));
                let rows = entries
                    .iter()
                    .map(|(k, e)| {
                        std::iter::once(k.clone())
                            .chain(keys.iter().map(|c| cell(&e[c])))
                            .collect()
                    })
                    .collect();
                tables.push(Table {
                    caption: Some(label(name)),
                    columns,
                    rows,
                });
            }
            other => plain.push(vec![label(name), cell(other)]),
        }
    }
    if !plain.is_empty() {
        tables.insert(
            0,
            Table {
                caption: None,
                columns: headers(&["column.item", "column.answer"], lang),
                rows: plain,
            },
        );
    }
    tables
}

/// `early_warning_sign` → "Early warning sign".
fn label(key: &str) -> String {
    let words = key.replace(['_', '-'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => list(&items.iter().map(cell).collect::<Vec<_>>()),
        other => other.to_string(),
    }
}

/// The answer as Markdown: the model's summary, then GFM tables (pipes escaped, each list
/// item on a line of its own within its cell, after a bullet).
pub fn to_markdown(s: &Structured) -> String {
    to_markdown_in(s, &Language::english())
}

/// The answer as Markdown with its tables' headers and enum values in `lang`.
pub fn to_markdown_in(s: &Structured, lang: &Language) -> String {
    let mut out = String::new();
    if let Some(summary) = s.summary() {
        out.push_str(summary.trim());
        out.push_str("\n\n");
    }
    for t in s.tables_in(lang) {
        if let Some(c) = &t.caption {
            out.push_str(&format!("**{}**\n\n", markdown_cell(c)));
        }
        out.push_str(&markdown_table(&t));
        out.push('\n');
    }
    out.trim_end().to_string()
}

pub fn markdown_table(t: &Table) -> String {
    let mut out = String::new();
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| markdown_cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&row(&t.columns));
    out.push_str(&format!("|{}\n", "---|".repeat(t.columns.len())));
    for r in &t.rows {
        out.push_str(&row(r));
    }
    out
}

/// Text made safe for one GFM table cell: pipes escaped, lines joined with `<br>`.
pub fn markdown_cell(s: &str) -> String {
    s.trim()
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "\n")
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_stay_in_their_cell() {
        let cases = [
            ("a | b", "a \\| b"),
            ("one\ntwo\r\nthree", "one<br>two<br>three"),
            ("  padded  ", "padded"),
            ("back\\slash", "back\\\\slash"),
            ("\n\n", ""),
        ];
        for (input, want) in cases {
            assert_eq!(markdown_cell(input), want, "{input:?}");
        }
    }

    #[test]
    fn lists_are_bulleted_lines_and_read_back() {
        let cases: [(&[&str], &str); 4] = [
            (&["a", "b"], "• a\n• b"),
            (&[" one "], "one"),
            (&[], ""),
            (&["x | y", "z"], "• x | y\n• z"),
        ];
        for (items, want) in cases {
            assert_eq!(list(items), want, "{items:?}");
        }
        assert_eq!(list_items("• a\n• b"), Some(vec!["a", "b"]));
        assert_eq!(list_items("• a\n\n  • b\n"), Some(vec!["a", "b"]));
        for prose in ["• a", "one\ntwo", "• a\nb", ""] {
            assert_eq!(list_items(prose), None, "{prose:?}");
        }
        assert_eq!(markdown_cell(&list(&["a", "b"])), "• a<br>• b");
    }

    #[test]
    fn a_table_has_a_header_a_rule_and_its_rows() {
        let t = Table {
            caption: None,
            columns: vec!["A".into(), "B".into()],
            rows: vec![vec!["1".into(), "x|y".into()]],
        };
        assert_eq!(markdown_table(&t), "| A | B |\n|---|---|\n| 1 | x\\|y |\n");
    }

    #[test]
    fn custom_answers_become_tables() {
        let v = json!({
            "summary": "s",
            "owner": "Ann",
            "champions": [{"name": "Bo", "group_name": "sales"}, {"name": "Cy", "group_name": "ops"}],
            "by_site": {"Leeds": {"lead": "Di"}, "York": {"lead": "Ed"}}
        });
        let tables = custom_tables(&v, &Language::english());
        assert_eq!(tables.len(), 3);
        assert_eq!(
            tables[0].rows,
            vec![vec!["Owner".to_string(), "Ann".to_string()]]
        );
        let champions = tables
            .iter()
            .find(|t| t.caption.as_deref() == Some("Champions"))
            .unwrap();
        assert_eq!(champions.columns, ["Name", "Group name"]);
        assert_eq!(champions.rows.len(), 2);
        let sites = tables
            .iter()
            .find(|t| t.caption.as_deref() == Some("By site"))
            .unwrap();
        assert_eq!(sites.rows[1], vec!["York".to_string(), "Ed".to_string()]);
    }
}
