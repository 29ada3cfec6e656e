//! Named people in the plan. Answers are stored as the model wrote them: with pseudonyms
//! (S01, S02, …) when prompts carried the register pseudonymised. Names go back here, on this
//! machine, when the plan is assembled; and a plan whose named parts go to a confidential
//! annex takes them out again for the part anyone may read.

use super::{Grid, Plan, SectionAnswer};
use crate::i18n::Language;
use crate::project::people::Register;
use crate::project::{EditText, Privacy, Project, edit_group_level};
use crate::sections::{Kind, table};

impl Plan {
    /// The plan with what prompts carried of the people (`privacy`): where they carried
    /// pseudonyms (or the engagement plan's codes, with names shared), every answer gets the
    /// names back; the prompts as sent keep what was sent.
    pub fn with_people(mut self, privacy: Privacy) -> Plan {
        self.people = privacy;
        if privacy.allows_people() {
            let register = Register::of(&self.project);
            self.rewrite_answers(&|t| register.reidentify(t));
        }
        self
    }

    /// The plan as its main part shows it when the named parts go to a confidential annex:
    /// no register, grid, named stances, champions or engagement section; where answers named
    /// someone, their pseudonym (S01) instead; and any name, part of a name, champion, e-mail
    /// address or phone number left in group-level text (the project's fields, the answers,
    /// the prompts as sent, the review) replaced as a pseudonymised request replaces it.
    /// Titles stay: in a plan they are roles ("Owner: Chief Financial Officer").
    pub fn without_people(&self) -> Plan {
        let register = Register::of(&self.project);
        let scrub = |t: &str| register.pseudonymise_names(t);
        let mut plan = self.clone();
        let named = |id: &str| Kind::of(id).is_some_and(Kind::needs_people);
        plan.sections.retain(|s| !(s.built_in && named(&s.id)));
        plan.provenance = super::provenance(&plan.sections);
        plan.project.stakeholders.clear();
        plan.project.champions.clear();
        plan.grid = Grid::default();
        plan.project = group_level(&plan.project, &scrub);
        plan.rewrite_answers(&scrub);
        for s in &mut plan.sections {
            s.title = scrub(&s.title);
            s.prompt = scrub(&s.prompt);
        }
        for f in plan.review.iter_mut().flat_map(|r| r.findings.iter_mut()) {
            f.message = scrub(&f.message);
            f.item = f.item.as_deref().map(scrub);
        }
        plan.notes = plan.notes.iter().map(|n| scrub(n)).collect();
        plan
    }

    /// Every answer's text rewritten by `f`: prose, structured values (and the tables made
    /// from them), what to double-check, why an answer stayed prose, the feedback behind it.
    fn rewrite_answers(&mut self, f: &dyn Fn(&str) -> String) {
        let lang = self.language.clone();
        for a in self.sections.iter_mut().filter_map(|s| s.answer.as_mut()) {
            rewrite(a, f, &lang);
        }
    }
}

fn rewrite(a: &mut SectionAnswer, f: &dyn Fn(&str) -> String, lang: &Language) {
    a.structured = a.structured.as_ref().map(|s| s.map_text(f));
    a.text = match &a.structured {
        Some(s) => table::to_markdown_in(s, lang),
        None => f(&a.text),
    };
    a.warnings = a.warnings.iter().map(|w| f(w)).collect();
    a.unstructured = a.unstructured.as_deref().map(f);
    a.feedback = a.feedback.iter().map(|t| f(t)).collect();
}

/// The project's group-level text (every field that is not a person's) rewritten by `f`.
fn group_level(p: &Project, f: &dyn Fn(&str) -> String) -> Project {
    struct Rewrite<'a>(&'a dyn Fn(&str) -> String);
    impl EditText for Rewrite<'_> {
        fn text(&mut self, s: &mut String) {
            *s = (self.0)(s);
        }
        fn optional(&mut self, s: &mut Option<String>) {
            *s = s.as_deref().map(self.0);
        }
        fn list(&mut self, v: &mut Vec<String>) {
            v.iter_mut().for_each(|s| *s = (self.0)(s));
        }
    }
    let mut p = p.clone();
    edit_group_level(&mut p, &mut Rewrite(f));
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanSection, Provenance};
    use crate::project::{Champion, Stakeholder};
    use crate::run::AnswerSource;

    fn answer(text: &str) -> SectionAnswer {
        SectionAnswer {
            text: text.into(),
            structured: None,
            unstructured: None,
            warnings: vec![format!("check {text}")],
            source: AnswerSource::Pasted,
            model: None,
            created_at: String::new(),
            usage: None,
            finish_reason: None,
            settings: String::new(),
            base_url: None,
            profile: None,
            request: Default::default(),
            version: 1,
            how: "pasted".into(),
            made: crate::run::record::How::Pasted,
            feedback: Vec::new(),
        }
    }

    fn plan() -> Plan {
        let mut project = Project::default();
        project.project.description = Some("the CRM, sponsored by Ann Day".into());
        project.project.sponsor = Some("Chief Financial Officer".into());
        project.stakeholders = vec![Stakeholder {
            name: "Ann Day".into(),
            title: "Chief Financial Officer".into(),
            group: "executives".into(),
            ..Stakeholder::default()
        }];
        project.champions = vec![Champion {
            name: "Bo Lee".into(),
            group: None,
            why: None,
        }];
        let section = |id: &str, text: &str| PlanSection {
            id: id.into(),
            title: id.into(),
            built_in: true,
            prompt: format!("prompt about {text}"),
            answer: Some(answer(text)),
            stale: false,
        };
        Plan {
            grid: Grid::of(&project.stakeholders),
            project,
            today: "2027-01-01".into(),
            sections: vec![
                section("resistance", "S01 and Bo Lee"),
                section("engagement", "S01 moves"),
            ],
            provenance: Provenance::default(),
            notes: Vec::new(),
            review: None,
            people: Privacy::Local,
            other_changes: Vec::new(),
            language: crate::i18n::Language::english(),
        }
    }

    #[test]
    fn names_come_back_only_when_prompts_carried_the_people() {
        let text = |p: &Plan, i: usize| p.sections[i].answer.as_ref().unwrap().text.clone();
        let local = plan().with_people(Privacy::Local);
        assert_eq!(text(&local, 0), "S01 and Bo Lee");
        let named = plan().with_people(Privacy::Pseudonymised);
        assert_eq!(named.people, Privacy::Pseudonymised);
        assert_eq!(text(&named, 0), "Ann Day and Bo Lee");
        let a = named.sections[0].answer.as_ref().unwrap();
        assert_eq!(a.warnings, ["check Ann Day and Bo Lee"]);
        // The prompt as sent stays as it was sent.
        assert_eq!(named.sections[0].prompt, "prompt about S01 and Bo Lee");
    }

    #[test]
    fn the_main_part_keeps_no_name_and_every_role() {
        let main = plan().with_people(Privacy::Pseudonymised).without_people();
        let ids: Vec<&str> = main.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["resistance"]);
        assert!(main.project.stakeholders.is_empty() && main.project.champions.is_empty());
        assert_eq!(main.grid, Grid::default());
        let a = main.sections[0].answer.as_ref().unwrap();
        assert_eq!(a.text, "S01 and [person]");
        assert_eq!(
            main.project.project.description.as_deref(),
            Some("the CRM, sponsored by S01")
        );
        assert_eq!(
            main.project.project.sponsor.as_deref(),
            Some("Chief Financial Officer")
        );
    }
}
