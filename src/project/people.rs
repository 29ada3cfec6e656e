//! Person-level data and what may leave the machine. The register gives each stakeholder a
//! pseudonym (S01, S02, … in register order); the guard scans text for register names, their
//! parts of three letters or more, titles, champion names, e-mail addresses and phone numbers,
//! and either refuses it (people `local`), replaces each hit (`pseudonymised`: the pseudonym,
//! or `[person]` for a champion who is not in the register; contacts removed) or lets it pass
//! (`shared`). Re-identification, putting the names back, happens locally when the plan is
//! rendered.

use super::model::{Privacy, Project};
use regex_lite::Regex;
use std::sync::LazyLock;

/// Honorifics that are not part of a name to match.
const HONORIFICS: &[&str] = &["dr", "mr", "mrs", "ms", "mx", "prof", "sir", "dame", "miss"];

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A register name, whole.
    Name,
    /// A part of a register name (first name, surname).
    NamePart,
    /// A register title.
    Title,
    /// A champion's name.
    Champion,
    Email,
    Phone,
}

impl Found {
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Name => "the name",
            Found::NamePart => "a part of the name",
            Found::Title => "the title",
            Found::Champion => "the champion name",
            Found::Email => "an e-mail address",
            Found::Phone => "a phone number",
        }
    }
}

/// A person-level word found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub found: Found,
    /// What was found, as written in the project file.
    pub text: String,
    /// Whose it is: the stakeholder's name, if it is one.
    pub person: Option<String>,
    /// What replaces it in a pseudonymised request.
    pub replacement: String,
}

/// One thing to look for.
struct Needle {
    text: String,
    found: Found,
    person: Option<String>,
    replacement: String,
    /// Parts are matched as written (capitalised): "Will" the name, not "will" the verb.
    case_sensitive: bool,
}

/// The stakeholders' pseudonyms and everything that could name them.
pub struct Register {
    /// (pseudonym, name) in register order.
    pub pseudonyms: Vec<(String, String)>,
    needles: Vec<Needle>,
}

/// A stakeholder's pseudonym: S01, S02, … in register order.
pub fn pseudonym(index: usize) -> String {
    format!("S{:02}", index + 1)
}

/// A name's words without honorifics ("Dr. Femi Adeyemi" → Femi, Adeyemi).
pub fn name_words(name: &str) -> Vec<&str> {
    name.split_whitespace()
        .filter(|w| !HONORIFICS.contains(&w.trim_end_matches('.').to_lowercase().as_str()))
        .collect()
}

/// A name or title as documents show it and text would hold it: terminal escapes dropped
/// (with their payload), every run of white space one space.
fn shown(s: &str) -> String {
    let s = crate::sanitize::strip_controls(s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Register {
    pub fn of(p: &Project) -> Register {
        let mut needles = Vec::new();
        let mut pseudonyms = Vec::new();
        for (i, s) in p.stakeholders.iter().enumerate() {
            let alias = pseudonym(i);
            let name = shown(&s.name);
            pseudonyms.push((alias.clone(), name.clone()));
            let person = Some(name.clone());
            let mut push = |text: &str, found, case_sensitive| {
                let text = text.trim().to_string();
                if !text.is_empty() {
                    needles.push(Needle {
                        text,
                        found,
                        person: person.clone(),
                        replacement: alias.clone(),
                        case_sensitive,
                    });
                }
            };
            push(&name, Found::Name, false);
            let words = name_words(&name);
            push(&words.join(" "), Found::Name, false);
            for w in words
                .iter()
                .filter(|w| w.trim_matches('.').chars().count() >= 3)
            {
                push(
                    w.trim_matches(|c: char| !c.is_alphanumeric()),
                    Found::NamePart,
                    true,
                );
            }
            push(&shown(&s.title), Found::Title, false);
        }
        for c in &p.champions {
            let name = shown(&c.name);
            let known = pseudonyms.iter().find(|(_, n)| same_person(n, &name));
            let replacement = known.map_or("[person]".to_string(), |(a, _)| a.clone());
            let person = known.map(|(_, n)| n.clone());
            let words = name_words(&name);
            for (text, found, case) in std::iter::once((name.clone(), Found::Champion, false))
                .chain(
                    words
                        .iter()
                        .filter(|w| w.chars().count() >= 3)
                        .map(|w| (w.to_string(), Found::NamePart, true)),
                )
            {
                needles.push(Needle {
                    text,
                    found,
                    person: person.clone(),
                    replacement: replacement.clone(),
                    case_sensitive: case,
                });
            }
        }
        // Longest first, so a full name is replaced before its parts.
        needles.sort_by_key(|n| std::cmp::Reverse(n.text.chars().count()));
        needles.dedup_by(|a, b| a.text == b.text && a.case_sensitive == b.case_sensitive);
        Register {
            pseudonyms,
            needles,
        }
    }

    /// Every person-level word in `text`.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        self.hits(text).collect()
    }

    /// The first of [`Register::scan`]'s hits, found without looking for the rest.
    pub fn first_hit(&self, text: &str) -> Option<Hit> {
        self.hits(text).next()
    }

    fn hits<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Hit> + 'a {
        let lowered = text.to_lowercase();
        let named = self.needles.iter().filter_map(move |n| {
            let found = if n.case_sensitive {
                contains_word_as_written(text, &n.text)
            } else {
                crate::text::contains_word_lowered(&lowered, &n.text)
            };
            found.then(|| Hit {
                found: n.found,
                text: n.text.clone(),
                person: n.person.clone(),
                replacement: n.replacement.clone(),
            })
        });
        // Looked for only once the names are through (the first hit may end the search).
        let later = |look: fn(&str) -> Vec<(usize, usize)>, found| {
            std::iter::once(())
                .flat_map(move |()| look(text))
                .map(move |(start, end)| contact(found, &text[start..end]))
        };
        named
            .chain(later(email_spans, Found::Email))
            .chain(later(phones, Found::Phone))
    }

    /// `text` with every person-level word replaced: a stakeholder's by their pseudonym, anyone
    /// else's by `[person]`, contacts removed.
    pub fn pseudonymise(&self, text: &str) -> String {
        self.replace(text, true)
    }

    /// [`Register::pseudonymise`], titles aside: what a document meant for wider reading
    /// keeps of a text (a title there is a role: "Owner: Chief Financial Officer").
    pub fn pseudonymise_names(&self, text: &str) -> String {
        self.replace(text, false)
    }

    fn replace(&self, text: &str, titles: bool) -> String {
        let mut out = text.to_string();
        for (start, end) in email_spans(text).into_iter().rev() {
            out.replace_range(start..end, "[e-mail removed]");
        }
        for (start, end) in phones(&out).into_iter().rev() {
            out.replace_range(start..end, "[phone removed]");
        }
        for n in self
            .needles
            .iter()
            .filter(|n| titles || n.found != Found::Title)
        {
            out = replace_word(&out, &n.text, &n.replacement, n.case_sensitive);
        }
        out
    }

    /// Pseudonyms back to names, in text the model wrote.
    pub fn reidentify(&self, text: &str) -> String {
        let mut out = text.to_string();
        // S10 before S1x's prefix S1: longest pseudonyms first is the same as reverse order.
        for (alias, name) in self.pseudonyms.iter().rev() {
            out = replace_word(&out, alias, name, true);
        }
        out
    }

    /// The stakeholder a pseudonym stands for.
    pub fn name_of(&self, alias: &str) -> Option<&str> {
        self.pseudonyms
            .iter()
            .find(|(a, _)| a == alias)
            .map(|(_, n)| n.as_str())
    }
}

fn contact(found: Found, text: &str) -> Hit {
    Hit {
        found,
        text: text.to_string(),
        person: None,
        replacement: String::new(),
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+").expect("a valid pattern")
});
/// E-mail addresses in `text`. The pattern runs only where an `@` is: regex-lite has no
/// literal prefilter, and every prompt passes here.
fn email_spans(text: &str) -> Vec<(usize, usize)> {
    if !text.contains('@') {
        return Vec::new();
    }
    EMAIL
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// Phone numbers: 9 to 15 digits in one run of the digits, spaces, dashes, dots and brackets
/// people write numbers with, perhaps after a `+` (a date has 8 digits, so `2027-03-01` is
/// not one). What the pattern `\+?\(?\d[\d ().-]{6,}\d` finds, scanned by hand: every prompt
/// passes here, and regex-lite's matcher took a third of `prompt --all`.
fn phones(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let in_run = |c: u8| matches!(c, b'0'..=b'9' | b' ' | b'(' | b')' | b'.' | b'-');
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let mut first = i;
        if b[first] == b'+' {
            first += 1;
        }
        if first < b.len() && b[first] == b'(' {
            first += 1;
        }
        if first >= b.len() || !b[first].is_ascii_digit() {
            i += 1;
            continue;
        }
        let (mut end, mut last_digit) = (first + 1, first);
        while end < b.len() && in_run(b[end]) {
            if b[end].is_ascii_digit() {
                last_digit = end;
            }
            end += 1;
        }
        if last_digit >= first + 7 {
            let digits = b[start..=last_digit]
                .iter()
                .filter(|c| c.is_ascii_digit())
                .count();
            if (9..=15).contains(&digits) {
                out.push((start, last_digit + 1));
            }
            i = last_digit + 1;
        } else {
            // Any start later in this run ends at the same last digit: shorter still.
            i = end.max(i + 1);
        }
    }
    out
}

/// Two spellings of one person: the same name words, honorifics aside.
fn same_person(a: &str, b: &str) -> bool {
    let words =
        |s: &str| -> Vec<String> { name_words(s).iter().map(|w| w.to_lowercase()).collect() };
    words(a) == words(b)
}

/// [`crate::text::contains_word`], but case as written.
fn contains_word_as_written(haystack: &str, needle: &str) -> bool {
    find_word(haystack, needle, true).is_some()
}

/// Where `needle` first stands as whole words in `haystack` (ignoring case unless told).
fn find_word(haystack: &str, needle: &str, case_sensitive: bool) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    let (hay, pin) = if case_sensitive {
        (haystack.to_string(), needle.to_string())
    } else {
        (haystack.to_lowercase(), needle.to_lowercase())
    };
    let word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut from = 0;
    while let Some(at) = hay[from..].find(&pin) {
        let start = from + at;
        let end = start + pin.len();
        if !word_char(hay[..start].chars().next_back()) && !word_char(hay[end..].chars().next()) {
            return Some((start, end));
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// `text` with each whole-word `needle` replaced. Lower-casing can change lengths, so a
/// case-blind match is found on the lower-cased text and the replacement made where the
/// characters line up; text whose case changes length (rare) is matched as written.
fn replace_word(text: &str, needle: &str, with: &str, case_sensitive: bool) -> String {
    let case_sensitive = case_sensitive || text.to_lowercase().len() != text.len();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = find_word(rest, needle, case_sensitive) {
        out.push_str(&rest[..start]);
        out.push_str(with);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Why a request in `local` mode was refused: the first hit, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub section: String,
    /// The project field that holds it (`project.description`), when one does.
    pub field: Option<String>,
    pub hit: Hit,
}

/// The outgoing guard: what a request may carry under `privacy`.
pub struct Guard {
    pub privacy: Privacy,
    pub register: Register,
}

impl Guard {
    pub fn new(p: &Project, privacy: Privacy) -> Guard {
        Guard {
            privacy,
            register: Register::of(p),
        }
    }

    /// `text` as it may be sent: refused in `local` mode when it names someone (the first
    /// hit), pseudonymised in `pseudonymised` mode, as written when people are shared.
    pub fn outgoing(&self, text: &str) -> Result<String, Hit> {
        match self.privacy {
            Privacy::Shared => Ok(text.to_string()),
            Privacy::Pseudonymised => Ok(self.register.pseudonymise(text)),
            Privacy::Local => match self.register.first_hit(text) {
                Some(hit) => Err(hit),
                None => Ok(text.to_string()),
            },
        }
    }
}

/// The project's fields that are not about people, each with its path: where a name typed by
/// mistake would go out in a prompt.
pub fn group_level_fields(p: &Project) -> Vec<(String, String)> {
    let i = &p.project;
    let mut fields: Vec<(String, Option<String>)> = [
        ("name", &i.name),
        ("system", &i.system),
        ("department", &i.department),
        ("company_type", &i.company_type),
        ("description", &i.description),
        ("primary_purpose", &i.primary_purpose),
        ("sponsor", &i.sponsor),
        ("owner", &i.owner),
    ]
    .into_iter()
    .map(|(key, value)| (format!("project.{key}"), value.clone()))
    .collect();
    let mut all = |path: &str, items: &[String]| {
        fields.extend(items.iter().map(|v| (path.to_string(), Some(v.clone()))));
    };
    all("project.replaced_tools", &i.replaced_tools);
    all("project.workarounds", &i.workarounds);
    all(
        "operations.processes_to_change",
        &p.operations.processes_to_change,
    );
    all("operations.reports_retired", &p.operations.reports_retired);
    all("operations.new_workflows", &p.operations.new_workflows);
    all("feedback.channels", &p.feedback.channels);
    for g in &p.groups {
        all("groups.preferred_channels", &g.preferred_channels);
    }
    for r in &p.roles {
        fields.push(("roles.name".into(), Some(r.name.clone())));
        fields.push(("roles.what_changes".into(), r.what_changes.clone()));
    }
    for g in &p.groups {
        fields.push(("groups.name".into(), Some(g.name.clone())));
        fields.push(("groups.concerns".into(), g.concerns.clone()));
    }
    for m in &p.milestones {
        fields.push(("milestones.name".into(), Some(m.name.clone())));
    }
    fields.push(("feedback.cadence".into(), p.feedback.cadence.clone()));
    fields.push((
        "feedback.anonymous_channel".into(),
        p.feedback.anonymous_channel.clone(),
    ));
    fields
        .into_iter()
        .filter_map(|(path, value)| Some((path, value?)))
        .collect()
}

/// Names (and titles, e-mails, phone numbers) in the project's group-level fields: what would
/// leave the machine in a prompt although no person-level data is shared.
pub fn names_in_group_fields(p: &Project) -> Vec<(String, Hit)> {
    let register = Register::of(p);
    let mut out = Vec::new();
    for (path, value) in group_level_fields(p) {
        // The sponsor and owner fields name roles; the register's own title there is a role
        // too ("Chief Commercial Officer"), so only names and contacts count in them.
        let role_field = path == "project.sponsor" || path == "project.owner";
        for hit in register.scan(&value) {
            if role_field && hit.found == Found::Title {
                continue;
            }
            out.push((path.clone(), hit));
        }
    }
    out
}

#[cfg(test)]
mod tests;
