//! `portfolio draft | status | collect`: many projects at once, in one process, under one
//! limit on requests in flight and the provider's rate limits.

use super::draft::write_plan;
use super::{ctrl_c, overrides, runtime};
use crate::cli::{Global, PortfolioDraftArgs, PortfolioPaths, PortfolioStatusArgs, RenderArgs};
use crate::endpoint::{self, Config, Endpoint, Overrides};
use crate::error::{Error, Result, exit};
use crate::plan::render::portfolio as summary;
use crate::prompts::FilledPrompt;
use crate::run::batch::{self, Member, Outcome};
use crate::run::portfolio::{self, State, Status};
use crate::run::section::Planned;
use crate::run::store::Store;
use crate::run::workspace::Workspace;
use crate::term::out::write_stdout;
use crate::term::progress::Tally;
use crate::text::plural;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A project ready to draft.
pub(super) struct Opened {
    pub ws: Workspace,
    pub filled: Vec<FilledPrompt>,
    pub planned: Vec<Planned>,
    pub store: Store,
    pub endpoint: Endpoint,
}

impl Opened {
    pub(super) fn label(&self) -> String {
        self.ws
            .loaded
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

pub(super) fn open_one(
    path: &Path,
    g: &Global,
    config: &Config,
    overrides: &Overrides,
) -> Result<Opened> {
    let ws = Workspace::open(path, g.prompts.as_deref(), g.share_people)?;
    let filled = ws.fill_all()?;
    let endpoint = endpoint::resolve(config, overrides, &ws.loaded.project.endpoint)?;
    let planned = ws.planned(&filled, endpoint.prose);
    let (store, note) = ws.store()?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    Ok(Opened {
        ws,
        filled,
        planned,
        store,
        endpoint,
    })
}

/// The project files under the paths; none at all is a usage error.
fn discover(paths: &PortfolioPaths) -> Result<Vec<PathBuf>> {
    let files = portfolio::discover(&paths.paths, paths.recursive)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no project files (*.toml with a [project] table) in {}{}",
            paths
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if paths.recursive {
                ""
            } else {
                "; --recursive looks in subfolders too"
            }
        )));
    }
    Ok(files)
}

/// Every project under the paths, opened; the ones that cannot be are reported, not fatal.
pub(super) fn open_all(
    paths: &PortfolioPaths,
    g: &Global,
    config: &Config,
    overrides: &Overrides,
) -> Result<(Vec<Opened>, Vec<Status>)> {
    Ok(open_files(&discover(paths)?, g, config, overrides))
}

fn open_files(
    files: &[PathBuf],
    g: &Global,
    config: &Config,
    overrides: &Overrides,
) -> (Vec<Opened>, Vec<Status>) {
    let mut opened = Vec::new();
    let mut broken = Vec::new();
    for file in files {
        match open_one(file, g, config, overrides) {
            Ok(o) => opened.push(o),
            Err(e) => broken.push(Status::broken(file, &e)),
        }
    }
    (opened, broken)
}

/// Where the summary goes: the first folder named, else the first file's folder.
fn summary_dir(paths: &PortfolioPaths) -> PathBuf {
    let first = &paths.paths[0];
    if first.is_dir() {
        first.clone()
    } else {
        crate::fs::parent_dir(first)
    }
}

pub fn draft(g: &Global, args: &PortfolioDraftArgs) -> Result<i32> {
    let config = Config::load()?;
    let overrides = overrides(g, &args.tuning);
    if args.batch {
        let (opened, broken) = open_all(&args.paths, g, &config, &overrides)?;
        return super::batch::submit(&opened, broken, &args.paths, g);
    }
    let files = discover(&args.paths)?;
    collect_batches(&files, g, &config, &overrides)?;
    // Where each project stands, read up front: the size of the run, the projects that cannot
    // be read, and whether every endpoint is on this machine. The projects themselves are
    // opened one by one as the run gets to them, so memory stays flat however many there are.
    let survey = in_parallel(&files, |f| status_of(f, g, &config, &overrides, true));
    let total: usize = survey.iter().map(|(s, _)| s.sections.len()).sum();
    let local = survey.iter().all(|(s, local)| *local || s.broken.is_some());
    let jobs = args.jobs.unwrap_or(if local { 2 } else { 8 }).clamp(1, 64);
    let tally = Arc::new(Tally::new(total, g.verbose));
    let mut broken: Vec<Status> = survey
        .iter()
        .filter(|(s, _)| s.broken.is_some())
        .map(|(s, _)| s.clone())
        .collect();
    let changed = std::cell::RefCell::new(Vec::new());
    let members = survey
        .iter()
        .filter(|(s, _)| s.broken.is_none())
        // Opening may print a note (a store adopted, sections still in a batch): above the line.
        .filter_map(
            |(s, _)| match tally.suspend(|| open_one(&s.path, g, &config, &overrides)) {
                Ok(o) => Some(tally.suspend(|| member(o, args.fresh))),
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
    };
    let (mut failed, mut plan_errors) = (0, 0);
    // Each plan is written the moment its project is done; then the project is let go.
    let written = |m: Member<(Workspace, Vec<FilledPrompt>)>, outcome: Outcome| {
        failed += outcome.failed.len();
        if outcome.interrupted {
            return;
        }
        let (ws, filled) = &m.context;
        tally.suspend(|| match write_plan(ws, filled, &render, false) {
            Ok(_) => {}
            Err(Error::Incomplete(_)) => eprintln!(
                "{}: plan not written: some sections have no answer yet (--allow-partial writes it anyway)",
                ws.loaded.path.display()
            ),
            Err(e) => {
                plan_errors += 1;
                eprintln!("{}: {e}", ws.loaded.path.display());
            }
        });
    };
    let interrupted = runtime()?.block_on(batch::generate_many(
        members,
        jobs,
        tally.clone(),
        ctrl_c(),
        false,
        written,
    ))?;
    tally.finish();
    broken.extend(changed.into_inner());
    // Read again, as the run left them; a project that could not be run says why.
    let statuses: Vec<Status> = statuses_of_files(&files, g, &config, &overrides)
        .into_iter()
        .map(|s| match broken.iter().position(|b| b.path == s.path) {
            Some(i) => broken.swap_remove(i),
            None => s,
        })
        .collect();
    report(&statuses, &summary_dir(&args.paths))?;
    Ok(exit_code(interrupted, failed, plan_errors, &statuses))
}

/// Answers Batch API jobs brought back are stored before anything is requested again.
fn collect_batches(
    files: &[PathBuf],
    g: &Global,
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
        let (opened, _) = open_files(&batched, g, config, overrides);
        super::batch::collect_quietly(&opened, g)?;
    }
    Ok(())
}

/// How a portfolio run ended, most serious first, and what to do about it.
fn exit_code(interrupted: bool, failed: usize, plan_errors: usize, statuses: &[Status]) -> i32 {
    if interrupted {
        eprintln!(
            "interrupted: finished sections are stored; `plan-ai portfolio draft` again requests only the rest"
        );
        exit::INTERRUPTED
    } else if failed > 0 {
        eprintln!(
            "{} failed; the others are stored. Run `plan-ai portfolio draft` again to request only the missing ones.",
            plural(failed, "section")
        );
        exit::ENDPOINT
    } else if plan_errors > 0 {
        exit::FAILURE
    } else if statuses.iter().any(|s| s.broken.is_some()) {
        exit::DATA
    } else if statuses
        .iter()
        .any(|s| s.count(State::Done) < s.sections.len())
    {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// A project as a member of the run: the sections not still out in a batch (those are not
/// bought twice), and its workspace and prompts back at the end, to write its plan.
fn member(o: Opened, fresh: bool) -> Member<(Workspace, Vec<FilledPrompt>)> {
    let prefix = Some(o.label());
    let out = crate::run::batch_api::in_flight(o.store.batch_state().as_ref());
    if !out.is_empty() {
        eprintln!(
            "{}: {} still in a batch: not requested now",
            o.ws.loaded.path.display(),
            out.join(", ")
        );
    }
    let sections = o
        .planned
        .into_iter()
        .filter(|p| !out.iter().any(|id| id == p.id()))
        .collect();
    Member {
        prefix,
        sections,
        project: Arc::new(o.ws.loaded.project.clone()),
        store: o.store,
        endpoint: o.endpoint,
        fresh,
        regenerate: Vec::new(),
        context: (o.ws, o.filled),
    }
}

fn statuses_of(opened: &[Opened], broken: Vec<Status>) -> Vec<Status> {
    let mut statuses: Vec<Status> = opened
        .iter()
        .map(|o| portfolio::status(&o.ws, &o.planned, &o.store, Some(&o.endpoint)))
        .chain(broken)
        .collect();
    statuses.sort_by(|a, b| a.path.cmp(&b.path));
    statuses
}

/// The table on stderr, and `portfolio.md` (and `.xlsx`) next to the projects.
fn report(statuses: &[Status], dir: &Path) -> Result<()> {
    eprint!("{}", terminal_table(statuses, dir));
    let store = Store::open(dir)?;
    let md = summary::markdown(statuses, dir, &crate::text::today_iso());
    let md_path = dir.join("portfolio.md");
    store.write_draft(&md_path, md.as_bytes(), true)?;
    let xlsx_path = dir.join("portfolio.xlsx");
    store.write_draft(&xlsx_path, &summary::xlsx(statuses, dir)?, true)?;
    eprintln!("wrote {} and {}", md_path.display(), xlsx_path.display());
    Ok(())
}

fn terminal_table(statuses: &[Status], base: &Path) -> String {
    let t = summary::table(statuses, base);
    let mut out = format!(
        "{:<28} {:>5} {:>5} {:>7} {:>6} {:>9} {:>9}\n",
        "project", "done", "stale", "missing", "failed", "tokens", "cost"
    );
    for (s, row) in statuses.iter().zip(&t.rows) {
        if let Some(why) = &s.broken {
            out.push_str(&format!(
                "{:<28} broken: {}\n",
                row[1],
                crate::text::snippet(why, 80)
            ));
            continue;
        }
        out.push_str(&format!(
            "{:<28} {:>5} {:>5} {:>7} {:>6} {:>9} {:>9}\n",
            row[1],
            s.count(State::Done),
            s.count(State::Stale),
            s.count(State::Missing),
            s.count(State::Failed),
            row[7],
            row[8]
        ));
    }
    out
}

pub fn status(g: &Global, args: &PortfolioStatusArgs) -> Result<i32> {
    let config = Config::load()?;
    let overrides = overrides(g, &crate::cli::Tuning::default());
    let files = portfolio::discover(&args.paths.paths, args.paths.recursive)?;
    let dir = summary_dir(&args.paths);
    let statuses = statuses_of_files(&files, g, &config, &overrides);
    let out = if args.json {
        summary::json(&statuses, &dir).into_bytes()
    } else if args.csv {
        summary::csv(&statuses, &dir)?
    } else {
        terminal_table(&statuses, &dir).into_bytes()
    };
    write_stdout(&out)?;
    Ok(exit::OK)
}

/// Where a project stands, and whether the endpoint it asks is on this machine. With
/// `endpoint_needed` (a run is about to ask it), an endpoint that cannot be resolved makes the
/// project broken; otherwise the status is read without one.
fn status_of(
    file: &Path,
    g: &Global,
    config: &Config,
    overrides: &Overrides,
    endpoint_needed: bool,
) -> (Status, bool) {
    let read = || -> Result<(Status, bool)> {
        let ws = Workspace::open(file, g.prompts.as_deref(), g.share_people)?;
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
        Ok((
            portfolio::status(&ws, &planned, &store, endpoint.as_ref()),
            local,
        ))
    };
    read().unwrap_or_else(|e| (Status::broken(file, &e), false))
}

/// `one` of every file, in the files' order, on a few threads (a portfolio can be a thousand
/// projects).
fn in_parallel<T: Send>(files: &[PathBuf], one: impl Fn(&Path) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(1);
    let one = &one;
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|f| one(f)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Where each file stands.
fn statuses_of_files(
    files: &[PathBuf],
    g: &Global,
    config: &Config,
    overrides: &Overrides,
) -> Vec<Status> {
    let mut statuses = in_parallel(files, |f| status_of(f, g, config, overrides, false).0);
    statuses.sort_by(|a, b| a.path.cmp(&b.path));
    statuses
}

pub fn collect(g: &Global, paths: &PortfolioPaths) -> Result<i32> {
    let config = Config::load()?;
    let overrides = overrides(g, &crate::cli::Tuning::default());
    let (opened, broken) = open_all(paths, g, &config, &overrides)?;
    let code = super::batch::collect(&opened, g)?;
    let statuses = statuses_of(&opened, broken);
    report(&statuses, &summary_dir(paths))?;
    Ok(code)
}
