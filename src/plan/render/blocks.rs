//! The plan's Markdown as a tree of blocks and inlines, for the renderers that lay out a
//! document themselves (Word, HTML). Parsed with pulldown-cmark (GFM tables, task lists,
//! strikethrough). Raw HTML in the text is kept as literal text: a model's `<script>` is shown,
//! never run; only `<br>` (which table cells use for line breaks) becomes a line break.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Level 1 is the document's title; 2 to 6 are headings below it.
    Heading {
        level: u8,
        inlines: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Item>,
    },
    Table {
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    Quote(Vec<Block>),
    Code(String),
    Rule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `Some` for a task-list item (`- [ ]` / `- [x]`).
    pub checked: Option<bool>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(String),
    Link { url: String, children: Vec<Inline> },
    Break,
}

/// The text of inlines without their formatting.
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Strike(c) => out.push_str(&plain(c)),
            Inline::Link { children, .. } => out.push_str(&plain(children)),
            Inline::Break => out.push('\n'),
        }
    }
    out
}

/// The deepest nesting of quotes and lists kept, and (separately) of emphasis, strike-through
/// and links: the Word and HTML writers, and dropping the tree, recurse once per level, so an
/// answer of `> ` repeated 100,000 times must not become 100,000 levels. Deeper containers are
/// flattened into the deepest kept one (their text stays). Real plans nest three or four deep.
pub const MAX_NESTING: usize = 16;

/// Parses Markdown into blocks, nested at most [`MAX_NESTING`] deep.
pub fn parse(markdown: &str) -> Vec<Block> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut builder = Builder::default();
    for event in Parser::new_ext(markdown, options) {
        builder.event(event);
    }
    builder.finish()
}

/// What is being built: a stack of open containers, each collecting its children.
#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    done: Vec<Block>,
    /// Open quotes, lists and items, and open inline containers, kept in the tree.
    blocks_open: usize,
    inlines_open: usize,
    /// Those opened past [`MAX_NESTING`] and left out (their ends are skipped too).
    blocks_flattened: usize,
    inlines_flattened: usize,
    /// A flattened item began: its text starts a paragraph of its own.
    new_paragraph: bool,
}

enum Open {
    Inlines(Container, Vec<Inline>),
    Blocks(BlockContainer, Vec<Block>),
    Table {
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        in_head: bool,
    },
    Row(Vec<Vec<Inline>>),
    CodeBlock(String),
}

enum Container {
    Heading(u8),
    Paragraph,
    Strong,
    Emphasis,
    Strike,
    Link(String),
    Cell,
}

enum BlockContainer {
    Quote,
    List { ordered: bool, items: Vec<Item> },
    Item(Option<bool>),
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => match self.stack.last_mut() {
                Some(Open::CodeBlock(code)) => code.push_str(&t),
                _ => self.inline(Inline::Text(t.into_string())),
            },
            Event::Code(c) => self.inline(Inline::Code(c.into_string())),
            Event::Html(h) | Event::InlineHtml(h) => {
                let tag = h.trim().to_ascii_lowercase().replace(' ', "");
                if matches!(tag.as_str(), "<br>" | "<br/>") {
                    self.inline(Inline::Break);
                } else {
                    self.inline(Inline::Text(h.into_string()));
                }
            }
            Event::SoftBreak => self.inline(Inline::Text(" ".into())),
            Event::HardBreak => self.inline(Inline::Break),
            Event::Rule => self.block(Block::Rule),
            Event::TaskListMarker(done) => {
                if let Some(Open::Blocks(BlockContainer::Item(checked), _)) = self.stack.last_mut()
                {
                    *checked = Some(done);
                }
            }
            Event::FootnoteReference(r) => self.inline(Inline::Text(format!("[^{r}]"))),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        // Past the limit a container is transparent: what it holds goes to the one outside.
        let block = matches!(tag, Tag::BlockQuote(_) | Tag::List(_) | Tag::Item);
        let inline = matches!(
            tag,
            Tag::Strong | Tag::Emphasis | Tag::Strikethrough | Tag::Link { .. }
        );
        if block && (self.blocks_flattened > 0 || self.blocks_open >= MAX_NESTING) {
            self.blocks_flattened += 1;
            self.new_paragraph = true;
            return;
        }
        if inline && (self.inlines_flattened > 0 || self.inlines_open >= MAX_NESTING) {
            self.inlines_flattened += 1;
            return;
        }
        self.blocks_open += usize::from(block);
        self.inlines_open += usize::from(inline);
        let open = match tag {
            Tag::Heading { level, .. } => Open::Inlines(Container::Heading(heading(level)), vec![]),
            Tag::Paragraph => Open::Inlines(Container::Paragraph, vec![]),
            Tag::Strong => Open::Inlines(Container::Strong, vec![]),
            Tag::Emphasis => Open::Inlines(Container::Emphasis, vec![]),
            Tag::Strikethrough => Open::Inlines(Container::Strike, vec![]),
            Tag::Link { dest_url, .. } => {
                Open::Inlines(Container::Link(dest_url.into_string()), vec![])
            }
            Tag::BlockQuote(_) => Open::Blocks(BlockContainer::Quote, vec![]),
            Tag::List(start) => Open::Blocks(
                BlockContainer::List {
                    ordered: start.is_some(),
                    items: vec![],
                },
                vec![],
            ),
            Tag::Item => Open::Blocks(BlockContainer::Item(None), vec![]),
            Tag::CodeBlock(_) => Open::CodeBlock(String::new()),
            Tag::Table(_) => Open::Table {
                header: vec![],
                rows: vec![],
                in_head: false,
            },
            Tag::TableHead => {
                if let Some(Open::Table { in_head, .. }) = self.stack.last_mut() {
                    *in_head = true;
                }
                Open::Row(vec![])
            }
            Tag::TableRow => Open::Row(vec![]),
            Tag::TableCell => Open::Inlines(Container::Cell, vec![]),
            // Images keep their alt text; everything else is transparent.
            _ => return,
        };
        self.stack.push(open);
    }

    fn end(&mut self, tag: TagEnd) {
        let transparent = !matches!(
            tag,
            TagEnd::Heading(_)
                | TagEnd::Paragraph
                | TagEnd::Strong
                | TagEnd::Emphasis
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::BlockQuote(_)
                | TagEnd::List(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::Table
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::TableCell
        );
        if transparent {
            return;
        }
        // Ends nest as their starts did: the innermost open one of a kind was flattened, if any.
        let block = matches!(tag, TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item);
        let inline = matches!(
            tag,
            TagEnd::Strong | TagEnd::Emphasis | TagEnd::Strikethrough | TagEnd::Link
        );
        if block && self.blocks_flattened > 0 {
            self.blocks_flattened -= 1;
            self.new_paragraph = true;
            return;
        }
        if inline && self.inlines_flattened > 0 {
            self.inlines_flattened -= 1;
            return;
        }
        self.blocks_open -= usize::from(block && self.blocks_open > 0);
        self.inlines_open -= usize::from(inline && self.inlines_open > 0);
        let Some(open) = self.stack.pop() else { return };
        match open {
            Open::Inlines(container, inlines) => match container {
                Container::Heading(level) => self.block(Block::Heading { level, inlines }),
                Container::Paragraph => self.block(Block::Paragraph(inlines)),
                Container::Strong => self.inline(Inline::Strong(inlines)),
                Container::Emphasis => self.inline(Inline::Emphasis(inlines)),
                Container::Strike => self.inline(Inline::Strike(inlines)),
                Container::Link(url) => self.inline(Inline::Link {
                    url,
                    children: inlines,
                }),
                Container::Cell => {
                    if let Some(Open::Row(cells)) = self.stack.last_mut() {
                        cells.push(inlines);
                    }
                }
            },
            Open::Blocks(container, blocks) => match container {
                BlockContainer::Quote => self.block(Block::Quote(blocks)),
                BlockContainer::List { ordered, items } => {
                    self.block(Block::List { ordered, items })
                }
                BlockContainer::Item(checked) => {
                    if let Some(Open::Blocks(BlockContainer::List { items, .. }, _)) =
                        self.stack.last_mut()
                    {
                        items.push(Item { checked, blocks });
                    }
                }
            },
            Open::Row(cells) => {
                if let Some(Open::Table {
                    header,
                    rows,
                    in_head,
                }) = self.stack.last_mut()
                {
                    if *in_head {
                        *header = cells;
                        *in_head = false;
                    } else {
                        rows.push(cells);
                    }
                }
            }
            Open::Table { header, rows, .. } => self.block(Block::Table { header, rows }),
            Open::CodeBlock(code) => {
                self.block(Block::Code(code.trim_end_matches('\n').to_string()))
            }
        }
    }

    /// An inline goes into the innermost inline container; text loose in a list item (a
    /// "tight" list has no paragraphs) gets a paragraph of its own.
    fn inline(&mut self, inline: Inline) {
        let new_paragraph = std::mem::take(&mut self.new_paragraph);
        match self.stack.last_mut() {
            Some(Open::Inlines(_, inlines)) => inlines.push(inline),
            Some(Open::Blocks(container, blocks)) => {
                let in_item = matches!(container, BlockContainer::Item(_)) && !new_paragraph;
                match blocks.last_mut() {
                    Some(Block::Paragraph(p)) if in_item => p.push(inline),
                    _ => blocks.push(Block::Paragraph(vec![inline])),
                }
            }
            _ => self.done.push(Block::Paragraph(vec![inline])),
        }
    }

    fn block(&mut self, block: Block) {
        self.new_paragraph = false;
        match self.stack.last_mut() {
            Some(Open::Blocks(_, blocks)) => blocks.push(block),
            _ => self.done.push(block),
        }
    }

    fn finish(self) -> Vec<Block> {
        self.done
    }
}

fn heading(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn headings_paragraphs_and_emphasis() {
        let b = parse("# Title\n\nSome **bold**, *it* and `code`.\n\n## Part");
        assert_eq!(
            b,
            vec![
                Block::Heading {
                    level: 1,
                    inlines: vec![text("Title")]
                },
                Block::Paragraph(vec![
                    text("Some "),
                    Inline::Strong(vec![text("bold")]),
                    text(", "),
                    Inline::Emphasis(vec![text("it")]),
                    text(" and "),
                    Inline::Code("code".into()),
                    text("."),
                ]),
                Block::Heading {
                    level: 2,
                    inlines: vec![text("Part")]
                },
            ]
        );
    }

    #[test]
    fn tables_keep_cells_and_line_breaks() {
        let b = parse("| A | B |\n|---|---|\n| 1<br>2 | x \\| y |\n");
        let Block::Table { header, rows } = &b[0] else {
            panic!("{b:?}")
        };
        assert_eq!(header, &vec![vec![text("A")], vec![text("B")]]);
        assert_eq!(rows[0][0], vec![text("1"), Inline::Break, text("2")]);
        assert_eq!(plain(&rows[0][1]), "x | y");
    }

    #[test]
    fn lists_task_lists_and_quotes() {
        let b =
            parse("- one\n- two\n\n1. first\n\n- [ ] todo\n- [x] done\n\n> **Missing:** no answer");
        assert!(matches!(&b[0], Block::List { ordered: false, items } if items.len() == 2));
        assert!(matches!(&b[1], Block::List { ordered: true, items } if items.len() == 1));
        let Block::List { items, .. } = &b[2] else {
            panic!()
        };
        assert_eq!(items[0].checked, Some(false));
        assert_eq!(items[1].checked, Some(true));
        let Block::Quote(inner) = &b[3] else {
            panic!("{b:?}")
        };
        assert_eq!(
            inner[0],
            Block::Paragraph(vec![
                Inline::Strong(vec![text("Missing:")]),
                text(" no answer")
            ])
        );
    }

    #[test]
    fn raw_html_is_text_never_markup() {
        let b = parse("Hello <script>alert(1)</script> there");
        assert_eq!(
            plain(match &b[0] {
                Block::Paragraph(p) => p,
                _ => panic!(),
            }),
            "Hello <script>alert(1)</script> there"
        );
        let b = parse("<div>block html</div>");
        let Block::Paragraph(p) = &b[0] else {
            panic!("{b:?}")
        };
        assert!(plain(p).contains("<div>block html</div>"), "{b:?}");
    }

    /// How deep blocks nest, counted without recursion.
    fn depth(blocks: &[Block]) -> usize {
        let mut deepest = 0;
        let mut todo: Vec<(&Block, usize)> = blocks.iter().map(|b| (b, 1)).collect();
        while let Some((b, d)) = todo.pop() {
            deepest = deepest.max(d);
            match b {
                Block::Quote(inner) => todo.extend(inner.iter().map(|b| (b, d + 1))),
                Block::List { items, .. } => {
                    for item in items {
                        todo.extend(item.blocks.iter().map(|b| (b, d + 1)));
                    }
                }
                Block::Paragraph(inlines) => {
                    let mut open: Vec<(&Inline, usize)> = inlines.iter().map(|i| (i, d)).collect();
                    while let Some((i, d)) = open.pop() {
                        deepest = deepest.max(d);
                        if let Inline::Strong(c) | Inline::Emphasis(c) | Inline::Strike(c) = i {
                            open.extend(c.iter().map(|i| (i, d + 1)));
                        }
                    }
                }
                _ => {}
            }
        }
        deepest
    }

    #[test]
    fn nesting_is_bounded_and_what_is_deeper_is_kept_flat() {
        // Each quote level is one; each list level two (the list, then its item).
        let cases = [
            (format!("{}deep", "> ".repeat(100_000)), MAX_NESTING + 1),
            (format!("{}deep", "- ".repeat(20_000)), MAX_NESTING + 1),
            (
                format!("{}x{}", "*".repeat(10_000), "*".repeat(10_000)),
                2 * MAX_NESTING,
            ),
            ("> > > three".to_string(), 4),
            ("- a\n  - b\n    - c".to_string(), 7),
        ];
        for (md, most) in cases {
            let blocks = parse(&md);
            let d = depth(&blocks);
            assert!(d <= most, "{}…: depth {d}", &md[..10.min(md.len())]);
            assert!(
                format!("{blocks:?}").contains(['d', 'x', 'c']),
                "the text is kept"
            );
        }
        // A list deeper than the limit keeps each item's text apart.
        let deep: String = (0..MAX_NESTING + 3)
            .map(|n| format!("{}- item {n}\n", "  ".repeat(n)))
            .collect();
        let text = format!("{:?}", parse(&deep));
        for n in 0..MAX_NESTING + 3 {
            assert!(text.contains(&format!("item {n}\"")), "item {n}: {text}");
        }
    }

    #[test]
    fn code_blocks_and_links() {
        let b = parse("```text\nline 1\nline 2\n```\n\nSee [the site](https://example.com).");
        assert_eq!(b[0], Block::Code("line 1\nline 2".into()));
        let Block::Paragraph(p) = &b[1] else { panic!() };
        assert_eq!(
            p[1],
            Inline::Link {
                url: "https://example.com".into(),
                children: vec![text("the site")]
            }
        );
    }
}
