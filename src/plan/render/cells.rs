//! A table cell's list, as Word and the web page show it: the Markdown cell holds its items
//! as lines after a bullet (`• a<br>• b`), which become real list items.

use super::blocks::{Inline, plain};
use crate::sections::table::{BULLET, list_items};

/// The cell's list items without their bullets, when it is a list.
pub fn items(cell: &[Inline]) -> Option<Vec<Vec<Inline>>> {
    list_items(&plain(cell))?;
    let lines = cell
        .split(|i| *i == Inline::Break)
        .filter(|i| !i.is_empty());
    let item = |line: &[Inline]| {
        let mut item = line.to_vec();
        if let Some(Inline::Text(t)) = item.first_mut() {
            *t = t
                .trim_start()
                .trim_start_matches(BULLET.trim_end())
                .trim_start()
                .into();
        }
        item
    };
    Some(lines.map(item).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::render::blocks::{Block, parse};

    fn cell(md: &str) -> Vec<Inline> {
        match parse(&format!("| A |\n|---|\n| {md} |\n")).remove(0) {
            Block::Table { mut rows, .. } => rows[0].remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bulleted_lines_are_items_and_the_rest_is_not_a_list() {
        let text = |items: Vec<Vec<Inline>>| items.iter().map(|i| plain(i)).collect::<Vec<_>>();
        assert_eq!(
            text(items(&cell("• one<br>• **two**")).unwrap()),
            ["one", "two"]
        );
        let two = &items(&cell("• one<br>• **two**")).unwrap()[1];
        assert!(matches!(two[1], Inline::Strong(_)), "{two:?}");
        for prose in ["• one", "one<br>two", "plain", ""] {
            assert_eq!(items(&cell(prose)), None, "{prose}");
        }
    }
}
