//! The plan's trackers as an Excel workbook: one sheet per list people keep up week to week
//! (stakeholders, communication, resistance, metrics, milestones), each an Excel table with
//! drop-downs and colours, and an About sheet saying where the workbook came from.
//!
//! Sheet names, headers, drop-down values, notes and the About sheet are in the plan's
//! language; a drop-down's words and the colours keyed to them come from the same catalog
//! entries, so they match. Excel's table names (`StakeholderRegister`) are identifiers and
//! stay as they are.

use super::{Part, marking};
use crate::error::{Error, Result};
use crate::i18n::Language;
use crate::plan::Plan;
use crate::sections::table::list as list_cell;
use crate::sections::{Kind, communication, resistance};
use rust_xlsxwriter::{
    ColNum, Color, ConditionalFormatCell, ConditionalFormatCellRule, ConditionalFormatFormula,
    DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatAlign, Note,
    RowNum, Table, TableColumn, TableStyle, Workbook, Worksheet, XlsxError,
};

type X<T = ()> = std::result::Result<T, XlsxError>;

/// Excel's limit on a cell's text, in UTF-16 units.
const CELL_MAX: usize = 32_767;
/// A comment's: rust_xlsxwriter keeps 54 units for an author prefix, even when none is added.
const NOTE_MAX: usize = CELL_MAX - 54;
/// Rows below a table that still get its drop-downs and colours, for the rows people add.
const SPARE_ROWS: RowNum = 200;

const RED: (u32, u32) = (0xFFC7CE, 0x9C0006);
const AMBER: (u32, u32) = (0xFFEB9C, 0x9C5700);
const GREEN: (u32, u32) = (0xC6EFCE, 0x006100);
const GREY: (u32, u32) = (0xE7E6E6, 0x3A3838);

/// A tracker sheet: its name (a catalog key) and its Excel table's, the widths of the columns
/// people fill in, its drop-downs (their values as catalog keys), and its date columns.
struct Spec {
    sheet: &'static str,
    table: &'static str,
    widths: &'static [(ColNum, f64)],
    lists: &'static [(ColNum, &'static [&'static str])],
    dates: &'static [ColNum],
}

const MESSAGES: Spec = Spec {
    sheet: "sheet.communication",
    table: "CommunicationPlan",
    widths: &[(8, 14.0), (9, 14.0)],
    lists: &[(8, &["status.planned", "status.sent", "status.cancelled"])],
    dates: &[9],
};
const POINTS: Spec = Spec {
    sheet: "sheet.resistance",
    table: "ResistancePoints",
    widths: &[(7, 18.0), (8, 14.0)],
    lists: &[(8, &["status.open", "status.in_progress", "status.done"])],
    dates: &[],
};
const METRICS: Spec = Spec {
    sheet: "sheet.metrics",
    table: "AdoptionMetrics",
    widths: &[(5, 14.0), (6, 15.0)],
    lists: &[(
        1,
        &[
            "dimension.speed_of_adoption",
            "dimension.utilisation",
            "dimension.proficiency",
        ],
    )],
    dates: &[],
};
const REVIEW: Spec = Spec {
    sheet: "sheet.review",
    table: "PlanReview",
    widths: &[],
    lists: &[],
    dates: &[],
};
const MILESTONES: Spec = Spec {
    sheet: "sheet.milestones",
    table: "MilestoneTracker",
    widths: &[(1, 13.0), (2, 12.0)],
    lists: &[(2, &["status.planned", "status.done", "status.late"])],
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
    let name = (plan.project.project.name.as_deref()).unwrap_or_else(|| plan.t("plan.the_project"));
    let title = clean(
        &plan
            .language
            .format("xlsx.trackers_for", &[("project", name)]),
        &plan.language,
    );
    about(
        wb.add_worksheet(),
        &title,
        &about::lines(plan, part),
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
    Cell::Text(tidy(s))
}

/// Each text in its cell.
fn texts(items: &[&str]) -> Vec<Cell> {
    items.iter().map(|s| t(s)).collect()
}

/// Writes a tracker: a frozen header (`columns`: catalog keys), an Excel table over the rows
/// (one empty row when there are none), columns sized by what they hold with wrapped text and
/// rows as tall as it, set up to print (landscape, one page wide, the header row on every
/// page, the project and page numbers in the header and footer), and its drop-downs, all in
/// the page's language. Returns the sheet and the table's last row.
fn tracker<'w>(
    wb: &'w mut Workbook,
    (spec, page): (&Spec, &Page),
    columns: &[&str],
    rows: Vec<Vec<Cell>>,
) -> X<(&'w mut Worksheet, RowNum)> {
    let lang = &page.lang;
    let columns: Vec<&str> = columns.iter().map(|k| lang.t(k)).collect();
    let columns = columns.as_slice();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let date = wrap.clone().set_num_format("yyyy-mm-dd");
    let head = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_text_wrap();
    let head = head
        .set_background_color(Color::RGB(0x4472C4))
        .set_align(FormatAlign::Top);
    let ws = wb.add_worksheet().set_name(lang.t(spec.sheet))?;
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
                Some(Cell::Text(s)) if !s.is_empty() => {
                    ws.write_string(r, c, cut(s, CELL_MAX, lang))?
                }
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
        let items: Vec<&str> = items.iter().map(|k| lang.t(k)).collect();
        let list = DataValidation::new().allow_list_strings(&items)?;
        ws.add_data_validation(1, col, last + SPARE_ROWS, col, &list)?;
    }
    Ok((ws, last))
}

/// Every sheet's print setup: landscape, one page wide, the project and the draft notice in
/// the header and footer with page numbers; and the language the sheets are written in.
struct Page {
    header: String,
    footer: String,
    lang: Language,
}

impl Page {
    fn of(plan: &Plan) -> Page {
        Page::with(plan, None)
    }

    /// A confidential annex's: its marking in the middle of the header and the footer.
    fn marked(plan: &Plan) -> Page {
        Page::with(plan, Some(marking(plan)))
    }

    fn with(plan: &Plan, marking: Option<&str>) -> Page {
        let project = (plan.project.project.name.as_deref())
            .unwrap_or_else(|| plan.t("plan.implementation_plan"));
        let mut notice = plan.t("plan.notice_short").to_string();
        if !plan.missing().is_empty() {
            let sections = plan.missing().join(", ");
            notice += "; ";
            notice += &plan
                .language
                .format("plan.notice_short_incomplete", &[("sections", &sections)]);
        }
        // Excel's codes for the page number and the page count.
        let pages = plan
            .language
            .format("plan.page_of", &[("page", "&P"), ("pages", "&N")]);
        let (header, footer) = print::header_footer(project, &notice, marking, &pages);
        Page {
            header,
            footer,
            lang: plan.language.clone(),
        }
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
    let mut columns = vec!["column.audience"];
    columns.extend(communication::COLUMNS.iter().map(|(_, header)| *header));
    columns.extend(["column.status", "column.date_sent"]);
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
    columns.extend(["column.owner", "column.status"]);
    tracker(wb, (&POINTS, &Page::of(plan)), &columns, rows)?;
    Ok(())
}

fn metrics_sheet(wb: &mut Workbook, plan: &Plan) -> X {
    let metrics = plan.metrics().map_or(&[][..], |m| m.metrics.as_slice());
    let rows = (metrics.iter())
        .map(|x| {
            let mut row = texts(&[&x.metric, plan.term(x.dimension), &x.what_it_measures]);
            row.extend(texts(&[&x.baseline, &x.target]));
            let target = target_number(&x.target, plan.language.separators());
            let target = target.map_or(Cell::Empty, Cell::Number);
            row.extend([target, Cell::Empty]);
            let [owner, how, low] = [&x.owner, &x.how_to_collect, &x.low_scores_indicate];
            row.extend(texts(&[owner, &x.cadence, how, low]));
            row
        })
        .collect();
    let columns = "metric|dimension|what_it_measures|baseline|target|target_value|current_value|owner|cadence|how_to_collect|low_scores_indicate";
    let columns: Vec<String> = columns.split('|').map(|c| format!("column.{c}")).collect();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let (ws, last) = tracker(wb, (&METRICS, &Page::of(plan)), &columns, rows)?;
    let number =
        DataValidation::new().allow_decimal_number(DataValidationRule::Between(-1e15, 1e15));
    let number = number.set_input_message(plan.t("xlsx.number_input"))?;
    ws.add_data_validation(1, 6, last + SPARE_ROWS, 6, &number)?;
    // Green at or above target, amber from 80% of it, red below; only when both are numbers.
    let rules = [">=$F2", "<$F2,$G2>=0.8*$F2", "<0.8*$F2"];
    for (rule, colours) in rules.into_iter().zip([GREEN, AMBER, RED]) {
        let rule = format!("=AND(ISNUMBER($F2),ISNUMBER($G2),$G2{rule})");
        let rule = ConditionalFormatFormula::new().set_rule(rule.as_str());
        ws.add_conditional_format(1, 6, last + SPARE_ROWS, 6, &rule.set_format(fill(colours)))?;
    }
    ws.insert_note(0, 5, &note(plan.t("xlsx.target_value_note")))?;
    ws.insert_note(0, 6, &note(plan.t("xlsx.higher_is_better")))?;
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
    let columns = ["column.milestone", "column.date", "column.status"];
    tracker(wb, (&MILESTONES, &Page::of(plan)), &columns, rows)?;
    Ok(())
}

/// The review: every fail and warn a row, and one row per check whose findings all pass (the
/// passes of each row are in the CSV and `plan-ai review --json`); fails red, warns amber.
fn review_sheet(wb: &mut Workbook, plan: &Plan) -> X {
    use crate::plan::review::Verdict;
    let all = plan.review_rows();
    let mut rows: Vec<[String; 7]> = Vec::new();
    for (verdict, r) in &all {
        if *verdict != Verdict::Pass {
            rows.push(r.clone());
            continue;
        }
        let same_check = |o: &&(Verdict, [String; 7])| o.1[1] == r[1] && o.1[0] == r[0];
        let of_check: Vec<&(Verdict, [String; 7])> = all.iter().filter(same_check).collect();
        let first = of_check.first().is_some_and(|f| std::ptr::eq(&f.1, r));
        if first && of_check.iter().all(|o| o.0 == Verdict::Pass) {
            let mut row = r.clone();
            row[3] = String::new();
            if of_check.len() > 1 {
                let n = of_check.len() as u64;
                row[4] = plan
                    .language
                    .plural("review.all_of", n, &[("finding", &r[4])]);
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
    let verdicts = [Verdict::Fail, Verdict::Warn, Verdict::Pass];
    for (verdict, colours) in verdicts.into_iter().zip([RED, AMBER, GREEN]) {
        let rule = ConditionalFormatCell::new();
        let rule = rule.set_rule(ConditionalFormatCellRule::EqualTo(plan.term(verdict)));
        ws.add_conditional_format(1, 2, last, 2, &rule.set_format(fill(colours)))?;
    }
    Ok(())
}

/// The About sheet: `title`, then each line's label and text.
fn about(ws: &mut Worksheet, title: &str, lines: &[(&str, String)], page: &Page) -> X {
    let bold = Format::new().set_bold().set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    ws.set_name(page.lang.t("sheet.about"))?
        .write_string_with_format(
            0,
            0,
            clean(title, &page.lang),
            &bold.clone().set_font_size(14),
        )?;
    for (r, (label, value)) in (2..).zip(lines) {
        let value = clean(value, &page.lang);
        ws.write_string_with_format(r, 0, *label, &bold)?;
        ws.write_string_with_format(r, 1, &value, &wrap)?;
        ws.set_row_height(r, print::height(&[label, &value], &[24.0, 100.0], false))?;
    }
    ws.set_column_width(0, 24)?.set_column_width(1, 100)?;
    page.set_up(ws);
    Ok(())
}

/// Text fit for one cell: control characters and escape sequences dropped (line breaks and tabs
/// kept), and cut to Excel's limit, saying so in the cell.
pub(super) fn clean(s: &str, lang: &Language) -> String {
    cut(&tidy(s), CELL_MAX, lang)
}

/// Text fit for a cell's comment, as [`clean`] is for the cell.
pub(super) fn clean_note(s: &str, lang: &Language) -> String {
    cut(&tidy(s), NOTE_MAX, lang)
}

/// Text with control characters and escape sequences dropped (line breaks and tabs kept),
/// trimmed.
fn tidy(s: &str) -> String {
    crate::sanitize::strip_controls(s).trim().to_string()
}

/// Text cut to `limit` UTF-16 units (Excel's), saying so in the cell, in `lang`.
fn cut(s: &str, limit: usize, lang: &Language) -> String {
    let total = s.encode_utf16().count();
    if total <= limit {
        return s.to_string();
    }
    let (n, max) = (lang.number(total as i64), lang.number(limit as i64));
    let cut = format!(
        " {}",
        lang.format("xlsx.cut_text", &[("total", &n), ("max", &max)])
    );
    let mut room = limit - cut.encode_utf16().count();
    let fits = |c: &char| room.checked_sub(c.len_utf16()).map(|r| room = r).is_some();
    s.chars().take_while(fits).chain(cut.chars()).collect()
}

/// The number in a target's text, written with the plan's language's `(decimal, group)`
/// separators: the first percentage if there is one, else the first number ("90%" → 90,
/// "≤ 5 tickets/day" → 5, "1,200 quotes" → 1200; in German "1.200 Angebote" → 1200 and
/// "4,5 von 5" → 4.5).
fn target_number(s: &str, (decimal, group): (char, char)) -> Option<f64> {
    // A thin or no-break space groups thousands where a language does (French); a plain
    // space does too there, as people type it.
    let spaced = group.is_whitespace();
    let is_group = |c: char| c == group || (spaced && c.is_whitespace());
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
                c if c == decimal && !point && digits(i + 1, 1) => n.push('.'),
                // A thousands separator.
                c if is_group(c) && !point && digits(i + 1, 3) && !digits(i + 4, 1) => {}
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

mod about;
mod people;
mod print;
#[cfg(test)]
mod tests;

pub use people::render_annex;
