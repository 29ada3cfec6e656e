//! Renderers: each turns a [`super::Plan`] into one file format. Markdown comes from the draft
//! template; Word and HTML lay out that same Markdown (so a customised template reaches every
//! format); Excel and CSV are built from the typed data (the register, the structured
//! sections), as the trackers people keep.

pub mod blocks;
pub mod cells;
pub mod csv;
pub mod docx;
pub mod heatmap;
pub mod html;
pub mod markdown;
pub mod measure;
pub mod portfolio;
pub mod xlsx;

use super::Plan;
use crate::error::{Error, Result};
use crate::prompts::DraftTemplate;
use serde::{Deserialize, Serialize};

/// The formats plan-ai writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Md,
    Docx,
    Xlsx,
    Html,
    /// A folder of CSV files, one per table.
    Csv,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Md,
        Format::Docx,
        Format::Xlsx,
        Format::Html,
        Format::Csv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
            Format::Csv => "csv",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "markdown" => Some(Format::Md),
            "htm" => Some(Format::Html),
            _ => Format::ALL.into_iter().find(|f| f.name() == name),
        }
    }

    /// The format a file name asks for by its extension.
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::parse)
    }
}

/// How a confidential annex is marked (its title, header, footer and document properties),
/// in the plan's language.
pub fn marking(plan: &Plan) -> &str {
    plan.t("annex.marking")
}

/// Which part of the plan a file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Part {
    /// The whole plan, named people included.
    #[default]
    Whole,
    /// The part anyone may read: group-level content, no name
    /// ([`Plan::without_people`]), and a line pointing at `annex` (that file's name).
    Main { annex: String },
    /// The confidential annex: the register, the grid, named stances, champions and the
    /// engagement plan, for the plan in `main` (that file's name).
    Annex { main: String },
}

/// What a format needs besides the plan.
pub struct Options<'a> {
    pub draft_template: &'a DraftTemplate,
    /// The confidential annex's outline (`prompts/annex.jinja`, overridable).
    pub annex_template: &'a DraftTemplate,
    /// A Word file whose styles, theme and page setup the .docx takes.
    pub reference_docx: Option<&'a [u8]>,
    pub part: Part,
}

/// A rendered format: one file, or (CSV) a folder of named files.
pub enum Output {
    File(Vec<u8>),
    Folder(Vec<(String, Vec<u8>)>),
}

pub fn render(plan: &Plan, format: Format, opts: &Options<'_>) -> Result<Output> {
    // The main part is the plan without its named parts, whatever the format.
    let main;
    let plan = match &opts.part {
        Part::Main { .. } => {
            main = plan.without_people();
            &main
        }
        _ => plan,
    };
    let annex = matches!(opts.part, Part::Annex { .. });
    let markdown = || {
        let template = [opts.draft_template, opts.annex_template][usize::from(annex)];
        markdown::render(plan, template, &opts.part)
    };
    let marking = annex.then_some(marking(plan));
    let notice = match marking {
        Some(m) => format!("{m}. {}", notice(plan)),
        None => notice(plan),
    };
    Ok(match format {
        Format::Md => Output::File(markdown()?.into_bytes()),
        Format::Html => {
            let blocks = blocks::parse(&markdown()?);
            // The page shows its marking on a line of its own above the notice.
            let notice = self::notice(plan);
            let title = title(plan, annex);
            let page = html::render(&blocks, &title, &notice, marking, &plan.language);
            Output::File(page.into_bytes())
        }
        Format::Docx => {
            let blocks = blocks::parse(&markdown()?);
            let meta = docx::DocMeta {
                title: title(plan, annex),
                subject: plan.project.project.system.clone().unwrap_or_default(),
                author: plan.project.project.owner.clone(),
                created: plan.today.clone(),
                notice,
                marking: marking.map(str::to_string),
                page_of: plan.t("plan.page_of").to_string(),
                language: (!plan.language.is_english()).then(|| plan.language.tag().to_string()),
            };
            Output::File(docx::render(&blocks, &meta, opts.reference_docx)?)
        }
        Format::Xlsx if annex => Output::File(xlsx::render_annex(plan)?),
        Format::Xlsx => Output::File(xlsx::render(plan, &opts.part)?),
        Format::Csv if annex => Output::Folder(csv::render_annex(plan)?),
        Format::Csv => Output::Folder(csv::render(plan, &opts.part)?),
    })
}

/// The document's title: the plan's, or its annex's, marked.
fn title(plan: &Plan, annex: bool) -> String {
    let name = (plan.project.project.name.as_deref()).unwrap_or_else(|| plan.t("plan.untitled"));
    match annex {
        true => plan.language.format(
            "annex.title",
            &[("marking", marking(plan)), ("project", name)],
        ),
        false => plan.language.format("plan.title", &[("project", name)]),
    }
}

/// The draft notice every format carries.
pub fn notice(plan: &Plan) -> String {
    let mut s = plan.t("plan.notice").to_string();
    if !plan.missing().is_empty() {
        let sections = plan.missing().join(", ");
        s.push(' ');
        s += &plan
            .language
            .format("plan.notice_incomplete", &[("sections", &sections)]);
    }
    s
}

/// Reads a reference .docx (a user's Word template), with a clear error.
pub fn read_reference_docx(path: &std::path::Path) -> Result<Vec<u8>> {
    let bytes = crate::fs::read_regular(path, 64 << 20)
        .map_err(|e| Error::file("read the reference document", path, e))?
        .ok_or_else(|| {
            Error::Data(format!(
                "{}: a reference document over 64 MiB is not a Word template",
                path.display()
            ))
        })?;
    if !bytes.starts_with(b"PK") {
        return Err(Error::Data(format!(
            "{} is not a .docx file (a Word document is a zip package)",
            path.display()
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn formats_by_name_and_extension() {
        let cases = [
            ("plan.md", Some(Format::Md)),
            ("plan.DOCX", Some(Format::Docx)),
            ("x/plan.xlsx", Some(Format::Xlsx)),
            ("plan.htm", Some(Format::Html)),
            ("plan.html", Some(Format::Html)),
            ("plan.pdf", None),
            ("plan", None),
        ];
        for (path, want) in cases {
            assert_eq!(Format::of_path(Path::new(path)), want, "{path}");
        }
        assert_eq!(Format::parse(" CSV "), Some(Format::Csv));
        assert_eq!(Format::parse("markdown"), Some(Format::Md));
    }
}
