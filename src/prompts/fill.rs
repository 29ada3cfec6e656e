//! Filling section templates from a project: the minijinja environment and its filters, the
//! check for missing inputs, and the filled prompt.

use super::Section;
use crate::chat::Message;
use crate::error::{Error, MissingInput, Result};
use crate::project::people::{self, Guard};
use crate::project::{self, Privacy, Project};
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A section's prompt, filled and ready to paste or send.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FilledPrompt {
    pub section: String,
    pub title: String,
    pub messages: Vec<Message>,
}

impl FilledPrompt {
    /// What a person pastes into a chat UI: the system text (if any) then the user text.
    pub fn paste_text(&self) -> String {
        let parts: Vec<&str> = self.messages.iter().map(|m| m.content.as_str()).collect();
        parts.join("\n\n")
    }
}

/// The work one render may do (minijinja's instruction budget, about 64 bytes each): the
/// built-in draft of a large project uses under 5% of it, while a template from a shared
/// folder that loops without end stops in well under a second.
pub const TEMPLATE_FUEL: u64 = 1_000_000;
/// How deep macros, includes and nested blocks may go.
pub const TEMPLATE_RECURSION: usize = 100;

/// A minijinja environment with the filters every template may use, and bounds on its work.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_recursion_limit(TEMPLATE_RECURSION);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // Project text is inserted once and never re-rendered, and nothing is HTML-escaped.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("list_en", list_en);
    env.add_filter("long_date", long_date);
    env
}

fn list_en(items: Value) -> std::result::Result<String, minijinja::Error> {
    let items: Vec<String> = items.try_iter()?.map(|v| v.to_string()).collect();
    Ok(crate::text::list_en(&items))
}

fn long_date(value: Value) -> std::result::Result<String, minijinja::Error> {
    let s = value.to_string();
    Ok(crate::text::long_date(&s).unwrap_or(s))
}

fn lookup<'a>(ctx: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(ctx, |v, key| v.get(key))
}

fn is_empty(v: Option<&serde_json::Value>) -> bool {
    match v {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => s.trim().is_empty(),
        Some(serde_json::Value::Array(a)) => a.is_empty(),
        Some(serde_json::Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// Every required input missing for `sections`, each listed once with the sections needing it.
pub fn missing_inputs(p: &Project, sections: &[&Section]) -> Vec<MissingInput> {
    let ctx = project::template_context(p, Privacy::Shared);
    let mut missing: Vec<MissingInput> = Vec::new();
    let mut push = |path: &str, section: &str| match missing.iter_mut().find(|m| m.path == path) {
        Some(m) => m.sections.push(section.to_string()),
        None => missing.push(MissingInput {
            path: path.to_string(),
            sections: vec![section.to_string()],
        }),
    };
    for s in sections {
        // The project's name heads every prompt's output and the draft.
        let needs = std::iter::once("project.name").chain(
            s.inputs
                .iter()
                .map(String::as_str)
                .filter(|i| *i != "project.name"),
        );
        for input in needs {
            if is_empty(lookup(&ctx, input)) {
                push(input, &s.id);
            }
        }
    }
    missing
}

/// Fills `sections`, after checking that the project has every input they need (all gaps are
/// reported at once, naming `file`).
pub fn fill_all(
    file: &Path,
    p: &Project,
    sections: &[&Section],
    privacy: Privacy,
) -> Result<Vec<FilledPrompt>> {
    let missing = missing_inputs(p, sections);
    if !missing.is_empty() {
        return Err(Error::MissingData {
            file: file.to_path_buf(),
            missing,
        });
    }
    // Built once per project, not per section: a portfolio's status fills every project.
    let ours = Ours {
        project: p,
        privacy,
        context: project::template_context(p, privacy),
        guard: Guard::new(p, privacy),
    };
    sections
        .iter()
        .map(|s| match &s.language {
            // A template written for a language (`prompts/de/`) writes dates and lists in it.
            Some(lang) => fill(&mut Compiled::new(super::environment_in(lang)), s, &ours),
            None => COMPILED.with_borrow_mut(|compiled| {
                let key = (s.id.clone(), s.body.clone());
                let entry = compiled.entry(key);
                fill(
                    entry.or_insert_with(|| Compiled::new(environment())),
                    s,
                    &ours,
                )
            }),
        })
        .collect()
}

thread_local! {
    /// The templates compiled on this thread, each in an environment of its own, by section id
    /// and text: a portfolio fills the same templates for every project, and compiling them
    /// anew took a tenth of `portfolio status`.
    static COMPILED: std::cell::RefCell<std::collections::HashMap<(String, String), Compiled>> =
        Default::default();
}

/// An environment holding one section's template, and the person-level value it uses, once
/// looked for.
struct Compiled {
    env: Environment<'static>,
    person: Option<Option<&'static str>>,
}

impl Compiled {
    fn new(env: Environment<'static>) -> Compiled {
        Compiled { env, person: None }
    }
}

/// What every section's prompt is filled from: the project, as templates see it, and the
/// guard its messages pass.
struct Ours<'p> {
    project: &'p Project,
    privacy: Privacy,
    context: serde_json::Value,
    guard: Guard,
}

/// The messages as they may leave the machine (see [`Guard`]): refused when people are kept
/// local and one names someone, with the project field it came from; pseudonymised when asked.
pub fn guarded(
    guard: &Guard,
    section: &str,
    messages: Vec<Message>,
    p: &Project,
) -> Result<Vec<Message>> {
    messages
        .into_iter()
        .map(|m| match guard.outgoing(&m.content) {
            Ok(content) => Ok(Message { content, ..m }),
            Err(hit) => {
                let field = people::group_level_fields(p)
                    .into_iter()
                    .find(|(_, value)| guard.register.scan(value).contains(&hit))
                    .map(|(path, _)| path);
                Err(Error::PersonInRequest {
                    section: section.to_string(),
                    field,
                    found: hit.found.as_str(),
                    person: hit.person,
                    in_schema: false,
                })
            }
        })
        .collect()
}

/// Fills one section. A template that uses an undefined value fails here, with its line.
fn fill(compiled: &mut Compiled, section: &Section, ours: &Ours) -> Result<FilledPrompt> {
    let env = &mut compiled.env;
    let (p, privacy) = (ours.project, ours.privacy);
    let source_err = |e: minijinja::Error| {
        Error::Data(format!(
            "template {} ({}): {e:#}",
            section.id, section.source
        ))
    };
    if env.get_template(&section.id).is_err() {
        env.add_template_owned(section.id.clone(), section.body.clone())
            .map_err(source_err)?;
    }
    let tmpl = env.get_template(&section.id).map_err(source_err)?;
    if !privacy.allows_people() {
        let person = *compiled.person.get_or_insert_with(|| {
            let used = tmpl.undeclared_variables(false);
            (project::PERSON_LEVEL.iter().copied()).find(|k| used.contains(*k))
        });
        if let Some(person) = person {
            return Err(Error::Data(format!(
                "template {} ({}) uses `{person}`, which is person-level data.\nPerson-level data stays on this machine unless you opt in: set `[privacy] people = \"pseudonymised\"` (or \"shared\") in the project file, or pass --people pseudonymised.",
                section.id, section.source
            )));
        }
    }
    let text = tmpl
        .render(minijinja::value::Serde(&ours.context))
        .map_err(source_err)?;
    let mut messages = Vec::new();
    if let Some(system) = section.system.as_deref().map(str::trim)
        && !system.is_empty()
    {
        messages.push(Message::system(system));
    }
    messages.push(Message::user(crate::text::collapse_blank_lines(&text)));
    let messages = guarded(&ours.guard, &section.id, messages, p)?;
    Ok(FilledPrompt {
        section: section.id.clone(),
        title: section.title.clone(),
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompts::{Catalog, Source};

    fn crm() -> Project {
        let text = include_str!("../../examples/crm-manufacturer.toml");
        project::parse(Path::new("crm.toml"), text).unwrap().project
    }

    fn section(body: &str) -> Section {
        Section {
            id: "t".into(),
            title: "T".into(),
            inputs: vec![],
            system: None,
            body: body.into(),
            source: Source::BuiltIn,
            built_in: false,
            schema: None,
            language: None,
        }
    }

    #[test]
    fn filters_read_as_english() {
        let env = environment();
        let cases = [
            ("{{ ['a','b','c'] | list_en }}", "a, b and c"),
            ("{{ [] | list_en }}", ""),
            ("{{ '2027-03-01' | long_date }}", "1 March 2027"),
            ("{{ 'soon' | long_date }}", "soon"),
        ];
        for (tmpl, want) in cases {
            assert_eq!(env.render_str(tmpl, ()).unwrap(), want, "{tmpl}");
        }
    }

    #[test]
    fn every_built_in_fills_from_an_example_without_blank_brackets() {
        let catalog = Catalog::load(&[]).unwrap();
        let filled = fill_all(
            Path::new("crm.toml"),
            &crm(),
            &catalog.all(),
            Privacy::Pseudonymised,
        )
        .unwrap();
        assert_eq!(filled.len(), 4);
        for f in &filled {
            let text = f.paste_text();
            assert!(!text.contains('['), "{}: {text}", f.section);
            assert!(!text.contains("{{"), "{}", f.section);
            assert!(!text.contains("\n\n\n"), "{}", f.section);
        }
    }

    #[test]
    fn missing_inputs_are_grouped_by_field() {
        let catalog = Catalog::load(&[]).unwrap();
        let missing = missing_inputs(&Project::default(), &catalog.all());
        let name = missing.iter().find(|m| m.path == "project.name").unwrap();
        assert_eq!(
            name.sections,
            ["resistance", "communication", "metrics", "engagement"]
        );
        let system = missing.iter().find(|m| m.path == "project.system").unwrap();
        assert_eq!(system.sections, ["resistance", "metrics", "engagement"]);
        assert!(missing.iter().any(|m| m.path == "groups"));
    }

    #[test]
    fn people_need_an_opt_in() {
        let s = section("{% for s in stakeholders %}{{ s.name }}{% endfor %}");
        let e = fill_all(Path::new("p"), &crm(), &[&s], Privacy::Local).unwrap_err();
        assert!(e.to_string().contains("person-level data"), "{e}");
        let ok = fill_all(Path::new("p"), &crm(), &[&s], Privacy::Shared).unwrap();
        assert!(ok[0].paste_text().contains("Margaret Ellison"));
    }

    #[test]
    fn a_runaway_template_stops_with_an_error() {
        let start = std::time::Instant::now();
        for body in [
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        ] {
            let s = section(body);
            let e = fill_all(Path::new("p"), &crm(), &[&s], Privacy::Local).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::DATA, "{e}");
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn undefined_variables_are_errors_with_the_line() {
        let s = section("line one\n{{ project.nope }}");
        let e = fill_all(Path::new("p"), &crm(), &[&s], Privacy::Local)
            .unwrap_err()
            .to_string();
        assert!(e.contains("template t (built-in)"), "{e}");
        assert!(e.contains("(in t:2)"), "{e}");
    }

    #[test]
    fn a_system_message_comes_first_and_blank_ones_are_dropped() {
        let mut s = section("Hi {{ project.name }}");
        s.system = Some("  Be brief.  ".into());
        let f = fill_all(Path::new("p"), &crm(), &[&s], Privacy::Local)
            .unwrap()
            .remove(0);
        assert_eq!(f.messages[0], Message::system("Be brief."));
        assert_eq!(f.paste_text(), "Be brief.\n\nHi Sales CRM rollout 2027");
        s.system = Some("   ".into());
        let f = fill_all(Path::new("p"), &crm(), &[&s], Privacy::Local)
            .unwrap()
            .remove(0);
        assert_eq!(f.messages.len(), 1);
    }
}
