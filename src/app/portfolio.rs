//! `portfolio draft | status | collect`: many projects at once, in one process, under one
//! limit on requests in flight and the provider's rate limits.

use super::open::{self, Kept, Opened, Renew, in_parallel};
use super::output::{Written, write_plan};
use super::{Ctx, ctrl_c, runtime};
use crate::cli::{
    PortfolioDraftArgs, PortfolioPaths, PortfolioStatusArgs, RenderArgs, TableFormat,
};
use crate::endpoint::{self, Config, Overrides};
use crate::error::{Error, Result, exit};
use crate::plan::load::{By, OtherChanges};
use crate::plan::render::portfolio as summary;
use crate::run::StoredSection;
use crate::run::batch::{self, Member, OnConnectFailure, Outcome};
use crate::run::portfolio::{self, State, Status};
use crate::run::section::Planned;
use crate::run::store::Store;
use crate::run::workspace::Workspace;
use crate::term::progress::Tally;
use crate::text::{plural, shell_word};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn draft(cx: &Ctx, args: &PortfolioDraftArgs) -> Result<i32> {
    let config = Config::load()?;
    let overrides = cx.overrides(&args.tuning);
    let files = open::discover(&args.paths.paths, args.paths.recursive)?;
    if args.batch {
        let (opened, broken) = open::open_files(cx, &files, &config, &overrides);
        return super::batch::submit(cx, opened, broken, &collect_paths(&args.paths));
    }
    collect_batches(cx, &files, &config, &overrides)?;
    // Where each project stands, read up front: the size of the run, the projects that cannot
    // be read, and whether every endpoint is on this machine. The projects themselves are
    // opened one by one as the run gets to them, so memory stays flat however many there are.
    let survey = in_parallel(&files, |f| {
        status_of(cx, f, &config, &overrides, true, args.annex)
    });
    let total: usize = survey.iter().map(|(s, _)| s.sections.len()).sum();
    let local = survey.iter().all(|(s, local)| *local || s.broken.is_some());
    let jobs = batch::Jobs {
        limit: args.jobs.unwrap_or(if local { 2 } else { 8 }).clamp(1, 64),
        chosen: args.jobs.is_some(),
    };
    let tally = Arc::new(Tally::new(cx.ui, total));
    let mut broken: Vec<Status> = survey
        .iter()
        .filter(|(s, _)| s.broken.is_some())
        .map(|(s, _)| s.clone())
        .collect();
    // Each plan names the other projects landing on its groups while its change does.
    let change_load = ChangeLoad::read(&files, &args.paths.paths)?;
    let changed = std::cell::RefCell::new(Vec::new());
    let renew = Renew {
        all: args.fresh,
        sections: Vec::new(),
    };
    let members = survey
        .iter()
        .filter(|(s, _)| s.broken.is_none())
        .filter_map(
            |(s, _)| match Opened::open(cx, &s.path, &config, &overrides) {
                Ok(o) => Some(member(cx, o, renew.clone())),
                // Changed since the survey: the summary at the end says what is wrong with it.
                Err(e) => {
                    changed.borrow_mut().push(Status::broken(&s.path, &e));
                    None
                }
            },
        );
    let render = RenderArgs {
        output: None,
        format: args.format.clone(),
        reference_doc: None,
        allow_partial: args.allow_partial,
        force: args.force,
        annex: args.annex,
    };
    let (mut failed, mut plan_errors) = (0, 0);
    // What to do about failures, said once at the end however many sections they hit.
    let mut hints = std::collections::BTreeSet::new();
    // Each plan is written the moment its project is done; then the project is let go.
    let written = |m: Member<Kept>, outcome: Outcome| {
        failed += outcome.failed.len();
        hints.extend(outcome.failed.iter().filter_map(|(_, e)| match e {
            Error::Endpoint(e) => e.hint.as_ref().map(ToString::to_string),
            _ => None,
        }));
        for w in &outcome.warnings {
            cx.ui.warn(w);
        }
        if outcome.interrupted {
            return;
        }
        let (ws, filled) = &m.context;
        let others = change_load
            .as_ref()
            .map(|c| c.others_for(&ws.loaded.path))
            .unwrap_or_default();
        match write_plan(cx, ws, filled, &render, Written::AfterRun, others) {
            Ok(_) => {}
            Err(Error::Incomplete(_)) => cx.ui.warn(format_args!(
                "{}: plan not written: some sections have no answer yet (--allow-partial writes it anyway)",
                ws.loaded.path.display()
            )),
            Err(e) => {
                plan_errors += 1;
                cx.ui.warn(format_args!("{}: {e}", ws.loaded.path.display()));
            }
        }
    };
    let run = runtime()?.block_on(batch::generate_many(
        members,
        jobs,
        tally.clone(),
        ctrl_c(),
        OnConnectFailure::FailMember,
        written,
    ))?;
    tally.finish();
    for hint in hints {
        cx.ui.hint(hint);
    }
    broken.extend(changed.into_inner());
    // Read again, as the run left them; a project that could not be run says why.
    let statuses: Vec<Status> = statuses_of_files(cx, &files, &config, &overrides, args.annex)
        .into_iter()
        .map(|s| match broken.iter().position(|b| b.path == s.path) {
            Some(i) => broken.swap_remove(i),
            None => s,
        })
        .collect();
    report(cx, &statuses, &open::summary_dir(&args.paths.paths))?;
    let (code, message) = ending(
        run == batch::Ended::Interrupted,
        failed,
        plan_errors,
        &statuses,
    );
    if let Some(message) = message {
        cx.ui.status(message);
    }
    Ok(code)
}

/// The paths `portfolio collect` should be given, shell-quoted.
fn collect_paths(paths: &PortfolioPaths) -> String {
    let mut words: Vec<String> = paths
        .paths
        .iter()
        .map(|p| shell_word(&p.display().to_string()))
        .collect();
    if paths.recursive {
        words.push("--recursive".into());
    }
    words.join(" ")
}

/// Answers Batch API jobs brought back are stored before anything is requested again.
fn collect_batches(
    cx: &Ctx,
    files: &[PathBuf],
    config: &Config,
    overrides: &Overrides,
) -> Result<()> {
    let batched: Vec<PathBuf> = files
        .iter()
        .filter(|f| {
            Store::peek(f)
                .batch_state()
                .is_some_and(|s| s.batch_id.is_some())
        })
        .cloned()
        .collect();
    if !batched.is_empty() {
        let (opened, _) = open::open_files(cx, &batched, config, overrides);
        let members: Vec<Member<Kept>> = opened
            .into_iter()
            .map(|o| {
                let label = o.label();
                o.into_member(Renew::default(), Some(label))
            })
            .collect();
        super::batch::collect_quietly(cx, &members)?;
    }
    Ok(())
}

/// How a portfolio run ended, most serious first, and what to do about it.
fn ending(
    interrupted: bool,
    failed: usize,
    plan_errors: usize,
    statuses: &[Status],
) -> (i32, Option<String>) {
    if interrupted {
        let says = "interrupted: finished sections are stored; `plan-ai portfolio draft` again requests only the rest";
        (exit::INTERRUPTED, Some(says.to_string()))
    } else if failed > 0 {
        let says = format!(
            "{} failed; the others are stored. Run `plan-ai portfolio draft` again to request only the missing ones.",
            plural(failed, "section")
        );
        (exit::ENDPOINT, Some(says))
    } else if plan_errors > 0 {
        (exit::FAILURE, None)
    } else if statuses.iter().any(|s| s.broken.is_some()) {
        (exit::DATA, None)
    } else if statuses
        .iter()
        .any(|s| s.count(State::Done) < s.sections.len())
    {
        (exit::INCOMPLETE, None)
    } else {
        (exit::OK, None)
    }
}

/// A project as a member of the run, named by its path; the sections still out in a batch
/// stay out (they are not bought twice).
fn member(cx: &Ctx, o: Opened, renew: Renew) -> Member<Kept> {
    let label = o.label();
    let path = o.ws.loaded.path.clone();
    if renew.all {
        for s in &o.ws.catalog.sections {
            super::versions::say_superseded(cx, &o.store, &s.id, &path);
        }
    }
    let mut m = o.into_member(renew, Some(label));
    super::batch::say_unreadable_batch(cx, &m.store, &path);
    let out = m.hold_back_batched();
    if !out.is_empty() {
        cx.ui.note(format_args!(
            "{}: {} still in a batch: not requested now",
            path.display(),
            out.join(", ")
        ));
    }
    m
}

fn statuses_of(members: &[Member<Kept>], broken: Vec<Status>, config: &Config) -> Vec<Status> {
    let mut statuses: Vec<Status> = members
        .iter()
        .map(|m| {
            let (stored, notes) = portfolio::read_stored(&m.sections, &m.store);
            let ws = &m.context.0;
            let status = portfolio::status(ws, &m.sections, &m.store, &stored, Some(&m.endpoint));
            let status = scored(status, ws, &m.sections, (stored, notes));
            named(status, ws, config, false)
        })
        .chain(broken)
        .collect();
    statuses.sort_by(|a, b| a.path.cmp(&b.path));
    statuses
}

/// The table on stderr, and `portfolio.md`, `.xlsx` and `.html` next to the projects, each
/// with the change load across them when any project places its change in time.
fn report(cx: &Ctx, statuses: &[Status], dir: &Path) -> Result<()> {
    cx.ui.status(terminal_table(statuses).trim_end());
    let lang = summary_language(cx, dir)?;
    let store = Store::open(dir)?;
    let map = change_load(statuses, dir)?;
    let load = map.as_ref();
    let today = crate::text::today_iso();
    let md_path = dir.join("portfolio.md");
    let md = summary::markdown(statuses, dir, &today, load, &lang);
    store.write_draft(&md_path, md.as_bytes(), true)?;
    let xlsx_path = dir.join("portfolio.xlsx");
    store.write_draft(
        &xlsx_path,
        &summary::xlsx(statuses, dir, load, &lang)?,
        true,
    )?;
    let html_path = dir.join("portfolio.html");
    let html = summary::html(statuses, dir, &today, load, &lang);
    store.write_draft(&html_path, html.as_bytes(), true)?;
    cx.ui.status(format_args!(
        "wrote {}, {} and {}",
        md_path.display(),
        xlsx_path.display(),
        html_path.display()
    ));
    Ok(())
}

/// The summary's language: `--language`, else `language` in the portfolio's `portfolio.toml`,
/// else English (each plan keeps its own project's). A user's catalog in the config folder's,
/// the portfolio's or `--prompts`'s `i18n/` folder serves it as it serves a plan.
fn summary_language(cx: &Ctx, dir: &Path) -> Result<crate::i18n::Language> {
    let file = dir.join(crate::plan::load::settings::FILE_NAME);
    let settings = super::load::settings(None, &[dir.to_path_buf()])?;
    let (tag, origin) = match (&cx.g.language, &settings.language) {
        (Some(flag), _) => (flag.as_str(), "--language".to_string()),
        (None, Some(tag)) => (tag.as_str(), format!("`language` in {}", file.display())),
        (None, None) => return Ok(crate::i18n::Language::english()),
    };
    let dirs = crate::prompts::prompt_dirs(&crate::fs::config_dir(), dir, cx.g.prompts.as_deref());
    crate::i18n::Available::load(&dirs)?.resolve(Some(tag), &origin)
}

/// The change load by week across the projects that could be read, with `portfolio.toml`'s
/// settings from `dir`; none when no project places a change in time.
fn change_load(statuses: &[Status], dir: &Path) -> Result<Option<crate::plan::load::Heatmap>> {
    let files: Vec<PathBuf> = statuses
        .iter()
        .filter(|s| s.broken.is_none())
        .map(|s| s.path.clone())
        .collect();
    Ok(ChangeLoad::read(&files, &[dir.to_path_buf()])?.map(|c| c.map))
}

/// The portfolio's change load by week, with each project's file, for the plans to name the
/// other changes landing on their groups.
struct ChangeLoad {
    files: Vec<PathBuf>,
    loads: Vec<crate::plan::load::ProjectLoad>,
    map: crate::plan::load::Heatmap,
}

impl ChangeLoad {
    /// None when no project places a change in time (no launch date, no impact dates).
    fn read(files: &[PathBuf], roots: &[PathBuf]) -> Result<Option<ChangeLoad>> {
        let settings = super::load::settings(None, roots)?;
        let (read, _) = super::load::read(files);
        let (files, loads): (Vec<PathBuf>, Vec<_>) = read.into_iter().unzip();
        let map = crate::plan::load::heatmap(&loads, &settings, By::Week, None, None);
        Ok((!map.groups.is_empty()).then_some(ChangeLoad { files, loads, map }))
    }

    fn others_for(&self, file: &Path) -> Vec<OtherChanges> {
        match self.files.iter().position(|f| f == file) {
            Some(me) => self.map.others_for(me, &self.loads),
            None => Vec::new(),
        }
    }
}

/// The table people read: each project by its path from here (its folder kept) and its name.
fn terminal_table(statuses: &[Status]) -> String {
    let width = |f: &dyn Fn(&Status) -> String, least: usize| {
        let widest = statuses.iter().map(|s| f(s).chars().count()).max();
        widest.unwrap_or(0).clamp(least, 40)
    };
    let file = |s: &Status| open::relative(&s.path).display().to_string();
    let name = |s: &Status| s.name.clone();
    let (fw, nw) = (width(&file, 7), width(&name, 4));
    let cut = |text: String, w: usize| crate::text::snippet(&text.replace('\n', " "), w);
    let mut out = format!(
        "{:<fw$} {:<nw$} {:>5} {:>5} {:>7} {:>6} {:>7} {:>5} {:>9} {:>9}\n",
        "project",
        "name",
        "done",
        "stale",
        "missing",
        "failed",
        "revised",
        "score",
        "tokens",
        "cost"
    );
    for s in statuses {
        let (f, n) = (cut(file(s), fw), cut(name(s), nw));
        if let Some(why) = &s.broken {
            let why = crate::text::snippet(why.lines().next().unwrap_or_default(), 80);
            out.push_str(&format!("{f:<fw$} {n:<nw$} broken: {why}\n"));
            continue;
        }
        let tokens = match s.usage.total_tokens {
            0 => String::new(),
            n => n.to_string(),
        };
        let cost = s.cost.map(|c| format!("{c:.4}")).unwrap_or_default();
        let score = s.score.map(|n| n.to_string()).unwrap_or_default();
        out.push_str(&format!(
            "{f:<fw$} {n:<nw$} {:>5} {:>5} {:>7} {:>6} {:>7} {score:>5} {tokens:>9} {cost:>9}\n",
            s.count(State::Done),
            s.count(State::Stale),
            s.count(State::Missing),
            s.count(State::Failed),
            s.revised,
        ));
    }
    out
}

pub fn status(cx: &Ctx, args: &PortfolioStatusArgs) -> Result<i32> {
    let config = Config::load()?;
    let overrides = cx.overrides(&crate::cli::Tuning::default());
    let files = open::discover(&args.paths.paths, args.paths.recursive)?;
    let statuses = statuses_of_files(cx, &files, &config, &overrides, false);
    // Printed here, so paths read from here.
    let here = std::env::current_dir().unwrap_or_default();
    match args.format() {
        TableFormat::Json => cx.ui.result(&summary::json(&statuses, &here))?,
        TableFormat::Csv => cx.ui.result_bytes(&summary::csv(&statuses, &here)?)?,
        TableFormat::Table => cx.ui.result(&terminal_table(&statuses))?,
    }
    Ok(exit::OK)
}

/// Where a project stands, and whether the endpoint it asks is on this machine. With
/// `endpoint_needed` (a run is about to ask it), an endpoint that cannot be resolved makes the
/// project broken; otherwise the status is read without one.
fn status_of(
    cx: &Ctx,
    file: &Path,
    config: &Config,
    overrides: &Overrides,
    endpoint_needed: bool,
    annex: bool,
) -> (Status, bool) {
    let read = || -> Result<(Status, bool)> {
        let ws = cx.open_at(file)?;
        let filled = ws.fill_all()?;
        let endpoint = endpoint::resolve(config, overrides, &ws.loaded.project.endpoint);
        let endpoint = match endpoint {
            Err(e) if endpoint_needed => return Err(e),
            e => e.ok(),
        };
        let prose = endpoint.as_ref().is_some_and(|e| e.prose);
        let planned = ws.planned(&filled, prose);
        let store = Store::peek(&ws.loaded.path);
        let local = endpoint
            .as_ref()
            .is_some_and(|e| endpoint::url::is_loopback(&e.transport.base_url));
        let (stored, notes) = portfolio::read_stored(&planned, &store);
        let status = portfolio::status(&ws, &planned, &store, &stored, endpoint.as_ref());
        // Before a run the score is not needed (the summary after it has one).
        let status = match endpoint_needed {
            true => status,
            false => scored(status, &ws, &planned, (stored, notes)),
        };
        Ok((named(status, &ws, config, annex), local))
    };
    read().unwrap_or_else(|e| (Status::broken(file, &e), false))
}

/// The status with who resists counted, not named, when the project's named parts go to a
/// confidential annex (`--annex`, or `[output] confidential_annex`): the summary is shared
/// more widely than the plans.
fn named(status: Status, ws: &Workspace, config: &Config, flag: bool) -> Status {
    match super::output::annex_on(flag, &ws.loaded, config) {
        true => status.names_in_annex(&ws.loaded.project),
        false => status,
    }
}

/// The status with the review's score of what is stored (the records as read, and the notes
/// reading them left), once anything is.
fn scored(
    mut status: Status,
    ws: &Workspace,
    planned: &[Planned],
    (stored, notes): (Vec<Option<StoredSection>>, Vec<String>),
) -> Status {
    if status
        .sections
        .iter()
        .any(|(_, s)| *s != State::Missing && *s != State::Failed)
    {
        let plan = crate::plan::Plan::assemble_stored(&ws.loaded.project, planned, stored, notes);
        let plan = plan.with_review(&super::review::facts(ws));
        status.score = plan.review.map(|r| r.score);
    }
    status
}

/// Where each file stands.
fn statuses_of_files(
    cx: &Ctx,
    files: &[PathBuf],
    config: &Config,
    overrides: &Overrides,
    annex: bool,
) -> Vec<Status> {
    let mut statuses = in_parallel(files, |f| {
        status_of(cx, f, config, overrides, false, annex).0
    });
    statuses.sort_by(|a, b| a.path.cmp(&b.path));
    statuses
}

pub fn collect(cx: &Ctx, paths: &PortfolioPaths) -> Result<i32> {
    let config = Config::load()?;
    let overrides = cx.overrides(&crate::cli::Tuning::default());
    let files = open::discover(&paths.paths, paths.recursive)?;
    let (opened, broken) = open::open_files(cx, &files, &config, &overrides);
    let (code, members) = super::batch::collect(cx, opened)?;
    let statuses = statuses_of(&members, broken, &config);
    report(cx, &statuses, &open::summary_dir(&paths.paths))?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(path: &str, name: &str, states: &[State]) -> Status {
        let mut s = Status::broken(Path::new(path), &Error::Other(String::new()));
        s.broken = None;
        s.name = name.into();
        s.sections = states.iter().map(|st| ("x".to_string(), *st)).collect();
        s
    }

    #[test]
    fn the_most_serious_ending_wins() {
        let done = [status("a.toml", "A", &[State::Done])];
        let missing = [status("a.toml", "A", &[State::Done, State::Missing])];
        let mut broken = status("b.toml", "", &[]);
        broken.broken = Some("bad".into());
        let with_broken = [done[0].clone(), broken];
        // interrupted, failed sections, plan errors, statuses, exit code, says something
        type Case<'a> = (bool, usize, usize, &'a [Status], i32, bool);
        let cases: [Case; 6] = [
            (true, 3, 1, &done, exit::INTERRUPTED, true),
            (false, 2, 1, &done, exit::ENDPOINT, true),
            (false, 0, 1, &done, exit::FAILURE, false),
            (false, 0, 0, &with_broken, exit::DATA, false),
            (false, 0, 0, &missing, exit::INCOMPLETE, false),
            (false, 0, 0, &done, exit::OK, false),
        ];
        for (interrupted, failed, errors, statuses, code, says) in cases {
            let (got, message) = ending(interrupted, failed, errors, statuses);
            assert_eq!(got, code, "{interrupted} {failed} {errors}");
            assert_eq!(message.is_some(), says, "{message:?}");
        }
        let (_, message) = ending(false, 2, 0, &done);
        assert!(message.unwrap().starts_with("2 sections failed"));
    }

    #[test]
    fn the_terminal_table_keeps_each_folder_and_names_the_project() {
        let table = terminal_table(&[
            status(
                "p01/plan-ai.toml",
                "Ward rota app",
                &[State::Done, State::Missing],
            ),
            status("p02/plan-ai.toml", "Finance\nclose", &[State::Failed]),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("project          name"), "{table}");
        assert!(
            lines[1].starts_with("p01/plan-ai.toml Ward rota app"),
            "{table}"
        );
        assert!(
            lines[2].starts_with("p02/plan-ai.toml Finance close"),
            "{table}"
        );
    }

    #[test]
    fn a_panicked_reader_is_reported_not_dropped() {
        let files: Vec<PathBuf> = ["a.toml", "b.toml", "c.toml"].map(PathBuf::from).to_vec();
        let read = in_parallel(&files, |f| {
            if f == Path::new("b.toml") {
                panic!("a bug");
            }
            status(&f.display().to_string(), "ok", &[])
        });
        assert_eq!(read.len(), 3);
        let broken: Vec<_> = read.iter().filter(|s| s.broken.is_some()).collect();
        assert_eq!(broken.len(), 1, "only the file that panicked: {read:?}");
        assert_eq!(broken[0].path, Path::new("b.toml"));
        assert_eq!(read[0].path, Path::new("a.toml"), "in the files' order");
        assert_eq!(read[2].path, Path::new("c.toml"));
        assert!(
            broken[0]
                .broken
                .as_deref()
                .unwrap()
                .contains("internal error")
        );
    }
}
