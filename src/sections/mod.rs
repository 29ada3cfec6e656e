//! Structured sections: each built-in section asks for JSON that matches a schema built from the
//! project (a row for every group, exactly 5 resistance points, exactly 5 metrics, a row for
//! every named stakeholder), and the answer is checked against it before it becomes tables.
//! Custom sections may bring a schema.

pub mod communication;
pub mod diff;
pub mod engagement;
pub mod items;
pub mod metrics;
pub mod resistance;
mod rewrite;
pub mod schema;
pub mod table;

use crate::project::Project;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use communication::Communication;
pub use engagement::Engagement;
pub use metrics::Metrics;
pub use resistance::Resistance;

/// The built-in structured sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Resistance,
    Communication,
    Metrics,
    /// Key stakeholder engagement: asked only when prompts may use the register.
    Engagement,
}

impl Kind {
    /// In the catalog's order: the article's three, then engagement.
    pub const ALL: [Kind; 4] = [
        Kind::Resistance,
        Kind::Communication,
        Kind::Metrics,
        Kind::Engagement,
    ];

    /// The section id: the template's file name and the command's name.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Resistance => "resistance",
            Kind::Communication => "communication",
            Kind::Metrics => "metrics",
            Kind::Engagement => "engagement",
        }
    }

    /// The section plans for named stakeholders: it is asked only when prompts may use the
    /// register (people pseudonymised or shared) and there is one.
    pub fn needs_people(self) -> bool {
        self == Kind::Engagement
    }

    pub fn of(section: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == section)
    }
}

/// How structure is asked for, from most to least reliable. Which one a server takes is found
/// out from its answers, not its name, and remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rung {
    /// `response_format: {type: json_schema, strict: true}` (OpenAI, Azure, vLLM, LM Studio,
    /// Ollama, OpenRouter).
    JsonSchema,
    /// `response_format: {type: json_object, schema}` (llama.cpp servers: grammar-constrained).
    JsonObject,
    /// No `response_format`: the schema is in the prompt.
    Prompted,
}

impl Rung {
    pub fn next(self) -> Option<Rung> {
        match self {
            Rung::JsonSchema => Some(Rung::JsonObject),
            Rung::JsonObject => Some(Rung::Prompted),
            Rung::Prompted => None,
        }
    }
}

/// What one section asks for: its schema and how to say it.
#[derive(Debug, Clone)]
pub struct Structure {
    pub section: String,
    pub kind: Option<Kind>,
    /// With grammar hints (`maxLength`); see [`schema::strict`].
    pub schema: Value,
    /// What the answer must cover, said in the instruction.
    pub coverage: String,
    /// The answer's token limit when none is set by the user.
    pub budget: Option<u32>,
}

impl Structure {
    pub fn built_in(kind: Kind, p: &Project) -> Structure {
        let (schema, coverage) = match kind {
            Kind::Resistance => (resistance::schema(p), resistance::coverage(p)),
            Kind::Communication => (communication::schema(p), communication::coverage(p)),
            Kind::Metrics => (metrics::schema(p), metrics::coverage(p)),
            Kind::Engagement => (engagement::schema(p), engagement::coverage(p)),
        };
        Structure {
            section: kind.id().to_string(),
            kind: Some(kind),
            budget: schema::token_budget(&schema),
            schema,
            coverage,
        }
    }

    /// A custom section's own schema (checked against the strict rules when it was loaded).
    pub fn custom(section: &str, schema: Value) -> Structure {
        Structure {
            section: section.to_string(),
            kind: None,
            budget: schema::token_budget(&schema),
            schema,
            coverage: "fill in every field of the schema".to_string(),
        }
    }

    /// The schema as a `json_schema` request sends it.
    pub fn strict_schema(&self) -> Value {
        schema::strict(&self.schema)
    }

    /// A short, stable fingerprint of what is asked: stored answers made for another schema
    /// are not reused.
    pub fn fingerprint(&self) -> String {
        let text = self.schema.to_string();
        let mut h: u64 = 0xcbf29ce484222325;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        format!("{h:016x}")
    }

    pub fn response_format(&self, rung: Rung) -> Option<Value> {
        match rung {
            Rung::JsonSchema => Some(json!({
                "type": "json_schema",
                "json_schema": {
                    "name": format!("plan_ai_{}", self.section.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-', "_")),
                    "strict": true,
                    "schema": self.strict_schema(),
                }
            })),
            Rung::JsonObject => Some(json!({"type": "json_object", "schema": self.schema})),
            Rung::Prompted => None,
        }
    }

    /// The instruction added to the article's prompt. It says "JSON" (OpenAI requires the
    /// word for `json_object`); without a `response_format` it also carries the schema.
    pub fn instruction(&self, rung: Rung) -> String {
        let mut s = format!(
            "Give your answer as one JSON object, with no text before or after it: {}. Keep every field short: a phrase, or one or two sentences.",
            self.coverage
        );
        if rung == Rung::Prompted {
            let pretty = serde_json::to_string_pretty(&self.strict_schema()).unwrap_or_default();
            s.push_str(&format!(
                "\nThe JSON must follow this JSON schema:\n```json\n{pretty}\n```"
            ));
        }
        s
    }

    /// The answer as typed data, or every way it falls short.
    pub fn check(&self, value: &Value, p: &Project) -> Result<Structured, Vec<String>> {
        let problems = schema::validate(&self.strict_schema(), value);
        if !problems.is_empty() {
            return Err(problems);
        }
        let typed = match self.kind {
            Some(Kind::Communication) => {
                communication::parse(value, p).map(Structured::Communication)
            }
            Some(Kind::Resistance) => resistance::parse(value).map(Structured::Resistance),
            Some(Kind::Metrics) => metrics::parse(value).map(Structured::Metrics),
            Some(Kind::Engagement) => engagement::parse(value, p).map(Structured::Engagement),
            None => Ok(Structured::Custom(value.clone())),
        };
        typed.map_err(|e| vec![e])
    }

    /// Checks text that should hold the JSON (a model's answer, a paste).
    pub fn check_text(&self, text: &str, p: &Project) -> Result<(Value, Structured), Vec<String>> {
        let value = schema::extract_json(text)
            .ok_or_else(|| vec!["the answer is not a JSON object".to_string()])?;
        let structured = self.check(&value, p)?;
        Ok((value, structured))
    }
}

/// A structured answer, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Structured {
    Resistance(Resistance),
    Communication(Communication),
    Metrics(Metrics),
    Engagement(Engagement),
    /// A custom section's answer, checked against its schema.
    Custom(Value),
}

impl Structured {
    /// The model's own summary, shown above the tables.
    pub fn summary(&self) -> Option<&str> {
        match self {
            Structured::Resistance(r) => Some(r.summary.as_str()),
            Structured::Communication(c) => Some(c.summary.as_str()),
            Structured::Metrics(m) => Some(m.summary.as_str()),
            Structured::Engagement(e) => Some(e.summary.as_str()),
            Structured::Custom(v) => v.get("summary").and_then(Value::as_str),
        }
        .filter(|s| !s.trim().is_empty())
    }

    /// What the plan's reader should double-check: roles no resistance point mentions, login
    /// counts among the metrics, messages sent by the project team.
    pub fn warnings(&self, p: &Project) -> Vec<String> {
        self.warnings_in(p, &crate::i18n::Language::english())
    }

    /// The same, in `lang` (the plan's language).
    pub fn warnings_in(&self, p: &Project, lang: &crate::i18n::Language) -> Vec<String> {
        match self {
            Structured::Resistance(r) => resistance::warnings(r, p, lang),
            Structured::Communication(c) => communication::warnings(c, lang),
            Structured::Metrics(m) => metrics::warnings(m, lang),
            Structured::Engagement(e) => engagement::warnings(e, lang),
            Structured::Custom(_) => Vec::new(),
        }
    }
}

/// The structure a section asks for, unless prose was chosen: built-ins from the project,
/// custom sections from their schema.
pub fn structure_for(
    section: &str,
    custom_schema: Option<&Value>,
    p: &Project,
    prose: bool,
) -> Option<Structure> {
    if prose {
        return None;
    }
    match (Kind::of(section), custom_schema) {
        (_, Some(schema)) => Some(Structure::custom(section, schema.clone())),
        (Some(kind), None) => Some(Structure::built_in(kind, p)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests;
