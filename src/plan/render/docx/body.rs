//! The document's body: blocks as paragraphs, runs, tables and numbered lists.

use super::super::blocks::{Block, Inline, Item};
use super::super::measure::Font;
use super::*;

/// Run formatting, as bits.
pub(super) const BOLD: u8 = 1;
const ITALIC: u8 = 2;
const STRIKE: u8 = 4;
const CODE: u8 = 8;
const LINK: u8 = 16;

/// The document's body as it is written, and what it needs elsewhere (links, numbering).
#[derive(Default)]
pub(super) struct Body {
    pub(super) ids: HashMap<String, String>,
    pub(super) out: String,
    pub(super) links: Vec<String>, // hyperlink targets, escaped
    pub(super) ordered: usize,     // ordered lists so far: each is numbered on its own, from 1
    pub(super) width: i64,         // between the margins, in twentieths of a point
    pub(super) height: f64,        // the same, top to bottom
    pub(super) font: Font,         // a table's text, as measured
    pub(super) level: u8,          // the last heading's
    pub(super) after_table: bool,
}

impl Body {
    /// `style`: the paragraphs' where the block sits (a quote's, a list item's); `level`: the
    /// list item's it is in.
    pub(super) fn block(&mut self, block: &Block, (style, level): (Option<&str>, Option<usize>)) {
        let indent = level.map(|l| format!(r#"<w:ind w:left="{}"/>"#, 720 + 360 * l));
        let (indent, nested) = (indent.unwrap_or_default(), level.map_or(0, |l| l + 1));
        let quote = (Some("Quote"), None);
        match block {
            Block::Heading { level, inlines } => {
                let styles = ["Title", "Heading1", "Heading2", "Heading3"];
                let style = styles[usize::from(*level).clamp(1, 4) - 1];
                self.para(Some(style), "", inlines, 0);
                self.level = *level;
            }
            Block::Paragraph(inlines) => self.para(style, &indent, inlines, 0),
            Block::List { ordered, items } => self.list(*ordered, items, nested),
            Block::Table { header, rows } => self.table(header, rows),
            Block::Quote(inner) => inner.iter().for_each(|b| self.block(b, quote)),
            Block::Code(code) => {
                self.start(Some("Code"), &indent);
                self.out += "<w:r>";
                push_text(&mut self.out, code);
                self.out += "</w:r></w:p>";
            }
            Block::Rule => self.para(None, RULE, &[], 0),
        }
    }

    /// Opens a paragraph; `extra` is paragraph properties after the style, in schema order.
    fn start(&mut self, style: Option<&str>, extra: &str) {
        // Room after a table (not more than a heading has), before the indent (schema order).
        let room = self.after_table && style.is_none_or(|s| s == "ListParagraph");
        let room = when(room, r#"<w:spacing w:before="200"/>"#);
        let (other, ind) = extra.split_at(extra.find("<w:ind").unwrap_or(extra.len()));
        let style = style.map(|s| self.ids.get(s).map_or(s, String::as_str));
        let style = style.map(|s| format!(r#"<w:pStyle w:val="{s}"/>"#));
        let style = style.unwrap_or_default();
        let ppr = format!("<w:pPr>{style}{other}{room}{ind}</w:pPr>");
        self.out += &format!("<w:p>{}", when(ppr != "<w:pPr></w:pPr>", &ppr));
        self.after_table = false;
    }

    pub(super) fn para(&mut self, style: Option<&str>, extra: &str, inlines: &[Inline], fmt: u8) {
        self.start(style, extra);
        self.inlines(inlines, fmt);
        self.out += "</w:p>";
    }

    fn list(&mut self, ordered: bool, items: &[Item], level: usize) {
        let level = level.min(8);
        self.ordered += usize::from(ordered);
        let num = if ordered { self.ordered + 1 } else { 1 };
        let numbered =
            format!(r#"<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>"#);
        let hanging = format!(r#"<w:ind w:left="{}" w:hanging="360"/>"#, 720 + 360 * level);
        for item in items {
            let (first, rest) = match item.blocks.split_first() {
                Some((Block::Paragraph(p), rest)) => (p.as_slice(), rest),
                _ => (&[][..], item.blocks.as_slice()),
            };
            // A task's box stands where a bullet would, its text aligned after it.
            let task = item.checked.map(|done| if done { "☒\t" } else { "☐\t" });
            let props = [&numbered, &hanging][usize::from(task.is_some())];
            self.start(Some("ListParagraph"), props);
            task.into_iter().for_each(|b| self.run(b, 0));
            self.inlines(first, 0);
            self.out += "</w:p>";
            let ctx = (Some("ListParagraph"), Some(level));
            rest.iter().for_each(|b| self.block(b, ctx));
        }
    }

    fn inlines(&mut self, inlines: &[Inline], fmt: u8) {
        let mut text = String::new(); // neighbouring texts make one run
        for (i, inline) in inlines.iter().enumerate() {
            match inline {
                Inline::Text(t) => text += t,
                Inline::Strong(c) => self.inlines(c, fmt | BOLD),
                Inline::Emphasis(c) => self.inlines(c, fmt | ITALIC),
                Inline::Strike(c) => self.inlines(c, fmt | STRIKE),
                Inline::Code(c) => self.run(c, fmt | CODE),
                Inline::Break => self.out += "<w:r><w:br/></w:r>",
                Inline::Link { url, children } => self.link(url.trim(), children, fmt),
            }
            if !matches!(inlines.get(i + 1), Some(Inline::Text(_))) && !text.is_empty() {
                self.run(&std::mem::take(&mut text), fmt);
            }
        }
    }

    /// Only web and mail links become links: a `javascript:` one stays text.
    fn link(&mut self, url: &str, children: &[Inline], fmt: u8) {
        let lower = url.to_ascii_lowercase();
        let web = ["http://", "https://", "mailto:"].map(|p| lower.starts_with(p));
        let linked = web.contains(&true) && fmt & LINK == 0;
        if linked {
            self.links.push(escape(&uri(url)));
            let n = self.links.len();
            self.out += &format!(r#"<w:hyperlink r:id="link{n}" w:history="1">"#);
        }
        let fmt = fmt | if linked { LINK } else { 0 };
        let text = [Inline::Text(url.into())]; // a link without text shows its address
        self.inlines([children, &text[..]][usize::from(children.is_empty())], fmt);
        self.out += when(linked, "</w:hyperlink>");
    }

    fn run(&mut self, text: &str, fmt: u8) {
        let style = &self.ids[["CodeChar", "Hyperlink"][usize::from(fmt & LINK != 0)]];
        let style = format!(r#"<w:rStyle w:val="{style}"/>"#);
        let mut rpr = when(fmt & (LINK | CODE) != 0, &style).to_string();
        let tags = ["<w:b/><w:bCs/>", "<w:i/><w:iCs/>", "<w:strike/>"]; // BOLD, ITALIC, STRIKE
        for (i, tag) in tags.iter().enumerate() {
            rpr += when(fmt >> i & 1 == 1, tag);
        }
        // Mostly Hebrew or Arabic letters: the run reads right to left.
        let rtl = |c: &char| matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}');
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        rpr += when(text.chars().filter(rtl).count() * 2 > letters, "<w:rtl/>");
        let rpr = format!("<w:rPr>{rpr}</w:rPr>");
        self.out += &format!("<w:r>{}", when(rpr != "<w:rPr></w:rPr>", &rpr));
        push_text(&mut self.out, text);
        self.out += "</w:r>";
    }
}

/// Text inside a run: line breaks and tabs as Word's elements, the rest escaped.
fn push_text(out: &mut String, text: &str) {
    let t = r#"<w:t xml:space="preserve">"#;
    let text = escape(text).replace('\t', &format!("</w:t><w:tab/>{t}"));
    let text = text.replace('\n', &format!("</w:t><w:br/>{t}"));
    *out += &format!("{t}{text}</w:t>");
}

/// Text escaped for XML, without the characters XML 1.0 forbids (and carriage returns).
pub(super) fn escape(s: &str) -> String {
    let allowed =
        |c: &char| (*c >= ' ' || *c == '\t' || *c == '\n') && !matches!(c, '\u{fffe}' | '\u{ffff}');
    let s = s.chars().filter(allowed).collect::<String>();
    let s = s.replace('&', "&amp;").replace('<', "&lt;");
    s.replace('>', "&gt;").replace('"', "&quot;")
}

/// A URL as Word accepts it in a relationship: anything but plain ASCII percent-encoded (and
/// a `%` that starts no escape).
fn uri(url: &str) -> String {
    let bytes = url.as_bytes();
    let next_two = |i: usize| bytes.get(i + 1..i + 3).unwrap_or(b"no");
    let hex = |i: usize| next_two(i).iter().all(u8::is_ascii_hexdigit);
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'()*+,;=".contains(b);
    let byte = |(i, b): (usize, &u8)| match plain(b) || (*b == b'%' && hex(i)) {
        true => char::from(*b).to_string(),
        false => format!("%{b:02X}"),
    };
    bytes.iter().enumerate().map(byte).collect()
}
