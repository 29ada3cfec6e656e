//! The plan as one self-contained web page: inline CSS, no scripts, readable on a phone and
//! printable (each top-level part on a new page, table rows never split). Every text from the
//! plan is escaped: raw HTML in a model's answer is shown as text, never run, and only http(s)
//! and mailto links become links.

use super::blocks::{Block, Inline, Item, plain};
use super::docx::{Layout, layout_for, shares};
use super::measure::Font;
use std::fmt::Write as _;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
  max-width: 75rem; margin: 0 auto; padding: 1rem 1.5rem; }
main > p, main > ul, main > ol, section > p, section > ul, section > ol { max-width: 52rem; }
header.notice { background: #fff4d6; border: 1px solid #e6c35c; padding: .5rem .75rem;
  border-radius: 4px; font-size: .9rem; }
.marking { color: #9c0006; font-weight: 700; letter-spacing: .02em; margin: 0 0 .2rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 1.2rem 0 .8rem; }
h2 { font-size: 1.45rem; border-bottom: 2px solid #d8dde6; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4, h5, h6 { font-size: 1rem; margin-top: 1.2rem; }
.table { margin: .8rem 0; }
table { border-collapse: separate; border-spacing: 0; width: 100%; font-size: .9rem;
  border-top: 1px solid #c9d0db; border-left: 1px solid #c9d0db; }
th, td { border-right: 1px solid #c9d0db; border-bottom: 1px solid #c9d0db; padding: .35rem .5rem;
  text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #eef1f6; position: sticky; top: 0; z-index: 1; }
tr { break-inside: avoid; page-break-inside: avoid; }
td ul { margin: 0; padding-left: 1.1rem; }
td li + li { margin-top: .25rem; }
blockquote { margin: 1rem 0; padding: .5rem .8rem; border-left: 4px solid #e6a23c;
  background: #fdf6ec; }
blockquote p { margin: .2rem 0; }
pre { background: #f5f6f8; padding: .6rem; overflow-x: auto; white-space: pre-wrap; font-size: .85rem; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
ul.tasks { list-style: none; padding-left: 1rem; }
footer { margin-top: 3rem; color: #667085; font-size: .85rem; }
@media (max-width: 64rem) { .table { overflow-x: auto; } th { position: static; } }
@media (max-width: 700px) { body { padding: .6rem; font-size: 15px; } h1 { font-size: 1.5rem; }
  h2 { font-size: 1.25rem; } }
@page { size: A4; margin: 1.6cm 1.4cm; }
@page wide { size: A4 landscape; margin: 1.4cm 1.4cm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  table { font-size: 8.5pt; border-collapse: collapse; border: 0; }
  th, td { border: 1px solid #c9d0db; }
  th { position: static; }
  section { break-before: page; page-break-before: always; }
  section.wide { page: wide; }
  thead { display: table-header-group; }
  .table { overflow: visible; }
  a { color: inherit; }
}
"#;

/// One card per row, a cell's column name above it: `{t}` is the tables it applies to.
const CARDS: &str = r#"
  {t} table, {t} tbody, {t} tr, {t} td { display: block; width: auto; }
  {t} table { border: 0; }
  {t} thead, {t} colgroup { display: none; }
  {t} tr { border: 1px solid #c9d0db; border-radius: 6px; margin: 0 0 .7rem; padding: .3rem .6rem; }
  {t} td { border: 0; padding: .2rem 0; }
  {t} td[data-label]::before { content: attr(data-label); display: block; font-size: .8em;
    font-weight: 600; color: #4a5568; }
  {t} td:first-child[data-label] { font-weight: 600; }
  {t} td:first-child[data-label]::before { display: none; }
"#;

/// The page for `blocks`, with `title` in the tab and `notice` above the plan; a `marking`
/// (a confidential annex's) goes in a `classification` meta tag and heads the page's header
/// and footer. Each part under a top-level heading is a section; one holding a table too
/// wide for a portrait page prints on landscape pages. The page's `lang` is the plan's
/// language, for screen readers, hyphenation and spelling.
pub fn render(
    blocks: &[Block],
    title: &str,
    notice: &str,
    marking: Option<&str>,
    lang: &crate::i18n::Language,
) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let meta = marking.map_or(String::new(), |m| {
        format!("<meta name=\"classification\" content=\"{}\">\n", escape(m))
    });
    let mark = marking.map_or(String::new(), |m| {
        format!("<p class=\"marking\">{}</p>", escape(m))
    });
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"plan-ai {}\">\n{meta}<title>{}</title>\n<style>{STYLE}@media (max-width: 700px) {{{}}}\n@media print {{{}}}\n</style>\n</head>\n<body>\n<header class=\"notice\">{mark}{}</header>\n<main>\n",
        escape(lang.tag()),
        env!("CARGO_PKG_VERSION"),
        escape(title),
        CARDS.replace("{t}", ".table:not(.pairs)"),
        CARDS.replace("{t}", ".table.records"),
        escape(notice)
    );
    let part = |b: &Block| matches!(b, Block::Heading { level: 2, .. });
    let mut rest = blocks;
    while !rest.is_empty() {
        let end = (1..rest.len())
            .find(|&i| part(&rest[i]))
            .unwrap_or(rest.len());
        let (here, after) = rest.split_at(end);
        let layouts: Vec<Option<Layout>> = here.iter().map(printed).collect();
        let section = part(&here[0]);
        if section {
            let wide = layouts.contains(&Some(Layout::Landscape));
            out.push_str(["<section>\n", "<section class=\"wide\">\n"][usize::from(wide)]);
        }
        for (b, layout) in here.iter().zip(layouts) {
            match (b, layout) {
                (Block::Table { header, rows }, Some(l)) => table(&mut out, header, rows, l),
                _ => block(&mut out, b),
            }
        }
        out.push_str(when(section, "</section>\n"));
        rest = after;
    }
    let _ = write!(
        out,
        "</main>\n<footer>{mark}{} {}</footer>\n</body>\n</html>\n",
        escape(&lang.format("plan.made_with", &[("version", env!("CARGO_PKG_VERSION"))])),
        escape(notice)
    );
    out
}

fn when(on: bool, s: &str) -> &str {
    if on { s } else { "" }
}

/// How a table prints on A4 (1.4 cm margins, 1.6 cm top and bottom) at 8.5 pt, measured as
/// Word's layout measures it, the browser's font taken a quarter wider than Calibri (as
/// DejaVu Sans, Linux's system-ui, is): across the
/// page, on a landscape page, or as one card per row.
fn printed(b: &Block) -> Option<Layout> {
    let Block::Table { header, rows } = b else {
        return None;
    };
    let font = Font {
        scale: 1.25,
        ..Font::new(8.5)
    };
    Some(layout_for(header, rows, (10_318.0, 15_024.0), font))
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Heading { level, inlines } => {
            let l = (*level).clamp(1, 6);
            let id = slug(&plain(inlines));
            let _ = write!(out, "<h{l} id=\"{id}\">");
            inlines_html(out, inlines);
            let _ = writeln!(out, "</h{l}>");
        }
        Block::Paragraph(inlines) => {
            out.push_str("<p>");
            inlines_html(out, inlines);
            out.push_str("</p>\n");
        }
        Block::List { ordered, items } => list(out, *ordered, items),
        Block::Table { header, rows } => table(out, header, rows, Layout::Table),
        Block::Quote(inner) => {
            out.push_str("<blockquote>\n");
            for b in inner {
                block(out, b);
            }
            out.push_str("</blockquote>\n");
        }
        Block::Code(code) => {
            let _ = writeln!(out, "<pre><code>{}</code></pre>", escape(code));
        }
        Block::Rule => out.push_str("<hr>\n"),
    }
}

/// A table; each cell carries its column's name for the phone layout (one card per row),
/// which a table of records (`layout`) also prints in. A key-value table (document control:
/// its header row is empty) stays a table: its rows are pairs already.
fn table(out: &mut String, header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>], layout: Layout) {
    let labels: Vec<String> = header.iter().map(|c| escape(plain(c).trim())).collect();
    let pairs = labels.iter().all(String::is_empty);
    let class = match (pairs, layout) {
        (true, _) => " pairs",
        (false, Layout::Blocks) => " records",
        _ => "",
    };
    let _ = writeln!(out, "<div class=\"table{class}\"><table>");
    // Columns share the width by what they hold (the browser keeps each at least as wide as
    // its longest word).
    let shares = shares(header, rows, Font::default());
    if !shares.is_empty() {
        out.push_str("<colgroup>");
        for share in shares {
            let _ = write!(out, "<col style=\"width: {:.1}%\">", share * 100.0);
        }
        out.push_str("</colgroup>\n");
    }
    // A key-value table's empty header row is left out.
    if !pairs {
        out.push_str("<thead><tr>");
        for cell in header {
            out.push_str("<th scope=\"col\">");
            inlines_html(out, cell);
            out.push_str("</th>");
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            match labels.get(c).filter(|l| !l.is_empty()) {
                Some(label) => {
                    let _ = write!(out, "<td data-label=\"{label}\">");
                }
                None => out.push_str("<td>"),
            }
            cell_html(out, cell);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// A cell: a list (every line after a bullet) as `<ul>`, anything else as it is.
fn cell_html(out: &mut String, cell: &[Inline]) {
    let Some(items) = super::cells::items(cell) else {
        return inlines_html(out, cell);
    };
    out.push_str("<ul>");
    for item in items {
        out.push_str("<li>");
        inlines_html(out, &item);
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

fn list(out: &mut String, ordered: bool, items: &[Item]) {
    let tasks = items.iter().all(|i| i.checked.is_some());
    let tag = if ordered { "ol" } else { "ul" };
    if tasks {
        out.push_str("<ul class=\"tasks\">\n");
    } else {
        let _ = writeln!(out, "<{tag}>");
    }
    for item in items {
        out.push_str("<li>");
        if let Some(done) = item.checked {
            out.push_str(if done { "&#9746; " } else { "&#9744; " });
        }
        // A tight item's single paragraph needs no <p>.
        match item.blocks.as_slice() {
            [Block::Paragraph(inlines)] => inlines_html(out, inlines),
            blocks => {
                for b in blocks {
                    block(out, b);
                }
            }
        }
        out.push_str("</li>\n");
    }
    let _ = writeln!(out, "</{}>", if tasks { "ul" } else { tag });
}

fn inlines_html(out: &mut String, inlines: &[Inline]) {
    for i in inlines {
        match i {
            Inline::Text(t) => out.push_str(&escape(t)),
            Inline::Strong(c) => wrap(out, "strong", c),
            Inline::Emphasis(c) => wrap(out, "em", c),
            Inline::Strike(c) => wrap(out, "s", c),
            Inline::Code(c) => {
                let _ = write!(out, "<code>{}</code>", escape(c));
            }
            Inline::Link { url, children } => match safe_url(url) {
                Some(href) => {
                    let _ = write!(
                        out,
                        "<a href=\"{}\" rel=\"noopener noreferrer\">",
                        escape(href)
                    );
                    inlines_html(out, children);
                    out.push_str("</a>");
                }
                None => inlines_html(out, children),
            },
            Inline::Break => out.push_str("<br>"),
        }
    }
}

fn wrap(out: &mut String, tag: &str, children: &[Inline]) {
    let _ = write!(out, "<{tag}>");
    inlines_html(out, children);
    let _ = write!(out, "</{tag}>");
}

/// Only links that cannot run anything: http(s), mailto and in-page anchors.
fn safe_url(url: &str) -> Option<&str> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    (lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('#'))
    .then_some(u)
}

/// Text safe inside HTML elements and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An id for a heading: lower-case letters, digits and dashes.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::render::blocks::parse;

    fn page(md: &str) -> String {
        render(
            &parse(md),
            "Plan <X>",
            "DRAFT & more",
            None,
            &crate::i18n::Language::english(),
        )
    }

    #[test]
    fn a_marking_goes_in_the_head_the_header_and_the_footer() {
        let html = render(
            &parse("# A"),
            "T",
            "N",
            Some("Confidential <named>"),
            &crate::i18n::Language::english(),
        );
        assert!(
            html.contains("<meta name=\"classification\" content=\"Confidential &lt;named&gt;\">")
        );
        assert_eq!(
            html.matches("<p class=\"marking\">Confidential &lt;named&gt;</p>")
                .count(),
            2
        );
        assert!(!page("# A").contains("classification"));
    }

    #[test]
    fn model_html_is_shown_never_run() {
        let html = page(
            "Answer <script>alert(1)</script> and <img src=x onerror=alert(2)>\n\n<div onclick=\"x()\">block</div>",
        );
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div onclick"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(html.matches("<script").count(), 0);
        assert!(html.contains("<title>Plan &lt;X&gt;</title>"));
    }

    #[test]
    fn only_harmless_links_are_links() {
        let html = page(
            "[ok](https://example.com/?a=1&b=2) [bad](javascript:alert(1)) [mail](mailto:a@b.c)",
        );
        assert!(html.contains("<a href=\"https://example.com/?a=1&amp;b=2\""));
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn tables_lists_and_notices_have_their_elements() {
        let html = page(
            "# T\n\n## 1. Part\n\n| A | B |\n|---|---|\n| x\\|y | one<br>two |\n| • first<br>• *second* | |\n\n- [ ] check\n- [x] done\n\n1. first\n\n> **Missing:** no answer\n",
        );
        for want in [
            "<h1 id=\"t\">T</h1>",
            "<h2 id=\"1-part\">1. Part</h2>",
            "<section>\n<h2 id=\"1-part\">",
            "<thead><tr><th scope=\"col\">A</th><th scope=\"col\">B</th></tr></thead>",
            "<td data-label=\"A\">x|y</td><td data-label=\"B\">one<br>two</td>",
            "<td data-label=\"A\"><ul><li>first</li><li><em>second</em></li></ul></td>",
            "<ul class=\"tasks\">",
            "&#9744; check",
            "&#9746; done",
            "<ol>\n<li>first</li>",
            "<blockquote>\n<p><strong>Missing:</strong> no answer</p>",
        ] {
            assert!(html.contains(want), "missing {want:?} in {html}");
        }
    }

    #[test]
    fn the_page_is_self_contained_and_printable() {
        let html = page("# T");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link"));
        assert!(!html.contains("src="));
        assert!(html.contains("name=\"viewport\""));
        assert!(html.contains("@media print"));
        assert!(html.contains("break-before: page"));
        assert!(html.contains("break-inside: avoid"));
        assert!(html.contains("@page wide { size: A4 landscape"));
        assert!(html.contains("max-width: 75rem") && html.contains("position: sticky; top: 0"));
        assert!(
            !html.contains("anywhere") && !html.contains("hyphens"),
            "no word is split"
        );
    }

    #[test]
    fn parts_with_wide_tables_print_on_landscape_pages() {
        let wide = format!(
            "|{}\n{}|\n|{}\n",
            "Accountabilities|".repeat(9),
            "|---".repeat(9),
            "several words in each of these cells|".repeat(9)
        );
        let html = page(&format!(
            "# T\n\n## 1. Narrow\n\n| A | B |\n|---|---|\n| x | y |\n\n## 2. Wide\n\n{wide}\n## 3. After\n\ntext\n"
        ));
        let sections: Vec<&str> = html.split("<section").skip(1).collect();
        assert_eq!(sections.len(), 3, "{html}");
        assert!(sections[0].starts_with(">\n<h2 id=\"1-narrow\""));
        assert!(sections[1].starts_with(" class=\"wide\">\n<h2 id=\"2-wide\""));
        assert!(sections[2].starts_with(">\n<h2 id=\"3-after\""));
        assert_eq!(html.matches("</section>").count(), 3);
        assert!(
            html.contains("<colgroup><col style=\"width: "),
            "columns sized by content"
        );
        // Rows far taller than a quarter of a landscape page print as one card per row.
        let tall = format!(
            "| A | B | C |\n|---|---|---|\n| x | {} | y |\n",
            "word ".repeat(600)
        );
        let html = page(&format!("# T\n\n## 1. Tall\n\n{tall}"));
        assert!(html.contains("<section>\n<h2"), "{html}");
        assert!(
            html.contains("<div class=\"table records\"><table>"),
            "{html}"
        );
        assert!(
            html.contains("@media print {\n  .table.records table"),
            "cards in print"
        );
        // A key-value table stays a table on a phone too.
        let html = page("| | |\n|---|---|\n| Project | X |\n");
        assert!(
            html.contains("<div class=\"table pairs\"><table>\n<tbody>"),
            "{html}"
        );
        assert!(html.contains("@media (max-width: 700px) {\n  .table:not(.pairs) table"));
    }

    #[test]
    fn escaping_and_slugs() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(slug("4. Stakeholder analysis!"), "4-stakeholder-analysis");
        assert_eq!(slug("Ünïcode — ok"), "ünïcode-ok");
    }
}
