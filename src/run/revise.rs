//! Revising a section: the conversation sent (the section's messages, the current answer as
//! the assistant's, the feedback as the last user message), the revised record (with
//! `--only`, the one item put back into the current answer), and the follow-up prompt to
//! paste into a chat tool.

use super::record::{How, StoredSection};
use super::section::Generated;
use crate::chat::{Message, Role};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::prompts::FilledPrompt;
use crate::sections::items::Item;
use crate::sections::{Rung, Structure, table};

/// The current answer as the model gave it: the checked JSON of a structured answer, else the
/// text.
pub fn answer_as_sent(current: &StoredSection) -> String {
    match &current.structured {
        Some(v) => v.to_string(),
        None => current.answer.clone(),
    }
}

/// The conversation a revision sends: the section's messages, the current answer as the
/// assistant's, then the feedback. A structured request adds its JSON instruction to these
/// as to a first answer's (`section::structured_messages`).
pub fn conversation(
    filled: &FilledPrompt,
    current: &StoredSection,
    feedback: &str,
) -> FilledPrompt {
    let mut messages = filled.messages.clone();
    messages.push(Message {
        role: Role::Assistant,
        content: answer_as_sent(current),
    });
    messages.push(Message::user(feedback));
    FilledPrompt {
        messages,
        ..filled.clone()
    }
}

/// How the revised record came: the whole answer, or one item.
pub fn how(only: Option<&Item>) -> How {
    match only {
        Some(item) => How::RevisedOnly {
            item: item.label.clone(),
        },
        None => How::Revised,
    }
}

/// The revision as a record of the section (its prompt as filled, so it stays current while
/// the prompt does). With `only`, the model's item replaces that item in the current answer
/// and everything else is kept exactly; an item that does not fit is refused.
pub fn record(
    filled: &FilledPrompt,
    configured: &Endpoint,
    full: Option<&Structure>,
    g: &Generated,
    only: Option<(&Item, &StoredSection)>,
    project: &Project,
) -> Result<StoredSection> {
    let mut record = StoredSection::from_generated(filled, configured, full, g);
    let Some((item, current)) = only else {
        return Ok(record);
    };
    let (Some(full), Some((new_item, _)), Some(answer)) =
        (full, &g.structured, &current.structured)
    else {
        return Err(Error::Data(format!(
            "the revised `{}` of `{}` did not fit its structure ({}); nothing stored",
            item.label,
            filled.section,
            g.unstructured.as_deref().unwrap_or("no JSON")
        )));
    };
    let merged = item.replace(answer, new_item.clone()).ok_or_else(|| {
        Error::Data(format!(
            "the current answer of `{}` has no `{}` to replace",
            filled.section, item.label
        ))
    })?;
    let typed = full.check(&merged, project).map_err(|problems| {
        Error::Data(format!(
            "the revised `{}` does not fit `{}`:\n  - {}",
            item.label,
            filled.section,
            problems.join("\n  - ")
        ))
    })?;
    record.answer = table::to_markdown(&typed);
    record.structured = Some(merged);
    record.unstructured = None;
    Ok(record)
}

/// What to paste into a chat tool to have an answer revised: the section's prompt (with the
/// JSON instruction and schema for a structured section), the current answer, the feedback.
pub fn followup_prompt(
    filled: &FilledPrompt,
    structure: Option<&Structure>,
    current: &StoredSection,
    feedback: &str,
) -> String {
    let mut out = filled.paste_text();
    if let Some(s) = structure {
        out.push_str("\n\n");
        out.push_str(&s.instruction(Rung::Prompted));
    }
    out.push_str("\n\n---\n\nHere is the current answer:\n\n");
    match (&current.structured, structure) {
        (Some(v), _) => {
            let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
            out.push_str(&format!("```json\n{pretty}\n```"));
        }
        _ => out.push_str(current.answer.trim()),
    }
    out.push_str(&format!(
        "\n\nRevise it with this feedback, and send the whole answer again{}:\n\n{}\n",
        if structure.is_some() {
            ", as one JSON object that follows the schema above"
        } else {
            ""
        },
        feedback.trim()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::record::tests::filled;
    use crate::sections::Kind;
    use serde_json::json;

    fn current(structured: Option<serde_json::Value>) -> StoredSection {
        let mut s = StoredSection::from_paste(
            &filled("The prompt."),
            "Prose answer.",
            None,
            &Project::default(),
        )
        .unwrap();
        s.structured = structured;
        s
    }

    #[test]
    fn the_conversation_is_the_prompt_the_answer_and_the_feedback() {
        let prose = conversation(&filled("The prompt."), &current(None), "Shorter.");
        let roles: Vec<Role> = prose.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
        assert_eq!(prose.messages[1].content, "Prose answer.");
        assert_eq!(prose.messages[2].content, "Shorter.");
        // A structured answer goes back as the JSON the model sent.
        let s = conversation(&filled("p"), &current(Some(json!({"a": "b"}))), "f");
        assert_eq!(s.messages[1].content, r#"{"a":"b"}"#);
        // With the JSON instruction, the system message comes first, the rest in order.
        let st = Structure::built_in(Kind::Metrics, &Project::default());
        let m = crate::run::section::structured_messages(&s, &st, Rung::JsonSchema);
        let roles: Vec<Role> = m.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
    }

    #[test]
    fn the_paste_followup_carries_prompt_schema_answer_and_feedback() {
        let st = Structure::built_in(Kind::Metrics, &Project::default());
        let text = followup_prompt(
            &filled("The prompt."),
            Some(&st),
            &current(Some(json!({"summary": "S"}))),
            "  Tie it to the rota. ",
        );
        assert!(
            text.starts_with("The prompt.\n\nGive your answer as one JSON object"),
            "{text}"
        );
        assert!(
            text.contains("```json\n{\n  \"summary\": \"S\"\n}\n```"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "as one JSON object that follows the schema above:\n\nTie it to the rota.\n"
            ),
            "{text}"
        );
        let prose = followup_prompt(&filled("P"), None, &current(None), "Shorter");
        assert_eq!(
            prose,
            "P\n\n---\n\nHere is the current answer:\n\nProse answer.\n\nRevise it with this feedback, and send the whole answer again:\n\nShorter\n"
        );
    }

    #[test]
    fn how_a_revision_was_made() {
        let p: Project = toml::from_str("[[groups]]\nname = \"IT support\"\n").unwrap();
        let item = crate::sections::items::find(Kind::Communication, &p, "it support").unwrap();
        assert_eq!(how(None), How::Revised);
        assert_eq!(how(Some(&item)).label(), "revised-only IT support");
    }
}
