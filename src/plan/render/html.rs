//! The plan as one self-contained web page: inline CSS, no scripts, readable on a phone and
//! printable (each top-level part on a new page, table rows never split). Every text from the
//! plan is escaped: raw HTML in a model's answer is shown as text, never run, and only http(s)
//! and mailto links become links.

use super::blocks::{Block, Inline, Item, plain};
use std::fmt::Write as _;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
  max-width: 58rem; margin: 0 auto; padding: 1rem; }
header.notice { background: #fff4d6; border: 1px solid #e6c35c; padding: .5rem .75rem;
  border-radius: 4px; font-size: .9rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 1.2rem 0 .8rem; }
h2 { font-size: 1.45rem; border-bottom: 2px solid #d8dde6; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4, h5, h6 { font-size: 1rem; margin-top: 1.2rem; }
.table { overflow-x: auto; margin: .8rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #c9d0db; padding: .35rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; hyphens: auto; }
th { background: #eef1f6; }
tr { break-inside: avoid; page-break-inside: avoid; }
blockquote { margin: 1rem 0; padding: .5rem .8rem; border-left: 4px solid #e6a23c;
  background: #fdf6ec; }
blockquote p { margin: .2rem 0; }
pre { background: #f5f6f8; padding: .6rem; overflow-x: auto; white-space: pre-wrap; font-size: .85rem; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
ul.tasks { list-style: none; padding-left: 1rem; }
footer { margin-top: 3rem; color: #667085; font-size: .85rem; }
@media (max-width: 40rem) { body { padding: .6rem; font-size: 15px; } h1 { font-size: 1.5rem; }
  h2 { font-size: 1.25rem; } th, td { padding: .25rem; } }
@page { size: A4; margin: 1.6cm 1.4cm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  table { table-layout: fixed; font-size: 8.5pt; }
  th, td { overflow-wrap: anywhere; }
  h2 { break-before: page; page-break-before: always; }
  thead { display: table-header-group; }
  .table { overflow: visible; }
  a { color: inherit; }
}
"#;

/// The page for `blocks`, with `title` in the tab and `notice` above the plan.
pub fn render(blocks: &[Block], title: &str, notice: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"plan-ai {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header class=\"notice\">{}</header>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        escape(title),
        escape(notice)
    );
    for b in blocks {
        block(&mut out, b);
    }
    let _ = write!(
        out,
        "</main>\n<footer>Made with plan-ai {}. {}</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(notice)
    );
    out
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
        Block::Table { header, rows } => {
            out.push_str("<div class=\"table\"><table>\n");
            // A key-value table (document control) has an empty header row: leave it out.
            if header.iter().any(|c| !plain(c).trim().is_empty()) {
                out.push_str("<thead><tr>");
                for cell in header {
                    out.push_str("<th>");
                    inlines_html(out, cell);
                    out.push_str("</th>");
                }
                out.push_str("</tr></thead>\n");
            }
            out.push_str("<tbody>\n");
            for row in rows {
                out.push_str("<tr>");
                for cell in row {
                    out.push_str("<td>");
                    inlines_html(out, cell);
                    out.push_str("</td>");
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table></div>\n");
        }
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
        render(&parse(md), "Plan <X>", "DRAFT & more")
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
            "# T\n\n## 1. Part\n\n| A | B |\n|---|---|\n| x\\|y | one<br>two |\n\n- [ ] check\n- [x] done\n\n1. first\n\n> **Missing:** no answer\n",
        );
        for want in [
            "<h1 id=\"t\">T</h1>",
            "<h2 id=\"1-part\">1. Part</h2>",
            "<thead><tr><th>A</th><th>B</th></tr></thead>",
            "<td>x|y</td><td>one<br>two</td>",
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
    }

    #[test]
    fn escaping_and_slugs() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(slug("4. Stakeholder analysis!"), "4-stakeholder-analysis");
        assert_eq!(slug("Ünïcode — ok"), "ünïcode-ok");
    }
}
