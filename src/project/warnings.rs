//! Data that is valid but will make a weak plan. Warnings never block.

use super::model::{Project, Stance};
use crate::text::did_you_mean;
use std::fmt::Write as _;

pub fn weak_spots(p: &Project) -> Vec<String> {
    let mut w = Vec::new();
    if p.stakeholders.is_empty() {
        w.push(
            "no [[stakeholders]]: the plan's stakeholder analysis needs names, not categories"
                .to_string(),
        );
    }
    for g in &p.groups {
        if !p
            .stakeholders
            .iter()
            .any(|s| s.group.eq_ignore_ascii_case(&g.name))
        {
            w.push(format!("group \"{}\" has no named stakeholder", g.name));
        }
    }
    for s in &p.stakeholders {
        if !p
            .groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(&s.group))
        {
            let mut msg = format!(
                "stakeholder \"{}\" is in group \"{}\", which is not among [[groups]]",
                s.name, s.group
            );
            if let Some(hint) = did_you_mean(&s.group, p.groups.iter().map(|g| g.name.as_str())) {
                let _ = write!(msg, " (did you mean \"{hint}\"?)");
            }
            w.push(msg);
        }
    }
    let unknown = p
        .stakeholders
        .iter()
        .filter(|s| s.stance == Stance::Unknown)
        .count();
    if unknown > 0 && unknown * 2 > p.stakeholders.len() {
        w.push(format!(
            "{unknown} of {} stakeholders have stance \"unknown\"",
            p.stakeholders.len()
        ));
    }
    if p.champions.is_empty() && !p.stakeholders.is_empty() {
        w.push("no [[champions]] yet: find people with informal influence early".to_string());
    }
    for r in &p.roles {
        if r.what_changes.is_none() {
            w.push(format!(
                "role \"{}\" does not say what_changes for it",
                r.name
            ));
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::model::{Group, Role, Stakeholder};

    fn person(name: &str, group: &str, stance: Stance) -> Stakeholder {
        Stakeholder {
            name: name.into(),
            title: "t".into(),
            group: group.into(),
            stance,
            ..Default::default()
        }
    }

    #[test]
    fn an_empty_project_asks_for_names() {
        let w = weak_spots(&Project::default());
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("no [[stakeholders]]"));
    }

    #[test]
    fn each_weak_spot_is_named() {
        let p = Project {
            groups: vec![
                Group {
                    name: "Executives".into(),
                    ..Default::default()
                },
                Group {
                    name: "IT support".into(),
                    ..Default::default()
                },
            ],
            roles: vec![Role {
                name: "reps".into(),
                ..Default::default()
            }],
            stakeholders: vec![
                person("Ann", "executives", Stance::Unknown),
                person("Bob", "IT suport", Stance::Unknown),
            ],
            ..Default::default()
        };
        let w = weak_spots(&p);
        let want = [
            "group \"IT support\" has no named stakeholder",
            "stakeholder \"Bob\" is in group \"IT suport\", which is not among [[groups]] (did you mean \"IT support\"?)",
            "2 of 2 stakeholders have stance \"unknown\"",
            "no [[champions]] yet: find people with informal influence early",
            "role \"reps\" does not say what_changes for it",
        ];
        assert_eq!(w, want);
    }
}
