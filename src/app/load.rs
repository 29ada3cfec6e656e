//! `portfolio load`: change load per stakeholder group and period across a portfolio, as a
//! coloured table, JSON or CSV, with no request. Broken projects are listed and skipped.

use super::Ctx;
use super::open::{self, in_parallel};
use crate::cli::{LoadPeriod, PortfolioLoadArgs, TableFormat};
use crate::error::{Error, Result, exit};
use crate::plan::load::{self, By, Heatmap, ProjectLoad, Settings};
use crate::run::portfolio::Status;
use crate::term::heatmap;
use std::path::{Path, PathBuf};

pub fn load(cx: &Ctx, args: &PortfolioLoadArgs) -> Result<i32> {
    let files = open::discover(&args.paths.paths, args.paths.recursive)?;
    let settings = settings(args.settings.as_deref(), &args.paths.paths)?;
    let day = |flag: &str, value: &Option<String>| -> Result<Option<i64>> {
        value
            .as_deref()
            .map(|v| {
                load::parse_day(v).ok_or_else(|| {
                    Error::Usage(format!(
                        "{flag} {v}: give a week (2027-W05), a month (2027-03) or a date (2027-03-01)"
                    ))
                })
            })
            .transpose()
    };
    let (from, to) = (day("--from", &args.from)?, day("--to", &args.to)?);
    let (loads, broken) = read(&files);
    let loads: Vec<ProjectLoad> = loads.into_iter().map(|(_, l)| l).collect();
    for b in &broken {
        let why = b.broken.as_deref().unwrap_or_default();
        cx.ui.warn(format_args!(
            "{}: skipped: {}",
            open::label(&b.path),
            why.lines().next().unwrap_or_default()
        ));
    }
    let by = match args.by {
        LoadPeriod::Week => By::Week,
        LoadPeriod::Month => By::Month,
    };
    let map = load::heatmap(&loads, &settings, by, from, to);
    say_what_is_assumed(cx, &map);
    match args.format {
        TableFormat::Json => cx.ui.result_json(&map.json_view())?,
        TableFormat::Csv => cx.ui.result_bytes(&csv(&map)?)?,
        TableFormat::Table => cx.ui.result(&heatmap::render(&map, cx.ui.color_stdout()))?,
    }
    Ok(if broken.is_empty() {
        exit::OK
    } else {
        exit::DATA
    })
}

/// `--settings FILE`, else `portfolio.toml` in the first folder named, else the defaults.
pub(super) fn settings(flag: Option<&Path>, paths: &[PathBuf]) -> Result<Settings> {
    if let Some(file) = flag {
        return Settings::load(file);
    }
    let at_root = open::summary_dir(paths).join(load::settings::FILE_NAME);
    if at_root.is_file() {
        Settings::load(&at_root)
    } else {
        Ok(Settings::default())
    }
}

/// Each project as the load sees it, with its file, read on a few threads; the ones that
/// cannot be read.
pub(super) fn read(files: &[PathBuf]) -> (Vec<(PathBuf, ProjectLoad)>, Vec<Status>) {
    let read = in_parallel(files, |f| {
        crate::project::load(f)
            .map(|l| {
                (
                    f.to_path_buf(),
                    ProjectLoad::of(&l.project, &open::label(f)),
                )
            })
            .map_err(|e| Box::new(Status::broken(f, &e)))
    });
    let (mut loads, mut broken) = (Vec::new(), Vec::new());
    for r in read {
        match r {
            Ok(l) => loads.push(l),
            Err(b) => broken.push(*b),
        }
    }
    (loads, broken)
}

/// What the numbers rest on that the project files do not say.
fn say_what_is_assumed(cx: &Ctx, map: &Heatmap) {
    if !map.unstated.is_empty() {
        cx.ui.warn(format_args!(
            "{} do not say the impact of some groups (`impact = \"high\"`, \"medium\" or \"low\" under [[groups]]); taken as medium",
            crate::text::list_en(&map.unstated)
        ));
    }
    if !map.unplaced.is_empty() {
        cx.ui.warn(format_args!(
            "{} have no launch_date and some groups no impact_from and impact_to: left out of the load",
            crate::text::list_en(&map.unplaced)
        ));
    }
    for (one, other) in &map.possible_aliases {
        cx.ui.note(format_args!(
            "\"{one}\" (in one project only) looks like \"{other}\"; if they are one group, add it to aliases under [groups.\"{other}\"] in portfolio.toml"
        ));
    }
}

fn csv(map: &Heatmap) -> Result<Vec<u8>> {
    let table = crate::sections::table::Table {
        caption: None,
        columns: ["Group", "Period", "Score", "Level", "Projects"]
            .map(String::from)
            .to_vec(),
        rows: map.csv_rows(),
    };
    crate::plan::render::csv::write(&table)
}
