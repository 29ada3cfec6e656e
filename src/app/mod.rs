//! The command layer: turns parsed arguments into calls on the library, in the one direction
//! data flows (project file → prompts → requests → stored results → plan → files). The only
//! layer that sees clap; everything below gets plain values (e.g. [`Overrides`]).

mod ask;
mod batch;
mod docs;
mod draft;
mod endpoint;
mod output;
mod portfolio;
mod project;

use crate::cli::{Cli, Command, Global, PortfolioAction, ProfilesAction, Tuning};
use crate::endpoint::Overrides;
use crate::error::{Error, Result};
use crate::run::Store;
use crate::run::workspace::Workspace;
use crate::sections::Kind;
use crate::text::shell_word;
use std::future::Future;
use std::path::Path;

pub fn run(cli: Cli) -> Result<i32> {
    let g = &cli.global;
    match cli.command {
        Command::Init { file, force } => project::init(&file, force),
        Command::Check => project::check(g),
        Command::Prompt {
            sections,
            all,
            json,
            structured,
        } => project::prompt(g, &sections, all, json, structured),
        Command::Sections => project::list_sections(g),
        Command::Templates { action } => project::templates(action),
        Command::Resistance(a) => ask::section(g, Kind::Resistance.id(), a),
        Command::Communication(a) => ask::section(g, Kind::Communication.id(), a),
        Command::Metrics(a) => ask::section(g, Kind::Metrics.id(), a),
        Command::Run { section, ask } => ask::section(g, &section, ask),
        Command::Draft(args) => draft::draft(g, args),
        Command::Paste { section, file } => draft::paste(g, &section, &file),
        Command::Render(args) => draft::render(g, &args),
        Command::Profiles { action } => match action {
            None | Some(ProfilesAction::List) => endpoint::list(g),
            Some(ProfilesAction::Test { name }) => endpoint::test(g, name),
        },
        Command::Key { action } => endpoint::key(g, action),
        Command::Portfolio { action } => match action {
            PortfolioAction::Draft(args) => portfolio::draft(g, &args),
            PortfolioAction::Status(args) => portfolio::status(g, &args),
            PortfolioAction::Collect(paths) => portfolio::collect(g, &paths),
        },
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    }
}

/// The user's own endpoint choices for this run: flags and environment.
fn overrides(g: &Global, tuning: &Tuning) -> Overrides {
    Overrides {
        profile: g.profile.clone(),
        base_url: g.base_url.clone(),
        request: crate::chat::RequestSettings {
            model: g.model.clone(),
            temperature: tuning.temperature,
            max_tokens: tuning.max_tokens,
        },
        prose: tuning.prose,
        rate: crate::endpoint::RateLimits {
            rpm: tuning.rpm,
            tpm: tuning.tpm,
        },
    }
}

/// Opens the project the command line names.
fn open(g: &Global) -> Result<Workspace> {
    Workspace::open(&g.project, g.prompts.as_deref(), g.share_people)
}

/// The project's run store, saying so when it took over answers from a shared one.
fn store(ws: &Workspace) -> Result<Store> {
    let (store, note) = ws.store()?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    Ok(store)
}

fn print_warnings(ws: &Workspace) {
    for w in &ws.loaded.warnings {
        eprintln!("warning: {w}");
    }
}

/// ` -p FILE` for commands that name this project, empty for the default file.
fn project_flag(project: &Path) -> String {
    if project == Path::new("plan-ai.toml") {
        String::new()
    } else {
        format!(" -p {}", shell_word(&project.display().to_string()))
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

/// Resolves on Ctrl-C. If the signal cannot be watched, it never resolves (and Ctrl-C then
/// ends the process the default way).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `work`, unless Ctrl-C comes first: then nothing more happens and the run exits 130.
async fn interruptible<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::select! {
        r = work => r,
        _ = ctrl_c() => Err(Error::Interrupted),
    }
}

/// Prints notices the user should see (`--verbose` adds the request details).
fn print_notice(verbose: bool) -> impl Fn(crate::llm::Notice) + Send + Sync {
    move |n| {
        if verbose || !n.is_verbose() {
            eprintln!("{n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_flag_is_omitted_for_the_default_and_quoted_otherwise() {
        let cases = [
            ("plan-ai.toml", ""),
            ("examples/crm.toml", " -p examples/crm.toml"),
            ("my project.toml", " -p 'my project.toml'"),
        ];
        for (path, want) in cases {
            assert_eq!(project_flag(Path::new(path)), want);
        }
    }
}
