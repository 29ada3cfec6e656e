//! `portfolio.toml`: the change load's weights per impact level, the thresholds that colour a
//! group-period amber or red, aliases that make two group names one group, and the language
//! of the portfolio summary. Optional, at the portfolio's root (or `--settings FILE`);
//! discovery never takes it for a project.

use crate::error::{Error, Result};
use crate::project::Level;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The settings file's name at a portfolio's root.
pub const FILE_NAME: &str = "portfolio.toml";
/// A settings file is a few lines; anything larger is not one.
const MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub weights: Weights,
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Canonical group names, each with the other names it goes by.
    #[serde(default)]
    pub groups: BTreeMap<String, GroupSettings>,
    /// The language `portfolio.md`, `.html` and `.xlsx` are written in (a BCP 47 tag;
    /// `--language` wins; English when neither says). Each plan keeps its project's.
    #[serde(default)]
    pub language: Option<String>,
}

/// Points per group and period for each impact level: ChangePlan's Low 1, Medium 5, High 10.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            high: 10,
            medium: 5,
            low: 1,
        }
    }
}

impl Weights {
    pub fn of(&self, level: Level) -> u32 {
        match level {
            Level::High => self.high,
            Level::Medium => self.medium,
            Level::Low => self.low,
        }
    }
}

/// A group-period at or above `amber` is amber, at or above `red` red.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub amber: u32,
    pub red: u32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds { amber: 10, red: 20 }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Settings {
    /// The settings in `text` (from `path`, for messages), checked.
    pub fn parse(path: &Path, text: &str) -> Result<Settings> {
        let mut settings: Settings =
            toml::from_str(text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        // Names are shown in every format: escape codes and line breaks go at once.
        let clean = |s: &str| crate::sanitize::strip_controls(s).replace('\n', " ");
        settings.groups = std::mem::take(&mut settings.groups)
            .into_iter()
            .map(|(name, mut g)| {
                g.aliases = g.aliases.iter().map(|a| clean(a)).collect();
                (clean(&name), g)
            })
            .collect();
        let t = settings.thresholds;
        if t.amber == 0 || t.red <= t.amber {
            return Err(Error::Data(format!(
                "{}: thresholds must be 0 < amber < red (amber = {}, red = {})",
                path.display(),
                t.amber,
                t.red
            )));
        }
        Ok(settings)
    }

    /// The settings at `path`: a regular file of at most 1 MiB.
    pub fn load(path: &Path) -> Result<Settings> {
        let bytes = crate::fs::read_limited(path, MAX_BYTES)
            .map_err(|e| Error::file("read the portfolio settings", path, e))?
            .ok_or_else(|| {
                Error::Data(format!(
                    "{}: a portfolio settings file over 1 MiB is not one",
                    path.display()
                ))
            })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::Data(format!("{}: not UTF-8 text", path.display())))?;
        Settings::parse(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_full_file() {
        let p = Path::new("portfolio.toml");
        assert_eq!(Settings::parse(p, "").unwrap(), Settings::default());
        let s = Settings::parse(
            p,
            "[weights]\nhigh = 8\n[thresholds]\namber = 12\nred = 30\n[groups.\"Ward managers\"]\naliases = [\"Nurse unit managers\"]\n",
        )
        .unwrap();
        assert_eq!(
            s.weights,
            Weights {
                high: 8,
                medium: 5,
                low: 1
            }
        );
        assert_eq!(s.thresholds, Thresholds { amber: 12, red: 30 });
        assert_eq!(s.groups["Ward managers"].aliases, ["Nurse unit managers"]);
        let s = Settings::parse(p, "language = \"de\"\n").unwrap();
        assert_eq!(s.language.as_deref(), Some("de"));
    }

    #[test]
    fn mistakes_name_the_file_and_the_line() {
        let p = Path::new("projects/portfolio.toml");
        let cases = [
            ("[weights]\nhihg = 3\n", "hihg"),
            ("[thresholds]\namber = 20\nred = 10\n", "0 < amber < red"),
            ("[thresholds]\namber = -1\n", "line 2"),
            ("[groups.x]\nalias = []\n", "alias"),
        ];
        for (text, want) in cases {
            let e = Settings::parse(p, text).unwrap_err().to_string();
            assert!(e.starts_with("projects/portfolio.toml: "), "{e}");
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}
