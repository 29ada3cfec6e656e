//! Tables in the document: across the page, on landscape pages, or one block per row (a
//! heading and a field/value table); lists inside a cell as real bullet paragraphs.

use super::super::blocks::{Block, Inline, plain};
use super::body::BOLD;
use super::layout::{self, INDENT, Layout, Pages, Sheet, Text};
use super::*;

const TABLE: &str = r#"<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:w="5000" w:type="pct"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="{first}" w:lastRow="0" w:firstColumn="{column}" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>"#;
const CELL: &str = r#"<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{shade}</w:tcPr>"#;
const HEAD_CELL: &str = r#"<w:shd w:val="clear" w:color="auto" w:fill="DEE6F2"/>"#;
const FIELD_CELL: &str = r#"<w:shd w:val="clear" w:color="auto" w:fill="F2F4F8"/>"#;
/// A bullet inside a cell: the document's bullet list, indented less than in the body.
const CELL_BULLET: &str = r#"<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr><w:ind w:left="{indent}" w:hanging="{indent}"/>"#;
/// Ends the section before it: `{sect}` holds the section's page.
const BREAK: &str = r#"<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>{sect}</w:pPr></w:p>"#;
/// A row at most this share of the page's height is kept on one page.
const WHOLE: f64 = 0.33;
/// The field column of a block's table takes at most this share of the width.
const FIELDS: f64 = 0.3;

/// A section's properties: plan-ai's header and footer, and its page.
pub(super) fn sect(page: &str) -> String {
    format!(
        r#"<w:sectPr><w:headerReference w:type="default" r:id="rId4"/><w:footerReference w:type="default" r:id="rId5"/>{page}<w:cols w:space="708"/></w:sectPr>"#
    )
}

impl Body {
    /// The document's top-level blocks, each table laid out by what it holds, landscape
    /// tables on pages of their own. Returns the page the last section has.
    pub(super) fn document(&mut self, blocks: &[Block], pages: &Pages) -> Sheet {
        let layout = |b: &Block| match b {
            Block::Table { header, rows } => Some(layout::choose(header, rows, pages, self.font)),
            _ => None,
        };
        let layouts: Vec<Option<Layout>> = blocks.iter().map(layout).collect();
        let wide = layout::landscape(blocks, &layouts);
        let mut sheet = &pages.portrait;
        for (i, block) in blocks.iter().enumerate() {
            let want = match (wide[i], &pages.landscape) {
                (true, Some(land)) => land,
                _ => &pages.portrait,
            };
            if want != sheet {
                self.out += &fill(BREAK, &[("sect", &sect(&sheet.xml))]);
                self.after_table = false;
                sheet = want;
            }
            self.width = sheet.width as i64;
            self.height = sheet.height;
            match (block, layouts[i]) {
                (Block::Table { header, rows }, Some(Layout::Blocks)) => self.records(header, rows),
                _ => self.block(block, (None, None)),
            }
        }
        sheet.clone()
    }

    /// A table across the page (or the landscape page it is on).
    pub(super) fn table(&mut self, header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>]) {
        let columns = rows.iter().map(Vec::len).fold(header.len(), usize::max);
        if columns == 0 {
            return;
        }
        self.out += when(self.after_table, "<w:p/>"); // two tables in a row would merge
        // An empty header row (a key-value table's) is left out.
        let blank = header.iter().all(|c| plain(c).trim().is_empty());
        let skip = usize::from(blank && !rows.is_empty());
        let mut all = vec![header];
        all.extend(rows.iter().map(Vec::as_slice));
        let all = &all[skip..];
        let texts = layout::texts(all);
        let needs = layout::needs(&texts, skip == 0, self.font);
        let widths = self.fitted(&layout::widths(&needs, self.width as f64));
        self.grid(&widths, skip == 0, false);
        for (r, (row, texts)) in all.iter().zip(&texts).enumerate() {
            let head = r + skip == 0;
            let shade = |_: usize| when(head, HEAD_CELL);
            self.row((row, texts), &widths, (head, false), shade);
        }
        self.out += "</w:tbl>";
        self.after_table = true;
    }

    /// One block per row: "n. first cell" as a heading one level below the section's, then
    /// the other cells as a field/value table, the fields shaded.
    fn records(&mut self, header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>]) {
        let style = ["Heading2", "Heading3"][usize::from(self.level >= 3)];
        let fields = header.get(1..).unwrap_or_default();
        // One pair of widths for every block, so they line up.
        let labels: Vec<Vec<Text>> = fields.iter().map(|f| vec![Text::of(f)]).collect();
        let values = rows
            .iter()
            .map(|r| r.iter().skip(1).map(|c| Text::of(c)).collect());
        let values: Vec<Vec<Text>> = values.collect();
        let label = layout::needs(&labels, false, self.font.bold())[0];
        // Every value shares one column.
        let value = layout::needs(&values, false, self.font).into_iter();
        let value = value.reduce(|a, b| layout::Need {
            least: a.least.max(b.least),
            most: a.most.max(b.most),
            text: a.text + b.text,
        });
        let value = value.unwrap_or(label);
        let width = self.width as f64;
        // Fields on one line where they fit in a share of the width, values take the rest.
        let most = label.most.min(width * FIELDS).max(label.least);
        let label = layout::Need {
            least: most,
            most,
            ..label
        };
        let widths = self.fitted(&layout::widths(&[label, value], width));
        for (n, row) in rows.iter().enumerate() {
            let mut title = vec![Inline::Text(format!("{}. ", n + 1))];
            title.extend(row.first().into_iter().flatten().cloned());
            self.para(Some(style), "", &title, 0);
            self.grid(&widths, false, true);
            // A block stays on one page: each row keeps with the next.
            for c in 1..header.len() {
                let cell = row.get(c).cloned().unwrap_or_default();
                let pair = [fields[c - 1].clone(), cell];
                let value = values[n]
                    .get(c - 1)
                    .cloned()
                    .unwrap_or_else(|| Text::of(&[]));
                let texts = [labels[c - 1][0].clone(), value];
                let keep = c + 1 < header.len();
                let shade = |c: usize| when(c == 0, FIELD_CELL);
                self.row((&pair, &texts), &widths, (false, keep), shade);
            }
            self.out += "</w:tbl>";
        }
        self.after_table = true;
    }

    /// Widths in whole twips that add up to the room between the margins.
    fn fitted(&self, widths: &[f64]) -> Vec<i64> {
        let mut out: Vec<i64> = widths.iter().map(|w| w.floor() as i64).collect();
        if let Some(last) = out.last_mut() {
            *last += self.width - widths.iter().map(|w| w.floor() as i64).sum::<i64>();
        }
        out
    }

    /// Opens a table of columns `widths` wide.
    fn grid(&mut self, widths: &[i64], header: bool, fields: bool) {
        let vars = [
            ("style", self.ids["TableGrid"].as_str()),
            ("first", ["0", "1"][usize::from(header)]),
            ("column", ["0", "1"][usize::from(fields)]),
        ];
        self.out += &fill(TABLE, &vars);
        let column = |w: &i64| format!(r#"<w:gridCol w:w="{w}"/>"#);
        self.out += &(widths.iter().map(column).collect::<String>() + "</w:tblGrid>");
    }

    /// A row: a header row repeats on each page; a row is kept on one page unless it is so
    /// tall that keeping it whole would leave most of a page empty; `keep`: on the page of
    /// the row after it. A header's cells and shaded ones (a field's) are bold.
    fn row(
        &mut self,
        (row, texts): (&[Vec<Inline>], &[Text]),
        widths: &[i64],
        (head, keep): (bool, bool),
        shade: impl Fn(usize) -> &'static str,
    ) {
        let repeat = when(head, "<w:tblHeader/>");
        let height = |(c, w): (&Text, &i64)| c.height(*w as f64, self.font);
        let tallest = texts.iter().zip(widths).map(height).fold(0.0, f64::max);
        let whole = when(head || tallest <= self.height * WHOLE, "<w:cantSplit/>");
        self.out += &format!("<w:tr><w:trPr>{whole}{repeat}</w:trPr>");
        for (c, w) in widths.iter().enumerate() {
            self.out += &fill(CELL, &[("w", &w.to_string()), ("shade", shade(c))]);
            let cell = row.get(c).map_or(&[][..], Vec::as_slice);
            let bold = head || !shade(c).is_empty();
            self.cell(
                cell,
                if bold { BOLD } else { 0 },
                when(keep, "<w:keepNext/>"),
            );
            self.out += "</w:tc>";
        }
        self.out += "</w:tr>";
    }

    /// A cell's text: a list as bullet paragraphs, anything else as one paragraph; `keep`
    /// leads their properties.
    fn cell(&mut self, cell: &[Inline], fmt: u8, keep: &str) {
        let Some(items) = super::super::cells::items(cell) else {
            return self.para(Some("TableText"), keep, cell, fmt);
        };
        let bullet = fill(CELL_BULLET, &[("indent", &(INDENT as i64).to_string())]);
        let bullet = format!("{keep}{bullet}");
        for item in items {
            self.para(Some("TableText"), &bullet, &item, fmt);
        }
    }
}
