//! The command layer: turns parsed arguments into calls on the library, in the one direction
//! data flows (project file → prompts → requests → stored results → plan → files). The only
//! layer that sees clap; everything below gets plain values (e.g. [`Overrides`]). It prints
//! nothing itself: every line goes through the one printer, [`Ui`].

mod ask;
mod batch;
mod docs;
mod draft;
mod edit;
mod endpoint;
mod hints;
mod load;
mod open;
mod output;
mod portfolio;
mod project;
mod review;
mod revise;
mod versions;

use crate::cli::{BatchAction, Cli, Command, Global, PortfolioAction, ProfilesAction, Tuning};
use crate::endpoint::Overrides;
use crate::error::{Error, Result};
use crate::llm::Notice;
use crate::project::Privacy;
use crate::run::Store;
use crate::run::workspace::Workspace;
use crate::sections::Kind;
use crate::term::{Ui, Verbosity};
use crate::text::shell_word;
use std::future::Future;
use std::path::Path;

/// Runs the command line and returns the exit code; a failure is printed (with a hint naming
/// the command that helps, when one does) before its code is returned.
pub fn main(cli: Cli) -> i32 {
    let ui = Ui::new(verbosity(&cli.global));
    match run(cli, &ui) {
        Ok(code) => code,
        Err(e) => {
            match hints::for_error(&e) {
                Some(hint) => ui.error(&Error::Other(format!("{e}\nhint: {hint}"))),
                None => ui.error(&e),
            }
            e.exit_code()
        }
    }
}

fn verbosity(g: &Global) -> Verbosity {
    match (g.quiet, g.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    }
}

/// What every command works with: the global options and the printer.
pub(crate) struct Ctx<'a> {
    pub g: &'a Global,
    pub ui: &'a Ui,
}

fn run(cli: Cli, ui: &Ui) -> Result<i32> {
    let cx = &Ctx { g: &cli.global, ui };
    match cli.command {
        Command::Init { file, force } => project::init(cx, &file, force),
        Command::Check => project::check(cx),
        Command::Prompt(args) => project::prompt(cx, &args),
        Command::Sections => project::list_sections(cx),
        Command::Templates { action } => project::templates(cx, action),
        Command::Resistance(a) => ask::section(cx, Kind::Resistance.id(), a),
        Command::Communication(a) => ask::section(cx, Kind::Communication.id(), a),
        Command::Metrics(a) => ask::section(cx, Kind::Metrics.id(), a),
        Command::Run { section, ask } => ask::section(cx, &section, ask),
        Command::Draft(args) => draft::draft(cx, args),
        Command::Paste { section, file } => draft::paste(cx, &section, &file),
        Command::Render(args) => draft::render(cx, &args),
        Command::Review(args) => review::review(cx, &args),
        Command::Revise(args) => revise::revise(cx, &args),
        Command::History { section, json } => versions::history(cx, &section, json),
        Command::Diff {
            section,
            a,
            b,
            json,
        } => versions::diff(cx, &section, a, b, json),
        Command::Use { section, version } => versions::use_version(cx, &section, version),
        Command::Edit { section } => edit::edit(cx, &section),
        Command::Profiles { action } => match action {
            None | Some(ProfilesAction::List) => endpoint::list(cx),
            Some(ProfilesAction::Test { name }) => endpoint::test(cx, name),
        },
        Command::Key { action } => endpoint::key(cx, action),
        Command::Portfolio { action } => match action {
            PortfolioAction::Draft(args) => portfolio::draft(cx, &args),
            PortfolioAction::Status(args) => portfolio::status(cx, &args),
            PortfolioAction::Collect(paths) => portfolio::collect(cx, &paths),
            PortfolioAction::Load(args) => load::load(cx, &args),
        },
        Command::Batch {
            action: BatchAction::Forget,
        } => batch::forget(cx),
        Command::Completions { shell } => docs::completions(cx, shell),
        Command::Man => docs::man(cx),
    }
}

impl Ctx<'_> {
    /// The user's own endpoint choices for this run: flags and environment.
    fn overrides(&self, tuning: &Tuning) -> Overrides {
        let g = self.g;
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

    /// The command line's privacy choice, if it made one (the project file decides otherwise).
    fn privacy(&self) -> Option<Privacy> {
        use crate::cli::PeopleMode;
        match (self.g.people, self.g.share_people) {
            (Some(PeopleMode::Local), _) => Some(Privacy::Local),
            (Some(PeopleMode::Pseudonymised), _) => Some(Privacy::Pseudonymised),
            (Some(PeopleMode::Shared), _) | (None, true) => Some(Privacy::Shared),
            (None, false) => None,
        }
    }

    /// Opens the project the command line names, with its weak spots said.
    fn open(&self) -> Result<Workspace> {
        self.open_at(&self.g.project)
    }

    /// Opens the project at `path` (a portfolio's member), saying its weak spots.
    fn open_at(&self, path: &Path) -> Result<Workspace> {
        Workspace::open(
            path,
            self.g.prompts.as_deref(),
            self.privacy(),
            self.g.language.as_deref(),
        )
    }

    /// The project's weak spots, as warnings.
    fn warn_weak_spots(&self, ws: &Workspace) {
        for w in &ws.loaded.warnings {
            self.ui.warn(w);
        }
    }

    /// The project's run store, saying so when it took over answers from a shared one.
    fn store(&self, ws: &Workspace) -> Result<Store> {
        let (store, note) = ws.store()?;
        if let Some(note) = note {
            self.ui.note(note);
        }
        Ok(store)
    }

    /// Where the client's notices go: the printer, about `about` when given.
    fn notify(&self, about: Option<&str>) -> impl Fn(Notice) + Send + Sync + use<> {
        let ui = self.ui.clone();
        let about = about.map(str::to_string);
        move |n| ui.notice(about.as_deref(), &n)
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

    #[test]
    fn quiet_wins_and_verbose_adds() {
        let g = |quiet, verbose| Global {
            project: "plan-ai.toml".into(),
            prompts: None,
            people: None,
            share_people: false,
            language: None,
            profile: None,
            base_url: None,
            model: None,
            verbose,
            quiet,
        };
        assert_eq!(verbosity(&g(false, false)), Verbosity::Normal);
        assert_eq!(verbosity(&g(true, false)), Verbosity::Quiet);
        assert_eq!(verbosity(&g(false, true)), Verbosity::Verbose);
    }
}
