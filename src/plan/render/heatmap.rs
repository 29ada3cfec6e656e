//! The portfolio's change load as people read it next to the summary: a Markdown table (a
//! coloured square per level, for Confluence and GitHub), a sheet of portfolio.xlsx (fills by
//! level, the projects behind each cell in its comment), and a section of portfolio.html;
//! in the portfolio summary's language (periods stay ISO weeks and months).

use super::html::escape;
use crate::i18n::Language;
use crate::plan::load::{Heat, Heatmap, Reason, Share};
use crate::project::Level;
use crate::sections::table::markdown_cell;
use rust_xlsxwriter::{Color, Format, FormatAlign, Note, Workbook, XlsxError};
use std::fmt::Write as _;

/// A cell as text: the score and, past green, its level's square.
fn marked(score: u32, heat: Heat) -> String {
    match (score, heat) {
        (0, _) => String::new(),
        (s, Heat::Green) => s.to_string(),
        (s, Heat::Amber) => format!("🟧 {s}"),
        (s, Heat::Red) => format!("🟥 {s}"),
    }
}

fn legend(map: &Heatmap, lang: &Language) -> String {
    let (t, w) = (map.thresholds, map.weights);
    let n = |v: u32| lang.number(i64::from(v));
    lang.format(
        "load.legend",
        &[
            ("high", &n(w.high)),
            ("medium", &n(w.medium)),
            ("low", &n(w.low)),
            ("amber", &n(t.amber)),
            ("red", &n(t.red)),
        ],
    )
}

/// How many projects a cell names in the summary; the rest are counted (the CSV and JSON of
/// `portfolio load` list every one).
const BEHIND_SHOWN: usize = 20;

/// The projects behind a cell, each with its impact and why it counts there: "CRM (high,
/// go-live)"; the heaviest first, at most [`BEHIND_SHOWN`], then "and 980 more".
fn behind(map: &Heatmap, shares: &[Share], lang: &Language) -> Vec<String> {
    let weight = |s: &Share| {
        let impact = match s.impact {
            Level::High => 3,
            Level::Medium => 2,
            Level::Low => 1,
        };
        (impact, s.reason != Reason::Window)
    };
    let mut heaviest: Vec<&Share> = shares.iter().collect();
    if heaviest.len() > BEHIND_SHOWN {
        // Stable: equals keep the map's order.
        heaviest.sort_by_key(|s| std::cmp::Reverse(weight(s)));
        heaviest.truncate(BEHIND_SHOWN);
    }
    let mut out: Vec<String> = (heaviest.into_iter())
        .map(|s| {
            let reason = lang.t(match s.reason {
                Reason::GoLive => "load.go_live",
                Reason::Milestone => "load.milestone",
                Reason::Window => "load.window",
            });
            let project = &map.projects[s.project as usize];
            format!("{project} ({}, {reason})", lang.term(s.impact))
        })
        .collect();
    if shares.len() > BEHIND_SHOWN {
        let n = lang.number((shares.len() - BEHIND_SHOWN) as i64);
        out.push(lang.format("load.more", &[("n", &n)]));
    }
    out
}

/// A colour's name: "red".
fn heat(h: Heat, lang: &Language) -> &str {
    lang.t(match h {
        Heat::Green => "load.green",
        Heat::Amber => "load.amber",
        Heat::Red => "load.red",
    })
}

/// The heatmap section of `portfolio.md`.
pub fn markdown(map: &Heatmap, lang: &Language) -> String {
    let mut out = format!("\n## {}\n\n", lang.t("load.title"));
    if map.starts.is_empty() || map.groups.is_empty() {
        out.push_str(lang.t("load.nothing"));
        out.push('\n');
        return out;
    }
    let _ = writeln!(out, "{}\n", legend(map, lang));
    let labels = map.labels();
    let group = lang.t("column.group");
    let _ = writeln!(out, "| {group} | {} |", labels.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(labels.len()));
    for g in &map.groups {
        let cells: Vec<String> = g
            .cells
            .iter()
            .map(|c| marked(c.score, map.heat(c)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} |",
            markdown_cell(&g.group),
            cells.join(" | ")
        );
    }
    let collisions = map.collisions();
    if !collisions.is_empty() {
        let _ = write!(out, "\n**{}**\n\n", lang.t("load.collisions"));
    }
    for c in collisions {
        let _ = writeln!(
            out,
            "- {} {}: {} ({}): {}",
            markdown_cell(c.group),
            c.period,
            c.score,
            heat(c.heat, lang),
            markdown_cell(&behind(map, c.shares, lang).join("; "))
        );
    }
    out
}

/// The heatmap section of `portfolio.html`: a table with a coloured cell per group-period.
pub fn html(map: &Heatmap, lang: &Language) -> String {
    let title = escape(lang.t("load.title"));
    let mut out = format!("<section><h2 id=\"change-load\">{title}</h2>\n");
    if map.starts.is_empty() || map.groups.is_empty() {
        let _ = writeln!(out, "<p>{}</p></section>", escape(lang.t("load.nothing")));
        return out;
    }
    let _ = writeln!(out, "<p>{}</p>", escape(&legend(map, lang)));
    let group = escape(lang.t("column.group"));
    let _ = write!(
        out,
        "<div class=\"table\"><table class=\"heat\"><thead><tr><th>{group}</th>"
    );
    for l in map.labels() {
        let _ = write!(out, "<th>{}</th>", escape(&l));
    }
    out.push_str("</tr></thead><tbody>\n");
    for g in &map.groups {
        let _ = write!(out, "<tr><th>{}</th>", escape(&g.group));
        for c in &g.cells {
            // An empty period stays unfilled: green says "some change, within limits".
            if c.score == 0 {
                out.push_str("<td></td>");
                continue;
            }
            let title = escape(&behind(map, &c.shares, lang).join("; "));
            let _ = write!(
                out,
                "<td class=\"{}\" title=\"{title}\">{}</td>",
                map.heat(c).as_str(),
                c.score
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    let collisions = map.collisions();
    if !collisions.is_empty() {
        let collisions = escape(lang.t("load.collisions_heading"));
        let _ = write!(out, "<h3>{collisions}</h3>\n<ul>\n");
    }
    for c in &collisions {
        let _ = writeln!(
            out,
            "<li><strong>{} {}</strong>: {} ({}): {}</li>",
            escape(c.group),
            escape(&c.period),
            c.score,
            escape(heat(c.heat, lang)),
            escape(&behind(map, c.shares, lang).join("; "))
        );
    }
    if !collisions.is_empty() {
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

/// The "Change load" sheet: groups down, periods across, each cell filled by its level, the
/// projects behind it in the cell's comment.
pub fn sheet(book: &mut Workbook, map: &Heatmap, lang: &Language) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name(lang.t("sheet.change_load"))?;
    let bold = Format::new().set_bold();
    let fill = |bg: u32, fg: u32| {
        Format::new()
            .set_background_color(Color::RGB(bg))
            .set_font_color(Color::RGB(fg))
            .set_align(FormatAlign::Center)
    };
    let (green, amber, red) = (
        fill(0xC6EFCE, 0x006100),
        fill(0xFFEB9C, 0x9C5700),
        fill(0xFFC7CE, 0x9C0006),
    );
    ws.write_string_with_format(0, 0, lang.t("column.group"), &bold)?;
    for (c, label) in (1u16..).zip(map.labels()) {
        ws.write_string_with_format(0, c, label, &bold)?;
    }
    for (r, g) in (1u32..).zip(&map.groups) {
        ws.write_string(r, 0, super::xlsx::clean(&g.group, lang))?;
        for (c, cell) in (1u16..).zip(&g.cells) {
            // An empty period stays blank and unfilled.
            if cell.score == 0 {
                continue;
            }
            let format = match map.heat(cell) {
                Heat::Green => &green,
                Heat::Amber => &amber,
                Heat::Red => &red,
            };
            ws.write_number_with_format(r, c, f64::from(cell.score), format)?;
            if !cell.shares.is_empty() {
                let text = behind(map, &cell.shares, lang).join("\n");
                let text = super::xlsx::clean_note(&text, lang);
                let note = Note::new(text)
                    .add_author_prefix(false)
                    .set_width(300)
                    .set_height(120);
                ws.insert_note(r, c, &note)?;
            }
        }
    }
    let last = map.groups.len() as u32 + 2;
    ws.write_string(last, 0, super::xlsx::clean(&legend(map, lang), lang))?;
    ws.set_freeze_panes(1, 1)?;
    ws.set_column_width(0, 32)?;
    // Wide enough for "2027-W10" in the default font.
    let periods = map.starts.len() as u16;
    if periods > 0 {
        ws.set_column_range_width(1, periods, 9.5)?;
    }
    ws.set_repeat_columns(0, 0)?;
    ws.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::load::{By, GroupImpact, ProjectLoad, Settings, heatmap};
    use crate::project::Level;
    use crate::text::days_from_civil;

    fn map() -> Heatmap {
        let p = |name: &str, launch: (i64, u32, u32), impact| ProjectLoad {
            name: name.into(),
            launch: Some(days_from_civil(launch.0, launch.1, launch.2)),
            milestones: vec![],
            groups: vec![GroupImpact {
                name: "Ward <managers>".into(),
                impact,
                stated: true,
                from: None,
                to: None,
            }],
        };
        let projects = [
            p("Rota & roster", (2027, 3, 1), Level::High),
            p("Records", (2027, 3, 8), Level::Medium),
        ];
        heatmap(&projects, &Settings::default(), By::Week, None, None)
    }

    #[test]
    fn markdown_marks_levels_and_lists_collisions() {
        let md = markdown(&map(), &Language::english());
        assert!(md.contains("| Ward <managers> |"), "{md}");
        assert!(md.contains("🟥 25"), "{md}");
        assert!(md.contains("🟧 15"), "{md}");
        assert!(md.contains("- Ward <managers> 2027-W09: 25 (red): Rota & roster (high, go-live); Records (medium, window)"), "{md}");
        let de = markdown(&map(), &Language::shipped(crate::i18n::Shipped::De));
        assert!(de.contains("## Veränderungslast"), "{de}");
        assert!(de.contains("| Gruppe |"), "{de}");
        assert!(de.contains("- Ward <managers> 2027-W09: 25 (rot): Rota & roster (hoch, Go-live); Records (mittel, Zeitfenster)"), "{de}");
    }

    #[test]
    fn html_escapes_and_colours() {
        let html = html(&map(), &Language::english());
        assert!(html.contains("<th>Ward &lt;managers&gt;</th>"), "{html}");
        assert!(html.contains("class=\"red\""));
        assert!(html.contains("Rota &amp; roster (high, go-live)"));
        assert!(!html.contains("<managers>"));
    }

    /// 1,000 projects on one group in one week, each with a long name: a cell's comment and
    /// tooltip name the 20 heaviest and count the rest; the workbook is still written.
    #[test]
    fn a_crowded_cell_names_the_heaviest_and_counts_the_rest() {
        let launch = days_from_civil(2027, 3, 1);
        let projects: Vec<ProjectLoad> = (0..1000)
            .map(|i| ProjectLoad {
                name: format!("{} rollout {i:04}", "Very long programme name ".repeat(5)),
                launch: Some(launch),
                milestones: vec![],
                groups: vec![GroupImpact {
                    name: "Field sales".into(),
                    // One in a hundred is high: those come first.
                    impact: if i % 100 == 7 {
                        Level::High
                    } else {
                        Level::Low
                    },
                    stated: true,
                    from: None,
                    to: None,
                }],
            })
            .collect();
        let map = heatmap(&projects, &Settings::default(), By::Week, None, None);
        let lang = Language::english();
        let cell = &map.groups[0]
            .cells
            .iter()
            .find(|c| c.score > 0)
            .unwrap()
            .shares;
        let names = behind(&map, cell, &lang);
        assert_eq!(names.len(), BEHIND_SHOWN + 1);
        assert_eq!(names.last().unwrap(), "and 980 more");
        assert!(
            names[..10].iter().all(|n| n.contains("(high,")),
            "{names:?}"
        );
        assert!(
            names[10..20].iter().all(|n| n.contains("(low,")),
            "{names:?}"
        );
        let mut book = Workbook::new();
        sheet(&mut book, &map, &lang).expect("a workbook, not 'exceeds Excel's limit'");
        book.save_to_buffer().unwrap();
        let page = html(&map, &lang);
        assert!(page.contains("and 980 more"));
        assert!(page.len() < 2_000_000, "{} bytes", page.len());
    }

    #[test]
    fn a_comment_is_cut_to_what_excel_takes_in_one() {
        let lang = Language::english();
        let long = "x".repeat(40_000);
        let note = crate::plan::render::xlsx::clean_note(&long, &lang);
        assert!(note.encode_utf16().count() <= 32_767 - 54);
        assert!(
            note.ends_with("an Excel cell holds 32,713]"),
            "{}",
            &note[note.len() - 80..]
        );
        let mut book = Workbook::new();
        book.add_worksheet()
            .insert_note(0, 0, &Note::new(note).add_author_prefix(false))
            .expect("taken");
    }
}
