//! Resistance planning: the article's top 5 resistance points, each with the roles it affects,
//! the underlying reason, tactics before go-live, who acts, when, and an early-warning sign.

use super::schema::{array, object, one_of, text};
use crate::project::Project;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const POINTS: usize = 5;

/// The catalog keys of the table's column headers.
pub const COLUMNS: &[&str] = &[
    "column.resistance_point",
    "column.roles_affected",
    "column.underlying_reason",
    "column.tactics",
    "column.who_acts",
    "column.when",
    "column.early_warning_sign",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub point: String,
    pub affected_roles: Vec<String>,
    pub underlying_reason: String,
    pub tactics: Vec<String>,
    pub who_acts: String,
    pub when: String,
    pub early_warning_sign: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resistance {
    pub summary: String,
    pub points: Vec<Point>,
}

fn roles(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in &p.roles {
        if !names.contains(&r.name) {
            names.push(r.name.clone());
        }
    }
    names
}

pub fn schema(p: &Project) -> Value {
    let roles = roles(p);
    let point = object(vec![
        (
            "point".into(),
            text("The resistance point, in a phrase", 100),
        ),
        (
            "affected_roles".into(),
            array(
                "The user roles it affects",
                one_of("A role", &roles),
                1,
                roles.len().max(1),
            ),
        ),
        (
            "underlying_reason".into(),
            text("Why people will resist", 200),
        ),
        (
            "tactics".into(),
            array(
                "Specific tactics to address it before go-live",
                text("A tactic", 150),
                1,
                3,
            ),
        ),
        ("who_acts".into(), text("Who carries out the tactics", 60)),
        ("when".into(), text("When, relative to go-live", 40)),
        (
            "early_warning_sign".into(),
            text("What you will see if it is happening", 150),
        ),
    ]);
    object(vec![
        (
            "summary".into(),
            text(
                "Two or three sentences on where resistance will come from",
                400,
            ),
        ),
        (
            "points".into(),
            array("The top 5 resistance points", point, POINTS, POINTS),
        ),
    ])
}

pub fn coverage(p: &Project) -> String {
    format!(
        "exactly {POINTS} resistance points in `points`; `affected_roles` names only these roles, exactly as written: {}",
        crate::text::list_en(&roles(p))
    )
}

pub fn parse(v: &Value) -> Result<Resistance, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

/// Roles no point mentions: a plan that forgets a role forgets its people.
pub fn uncovered_roles(r: &Resistance, p: &Project) -> Vec<String> {
    roles(p)
        .into_iter()
        .filter(|role| !r.points.iter().any(|pt| pt.affected_roles.contains(role)))
        .collect()
}

pub fn warnings(r: &Resistance, p: &Project, lang: &crate::i18n::Language) -> Vec<String> {
    let missing = uncovered_roles(r, p);
    if missing.is_empty() {
        return Vec::new();
    }
    let roles = lang.list(&missing);
    vec![lang.plural(
        "warning.uncovered_roles",
        missing.len() as u64,
        &[("roles", &roles)],
    )]
}
