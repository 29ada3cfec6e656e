//! Command dispatch: turns parsed arguments into calls on the modules, in the one direction
//! data flows (project file → prompts → requests → stored results → draft).

use crate::cli::{
    Ask, Cli, Command, DraftArgs, Global, KeyAction, ProfilesAction, RenderArgs, TemplatesAction,
};
use crate::error::{Error, Result, exit};
use crate::project::{self, Loaded};
use crate::templates::{self, Catalog, FilledPrompt, Section};
use crate::{client, config, keys, plan, store};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

pub fn run(cli: Cli) -> Result<i32> {
    let g = &cli.global;
    match cli.command {
        Command::Init { file, force } => init(&file, force),
        Command::Check => check(g),
        Command::Prompt {
            sections,
            all,
            json,
        } => prompt(g, &sections, all, json),
        Command::Sections => list_sections(g),
        Command::Templates {
            action: TemplatesAction::Export { dir, force },
        } => {
            for path in templates::export(&dir, force)? {
                println!("wrote {}", path.display());
            }
            Ok(exit::OK)
        }
        Command::Resistance(ask) => ask_section(g, "resistance", ask),
        Command::Communication(ask) => ask_section(g, "communication", ask),
        Command::Metrics(ask) => ask_section(g, "metrics", ask),
        Command::Run { section, ask } => ask_section(g, &section, ask),
        Command::Draft(args) => draft(g, args),
        Command::Paste { section, file } => paste(g, &section, &file),
        Command::Render(args) => render(g, &args),
        Command::Profiles { action } => match action {
            None | Some(ProfilesAction::List) => profiles_list(g),
            Some(ProfilesAction::Test { name }) => profiles_test(g, name),
        },
        Command::Key { action } => key(g, action),
    }
}

/// A loaded project with its templates: what every project command starts from.
pub struct Workspace {
    pub loaded: Loaded,
    pub catalog: Catalog,
    pub share_people: bool,
}

impl Workspace {
    pub fn open(g: &Global) -> Result<Workspace> {
        let loaded = project::load(&g.project)?;
        let mut dirs = vec![
            config::config_dir().join("prompts"),
            loaded.dir().join("prompts"),
        ];
        if let Some(dir) = &g.prompts {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "--prompts {}: no such folder",
                    dir.display()
                )));
            }
            dirs.push(dir.clone());
        }
        let catalog = Catalog::load(&dirs)?;
        let share_people = g.share_people || loaded.project.privacy.share_people;
        Ok(Workspace {
            loaded,
            catalog,
            share_people,
        })
    }

    /// Fills `sections`, after checking that the project has every input they need.
    pub fn fill(&self, sections: &[&Section]) -> Result<Vec<FilledPrompt>> {
        let missing = templates::missing_inputs(&self.loaded.project, sections);
        if !missing.is_empty() {
            return Err(Error::Data(templates::describe_missing(
                &self.loaded.path,
                &missing,
            )));
        }
        let mut env = templates::environment();
        sections
            .iter()
            .map(|s| templates::fill(&mut env, s, &self.loaded.project, self.share_people))
            .collect()
    }

    pub fn store(&self) -> store::Store {
        store::Store::new(&self.loaded.dir())
    }

    fn print_warnings(&self) {
        for w in &self.loaded.warnings {
            eprintln!("warning: {w}");
        }
    }
}

fn init(file: &Path, force: bool) -> Result<i32> {
    if file.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a folder; give a file name",
            file.display()
        )));
    }
    if file.exists() && !force {
        return Err(Error::Other(format!(
            "{} already exists; refusing to overwrite it (pass --force to replace it)",
            file.display()
        )));
    }
    crate::error::write_atomic(file, include_str!("starter.toml").as_bytes())?;
    eprintln!(
        "wrote {}; fill in the blanks, then run `plan-ai check -p {}`",
        file.display(),
        file.display()
    );
    Ok(exit::OK)
}

fn check(g: &Global) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let all: Vec<&Section> = ws.catalog.sections.iter().collect();
    let filled = ws.fill(&all)?;
    ws.print_warnings();
    let p = &ws.loaded.project;
    let ids: Vec<&str> = filled.iter().map(|f| f.section.as_str()).collect();
    println!(
        "{} is usable: {} section{} ready ({}); {} roles, {} groups, {} named stakeholders, {} warning{}.",
        ws.loaded.path.display(),
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        ids.join(", "),
        p.roles.len(),
        p.groups.len(),
        p.stakeholders.len(),
        ws.loaded.warnings.len(),
        if ws.loaded.warnings.len() == 1 {
            ""
        } else {
            "s"
        },
    );
    Ok(exit::OK)
}

fn prompt(g: &Global, ids: &[String], all: bool, json: bool) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let sections: Vec<&Section> = if all {
        ws.catalog.sections.iter().collect()
    } else {
        ws.catalog.select(ids)?
    };
    let filled = ws.fill(&sections)?;
    let mut out = String::new();
    if json {
        out = serde_json::to_string_pretty(&filled).map_err(|e| Error::Other(e.to_string()))?;
        out.push('\n');
    } else if filled.len() == 1 {
        out.push_str(&filled[0].paste_text());
        out.push('\n');
    } else {
        for (i, f) in filled.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let head = format!(
                "===== {} ({}/{}): {} ",
                f.section,
                i + 1,
                filled.len(),
                f.title
            );
            let rule = "=".repeat(78usize.saturating_sub(head.chars().count()));
            out.push_str(&format!("{head}{rule}\n\n{}\n", f.paste_text()));
        }
    }
    write_stdout(out.as_bytes())?;
    Ok(exit::OK)
}

/// Writes to stdout, treating a closed pipe (`| head`) as success.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
}

fn list_sections(g: &Global) -> Result<i32> {
    // Listing works without a project file: it is how people discover what to fill in.
    let project_dir = g
        .project
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut dirs = vec![
        config::config_dir().join("prompts"),
        project_dir.join("prompts"),
    ];
    dirs.extend(g.prompts.clone());
    let catalog = Catalog::load(&dirs)?;
    let mut out = String::new();
    for s in &catalog.sections {
        out.push_str(&format!("{:<16} {}\n", s.id, s.title));
        let origin = match (&s.source, s.built_in) {
            (templates::Source::File(p), true) => {
                format!("{} (overrides the built-in)", p.display())
            }
            (src, _) => src.to_string(),
        };
        out.push_str(&format!("{:<16} source: {origin}\n", ""));
        out.push_str(&format!(
            "{:<16} needs:  {}\n",
            "",
            if s.inputs.is_empty() {
                "-".into()
            } else {
                s.inputs.join(", ")
            }
        ));
    }
    out.push_str(&format!("draft outline: {}\n", catalog.draft.1));
    write_stdout(out.as_bytes())?;
    Ok(exit::OK)
}

// ---------------------------------------------------------------------------------------------
// Endpoint commands

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

fn ask_section(g: &Global, id: &str, ask: Ask) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let section = ws.catalog.select(&[id.to_string()])?;
    let filled = ws.fill(&section)?.remove(0);
    let cfg = config::Config::load()?;
    let endpoint = config::resolve(&cfg, g, &ws.loaded.project.endpoint, &ask.tuning)?;
    let stream = endpoint.stream && !ask.no_stream;
    let rt = runtime()?;
    rt.block_on(async {
        let work = async {
            let client = client::Client::connect(endpoint.clone(), g.verbose).await?;
            let mut sink = client::StdoutSink::new(stream);
            client
                .chat(&filled.messages, stream, &mut sink, &|note| {
                    eprintln!("{note}")
                })
                .await
        };
        // Ctrl-C at any point, connecting included, ends cleanly: nothing written, exit 130.
        let answer = tokio::select! {
            r = work => r?,
            _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
        };
        if !stream {
            write_stdout(answer.text.as_bytes())?;
        }
        if !answer.text.ends_with('\n') {
            write_stdout(b"\n")?;
        }
        if let Some(path) = &ask.output {
            crate::error::write_atomic(path, ensure_newline(&answer.text).as_bytes())?;
        }
        // Also keep it in the run store, so `draft` can reuse it without paying twice.
        let stored = store::StoredSection::from_answer(&filled, &endpoint, &answer);
        if let Err(e) = ws.store().save(&stored) {
            eprintln!("warning: could not store the answer for `draft` to reuse: {e}");
        }
        eprintln!("{}", answer.summary());
        if let Some(w) = answer.truncation_warning() {
            eprintln!("{w}");
        }
        Ok(exit::OK)
    })
}

fn ensure_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

fn draft(g: &Global, args: DraftArgs) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let all: Vec<&Section> = ws.catalog.sections.iter().collect();
    // --sections limits what is requested; the draft is always assembled from every section.
    let requested: Vec<String> = if args.sections.is_empty() {
        all.iter().map(|s| s.id.clone()).collect()
    } else {
        ws.catalog
            .select(&args.sections)?
            .iter()
            .map(|s| s.id.clone())
            .collect()
    };
    let regenerate: Vec<String> = ws
        .catalog
        .select(&args.regenerate)?
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let filled = ws.fill(&all)?;
    ws.print_warnings();
    let store = ws.store();
    if args.offline {
        return render_draft(&ws, &store, &filled, &args.render, true);
    }
    let cfg = config::Config::load()?;
    let endpoint = config::resolve(&cfg, g, &ws.loaded.project.endpoint, &args.tuning)?;
    let batch: Vec<FilledPrompt> = filled
        .iter()
        .filter(|f| requested.contains(&f.section))
        .cloned()
        .collect();
    let jobs = args.jobs.unwrap_or(batch.len()).clamp(1, plan::MAX_JOBS);
    let rt = runtime()?;
    let outcome = rt.block_on(plan::generate(plan::Batch {
        filled: &batch,
        store: &store,
        endpoint,
        jobs,
        fresh: args.fresh,
        regenerate: &regenerate,
        verbose: g.verbose,
    }))?;
    outcome.report();
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
            "{} of {} sections failed ({}); the others are stored in {}.\nRe-run `{}` to request only the missing ones{}.",
            failed.len(),
            batch.len(),
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
            render_draft(&ws, &store, &filled, &args.render, false)?;
        }
        return Ok(exit::ENDPOINT);
    }
    render_draft(&ws, &store, &filled, &args.render, false)
}

/// The command that resumes a batch: the same endpoint settings (they are part of what makes
/// a stored answer current), without --fresh or --regenerate, which would pay again.
fn resume_command(g: &Global, args: &DraftArgs) -> String {
    let mut cmd = format!("plan-ai draft{}", project_flag(g));
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

/// Quotes a value for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn project_flag(g: &Global) -> String {
    if g.project == Path::new("plan-ai.toml") {
        String::new()
    } else {
        format!(" -p {}", shell_word(&g.project.display().to_string()))
    }
}

fn render(g: &Global, args: &RenderArgs) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let all: Vec<&Section> = ws.catalog.sections.iter().collect();
    let filled = ws.fill(&all)?;
    render_draft(&ws, &ws.store(), &filled, args, true)
}

/// Assembles the draft from stored answers and writes it, refusing to clobber a hand-edited file.
fn render_draft(
    ws: &Workspace,
    store: &store::Store,
    filled: &[FilledPrompt],
    args: &RenderArgs,
    offline: bool,
) -> Result<i32> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| ws.loaded.dir().join("plan.md"));
    let assembled = plan::assemble(ws, store, filled)?;
    for note in &assembled.notes {
        eprintln!("note: {note}");
    }
    if !assembled.missing.is_empty() && !args.allow_partial {
        let mut msg = format!(
            "the draft is incomplete: no answer yet for {}.",
            assembled.missing.join(", ")
        );
        for id in &assembled.missing {
            let flag = if ws.loaded.path == Path::new("plan-ai.toml") {
                String::new()
            } else {
                format!(" -p {}", ws.loaded.path.display())
            };
            msg.push_str(&format!(
                "\n  {id}: print its prompt with `plan-ai prompt {id}{flag}`, paste the chat answer back with `plan-ai paste {id}{flag} FILE`{}",
                if offline { ", or request it with `plan-ai draft` (without --offline)" } else { "" }
            ));
        }
        msg.push_str(
            "\nOr pass --allow-partial to write the draft with those sections marked as missing.",
        );
        return Err(Error::Incomplete(msg));
    }
    store.write_draft(&output, &assembled.markdown, args.force)?;
    eprintln!(
        "wrote {} ({} section{}{})",
        output.display(),
        filled.len() - assembled.missing.len(),
        if filled.len() - assembled.missing.len() == 1 {
            ""
        } else {
            "s"
        },
        if assembled.missing.is_empty() {
            String::new()
        } else {
            format!(", {} missing", assembled.missing.len())
        }
    );
    Ok(if assembled.missing.is_empty() {
        exit::OK
    } else {
        exit::INCOMPLETE
    })
}

fn paste(g: &Global, id: &str, file: &Path) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let section = ws.catalog.select(&[id.to_string()])?;
    let filled = ws.fill(&section)?.remove(0);
    let mut text = String::new();
    if file == Path::new("-") {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "Paste the answer for `{}`, then press Ctrl-D on an empty line:",
                filled.section
            );
        }
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::io("cannot read standard input", e))?;
    } else {
        let bytes = std::fs::read(file).map_err(|e| Error::file("read", file, e))?;
        text = String::from_utf8(bytes)
            .map_err(|_| Error::Data(format!("{}: not valid UTF-8 text", file.display())))?;
    }
    let stored = store::StoredSection::from_paste(&filled, &text);
    if stored.answer.is_empty() {
        return Err(Error::Data(format!(
            "the answer for `{}` is empty (reasoning blocks are not an answer); nothing stored",
            filled.section
        )));
    }
    let path = ws.store().save(&stored)?;
    eprintln!(
        "stored the answer for `{}` in {}",
        filled.section,
        path.display()
    );
    Ok(exit::OK)
}

fn profiles_list(g: &Global) -> Result<i32> {
    let cfg = config::Config::load()?;
    let active = config::active_profile_name(&cfg, g, None);
    write_stdout(config::describe_profiles(&cfg, &active).as_bytes())?;
    Ok(exit::OK)
}

fn profiles_test(g: &Global, name: Option<String>) -> Result<i32> {
    let cfg = config::Config::load()?;
    let mut g = g.clone();
    if name.is_some() {
        g.profile = name;
    }
    let endpoint = config::resolve_for_test(&cfg, &g)?;
    let rt = runtime()?;
    rt.block_on(async {
        tokio::select! {
            r = client::probe(endpoint, g.verbose) => { let report = r?; print!("{report}"); Ok(exit::OK) }
            _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
        }
    })
}

fn key(g: &Global, action: KeyAction) -> Result<i32> {
    let cfg = config::Config::load()?;
    // The key belongs to the profile the section commands would use, which a readable project
    // file may name; key commands still work with no project file at all.
    let prefs = project::load(&g.project).ok().map(|l| l.project.endpoint);
    let profile = config::active_profile_name(&cfg, g, prefs.as_ref());
    match action {
        KeyAction::Set => {
            let secret = read_secret(&profile)?;
            let backend = keys::set(&profile, secret)?;
            eprintln!("stored the key for profile `{profile}` in {backend}");
        }
        KeyAction::Status => println!("{}", keys::status(&profile)),
        KeyAction::Delete => {
            if keys::delete(&profile)? {
                eprintln!("deleted the key for profile `{profile}`");
            } else {
                eprintln!("no key was stored for profile `{profile}`");
            }
        }
    }
    Ok(exit::OK)
}

fn read_secret(profile: &str) -> Result<keys::Secret> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for profile `{profile}` (input hidden): "))
            .map_err(|e| Error::io("cannot read the key", e))?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("cannot read the key from standard input", e))?;
        s
    };
    keys::Secret::parse(raw)
}
