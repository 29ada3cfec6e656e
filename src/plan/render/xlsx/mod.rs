//! The plan's trackers as an Excel workbook: one sheet per list people keep up week to week
//! (stakeholders, communication, resistance, metrics, milestones), each an Excel table with
//! drop-downs and colours, and an About sheet saying where the workbook came from.

use super::{MARKING, Part};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::sections::metrics::Dimension;
use crate::sections::table::list as list_cell;
use crate::sections::{Kind, Structured, communication, resistance};
use rust_xlsxwriter::{
    ColNum, Color, ConditionalFormatCell, ConditionalFormatCellRule, ConditionalFormatFormula,
    DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, Note,
    RowNum, Table, TableColumn, TableStyle, Workbook, Worksheet, XlsxError,
};

type X<T = ()> = std::result::Result<T, XlsxError>;

/// Excel's limit on a cell's text, in UTF-16 units.
const CELL_MAX: usize = 32_767;
/// Rows below a table that still get its drop-downs and colours, for the rows people add.
const SPARE_ROWS: RowNum = 200;

const RED: (u32, u32) = (0xFFC7CE, 0x9C0006);
const AMBER: (u32, u32) = (0xFFEB9C, 0x9C5700);
const GREEN: (u32, u32) = (0xC6EFCE, 0x006100);
const GREY: (u32, u32) = (0xE7E6E6, 0x3A3838);

const HIGHER_IS_BETTER: &str = "Current value against Target value, in the same unit (85 for 85%). Green: at or above the target; amber: at least 80% of it; red: below. Higher is taken to be better: for a ceiling such as \"≤ 5 tickets/day\", read green and red the other way round.";

/// A tracker sheet: its names, the widths of the columns people fill in, its drop-downs, and
/// its date columns.
struct Spec {
    sheet: &'static str,
    table: &'static str,
    widths: &'static [(ColNum, f64)],
    lists: &'static [(ColNum, &'static [&'static str])],
    dates: &'static [ColNum],
}

const MESSAGES: Spec = Spec {
    sheet: "Communication",
    table: "CommunicationPlan",
    widths: &[(8, 14.0), (9, 14.0)],
    lists: &[(8, &["Planned", "Sent", "Cancelled"])],
    dates: &[9],
};
const POINTS: Spec = Spec {
    sheet: "Resistance",
    table: "ResistancePoints",
    widths: &[(7, 18.0), (8, 14.0)],
    lists: &[(8, &["Open", "In progress", "Done"])],
    dates: &[],
};
const METRICS: Spec = Spec {
    sheet: "Metrics",
    table: "AdoptionMetrics",
    widths: &[(5, 14.0), (6, 15.0)],
    lists: &[(1, &Dimension::NAMES)],
    dates: &[],
};
const REVIEW: Spec = Spec {
    sheet: "Review",
    table: "PlanReview",
    widths: &[],
    lists: &[],
    dates: &[],
};
const MILESTONES: Spec = Spec {
    sheet: "Milestones",
    table: "MilestoneTracker",
    widths: &[(1, 13.0), (2, 12.0)],
    lists: &[(2, &["Planned", "Done", "Late"])],
    dates: &[1],
};

/// The plan's trackers as an .xlsx file's bytes: with the named sheets (the register, the
/// engagement tracker) unless this is the main part of a plan with a confidential annex.
pub fn render(plan: &Plan, part: &Part) -> Result<Vec<u8>> {
    build(plan, part).map_err(|e| Error::Other(format!("cannot write the workbook: {e}")))
}

fn build(plan: &Plan, part: &Part) -> X<Vec<u8>> {
    let mut wb = Workbook::new();
    if !matches!(part, Part::Main { .. }) {
        let page = Page::of(plan);
        people::stakeholders(&mut wb, plan, &page, false)?;
        if plan.built_in(Kind::Engagement).is_some() {
            people::engagement(&mut wb, plan, &page)?;
        }
    }
    communication_sheet(&mut wb, plan)?;
    resistance_sheet(&mut wb, plan)?;
    metrics_sheet(&mut wb, plan)?;
    milestones(&mut wb, plan)?;
    if plan.review.is_some() {
        review_sheet(&mut wb, plan)?;
    }
    let name = plan.project.project.name.as_deref();
    let title = clean(&format!("Trackers for {}", name.unwrap_or("the project")));
    about(
        wb.add_worksheet(),
        &title,
        &about_lines(plan, part),
        &Page::of(plan),
    )?;
    wb.set_properties(&DocProperties::new().set_title(&title));
    wb.save_to_buffer()
}

/// One cell of a tracker; rows shorter than the header end in empty cells.
enum Cell {
    Text(String),
    Number(f64),
    Date(ExcelDateTime),
    Empty,
}

/// A cell's text as it takes room (a number or a date as about ten digits).
fn text(row: &[Cell], c: usize) -> &str {
    match row.get(c) {
        Some(Cell::Text(s)) => s.as_str(),
        Some(Cell::Number(_) | Cell::Date(_)) => "0000-00-00",
        _ => "",
    }
}

fn t(s: &str) -> Cell {
    Cell::Text(clean(s))
}

/// Each text in its cell.
fn texts(items: &[&str]) -> Vec<Cell> {
    items.iter().map(|s| t(s)).collect()
}

/// Writes a tracker: a frozen header, an Excel table over the rows (one empty row when there
/// are none), columns sized by what they hold with wrapped text and rows as tall as it, set
/// up to print (landscape, one page wide, the header row on every page, the project and
/// page numbers in the header and footer), and its drop-downs. Returns the sheet and the
/// table's last row.
fn tracker<'w>(
    wb: &'w mut Workbook,
    (spec, page): (&Spec, &Page),
    columns: &[&str],
    rows: Vec<Vec<Cell>>,
) -> X<(&'w mut Worksheet, RowNum)> {
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let date = wrap.clone().set_num_format("yyyy-mm-dd");
    let head = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_text_wrap();
    let head = head
        .set_background_color(Color::RGB(0x4472C4))
        .set_align(FormatAlign::Top);
    let ws = wb.add_worksheet().set_name(spec.sheet)?;
    let rows = if rows.is_empty() { vec![vec![]] } else { rows };
    let last = RowNum::try_from(rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
    let width = ColNum::try_from(columns.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
    let texts: Vec<Vec<&str>> = (0..columns.len())
        .map(|c| {
            std::iter::once(columns[c])
                .chain(rows.iter().map(|r| text(r, c)))
                .collect()
        })
        .collect();
    let fixed = |c: usize| {
        spec.widths
            .iter()
            .find(|w| usize::from(w.0) == c)
            .map(|w| w.1)
    };
    let widths = print::widths(&texts, &(0..columns.len()).map(fixed).collect::<Vec<_>>());
    for (r, row) in (1..).zip(&rows) {
        for c in 0..width {
            match row.get(usize::from(c)) {
                Some(Cell::Text(s)) if !s.is_empty() => ws.write_string(r, c, s)?,
                Some(Cell::Number(n)) => ws.write_number(r, c, *n)?,
                Some(Cell::Date(d)) => ws.write_datetime(r, c, d)?,
                _ => ws.write_blank(r, c, &wrap)?,
            };
        }
        let cells: Vec<&str> = (0..columns.len()).map(|c| text(row, c)).collect();
        ws.set_row_height(r, print::height(&cells, &widths, false))?;
    }
    ws.set_row_height(0, print::height(columns, &widths, true))?;
    // Each column's format goes to its cells, and to the rows people add to the table.
    let column = |(c, h): (ColNum, &&str)| {
        let format = [&wrap, &date][usize::from(spec.dates.contains(&c))];
        let column = TableColumn::new().set_header(*h).set_format(format);
        column.set_header_format(&head)
    };
    let columns: Vec<TableColumn> = (0..).zip(columns).map(column).collect();
    let table = Table::new().set_name(spec.table).set_columns(&columns);
    let table = table.set_style(TableStyle::Medium2);
    ws.add_table(0, 0, last, width.saturating_sub(1), &table)?;
    ws.set_freeze_panes(1, 0)?.set_repeat_rows(0, 0)?;
    for (c, w) in (0..).zip(widths) {
        ws.set_column_width(c, w)?;
    }
    page.set_up(ws);
    for &(col, items) in spec.lists {
        let list = DataValidation::new().allow_list_strings(items)?;
        ws.add_data_validation(1, col, last + SPARE_ROWS, col, &list)?;
    }
    Ok((ws, last))
}

/// Every sheet's print setup: landscape, one page wide, the project and the draft notice in
/// the header and footer with page numbers.
struct Page {
    header: String,
    footer: String,
}

impl Page {
    fn of(plan: &Plan) -> Page {
        Page::with(plan, None)
    }

    /// A confidential annex's: its marking in the middle of the header and the footer.
    fn marked(plan: &Plan) -> Page {
        Page::with(plan, Some(MARKING))
    }

    fn with(plan: &Plan, marking: Option<&str>) -> Page {
        let project = plan
            .project
            .project
            .name
            .as_deref()
            .unwrap_or("Implementation plan");
        let mut notice = String::from("DRAFT for review: partly written by a language model");
        if !plan.missing().is_empty() {
            notice += &format!(
                "; incomplete, no answer yet for {}",
                plan.missing().join(", ")
            );
        }
        let (header, footer) = print::header_footer(project, &notice, marking);
        Page { header, footer }
    }

    fn set_up(&self, ws: &mut Worksheet) {
        ws.set_landscape().set_print_fit_to_pages(1, 0);
        ws.set_header(self.header.as_str())
            .set_footer(self.footer.as_str());
    }
}

fn fill((background, font): (u32, u32)) -> Format {
    let format = Format::new().set_background_color(Color::RGB(background));
    format.set_font_color(Color::RGB(font))
}

fn note(text: &str) -> Note {
    let note = Note::new(text).add_author_prefix(false);
    note.set_width(320).set_height(110)
}

/// Names as a list, or "none".
fn list(names: &[String]) -> String {
    match names {
        [] => "none".into(),
        names => crate::text::list_en(names),
    }
}

fn communication_sheet(wb: &mut Workbook, plan: &Plan) -> X {
    let matrix = plan.communication().map_or(&[][..], |c| c.rows.as_slice());
    // Every group, in the project's order: a row to fill in even without an answer.
    let rows = (communication::audiences(&plan.project).iter())
        .map(|group| {
            let mut row = vec![t(group)];
            if let Some((_, r)) = matrix.iter().find(|(g, _)| g.eq_ignore_ascii_case(group)) {
                row.extend(texts(&r.cells()));
            }
            row
        })
        .collect();
    let mut columns = vec!["Audience"];
    columns.extend(communication::COLUMNS.iter().map(|(_, header)| *header));
    columns.extend(["Status", "Date sent"]);
    tracker(wb, (&MESSAGES, &Page::of(plan)), &columns, rows)?;
    Ok(())
}

fn resistance_sheet(wb: &mut Workbook, plan: &Plan) -> X {
    let points = plan.resistance().map_or(&[][..], |r| r.points.as_slice());
    let rows = (points.iter())
        .map(|p| {
            // One item a line, each after a bullet.
            let [roles, tactics] = [&p.affected_roles, &p.tactics].map(|l| list_cell(l));
            let [reason, who, sign] = [&p.underlying_reason, &p.who_acts, &p.early_warning_sign];
            texts(&[&p.point, &roles, reason, &tactics, who, &p.when, sign])
        })
        .collect();
    let mut columns = resistance::COLUMNS.to_vec();
    columns.extend(["Owner", "Status"]);
    tracker(wb, (&POINTS, &Page::of(plan)), &columns, rows)?;
    Ok(())
}

fn metrics_sheet(wb: &mut Workbook, plan: &Plan) -> X {
    let metrics = plan.metrics().map_or(&[][..], |m| m.metrics.as_slice());
    let rows = (metrics.iter())
        .map(|x| {
            let mut row = texts(&[&x.metric, x.dimension.as_str(), &x.what_it_measures]);
            row.extend(texts(&[&x.baseline, &x.target]));
            let target = target_number(&x.target).map_or(Cell::Empty, Cell::Number);
            row.extend([target, Cell::Empty]);
            let [owner, how, low] = [&x.owner, &x.how_to_collect, &x.low_scores_indicate];
            row.extend(texts(&[owner, &x.cadence, how, low]));
            row
        })
        .collect();
    let columns = "Metric|Dimension|What it measures|Baseline|Target|Target value|Current value|Owner|Cadence|How to collect|Low scores indicate";
    let (ws, last) = tracker(
        wb,
        (&METRICS, &Page::of(plan)),
        &columns.split('|').collect::<Vec<_>>(),
        rows,
    )?;
    let number =
        DataValidation::new().allow_decimal_number(DataValidationRule::Between(-1e15, 1e15));
    let number = number.set_input_message("A number in the Target value's unit: 85 for 85%.")?;
    ws.add_data_validation(1, 6, last + SPARE_ROWS, 6, &number)?;
    // Green at or above target, amber from 80% of it, red below; only when both are numbers.
    let rules = [">=$F2", "<$F2,$G2>=0.8*$F2", "<0.8*$F2"];
    for (rule, colours) in rules.into_iter().zip([GREEN, AMBER, RED]) {
        let rule = format!("=AND(ISNUMBER($F2),ISNUMBER($G2),$G2{rule})");
        let rule = ConditionalFormatFormula::new().set_rule(rule.as_str());
        ws.add_conditional_format(1, 6, last + SPARE_ROWS, 6, &rule.set_format(fill(colours)))?;
    }
    let text = "Read from the Target text (90% → 90, ≤ 5 tickets/day → 5): check it, and correct it when the text meant something else.";
    ws.insert_note(0, 5, &note(text))?;
    ws.insert_note(0, 6, &note(HIGHER_IS_BETTER))?;
    Ok(())
}

fn milestones(wb: &mut Workbook, plan: &Plan) -> X {
    let rows = (plan.project.milestones.iter())
        .map(|m| {
            let date = match m.date.as_ref().and_then(|d| d.date) {
                Some(d) => ExcelDateTime::from_ymd(d.year, d.month, d.day)
                    .map_or_else(|_| t(&d.to_string()), Cell::Date),
                None => Cell::Empty,
            };
            vec![t(&m.name), date]
        })
        .collect();
    tracker(
        wb,
        (&MILESTONES, &Page::of(plan)),
        &["Milestone", "Date", "Status"],
        rows,
    )?;
    Ok(())
}

/// The review: every fail and warn a row, and one row per check whose findings all pass (the
/// passes of each row are in the CSV and `plan-ai review --json`); fails red, warns amber.
fn review_sheet(wb: &mut Workbook, plan: &Plan) -> X {
    let all = plan.review_rows();
    let mut rows: Vec<[String; 7]> = Vec::new();
    for r in &all {
        if r[2] != "pass" {
            rows.push(r.clone());
            continue;
        }
        let same_check = |o: &&[String; 7]| o[1] == r[1] && o[0] == r[0];
        let of_check: Vec<&[String; 7]> = all.iter().filter(same_check).collect();
        let first = of_check.first().is_some_and(|f| std::ptr::eq(*f, r));
        if first && of_check.iter().all(|o| o[2] == "pass") {
            let mut row = r.clone();
            row[3] = String::new();
            if of_check.len() > 1 {
                row[4] = format!("{} ({} of {})", r[4], of_check.len(), of_check.len());
            }
            rows.push(row);
        }
    }
    let rows = rows
        .iter()
        .map(|r| r.iter().map(|c| t(c)).collect())
        .collect();
    let page = Page::of(plan);
    let (ws, last) = tracker(wb, (&REVIEW, &page), &crate::plan::REVIEW_COLUMNS, rows)?;
    for (word, colours) in [("fail", RED), ("warn", AMBER), ("pass", GREEN)] {
        let rule = ConditionalFormatCell::new();
        let rule = rule.set_rule(ConditionalFormatCellRule::EqualTo(word));
        ws.add_conditional_format(1, 2, last, 2, &rule.set_format(fill(colours)))?;
    }
    Ok(())
}

/// The About sheet: `title`, then each line's label and text.
fn about(ws: &mut Worksheet, title: &str, lines: &[(&str, String)], page: &Page) -> X {
    let bold = Format::new().set_bold().set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    ws.set_name("About")?.write_string_with_format(
        0,
        0,
        clean(title),
        &bold.clone().set_font_size(14),
    )?;
    for (r, (label, value)) in (2..).zip(lines) {
        let value = clean(value);
        ws.write_string_with_format(r, 0, *label, &bold)?;
        ws.write_string_with_format(r, 1, &value, &wrap)?;
        ws.set_row_height(r, print::height(&[label, &value], &[24.0, 100.0], false))?;
    }
    ws.set_column_width(0, 24)?.set_column_width(1, 100)?;
    page.set_up(ws);
    Ok(())
}

/// The About sheet's lines: what, when, by which models, what is missing, and a caution (or,
/// in a main part, where the named sheets are).
fn about_lines(plan: &Plan, part: &Part) -> Vec<(&'static str, String)> {
    let info = &plan.project.project;
    let given = |v: &Option<String>| v.clone().unwrap_or_else(|| "not given".into());
    let (p, version) = (&plan.provenance, env!("CARGO_PKG_VERSION"));
    let mut lines = vec![
        ("Project", given(&info.name)),
        ("System", given(&info.system)),
        ("Department", given(&info.department)),
        ("Generated", format!("{} by plan-ai {version}", plan.today)),
        ("Models", list(&p.models)),
        ("Endpoints", list(&p.endpoints)),
        ("Pasted answers", p.pasted.to_string()),
        ("Tokens used", p.total_usage.total_tokens.to_string()),
        ("Missing sections", list(&p.missing)),
    ];
    let sheets = [
        (Kind::Engagement, people::ENGAGEMENT.sheet),
        (Kind::Communication, MESSAGES.sheet),
        (Kind::Resistance, POINTS.sheet),
        (Kind::Metrics, METRICS.sheet),
    ];
    for (kind, sheet) in sheets {
        let Some(s) = plan.built_in(kind) else {
            continue;
        };
        let id = kind.id();
        let empty = match kind {
            Kind::Communication => "the sheet lists every group with empty cells to fill in",
            Kind::Engagement => "the sheet lists every stakeholder with empty cells to fill in",
            Kind::Resistance | Kind::Metrics => "the sheet is an empty tracker to fill in",
        };
        let status = match &s.answer {
            None => format!("the {id} section is missing: {empty}. Generate it, or paste a chat tool's answer for it."),
            // Prose, or a custom schema on a built-in section: not in the tracker's shape.
            Some(a) if a.structured.as_ref().is_none_or(|x| matches!(x, Structured::Custom(_))) => {
                let what = match a.structured {
                    Some(_) => "follows a custom schema",
                    None => "is prose, not structured",
                };
                let why = a.unstructured.as_deref().map(|w| format!(" ({w})")).unwrap_or_default();
                format!("the {id} answer {what}{why}: {empty}; the answer is in the plan document.")
            }
            Some(_) if s.stale => "filled from the structured answer, made from an earlier prompt: regenerate it to refresh it.".into(),
            Some(_) => "filled from the structured answer.".into(),
        };
        lines.push((sheet, status));
    }
    if let Some(r) = &plan.review {
        use crate::plan::review::Verdict;
        let score = format!(
            "{} of 100: {} fail, {} warn, {} pass (the Review sheet lists them)",
            r.score,
            r.count(Verdict::Fail),
            r.count(Verdict::Warn),
            r.count(Verdict::Pass)
        );
        lines.push(("Review score", score));
    }
    if !plan.other_changes.is_empty() {
        let each: Vec<String> = plan
            .other_changes
            .iter()
            .map(|o| {
                let projects: Vec<String> = o
                    .projects
                    .iter()
                    .map(|p| match &p.go_live {
                        Some(week) => format!("{} (go-live {week})", p.project),
                        None => p.project.clone(),
                    })
                    .collect();
                format!("{}: {}", o.group, projects.join("; "))
            })
            .collect();
        lines.push(("Other changes on these groups", each.join("\n")));
    }
    lines.extend([
        ("Metric colours", HIGHER_IS_BETTER.to_string()),
        match part {
            Part::Main { annex } => ("Confidential annex", format!("The named register, the engagement plan and the champions are in {annex}, marked \"{MARKING}\": this workbook names groups, not people.")),
            _ => ("Confidential", "The Stakeholders sheet is a register of named people, with their stance and notes: keep this workbook to the people running the change, out of shared folders and chat tools.".into()),
        },
        ("plan-ai version", version.to_string()),
    ]);
    lines
}

/// Text fit for one cell: control characters and escape sequences dropped (line breaks and tabs
/// kept), and cut to Excel's limit, saying so in the cell.
pub(super) fn clean(s: &str) -> String {
    let s = crate::sanitize::strip_controls(s);
    let s = s.trim();
    let total = s.encode_utf16().count();
    if total <= CELL_MAX {
        return s.to_string();
    }
    let cut = format!(" … [cut: the text was {total} characters; an Excel cell holds {CELL_MAX}]");
    let mut room = CELL_MAX - cut.encode_utf16().count();
    let fits = |c: &char| room.checked_sub(c.len_utf16()).map(|r| room = r).is_some();
    s.chars().take_while(fits).chain(cut.chars()).collect()
}

/// The number in a target's text: the first percentage if there is one, else the first number
/// ("90%" → 90, "≤ 5 tickets/day" → 5, "1,200 quotes" → 1200).
fn target_number(s: &str) -> Option<f64> {
    let chars: Vec<char> = s.chars().collect();
    let digits = |from: usize, n: usize| {
        (chars.get(from..from + n)).is_some_and(|d| d.iter().all(char::is_ascii_digit))
    };
    let (mut numbers, mut i) = (Vec::new(), 0);
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut n = String::new();
        while let Some(&c) = chars.get(i) {
            let point = n.contains('.');
            match c {
                '0'..='9' => n.push(c),
                '.' if !point && digits(i + 1, 1) => n.push('.'),
                // A thousands separator.
                ',' if !point && digits(i + 1, 3) && !digits(i + 4, 1) => {}
                _ => break,
            }
            i += 1;
        }
        let percent = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'%');
        numbers.push((n, percent));
    }
    let (n, _) = numbers.iter().find(|(_, p)| *p).or(numbers.first())?;
    n.parse::<f64>().ok().filter(|v| v.is_finite())
}

mod people;
mod print;
#[cfg(test)]
mod tests;

pub use people::render_annex;
