//! The portfolio summary: one row per project (name, system, launch, owner, where its sections
//! stand, who resists, tokens and cost, a link to its plan), as a terminal table, Markdown,
//! JSON, CSV and an Excel sheet.
//!
//! The documents (`portfolio.md`, `.html`, `.xlsx`) are written in the portfolio's language
//! (`--language`, else `language` in portfolio.toml, else English); the CSV and JSON that
//! `portfolio status` prints are for scripts and stay English, as the terminal does.

use crate::error::{Error, Result};
use crate::i18n::Language;
use crate::plan::load::Heatmap;
use crate::run::portfolio::{State, Status};
use crate::sections::table::{Table, markdown_cell};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// The catalog keys of the summary's columns.
const COLUMNS: [&str; 11] = [
    "portfolio.project",
    "portfolio.file",
    "portfolio.system",
    "portfolio.launch",
    "portfolio.owner",
    "portfolio.sections",
    "portfolio.resistant_or_unaware",
    "portfolio.review_score",
    "portfolio.tokens",
    "portfolio.cost",
    "portfolio.plan",
];

/// "3 done", "2 done, 1 stale", "broken: ...".
fn sections(s: &Status, lang: &Language) -> String {
    if let Some(why) = &s.broken {
        let why = why.lines().next().unwrap_or_default();
        return lang.format("portfolio.broken", &[("why", why)]);
    }
    let parts: Vec<String> = [
        (State::Done, "portfolio.done"),
        (State::Stale, "portfolio.stale"),
        (State::Missing, "portfolio.missing"),
        (State::Failed, "portfolio.failed"),
    ]
    .iter()
    .filter_map(|(state, key)| {
        let n = s.count(*state);
        (n > 0).then(|| lang.plural(key, n as u64, &[]))
    })
    .collect();
    parts.join(", ")
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The summary as a table in `lang`; paths relative to `base` (where the summary is written).
/// Names and paths come from local files: no escape codes reach any format.
pub fn table(statuses: &[Status], base: &Path, lang: &Language) -> Table {
    Table {
        caption: None,
        columns: crate::sections::table::headers(&COLUMNS, lang),
        rows: statuses
            .iter()
            .map(|s| {
                let row: [String; 11] = [
                    s.name.clone(),
                    relative(&s.path, base),
                    s.system.clone(),
                    s.launch.clone(),
                    s.owner.clone(),
                    sections(s, lang),
                    (s.attention.iter())
                        .map(|a| a.text(lang))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    s.score.map(|n| n.to_string()).unwrap_or_default(),
                    if s.usage.total_tokens > 0 {
                        s.usage.total_tokens.to_string()
                    } else {
                        String::new()
                    },
                    s.cost.map(|c| format!("{c:.4}")).unwrap_or_default(),
                    s.plan
                        .as_deref()
                        .map(|p| relative(p, base))
                        .unwrap_or_default(),
                ];
                row.iter()
                    .map(|c| crate::sanitize::strip_controls(c))
                    .collect()
            })
            .collect(),
    }
}

/// `portfolio.md`: totals, then the table, each plan linked, then the change load.
pub fn markdown(
    statuses: &[Status],
    base: &Path,
    today: &str,
    load: Option<&Heatmap>,
    lang: &Language,
) -> String {
    let done = (statuses.iter())
        .filter(|s| s.broken.is_none() && s.count(State::Done) == s.sections.len())
        .count();
    let broken = statuses.iter().filter(|s| s.broken.is_some()).count();
    let n = |v: usize| lang.number(v as i64);
    let summary = lang.format(
        "portfolio.summary",
        &[
            (
                "projects",
                &lang.plural("portfolio.projects", statuses.len() as u64, &[]),
            ),
            ("done", &n(done)),
            ("broken", &n(broken)),
            ("date", &crate::i18n::long_date(today, lang)),
        ],
    );
    let mut out = format!("# {}\n\n{summary}\n\n", lang.t("portfolio.title"));
    let t = table(statuses, base, lang);
    let _ = writeln!(out, "| {} |", t.columns.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(t.columns.len()));
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == COLUMNS.len() - 1 && !c.is_empty() {
                    // A link to the plan (the path as the target, angle-bracketed for spaces;
                    // what would end the target, or the row, percent-encoded).
                    let target = c
                        .replace('%', "%25")
                        .replace('<', "%3C")
                        .replace('>', "%3E")
                        .replace('\n', "%0A")
                        .replace('|', "%7C")
                        .replace('\\', "%5C");
                    format!("[{}](<{target}>)", markdown_cell(c))
                } else {
                    markdown_cell(c)
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if let Some(map) = load {
        out.push_str(&super::heatmap::markdown(map, lang));
    }
    out
}

/// `portfolio.html`: one self-contained page with the summary table and the change load.
pub fn html(
    statuses: &[Status],
    base: &Path,
    today: &str,
    load: Option<&Heatmap>,
    lang: &Language,
) -> String {
    use super::html::escape;
    let title = escape(lang.t("portfolio.title"));
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
        escape(lang.tag())
    );
    out += concat!(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<title>",
    );
    out += &title;
    out += concat!(
        "</title>\n<style>\n",
        "body { font: 15px/1.45 system-ui, sans-serif; color: #1d2330; max-width: 90rem; margin: 0 auto; padding: 1rem; }\n",
        ".table { overflow-x: auto; } table { border-collapse: collapse; margin: .8rem 0; }\n",
        "th, td { border: 1px solid #c9d0db; padding: .3rem .45rem; text-align: left; vertical-align: top; }\n",
        "thead th { background: #eef1f6; position: sticky; top: 0; }\n",
        "table.heat td { text-align: center; min-width: 2.4rem; }\n",
        "td.green { background: #c6efce; color: #006100; } td.amber { background: #ffeb9c; color: #9c5700; }\n",
        "td.red { background: #ffc7ce; color: #9c0006; font-weight: bold; }\n",
        "@media print { @page { size: A4 landscape; } body { max-width: none; } }\n",
        "</style>\n</head>\n<body>\n<h1>",
    );
    let _ = writeln!(out, "{title}</h1>");
    let date = crate::i18n::long_date(today, lang);
    let as_of = lang.format("portfolio.as_of", &[("date", &date)]);
    let _ = writeln!(out, "<p>{}</p>", escape(&as_of));
    let t = table(statuses, base, lang);
    out.push_str("<div class=\"table\"><table><thead><tr>");
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let text = escape(c).replace('\n', "<br>");
            if i == COLUMNS.len() - 1 && !c.is_empty() {
                let _ = write!(out, "<td><a href=\"{}\">{text}</a></td>", plan_href(c));
            } else {
                let _ = write!(out, "<td>{text}</td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    if let Some(map) = load {
        out.push_str(&super::heatmap::html(map, lang));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A plan's path as a link target: percent-encoded where a URL needs it, and always a path
/// (`./` in front), so a folder named `javascript:x` is never read as a scheme.
fn plan_href(path: &str) -> String {
    let mut out = String::new();
    if !path.starts_with("./") && !path.starts_with("../") && !path.starts_with('/') {
        out.push_str("./");
    }
    for ch in path.chars() {
        match ch {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' => out.push(ch),
            _ => {
                let mut buf = [0u8; 4];
                for b in ch.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
    }
    out
}

pub fn json(statuses: &[Status], base: &Path) -> String {
    let items: Vec<serde_json::Value> = statuses
        .iter()
        .map(|s| {
            let count = |st| s.count(st);
            json!({
                "file": relative(&s.path, base),
                "name": s.name,
                "system": s.system,
                "launch": s.launch,
                "owner": s.owner,
                "sections": {
                    "done": count(State::Done), "stale": count(State::Stale),
                    "missing": count(State::Missing), "failed": count(State::Failed),
                    "revised": s.revised,
                },
                "score": s.score,
                "resistant_or_unaware": (s.attention.iter())
                    .map(|a| a.text(&Language::english()))
                    .collect::<Vec<_>>(),
                "tokens": s.usage.total_tokens,
                "cost": s.cost,
                "plan": s.plan.as_deref().map(|p| relative(p, base)),
                "broken": s.broken,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default() + "\n"
}

/// The summary as CSV for scripts: English headers and words.
pub fn csv(statuses: &[Status], base: &Path) -> Result<Vec<u8>> {
    super::csv::write(&table(statuses, base, &Language::english()))
}

/// The summary as a workbook: a sheet with an Excel table and a frozen header, and the change
/// load on a sheet of its own.
pub fn xlsx(
    statuses: &[Status],
    base: &Path,
    load: Option<&Heatmap>,
    lang: &Language,
) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Table as XTable, TableColumn, Workbook};
    let t = table(statuses, base, lang);
    let err =
        |e: rust_xlsxwriter::XlsxError| Error::Other(format!("cannot write the workbook: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(lang.t("sheet.portfolio")).map_err(err)?;
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    for (r, row) in t.rows.iter().enumerate() {
        // As tall as its longest list (who resists, one per line): not every reader
        // (LibreOffice) grows a row for wrapped text by itself.
        let lines = row
            .iter()
            .map(|c| c.lines().count())
            .max()
            .unwrap_or(1)
            .max(1);
        sheet
            .set_row_height(r as u32 + 1, 15.0 * lines.min(20) as f64)
            .map_err(err)?;
        for (c, cell) in row.iter().enumerate() {
            // Cut to what a cell holds, counted as Excel counts (UTF-16 units), not chars.
            sheet
                .write_string_with_format(
                    r as u32 + 1,
                    c as u16,
                    super::xlsx::clean(cell, lang),
                    &wrap,
                )
                .map_err(err)?;
        }
    }
    let columns: Vec<TableColumn> = t
        .columns
        .iter()
        .map(|c| TableColumn::new().set_header(c))
        .collect();
    let last_row = t.rows.len().max(1) as u32;
    let table = XTable::new().set_columns(&columns);
    sheet
        .add_table(0, 0, last_row, t.columns.len() as u16 - 1, &table)
        .map_err(err)?;
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    sheet.set_autofit_max_width(360);
    sheet.autofit();
    // Printed, the table reads across one landscape page, its header on every page.
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0).map_err(err)?;
    if let Some(map) = load {
        super::heatmap::sheet(&mut book, map, lang).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Usage;
    use std::path::PathBuf;

    fn status(name: &str, states: &[State]) -> Status {
        Status {
            path: PathBuf::from(format!("/p/{name}.toml")),
            name: name.to_uppercase(),
            system: "Sys".into(),
            launch: "2027-03-01".into(),
            owner: "Ann".into(),
            sections: states.iter().map(|s| ("x".to_string(), *s)).collect(),
            revised: 0,
            usage: Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
                total_tokens: 15,
            },
            cost: Some(0.5),
            attention: vec![crate::run::portfolio::Attention::Named {
                name: "Bo".into(),
                stance: crate::project::Stance::Resistant,
            }],
            plan: Some(PathBuf::from(format!("/p/{name}.plan.md"))),
            score: Some(87),
            broken: None,
        }
    }

    #[test]
    fn rows_say_where_each_project_stands() {
        let mut broken = status("bad", &[]);
        broken.broken = Some("bad.toml has 1 problem:\n  ...".into());
        let all = [
            status("crm", &[State::Done, State::Done, State::Done]),
            status(
                "erp",
                &[State::Done, State::Stale, State::Missing, State::Failed],
            ),
            broken,
        ];
        let en = Language::english();
        let t = table(&all, Path::new("/p"), &en);
        assert_eq!(t.rows[0][5], "3 done");
        assert_eq!(t.rows[1][5], "1 done, 1 stale, 1 missing, 1 failed");
        assert_eq!(t.rows[2][5], "broken: bad.toml has 1 problem:");
        assert_eq!(t.rows[0][1], "crm.toml");
        assert_eq!(t.rows[0][7], "87");
        assert_eq!(t.rows[0][10], "crm.plan.md");
        let md = markdown(&all, Path::new("/p"), "2026-11-25", None, &en);
        assert!(
            md.contains("3 projects, 1 with every section done, 1 broken; as of 25 November 2026."),
            "{md}"
        );
        assert!(md.contains("[crm.plan.md](<crm.plan.md>)"), "{md}");
        assert!(md.contains("Bo (resistant)"), "{md}");
        let de = Language::shipped(crate::i18n::Shipped::De);
        let md = markdown(&all, Path::new("/p"), "2026-11-25", None, &de);
        assert!(md.starts_with("# Portfolio der Umsetzungspläne\n\n3 Projekte, davon 1 mit allen Abschnitten fertig, 1 fehlerhaft; Stand 25. November 2026."), "{md}");
        assert!(md.contains("Bo (ablehnend)"), "{md}");
        assert!(
            md.contains("1 fertig, 1 veraltet, 1 fehlend, 1 fehlgeschlagen"),
            "{md}"
        );
        let v: serde_json::Value = serde_json::from_str(&json(&all, Path::new("/p"))).unwrap();
        assert_eq!(v[1]["sections"]["failed"], 1);
        assert_eq!(v[0]["cost"], 0.5);
        assert!(
            xlsx(&all, Path::new("/p"), None, &en)
                .unwrap()
                .starts_with(b"PK")
        );
    }

    #[test]
    fn escapes_pipes_and_line_breaks_in_names_keep_to_their_cells() {
        let mut s = status("evil", &[State::Done]);
        s.name = "Evil\x1b[2J|name\r\n# heading".into();
        s.path = PathBuf::from("/p/a\nb|c\x1b]0;t\x07.toml");
        s.plan = Some(PathBuf::from("/p/a\nb|c>d%.plan.md"));
        let md = markdown(
            &[s],
            Path::new("/p"),
            "2026-11-25",
            None,
            &Language::english(),
        );
        assert!(!md.contains(['\x1b', '\x07', '\r']), "{md:?}");
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(rows.len(), 3, "{md}");
        // Every row has the table's 11 cells: 12 pipes not escaped with a backslash.
        for row in rows {
            let pipes = row
                .match_indices('|')
                .filter(|(i, _)| !row[..*i].ends_with('\\'));
            assert_eq!(pipes.count(), COLUMNS.len() + 1, "{row}");
        }
        assert!(md.contains("(<a%0Ab%7Cc%3Ed%25.plan.md>)"), "{md}");
    }

    #[test]
    fn a_name_longer_than_a_cell_is_cut_not_a_failed_workbook() {
        // 20,000 characters outside the BMP: 40,000 UTF-16 units, over Excel's 32,767.
        for name in ["😀".repeat(20_000), "x".repeat(40_000)] {
            let mut s = status("crm", &[State::Done]);
            s.name = name;
            assert!(
                xlsx(&[s], Path::new("/p"), None, &Language::english())
                    .unwrap()
                    .starts_with(b"PK")
            );
        }
    }

    #[test]
    fn the_web_page_escapes_names_and_links_each_plan_as_a_path() {
        let mut s = status("crm", &[State::Done]);
        s.name = "<script>alert(1)</script> & co".into();
        s.plan = Some(PathBuf::from("/p/javascript:alert(1)/my plan#1.plan.md"));
        let html = html(
            &[s],
            Path::new("/p"),
            "2026-11-25",
            None,
            &Language::english(),
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
            "{html}"
        );
        assert!(
            html.contains("href=\"./javascript%3Aalert%281%29/my%20plan%231.plan.md\""),
            "{html}"
        );
        assert!(!html.contains("Change load"), "no load, no section: {html}");
        for (path, href) in [
            ("crm.plan.md", "./crm.plan.md"),
            ("../up/plan.md", "../up/plan.md"),
            ("a\"b<c>.md", "./a%22b%3Cc%3E.md"),
            ("Zürich.plan.md", "./Z%C3%BCrich.plan.md"),
        ] {
            assert_eq!(plan_href(path), href);
        }
    }
}
