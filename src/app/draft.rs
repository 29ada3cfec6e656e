//! The whole plan: `draft` (every section, concurrently), `render` (from stored answers) and
//! `paste` (an answer from a chat tool).

use super::output;
use super::{ctrl_c, open, overrides, print_warnings, project_flag, runtime, store};
use crate::cli::{DraftArgs, Global, RenderArgs};
use crate::endpoint::{self, Config, Prices};
use crate::error::{Error, Result, exit};
use crate::plan::Plan;
use crate::plan::render::{Format, Options};
use crate::prompts::FilledPrompt;
use crate::run::batch::{self, Member, Outcome};
use crate::run::section::Planned;
use crate::run::workspace::Workspace;
use crate::run::{Store, StoredSection};
use crate::term::progress::Progress;
use crate::term::report;
use crate::text::{plural, shell_word};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

pub fn draft(g: &Global, args: DraftArgs) -> Result<i32> {
    let ws = open(g)?;
    // --sections limits what is requested; the draft is always assembled from every section.
    let requested = if args.sections.is_empty() {
        ws.catalog.sections.iter().map(|s| s.id.clone()).collect()
    } else {
        ws.catalog.select_ids(&args.sections)?
    };
    let regenerate = ws.catalog.select_ids(&args.regenerate)?;
    let filled = ws.fill_all()?;
    print_warnings(&ws);
    if args.offline {
        return write_plan(&ws, &filled, &args.render, true);
    }
    let cfg = Config::load()?;
    if args.batch {
        let one = super::portfolio::open_one(&g.project, g, &cfg, &overrides(g, &args.tuning))?;
        let paths = crate::cli::PortfolioPaths {
            paths: vec![g.project.clone()],
            recursive: false,
        };
        return super::batch::submit(&[one], Vec::new(), &paths, g);
    }
    let endpoint = endpoint::resolve(
        &cfg,
        &overrides(g, &args.tuning),
        &ws.loaded.project.endpoint,
    )?;
    let store = store(&ws)?;
    let out = collect_earlier_batch(g, &args, &cfg, &store)?;
    let todo: Vec<Planned> = ws
        .planned(&filled, endpoint.prose)
        .into_iter()
        .filter(|p| requested.iter().any(|id| id == p.id()))
        .filter(|p| !out.iter().any(|id| id == p.id()))
        .collect();
    let jobs = args.jobs.unwrap_or(todo.len()).clamp(1, batch::MAX_JOBS);
    let order: Vec<String> = todo.iter().map(|p| p.id().to_string()).collect();
    let prices = endpoint.prices;
    let progress = Arc::new(Progress::new(&order, g.verbose));
    let member = Member {
        prefix: None,
        sections: todo.clone(),
        project: Arc::new(ws.loaded.project.clone()),
        store: store.clone(),
        endpoint,
        fresh: args.fresh,
        regenerate,
        context: (),
    };
    let outcome = runtime()?.block_on(batch::generate(member, jobs, progress, ctrl_c()))?;
    say_outcome(&outcome, &order, prices);
    if outcome.interrupted {
        eprintln!(
            "interrupted: {} finished section(s) are stored in {}; `{}` requests only the rest",
            outcome.done(),
            store.dir().display(),
            resume_command(g, &args)
        );
        return Ok(exit::INTERRUPTED);
    }
    if !outcome.failed.is_empty() {
        let failed: Vec<&str> = outcome.failed.iter().map(|(s, _)| s.as_str()).collect();
        eprintln!(
            "{} of {} failed ({}); the others are stored in {}.\nRe-run `{}` to request only the missing ones{}.",
            failed.len(),
            plural(todo.len(), "section"),
            failed.join(", "),
            store.dir().display(),
            resume_command(g, &args),
            if args.render.allow_partial {
                ""
            } else {
                ", or add --allow-partial to write the draft anyway"
            }
        );
        if args.render.allow_partial {
            write_plan(&ws, &filled, &args.render, false)?;
        }
        return Ok(exit::ENDPOINT);
    }
    write_plan(&ws, &filled, &args.render, false)
}

/// Results of an earlier `--batch` come in first; the sections still out in a batch are
/// returned, not to be bought twice.
fn collect_earlier_batch(
    g: &Global,
    args: &DraftArgs,
    config: &Config,
    store: &Store,
) -> Result<Vec<String>> {
    if store.batch_state().is_some() {
        let one = super::portfolio::open_one(&g.project, g, config, &overrides(g, &args.tuning))?;
        super::batch::collect_quietly(std::slice::from_ref(&one), g)?;
    }
    let out = crate::run::batch_api::in_flight(store.batch_state().as_ref());
    if !out.is_empty() {
        eprintln!("{} still in a batch: not requested now", out.join(", "));
    }
    Ok(out)
}

/// Warnings, failures, sections that stayed prose, and tokens per section.
fn say_outcome(outcome: &Outcome, order: &[String], prices: Option<Prices>) {
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    for (id, e) in &outcome.failed {
        eprintln!("{id} failed: {e}");
    }
    for s in &outcome.generated {
        if let Some(why) = &s.unstructured {
            eprintln!("{}", report::unstructured_warning(&s.section, why));
        }
    }
    eprint!("{}", report::usage_table(outcome, order, prices));
}

/// The command that resumes a batch: the same endpoint settings (they are part of what makes
/// a stored answer current), without --fresh or --regenerate, which would pay again.
fn resume_command(g: &Global, args: &DraftArgs) -> String {
    let mut cmd = format!("plan-ai draft{}", project_flag(&g.project));
    let mut add = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            cmd.push_str(&format!(" {flag} {}", shell_word(&v)));
        }
    };
    add("--profile", g.profile.clone());
    add("--base-url", g.base_url.clone());
    add("--model", g.model.clone());
    add(
        "--temperature",
        args.tuning.temperature.map(|t| t.to_string()),
    );
    add(
        "--max-tokens",
        args.tuning.max_tokens.map(|t| t.to_string()),
    );
    add(
        "--prompts",
        g.prompts.as_ref().map(|p| p.display().to_string()),
    );
    if !args.sections.is_empty() {
        add("--sections", Some(args.sections.join(",")));
    }
    if g.share_people {
        cmd.push_str(" --share-people");
    }
    cmd
}

pub fn render(g: &Global, args: &RenderArgs) -> Result<i32> {
    let ws = open(g)?;
    let filled = ws.fill_all()?;
    write_plan(&ws, &filled, args, true)
}

/// Assembles the plan from stored answers and writes it, refusing to clobber a hand-edited
/// file and, unless allowed, to write a plan with sections missing.
pub(super) fn write_plan(
    ws: &Workspace,
    filled: &[FilledPrompt],
    args: &RenderArgs,
    offline: bool,
) -> Result<i32> {
    let config = Config::load()?;
    let formats = output::formats(args, &ws.loaded, &config)?;
    let targets = output::targets(
        &formats,
        args.output.as_deref(),
        &crate::run::store::default_plan_base(&ws.loaded.path),
    );
    let reference = if formats.contains(&Format::Docx) {
        output::reference_docx(args, &ws.loaded, &config)?
    } else {
        None
    };
    let store = store(ws)?;
    // Structure only to read stored JSON back: prose or not, a structured answer is a table.
    let planned = ws.planned(filled, false);
    let plan = Plan::assemble(&ws.loaded.project, &planned, &store);
    for note in &plan.notes {
        eprintln!("note: {note}");
    }
    for s in &plan.sections {
        for w in s.answer.iter().flat_map(|a| &a.warnings) {
            eprintln!("warning: {}: {w}", s.id);
        }
    }
    let missing = plan.missing();
    if !missing.is_empty() && !args.allow_partial {
        return Err(Error::Incomplete(incomplete_message(
            missing,
            &ws.loaded.path,
            offline,
        )));
    }
    let opts = Options {
        draft_template: &ws.catalog.draft,
        reference_docx: reference.as_deref(),
    };
    let written = output::write(&plan, &targets, &opts, &store, args.force)?;
    let done = filled.len() - missing.len();
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    eprintln!(
        "wrote {} ({}{})",
        names.join(", "),
        plural(done, "section"),
        if missing.is_empty() {
            String::new()
        } else {
            format!(", {} missing", missing.len())
        }
    );
    Ok(if missing.is_empty() {
        exit::OK
    } else {
        exit::INCOMPLETE
    })
}

fn incomplete_message(missing: &[String], project: &Path, offline: bool) -> String {
    let flag = project_flag(project);
    let mut msg = format!(
        "the draft is incomplete: no answer yet for {}.",
        missing.join(", ")
    );
    for id in missing {
        msg.push_str(&format!(
            "\n  {id}: print its prompt with `plan-ai prompt {id}{flag}`, paste the chat answer back with `plan-ai paste {id}{flag} FILE`{}",
            if offline {
                ", or request it with `plan-ai draft` (without --offline)"
            } else {
                ""
            }
        ));
    }
    msg.push_str(
        "\nOr pass --allow-partial to write the draft with those sections marked as missing.",
    );
    msg
}

/// A pasted answer is a chat reply: far below this.
const MAX_PASTE_BYTES: u64 = 16 << 20;

pub fn paste(g: &Global, id: &str, file: &Path) -> Result<i32> {
    let ws = open(g)?;
    let filled = ws.fill_one(id)?;
    let bytes = if file == Path::new("-") {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "Paste the answer for `{}`, then press Ctrl-D on an empty line:",
                filled.section
            );
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
    let path = store(&ws)?.save(&stored)?;
    eprintln!(
        "stored the answer for `{}` in {} ({})",
        filled.section,
        path.display(),
        if stored.structured.is_some() {
            "structured: checked JSON, shown as tables"
        } else {
            "prose"
        },
    );
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incomplete_message_names_the_commands_for_each_missing_section() {
        let m = incomplete_message(&["metrics".into()], Path::new("my p.toml"), true);
        assert!(m.contains("`plan-ai prompt metrics -p 'my p.toml'`"), "{m}");
        assert!(
            m.contains("`plan-ai paste metrics -p 'my p.toml' FILE`"),
            "{m}"
        );
        assert!(m.contains("without --offline"), "{m}");
        assert!(m.ends_with(
            "--allow-partial to write the draft with those sections marked as missing."
        ));
        let online =
            incomplete_message(&["a".into(), "b".into()], Path::new("plan-ai.toml"), false);
        assert!(online.contains("no answer yet for a, b."), "{online}");
        assert!(!online.contains("without --offline"));
        assert!(online.contains("`plan-ai prompt a`"), "{online}");
    }
}
