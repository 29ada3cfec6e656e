//! A tracker sheet sized and set up to print: column widths by what the columns hold, capped
//! so a landscape page one sheet wide keeps the text readable, rows as tall as their text,
//! and a header and footer naming the project, the draft status and "Page N of M".

use super::super::measure::{Font, share};

/// Excel's width unit is the width of a "0" in Calibri 11: 7 pixels, plus 5 of padding.
const ZERO: f64 = 7.0;
const PAD: f64 = 5.0;
/// A pixel is three quarters of a point: 15 twips.
const TWIPS: f64 = 15.0;
/// Room a cell leaves on each side of its text, in pixels.
const INSIDE: f64 = 3.0;
/// All columns together at most this many units wide: a landscape page one sheet wide then
/// prints at about 80%, 9 pt text.
const BUDGET: f64 = 170.0;
/// No text column is wider than this or narrower than that.
const WIDEST: f64 = 50.0;
const NARROWEST: f64 = 8.0;
/// A line of Calibri 11, in points; Excel's tallest row.
const LINE: f64 = 15.0;
const TALLEST: f64 = 409.0;

/// Widths in Excel's units for columns holding `texts` (a column's header first, then its
/// cells), or the `fixed` width given for a column people fill in, widened to its longest
/// word (a German owner, "Implementierungsleitung", is not cut in two).
pub(super) fn widths(texts: &[Vec<&str>], fixed: &[Option<f64>]) -> Vec<f64> {
    let font = Font::new(11.0);
    let units = |twips: f64| ((twips / TWIPS + 2.0 * INSIDE - PAD) / ZERO).ceil();
    let need = |column: &Vec<&str>| {
        let fonts = std::iter::once(font.bold()).chain(std::iter::repeat(font));
        let (mut least, mut most, mut text) = (NARROWEST, NARROWEST, 0.0);
        for (t, font) in column.iter().zip(fonts) {
            least = least.max(units(font.longest_word(t)));
            let line = t.lines().map(|l| font.width(l)).fold(0.0, f64::max);
            most = most.max(units(line));
            text += font.width(t);
        }
        (
            least.min(WIDEST),
            most.clamp(least.min(WIDEST), WIDEST),
            text,
        )
    };
    let needs: Vec<(f64, f64, f64)> = texts.iter().map(need).collect();
    let fixed: Vec<Option<f64>> = (0..texts.len())
        .map(|c| fixed.get(c).copied().flatten().map(|w| w.max(needs[c].0)))
        .collect();
    let open: Vec<usize> = (0..texts.len())
        .filter(|&c| fixed.get(c).copied().flatten().is_none())
        .collect();
    let taken: f64 = fixed.iter().flatten().sum();
    // Up to each column's longest line, within the budget; never beyond what they would use,
    // never narrower than a column's longest word (the page then prints smaller).
    let wanted: f64 = open.iter().map(|&c| needs[c].1).sum();
    let least: f64 = open.iter().map(|&c| needs[c].0).sum();
    let room = (BUDGET - taken).min(wanted).max(least);
    let bounds: Vec<(f64, f64, f64)> = open.iter().map(|&c| needs[c]).collect();
    let mut shared = share(&bounds, room).into_iter();
    (0..texts.len())
        .map(|c| match fixed.get(c).copied().flatten() {
            Some(w) => w,
            None => shared.next().unwrap_or(NARROWEST).floor(),
        })
        .collect()
}

/// A row's height in points: its tallest cell's lines in its column (`bold` for a header).
pub(super) fn height(cells: &[&str], widths: &[f64], bold: bool) -> f64 {
    let font = if bold {
        Font::new(11.0).bold()
    } else {
        Font::new(11.0)
    };
    let room = |w: f64| ((w * ZERO + PAD - 2.0 * INSIDE) * TWIPS).max(TWIPS);
    let lines = |(t, w): (&&str, &f64)| {
        if t.is_empty() {
            1
        } else {
            font.lines(t, room(*w))
        }
    };
    let tallest = cells.iter().zip(widths).map(lines).max().unwrap_or(1);
    (tallest as f64 * LINE).min(TALLEST)
}

/// The page header and footer: the project on the left of the header and the sheet on its
/// right; the draft notice on the left of the footer and `pages` ("Page &P of &N", Excel's
/// codes for the page and the count, in the plan's language) on its right; a marking (a
/// confidential annex's), in bold, in the middle of both. Excel takes `&` as a code, so the
/// texts' own are doubled, and each side stays within its limit of 255 characters.
pub(super) fn header_footer(
    project: &str,
    notice: &str,
    marking: Option<&str>,
    pages: &str,
) -> (String, String) {
    let text = |s: &str, most: usize| {
        let s: String = s.chars().filter(|c| !c.is_control()).collect();
        let cut: String = s.chars().take(most).collect();
        let cut = if cut.len() < s.len() {
            format!("{cut}…")
        } else {
            cut
        };
        cut.replace('&', "&&")
    };
    let centre = marking.map_or(String::new(), |m| format!("&C&B{}&B", text(m, 40)));
    let header = format!("&L{}{centre}&R&A", text(project, 100));
    let footer = format!("&L{}{centre}&R{pages}", text(notice, 100));
    (header, footer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_room_by_what_they_hold_within_the_budget() {
        let long = "a long sentence of ordinary words ".repeat(6);
        let texts = vec![
            vec!["Name", "Ann"],
            vec!["Notes", long.as_str()],
            vec!["Status", ""],
        ];
        let w = widths(&texts, &[None, None, Some(14.0)]);
        assert_eq!(w[0], NARROWEST, "a short column stays narrow: {w:?}");
        assert_eq!(w[1], WIDEST, "a long one stops at the cap: {w:?}");
        assert_eq!(w[2], 14.0, "a fixed one keeps its width");
        // ... unless a word in it is wider: a German owner is not cut in two.
        let texts = vec![vec!["Verantwortlich", "Implementierungsleitung"]];
        let w = widths(&texts, &[Some(14.0)]);
        assert!(w[0] > 14.0, "{w:?}");
        let word = Font::new(11.0).longest_word("Implementierungsleitung");
        assert!(w[0] * ZERO + PAD - 2.0 * INSIDE >= word / TWIPS, "{w:?}");
        // Many long columns share the budget; none gets narrower than its longest word.
        let word = "Accountabilities";
        let texts: Vec<Vec<&str>> = (0..12).map(|_| vec![word, long.as_str()]).collect();
        let w = widths(&texts, &[]);
        let least =
            ((Font::new(11.0).bold().width(word) / TWIPS + 2.0 * INSIDE - PAD) / ZERO).ceil();
        assert!(w.iter().all(|&x| x >= least), "{w:?} ≥ {least}");
        assert!(w.iter().sum::<f64>() <= BUDGET.max(12.0 * least), "{w:?}");
        let texts: Vec<Vec<&str>> = (0..6).map(|_| vec!["Head", long.as_str()]).collect();
        let total: f64 = widths(&texts, &[]).iter().sum();
        assert!(
            total > BUDGET - 6.0 && total <= BUDGET,
            "the budget, shared: {total}"
        );
    }

    #[test]
    fn rows_are_as_tall_as_their_text() {
        let long = "word ".repeat(60);
        assert_eq!(height(&["short", ""], &[20.0, 10.0], false), LINE);
        let tall = height(&["short", &long], &[20.0, 20.0], false);
        // 60 words of 5 characters, about 4 to a line of a column 20 units wide.
        assert!((13.0 * LINE..=16.0 * LINE).contains(&tall), "{tall}");
        assert_eq!(height(&["a\nb\nc"], &[20.0], true), 3.0 * LINE);
        assert_eq!(height(&[&"word ".repeat(9000)], &[10.0], false), TALLEST);
    }

    #[test]
    fn the_header_and_footer_name_the_project_and_count_pages() {
        let pages = "Page &P of &N";
        let (header, footer) = header_footer("R&D rollout", "DRAFT for review", None, pages);
        assert_eq!(header, "&LR&&D rollout&R&A");
        assert_eq!(footer, "&LDRAFT for review&RPage &P of &N");
        let (header, footer) = header_footer("P", "N", Some("Confidential"), pages);
        assert_eq!(header, "&LP&C&BConfidential&B&R&A");
        assert_eq!(footer, "&LN&C&BConfidential&B&RPage &P of &N");
        let (_, footer) = header_footer("P", "N", None, "Seite &P von &N");
        assert_eq!(footer, "&LN&RSeite &P von &N");
        let (header, footer) = header_footer(
            &"é".repeat(400),
            &"n".repeat(400),
            Some(&"m".repeat(400)),
            pages,
        );
        assert!(header.encode_utf16().count() <= 255 && footer.encode_utf16().count() <= 255);
        assert!(header.contains('…'));
    }
}
