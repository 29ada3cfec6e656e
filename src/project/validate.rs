//! Validation of the project file against its schema, on the span-carrying TOML tree, so that
//! *every* unknown key, wrong type and bad value is reported at once with its line and column,
//! instead of serde's first error only.

use super::model::{Level, Privacy, Stance};
use crate::text::{did_you_mean, line_col};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Count,
    Float,
    Bool,
    Date,
    StrList,
    OneOf(&'static [&'static str]),
    Table(&'static [Field]),
    Tables(&'static [Field]),
}

struct Field {
    key: &'static str,
    kind: Kind,
    /// Required inside its table entry (e.g. a role's `name`). Section-level needs are decided by
    /// the templates' declared inputs, not here.
    required: bool,
}

const fn f(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: false,
    }
}
const fn req(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: true,
    }
}

const INFO: &[Field] = &[
    f("name", Kind::Str),
    f("system", Kind::Str),
    f("department", Kind::Str),
    f("company_type", Kind::Str),
    f("description", Kind::Str),
    f("launch_date", Kind::Date),
    f("primary_purpose", Kind::Str),
    f("replaced_tools", Kind::StrList),
    f("workarounds", Kind::StrList),
    f("sponsor", Kind::Str),
    f("owner", Kind::Str),
    f("version", Kind::Str),
    f("language", Kind::Str),
];
const ROLE: &[Field] = &[
    req("name", Kind::Str),
    f("headcount", Kind::Count),
    f("what_changes", Kind::Str),
];
const GROUP: &[Field] = &[
    req("name", Kind::Str),
    f("size", Kind::Count),
    f("concerns", Kind::Str),
    f("preferred_channels", Kind::StrList),
    f("impact", Kind::OneOf(Level::NAMES)),
    f("impact_from", Kind::Date),
    f("impact_to", Kind::Date),
];
const STAKEHOLDER: &[Field] = &[
    req("name", Kind::Str),
    req("title", Kind::Str),
    req("group", Kind::Str),
    req("influence", Kind::OneOf(Level::NAMES)),
    req("interest", Kind::OneOf(Level::NAMES)),
    req("stance", Kind::OneOf(Stance::NAMES)),
    f("notes", Kind::Str),
];
const CHAMPION: &[Field] = &[
    req("name", Kind::Str),
    f("group", Kind::Str),
    f("why", Kind::Str),
];
const MILESTONE: &[Field] = &[req("name", Kind::Str), f("date", Kind::Date)];
const FEEDBACK: &[Field] = &[
    f("channels", Kind::StrList),
    f("cadence", Kind::Str),
    f("anonymous_channel", Kind::Str),
];
const OPERATIONS: &[Field] = &[
    f("processes_to_change", Kind::StrList),
    f("reports_retired", Kind::StrList),
    f("new_workflows", Kind::StrList),
];
const ENDPOINT: &[Field] = &[
    f("profile", Kind::Str),
    f("prose", Kind::Bool),
    f("model", Kind::Str),
    f("temperature", Kind::Float),
    f("max_tokens", Kind::Count),
];
const PRIVACY: &[Field] = &[
    f("people", Kind::OneOf(Privacy::NAMES)),
    f("share_people", Kind::Bool),
];
const OUTPUT: &[Field] = &[
    f("formats", Kind::StrList),
    f("reference_docx", Kind::Str),
    f("confidential_annex", Kind::Bool),
];
const ROOT: &[Field] = &[
    f("project", Kind::Table(INFO)),
    f("roles", Kind::Tables(ROLE)),
    f("groups", Kind::Tables(GROUP)),
    f("stakeholders", Kind::Tables(STAKEHOLDER)),
    f("champions", Kind::Tables(CHAMPION)),
    f("milestones", Kind::Tables(MILESTONE)),
    f("feedback", Kind::Table(FEEDBACK)),
    f("operations", Kind::Table(OPERATIONS)),
    f("endpoint", Kind::Table(ENDPOINT)),
    f("privacy", Kind::Table(PRIVACY)),
    f("output", Kind::Table(OUTPUT)),
];

/// A problem found in the file, with the byte range it is about.
#[derive(Debug)]
pub struct Problem {
    pub span: Range<usize>,
    pub message: String,
}

/// Every problem in `text`, or none: a file that passes deserializes into [`super::Project`].
pub fn problems(text: &str) -> Vec<Problem> {
    match DeTable::parse(text) {
        Ok(root) => {
            let mut problems = Vec::new();
            check_table(root.get_ref(), root.span(), ROOT, "", &mut problems);
            problems
        }
        Err(e) => vec![Problem {
            span: e.span().unwrap_or(0..0),
            message: format!("invalid TOML: {}", e.message().trim_end()),
        }],
    }
}

fn check_table(
    table: &DeTable<'_>,
    table_span: Range<usize>,
    fields: &[Field],
    prefix: &str,
    problems: &mut Vec<Problem>,
) {
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        let path = join(prefix, name);
        match fields.iter().find(|f| f.key == name) {
            Some(field) => check_value(value.get_ref(), value.span(), field.kind, &path, problems),
            None => {
                let mut message = format!("unknown key `{path}`");
                if let Some(hint) = did_you_mean(name, fields.iter().map(|f| f.key)) {
                    let _ = write!(message, "; did you mean `{}`?", join(prefix, hint));
                } else {
                    let known: Vec<_> = fields.iter().map(|f| f.key).collect();
                    let _ = write!(message, " (known keys here: {})", known.join(", "));
                }
                problems.push(Problem {
                    span: key.span(),
                    message,
                });
            }
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !table.iter().any(|(k, _)| k.get_ref().as_ref() == field.key) {
            problems.push(Problem {
                span: table_span.start..table_span.start,
                message: format!("`{}` is required here", join(prefix, field.key)),
            });
        }
    }
}

fn check_value(
    value: &DeValue<'_>,
    span: Range<usize>,
    kind: Kind,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let mut wrong = |expected: &str| {
        let mut message = format!("`{path}` must be {expected}, not {}", describe(value));
        if matches!(kind, Kind::Date) && value.is_str() {
            message.push_str(" (write the date without quotes: launch_date = 2027-03-01)");
        }
        problems.push(Problem {
            span: span.clone(),
            message,
        });
    };
    match kind {
        Kind::Str => {
            if !value.is_str() {
                wrong("a string");
            }
        }
        Kind::Count => match value.as_integer().map(|i| i.as_str().parse::<i64>()) {
            Some(Ok(n)) if (0..=u32::MAX as i64).contains(&n) => {}
            Some(_) => wrong("a whole number from 0 up"),
            None => wrong("a whole number"),
        },
        Kind::Float => {
            if !(value.is_float() || value.is_integer()) {
                wrong("a number");
            }
        }
        Kind::Bool => {
            if !value.is_bool() {
                wrong("true or false");
            }
        }
        Kind::Date => match value.as_datetime() {
            Some(d) if d.date.is_some() && d.time.is_none() => {}
            Some(_) => wrong("a date without a time (e.g. 2027-03-01)"),
            None => wrong("a date (e.g. 2027-03-01)"),
        },
        Kind::StrList => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.get_ref().is_str() {
                        problems.push(Problem {
                            span: item.span(),
                            message: format!(
                                "`{path}[{i}]` must be a string, not {}",
                                describe(item.get_ref())
                            ),
                        });
                    }
                }
            }
            None if value.is_str() => wrong("a list of strings, e.g. [\"Excel\"]"),
            None => wrong("a list of strings"),
        },
        Kind::OneOf(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => {}
            Some(s) => {
                let mut message = format!(
                    "`{path}` is \"{s}\"; expected one of: {}",
                    allowed.join(", ")
                );
                if let Some(hint) = did_you_mean(&s.to_lowercase(), allowed.iter().copied()) {
                    let _ = write!(message, " (did you mean \"{hint}\"?)");
                }
                problems.push(Problem { span, message });
            }
            None => wrong(&format!("one of {}", allowed.join(", "))),
        },
        Kind::Table(fields) => match value.as_table() {
            Some(t) => check_table(t, span, fields, path, problems),
            None => wrong("a table"),
        },
        Kind::Tables(fields) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    match item.get_ref().as_table() {
                        Some(t) => check_table(t, item.span(), fields, &item_path, problems),
                        None => problems.push(Problem {
                            span: item.span(),
                            message: format!("`{item_path}` must be a table ([[{path}]])"),
                        }),
                    }
                }
            }
            None => wrong(&format!("a list of tables, written [[{path}]]")),
        },
    }
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date/time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Every problem, in file order, each with `file:line:col`, the source line and a caret.
pub fn describe_problems(path: &Path, text: &str, problems: &[Problem]) -> String {
    let mut sorted: Vec<&Problem> = problems.iter().collect();
    sorted.sort_by_key(|p| p.span.start);
    let mut out = format!(
        "{} has {}:",
        path.display(),
        crate::text::plural(sorted.len(), "problem")
    );
    for p in sorted {
        let (line, col) = line_col(text, p.span.start);
        let _ = write!(out, "\n  {}:{line}:{col}: {}", path.display(), p.message);
        if let Some(source_line) = text.lines().nth(line - 1) {
            let shown: String = source_line.chars().take(120).collect();
            let _ = write!(
                out,
                "\n      | {shown}\n      | {}^",
                " ".repeat(col.saturating_sub(1).min(120))
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        problems(text).into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn a_valid_file_has_no_problems() {
        let text = include_str!("../../examples/crm-manufacturer.toml");
        assert!(messages(text).is_empty(), "{:?}", messages(text));
        let text = include_str!("../../examples/erp-finance.toml");
        assert!(messages(text).is_empty(), "{:?}", messages(text));
    }

    #[test]
    fn each_kind_of_problem_has_its_message() {
        let cases = [
            (
                "[project]\nsystm = \"x\"",
                "unknown key `project.systm`; did you mean `project.system`?",
            ),
            (
                "[project]\nzzz = 1",
                "unknown key `project.zzz` (known keys here: name, system,",
            ),
            (
                "[project]\nname = 3",
                "`project.name` must be a string, not a whole number",
            ),
            (
                "[project]\nlaunch_date = \"2027-01-01\"",
                "(write the date without quotes",
            ),
            (
                "[project]\nlaunch_date = 2027-01-01T10:00:00",
                "must be a date without a time",
            ),
            (
                "[project]\nreplaced_tools = \"Excel\"",
                "a list of strings, e.g. [\"Excel\"]",
            ),
            (
                "[project]\nreplaced_tools = [\"a\", 2]",
                "`project.replaced_tools[1]` must be a string",
            ),
            (
                "[[roles]]\nheadcount = -1\nname = \"x\"",
                "`roles[0].headcount` must be a whole number from 0 up",
            ),
            (
                "[[roles]]\nwhat_changes = \"x\"",
                "`roles[0].name` is required here",
            ),
            ("roles = 3", "a list of tables, written [[roles]]"),
            (
                "[[stakeholders]]\nname=\"a\"\ntitle=\"b\"\ngroup=\"c\"\ninfluence=\"hgh\"\ninterest=\"low\"\nstance=\"neutral\"",
                "expected one of: high, medium, low (did you mean \"high\"?)",
            ),
            ("[privacy]\nshare_people = \"yes\"", "must be true or false"),
            (
                "[endpoint]\ntemperature = \"hot\"",
                "`endpoint.temperature` must be a number",
            ),
            ("[project\nname = 1", "invalid TOML"),
        ];
        for (text, want) in cases {
            let got = messages(text);
            assert!(
                got.iter().any(|m| m.contains(want)),
                "{text:?}: want {want:?}, got {got:?}"
            );
        }
    }

    #[test]
    fn all_problems_are_listed_in_file_order_with_positions() {
        let text = "[project]\nname = 1\nsystm = \"x\"\n";
        let found = problems(text);
        let out = describe_problems(Path::new("p.toml"), text, &found);
        assert!(out.starts_with("p.toml has 2 problems:"), "{out}");
        let first = out.find("p.toml:2:8").unwrap();
        let second = out.find("p.toml:3:1").unwrap();
        assert!(first < second, "{out}");
        assert!(out.contains("      | name = 1\n      |        ^"), "{out}");
    }
}
