//! Commands that need no endpoint: `init`, `check`, `prompt`, `sections`, `templates`.

use super::{open, print_warnings, project_flag};
use crate::chat::Message;
use crate::cli::{Global, TemplatesAction};
use crate::error::{Error, Result, exit};
use crate::prompts::{self, Catalog, Source};
use crate::run::section::{Planned, structured_messages};
use crate::sections::Rung;
use crate::term::out::write_stdout;
use crate::text::plural;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

pub fn init(file: &Path, force: bool) -> Result<i32> {
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
    eprintln!(
        "wrote {}; fill in the blanks, then run `plan-ai check{}`",
        file.display(),
        project_flag(file)
    );
    Ok(exit::OK)
}

pub fn check(g: &Global) -> Result<i32> {
    let ws = open(g)?;
    let filled = ws.fill_all()?;
    print_warnings(&ws);
    let p = &ws.loaded.project;
    let ids: Vec<&str> = filled.iter().map(|f| f.section.as_str()).collect();
    println!(
        "{} is usable: {} ready ({}); {} roles, {} groups, {} named stakeholders, {}.",
        ws.loaded.path.display(),
        plural(ids.len(), "section"),
        ids.join(", "),
        p.roles.len(),
        p.groups.len(),
        p.stakeholders.len(),
        plural(ws.loaded.warnings.len(), "warning"),
    );
    Ok(exit::OK)
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

pub fn prompt(g: &Global, ids: &[String], all: bool, json: bool, structured: bool) -> Result<i32> {
    let ws = open(g)?;
    let sections = if all {
        ws.catalog.all()
    } else {
        ws.catalog.select(ids)?
    };
    let filled = ws.fill(&sections)?;
    let prose = ws.loaded.project.endpoint.prose.unwrap_or(false);
    let planned = ws.planned(&filled, prose && !structured);
    // What a person pastes: the article's prompt, and with --structured the JSON instruction
    // and schema after it.
    let paste = |p: &Planned| match (&p.structure, structured) {
        (Some(s), true) => format!(
            "{}\n\n{}",
            p.filled.paste_text(),
            s.instruction(Rung::Prompted)
        ),
        _ => p.filled.paste_text(),
    };
    let out = if json {
        let views: Vec<RequestView> = planned
            .iter()
            .map(|p| RequestView {
                section: &p.filled.section,
                title: &p.filled.title,
                messages: match &p.structure {
                    Some(s) => structured_messages(&p.filled, s, Rung::JsonSchema),
                    None => p.filled.messages.clone(),
                },
                response_format: p
                    .structure
                    .as_ref()
                    .and_then(|s| s.response_format(Rung::JsonSchema)),
            })
            .collect();
        serde_json::to_string_pretty(&views).map_err(|e| Error::Other(e.to_string()))? + "\n"
    } else if let [one] = planned.as_slice() {
        paste(one) + "\n"
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
            let _ = write!(out, "{head}{rule}\n\n{}\n", paste(p));
        }
        out
    };
    write_stdout(out.as_bytes())?;
    Ok(exit::OK)
}

/// Lists sections. Works without a project file: it is how people discover what to fill in.
pub fn list_sections(g: &Global) -> Result<i32> {
    let catalog = Catalog::load(&prompts::prompt_dirs(
        &crate::fs::config_dir(),
        &crate::fs::parent_dir(&g.project),
        g.prompts.as_deref(),
    ))?;
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
    }
    let _ = writeln!(out, "draft outline: {}", catalog.draft.source);
    write_stdout(out.as_bytes())?;
    Ok(exit::OK)
}

pub fn templates(action: TemplatesAction) -> Result<i32> {
    match action {
        TemplatesAction::Export { dir, force } => {
            for path in prompts::export(&dir, force)? {
                println!("wrote {}", path.display());
            }
        }
    }
    Ok(exit::OK)
}
