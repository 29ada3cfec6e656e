//! The communication matrix: one row per stakeholder group, each with what the article asks
//! (what they need to know, when, channel, who delivers, the action wanted) plus frequency and
//! how their feedback comes back.

use super::schema::{object, text};
use crate::project::Project;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The columns of one row: as the schema names them, and the catalog key of their header.
pub const COLUMNS: &[(&str, &str)] = &[
    ("need_to_know", "column.need_to_know"),
    ("when", "column.when"),
    ("frequency", "column.frequency"),
    ("channel", "column.channel"),
    ("delivered_by", "column.delivered_by"),
    ("action_wanted", "column.action_wanted"),
    ("feedback", "column.how_feedback"),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub need_to_know: String,
    pub when: String,
    pub frequency: String,
    pub channel: String,
    pub delivered_by: String,
    pub action_wanted: String,
    pub feedback: String,
}

impl Row {
    pub fn cells(&self) -> [&str; 7] {
        [
            &self.need_to_know,
            &self.when,
            &self.frequency,
            &self.channel,
            &self.delivered_by,
            &self.action_wanted,
            &self.feedback,
        ]
    }
}

/// The matrix in the project's group order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Communication {
    pub summary: String,
    pub rows: Vec<(String, Row)>,
}

/// The project's group names, each once, in order: the matrix's audiences.
pub fn audiences(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for g in &p.groups {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&g.name)) {
            names.push(g.name.clone());
        }
    }
    names
}

pub fn schema(p: &Project) -> Value {
    let row = object(vec![
        (
            "need_to_know".into(),
            text("What this group needs to know", 200),
        ),
        (
            "when".into(),
            text("When they need to know it, relative to the launch", 60),
        ),
        (
            "frequency".into(),
            text("How often: once, weekly, at each milestone", 40),
        ),
        ("channel".into(), text("The best channel to reach them", 60)),
        (
            "delivered_by".into(),
            text(
                "Who delivers the message: a sponsor, senior leader or their line manager, not the project team",
                60,
            ),
        ),
        (
            "action_wanted".into(),
            text("What you want them to do", 150),
        ),
        (
            "feedback".into(),
            text("How their questions and feedback come back", 150),
        ),
    ]);
    let matrix = object(audiences(p).into_iter().map(|g| (g, row.clone())).collect());
    object(vec![
        (
            "summary".into(),
            text("Two or three sentences on the communication approach", 300),
        ),
        ("matrix".into(), matrix),
    ])
}

pub fn coverage(p: &Project) -> String {
    format!(
        "one entry in `matrix` for each stakeholder group, keyed by its name exactly as written: {}",
        crate::text::list_en(&audiences(p))
    )
}

/// The typed matrix from a validated answer, rows in the project's order.
pub fn parse(v: &Value, p: &Project) -> Result<Communication, String> {
    let summary = v["summary"].as_str().unwrap_or_default().to_string();
    let matrix = v["matrix"].as_object().ok_or("`matrix` is not an object")?;
    let rows = audiences(p)
        .into_iter()
        .map(|g| {
            let row: Row = serde_json::from_value(matrix.get(&g).cloned().unwrap_or_default())
                .map_err(|e| format!("matrix.{g}: {e}"))?;
            Ok((g, row))
        })
        .collect::<Result<_, String>>()?;
    Ok(Communication { summary, rows })
}

/// Rows whose sender is the project team, which people hear least from (the article: "who
/// should deliver the message").
pub fn warnings(c: &Communication, lang: &crate::i18n::Language) -> Vec<String> {
    c.rows
        .iter()
        .filter(|(_, r)| {
            let d = r.delivered_by.to_lowercase();
            d.contains("project team") || d.trim().is_empty()
        })
        .map(|(g, _)| lang.format("warning.project_team_sender", &[("group", g)]))
        .collect()
}
