//! Writing the plan: which files it goes to (formats from `--format`, the `-o` extension, the
//! project's or the user's `[output] formats`; paths next to each other; with a confidential
//! annex, `NAME.confidential.EXT` next to each `NAME.EXT`), assembling it from the store, and
//! writing every format by the same rules (atomic, never over a file edited since plan-ai
//! wrote it, sections missing only when allowed).

use super::{Ctx, hints, project_flag};
use crate::cli::RenderArgs;
use crate::endpoint::Config;
use crate::error::{Error, Result, exit};
use crate::plan::Plan;
use crate::plan::render::{self, Format, Options, Output, Part};
use crate::project::Loaded;
use crate::prompts::FilledPrompt;
use crate::run::Store;
use crate::run::workspace::Workspace;
use crate::text::plural;
use std::path::{Path, PathBuf};

/// Whether the plan is written from stored answers alone (`render`, `draft --offline`) or
/// after a run asked for what was missing: a missing section's hint differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    FromStore,
    AfterRun,
}

/// Assembles the plan from stored answers and writes it, refusing to clobber a hand-edited
/// file and, unless allowed, to write a plan with sections missing.
pub fn write_plan(
    cx: &Ctx,
    ws: &Workspace,
    filled: &[FilledPrompt],
    args: &RenderArgs,
    written: Written,
    others: Vec<crate::plan::load::OtherChanges>,
) -> Result<i32> {
    let config = Config::load()?;
    let formats = formats(args, &ws.loaded, &config)?;
    let targets = targets(
        &formats,
        args.output.as_deref(),
        &crate::run::store::default_plan_base(&ws.loaded.path),
    );
    let reference = if formats.contains(&Format::Docx) {
        reference_docx(args, &ws.loaded, &config)?
    } else {
        None
    };
    let store = cx.store(ws)?;
    // Structure only to read stored JSON back: prose or not, a structured answer is a table.
    let planned = ws.planned(filled, false);
    let plan = Plan::assemble(&ws.loaded.project, &planned, &store)
        .in_language(ws.catalog.language.clone())
        .with_people(ws.privacy)
        .with_review(&super::review::facts(ws))
        .with_other_changes(others);
    say_what_to_check(cx, &plan, &ws.loaded.path);
    let missing = plan.missing();
    if !missing.is_empty() && !args.allow_partial {
        return Err(Error::Incomplete(incomplete_message(
            missing,
            &ws.loaded.path,
            written,
        )));
    }
    let opts = Options {
        draft_template: &ws.catalog.draft,
        annex_template: &ws.catalog.annex,
        reference_docx: reference.as_deref(),
        part: Part::Whole,
    };
    let annex = annex(args, &ws.loaded, &config);
    let paths = write(&plan, &targets, &opts, annex, &store, args.force)?;
    let done = filled.len() - missing.len();
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    cx.ui.status(format_args!(
        "wrote {} ({}{})",
        names.join(", "),
        plural(done, "section"),
        if missing.is_empty() {
            String::new()
        } else {
            format!(", {} missing", missing.len())
        }
    ));
    Ok(if missing.is_empty() {
        exit::OK
    } else {
        exit::INCOMPLETE
    })
}

/// Unreadable records, stale answers, and the review's score when something needs a look.
fn say_what_to_check(cx: &Ctx, plan: &Plan, project: &Path) {
    for note in &plan.notes {
        cx.ui.note(note);
    }
    for s in plan.sections.iter().filter(|s| s.stale) {
        cx.ui.note(hints::stale(&s.id, project));
    }
    if let Some(review) = plan
        .review
        .as_ref()
        .filter(|r| r.problems().next().is_some())
    {
        use crate::plan::review::Verdict;
        cx.ui.note(format_args!(
            "review: {} of 100 ({} fail, {} warn); the plan's last section lists them, `plan-ai review{}` shows the scorecard",
            review.score,
            review.count(Verdict::Fail),
            review.count(Verdict::Warn),
            project_flag(project)
        ));
    }
}

/// Why the plan is not written, and per missing section how to get its answer.
pub fn incomplete_message(missing: &[String], project: &Path, written: Written) -> String {
    let flag = project_flag(project);
    let mut msg = format!(
        "the draft is incomplete: no answer yet for {}.",
        missing.join(", ")
    );
    for id in missing {
        msg.push_str(&format!(
            "\n  {id}: print its prompt with `plan-ai prompt {id}{flag}`, paste the chat answer back with `plan-ai paste {id}{flag} FILE`{}",
            match written {
                Written::FromStore => ", or request it with `plan-ai draft` (without --offline)",
                Written::AfterRun => "",
            }
        ));
    }
    msg.push_str(
        "\nOr pass --allow-partial to write the draft with those sections marked as missing.",
    );
    msg
}

/// One file (or, for CSV, one folder) to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub format: Format,
    pub path: PathBuf,
}

/// The formats asked for: `--format`, else the `-o` file's extension, else the project's
/// `[output] formats`, else the user config's, else Markdown.
pub fn formats(args: &RenderArgs, project: &Loaded, config: &Config) -> Result<Vec<Format>> {
    let named = |names: &[String], whence: &str| -> Result<Vec<Format>> {
        let mut out = Vec::new();
        for n in names
            .iter()
            .flat_map(|n| n.split(','))
            .filter(|n| !n.trim().is_empty())
        {
            let f = Format::parse(n).ok_or_else(|| {
                Error::Usage(format!(
                    "{whence}: unknown format `{}`; use md, docx, xlsx, html or csv",
                    n.trim()
                ))
            })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    };
    if !args.format.is_empty() {
        return named(&args.format, "--format");
    }
    if let Some(o) = &args.output {
        // An unknown extension (plan.txt) keeps the Markdown it always meant.
        return Ok(vec![Format::of_path(o).unwrap_or(Format::Md)]);
    }
    let from_project = named(
        &project.project.output.formats,
        "[output] formats in the project",
    )
    .map_err(|e| Error::Data(e.to_string()))?;
    if !from_project.is_empty() {
        return Ok(from_project);
    }
    let from_config = named(
        &config.output.formats,
        "[output] formats in the config file",
    )
    .map_err(|e| Error::Config(e.to_string()))?;
    Ok(if from_config.is_empty() {
        vec![Format::Md]
    } else {
        from_config
    })
}

/// Where each format goes. One format and `-o FILE`: that file. Otherwise next to each other:
/// `-o`'s name without its extension (or `default_base`: `plan`, or `crm.plan` for
/// `crm.toml`), then `.md`, `.docx`, `.xlsx`, `.html`, and `-csv/` for the CSV folder.
pub fn targets(formats: &[Format], output: Option<&Path>, default_base: &Path) -> Vec<Target> {
    if let ([format], Some(path)) = (formats, output) {
        return vec![Target {
            format: *format,
            path: path.to_path_buf(),
        }];
    }
    let base = match output {
        Some(o) if Format::of_path(o).is_some() => o.with_extension(""),
        Some(o) => o.to_path_buf(),
        None => default_base.to_path_buf(),
    };
    // Appended, not replaced: `crm.plan` becomes `crm.plan.md`.
    let with_suffix = |suffix: &str| {
        let mut name = base.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    formats
        .iter()
        .map(|&format| Target {
            format,
            path: match format {
                Format::Csv => with_suffix("-csv"),
                f => with_suffix(&format!(".{}", f.name())),
            },
        })
        .collect()
}

/// Whether the plan's named parts go to a confidential annex: `--annex`, else the project's
/// `[output] confidential_annex`, else the user config's.
pub fn annex(args: &RenderArgs, project: &Loaded, config: &Config) -> bool {
    annex_on(args.annex, project, config)
}

/// [`annex`] with the flag given as is.
pub fn annex_on(flag: bool, project: &Loaded, config: &Config) -> bool {
    flag || (project.project.output.confidential_annex)
        .or(config.output.confidential_annex)
        .unwrap_or(false)
}

/// Where a target's confidential annex goes, next to it: `NAME.confidential.EXT` for
/// `NAME.EXT`, `NAME.confidential-csv` for the CSV folder `NAME-csv`, and `.confidential`
/// added to a name without an extension.
pub fn annex_path(t: &Target) -> PathBuf {
    let name = t.path.file_name().unwrap_or_default().to_string_lossy();
    let csv = (t.format == Format::Csv)
        .then(|| name.strip_suffix("-csv"))
        .flatten();
    let file = match (csv, name.rsplit_once('.')) {
        (Some(stem), _) => format!("{stem}.confidential-csv"),
        (None, Some((stem, ext))) if t.format != Format::Csv && !stem.is_empty() => {
            format!("{stem}.confidential.{ext}")
        }
        _ => format!("{name}.confidential"),
    };
    t.path.with_file_name(file)
}

/// The Word template: `--reference-doc`, else the project's `[output] reference_docx`
/// (relative to the project file), else the config's (relative to the config folder).
pub fn reference_docx(
    args: &RenderArgs,
    project: &Loaded,
    config: &Config,
) -> Result<Option<Vec<u8>>> {
    let path = args
        .reference_doc
        .clone()
        .or_else(|| {
            project
                .project
                .output
                .reference_docx
                .as_ref()
                .map(|p| project.dir().join(p))
        })
        .or_else(|| {
            config
                .output
                .reference_docx
                .as_ref()
                .map(|p| crate::fs::parent_dir(&config.path).join(p))
        });
    path.map(|p| render::read_reference_docx(&p)).transpose()
}

/// Renders every target first (a failure writes nothing), then writes each. With `annex`,
/// each target holds the plan's main part, and its named parts go to the confidential annex
/// next to it ([`annex_path`]), in the same format.
pub fn write(
    plan: &Plan,
    targets: &[Target],
    opts: &Options<'_>,
    annex: bool,
    store: &Store,
    force: bool,
) -> Result<Vec<PathBuf>> {
    let name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let mut rendered = Vec::new();
    for t in targets {
        if !annex {
            rendered.push((t.clone(), render::render(plan, t.format, opts)?));
            continue;
        }
        let beside = Target {
            format: t.format,
            path: annex_path(t),
        };
        let main = Options {
            part: Part::Main {
                annex: name(&beside.path),
            },
            ..*opts
        };
        let confidential = Options {
            part: Part::Annex {
                main: name(&t.path),
            },
            ..*opts
        };
        rendered.push((t.clone(), render::render(plan, t.format, &main)?));
        rendered.push((beside, render::render(plan, t.format, &confidential)?));
    }
    let mut written = Vec::new();
    for (t, output) in rendered {
        match output {
            Output::File(bytes) => {
                store.write_draft(&t.path, &bytes, force)?;
                written.push(t.path.clone());
            }
            Output::Folder(files) => {
                if t.path.is_file() {
                    return Err(Error::Usage(format!(
                        "{} is a file; CSV output is a folder of one file per table",
                        t.path.display()
                    )));
                }
                for (name, bytes) in files {
                    store.write_draft(&t.path.join(name), &bytes, force)?;
                }
                written.push(t.path.clone());
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incomplete_message_names_the_commands_for_each_missing_section() {
        let m = incomplete_message(
            &["metrics".into()],
            Path::new("my p.toml"),
            Written::FromStore,
        );
        assert!(m.contains("`plan-ai prompt metrics -p 'my p.toml'`"), "{m}");
        assert!(
            m.contains("`plan-ai paste metrics -p 'my p.toml' FILE`"),
            "{m}"
        );
        assert!(m.contains("without --offline"), "{m}");
        assert!(m.ends_with(
            "--allow-partial to write the draft with those sections marked as missing."
        ));
        let online = incomplete_message(
            &["a".into(), "b".into()],
            Path::new("plan-ai.toml"),
            Written::AfterRun,
        );
        assert!(online.contains("no answer yet for a, b."), "{online}");
        assert!(!online.contains("without --offline"));
        assert!(online.contains("`plan-ai prompt a`"), "{online}");
    }

    fn paths(formats: &[Format], output: Option<&str>) -> Vec<String> {
        targets(formats, output.map(Path::new), Path::new("proj/plan"))
            .into_iter()
            .map(|t| t.path.display().to_string())
            .collect()
    }

    #[test]
    fn the_annex_sits_next_to_its_plan() {
        use Format::*;
        let cases = [
            (Md, "proj/plan.md", "proj/plan.confidential.md"),
            (Md, "crm.plan.md", "crm.plan.confidential.md"),
            (Docx, "out/split.docx", "out/split.confidential.docx"),
            (Md, "out/x.txt", "out/x.confidential.txt"),
            (Md, "out/notes", "out/notes.confidential"),
            (Csv, "proj/plan-csv", "proj/plan.confidential-csv"),
            (Csv, "tables", "tables.confidential"),
            (Csv, "out/v1.0", "out/v1.0.confidential"),
            (Md, ".plan", ".plan.confidential"),
        ];
        for (format, path, want) in cases {
            let t = Target {
                format,
                path: path.into(),
            };
            assert_eq!(annex_path(&t), Path::new(want), "{path}");
        }
    }

    #[test]
    fn targets_sit_next_to_each_other() {
        use Format::*;
        let cases: &[(&[Format], Option<&str>, &[&str])] = &[
            (&[Md], None, &["proj/plan.md"]),
            (&[Md], Some("out/x.txt"), &["out/x.txt"]),
            (&[Docx], Some("out/x.docx"), &["out/x.docx"]),
            (
                &[Md, Docx, Csv],
                None,
                &["proj/plan.md", "proj/plan.docx", "proj/plan-csv"],
            ),
            (
                &[Md, Xlsx],
                Some("out/board.md"),
                &["out/board.md", "out/board.xlsx"],
            ),
            (&[Csv], Some("tables"), &["tables"]),
            (&[Html, Csv], Some("out/x"), &["out/x.html", "out/x-csv"]),
            (
                &[Md, Html],
                Some("out/crm.plan.md"),
                &["out/crm.plan.md", "out/crm.plan.html"],
            ),
        ];
        for (formats, output, want) in cases {
            assert_eq!(paths(formats, *output), *want, "{formats:?} {output:?}");
        }
    }
}
