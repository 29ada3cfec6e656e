//! Key stakeholder engagement: one row per named stakeholder, keyed by their pseudonym (S01,
//! S02, … in register order), so every stakeholder gets a row by construction and no name is
//! in the schema. Each row: the stance today (fixed by the register) → the target stance, what
//! matters to them, 2–3 engagement actions, who engages them (a role), when, and the sign of
//! progress. Names are put back locally when the plan is rendered.

use super::schema::{array, object, one_of, text};
use crate::project::people::pseudonym;
use crate::project::{Project, Stance};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The stances a plan may aim for: nobody is moved towards "unaware".
pub const TARGETS: [Stance; 3] = [Stance::Neutral, Stance::Supportive, Stance::Leading];

/// The catalog keys of the table's column headers.
pub const COLUMNS: &[&str] = &[
    "column.stakeholder",
    "column.stance_now_target",
    "column.what_matters",
    "column.engagement_actions",
    "column.engaged_by",
    "column.when",
    "column.sign_of_progress",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub current_stance: Stance,
    pub target_stance: Stance,
    pub what_matters: String,
    pub actions: Vec<String>,
    pub engaged_by: String,
    pub when: String,
    pub sign_of_progress: String,
}

impl Row {
    /// "resistant → supportive", the stances in `lang`.
    pub fn stances(&self, lang: &crate::i18n::Language) -> String {
        format!(
            "{} → {}",
            lang.term(self.current_stance),
            lang.term(self.target_stance)
        )
    }
}

/// The engagement plan in register order: `(stakeholder, row)`, the stakeholder as the answer
/// names them (a pseudonym as stored, their name once the plan puts names back).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engagement {
    pub summary: String,
    pub rows: Vec<(String, Row)>,
}

/// Each stakeholder's pseudonym and stance today, in register order.
fn register(p: &Project) -> Vec<(String, Stance)> {
    (p.stakeholders.iter().enumerate())
        .map(|(i, s)| (pseudonym(i), s.stance))
        .collect()
}

/// The stakeholders' pseudonyms in register order: the rows an answer must have.
pub fn codes(p: &Project) -> Vec<String> {
    register(p).into_iter().map(|(c, _)| c).collect()
}

pub fn schema(p: &Project) -> Value {
    let targets: Vec<String> = TARGETS.iter().map(|s| s.as_str().to_string()).collect();
    let row = |now: Stance| {
        object(vec![
            (
                "current_stance".into(),
                one_of(
                    "Where they stand today, as the register says",
                    &[now.as_str().to_string()],
                ),
            ),
            (
                "target_stance".into(),
                one_of("Where the change needs them by go-live", &targets),
            ),
            (
                "what_matters".into(),
                text(
                    "What matters to them: their interests, worries, and what they gain or lose",
                    200,
                ),
            ),
            (
                "actions".into(),
                array(
                    "Two or three specific engagement actions",
                    text("An engagement action", 150),
                    2,
                    3,
                ),
            ),
            (
                "engaged_by".into(),
                text("Who engages them: a role, not a name", 60),
            ),
            (
                "when".into(),
                text("When, relative to go-live or a milestone", 60),
            ),
            (
                "sign_of_progress".into(),
                text("What you will see when they are moving", 150),
            ),
        ])
    };
    let rows = register(p)
        .into_iter()
        .map(|(code, now)| (code, row(now)))
        .collect();
    object(vec![
        (
            "summary".into(),
            text(
                "Two or three sentences on the engagement approach for these stakeholders",
                300,
            ),
        ),
        ("stakeholders".into(), object(rows)),
    ])
}

pub fn coverage(p: &Project) -> String {
    format!(
        "one entry in `stakeholders` for each key stakeholder, keyed by their code exactly as written: {}",
        crate::text::list_en(&codes(p))
    )
}

/// The typed plan from a validated answer, rows in register order.
pub fn parse(v: &Value, p: &Project) -> Result<Engagement, String> {
    let summary = v["summary"].as_str().unwrap_or_default().to_string();
    let rows = v["stakeholders"]
        .as_object()
        .ok_or("`stakeholders` is not an object")?;
    let rows = register(p)
        .into_iter()
        .map(|(code, _)| {
            let row: Row = serde_json::from_value(rows.get(&code).cloned().unwrap_or_default())
                .map_err(|e| format!("stakeholders.{code}: {e}"))?;
            Ok((code, row))
        })
        .collect::<Result<_, String>>()?;
    Ok(Engagement { summary, rows })
}

/// Rows whose engager is the project team, or a named person rather than a role.
pub fn warnings(e: &Engagement, lang: &crate::i18n::Language) -> Vec<String> {
    e.rows
        .iter()
        .filter(|(_, r)| {
            let by = r.engaged_by.to_lowercase();
            by.contains("project team") || by.trim().is_empty()
        })
        .map(|(who, _)| lang.format("warning.project_team_engager", &[("who", who)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Stakeholder;
    use serde_json::json;

    fn project(stances: &[Stance]) -> Project {
        Project {
            stakeholders: (stances.iter().enumerate())
                .map(|(i, s)| Stakeholder {
                    name: format!("Person {i}"),
                    title: "T".into(),
                    group: "g".into(),
                    stance: *s,
                    ..Stakeholder::default()
                })
                .collect(),
            ..Project::default()
        }
    }

    fn row(now: &str, by: &str) -> Value {
        json!({"current_stance": now, "target_stance": "supportive", "what_matters": "m",
               "actions": ["a", "b"], "engaged_by": by, "when": "w", "sign_of_progress": "s"})
    }

    #[test]
    fn the_schema_is_keyed_by_pseudonym_with_the_stance_fixed_by_the_register() {
        let p = project(&[Stance::Resistant, Stance::Unknown]);
        let s = schema(&p);
        let rows = &s["properties"]["stakeholders"];
        assert_eq!(rows["required"], json!(["S01", "S02"]));
        let now =
            |code: &str| rows["properties"][code]["properties"]["current_stance"]["enum"].clone();
        assert_eq!(now("S01"), json!(["resistant"]));
        assert_eq!(now("S02"), json!(["unknown"]));
        assert!(!s.to_string().contains("Person"), "no name in the schema");
        assert_eq!(
            coverage(&p),
            "one entry in `stakeholders` for each key stakeholder, keyed by their code exactly as written: S01 and S02"
        );
    }

    #[test]
    fn parse_keeps_register_order_and_warns_about_the_project_team() {
        let p = project(&[Stance::Resistant, Stance::Neutral]);
        let v = json!({"summary": "s", "stakeholders": {
            "S02": row("neutral", "the project team"), "S01": row("resistant", "the CFO")}});
        let e = parse(&v, &p).unwrap();
        let codes: Vec<&str> = e.rows.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["S01", "S02"]);
        assert_eq!(
            e.rows[0].1.stances(&crate::i18n::Language::english()),
            "resistant → supportive"
        );
        let en = crate::i18n::Language::english();
        assert_eq!(warnings(&e, &en).len(), 1);
        assert!(warnings(&e, &en)[0].starts_with("S02 is engaged by the project team"));
        let missing = json!({"summary": "s", "stakeholders": {"S01": row("resistant", "x")}});
        assert!(
            parse(&missing, &p)
                .unwrap_err()
                .starts_with("stakeholders.S02")
        );
    }
}
