//! Editing a section by hand: the file a person edits (pretty JSON for a structured answer,
//! Markdown for prose, under a short comment block), and what the saved file means: nothing
//! to store (unchanged, emptied), a new version, or the reasons it does not fit.

use super::record::StoredSection;
use crate::project::Project;
use crate::sections::{Structure, table};
use serde_json::Value;

/// Lines starting with this are comments, removed from the top of the edited file. Neither a
/// JSON document nor a Markdown heading (`#` and a space) starts with it.
pub const COMMENT: &str = "#:";

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The checked JSON of a structured answer.
    Json,
    /// A prose answer, as Markdown.
    Markdown,
}

impl Format {
    pub fn of(current: &StoredSection) -> Format {
        match current.structured {
            Some(_) => Format::Json,
            None => Format::Markdown,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Markdown => "md",
        }
    }
}

/// The answer as the person edits it.
pub fn body(current: &StoredSection) -> String {
    match &current.structured {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default() + "\n",
        None => crate::text::with_newline(current.answer.trim()),
    }
}

/// The comment block above the answer: what this is, and, after a failed save, what is wrong.
pub fn header(current: &StoredSection, problems: &[String]) -> String {
    let mut lines = vec![format!(
        "Editing `{}`, version {} ({}). Lines starting with {COMMENT} are removed.",
        current.section,
        current.number(),
        current.how().label()
    )];
    if problems.is_empty() {
        lines.push(
            "Save and close to store it as a new version; leave it unchanged, or empty it, to store nothing."
                .into(),
        );
    } else {
        lines.push("This edit does not fit the section's structure:".into());
        lines.extend(
            problems
                .iter()
                .map(|p| format!("  - {}", p.replace('\n', " "))),
        );
        lines.push("Fix it and save, or empty the file to store nothing.".into());
    }
    lines.iter().map(|l| format!("{COMMENT} {l}\n")).collect()
}

/// The text without the leading comment lines.
pub fn strip_header(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with(COMMENT) {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    rest
}

/// What a saved file means.
#[derive(Debug)]
pub enum Saved {
    /// The same answer (whitespace and JSON layout aside): nothing to store.
    Unchanged,
    /// An empty file: nothing to store.
    Emptied,
    /// A new version, ready to store.
    Valid(Box<StoredSection>),
    /// Why it cannot be stored.
    Invalid(Vec<String>),
}

/// Checks the saved `text` (escape codes are removed first) against the section's structure.
pub fn check(
    current: &StoredSection,
    text: &str,
    structure: Option<&Structure>,
    project: &Project,
) -> Saved {
    let cleaned = crate::sanitize::strip_controls(text);
    let body = strip_header(&cleaned).trim();
    if body.is_empty() {
        return Saved::Emptied;
    }
    let mut record = current.clone();
    record.created_at = crate::text::now_rfc3339();
    record.usage = None;
    record.elapsed_ms = None;
    record.first_token_ms = None;
    record.attempts = None;
    record.reasoning = None;
    match Format::of(current) {
        Format::Json => {
            let value: Value = match serde_json::from_str(body) {
                Ok(v) => v,
                Err(e) => {
                    return Saved::Invalid(vec![format!(
                        "not valid JSON: {e} (counted from the first line after the comments)"
                    )]);
                }
            };
            if current.structured.as_ref() == Some(&value) {
                return Saved::Unchanged;
            }
            let Some(structure) = structure else {
                return Saved::Invalid(vec![
                    "the section no longer asks for structure; edit it after a prose answer".into(),
                ]);
            };
            match structure.check(&value, project) {
                Ok(typed) => {
                    record.answer = table::to_markdown(&typed);
                    record.structured = Some(value);
                    record.unstructured = None;
                }
                Err(problems) => return Saved::Invalid(problems),
            }
        }
        Format::Markdown => {
            if body == current.answer.trim() {
                return Saved::Unchanged;
            }
            record.answer = body.to_string();
        }
    }
    Saved::Valid(Box::new(record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::record::tests::filled;
    use crate::sections::Kind;

    fn prose() -> StoredSection {
        StoredSection::from_paste(&filled("p"), "# Plan\nOld text.", None, &Project::default())
            .unwrap()
    }

    fn structured() -> (StoredSection, Structure) {
        let p = Project::default();
        let st = Structure::built_in(Kind::Metrics, &p);
        let metric = serde_json::json!({
            "metric": "m", "what_it_measures": "w", "dimension": "utilisation", "target": "t",
            "baseline": "b", "how_to_collect": "h", "cadence": "c", "owner": "o",
            "low_scores_indicate": "l"
        });
        let v = serde_json::json!({"summary": "S", "metrics": vec![metric; 5]});
        let mut s = prose();
        s.answer = table::to_markdown(&st.check(&v, &p).unwrap());
        s.structured = Some(v);
        (s, st)
    }

    #[test]
    fn comment_lines_at_the_top_are_removed_and_nothing_else() {
        let cases = [
            ("#: a\n#: b\nbody\n#: kept", "body\n#: kept"),
            (
                "# Heading\n#: not a comment here",
                "# Heading\n#: not a comment here",
            ),
            ("#: only", ""),
            ("", ""),
            ("{\"a\": 1}", "{\"a\": 1}"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_header(input), want, "{input:?}");
        }
        let h = header(&prose(), &["$.metrics: expected 5 items,\ngot 4".into()]);
        assert!(h.lines().all(|l| l.starts_with("#: ")), "{h}");
        assert!(
            h.contains("#:   - $.metrics: expected 5 items, got 4\n"),
            "{h}"
        );
        assert_eq!(strip_header(&(h + "x")), "x");
    }

    #[test]
    fn prose_edits() {
        let cur = prose();
        assert_eq!(Format::of(&cur).extension(), "md");
        let file = header(&cur, &[]) + &body(&cur);
        assert!(matches!(
            check(&cur, &file, None, &Project::default()),
            Saved::Unchanged
        ));
        assert!(matches!(
            check(&cur, "#: x\n \n", None, &Project::default()),
            Saved::Emptied
        ));
        let Saved::Valid(new) = check(
            &cur,
            "New \u{1b}]0;title\u{7}text.\n",
            None,
            &Project::default(),
        ) else {
            panic!()
        };
        assert_eq!(new.answer, "New text.");
        assert_eq!(new.request, cur.request);
    }

    #[test]
    fn json_edits_are_checked_against_the_structure() {
        let (cur, st) = structured();
        let p = Project::default();
        assert_eq!(Format::of(&cur), Format::Json);
        let text = body(&cur);
        // Reformatted, the same JSON: unchanged.
        let compact = cur.structured.as_ref().unwrap().to_string();
        assert!(matches!(
            check(&cur, &compact, Some(&st), &p),
            Saved::Unchanged
        ));
        let edited = text.replacen("\"S\"", "\"New summary\"", 1);
        let Saved::Valid(new) = check(&cur, &edited, Some(&st), &p) else {
            panic!()
        };
        assert_eq!(new.structured.as_ref().unwrap()["summary"], "New summary");
        assert!(new.answer.contains("New summary"), "{}", new.answer);
        assert!(new.usage.is_none());
        // Broken JSON, and JSON that does not fit.
        let Saved::Invalid(why) = check(&cur, "{\"summary\": ", Some(&st), &p) else {
            panic!()
        };
        assert!(why[0].starts_with("not valid JSON"), "{why:?}");
        let Saved::Invalid(why) =
            check(&cur, "{\"summary\": \"S\", \"metrics\": []}", Some(&st), &p)
        else {
            panic!()
        };
        assert!(why.iter().any(|w| w.contains("metrics")), "{why:?}");
    }
}
