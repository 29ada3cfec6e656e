//! The implementation plan as data: built once from the project (people included: the plan
//! stays on this machine) and the stored answers, loading each record once. Renderers in
//! [`render`] turn a [`Plan`] into files.

mod language;
pub mod load;
mod people;
pub mod render;
pub mod review;

use crate::chat::{FinishReason, Usage};
use crate::endpoint::url::origin;
use crate::i18n::Language;
use crate::project::{Level, Privacy, Project, Stakeholder};
use crate::prompts;
use crate::run::section::Planned;
use crate::run::{AnswerSource, Store, StoredSection};
use crate::sanitize::strip_controls;
use crate::sections::{
    Communication, Engagement, Kind, Metrics, Resistance, Structure, Structured, table,
};
use serde::Serialize;

/// Everything a renderer needs.
#[derive(Clone)]
pub struct Plan {
    pub project: Project,
    /// The date the plan was assembled, `YYYY-MM-DD`.
    pub today: String,
    pub grid: Grid,
    /// Every section in the catalog's order: the built-ins, then custom ones.
    pub sections: Vec<PlanSection>,
    pub provenance: Provenance,
    /// Things the reader of the terminal should know (unreadable records); stale sections are
    /// marked on each section.
    pub notes: Vec<String>,
    /// The plan checked against what practitioners check ([`Plan::with_review`]), for the
    /// plan's last section.
    pub review: Option<review::Review>,
    /// Other projects of the portfolio landing on this plan's groups while its change does
    /// ([`Plan::with_other_changes`]); empty outside a portfolio.
    pub other_changes: Vec<load::OtherChanges>,
    /// What prompts carried of the people ([`Plan::with_people`]): the plan says how to get
    /// an engagement plan when nothing, and puts names back where answers have pseudonyms.
    pub people: Privacy,
    /// The language its fixed text, dates and lists are written in ([`Plan::in_language`];
    /// English until then): [`Plan::t`] and [`Plan::term`] read its catalogs.
    pub language: Language,
}

/// One generated section and its answer, if there is one yet.
#[derive(Clone)]
pub struct PlanSection {
    pub id: String,
    pub title: String,
    pub built_in: bool,
    /// The prompt as a person would paste it.
    pub prompt: String,
    pub answer: Option<SectionAnswer>,
    /// Made from an earlier version of the prompt.
    pub stale: bool,
}

#[derive(Clone)]
pub struct SectionAnswer {
    /// The answer as Markdown, reasoning removed; a structured answer's summary and tables.
    pub text: String,
    /// The structured answer, typed, when the section has one that fits its structure.
    pub structured: Option<Structured>,
    /// Why a section meant to be structured holds prose.
    pub unstructured: Option<String>,
    /// What the reader should double-check (roles no point mentions, login counts...).
    pub warnings: Vec<String>,
    pub source: AnswerSource,
    pub model: Option<String>,
    pub created_at: String,
    pub usage: Option<Usage>,
    pub finish_reason: Option<FinishReason>,
    /// The request settings, described for the appendix.
    pub settings: String,
    pub base_url: Option<String>,
    /// The profile and request settings it was asked with, for [`SectionAnswer::settings`].
    pub profile: Option<String>,
    pub request: crate::chat::RequestSettings,
    /// The version in use, and how it was made (`revised`, `edited`...), as the plan's
    /// language says it; `made` is the same as data.
    pub version: u32,
    pub how: String,
    pub made: crate::run::record::How,
    /// The feedback that led to it, oldest first.
    pub feedback: Vec<String>,
}

impl SectionAnswer {
    pub fn is_cut_off(&self) -> bool {
        self.finish_reason
            .as_ref()
            .is_some_and(FinishReason::is_cut_off)
    }
}

/// The influence/interest grid, computed locally: `high` counts as high, `medium` and `low`
/// as lower.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Grid {
    pub manage_closely: Vec<String>,
    pub keep_satisfied: Vec<String>,
    pub keep_informed: Vec<String>,
    pub monitor: Vec<String>,
}

impl Grid {
    pub fn of(stakeholders: &[Stakeholder]) -> Grid {
        let mut grid = Grid::default();
        for s in stakeholders {
            let label = format!("{} ({})", s.name, s.title);
            let quadrant = match (s.influence == Level::High, s.interest == Level::High) {
                (true, true) => &mut grid.manage_closely,
                (true, false) => &mut grid.keep_satisfied,
                (false, true) => &mut grid.keep_informed,
                (false, false) => &mut grid.monitor,
            };
            quadrant.push(label);
        }
        grid
    }
}

/// The catalog keys of the stakeholder register's columns, as every tabular format (CSV,
/// Excel) shows them.
pub const REGISTER_COLUMNS: [&str; 7] = [
    "column.name",
    "column.title",
    "column.group",
    "column.influence",
    "column.interest",
    "column.stance",
    "column.notes",
];

/// One stakeholder as a register row, in [`REGISTER_COLUMNS`]' order, levels and stance in
/// `lang`.
pub fn register_row(s: &Stakeholder, lang: &Language) -> [String; 7] {
    [
        s.name.clone(),
        s.title.clone(),
        s.group.clone(),
        lang.term(s.influence).to_string(),
        lang.term(s.interest).to_string(),
        lang.term(s.stance).to_string(),
        s.notes.clone().unwrap_or_default(),
    ]
}

/// The catalog keys of the review's columns, as the tabular formats (CSV, Excel) show them.
pub const REVIEW_COLUMNS: [&str; 7] = [
    "column.section",
    "column.check",
    "column.result",
    "column.row",
    "column.finding",
    "column.why_it_matters",
    "column.what_to_do",
];

/// Which models and endpoints wrote the plan, and at what cost in tokens.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub models: Vec<String>,
    pub endpoints: Vec<String>,
    pub pasted: usize,
    pub total_usage: Usage,
    /// Ids of sections with no answer yet.
    pub missing: Vec<String>,
}

impl Plan {
    /// Assembles the plan from the project and whatever the store holds. Never makes a request.
    pub fn assemble(project: &Project, planned: &[Planned], store: &Store) -> Plan {
        let mut notes = Vec::new();
        let stored = (planned.iter())
            .map(|p| store.load_or_note(p.id(), &mut notes))
            .collect();
        Plan::assemble_stored(project, planned, stored, notes)
    }

    /// [`Plan::assemble`] from records already read, one per planned section (a portfolio's
    /// status reads each once for the state and the score), and the notes reading them left.
    pub fn assemble_stored(
        project: &Project,
        planned: &[Planned],
        stored: Vec<Option<StoredSection>>,
        notes: Vec<String>,
    ) -> Plan {
        let mut sections = Vec::new();
        for (p, stored) in planned.iter().zip(stored) {
            let f = &p.filled;
            let stale = stored.as_ref().is_some_and(|s| !s.is_current(f, None));
            sections.push(PlanSection {
                id: f.section.clone(),
                title: one_line(&strip_controls(&f.title)),
                built_in: prompts::is_built_in(&f.section),
                prompt: strip_controls(&f.paste_text()),
                answer: stored.map(|s| section_answer(s, p.structure.as_ref(), project)),
                stale,
            });
        }
        let provenance = provenance(&sections);
        let shown = clean_project(project);
        Plan {
            grid: Grid::of(&shown.stakeholders),
            project: shown,
            today: crate::text::today_iso(),
            sections,
            provenance,
            notes,
            review: None,
            other_changes: Vec::new(),
            people: Privacy::Local,
            language: Language::english(),
        }
    }

    /// The plan with its review, as `draft` and `render` write it.
    pub fn with_review(mut self, facts: &review::Facts) -> Plan {
        self.review = Some(review::Review::of(&self, facts));
        self
    }

    pub fn with_other_changes(mut self, others: Vec<load::OtherChanges>) -> Plan {
        self.other_changes = others;
        self
    }

    pub fn section(&self, id: &str) -> Option<&PlanSection> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// A built-in section, when the catalog has it.
    pub fn built_in(&self, kind: Kind) -> Option<&PlanSection> {
        self.sections
            .iter()
            .find(|s| s.built_in && s.id == kind.id())
    }

    /// A built-in section's structured answer, when it has one that fits its structure.
    pub fn structured(&self, kind: Kind) -> Option<&Structured> {
        self.built_in(kind)?.answer.as_ref()?.structured.as_ref()
    }

    pub fn resistance(&self) -> Option<&Resistance> {
        match self.structured(Kind::Resistance)? {
            Structured::Resistance(r) => Some(r),
            _ => None,
        }
    }

    pub fn communication(&self) -> Option<&Communication> {
        match self.structured(Kind::Communication)? {
            Structured::Communication(c) => Some(c),
            _ => None,
        }
    }

    pub fn metrics(&self) -> Option<&Metrics> {
        match self.structured(Kind::Metrics)? {
            Structured::Metrics(m) => Some(m),
            _ => None,
        }
    }

    /// The engagement plan, rows by stakeholder (names once [`Plan::with_people`] put them
    /// back).
    pub fn engagement(&self) -> Option<&Engagement> {
        match self.structured(Kind::Engagement)? {
            Structured::Engagement(e) => Some(e),
            _ => None,
        }
    }

    pub fn missing(&self) -> &[String] {
        &self.provenance.missing
    }
}

fn section_answer(
    s: StoredSection,
    structure: Option<&Structure>,
    project: &Project,
) -> SectionAnswer {
    let english = Language::english();
    let r = &s.request;
    let profile = r.profile.as_deref().map(strip_controls);
    let settings = language::settings(
        r.base_url.as_deref(),
        profile.as_deref(),
        &r.settings,
        &english,
    );
    // Typed again from the stored JSON, so tables follow the current renderer; JSON that no
    // longer fits (the project changed) falls back to the stored text.
    let structured = match (&s.structured, structure) {
        (Some(value), Some(st)) => st.check(&clean_json(value), project).ok(),
        _ => None,
    };
    let warnings = structured
        .as_ref()
        .map(|x| x.warnings(project))
        .unwrap_or_default();
    let text = match &structured {
        Some(x) => table::to_markdown(x),
        None => strip_controls(&s.answer),
    };
    let (version, made) = (s.number(), s.how());
    let feedback = s.trail().iter().map(|f| strip_controls(f)).collect();
    // Records may come from a shared folder: no terminal escapes reach the plan.
    SectionAnswer {
        version,
        how: language::how(&made, &english),
        made,
        profile,
        request: s.request.settings.clone(),
        feedback,
        text,
        structured,
        unstructured: s.unstructured.as_deref().map(strip_controls),
        warnings,
        source: s.source,
        model: s.model.as_deref().map(strip_controls),
        created_at: s.created_at,
        usage: s.usage,
        finish_reason: s.finish_reason,
        settings,
        base_url: s.request.base_url,
    }
}

/// The parts of a project file documents show.
const SHOWN: [&str; 8] = [
    "project",
    "roles",
    "groups",
    "stakeholders",
    "champions",
    "milestones",
    "feedback",
    "operations",
];
/// Fields that may run over several lines; every other one is shown on one line.
const MULTI_LINE: [&str; 6] = [
    "description",
    "primary_purpose",
    "what_changes",
    "concerns",
    "notes",
    "why",
];

/// The project as documents show it. A shared project file (or a template title) may hold
/// escape codes, which are dropped, and line breaks in a name, which would end a heading or
/// a table row, and become spaces.
fn clean_project(project: &Project) -> Project {
    fn clean(v: &mut toml::Value, multi_line: bool) {
        match v {
            toml::Value::String(s) => {
                let text = strip_controls(s);
                *s = if multi_line { text } else { one_line(&text) };
            }
            toml::Value::Array(items) => items.iter_mut().for_each(|i| clean(i, multi_line)),
            toml::Value::Table(t) => t
                .iter_mut()
                .for_each(|(k, v)| clean(v, MULTI_LINE.contains(&k.as_str()))),
            _ => {}
        }
    }
    let Ok(toml::Value::Table(mut table)) = toml::Value::try_from(project) else {
        return project.clone();
    };
    for key in SHOWN {
        if let Some(v) = table.get_mut(key) {
            clean(v, false);
        }
    }
    toml::Value::Table(table)
        .try_into()
        .unwrap_or_else(|_| project.clone())
}

/// Text for one line: line breaks and tabs become spaces.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\t'], " ")
}

/// A stored JSON value with every string cleaned of terminal escapes.
fn clean_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(strip_controls(s)),
        Value::Array(items) => Value::Array(items.iter().map(clean_json).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (strip_controls(k), clean_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn provenance(sections: &[PlanSection]) -> Provenance {
    let answers: Vec<&SectionAnswer> = sections.iter().filter_map(|s| s.answer.as_ref()).collect();
    let mut models: Vec<String> = answers.iter().filter_map(|a| a.model.clone()).collect();
    models.sort();
    models.dedup();
    let mut endpoints: Vec<String> = answers
        .iter()
        .filter_map(|a| a.base_url.as_deref().map(origin))
        .collect();
    endpoints.sort();
    endpoints.dedup();
    let mut total_usage = Usage::default();
    for u in answers.iter().filter_map(|a| a.usage) {
        total_usage += u;
    }
    Provenance {
        models,
        endpoints,
        pasted: answers
            .iter()
            .filter(|a| a.source == AnswerSource::Pasted)
            .count(),
        total_usage,
        missing: sections
            .iter()
            .filter(|s| s.answer.is_none())
            .map(|s| s.id.clone())
            .collect(),
    }
}

#[cfg(test)]
mod i18n_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Stance;
    use crate::prompts::FilledPrompt;

    fn person(name: &str, influence: Level, interest: Level) -> Stakeholder {
        Stakeholder {
            name: name.into(),
            title: "T".into(),
            group: "g".into(),
            influence,
            interest,
            stance: Stance::Neutral,
            notes: None,
        }
    }

    #[test]
    fn escapes_and_line_breaks_in_project_data_stay_out_of_the_plan() {
        let mut project = Project::default();
        project.project.name = Some("Evil\x1b]0;pwned\x07 name\n# injected".into());
        project.project.description = Some("line one\x1b[2J\nline two".into());
        project.project.launch_date = "2027-03-01".parse().ok();
        let mut s = person("Ann\r\nLee\u{9b}31m", Level::High, Level::High);
        s.notes = Some("first\nsecond".into());
        project.stakeholders.push(s);
        let shown = clean_project(&project);
        let info = &shown.project;
        assert_eq!(info.name.as_deref(), Some("Evil name # injected"));
        assert_eq!(info.description.as_deref(), Some("line one\nline two"));
        assert_eq!(info.launch_date, project.project.launch_date);
        assert_eq!(shown.stakeholders[0].name, "Ann Lee");
        assert_eq!(
            shown.stakeholders[0].notes.as_deref(),
            Some("first\nsecond")
        );
        assert_eq!(shown.stakeholders[0].influence, Level::High);
    }

    #[test]
    fn the_grid_puts_only_high_as_high() {
        let grid = Grid::of(&[
            person("A", Level::High, Level::High),
            person("B", Level::High, Level::Medium),
            person("C", Level::Low, Level::High),
            person("D", Level::Medium, Level::Medium),
        ]);
        assert_eq!(
            grid,
            Grid {
                manage_closely: vec!["A (T)".into()],
                keep_satisfied: vec!["B (T)".into()],
                keep_informed: vec!["C (T)".into()],
                monitor: vec!["D (T)".into()],
            }
        );
    }

    #[test]
    fn assembly_reads_the_store_and_marks_missing_and_stale_sections() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let filled = |id: &str, text: &str| FilledPrompt {
            section: id.into(),
            title: id.to_uppercase(),
            messages: vec![crate::chat::Message::user(text)],
        };
        store
            .save(
                &StoredSection::from_paste(
                    &filled("resistance", "old prompt"),
                    "R",
                    None,
                    &Project::default(),
                )
                .unwrap(),
            )
            .unwrap();
        store
            .save(
                &StoredSection::from_paste(&filled("metrics", "p"), "M", None, &Project::default())
                    .unwrap(),
            )
            .unwrap();
        let sections = [
            filled("resistance", "new prompt"),
            filled("communication", "p"),
            filled("metrics", "p"),
        ];
        let planned: Vec<Planned> = sections
            .into_iter()
            .map(|filled| Planned {
                filled,
                structure: None,
            })
            .collect();
        let plan = Plan::assemble(&Project::default(), &planned, &store);
        assert_eq!(plan.missing(), ["communication"]);
        assert!(plan.section("resistance").unwrap().stale);
        assert!(!plan.section("metrics").unwrap().stale);
        assert_eq!(plan.provenance.pasted, 2);
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
        assert_eq!(
            plan.section("metrics")
                .unwrap()
                .answer
                .as_ref()
                .unwrap()
                .settings,
            "pasted from a chat tool"
        );
    }
}
