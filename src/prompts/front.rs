//! A template file's TOML front matter between `+++` lines, and its body.

use super::{Section, Source};
use crate::error::{Error, Result};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    #[serde(default)]
    inputs: Vec<String>,
    system: Option<String>,
}

/// A section id is its file name: lower-case letters, digits, `-` and `_`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

pub fn parse_section(id: &str, text: &str, source: Source) -> Result<Section> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |msg: String| Error::Data(format!("template {source}: {msg}"));
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or_else(|| err("must start with a `+++` line, then front matter (title = \"...\", inputs = [...]), then `+++`".into()))?;
    let (front_end, body_start) = rest
        .find("\n+++\n")
        .map(|i| (i, i + 5))
        .or_else(|| rest.find("\n+++\r\n").map(|i| (i, i + 6)))
        .or_else(|| rest.strip_suffix("\n+++").map(|r| (r.len(), rest.len())))
        .ok_or_else(|| err("front matter is not closed by a `+++` line".into()))?;
    // A file saved with CRLF line ends leaves a `\r` before the closing `+++` line.
    let front: FrontMatter = toml::from_str(rest[..front_end].trim_end_matches('\r'))
        .map_err(|e| err(format!("front matter: {}", e.message())))?;
    let body = rest[body_start..]
        .trim_start_matches(['\r', '\n'])
        .to_string();
    if front.title.trim().is_empty() {
        return Err(err("front matter `title` is empty".into()));
    }
    Ok(Section {
        id: id.to_string(),
        title: front.title.trim().to_string(),
        inputs: front.inputs,
        system: front.system,
        body,
        source,
        built_in: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Section> {
        parse_section("x", text, Source::BuiltIn)
    }

    #[test]
    fn ids() {
        for (id, ok) in [("a-b_1", true), ("", false), ("A", false), ("a.b", false)] {
            assert_eq!(valid_id(id), ok, "{id}");
        }
    }

    #[test]
    fn front_matter_and_body_with_any_line_ending() {
        for text in [
            "+++\ntitle = \"T\"\ninputs = [\"roles\"]\n+++\nBody {{ x }}\n",
            "\u{feff}+++\r\ntitle = \"T\"\r\ninputs = [\"roles\"]\r\n+++\r\nBody {{ x }}\n",
        ] {
            let s = parse(text).unwrap();
            assert_eq!(s.title, "T");
            assert_eq!(s.inputs, ["roles"]);
            assert_eq!(s.body, "Body {{ x }}\n");
        }
        let s = parse("+++\ntitle = \"T\"\nsystem = \"S\"\n+++").unwrap();
        assert_eq!(s.system.as_deref(), Some("S"));
        assert_eq!(s.body, "");
    }

    #[test]
    fn malformed_front_matter_says_what_is_wrong() {
        let cases = [
            ("no front matter", "must start with a `+++` line"),
            ("+++\ntitle = \"T\"\n", "not closed by a `+++` line"),
            ("+++\ntitle = \"\"\n+++\n", "`title` is empty"),
            (
                "+++\ntitel = \"T\"\n+++\n",
                "front matter: unknown field `titel`",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(e.starts_with("template built-in: "), "{e}");
        }
    }
}
