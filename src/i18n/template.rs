//! The language in templates: filters and a function that write in the template's language.
//!
//! - `{{ date | long_date }}`: "8. März 2027" (text that is not a date stays as it is);
//! - `{{ items | listing }}`: "A, B und C" (minijinja's own `list`, which makes a list of a
//!   sequence, stays as it is);
//! - `{{ n | number }}`: "12.345";
//! - `{{ s.stance | term("stance") }}`: an enum value as the plan shows it ("ablehnend");
//! - `{{ t("heading.about") }}`, `{{ t("plan.title", project=project.name) }}`: a catalog's
//!   text with its placeholders filled; with `n=…` a plural message takes the number's form.
//!
//! `list_en` (English, for the article's prompts) is not touched.

use super::Language;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};

/// Adds the language's filters and `t` to `env`, replacing an English `long_date`.
pub fn install(env: &mut Environment<'_>, lang: &Language) {
    let l = lang.clone();
    env.add_filter("long_date", move |v: Value| {
        let s = v.to_string();
        l.long_date(&s).unwrap_or(s)
    });
    let l = lang.clone();
    env.add_filter("listing", move |items: Value| -> Result<String, Error> {
        let items: Vec<String> = items.try_iter()?.map(|v| v.to_string()).collect();
        Ok(l.list(&items))
    });
    let l = lang.clone();
    env.add_filter("number", move |v: Value| -> Result<String, Error> {
        let n = i64::try_from(v.clone())
            .map_err(|_| Error::new(ErrorKind::InvalidOperation, "number: not a whole number"))?;
        Ok(l.number(n))
    });
    let l = lang.clone();
    env.add_filter("term", move |v: Value, kind: String| {
        let word = v.to_string();
        let key = format!("{kind}.{}", word.replace(' ', "_"));
        l.message(&key)
            .map_or(word, |m| m.form("other").to_string())
    });
    let l = lang.clone();
    env.add_function(
        "t",
        move |key: String, kwargs: Kwargs| -> Result<String, Error> {
            let mut args: Vec<(String, String)> = Vec::new();
            let mut count = None;
            for name in kwargs.args() {
                let v: Value = kwargs.get(name)?;
                if name == "n" {
                    count = u64::try_from(v.clone()).ok();
                }
                args.push((name.to_string(), v.to_string()));
            }
            let args: Vec<(&str, &str)> =
                args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Ok(match count {
                Some(n) => {
                    let rest: Vec<(&str, &str)> =
                        args.iter().filter(|(k, _)| *k != "n").copied().collect();
                    l.plural(&key, n, &rest)
                }
                None => l.format(&key, &args),
            })
        },
    );
}
