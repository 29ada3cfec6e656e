//! Which group names across projects are one group: the same letters and digits ignoring case,
//! spacing and punctuation ("Ward managers" = "ward-managers"), and the aliases of
//! `portfolio.toml`. Groups found in one project only whose name looks like another's are
//! listed, for a person to confirm with an alias.

use super::Settings;
use std::collections::{BTreeSet, HashMap};

/// The name as compared: lower-case letters and digits only.
pub fn key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A group's name and the other names it goes by.
pub type Named = (String, Vec<String>);

struct Row {
    /// The settings' name for it, which wins.
    canonical: Option<String>,
    /// Each spelling seen, and in how many projects.
    spellings: Vec<(String, usize)>,
    projects: BTreeSet<usize>,
}

impl Row {
    /// The settings' name, else the spelling most projects use (ties: the one with the least
    /// punctuation, then the first in sort order: "Service desk" over "service-desk").
    fn name(&self) -> String {
        if let Some(c) = &self.canonical {
            return c.clone();
        }
        let punctuation = |s: &str| {
            s.chars()
                .filter(|c| !c.is_alphanumeric() && *c != ' ')
                .count()
        };
        let best = self.spellings.iter().min_by(|(a, na), (b, nb)| {
            nb.cmp(na)
                .then(punctuation(a).cmp(&punctuation(b)))
                .then(a.cmp(b))
        });
        best.map(|(s, _)| s.clone()).unwrap_or_default()
    }
}

pub struct Identity {
    /// An alias's key → the canonical name it stands for.
    canonical: HashMap<String, String>,
    by_key: HashMap<String, usize>,
    rows: Vec<Row>,
}

impl Identity {
    pub fn new(settings: &Settings) -> Identity {
        let mut canonical = HashMap::new();
        for (name, g) in &settings.groups {
            canonical.insert(key(name), name.clone());
            for alias in &g.aliases {
                canonical.insert(key(alias), name.clone());
            }
        }
        Identity {
            canonical,
            by_key: HashMap::new(),
            rows: Vec::new(),
        }
    }

    /// The row of the group `name`, as named in project `project`.
    pub fn row(&mut self, name: &str, project: usize) -> usize {
        let canonical = self.canonical.get(&key(name)).cloned();
        let k = key(canonical.as_deref().unwrap_or(name));
        let at = match self.by_key.get(&k) {
            Some(at) => *at,
            None => {
                self.rows.push(Row {
                    canonical,
                    spellings: Vec::new(),
                    projects: BTreeSet::new(),
                });
                self.by_key.insert(k, self.rows.len() - 1);
                self.rows.len() - 1
            }
        };
        let row = &mut self.rows[at];
        let name = name.trim();
        match row.spellings.iter_mut().find(|(s, _)| s == name) {
            Some((_, n)) => *n += 1,
            None => row.spellings.push((name.to_string(), 1)),
        }
        row.projects.insert(project);
        at
    }

    /// Each row's name and other names, in the order rows were made, and the possible aliases.
    pub fn finish(self) -> (Vec<Named>, Vec<(String, String)>) {
        let names: Vec<String> = self.rows.iter().map(Row::name).collect();
        let mut possible = Vec::new();
        for (i, a) in self.rows.iter().enumerate() {
            if a.projects.len() != 1 {
                continue;
            }
            for (j, b) in self.rows.iter().enumerate() {
                let (na, nb) = (&names[i], &names[j]);
                let said = possible.iter().any(|(x, y)| x == nb && y == na);
                if i != j && a.projects != b.projects && !said && alike(na, nb) {
                    possible.push((na.clone(), nb.clone()));
                }
            }
        }
        let rows = self.rows.into_iter().zip(names).map(|(r, name)| {
            let others: Vec<String> = (r.spellings.into_iter())
                .map(|(s, _)| s)
                .filter(|s| *s != name)
                .collect();
            (name, others)
        });
        (rows.collect(), possible)
    }
}

/// Two names that probably mean one group: one inside the other, close in spelling, or sharing
/// a significant word with half their letters in common.
pub fn alike(a: &str, b: &str) -> bool {
    let (ka, kb) = (key(a), key(b));
    if ka.is_empty() || kb.is_empty() {
        return false;
    }
    if ka.contains(&kb) || kb.contains(&ka) {
        return true;
    }
    let close = strsim::normalized_levenshtein(&ka, &kb);
    const GENERIC: &[&str] = &[
        "team", "staff", "the", "and", "all", "group", "users", "managers", "leads",
    ];
    let words = |s: &str| -> BTreeSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_lowercase)
            .filter(|w| !GENERIC.contains(&w.as_str()))
            .collect()
    };
    // A word of one is a word of the other, or its start ("executive" and "executives").
    let (wa, wb) = (words(a), words(b));
    let shared = wa.iter().any(|x| {
        wb.iter()
            .any(|y| x.starts_with(y.as_str()) || y.starts_with(x.as_str()))
    });
    close >= 0.8 || (close >= 0.5 && shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_group_ignoring_case_spacing_and_punctuation() {
        let cases = [
            ("Ward managers", "ward-managers", true),
            ("IT  Support", "it support", true),
            ("Service desk", "Service Desk.", true),
            ("Ward managers", "Ward clerks", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(key(a) == key(b), same, "{a} / {b}");
        }
    }

    #[test]
    fn look_alikes() {
        let cases = [
            ("Ward managers", "ward manager", true),
            ("service desk", "IT service desk", true),
            ("field sales reps", "field sales representatives", true),
            ("Nurse unit managers", "Ward managers", false),
            ("finance team", "executive board", false),
            ("executives", "executive board", true),
        ];
        for (a, b, want) in cases {
            assert_eq!(alike(a, b), want, "{a} / {b}");
        }
    }

    #[test]
    fn aliases_map_onto_one_named_group() {
        let mut settings = Settings::default();
        settings.groups.insert(
            "Ward managers".into(),
            super::super::settings::GroupSettings {
                aliases: vec!["Nurse unit managers".into()],
            },
        );
        let mut id = Identity::new(&settings);
        let a = id.row("ward managers", 0);
        let b = id.row("Nurse Unit Managers", 1);
        let c = id.row("Service desk", 1);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let (names, _) = id.finish();
        assert_eq!(names[a].0, "Ward managers");
        assert_eq!(names[a].1, ["ward managers", "Nurse Unit Managers"]);
    }
}
