//! Dates, lists, numbers and plural forms as a language writes them, from CLDR's data through
//! ICU4X (compiled into the binary: no data files, every locale CLDR knows). A language a
//! user adds with a catalog of their own gets its dates and lists right too.
//!
//! Plain `en` writes British-style dates and lists ("1 March 2027", "A, B and C"), as plan-ai
//! always has; `en-US` gets "March 1, 2027" and "A, B, and C".

use icu_calendar::{Date, Gregorian};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::YMD;
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use icu_list::ListFormatter;
use icu_list::options::{ListFormatterOptions, ListLength};
use icu_locale_core::Locale;
use icu_plurals::{PluralCategory, PluralRules};

/// The locale whose conventions a language's text follows: plain `en` as en-GB.
pub(super) fn conventions(locale: &Locale) -> Locale {
    let id = &locale.id;
    if id.language.as_str() == "en" && id.region.is_none() && id.script.is_none() {
        return "en-GB".parse().unwrap_or_else(|_| locale.clone());
    }
    locale.clone()
}

/// `YYYY-MM-DD` (anything after the tenth character ignored) as (year, month, day).
pub(super) fn ymd(iso: &str) -> Option<(i32, u8, u8)> {
    let s = iso.get(..10)?;
    let b = s.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| {
        let part = &s[r];
        part.bytes().all(|c| c.is_ascii_digit()).then_some(part)
    };
    Some((
        digits(0..4)?.parse().ok()?,
        digits(5..7)?.parse().ok()?,
        digits(8..10)?.parse().ok()?,
    ))
}

/// "8. März 2027", "8 mars 2027", "8 de marzo de 2027": CLDR's long date. `None` when `iso`
/// is not a real date.
pub(super) fn long_date(iso: &str, locale: &Locale) -> Option<String> {
    let (y, m, d) = ymd(iso)?;
    let date = Date::try_new_gregorian(y, m, d).ok()?;
    let f = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(
        conventions(locale).into(),
        YMD::long(),
    )
    .ok()?;
    Some(f.format(&date).to_string())
}

/// "A, B und C", "A, B et C", "A, B y C" ("e" before an i sound in Spanish): CLDR's "and" list.
pub(super) fn list<S: AsRef<str>>(items: &[S], locale: &Locale) -> String {
    let options = ListFormatterOptions::default().with_length(ListLength::Wide);
    match ListFormatter::try_new_and(conventions(locale).into(), options) {
        Ok(f) => f.format_to_string(items.iter().map(AsRef::as_ref)),
        Err(_) => crate::text::list_en(items),
    }
}

/// "12,345", "12.345", "12 345": a whole number with the language's grouping.
pub(super) fn number(n: i64, locale: &Locale) -> String {
    match DecimalFormatter::try_new(conventions(locale).into(), Default::default()) {
        Ok(f) => f.format(&Decimal::from(n)).to_string(),
        Err(_) => n.to_string(),
    }
}

/// The characters the language writes between whole and decimal part, and between groups of
/// thousands: ('.', ',') in English, (',', '.') in German, (',', U+202F) in French.
pub(super) fn separators(locale: &Locale) -> (char, char) {
    let Ok(f) = DecimalFormatter::try_new(conventions(locale).into(), Default::default()) else {
        return ('.', ',');
    };
    let symbol = |s: &str| {
        let d = Decimal::try_from_str(s).ok()?;
        f.format(&d)
            .to_string()
            .chars()
            .find(|c| !c.is_ascii_digit())
    };
    (symbol("1.5").unwrap_or('.'), symbol("10000").unwrap_or(','))
}

/// The CLDR plural category of `n` ("one", "other", "many"…).
pub(super) fn plural_form(n: u64, locale: &Locale) -> &'static str {
    let Ok(rules) = PluralRules::try_new_cardinal(conventions(locale).into()) else {
        return if n == 1 { "one" } else { "other" };
    };
    match rules.category_for(n) {
        PluralCategory::Zero => "zero",
        PluralCategory::One => "one",
        PluralCategory::Two => "two",
        PluralCategory::Few => "few",
        PluralCategory::Many => "many",
        PluralCategory::Other => "other",
    }
}
