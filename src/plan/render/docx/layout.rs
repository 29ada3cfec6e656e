//! How each table is laid out, decided by measuring its text at the font it is set in: as a
//! table on the page when every column is at least as wide as its longest word and no row is
//! taller than a fifth of the page; else as a table on a landscape page (a section of its
//! own) when that fits; else one block per row, a small heading and a field/value table, as
//! plan templates set out risks and metrics. The page is plan-ai's or the reference's.

use super::super::blocks::{Block, Inline, plain};
use super::super::measure::{Font, share};
use crate::sections::table::list_items;

/// Cell margins, left and right (Table Grid's 85 twips each).
pub(super) const PAD: f64 = 170.0;
/// A bullet's hanging indent inside a cell.
pub(super) const INDENT: f64 = 227.0;
/// A line of 10 pt Calibri at single spacing, and the space after each paragraph in a cell.
const LINE: f64 = 244.0;
const AFTER: f64 = 40.0;
/// A row's top and bottom cell margins and its border.
const ROW: f64 = 80.0;
/// Word and LibreOffice round glyph positions differently: words are measured this much wider.
const SLACK: f64 = 1.04;
/// The tallest row a table may have, as a share of the page's height: taller rows mean a
/// reader scrolls through a cell, and a page holds too few rows to compare them.
const TALLEST: f64 = 0.25;

/// A page's size and margins as `<w:pgSz/><w:pgMar/>`, and the room between the margins.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sheet {
    pub xml: String,
    pub width: f64,
    pub height: f64,
}

/// The document's page, and the same page turned to landscape (none if it already is).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pages {
    pub portrait: Sheet,
    pub landscape: Option<Sheet>,
}

impl Pages {
    /// From the page's XML, as `reference::page` writes it.
    pub(super) fn of(xml: &str) -> Pages {
        let get = |name: &str| number(xml, name);
        let (w, h) = (get("w:w"), get("w:h"));
        let (top, bottom) = (get("w:top").abs(), get("w:bottom").abs());
        let sides = get("w:left") + get("w:right") + get("w:gutter");
        let portrait = Sheet {
            xml: xml.to_string(),
            width: (w - sides).max(1440.0),
            height: (h - top - bottom).max(1440.0),
        };
        let margins = xml.find("<w:pgMar").map_or("", |i| &xml[i..]);
        let landscape = (h > w).then(|| Sheet {
            xml: format!(r#"<w:pgSz w:w="{h}" w:h="{w}" w:orient="landscape"/>{margins}"#),
            width: (h - sides).max(1440.0),
            height: (w - top - bottom).max(1440.0),
        });
        Pages {
            portrait,
            landscape,
        }
    }
}

/// An attribute's number in a page's XML (0 when it is not there).
fn number(xml: &str, name: &str) -> f64 {
    let key = format!(" {name}=\"");
    let value = xml.find(&key).map(|i| &xml[i + key.len()..]);
    let value = value.and_then(|v| v.split('"').next());
    value.and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Layout {
    /// A table across the page.
    Table,
    /// A table on landscape pages.
    Landscape,
    /// A heading and a field/value table per row.
    Blocks,
}

/// What a column needs: its longest word (the least it may be), its longest line (the most
/// it could use) and how much text it holds (its share of the rest), in twips.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Need {
    pub least: f64,
    pub most: f64,
    pub text: f64,
}

/// A cell's text as it is measured: a list's items, or its lines as one paragraph.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Text {
    pub paras: Vec<String>,
    pub list: bool,
}

impl Text {
    pub(super) fn of(cell: &[Inline]) -> Text {
        let text = plain(cell);
        match list_items(&text) {
            Some(items) => Text {
                paras: items.into_iter().map(str::to_string).collect(),
                list: true,
            },
            None => Text {
                paras: vec![text],
                list: false,
            },
        }
    }

    /// What the cell needs; a header cell is bold.
    fn need(&self, font: Font) -> Need {
        let indent = if self.list { INDENT } else { 0.0 };
        let widest = |f: &dyn Fn(&str) -> f64| self.paras.iter().map(|p| f(p)).fold(0.0, f64::max);
        let longest_line = |p: &str| p.lines().map(|l| font.width(l)).fold(0.0, f64::max);
        Need {
            least: widest(&|p| font.longest_word(p)) * SLACK + PAD + indent,
            most: widest(&longest_line) * SLACK + PAD + indent,
            text: self.paras.iter().map(|p| font.width(p)).sum(),
        }
    }

    /// The cell's height, `width` twips wide.
    pub(super) fn height(&self, width: f64, font: Font) -> f64 {
        let room = width - PAD - if self.list { INDENT } else { 0.0 };
        let lines: usize = self.paras.iter().map(|p| font.lines(p, room / SLACK)).sum();
        lines as f64 * LINE + self.paras.len() as f64 * AFTER
    }
}

/// Rows of cells as they are measured.
pub(super) fn texts(rows: &[&[Vec<Inline>]]) -> Vec<Vec<Text>> {
    rows.iter()
        .map(|r| r.iter().map(|c| Text::of(c)).collect())
        .collect()
}

/// What each column of `rows` needs (`head`: the first row is a bold header).
pub(super) fn needs(rows: &[Vec<Text>], head: bool, font: Font) -> Vec<Need> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let least = Need {
        least: PAD,
        most: PAD,
        text: 0.0,
    };
    let mut needs = vec![least; columns];
    for (r, row) in rows.iter().enumerate() {
        let font = if head && r == 0 { font.bold() } else { font };
        for (n, cell) in needs.iter_mut().zip(row) {
            let c = cell.need(font);
            n.least = n.least.max(c.least);
            n.most = n.most.max(c.most);
            n.text += c.text;
        }
    }
    needs
}

/// The columns' widths in `width` twips.
pub(super) fn widths(needs: &[Need], width: f64) -> Vec<f64> {
    let bounds: Vec<(f64, f64, f64)> = needs.iter().map(|n| (n.least, n.most, n.text)).collect();
    share(&bounds, width)
}

/// The tallest of `rows` in columns `widths` wide.
pub(super) fn tallest(rows: &[Vec<Text>], widths: &[f64], font: Font) -> f64 {
    let row = |r: &Vec<Text>| {
        let cells = r.iter().zip(widths).map(|(c, w)| c.height(*w, font));
        cells.fold(0.0, f64::max) + ROW
    };
    rows.iter().map(row).fold(0.0, f64::max)
}

/// Whether `rows`, whose columns need `needs`, make a readable table on `sheet`: every word
/// fits its column, and no row is taller than [`TALLEST`] of the page.
fn fits(rows: &[Vec<Text>], needs: &[Need], sheet: &Sheet, font: Font) -> bool {
    if needs.iter().map(|n| n.least).sum::<f64>() > sheet.width {
        return false;
    }
    let widths = widths(needs, sheet.width);
    tallest(rows, &widths, font) <= sheet.height * TALLEST
}

/// How a table is laid out on a portrait page `width` × `height` twips (and that page turned
/// to landscape) at `font`: what a web page's print layout asks.
pub fn layout_for(
    header: &[Vec<Inline>],
    rows: &[Vec<Vec<Inline>>],
    (width, height): (f64, f64),
    font: Font,
) -> Layout {
    let sheet = |width, height| Sheet {
        xml: String::new(),
        width,
        height,
    };
    let pages = Pages {
        portrait: sheet(width, height),
        landscape: Some(sheet(height, width)),
    };
    choose(header, rows, &pages, font)
}

/// Each column's share of a table's width, by what it holds (none when a table has fewer
/// than three columns: those need no help): how a web page sizes its columns, for a page
/// about 1,150 pixels wide (16,000 twips of 10 pt text).
pub fn shares(header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>], font: Font) -> Vec<f64> {
    let mut all = vec![header];
    all.extend(rows.iter().map(Vec::as_slice));
    let needs = needs(&texts(&all), true, font);
    if needs.len() < 3 {
        return Vec::new();
    }
    let total: f64 = needs.iter().map(|n| n.least).sum::<f64>().max(16_000.0);
    widths(&needs, total)
        .into_iter()
        .map(|w| w / total)
        .collect()
}

/// How a top-level table is laid out. A table without a header (a field/value table) or with
/// fewer than three columns stays a table: it has no record to give a heading.
pub(super) fn choose(
    header: &[Vec<Inline>],
    rows: &[Vec<Vec<Inline>>],
    pages: &Pages,
    font: Font,
) -> Layout {
    let blank = header.iter().all(|c| plain(c).trim().is_empty());
    let mut all = vec![header];
    all.extend(rows.iter().map(Vec::as_slice));
    let all = texts(&all[usize::from(blank)..]);
    let needs = needs(&all, !blank, font);
    if fits(&all, &needs, &pages.portrait, font) {
        return Layout::Table;
    }
    if let Some(landscape) = &pages.landscape
        && fits(&all, &needs, landscape, font)
    {
        return Layout::Landscape;
    }
    match blank || header.len() < 3 || rows.is_empty() {
        true => Layout::Table,
        false => Layout::Blocks,
    }
}

/// Which top-level blocks sit on landscape pages: a landscape table with the heading it
/// belongs to (and what stands between them) up to the next heading.
pub(super) fn landscape(blocks: &[Block], layouts: &[Option<Layout>]) -> Vec<bool> {
    let mut wide = vec![false; blocks.len()];
    let heading = |b: &Block| matches!(b, Block::Heading { level, .. } if *level >= 2);
    for (i, layout) in layouts.iter().enumerate() {
        if *layout != Some(Layout::Landscape) {
            continue;
        }
        let start = (0..i).rev().find(|&j| heading(&blocks[j]) || wide[j]);
        let start = start.map_or(i, |j| if wide[j] { j + 1 } else { j });
        let end = (i + 1..blocks.len()).find(|&j| heading(&blocks[j]));
        (start..end.unwrap_or(blocks.len())).for_each(|j| wide[j] = true);
    }
    wide
}

/// How much wider than Calibri a reference document's text may be: its default font's name
/// decides (Calibri and its twin Carlito measure as they are; anything else, generously).
pub(super) fn scale(styles: &str) -> f64 {
    let defaults = styles.find("<w:rPrDefault").map_or("", |i| &styles[i..]);
    let defaults = &defaults[..defaults.find("</w:rPrDefault>").unwrap_or(0)];
    let font = defaults.find("w:ascii=\"").map(|i| &defaults[i + 9..]);
    let font = font.and_then(|f| f.split('"').next()).unwrap_or_default();
    match ["Calibri", "Carlito"].iter().any(|c| font.starts_with(c)) {
        true => 1.0,
        false => 1.15,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::render::blocks::parse;

    const A4: &str = r#"<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="567" w:footer="567" w:gutter="0"/>"#;

    #[test]
    fn a_page_turns_to_landscape_with_its_margins() {
        let pages = Pages::of(A4);
        assert_eq!(
            (pages.portrait.width, pages.portrait.height),
            (9638.0, 14570.0)
        );
        let land = pages.landscape.unwrap();
        assert_eq!((land.width, land.height), (14570.0, 9638.0));
        assert!(land.xml.starts_with(
            r#"<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/><w:pgMar w:top="1134""#
        ));
        let wide = Pages::of(&land.xml);
        assert_eq!(wide.landscape, None, "a landscape page stays as it is");
    }

    fn table(md: &str) -> (Vec<Vec<Inline>>, Vec<Vec<Vec<Inline>>>) {
        match parse(md).remove(0) {
            Block::Table { header, rows } => (header, rows),
            other => panic!("{other:?}"),
        }
    }

    /// A table of `columns` columns and 5 rows, each cell `words` words long.
    fn sized(columns: usize, words: usize, header: &str) -> String {
        let cell = vec!["several"; words].join(" ");
        let row = |c: &str| format!("|{}\n", vec![c; columns].join("|"));
        let mut md = row(header) + &"|---".repeat(columns) + "|\n";
        (0..5).for_each(|_| md += &row(&cell));
        md
    }

    #[test]
    fn tables_are_laid_out_by_what_they_hold() {
        let pages = Pages::of(A4);
        let font = Font::new(10.0);
        // (columns, words a cell, header, layout)
        let cases = [
            (3, 5, "Head", Layout::Table),
            (7, 3, "Head", Layout::Table),
            (8, 17, "Head", Layout::Landscape),
            (7, 40, "Head", Layout::Blocks),
            // A header word too wide for 8 portrait columns.
            (8, 1, "Responsibilities", Layout::Landscape),
            (2, 400, "Head", Layout::Table),
        ];
        for (columns, words, header, want) in cases {
            let (h, rows) = table(&sized(columns, words, header));
            assert_eq!(choose(&h, &rows, &pages, font), want, "{columns} × {words}");
        }
        // A field/value table (no header) stays a table, however long its values.
        let (h, rows) = table(&format!(
            "| | |\n|---|---|\n| Key | {} |\n",
            "word ".repeat(900)
        ));
        assert_eq!(choose(&h, &rows, &pages, font), Layout::Table);
    }

    #[test]
    fn columns_are_at_least_their_longest_word_and_lists_their_bullets() {
        let font = Font::new(10.0);
        let (h, rows) =
            table("| Short | Header |\n|---|---|\n| a b | • extraordinary<br>• two |\n");
        let mut all = vec![h.as_slice()];
        all.extend(rows.iter().map(Vec::as_slice));
        let needs = needs(&texts(&all), true, font);
        let word = font.width("extraordinary") * SLACK + PAD + INDENT;
        assert!((needs[1].least - word).abs() < 1e-6, "{needs:?}");
        assert!((needs[0].least - (font.bold().width("Short") * SLACK + PAD)).abs() < 1e-6);
        let items = vec!["extraordinary".to_string(), "two".to_string()];
        let list = Text::of(&rows[0][1]);
        assert_eq!(
            list,
            Text {
                paras: items,
                list: true
            }
        );
        assert!(list.height(3000.0, font) > Text::of(&rows[0][0]).height(3000.0, font));
    }

    #[test]
    fn a_landscape_table_takes_its_heading_along() {
        let blocks =
            parse("# T\n\n## A\n\ntext\n\n| x |\n|---|\n| y |\n\n> note\n\n## B\n\nmore\n");
        let mut layouts = vec![None; blocks.len()];
        layouts[3] = Some(Layout::Landscape);
        assert_eq!(
            landscape(&blocks, &layouts),
            [false, true, true, true, true, false, false]
        );
    }

    #[test]
    fn a_reference_font_other_than_calibri_is_measured_wider() {
        let styles = |font: &str| {
            format!(
                r#"<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="{font}"/></w:rPr></w:rPrDefault></w:docDefaults>"#
            )
        };
        assert_eq!(scale(&styles("Calibri")), 1.0);
        assert_eq!(scale(&styles("Arial")), 1.15);
        assert_eq!(scale("<w:styles/>"), 1.15);
    }
}
