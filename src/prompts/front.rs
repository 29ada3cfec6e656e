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
    /// A JSON schema for a structured answer: a file next to the template, or inline.
    schema: Option<toml::Value>,
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
    let schema = front
        .schema
        .map(|s| load_schema(s, &source))
        .transpose()
        .map_err(err)?;
    Ok(Section {
        id: id.to_string(),
        title: front.title.trim().to_string(),
        inputs: front.inputs,
        system: front.system,
        body,
        source,
        built_in: false,
        schema,
        language: None,
    })
}

/// A section's schema: `schema = "file.json"` (next to the template) or an inline table. It
/// must follow the strict rules every server accepts.
fn load_schema(
    value: toml::Value,
    source: &Source,
) -> std::result::Result<serde_json::Value, String> {
    let schema = match value {
        toml::Value::String(file) => {
            let dir = match source {
                Source::File(p) => crate::fs::parent_dir(p),
                Source::BuiltIn => std::path::PathBuf::from("."),
            };
            let path = dir.join(&file);
            let bytes = crate::fs::read_regular(&path, 1 << 20)
                .map_err(|e| format!("schema file {}: {e}", path.display()))?
                .ok_or_else(|| format!("schema file {} is over 1 MiB", path.display()))?;
            serde_json::from_slice(&bytes)
                .map_err(|e| format!("schema file {} is not JSON: {e}", path.display()))?
        }
        table @ toml::Value::Table(_) => {
            serde_json::to_value(table).map_err(|e| format!("schema: {e}"))?
        }
        _ => return Err("`schema` must be a file name or a table".to_string()),
    };
    let problems = crate::sections::schema::strict_problems(&schema);
    if !problems.is_empty() {
        return Err(format!(
            "the schema breaks the rules every server accepts (OpenAI's strict mode):\n  - {}",
            problems.join("\n  - ")
        ));
    }
    Ok(schema)
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
