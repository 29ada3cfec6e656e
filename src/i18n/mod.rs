//! The plan's language: which one (`[project] language`, `--language`), the message catalogs
//! its fixed text comes from, and dates, lists, numbers and plurals as it writes them.
//!
//! Catalogs are TOML files, one per language, embedded from `i18n/` at the repository's root
//! ([`Shipped`]); a user adds or overrides one with `i18n/<tag>.toml` in a prompts folder
//! ([`Available::load`]). A key a catalog lacks falls back to English. Dates, lists, numbers
//! and plural forms come from CLDR through ICU4X ([`format`]).

pub mod catalog;
mod format;
pub mod template;
#[cfg(test)]
mod tests;

pub use catalog::{Catalog, Message};

use crate::error::{Error, Result};
use icu_locale_core::Locale;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The languages plan-ai ships a catalog for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shipped {
    En,
    De,
    Fr,
    Es,
    Nl,
}

impl Shipped {
    pub const ALL: [Shipped; 5] = [
        Shipped::En,
        Shipped::De,
        Shipped::Fr,
        Shipped::Es,
        Shipped::Nl,
    ];

    /// Its BCP 47 tag, which is also its catalog's file name.
    pub fn tag(self) -> &'static str {
        match self {
            Shipped::En => "en",
            Shipped::De => "de",
            Shipped::Fr => "fr",
            Shipped::Es => "es",
            Shipped::Nl => "nl",
        }
    }

    /// The shipped language whose tag is `language` (a primary language subtag).
    pub fn of(language: &str) -> Option<Shipped> {
        Shipped::ALL.into_iter().find(|s| s.tag() == language)
    }

    /// The catalog file's text, as embedded.
    pub fn source(self) -> &'static str {
        match self {
            Shipped::En => include_str!("../../i18n/en.toml"),
            Shipped::De => include_str!("../../i18n/de.toml"),
            Shipped::Fr => include_str!("../../i18n/fr.toml"),
            Shipped::Es => include_str!("../../i18n/es.toml"),
            Shipped::Nl => include_str!("../../i18n/nl.toml"),
        }
    }

    /// The catalog, parsed once. A shipped catalog that does not parse is a bug the unit
    /// tests catch; should one slip through, it reads as empty and English is used.
    pub fn catalog(self) -> &'static Catalog {
        static PARSED: [OnceLock<Catalog>; 5] = [const { OnceLock::new() }; 5];
        let i = Shipped::ALL.iter().position(|s| *s == self).unwrap_or(0);
        PARSED[i].get_or_init(|| Catalog::parse(self.source()).unwrap_or_default())
    }
}

/// An enum whose values the plan shows in its language (a stance, a level, a dimension):
/// the catalog key is `KIND.word`, spaces in the word as `_` (`dimension.speed_of_adoption`).
pub trait Term: Copy {
    const KIND: &'static str;
    /// The word the project file and the JSON use, which stays as it is in requests.
    fn word(self) -> &'static str;

    fn key(self) -> String {
        format!("{}.{}", Self::KIND, self.word().replace(' ', "_"))
    }
}

/// A language the plan is written in: its tag, its catalogs (the user's, then the shipped
/// one, then English) and its CLDR conventions. Cheap to clone.
#[derive(Clone)]
pub struct Language(Arc<Inner>);

struct Inner {
    /// Canonical BCP 47, as asked: `de`, `de-AT`, `pt-BR`.
    tag: String,
    locale: Locale,
    /// Most specific first; English is always the last. Shipped catalogs are parsed on first
    /// use, so a run that never looks a message up (English prompts) parses none.
    layers: Vec<Layer>,
    /// How many layers are the language's own (English's fallback excluded).
    own: usize,
}

enum Layer {
    User(Arc<Catalog>),
    Shipped(Shipped),
}

impl Layer {
    fn get(&self, key: &str) -> Option<&Message> {
        match self {
            Layer::User(c) => c.get(key),
            Layer::Shipped(s) => s.catalog().get(key),
        }
    }
}

impl std::fmt::Debug for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Language({})", self.0.tag)
    }
}

impl PartialEq for Language {
    fn eq(&self, other: &Self) -> bool {
        self.0.tag == other.0.tag
    }
}

impl Default for Language {
    fn default() -> Self {
        Language::english()
    }
}

impl Language {
    /// English, with the shipped catalog alone.
    pub fn english() -> Language {
        Language::shipped(Shipped::En)
    }

    /// A shipped language with its shipped catalog alone.
    pub fn shipped(s: Shipped) -> Language {
        let locale = s.tag().parse().unwrap_or(Locale::UNKNOWN);
        Language::build(s.tag().to_string(), locale, Vec::new())
    }

    fn build(tag: String, locale: Locale, user: Vec<Arc<Catalog>>) -> Language {
        let mut layers: Vec<Layer> = user.into_iter().map(Layer::User).collect();
        let shipped = Shipped::of(locale.id.language.as_str());
        if let Some(s) = shipped.filter(|s| *s != Shipped::En) {
            layers.push(Layer::Shipped(s));
        }
        let own = if shipped == Some(Shipped::En) {
            layers.len() + 1
        } else {
            layers.len()
        };
        layers.push(Layer::Shipped(Shipped::En));
        Language(Arc::new(Inner {
            tag,
            locale,
            layers,
            own,
        }))
    }

    /// The canonical tag, e.g. `de` or `pt-BR`.
    pub fn tag(&self) -> &str {
        &self.0.tag
    }

    /// The names of a language's own folders (templates, catalogs), most specific first:
    /// `de-AT`, `de`.
    pub fn folders(&self) -> Vec<String> {
        fallbacks(&self.0.locale)
    }

    /// English (any region): requests and prompts stay exactly as they are.
    pub fn is_english(&self) -> bool {
        self.0.locale.id.language.as_str() == "en"
    }

    /// Its name in English ("German"), from its own catalog (`language.english`), else its tag.
    pub fn english_name(&self) -> String {
        self.own_text("language.english")
    }

    /// Its name in itself ("Deutsch"), from its own catalog (`language.native`), else its tag.
    pub fn native_name(&self) -> String {
        self.own_text("language.native")
    }

    /// "German (Deutsch)", or "English" when the two names are one.
    pub fn display_name(&self) -> String {
        let (en, native) = (self.english_name(), self.native_name());
        if en == native {
            en
        } else {
            format!("{en} ({native})")
        }
    }

    fn own_text(&self, key: &str) -> String {
        let own = &self.0.layers[..self.0.own.min(self.0.layers.len())];
        own.iter()
            .find_map(|c| c.get(key))
            .map_or_else(|| self.0.tag.clone(), |m| m.form("other").to_string())
    }

    /// The message for `key`: the user's catalog, the shipped one, English; the key itself
    /// if no catalog has it (a bug the catalog tests catch).
    pub fn message(&self, key: &str) -> Option<&Message> {
        self.0.layers.iter().find_map(|l| l.get(key))
    }

    /// The text for `key`, placeholders as written.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.message(key).map_or(key, |m| m.form("other"))
    }

    /// The text for `key` with its `{name}` placeholders filled from `args`.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> String {
        catalog::fill(self.t(key), args)
    }

    /// The form of `key` for the number `n` (CLDR's plural rules), `{n}` filled with `n` as
    /// the language writes numbers, and the other placeholders from `args`.
    pub fn plural(&self, key: &str, n: u64, args: &[(&str, &str)]) -> String {
        let Some(m) = self.message(key) else {
            return key.to_string();
        };
        let form = format::plural_form(n, &self.0.locale);
        let number = self.number(i64::try_from(n).unwrap_or(i64::MAX));
        let mut all = vec![("n", number.as_str())];
        all.extend_from_slice(args);
        catalog::fill(m.form(form), &all)
    }

    /// An enum value as the plan shows it ("resistant" → "ablehnend").
    pub fn term<T: Term>(&self, value: T) -> &str {
        let key = value.key();
        self.message(&key).map_or(value.word(), |m| m.form("other"))
    }

    /// `YYYY-MM-DD` as a long date in this language; `None` if it is not a date.
    pub fn long_date(&self, iso: &str) -> Option<String> {
        format::long_date(iso, &self.0.locale)
    }

    /// Items as this language lists them: "A, B und C".
    pub fn list<S: AsRef<str>>(&self, items: &[S]) -> String {
        format::list(items, &self.0.locale)
    }

    /// A whole number with this language's digit grouping.
    pub fn number(&self, n: i64) -> String {
        format::number(n, &self.0.locale)
    }

    /// How this language writes a decimal point and a thousands separator: `('.', ',')` in
    /// English, `(',', '.')` in German, for reading numbers back out of text.
    pub fn separators(&self) -> (char, char) {
        format::separators(&self.0.locale)
    }
}

/// "2027-03-08" in `lang`: "8. März 2027"; text that is not a date comes back as it is.
pub fn long_date(iso: &str, lang: &Language) -> String {
    lang.long_date(iso).unwrap_or_else(|| iso.to_string())
}

/// Items in `lang`: "A, B und C".
pub fn list<S: AsRef<str>>(items: &[S], lang: &Language) -> String {
    lang.list(items)
}

/// A user's catalog for one language, merged from every prompts folder that has one.
#[derive(Debug, Clone)]
pub struct UserCatalog {
    /// The canonical tag its file name gives.
    pub tag: String,
    /// Its files, lowest precedence first.
    pub files: Vec<PathBuf>,
    pub catalog: Catalog,
}

impl UserCatalog {
    /// Keys English has and this catalog lacks (English is used for them).
    pub fn missing(&self) -> Vec<String> {
        let shipped = tag_locale(&self.tag)
            .and_then(|l| Shipped::of(l.id.language.as_str()))
            .map(Shipped::catalog);
        let english = Shipped::En.catalog();
        // A catalog for a shipped language overrides it: only what neither has is missing.
        let have = match shipped {
            Some(s) => s.clone().merged(self.catalog.clone()),
            None => self.catalog.clone(),
        };
        have.missing(english)
    }

    /// Keys English does not have (typos, or keys plan-ai no longer uses), each with the
    /// closest real key when there is one.
    pub fn unknown(&self) -> Vec<(String, Option<String>)> {
        let english = Shipped::En.catalog();
        (self.catalog.unknown(english).into_iter())
            .map(|k| {
                let near = crate::text::did_you_mean(&k, english.keys()).map(str::to_string);
                (k, near)
            })
            .collect()
    }

    /// Placeholders English's message does not fill (they would show as written).
    pub fn stray_placeholders(&self) -> Vec<(String, String)> {
        self.catalog.stray_placeholders(Shipped::En.catalog())
    }
}

/// A catalog file is a page of text; past this it is the wrong file.
const MAX_CATALOG_BYTES: u64 = 1 << 20;

/// Where languages come from in this run: the shipped catalogs and the user's.
#[derive(Debug, Clone, Default)]
pub struct Available {
    user: BTreeMap<String, UserCatalog>,
}

impl Available {
    /// Reads `i18n/<tag>.toml` in each prompts folder, lowest precedence first: a later
    /// folder's messages win over an earlier one's for the same language.
    pub fn load(dirs_low_to_high: &[PathBuf]) -> Result<Available> {
        let mut user: BTreeMap<String, UserCatalog> = BTreeMap::new();
        for dir in dirs_low_to_high {
            let Ok(entries) = std::fs::read_dir(dir.join("i18n")) else {
                continue;
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                let Some(stem) = (path.extension().is_some_and(|e| e == "toml"))
                    .then(|| path.file_stem().and_then(|s| s.to_str()))
                    .flatten()
                else {
                    continue;
                };
                let Some(locale) = tag_locale(stem) else {
                    return Err(Error::Data(format!(
                        "{}: a catalog's file name is its language's tag (BCP 47), e.g. de.toml or pt-BR.toml",
                        path.display()
                    )));
                };
                let catalog = read_catalog(&path)?;
                let tag = locale.to_string();
                let entry = user.entry(tag.clone()).or_insert_with(|| UserCatalog {
                    tag,
                    files: Vec::new(),
                    catalog: Catalog::default(),
                });
                entry.files.push(path);
                entry.catalog = std::mem::take(&mut entry.catalog).merged(catalog);
            }
        }
        Ok(Available { user })
    }

    /// The users' catalogs, by tag.
    pub fn user_catalogs(&self) -> impl Iterator<Item = &UserCatalog> {
        self.user.values()
    }

    /// Every language this run can write: the shipped ones, then the users' own.
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = Shipped::ALL.iter().map(|s| s.tag().to_string()).collect();
        let own: Vec<String> = (self.user.keys())
            .filter(|t| !tags.contains(t))
            .cloned()
            .collect();
        tags.extend(own);
        tags
    }

    /// The language `requested` names (`None`: English). A tag with a region or script falls
    /// back to its language's catalog (`de-AT` uses `de`, with Austrian dates); a tag no
    /// catalog serves is bad project data, naming `origin` (where it was written).
    pub fn resolve(&self, requested: Option<&str>, origin: &str) -> Result<Language> {
        let Some(asked) = requested.map(str::trim) else {
            return Ok(Language::english());
        };
        let unknown = || self.unknown(asked, origin);
        let locale = tag_locale(asked).ok_or_else(unknown)?;
        let candidates = fallbacks(&locale);
        let user: Vec<Arc<Catalog>> = (candidates.iter())
            .filter_map(|t| self.user.get(t))
            .map(|u| Arc::new(u.catalog.clone()))
            .collect();
        if user.is_empty() && Shipped::of(locale.id.language.as_str()).is_none() {
            return Err(unknown());
        }
        Ok(Language::build(locale.to_string(), locale, user))
    }

    fn unknown(&self, asked: &str, origin: &str) -> Error {
        let named: Vec<(String, Language)> = (self.tags().into_iter())
            .filter_map(|t| Some((t.clone(), self.resolve(Some(&t), origin).ok()?)))
            .collect();
        let lower = asked.to_lowercase();
        // A name ("German", "français") is a plain mistake: suggest its tag.
        let by_name = named.iter().find(|(_, l)| {
            [l.english_name(), l.native_name()]
                .iter()
                .any(|n| n.to_lowercase() == lower || fold(n) == fold(&lower))
        });
        let suggestion = by_name.map(|(t, _)| t.clone()).or_else(|| {
            let mut words: Vec<(String, String)> = Vec::new();
            for (t, l) in &named {
                words.push((t.clone(), t.clone()));
                words.push((l.english_name().to_lowercase(), t.clone()));
                words.push((l.native_name().to_lowercase(), t.clone()));
            }
            let hit = crate::text::did_you_mean(&lower, words.iter().map(|(w, _)| w.as_str()))?;
            words.iter().find(|(w, _)| w == hit).map(|(_, t)| t.clone())
        });
        Error::UnknownLanguage {
            tag: asked.to_string(),
            origin: origin.to_string(),
            available: named
                .iter()
                .map(|(t, l)| match (l.english_name(), l.native_name()) {
                    (en, native) if en == native => format!("{t} ({en})"),
                    (en, native) => format!("{t} ({en}, {native})"),
                })
                .collect(),
            suggestion,
        }
    }
}

/// Lowercase ASCII letters only, accents dropped the simple way ("Français" → "francais").
fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ó' | 'ô' | 'ö' => 'o',
            'ú' | 'û' | 'ü' => 'u',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// A BCP 47 tag, parsed and canonicalised (`DE-at` → `de-AT`); `None` if it is not one.
/// `_` is taken for `-`, as in locale names (`pt_BR`).
pub fn tag_locale(tag: &str) -> Option<Locale> {
    let tag = tag.trim().replace('_', "-");
    if tag.is_empty() || tag.len() > 64 {
        return None;
    }
    let locale: Locale = tag.parse().ok()?;
    (locale.id.language.as_str() != "und").then_some(locale)
}

/// The tags to look a catalog up by, most specific first (RFC 4647 lookup): `de-CH-1996`,
/// `de-CH`, `de`.
fn fallbacks(locale: &Locale) -> Vec<String> {
    let id = &locale.id;
    let lang = id.language.as_str();
    let mut out = vec![locale.to_string()];
    let parts = [
        (
            id.script.map(|s| s.to_string()),
            id.region.map(|r| r.to_string()),
        ),
        (None, id.region.map(|r| r.to_string())),
        (id.script.map(|s| s.to_string()), None),
        (None, None),
    ];
    for (script, region) in parts {
        let mut t = lang.to_string();
        for p in [script, region].into_iter().flatten() {
            t.push('-');
            t.push_str(&p);
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn read_catalog(path: &Path) -> Result<Catalog> {
    let text = crate::fs::read_text_file(path, MAX_CATALOG_BYTES, "catalog")?;
    let catalog = Catalog::parse(&text).map_err(|e| {
        Error::Data(format!(
            "{}: {}",
            path.display(),
            e.trim_end().replace('\n', "\n  ")
        ))
    })?;
    // A catalog may come from a shared folder: its text reaches every document.
    Ok(catalog.cleaned(crate::sanitize::strip_controls))
}
