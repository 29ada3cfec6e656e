//! Which files a plan goes to: formats from `--format`, the `-o` extension, the project's or
//! the user's `[output] formats`; paths next to each other; and writing them with the same
//! rules for every format (atomic, never over a file edited since plan-ai wrote it).

use crate::cli::RenderArgs;
use crate::endpoint::Config;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::plan::render::{self, Format, Options, Output};
use crate::project::Loaded;
use crate::run::Store;
use std::path::{Path, PathBuf};

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

/// Renders every target first (a failure writes nothing), then writes each.
pub fn write(
    plan: &Plan,
    targets: &[Target],
    opts: &Options<'_>,
    store: &Store,
    force: bool,
) -> Result<Vec<PathBuf>> {
    let mut rendered = Vec::new();
    for t in targets {
        rendered.push((t, render::render(plan, t.format, opts)?));
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

    fn paths(formats: &[Format], output: Option<&str>) -> Vec<String> {
        targets(formats, output.map(Path::new), Path::new("proj/plan"))
            .into_iter()
            .map(|t| t.path.display().to_string())
            .collect()
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
