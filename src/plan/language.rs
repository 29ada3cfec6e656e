//! The plan in its language: the fixed text and enum values it shows, built-in section titles,
//! structured answers' tables, what to double-check, how each version was made, and the
//! review's rows, all from the language's catalogs.

use super::{Plan, SectionAnswer};
use crate::chat::RequestSettings;
use crate::endpoint::url::origin;
use crate::i18n::{Language, Term};
use crate::project::Project;
use crate::run::record::How;
use crate::sanitize::strip_controls;
use crate::sections::{Kind, table};

impl Plan {
    /// The plan in `language` (the project's or the command line's, as the run resolved it):
    /// built-in sections keep their heading in it (unless a template renamed them), and
    /// structured answers show their tables, enum values and what to double-check in it.
    pub fn in_language(mut self, language: Language) -> Plan {
        self.language = language;
        let english = Language::english();
        for s in &mut self.sections {
            let key = Kind::of(&s.id).filter(|_| s.built_in).map(heading);
            if let Some(key) = key.filter(|k| s.title == english.t(k)) {
                s.title = self.language.t(key).to_string();
            }
            if let Some(a) = &mut s.answer {
                a.localise(&self.language, &self.project);
            }
        }
        self
    }

    /// The plan's fixed text for `key` in its language (English where its catalog has none).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.language.t(key)
    }

    /// An enum value (a stance, a level, a dimension) as the plan shows it.
    pub fn term<T: Term>(&self, value: T) -> &str {
        self.language.term(value)
    }

    /// A section's title as the plan shows it: "Whole plan" for the plan-wide checks.
    pub fn section_title(&self, id: &str) -> String {
        match id {
            "plan" => self.t("plan.whole_plan").to_string(),
            id => self.section(id).map_or(id.to_string(), |s| s.title.clone()),
        }
    }

    /// Every finding of the review (passes too), with its verdict, as a row in
    /// [`super::REVIEW_COLUMNS`]' order, in the plan's language.
    pub fn review_rows(&self) -> Vec<(crate::plan::review::Verdict, [String; 7])> {
        let Some(review) = &self.review else {
            return Vec::new();
        };
        let l = &self.language;
        (review.findings.iter())
            .map(|f| {
                let text = |part: &str| l.t(&format!("check.{}.{part}", f.check.id)).to_string();
                let row = [
                    self.section_title(&f.section),
                    f.check.id.to_string(),
                    l.term(f.verdict).to_string(),
                    f.item.clone().unwrap_or_default(),
                    f.message.clone(),
                    text("why"),
                    text("hint"),
                ];
                (f.verdict, row)
            })
            .collect()
    }
}

/// The catalog key of a built-in section's heading.
pub fn heading(kind: Kind) -> &'static str {
    match kind {
        Kind::Resistance => "heading.resistance",
        Kind::Communication => "heading.communication",
        Kind::Metrics => "heading.metrics",
        Kind::Engagement => "heading.engagement",
    }
}

impl SectionAnswer {
    /// Everything about the answer that is written in the plan's language.
    fn localise(&mut self, lang: &Language, project: &Project) {
        if let Some(s) = &self.structured {
            self.text = table::to_markdown_in(s, lang);
            self.warnings = s.warnings_in(project, lang);
        }
        self.how = how(&self.made, lang);
        let (url, profile) = (self.base_url.as_deref(), self.profile.as_deref());
        self.settings = settings(url, profile, &self.request, lang);
    }
}

/// How a version was made, as people read it: "revised", "restored from 2".
pub fn how(made: &How, lang: &Language) -> String {
    match made {
        How::Generated => lang.t("how.generated").to_string(),
        How::Revised => lang.t("how.revised").to_string(),
        How::RevisedOnly { item } => {
            lang.format("how.revised_only", &[("item", &strip_controls(item))])
        }
        How::Pasted => lang.t("how.pasted").to_string(),
        How::Edited => lang.t("how.edited").to_string(),
        How::Restored { from } => lang.format("how.restored", &[("from", &from.to_string())]),
    }
}

/// The request settings an answer was made with, for the appendix: "endpoint
/// http://localhost:8080, profile work, temperature 0.4, max_tokens 1500" (the settings'
/// own names stay as the config file writes them); a pasted answer's has none.
pub fn settings(
    base_url: Option<&str>,
    profile: Option<&str>,
    request: &RequestSettings,
    lang: &Language,
) -> String {
    let mut parts = Vec::new();
    if let Some(u) = base_url {
        parts.push(lang.format("appendix.endpoint", &[("url", &origin(u))]));
    }
    if let Some(p) = profile {
        parts.push(lang.format("appendix.profile", &[("name", p)]));
    }
    if let Some(t) = request.temperature {
        parts.push(format!("temperature {t}"));
    }
    if let Some(m) = request.max_tokens {
        parts.push(format!("max_tokens {m}"));
    }
    if parts.is_empty() {
        lang.t("appendix.pasted").to_string()
    } else {
        parts.join(", ")
    }
}
