//! Commands that need no endpoint: `init`, `check`, `prompt`, `sections`, `templates`.

use super::{Ctx, project_flag};
use crate::chat::Message;
use crate::cli::{PromptArgs, TemplatesAction};
use crate::error::{Error, Result, exit};
use crate::project::{Privacy, people};
use crate::prompts::{self, Catalog, Source};
use crate::run::section::{Planned, outgoing, structured_messages};
use crate::run::workspace::Workspace;
use crate::sections::Rung;
use crate::text::plural;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

pub fn init(cx: &Ctx, file: &Path, force: bool) -> Result<i32> {
    if file.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a folder; give a file name",
            file.display()
        )));
    }
    if file.exists() && !force {
        return Err(Error::Refused(format!(
            "{} already exists; refusing to overwrite it (pass --force to replace it)",
            file.display()
        )));
    }
    crate::fs::write_atomic(file, include_str!("../starter.toml").as_bytes())?;
    cx.ui.status(format_args!(
        "wrote {}; fill in the blanks, then run `plan-ai check{}`",
        file.display(),
        project_flag(file)
    ));
    Ok(exit::OK)
}

pub fn check(cx: &Ctx) -> Result<i32> {
    let ws = cx.open()?;
    say_names(cx, &ws);
    let filled = ws.fill_all()?;
    cx.warn_weak_spots(&ws);
    check_catalogs(cx, &ws.catalog);
    let p = &ws.loaded.project;
    if let Some(settings) = portfolio_around(&ws.loaded.path) {
        for g in p.groups.iter().filter(|g| g.impact.is_none()) {
            cx.ui.warn(format_args!(
                "group \"{}\" does not say its impact (high, medium or low); the portfolio's change load ({}) takes it as medium",
                g.name,
                settings.display()
            ));
        }
    }
    let ids: Vec<&str> = filled.iter().map(|f| f.section.as_str()).collect();
    cx.ui.result(&format!(
        "{} is usable: {} ready ({}); {} roles, {} groups, {} named stakeholders, {}.\n",
        ws.loaded.path.display(),
        plural(ids.len(), "section"),
        ids.join(", "),
        p.roles.len(),
        p.groups.len(),
        p.stakeholders.len(),
        plural(ws.loaded.warnings.len(), "warning"),
    ))?;
    Ok(exit::OK)
}

/// Names (and titles, e-mail addresses, phone numbers) typed into fields that are not about
/// people, found before any request: each field and person once, with what a request does
/// with it under the project's privacy choice.
fn say_names(cx: &Ctx, ws: &Workspace) {
    let mut said: Vec<(String, Option<String>)> = Vec::new();
    for (field, hit) in people::names_in_group_fields(&ws.loaded.project) {
        let key = (field.clone(), hit.person.clone().or(Some(hit.text.clone())));
        if said.contains(&key) {
            continue;
        }
        said.push(key);
        let whose = match &hit.person {
            Some(p) => format!("{} of stakeholder {p}", hit.found.as_str()),
            None => format!("{} ({})", hit.found.as_str(), hit.text),
        };
        let fate = match ws.privacy {
            Privacy::Local => format!(
                "people are kept local, so a request carrying it is refused: rephrase {field} without it, or choose --people pseudonymised"
            ),
            Privacy::Pseudonymised if hit.replacement.is_empty() => {
                "it is removed from requests".to_string()
            }
            Privacy::Pseudonymised => format!("requests carry {} instead", hit.replacement),
            Privacy::Shared => "people are shared, so requests carry it as written".to_string(),
        };
        cx.ui.warn(format_args!("{field} holds {whose}; {fate}"));
    }
}

/// What the user's own catalogs lack or get wrong, and the language the plan is written in.
fn check_catalogs(cx: &Ctx, catalog: &Catalog) {
    for c in catalog.languages.user_catalogs() {
        let files: Vec<String> = c.files.iter().map(|f| f.display().to_string()).collect();
        let files = files.join(", ");
        let missing = c.missing();
        if !missing.is_empty() {
            cx.ui.warn(format_args!(
                "{files}: the `{}` catalog lacks {} (English is used for them):\n  {}",
                c.tag,
                plural(missing.len(), "key"),
                missing.join("\n  ")
            ));
        }
        for (key, near) in c.unknown() {
            let near = near
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            cx.ui.warn(format_args!(
                "{files}: `{key}` is not a key plan-ai uses, so it is never shown{near}"
            ));
        }
        for (key, name) in c.stray_placeholders() {
            cx.ui.warn(format_args!(
                "{files}: `{key}` uses {{{name}}}, which plan-ai does not fill there, so it would show as written"
            ));
        }
    }
    let lang = &catalog.language;
    if !lang.is_english() {
        cx.ui.note(format_args!(
            "the plan is written in {} (`{}`); the prompts ask for answers in it",
            lang.display_name(),
            lang.tag()
        ));
    }
}

/// The portfolio a project file belongs to: the nearest `portfolio.toml` in its folder or
/// above.
fn portfolio_around(project: &Path) -> Option<std::path::PathBuf> {
    let folder = std::path::absolute(crate::fs::parent_dir(project)).ok()?;
    folder
        .ancestors()
        .map(|d| d.join(crate::plan::load::settings::FILE_NAME))
        .find(|f| f.is_file())
}

/// A request as `prompt --json` shows it.
#[derive(Serialize)]
struct RequestView<'a> {
    section: &'a str,
    title: &'a str,
    messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<serde_json::Value>,
}

/// What `prompt` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The article's prompt, to paste into a chat tool.
    Paste,
    /// The prompt, then the JSON instruction and schema (`--structured`).
    PasteForJson,
    /// The requests as they would be sent, as JSON (`--json`).
    Requests,
}

impl Shape {
    fn of(args: &PromptArgs) -> Shape {
        match (args.json, args.structured) {
            (true, _) => Shape::Requests,
            (false, true) => Shape::PasteForJson,
            (false, false) => Shape::Paste,
        }
    }
}

pub fn prompt(cx: &Ctx, args: &PromptArgs) -> Result<i32> {
    if let Some(feedback) = &args.revise {
        return super::revise::prompt(cx, args, feedback);
    }
    let ws = cx.open()?;
    let sections = if args.all {
        ws.catalog.all()
    } else {
        ws.catalog.select(&args.sections)?
    };
    let filled = ws.fill(&sections)?;
    let shape = Shape::of(args);
    // A project that asks for prose prints prose prompts, unless structure is asked for here.
    let prose = ws.loaded.project.endpoint.prose.unwrap_or(false) && !args.structured;
    let planned = ws.planned(&filled, prose);
    let (project, privacy) = (&ws.loaded.project, ws.privacy);
    // The JSON instruction quotes the schema, built from the groups and roles: through the
    // same outgoing guard as a request (a group named after a person is refused).
    let paste = |p: &Planned| -> Result<String> {
        match (&p.structure, shape) {
            (Some(s), Shape::PasteForJson) => {
                let format = s.response_format(Rung::JsonSchema);
                let ask = [crate::chat::Message::user(s.instruction(Rung::Prompted))];
                let ask = outgoing(&ask, format.as_ref(), p.id(), project, privacy)?;
                let ask = ask
                    .into_iter()
                    .next()
                    .map(|m| m.content)
                    .unwrap_or_default();
                Ok(format!("{}\n\n{ask}", p.filled.paste_text()))
            }
            _ => Ok(p.filled.paste_text()),
        }
    };
    let out = if shape == Shape::Requests {
        // Exactly what a request sends: through the same outgoing guard.
        let views = planned
            .iter()
            .map(|p| {
                let messages = match &p.structure {
                    Some(s) => structured_messages(&p.filled, s, Rung::JsonSchema),
                    None => p.filled.messages.clone(),
                };
                let response_format =
                    (p.structure.as_ref()).and_then(|s| s.response_format(Rung::JsonSchema));
                let format = response_format.as_ref();
                Ok(RequestView {
                    section: &p.filled.section,
                    title: &p.filled.title,
                    messages: outgoing(&messages, format, p.id(), project, privacy)?,
                    response_format,
                })
            })
            .collect::<Result<Vec<RequestView>>>()?;
        serde_json::to_string_pretty(&views).map_err(|e| Error::Other(e.to_string()))? + "\n"
    } else if let [one] = planned.as_slice() {
        paste(one)? + "\n"
    } else {
        let mut out = String::new();
        for (i, p) in planned.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let head = format!(
                "===== {} ({}/{}): {} ",
                p.filled.section,
                i + 1,
                planned.len(),
                p.filled.title
            );
            let rule = "=".repeat(78usize.saturating_sub(head.chars().count()));
            let _ = write!(out, "{head}{rule}\n\n{}\n", paste(p)?);
        }
        out
    };
    cx.ui.result(&out)?;
    let lang = &ws.catalog.language;
    if shape != Shape::Requests && !lang.is_english() {
        cx.ui.note(format_args!(
            "each prompt carries the language instruction \"{} {}. …\"; keep it when you paste, so the answer comes in {}",
            prompts::language::MARK,
            lang.display_name(),
            lang.english_name()
        ));
    }
    Ok(exit::OK)
}

/// Lists sections. Works without a project file: it is how people discover what to fill in.
pub fn list_sections(cx: &Ctx) -> Result<i32> {
    let dirs = prompts::prompt_dirs(
        &crate::fs::config_dir(),
        &crate::fs::parent_dir(&cx.g.project),
        cx.g.prompts.as_deref(),
    );
    // The project's language when its file reads (its own templates for it are listed).
    let project = crate::project::load(&cx.g.project).ok();
    let (language, origin) = match (&cx.g.language, &project) {
        (Some(flag), _) => (Some(flag.as_str()), "--language".to_string()),
        (None, Some(p)) => (
            p.project.project.language.as_deref(),
            format!("`[project] language` in {}", p.path.display()),
        ),
        (None, None) => (None, String::new()),
    };
    let catalog = Catalog::load_in(&dirs, language, &origin)?;
    let mut out = String::new();
    for s in &catalog.sections {
        let origin = match (&s.source, s.built_in) {
            (Source::File(p), true) => format!("{} (overrides the built-in)", p.display()),
            (src, _) => src.to_string(),
        };
        let needs = if s.inputs.is_empty() {
            "-".to_string()
        } else {
            s.inputs.join(", ")
        };
        let _ = write!(
            out,
            "{:<16} {}\n{:<16} source: {origin}\n{:<16} needs:  {needs}\n",
            s.id, s.title, "", ""
        );
        if crate::sections::Kind::of(&s.id).is_some_and(|k| k.needs_people()) {
            let when = "only with --people pseudonymised or shared";
            let _ = writeln!(out, "{:<16} asked:  {when}", "");
        }
    }
    let _ = writeln!(out, "draft outline: {}", catalog.draft.source);
    cx.ui.result(&out)?;
    Ok(exit::OK)
}

pub fn templates(cx: &Ctx, action: TemplatesAction) -> Result<i32> {
    match action {
        TemplatesAction::Export { dir, force } => {
            let written: Vec<String> = prompts::export(&dir, force)?
                .iter()
                .map(|p| format!("wrote {}\n", p.display()))
                .collect();
            cx.ui.result(&written.concat())?;
        }
    }
    Ok(exit::OK)
}
