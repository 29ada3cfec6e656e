//! A stored section: what was asked (the prompt and the settings that shape the answer, never
//! the key), the answer, and how it came (endpoint or paste, model, usage, timings, structure).

use crate::chat::{FinishReason, Message, RequestSettings, Usage};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::llm::think;
use crate::project::Project;
use crate::prompts::FilledPrompt;
use crate::run::section::Generated;
use crate::sections::{Rung, Structure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const FORMAT: u32 = 1;

/// What was asked: the prompt as sent and the settings that shape the answer. Never the key.
/// Two requests with equal records would be asked the same question the same way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestRecord {
    pub messages: Vec<Message>,
    pub profile: Option<String>,
    pub base_url: Option<String>,
    /// As configured; a `None` model means "the server's only model".
    #[serde(flatten)]
    pub settings: RequestSettings,
    /// The fingerprint of the JSON schema asked for; none for prose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure: Option<String>,
}

impl RequestRecord {
    pub fn new(filled: &FilledPrompt, ep: &Endpoint, structure: Option<&Structure>) -> Self {
        RequestRecord {
            messages: filled.messages.clone(),
            profile: Some(ep.profile.clone()),
            base_url: Some(ep.transport.base_url.clone()),
            settings: ep.request.clone(),
            structure: structure.map(Structure::fingerprint),
        }
    }
}

/// Where a stored answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerSource {
    Endpoint,
    /// Copied from a chat tool by a person (`plan-ai paste`).
    Pasted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSection {
    pub format: u32,
    pub section: String,
    pub title: String,
    pub source: AnswerSource,
    pub request: RequestRecord,
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The model the server said answered.
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub finish_reason: Option<FinishReason>,
    pub created_at: String,
    pub elapsed_ms: Option<u64>,
    pub first_token_ms: Option<u64>,
    pub attempts: Option<u32>,
    /// A structured answer's validated JSON (`answer` then holds it rendered as Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured: Option<Value>,
    /// How the structure was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rung: Option<Rung>,
    /// Why a section meant to be structured is kept as prose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstructured: Option<String>,
    /// Which version of the section this is, and how it was made (none in records written
    /// before versions were kept: the first answer, generated or pasted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionMeta>,
}

/// How a version of a section was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "kebab-case")]
pub enum How {
    /// Asked of an endpoint (`draft`, a section command).
    Generated,
    /// The model revised the whole answer after feedback (`revise`, or a revision pasted back).
    Revised,
    /// The model revised one item (a group's row, a point, a metric); the rest kept as it was.
    RevisedOnly { item: String },
    /// Copied from a chat tool by a person.
    Pasted,
    /// Edited by hand (`edit`).
    Edited,
    /// An earlier version made current again (`use`).
    Restored { from: u32 },
}

impl How {
    /// Made or chosen by a person (everything but a plain generated answer): `draft` keeps it.
    pub fn by_person(&self) -> bool {
        !matches!(self, How::Generated)
    }

    /// Changed after the first answer by a person: revised, edited or restored.
    pub fn is_revision(&self) -> bool {
        !matches!(self, How::Generated | How::Pasted)
    }

    /// As people read it: `generated`, `revised-only IT support`, `restored from 2`.
    pub fn label(&self) -> String {
        match self {
            How::Generated => "generated".into(),
            How::Revised => "revised".into(),
            How::RevisedOnly { item } => format!("revised-only {item}"),
            How::Pasted => "pasted".into(),
            How::Edited => "edited".into(),
            How::Restored { from } => format!("restored from {from}"),
        }
    }
}

/// A version's number, how it was made, from which version, and the feedback behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMeta {
    pub number: u32,
    #[serde(flatten)]
    pub how: How,
    /// The version this one was made from (revised, edited or restored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub based_on: Option<u32>,
    /// The feedback that made this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// Every piece of feedback that led to this content, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trail: Vec<String>,
}

impl StoredSection {
    /// `configured` is the endpoint as resolved from settings, before any model discovery:
    /// the record keeps the model as configured, so deciding reuse never needs the server.
    pub fn from_generated(
        filled: &FilledPrompt,
        configured: &Endpoint,
        structure: Option<&Structure>,
        g: &Generated,
    ) -> Self {
        let a = &g.answer;
        StoredSection {
            format: FORMAT,
            section: filled.section.clone(),
            title: filled.title.clone(),
            source: AnswerSource::Endpoint,
            request: RequestRecord::new(filled, configured, structure),
            answer: g.text(),
            reasoning: a.reasoning.clone(),
            model: Some(a.model.clone()),
            usage: a.usage,
            finish_reason: Some(a.finish_reason.clone()),
            created_at: crate::text::now_rfc3339(),
            elapsed_ms: Some(a.elapsed.as_millis() as u64),
            first_token_ms: a.first_token.map(|t| t.as_millis() as u64),
            attempts: Some(g.requests),
            structured: g.structured.as_ref().map(|(v, _)| v.clone()),
            rung: g.rung,
            unstructured: g.unstructured.clone(),
            version: None,
        }
    }

    /// A pasted answer: prose, or JSON checked against the section's structure (an answer
    /// that looks like JSON but does not fit is refused, listing why).
    pub fn from_paste(
        filled: &FilledPrompt,
        text: &str,
        structure: Option<&Structure>,
        project: &Project,
    ) -> Result<Self> {
        let split = think::split(&crate::sanitize::strip_controls(text));
        let mut record = StoredSection::pasted(filled, &split.answer, &split.reasoning);
        if let Some(s) = structure
            && crate::sections::schema::extract_json(&split.answer).is_some()
        {
            let (value, structured) = s.check_text(&split.answer, project).map_err(|problems| {
                Error::Data(format!(
                    "the pasted JSON for `{}` does not fit its structure:\n  - {}\nFix it, or paste the answer as prose.",
                    filled.section,
                    problems.join("\n  - ")
                ))
            })?;
            record.answer = crate::sections::table::to_markdown(&structured);
            record.structured = Some(value);
        }
        Ok(record)
    }

    fn pasted(filled: &FilledPrompt, answer: &str, reasoning: &str) -> Self {
        StoredSection {
            format: FORMAT,
            section: filled.section.clone(),
            title: filled.title.clone(),
            source: AnswerSource::Pasted,
            request: RequestRecord {
                messages: filled.messages.clone(),
                profile: None,
                base_url: None,
                settings: RequestSettings::default(),
                structure: None,
            },
            answer: answer.trim().to_string(),
            reasoning: Some(reasoning.to_string()).filter(|r| !r.trim().is_empty()),
            model: None,
            usage: None,
            finish_reason: None,
            created_at: crate::text::now_rfc3339(),
            elapsed_ms: None,
            first_token_ms: None,
            attempts: None,
            structured: None,
            rung: None,
            unstructured: None,
            version: None,
        }
    }

    /// How this version was made: as its version says, else (a record from before versions
    /// were kept) from where it came.
    pub fn how(&self) -> How {
        match (&self.version, self.source) {
            (Some(v), _) => v.how.clone(),
            (None, AnswerSource::Endpoint) => How::Generated,
            (None, AnswerSource::Pasted) => How::Pasted,
        }
    }

    /// Its version number (1 for a record from before versions were kept).
    pub fn number(&self) -> u32 {
        self.version.as_ref().map_or(1, |v| v.number)
    }

    /// The feedback that led to this content, oldest first.
    pub fn trail(&self) -> &[String] {
        self.version.as_ref().map_or(&[], |v| v.trail.as_slice())
    }

    /// Whether this stored answer answers `filled` as `ep` would ask it. Without an endpoint,
    /// only the prompt counts. An answer a person pasted, revised, edited or restored is
    /// current while its prompt is: it was chosen by a person, whatever the endpoint.
    pub fn is_current(
        &self,
        filled: &FilledPrompt,
        asked: Option<(&Endpoint, Option<&Structure>)>,
    ) -> bool {
        if self.request.messages != filled.messages {
            return false;
        }
        match (self.source, asked) {
            (AnswerSource::Pasted, _) | (_, None) => true,
            _ if self.how().by_person() => true,
            (AnswerSource::Endpoint, Some((ep, structure))) => {
                self.request == RequestRecord::new(filled, ep, structure)
            }
        }
    }

    pub fn is_cut_off(&self) -> bool {
        self.finish_reason
            .as_ref()
            .is_some_and(FinishReason::is_cut_off)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The metrics section's prompt as `text` (also for the store's tests).
    pub(in crate::run) fn filled(text: &str) -> FilledPrompt {
        FilledPrompt {
            section: "metrics".into(),
            title: "Success metrics".into(),
            messages: vec![Message::user(text)],
        }
    }

    #[test]
    fn a_pasted_answer_keeps_reasoning_apart_and_stays_current_while_its_prompt_does() {
        let s = StoredSection::from_paste(
            &filled("p"),
            "<think>why</think>\n The answer \n",
            None,
            &Project::default(),
        )
        .unwrap();
        assert_eq!(s.answer, "The answer");
        assert_eq!(s.reasoning.as_deref(), Some("why"));
        assert_eq!(s.source, AnswerSource::Pasted);
        assert!(s.is_current(&filled("p"), None));
        assert!(!s.is_current(&filled("changed"), None));
    }

    #[test]
    fn records_round_trip_in_the_documented_shape() {
        let s = StoredSection::from_paste(&filled("p"), "x", None, &Project::default()).unwrap();
        let json: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert_eq!(json["source"], "pasted");
        assert_eq!(json["request"]["model"], serde_json::Value::Null);
        assert!(
            json["request"].get("settings").is_none(),
            "settings are flat: {json}"
        );
        let back: StoredSection = serde_json::from_value(json).unwrap();
        assert_eq!(back.request, s.request);
    }
}
