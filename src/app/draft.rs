//! The whole plan: `draft` (every section, concurrently), `render` (from stored answers) and
//! `paste` (an answer from a chat tool).

use super::open::{Kept, Opened, Renew};
use super::output::{Written, write_plan};
use super::{Ctx, ctrl_c, project_flag, runtime};
use crate::cli::{DraftArgs, RenderArgs};
use crate::endpoint::{Config, Prices};
use crate::error::{Error, Result, exit};
use crate::run::StoredSection;
use crate::run::batch::{self, Member, Outcome};
use crate::term::progress::Progress;
use crate::term::report;
use crate::text::{plural, shell_word};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

pub fn draft(cx: &Ctx, args: DraftArgs) -> Result<i32> {
    if args.offline {
        let ws = cx.open()?;
        let filled = ws.fill_all()?;
        cx.warn_weak_spots(&ws);
        return write_plan(
            cx,
            &ws,
            &filled,
            &args.render,
            Written::FromStore,
            Vec::new(),
        );
    }
    let config = Config::load()?;
    let overrides = cx.overrides(&args.tuning);
    let opened = Opened::open(cx, &cx.g.project, &config, &overrides)?;
    // --sections limits what is requested; the draft is always assembled from every section.
    let catalog = &opened.ws.catalog;
    let requested = match args.sections.is_empty() {
        true => catalog.sections.iter().map(|s| s.id.clone()).collect(),
        false => catalog.select_ids(&args.sections)?,
    };
    let renew = Renew {
        all: args.fresh,
        sections: catalog.select_ids(&args.regenerate)?,
    };
    cx.warn_weak_spots(&opened.ws);
    let renewed = if args.fresh {
        &requested
    } else {
        &renew.sections
    };
    for id in renewed.iter().filter(|id| requested.contains(id)) {
        super::versions::say_superseded(cx, &opened.store, id, &cx.g.project);
    }
    if args.batch {
        let hint = shell_word(&cx.g.project.display().to_string());
        return super::batch::submit(cx, vec![opened], Vec::new(), &hint);
    }
    let prices = opened.endpoint.prices;
    let store_dir = opened.store.dir().to_path_buf();
    let mut member = opened.into_member(renew, None);
    collect_earlier_batch(cx, &mut member)?;
    member
        .sections
        .retain(|p| requested.iter().any(|id| id == p.id()));
    let todo = member.sections.len();
    let order: Vec<String> = member.sections.iter().map(|p| p.id().to_string()).collect();
    let jobs = batch::Jobs {
        limit: args.jobs.unwrap_or(todo).clamp(1, batch::MAX_JOBS),
        chosen: args.jobs.is_some(),
    };
    let progress = Arc::new(Progress::new(cx.ui, &order));
    let (kept, outcome) = runtime()?.block_on(batch::generate(member, jobs, progress, ctrl_c()))?;
    say_outcome(cx, &outcome, &order, prices);
    if outcome.interrupted {
        cx.ui.status(format_args!(
            "interrupted: {} finished section(s) are stored in {}; `{}` requests only the rest",
            outcome.done(),
            store_dir.display(),
            resume_command(&Resume::of(cx, &args))
        ));
        return Ok(exit::INTERRUPTED);
    }
    let (ws, filled) = &kept;
    if !outcome.failed.is_empty() {
        let failed: Vec<&str> = outcome.failed.iter().map(|(s, _)| s.as_str()).collect();
        cx.ui.warn(format_args!(
            "{} of {} failed ({}); the others are stored in {}.\nRe-run `{}` to request only the missing ones{}.",
            failed.len(),
            plural(todo, "section"),
            failed.join(", "),
            store_dir.display(),
            resume_command(&Resume::of(cx, &args)),
            if args.render.allow_partial {
                ""
            } else {
                ", or add --allow-partial to write the draft anyway"
            }
        ));
        if args.render.allow_partial {
            write_plan(cx, ws, filled, &args.render, Written::AfterRun, Vec::new())?;
        }
        return Ok(exit::ENDPOINT);
    }
    write_plan(cx, ws, filled, &args.render, Written::AfterRun, Vec::new())
}

/// Results of an earlier `--batch` come in first; the sections still out in a batch are not
/// requested now (not to be bought twice), and that is said.
fn collect_earlier_batch(cx: &Ctx, member: &mut Member<Kept>) -> Result<()> {
    super::batch::say_unreadable_batch(cx, &member.store, &cx.g.project);
    if member.store.batch_state().is_some() {
        super::batch::collect_quietly(cx, std::slice::from_ref(member))?;
    }
    let out = member.hold_back_batched();
    if !out.is_empty() {
        cx.ui.note(format_args!(
            "{} still in a batch: not requested now (`plan-ai portfolio collect {}` fetches them; `plan-ai batch forget{}` stops waiting)",
            out.join(", "),
            shell_word(&cx.g.project.display().to_string()),
            super::project_flag(&cx.g.project)
        ));
    }
    Ok(())
}

/// Warnings, failures, sections that stayed prose or were cut off, and tokens per section.
fn say_outcome(cx: &Ctx, outcome: &Outcome, order: &[String], prices: Option<Prices>) {
    for w in &outcome.warnings {
        cx.ui.warn(w);
    }
    for (id, e) in &outcome.failed {
        cx.ui.warn(format_args!("{id} failed: {e}"));
    }
    for s in &outcome.generated {
        if let Some(why) = &s.unstructured {
            cx.ui.warn(report::unstructured_warning(&s.section, why));
        }
    }
    let cut = report::cut_off(outcome);
    if !cut.is_empty() {
        cx.ui.warn(report::cut_off_warning(&cut));
    }
    let table = report::usage_table(outcome, order, prices);
    if !table.is_empty() {
        cx.ui.status(table.trim_end());
    }
}

/// What the command that resumes a draft repeats: the settings that make a stored answer
/// current, and the choice of sections. Never --fresh or --regenerate, which would pay again.
#[derive(Debug, Default)]
struct Resume {
    project: std::path::PathBuf,
    profile: Option<String>,
    base_url: Option<String>,
    model: Option<String>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    prompts: Option<String>,
    sections: Vec<String>,
    /// `--people MODE`, when the command line chose one.
    people: Option<&'static str>,
}

impl Resume {
    fn of(cx: &Ctx, args: &DraftArgs) -> Resume {
        let g = cx.g;
        Resume {
            project: g.project.clone(),
            profile: g.profile.clone(),
            base_url: g.base_url.clone(),
            model: g.model.clone(),
            temperature: args.tuning.temperature,
            max_tokens: args.tuning.max_tokens,
            prompts: g.prompts.as_ref().map(|p| p.display().to_string()),
            sections: args.sections.clone(),
            people: cx.privacy().map(|p| p.as_str()),
        }
    }
}

fn resume_command(r: &Resume) -> String {
    let mut cmd = format!("plan-ai draft{}", project_flag(&r.project));
    let mut add = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            cmd.push_str(&format!(" {flag} {}", shell_word(&v)));
        }
    };
    add("--profile", r.profile.clone());
    add("--base-url", r.base_url.clone());
    add("--model", r.model.clone());
    add("--temperature", r.temperature.map(|t| t.to_string()));
    add("--max-tokens", r.max_tokens.map(|t| t.to_string()));
    add("--prompts", r.prompts.clone());
    if !r.sections.is_empty() {
        add("--sections", Some(r.sections.join(",")));
    }
    add("--people", r.people.map(str::to_string));
    cmd
}

pub fn render(cx: &Ctx, args: &RenderArgs) -> Result<i32> {
    let ws = cx.open()?;
    let filled = ws.fill_all()?;
    write_plan(cx, &ws, &filled, args, Written::FromStore, Vec::new())
}

/// A pasted answer is a chat reply: far below this.
const MAX_PASTE_BYTES: u64 = 16 << 20;

pub fn paste(cx: &Ctx, id: &str, file: &Path) -> Result<i32> {
    let ws = cx.open()?;
    let filled = ws.fill_one(id)?;
    let bytes = if file == Path::new("-") {
        if std::io::stdin().is_terminal() {
            cx.ui.status(format_args!(
                "Paste the answer for `{}`, then press Ctrl-D on an empty line:",
                filled.section
            ));
        }
        crate::fs::read_limited_from(std::io::stdin(), MAX_PASTE_BYTES)
            .map_err(|e| Error::io("cannot read standard input", e))?
    } else {
        crate::fs::read_limited(file, MAX_PASTE_BYTES).map_err(|e| Error::file("read", file, e))?
    };
    let bytes = bytes.ok_or_else(|| {
        Error::Data(format!(
            "the answer for `{}` is longer than {}; no chat answer is that long",
            filled.section,
            crate::text::bytes(MAX_PASTE_BYTES)
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Data(format!("{}: not valid UTF-8 text", file.display())))?;
    let planned = ws.planned(std::slice::from_ref(&filled), false).remove(0);
    let stored = StoredSection::from_paste(
        &filled,
        &text,
        planned.structure.as_ref(),
        &ws.loaded.project,
    )?;
    if stored.answer.is_empty() {
        return Err(Error::Data(format!(
            "the answer for `{}` is empty (reasoning blocks are not an answer); nothing stored",
            filled.section
        )));
    }
    let (path, version) = super::revise::store_paste(&cx.store(&ws)?, stored.clone())?;
    cx.ui.status(format_args!(
        "stored the answer for `{}` in {} ({}), as {version}",
        filled.section,
        path.display(),
        if stored.structured.is_some() {
            "structured: checked JSON, shown as tables"
        } else {
            "prose"
        },
    ));
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_repeats_what_makes_answers_current() {
        let cases = [
            (Resume::default(), "plan-ai draft -p ''"),
            (
                Resume {
                    project: "plan-ai.toml".into(),
                    ..Resume::default()
                },
                "plan-ai draft",
            ),
            (
                Resume {
                    project: "my p.toml".into(),
                    profile: Some("work".into()),
                    model: Some("gpt-4o".into()),
                    temperature: Some(0.2),
                    max_tokens: Some(900),
                    prompts: Some("our prompts".into()),
                    sections: vec!["metrics".into(), "resistance".into()],
                    people: Some("shared"),
                    ..Resume::default()
                },
                "plan-ai draft -p 'my p.toml' --profile work --model gpt-4o --temperature 0.2 --max-tokens 900 --prompts 'our prompts' --sections metrics,resistance --people shared",
            ),
            (
                Resume {
                    project: "plan-ai.toml".into(),
                    base_url: Some("http://127.0.0.1:8080/v1".into()),
                    ..Resume::default()
                },
                "plan-ai draft --base-url http://127.0.0.1:8080/v1",
            ),
        ];
        for (resume, want) in cases {
            assert_eq!(resume_command(&resume), want, "{resume:?}");
        }
    }
}
