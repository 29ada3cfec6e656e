//! How wide text is on a page, so Word and HTML tables can be laid out by measuring rather
//! than guessing: Calibri's advance widths (Carlito's, its metric twin that LibreOffice uses),
//! greedy line wrapping as a word processor does it, and sharing a width between columns.
//! A table of 95 widths per weight is all this needs; a font parser would need the font.

/// Advance widths of ASCII 32..=126 in thousandths of an em: Calibri (Carlito) regular.
const REGULAR: [u16; 95] = [
    226, 326, 401, 498, 507, 715, 682, 221, 303, 303, 498, 498, 250, 306, 252, 386, 507, 507, 507,
    507, 507, 507, 507, 507, 507, 507, 268, 268, 498, 498, 498, 463, 894, 579, 544, 533, 615, 488,
    459, 631, 623, 252, 319, 520, 420, 855, 646, 662, 517, 673, 543, 459, 487, 642, 567, 890, 519,
    487, 468, 307, 386, 307, 498, 498, 291, 479, 525, 423, 525, 498, 305, 471, 525, 229, 239, 455,
    229, 799, 525, 527, 525, 525, 349, 391, 335, 525, 452, 715, 433, 453, 395, 314, 460, 314, 498,
];
/// The same, bold.
const BOLD: [u16; 95] = [
    226, 326, 438, 498, 507, 729, 705, 233, 312, 312, 498, 498, 258, 306, 267, 430, 507, 507, 507,
    507, 507, 507, 507, 507, 507, 507, 276, 276, 498, 498, 498, 463, 898, 606, 561, 529, 630, 488,
    459, 637, 631, 267, 331, 547, 423, 874, 659, 676, 532, 686, 563, 473, 495, 653, 591, 906, 551,
    520, 478, 325, 430, 325, 498, 498, 300, 494, 537, 418, 537, 503, 316, 474, 537, 246, 255, 480,
    246, 813, 537, 538, 537, 537, 355, 399, 347, 537, 473, 745, 459, 474, 397, 344, 475, 344, 498,
];

/// A font: its size in points and weight, and how much wider than Calibri it may be (a
/// reference document's own font is not known exactly, so its text is measured generously).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Font {
    pub points: f64,
    pub bold: bool,
    pub scale: f64,
}

impl Default for Font {
    /// plan-ai's table text: 10 pt Calibri.
    fn default() -> Font {
        Font::new(10.0)
    }
}

impl Font {
    pub fn new(points: f64) -> Font {
        Font {
            points,
            bold: false,
            scale: 1.0,
        }
    }

    pub fn bold(self) -> Font {
        Font { bold: true, ..self }
    }

    /// A character's advance in thousandths of an em.
    fn em(&self, c: char) -> f64 {
        let table = if self.bold { &BOLD } else { &REGULAR };
        match c {
            ' '..='~' => f64::from(table[c as usize - 32]),
            // Wide scripts (CJK, emoji) take a full em; other letters about an average one.
            c if c >= '\u{2E80}' => 1000.0,
            _ => 560.0,
        }
    }

    /// The width of `text` on one line, in twentieths of a point (Word's unit, "twips").
    pub fn width(&self, text: &str) -> f64 {
        let em: f64 = text.chars().map(|c| self.em(c)).sum();
        em * self.points * 20.0 / 1000.0 * self.scale
    }

    /// The widest unbreakable piece of `text`: word processors break lines at spaces and
    /// after a hyphen or a slash, so those end a piece (and stay on its line).
    pub fn longest_word(&self, text: &str) -> f64 {
        pieces(text)
            .map(|w| self.width(w.trim_end()))
            .fold(0.0, f64::max)
    }

    /// How many lines `text` takes in a column `width` twips wide, wrapping greedily at the
    /// places a word processor does; each `\n` starts a new line, and a piece wider than the
    /// column takes as many lines as it needs.
    pub fn lines(&self, text: &str, width: f64) -> usize {
        let width = width.max(1.0);
        let mut lines = 0;
        for paragraph in text.split('\n') {
            let (mut count, mut used) = (1, 0.0);
            for piece in pieces(paragraph) {
                let (whole, visible) = (self.width(piece), self.width(piece.trim_end()));
                if used > 0.0 && used + visible > width {
                    count += 1;
                    used = 0.0;
                }
                if used == 0.0 && visible > width {
                    count += (visible / width).ceil() as usize - 1;
                    used = visible % width;
                    continue;
                }
                used += whole;
            }
            lines += count;
        }
        lines
    }
}

/// `text` cut where a line may break: after spaces (kept with the word before them), after a
/// hyphen or a slash.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            let breaks = match c {
                ' ' | '\t' => next.is_some_and(|n| n != ' ' && n != '\t'),
                // "go-live" may break after its hyphen, "- 5" or "a/" at the end may not.
                '-' | '/' => i > 0 && next.is_some_and(char::is_alphanumeric),
                _ => false,
            };
            if breaks {
                end = i + c.len_utf8();
                break;
            }
        }
        let (piece, after) = rest.split_at(end);
        rest = after;
        Some(piece)
    })
}

/// Widths for columns that each need at least `low`, would use up to `high` and hold
/// `weight` of text, sharing `total`: every column gets its `low`, then what is left goes to
/// the columns by their weight, none beyond its `high`; room that nobody can use is shared by
/// weight too (a table fills its width). When even the lows do not fit, they are scaled down.
pub fn share(columns: &[(f64, f64, f64)], total: f64) -> Vec<f64> {
    let least: f64 = columns.iter().map(|c| c.0).sum();
    if least >= total || columns.is_empty() {
        let scale = if least > 0.0 { total / least } else { 0.0 };
        return columns.iter().map(|c| c.0 * scale).collect();
    }
    let weight = |c: &(f64, f64, f64)| c.2.max(1.0);
    // Columns stop at their high one by one, until the rest can share what is left.
    let mut capped = vec![false; columns.len()];
    let mut widths = loop {
        let open = || {
            columns
                .iter()
                .zip(&capped)
                .filter(|(_, c)| !**c)
                .map(|(c, _)| c)
        };
        let fixed: f64 = (columns.iter().zip(&capped))
            .filter(|(_, c)| **c)
            .map(|(c, _)| c.1)
            .sum();
        let free = total - fixed - open().map(|c| c.0).sum::<f64>();
        let weights: f64 = open().map(weight).sum();
        let want = |c: &(f64, f64, f64)| c.0 + free * weight(c) / weights.max(1.0);
        let full: Vec<usize> = (0..columns.len())
            .filter(|&i| !capped[i] && want(&columns[i]) >= columns[i].1)
            .collect();
        if full.is_empty() {
            let width =
                |(c, capped): (&(f64, f64, f64), &bool)| if *capped { c.1 } else { want(c) };
            break columns.iter().zip(&capped).map(width).collect::<Vec<f64>>();
        }
        full.into_iter().for_each(|i| capped[i] = true);
    };
    // Everything fits at its longest line: the rest of the width goes by weight.
    let left = total - widths.iter().sum::<f64>();
    if left > 0.5 {
        let weights: f64 = columns.iter().map(weight).sum();
        for (w, c) in widths.iter_mut().zip(columns) {
            *w += left * weight(c) / weights;
        }
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_calibri() {
        let f = Font::new(10.0);
        // "Resistance" at 10 pt: 543+498+391+229+391+335+479+525+423+498 = 4312 thousandths.
        assert!((f.width("Resistance") - 862.4).abs() < 0.1);
        assert!(f.bold().width("Resistance") > f.width("Resistance"));
        assert_eq!(f.width("中"), 200.0);
        let wider = Font { scale: 1.15, ..f };
        assert!((wider.width("ab") - f.width("ab") * 1.15).abs() < 1e-9);
    }

    #[test]
    fn lines_break_at_spaces_hyphens_and_slashes() {
        let cases = [
            ("one two three", vec!["one ", "two ", "three"]),
            ("go-live and/or", vec!["go-", "live ", "and/", "or"]),
            ("a - b", vec!["a ", "- ", "b"]),
            ("x  y", vec!["x  ", "y"]),
            ("", vec![]),
        ];
        for (text, want) in cases {
            assert_eq!(pieces(text).collect::<Vec<_>>(), want, "{text:?}");
        }
        let f = Font::new(10.0);
        assert_eq!(f.longest_word("Early-warning sign"), f.width("warning"));
    }

    #[test]
    fn lines_wrap_greedily() {
        let f = Font::new(10.0);
        let word = f.width("word ");
        let cases = [
            ("word word word", word * 3.0, 1),
            ("word word word", word * 2.0, 2),
            ("word word word", word * 1.0, 3),
            ("word\nword", word * 5.0, 2),
            ("", 500.0, 1),
            ("wordwordwordword", f.width("word"), 4),
        ];
        for (text, width, want) in cases {
            assert_eq!(f.lines(text, width), want, "{text:?} in {width}");
        }
    }

    #[test]
    fn columns_share_the_width() {
        let round = |v: Vec<f64>| v.into_iter().map(f64::round).collect::<Vec<_>>();
        // (low, high, weight) each; total.
        type Case<'a> = (&'a [(f64, f64, f64)], f64, &'a [f64]);
        let cases: [Case; 5] = [
            // Everything fits at its longest line: the rest goes by weight.
            (&[(10.0, 20.0, 1.0), (10.0, 20.0, 1.0)], 60.0, &[30.0, 30.0]),
            // Room beyond the lows goes by weight; the short column stops at its high.
            (
                &[(10.0, 12.0, 1.0), (10.0, 100.0, 9.0)],
                50.0,
                &[12.0, 38.0],
            ),
            (
                &[(10.0, 100.0, 1.0), (10.0, 100.0, 3.0)],
                60.0,
                &[20.0, 40.0],
            ),
            // Lows that do not fit are scaled down.
            (&[(40.0, 50.0, 1.0), (60.0, 70.0, 1.0)], 50.0, &[20.0, 30.0]),
            (&[], 10.0, &[]),
        ];
        for (columns, total, want) in cases {
            assert_eq!(round(share(columns, total)), want, "{columns:?}");
        }
    }
}
