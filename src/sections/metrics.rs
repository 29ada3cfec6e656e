//! Adoption metrics: the article's 5 metrics "beyond login counts", each with what it measures,
//! its dimension, target, baseline, how to collect it, cadence, owner, and what low scores say.

use super::schema::{array, object, one_of, text};
use crate::project::Project;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const METRICS: usize = 5;

/// The catalog keys of the table's column headers.
pub const COLUMNS: &[&str] = &[
    "column.metric",
    "column.what_it_measures",
    "column.dimension",
    "column.target",
    "column.baseline",
    "column.how_to_collect",
    "column.cadence",
    "column.owner",
    "column.low_scores_indicate",
];

/// Prosci's three adoption dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dimension {
    #[serde(rename = "speed of adoption")]
    Speed,
    #[serde(rename = "utilisation")]
    Utilisation,
    #[serde(rename = "proficiency")]
    Proficiency,
}

impl Dimension {
    pub const NAMES: [&'static str; 3] = ["speed of adoption", "utilisation", "proficiency"];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Speed => Self::NAMES[0],
            Dimension::Utilisation => Self::NAMES[1],
            Dimension::Proficiency => Self::NAMES[2],
        }
    }
}

impl crate::i18n::Term for Dimension {
    const KIND: &'static str = "dimension";
    fn word(self) -> &'static str {
        self.as_str()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub metric: String,
    pub what_it_measures: String,
    pub dimension: Dimension,
    pub target: String,
    pub baseline: String,
    pub how_to_collect: String,
    pub cadence: String,
    pub owner: String,
    pub low_scores_indicate: String,
}

impl Metric {
    /// A login or licence count: what the article says to look beyond.
    pub fn is_login_count(&self) -> bool {
        let text = format!("{} {}", self.metric, self.what_it_measures).to_lowercase();
        [
            "login", "log-in", "log in", "logins", "sign-in", "signin", "licence", "license",
            "seats",
        ]
        .iter()
        .any(|w| text.contains(w))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub summary: String,
    pub metrics: Vec<Metric>,
}

pub fn schema(_: &Project) -> Value {
    let dims: Vec<String> = Dimension::NAMES.iter().map(|s| s.to_string()).collect();
    let metric = object(vec![
        ("metric".into(), text("The metric's name", 80)),
        ("what_it_measures".into(), text("What it measures", 200)),
        (
            "dimension".into(),
            one_of("The adoption dimension it shows", &dims),
        ),
        ("target".into(), text("The target threshold", 60)),
        (
            "baseline".into(),
            text("Today's value, or \"to be measured\" before go-live", 60),
        ),
        (
            "how_to_collect".into(),
            text("How to collect the data", 150),
        ),
        ("cadence".into(), text("How often it is measured", 30)),
        ("owner".into(), text("Who owns the metric", 50)),
        (
            "low_scores_indicate".into(),
            text(
                "What low scores might indicate about user experience or training gaps",
                250,
            ),
        ),
    ]);
    object(vec![
        (
            "summary".into(),
            text(
                "Two or three sentences on what genuine adoption looks like here",
                400,
            ),
        ),
        (
            "metrics".into(),
            array("5 metrics of genuine adoption", metric, METRICS, METRICS),
        ),
    ])
}

pub fn coverage(_: &Project) -> String {
    format!(
        "exactly {METRICS} metrics in `metrics`, none of them a login or licence count; `dimension` is {}",
        crate::text::list_en(&Dimension::NAMES.map(|d| format!("\"{d}\"")))
    )
        .replace(" and \"", " or \"")
}

pub fn parse(v: &Value) -> Result<Metrics, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

pub fn warnings(m: &Metrics, lang: &crate::i18n::Language) -> Vec<String> {
    m.metrics
        .iter()
        .filter(|x| x.is_login_count())
        .map(|x| lang.format("warning.login_metric", &[("metric", &x.metric)]))
        .collect()
}
