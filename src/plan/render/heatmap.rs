//! The portfolio's change load as people read it next to the summary: a Markdown table (a
//! coloured square per level, for Confluence and GitHub), a sheet of portfolio.xlsx (fills by
//! level, the projects behind each cell in its comment), and a section of portfolio.html.

use super::html::escape;
use crate::plan::load::{Heat, Heatmap};
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

fn legend(map: &Heatmap) -> String {
    let (t, w) = (map.thresholds, map.weights);
    format!(
        "Per group and period, each project's impact on the group counts (high {}, medium {}, low {}), double in a period that holds its go-live or a milestone. Amber from {}, red from {}.",
        w.high, w.medium, w.low, t.amber, t.red
    )
}

/// The heatmap section of `portfolio.md`.
pub fn markdown(map: &Heatmap) -> String {
    let mut out = String::from("\n## Change load\n\n");
    if map.starts.is_empty() || map.groups.is_empty() {
        out.push_str(
            "No change lands on any group: no project has a launch date or impact dates.\n",
        );
        return out;
    }
    let _ = writeln!(out, "{}\n", legend(map));
    let labels = map.labels();
    let _ = writeln!(out, "| Group | {} |", labels.join(" | "));
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
        out.push_str("\n**Collisions:**\n\n");
    }
    for c in collisions {
        let _ = writeln!(
            out,
            "- {} {}: {} ({}): {}",
            markdown_cell(c.group),
            c.period,
            c.score,
            c.heat.as_str(),
            markdown_cell(&map.behind(c.shares).join("; "))
        );
    }
    out
}

/// The heatmap section of `portfolio.html`: a table with a coloured cell per group-period.
pub fn html(map: &Heatmap) -> String {
    let mut out = String::from("<section><h2 id=\"change-load\">Change load</h2>\n");
    if map.starts.is_empty() || map.groups.is_empty() {
        out.push_str("<p>No change lands on any group: no project has a launch date or impact dates.</p></section>\n");
        return out;
    }
    let _ = writeln!(out, "<p>{}</p>", escape(&legend(map)));
    out.push_str("<div class=\"table\"><table class=\"heat\"><thead><tr><th>Group</th>");
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
            let title = escape(&map.behind(&c.shares).join("; "));
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
        out.push_str("<h3>Collisions</h3>\n<ul>\n");
    }
    for c in &collisions {
        let _ = writeln!(
            out,
            "<li><strong>{} {}</strong>: {} ({}): {}</li>",
            escape(c.group),
            escape(&c.period),
            c.score,
            c.heat.as_str(),
            escape(&map.behind(c.shares).join("; "))
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
pub fn sheet(book: &mut Workbook, map: &Heatmap) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name("Change load")?;
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
    ws.write_string_with_format(0, 0, "Group", &bold)?;
    for (c, label) in (1u16..).zip(map.labels()) {
        ws.write_string_with_format(0, c, label, &bold)?;
    }
    for (r, g) in (1u32..).zip(&map.groups) {
        ws.write_string(r, 0, super::xlsx::clean(&g.group))?;
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
                let text = super::xlsx::clean(&map.behind(&cell.shares).join("\n"));
                let note = Note::new(text)
                    .add_author_prefix(false)
                    .set_width(300)
                    .set_height(120);
                ws.insert_note(r, c, &note)?;
            }
        }
    }
    let last = map.groups.len() as u32 + 2;
    ws.write_string(last, 0, super::xlsx::clean(&legend(map)))?;
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
        let md = markdown(&map());
        assert!(md.contains("| Ward <managers> |"), "{md}");
        assert!(md.contains("🟥 25"), "{md}");
        assert!(md.contains("🟧 15"), "{md}");
        assert!(md.contains("- Ward <managers> 2027-W09: 25 (red): Rota & roster (high, go-live); Records (medium, window)"), "{md}");
    }

    #[test]
    fn html_escapes_and_colours() {
        let html = html(&map());
        assert!(html.contains("<th>Ward &lt;managers&gt;</th>"), "{html}");
        assert!(html.contains("class=\"red\""));
        assert!(html.contains("Rota &amp; roster (high, go-live)"));
        assert!(!html.contains("<managers>"));
    }
}
