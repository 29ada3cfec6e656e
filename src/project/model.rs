//! The project file as typed data: what `load` returns once the file has passed validation.

use crate::chat::RequestSettings;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Project {
    #[serde(default)]
    pub project: Info,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub stakeholders: Vec<Stakeholder>,
    #[serde(default)]
    pub champions: Vec<Champion>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub feedback: Feedback,
    #[serde(default)]
    pub operations: Operations,
    #[serde(default)]
    pub endpoint: EndpointPrefs,
    #[serde(default)]
    pub privacy: PrivacyPrefs,
    #[serde(default)]
    pub output: OutputPrefs,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Info {
    pub name: Option<String>,
    pub system: Option<String>,
    pub department: Option<String>,
    pub company_type: Option<String>,
    pub description: Option<String>,
    pub launch_date: Option<toml::value::Datetime>,
    pub primary_purpose: Option<String>,
    #[serde(default)]
    pub replaced_tools: Vec<String>,
    #[serde(default)]
    pub workarounds: Vec<String>,
    pub sponsor: Option<String>,
    pub owner: Option<String>,
    pub version: Option<String>,
    /// The plan's language as written (a BCP 47 tag, `en` when not given); the run resolves
    /// it against the catalogs into an [`crate::i18n::Language`].
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub headcount: Option<u32>,
    pub what_changes: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub size: Option<u32>,
    pub concerns: Option<String>,
    #[serde(default)]
    pub preferred_channels: Vec<String>,
    /// How much changes for this group in this project (the portfolio's change load); not
    /// given means medium.
    pub impact: Option<Level>,
    /// When the change lands on this group, if not the default window around go-live.
    pub impact_from: Option<toml::value::Datetime>,
    pub impact_to: Option<toml::value::Datetime>,
}

/// Influence or interest, as the stakeholder register grades it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    High,
    #[default]
    Medium,
    Low,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::High, Level::Medium, Level::Low];
    /// The words a project file may use, in the schema's order.
    pub const NAMES: &'static [&'static str] = &["high", "medium", "low"];

    /// The word a project file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }
}

impl crate::i18n::Term for Level {
    const KIND: &'static str = "level";
    fn word(self) -> &'static str {
        self.as_str()
    }
}

/// Where a stakeholder stands on the change today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    #[default]
    Unknown,
    Unaware,
    Resistant,
    Neutral,
    Supportive,
    Leading,
}

impl Stance {
    pub const ALL: [Stance; 6] = [
        Stance::Unknown,
        Stance::Unaware,
        Stance::Resistant,
        Stance::Neutral,
        Stance::Supportive,
        Stance::Leading,
    ];
    pub const NAMES: &'static [&'static str] = &[
        "unknown",
        "unaware",
        "resistant",
        "neutral",
        "supportive",
        "leading",
    ];

    /// The word a project file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Unknown => "unknown",
            Stance::Unaware => "unaware",
            Stance::Resistant => "resistant",
            Stance::Neutral => "neutral",
            Stance::Supportive => "supportive",
            Stance::Leading => "leading",
        }
    }

    /// Stances the plan must work on before go-live.
    pub fn needs_work(self) -> bool {
        matches!(self, Stance::Resistant | Stance::Unaware | Stance::Unknown)
    }
}

impl crate::i18n::Term for Stance {
    const KIND: &'static str = "stance";
    fn word(self) -> &'static str {
        self.as_str()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stakeholder {
    pub name: String,
    pub title: String,
    pub group: String,
    pub influence: Level,
    pub interest: Level,
    pub stance: Stance,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Champion {
    pub name: String,
    pub group: Option<String>,
    pub why: Option<String>,
}

/// A date of the project file as days since 1970-01-01 (`None` for a time without a date).
pub fn day_of(d: toml::value::Datetime) -> Option<i64> {
    let d = d.date?;
    Some(crate::text::days_from_civil(
        i64::from(d.year),
        u32::from(d.month),
        u32::from(d.day),
    ))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Milestone {
    pub name: String,
    pub date: Option<toml::value::Datetime>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Feedback {
    #[serde(default)]
    pub channels: Vec<String>,
    pub cadence: Option<String>,
    pub anonymous_channel: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Operations {
    #[serde(default)]
    pub processes_to_change: Vec<String>,
    #[serde(default)]
    pub reports_retired: Vec<String>,
    #[serde(default)]
    pub new_workflows: Vec<String>,
}

/// Endpoint preferences a project may carry. Deliberately no `base_url`: a project file is
/// shared between people, and must not be able to redirect someone's key to another host.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EndpointPrefs {
    pub profile: Option<String>,
    /// Ask for prose instead of structured JSON.
    pub prose: Option<bool>,
    #[serde(flatten)]
    pub request: RequestSettings,
}

/// What `draft` and `render` write by default (a project or the user's config may say).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputPrefs {
    /// Formats: md, docx, xlsx, html, csv.
    #[serde(default)]
    pub formats: Vec<String>,
    /// A Word file to take styles and page setup from, relative to the file that names it.
    pub reference_docx: Option<String>,
    /// Write the named parts to a confidential annex next to the plan.
    pub confidential_annex: Option<bool>,
}

/// The project's `[privacy]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PrivacyPrefs {
    /// What prompts may carry of the people: local, pseudonymised or shared.
    pub people: Option<Privacy>,
    /// The older spelling of `people = "shared"`.
    #[serde(default)]
    pub share_people: bool,
}

impl PrivacyPrefs {
    /// The project's choice: `people`, else `share_people`, else local.
    pub fn privacy(&self) -> Privacy {
        match (self.people, self.share_people) {
            (Some(p), _) => p,
            (None, true) => Privacy::Shared,
            (None, false) => Privacy::Local,
        }
    }
}

/// What person-level data (stakeholder names, titles, stances, notes, champions) may go into
/// prompts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privacy {
    /// It stays on this machine: prompts never see it, and a request that would carry a name
    /// is refused (the default).
    #[default]
    Local,
    /// Prompts see the register as pseudonyms (S01, S02, …) with group, influence, interest,
    /// stance and notes cleaned of names and contacts; names are put back locally.
    Pseudonymised,
    /// The user opted in: prompts may use it as written.
    Shared,
}

impl Privacy {
    pub const NAMES: &'static [&'static str] = &["local", "pseudonymised", "shared"];

    /// Prompts may use the register (pseudonymised or as written).
    pub fn allows_people(self) -> bool {
        self != Privacy::Local
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Privacy::Local => "local",
            Privacy::Pseudonymised => "pseudonymised",
            Privacy::Shared => "shared",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_is_the_serde_word_and_the_names_list_in_order() {
        for (level, name) in Level::ALL.iter().zip(Level::NAMES) {
            assert_eq!(level.as_str(), *name);
            assert_eq!(serde_json::to_value(level).unwrap(), *name);
        }
        for (stance, name) in Stance::ALL.iter().zip(Stance::NAMES) {
            assert_eq!(stance.as_str(), *name);
            assert_eq!(serde_json::to_value(stance).unwrap(), *name);
        }
        assert_eq!(Level::ALL.len(), Level::NAMES.len());
        assert_eq!(Stance::ALL.len(), Stance::NAMES.len());
    }

    #[test]
    fn level_and_stance_names_match_their_serde_words() {
        for (i, name) in Level::NAMES.iter().enumerate() {
            let level: Level = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(
                serde_json::to_string(&level).unwrap(),
                format!("\"{name}\"")
            );
            assert_eq!(
                i,
                [Level::High, Level::Medium, Level::Low]
                    .iter()
                    .position(|l| *l == level)
                    .unwrap()
            );
        }
        for name in Stance::NAMES {
            let stance: Stance = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(
                serde_json::to_string(&stance).unwrap(),
                format!("\"{name}\"")
            );
        }
        assert_eq!(Stance::NAMES.len(), 6);
    }

    #[test]
    fn every_stance_and_level_is_translated_in_every_shipped_catalog() {
        use crate::i18n::{Language, Shipped, Term};
        for s in Shipped::ALL {
            let lang = Language::shipped(s);
            for stance in Stance::ALL {
                assert!(lang.message(&stance.key()).is_some(), "{s:?} {stance:?}");
            }
            for level in Level::ALL {
                assert!(lang.message(&level.key()).is_some(), "{s:?} {level:?}");
            }
        }
        let de = Language::shipped(Shipped::De);
        assert_eq!(de.term(Stance::Resistant), "ablehnend");
        assert_eq!(de.term(Level::High), "hoch");
        assert_eq!(Language::english().term(Stance::Leading), "leading");
    }

    #[test]
    fn stances_that_need_work() {
        let work: Vec<&str> = Stance::NAMES
            .iter()
            .filter(|n| {
                serde_json::from_str::<Stance>(&format!("\"{n}\""))
                    .unwrap()
                    .needs_work()
            })
            .copied()
            .collect();
        assert_eq!(work, ["unknown", "unaware", "resistant"]);
    }
}
