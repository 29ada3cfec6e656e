//! A message catalog: a TOML file whose tables nest keys (`[heading] about = "…"` is the key
//! `heading.about`) and whose values are text with `{name}` placeholders, or a table of
//! CLDR plural forms (`projects = { one = "{n} project", other = "{n} projects" }`).

use std::collections::{BTreeMap, BTreeSet};

/// CLDR's plural categories: a table holding only these keys is one message's plural forms.
pub const PLURAL_FORMS: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// One message: text, or its plural forms by CLDR category (`other` always among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Plural(BTreeMap<String, String>),
}

impl Message {
    /// The text for plural category `form`, else `other` (plain text has one form).
    pub fn form(&self, form: &str) -> &str {
        match self {
            Message::Text(t) => t,
            Message::Plural(forms) => forms
                .get(form)
                .or_else(|| forms.get("other"))
                .map_or("", String::as_str),
        }
    }

    /// Every placeholder any of its forms uses.
    pub fn placeholders(&self) -> BTreeSet<String> {
        match self {
            Message::Text(t) => placeholders(t),
            Message::Plural(forms) => forms.values().flat_map(|t| placeholders(t)).collect(),
        }
    }

    fn map_text(self, f: impl Fn(&str) -> String) -> Message {
        match self {
            Message::Text(t) => Message::Text(f(&t)),
            Message::Plural(forms) => {
                Message::Plural(forms.into_iter().map(|(k, v)| (k, f(&v))).collect())
            }
        }
    }
}

/// Messages by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    messages: BTreeMap<String, Message>,
}

impl Catalog {
    /// Parses a catalog's TOML; the error says what is wrong and where (TOML's line and
    /// column, or the key).
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut messages = BTreeMap::new();
        flatten("", &table, &mut messages)?;
        Ok(Catalog { messages })
    }

    /// The catalog with every message cleaned by `f` (a user's file may hold escape codes).
    pub fn cleaned(self, f: impl Fn(&str) -> String) -> Catalog {
        let messages = (self.messages.into_iter())
            .map(|(k, m)| (k, m.map_text(&f)))
            .collect();
        Catalog { messages }
    }

    pub fn get(&self, key: &str) -> Option<&Message> {
        self.messages.get(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// `other`'s messages over this one's: what a higher-precedence file says wins.
    pub fn merged(mut self, other: Catalog) -> Catalog {
        self.messages.extend(other.messages);
        self
    }

    /// Keys `reference` has and this catalog lacks, sorted.
    pub fn missing(&self, reference: &Catalog) -> Vec<String> {
        (reference.keys())
            .filter(|k| !self.messages.contains_key(*k))
            .map(str::to_string)
            .collect()
    }

    /// Keys this catalog has and `reference` lacks (typos, or keys plan-ai no longer uses).
    pub fn unknown(&self, reference: &Catalog) -> Vec<String> {
        (self.keys())
            .filter(|k| reference.get(k).is_none())
            .map(str::to_string)
            .collect()
    }

    /// Keys whose message uses a placeholder the reference's message does not fill, so it
    /// would be shown as written: `(key, placeholder)`.
    pub fn stray_placeholders(&self, reference: &Catalog) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (key, message) in &self.messages {
            let Some(theirs) = reference.get(key) else {
                continue;
            };
            let allowed = theirs.placeholders();
            for p in message.placeholders() {
                if !allowed.contains(&p) {
                    out.push((key.clone(), p));
                }
            }
        }
        out
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, Message>,
) -> Result<(), String> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::String(s) => {
                out.insert(key, Message::Text(s.clone()));
            }
            toml::Value::Table(t) if is_plural(t) => {
                let mut forms = BTreeMap::new();
                for (form, text) in t {
                    let text = text.as_str().ok_or_else(|| {
                        format!("`{key}.{form}`: a plural form is text, in quotes")
                    })?;
                    forms.insert(form.clone(), text.to_string());
                }
                if !forms.contains_key("other") {
                    return Err(format!(
                        "`{key}`: plural forms need `other` (the form for every number the others do not take)"
                    ));
                }
                out.insert(key, Message::Plural(forms));
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => {
                return Err(format!(
                    "`{key}`: a message is text in quotes, or a table of plural forms (one, other…)"
                ));
            }
        }
    }
    Ok(())
}

/// A table whose keys are all plural categories.
fn is_plural(t: &toml::Table) -> bool {
    !t.is_empty() && t.keys().all(|k| PLURAL_FORMS.contains(&k.as_str()))
}

/// The `{name}` placeholders in `text` (names of lowercase letters, digits and `_`).
pub fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if is_name(name) {
            out.insert(name.to_string());
            rest = &rest[close + 1..];
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `text` with each `{name}` replaced by its value in `args`; other braces stay as written.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    if args.is_empty() || !text.contains('{') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, v) = args.iter().find(|(n, _)| *n == name)?;
            Some((v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_nest_keys_and_plural_tables_are_one_message() {
        let c = Catalog::parse(
            "top = \"T\"\n[heading]\nabout = \"About\"\n[portfolio]\nprojects = { one = \"{n} project\", other = \"{n} projects\" }\n[check.\"comms.sender\"]\nwhy = \"W\"\n",
        )
        .unwrap();
        let keys: Vec<&str> = c.keys().collect();
        assert_eq!(
            keys,
            [
                "check.comms.sender.why",
                "heading.about",
                "portfolio.projects",
                "top"
            ]
        );
        let p = c.get("portfolio.projects").unwrap();
        assert_eq!(p.form("one"), "{n} project");
        assert_eq!(p.form("many"), "{n} projects");
        assert_eq!(c.get("top").unwrap().form("one"), "T");
    }

    #[test]
    fn bad_catalogs_say_what_is_wrong() {
        let cases = [
            ("x = 3", "`x`: a message is text"),
            ("[x]\none = \"a\"", "`x`: plural forms need `other`"),
            (
                "[x]\none = 1\nother = \"b\"",
                "`x.one`: a plural form is text",
            ),
            ("x = ", "line 1"),
        ];
        for (text, want) in cases {
            let e = Catalog::parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn placeholders_are_filled_and_other_braces_kept() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (
                "Page {page} of {pages}",
                &[("page", "3"), ("pages", "9")],
                "Page 3 of 9",
            ),
            ("{a}{a}", &[("a", "x")], "xx"),
            ("{unknown} and {{id}}", &[("id", "7")], "{unknown} and {7}"),
            ("no braces", &[("a", "b")], "no braces"),
            ("open { only", &[("a", "b")], "open { only"),
            ("{a} ü {b}", &[("a", "é"), ("b", "}")], "é ü }"),
        ];
        for (text, args, want) in cases {
            assert_eq!(fill(text, args), *want, "{text}");
        }
        let names: Vec<String> = placeholders("{a} {B} {c_1} {} {x").into_iter().collect();
        assert_eq!(names, ["a", "c_1"]);
    }

    #[test]
    fn missing_unknown_and_stray_placeholders_against_a_reference() {
        let en = Catalog::parse("a = \"A {x}\"\nb = \"B\"\nc = \"C\"").unwrap();
        let de = Catalog::parse("a = \"A {y}\"\nb = \"B\"\nd = \"D\"").unwrap();
        assert_eq!(de.missing(&en), ["c"]);
        assert_eq!(de.unknown(&en), ["d"]);
        assert_eq!(de.stray_placeholders(&en), [("a".into(), "y".into())]);
        let merged = en.clone().merged(de);
        assert_eq!(merged.get("a"), Some(&Message::Text("A {y}".into())));
        assert_eq!(merged.get("c"), Some(&Message::Text("C".into())));
    }
}
