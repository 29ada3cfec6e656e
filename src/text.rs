//! Small text helpers shared by every layer: plurals, English lists, "did you mean", line and
//! column, shell quoting, one-line snippets, blank-line tidying and dates.

use std::time::{SystemTime, UNIX_EPOCH};

/// "1 section", "2 sections".
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "A", "A and B", "A, B and C".
pub fn list_en<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// The closest known name, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(input: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (strsim::jaro_winkler(input, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The largest char boundary at or below `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Quotes a value for a POSIX shell when it needs it.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The text on one line (runs of whitespace become one space), cut to `max` characters.
pub fn snippet(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        None => one_line,
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
    }
}

/// Trims the text and each line's end, and collapses runs of blank lines into one: what
/// conditional template blocks leave behind.
pub fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

/// A byte count for people: "512 bytes", "64 KiB", "4 MiB", "1.5 GiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return plural(n as usize, "byte");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `s` with a final newline.
pub fn with_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

// ---------------------------------------------------------------------------------------------
// Words

/// Whether `needle` stands in `haystack` as whole words, ignoring case: "Rahman" is in
/// "Rahman's team" and "ask Rahman." but not in "Rahmanov"; "Quist" is not in "Quistorp".
pub fn contains_word(haystack: &str, needle: &str) -> bool {
    contains_word_lowered(&haystack.to_lowercase(), needle)
}

/// [`contains_word`] in a haystack already lowercased: one text searched for many needles is
/// lowercased once.
pub fn contains_word_lowered(hay: &str, needle: &str) -> bool {
    let needle = needle.trim();
    // Most needles are lowercase already (word lists): no copy for those.
    let needle: std::borrow::Cow<str> = match needle.chars().any(char::is_uppercase) {
        true => needle.to_lowercase().into(),
        false => needle.into(),
    };
    if needle.is_empty() {
        return false;
    }
    let word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut from = 0;
    while let Some(at) = hay[from..].find(needle.as_ref()) {
        let start = from + at;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        if !word_char(before) && !word_char(after) {
            return true;
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Whether any of `phrases` stands in `text` as whole words, ignoring case.
pub fn contains_any_word(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| contains_word(text, p))
}

// ---------------------------------------------------------------------------------------------
// Dates

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "2027-03-01" → "1 March 2027": unambiguous in every locale. `None` if it is not a date.
pub fn long_date(iso: &str) -> Option<String> {
    let mut parts = iso.get(..10)?.split('-');
    let (y, m, d) = (
        parts.next()?,
        parts.next()?.parse::<usize>().ok()?,
        parts.next()?.parse::<u32>().ok()?,
    );
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) || !(1..=31).contains(&d) {
        return None;
    }
    Some(format!("{d} {} {y}", MONTHS.get(m.checked_sub(1)?)?))
}

/// (year, month, day) to days since 1970-01-01, Howard Hinnant's days-from-civil.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The day of the week, Monday 0 to Sunday 6 (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

/// The ISO week a day falls in: (ISO year, week 1 to 53). Week 1 holds the year's first
/// Thursday; a week belongs to the year (and month) its Thursday is in.
pub fn iso_week(days: i64) -> (i64, u32) {
    let thursday = days - weekday(days) + 3;
    let (year, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    (year, week as u32)
}

/// The Monday of ISO week `week` of `year`.
pub fn iso_week_monday(year: i64, week: u32) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - weekday(jan4) + 7 * (i64::from(week) - 1)
}

/// The month named by `word` (English, full or three letters), 1 to 12.
pub fn month_number(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    let i = MONTHS.iter().position(|m| {
        m.to_lowercase() == w || (w.len() == 3 && m.to_lowercase().starts_with(&w))
    })?;
    Some(i as u32 + 1)
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's civil-from-days.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(secs)
}

pub fn today_iso() -> String {
    now_rfc3339()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only() {
        let cases = [
            ("Rahman's team", "Rahman", true),
            ("ask rahman.", "Rahman", true),
            ("Rahmanov", "Rahman", false),
            ("Quistorp and Quist", "Quist", true),
            ("Quistorp", "Quist", false),
            ("the project team sends it", "project team", true),
            ("project teams", "project team", false),
            ("Zoë Ångström", "ångström", true),
            ("", "x", false),
            ("x", " ", false),
        ];
        for (hay, needle, want) in cases {
            assert_eq!(contains_word(hay, needle), want, "{needle:?} in {hay:?}");
        }
        assert!(contains_any_word("a weekly huddle", &["meeting", "huddle"]));
    }

    #[test]
    fn iso_weeks() {
        let cases = [
            ((2027, 3, 1), (2027, 9)),
            ((2027, 1, 1), (2026, 53)),
            ((2026, 12, 31), (2026, 53)),
            ((2027, 1, 4), (2027, 1)),
            ((2024, 12, 30), (2025, 1)),
            ((2021, 1, 3), (2020, 53)),
        ];
        for ((y, m, d), want) in cases {
            let day = days_from_civil(y, m, d);
            assert_eq!(iso_week(day), want, "{y}-{m}-{d}");
            assert_eq!(iso_week(iso_week_monday(want.0, want.1)), want);
            assert_eq!(weekday(iso_week_monday(want.0, want.1)), 0);
        }
    }

    #[test]
    fn civil_days_round_trip() {
        for days in [-1, 0, 59, 365, 20_000, 20_513] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            days_from_civil(2027, 3, 1) - days_from_civil(2027, 2, 28),
            1
        );
        assert_eq!(month_number("mar"), Some(3));
        assert_eq!(month_number("September"), Some(9));
        assert_eq!(month_number("Mai"), None);
    }

    #[test]
    fn plurals() {
        for (n, want) in [(0, "0 sections"), (1, "1 section"), (2, "2 sections")] {
            assert_eq!(plural(n, "section"), want);
        }
    }

    #[test]
    fn english_lists() {
        let cases: &[(&[&str], &str)] = &[
            (&[], ""),
            (&["A"], "A"),
            (&["A", "B"], "A and B"),
            (&["A", "B", "C"], "A, B and C"),
            (&["A, Inc.", "B"], "A, Inc. and B"),
        ];
        for (items, want) in cases {
            assert_eq!(list_en(items), *want, "{items:?}");
        }
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let known = ["resistance", "communication", "metrics"];
        let cases = [
            ("resistence", Some("resistance")),
            ("metric", Some("metrics")),
            ("comunication", Some("communication")),
            ("xyz", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(did_you_mean(input, known.iter().copied()), want, "{input}");
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\ncé d\n\nx";
        let cases = [
            (0, (1, 1)),
            (2, (1, 3)),
            (3, (2, 1)),
            (6, (2, 3)),  // after "cé" (é is two bytes)
            (5, (2, 2)),  // inside é: rounded down to its start
            (9, (3, 1)),  // the empty line
            (99, (4, 2)), // past the end: clamped
        ];
        for (offset, want) in cases {
            assert_eq!(line_col(text, offset), want, "offset {offset}");
        }
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        let cases = [
            ("plain-file.toml", "plain-file.toml"),
            ("a b", "'a b'"),
            ("", "''"),
            ("it's", "'it'\\''s'"),
            ("$HOME", "'$HOME'"),
            ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
            ("x;rm", "'x;rm'"),
        ];
        for (input, want) in cases {
            assert_eq!(shell_word(input), want, "{input}");
        }
    }

    #[test]
    fn byte_counts() {
        let cases = [
            (0, "0 bytes"),
            (1, "1 byte"),
            (1023, "1023 bytes"),
            (1024, "1 KiB"),
            (64 * 1024, "64 KiB"),
            (1536, "1.5 KiB"),
            (4 << 20, "4 MiB"),
            (3 << 30, "3 GiB"),
        ];
        for (n, want) in cases {
            assert_eq!(bytes(n), want, "{n}");
        }
    }

    #[test]
    fn snippets_are_one_line_and_cut_on_characters() {
        assert_eq!(snippet("a\n  b\tc", 10), "a b c");
        assert_eq!(snippet("ééééé", 3), "ééé…");
        assert_eq!(snippet("abc", 3), "abc");
        assert_eq!(snippet("", 3), "");
    }

    #[test]
    fn blank_lines_collapse_and_lines_lose_trailing_space() {
        let cases = [
            ("\n\na  \n\n\n\nb\n\n", "a\n\nb"),
            ("a\n \n\t\nb", "a\n\nb"),
            ("one", "one"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(collapse_blank_lines(input), want, "{input:?}");
        }
    }

    #[test]
    fn long_dates() {
        let cases = [
            ("2027-03-01", Some("1 March 2027")),
            ("2026-12-31T10:00:00Z", Some("31 December 2026")),
            ("2027-13-01", None),
            ("2027-00-01", None),
            ("2027-01-40", None),
            ("27-01-01", None),
            ("soon", None),
        ];
        for (input, want) in cases {
            assert_eq!(long_date(input).as_deref(), want, "{input}");
        }
    }

    #[test]
    fn civil_dates_and_timestamps() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19782), (2024, 2, 29));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(today_iso().len(), 10);
    }
}
