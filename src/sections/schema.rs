//! JSON schemas in the strict subset every server accepts (OpenAI's strict mode: the root is an
//! object, every object closed with `additionalProperties: false` and every property required,
//! no `allOf`/`not`/`if`), a checker for those rules, and a validator for answers.
//!
//! Builders may give a string a `maxLength`. It is a hint for servers that constrain decoding
//! with a grammar (llama.cpp), so a small model cannot loop inside a string; [`strict`] removes
//! it for the `json_schema` request, and validation ignores it.

use serde_json::{Map, Value, json};

/// A closed object whose properties are all required, in this order.
pub fn object(properties: Vec<(String, Value)>) -> Value {
    let required: Vec<Value> = properties.iter().map(|(k, _)| json!(k)).collect();
    let properties: Map<String, Value> = properties.into_iter().collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// A string with a description (what to write) and a length hint for grammars.
pub fn text(description: &str, max_len: usize) -> Value {
    json!({"type": "string", "description": description, "maxLength": max_len})
}

/// One of `values`.
pub fn one_of(description: &str, values: &[String]) -> Value {
    json!({"type": "string", "description": description, "enum": values})
}

pub fn array(description: &str, items: Value, min: usize, max: usize) -> Value {
    json!({
        "type": "array",
        "description": description,
        "items": items,
        "minItems": min,
        "maxItems": max,
    })
}

/// The schema without grammar-only hints (`maxLength`): what a `json_schema` request sends.
pub fn strict(schema: &Value) -> Value {
    match schema {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| *k != "maxLength")
                .map(|(k, v)| (k.clone(), strict(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strict).collect()),
        other => other.clone(),
    }
}

/// The most tokens an answer to `schema` can take when every string is as long as its
/// `maxLength` allows and every array as long as its `maxItems` (about 3 characters a token,
/// plus the JSON around the values): the token limit that lets a grammar-constrained model
/// finish, and stops one that loops. `None` when a string or array has no bound. Never over
/// [`MAX_BUDGET`], however large a custom schema's bounds (`maxItems: 1e12` must not wrap).
pub fn token_budget(schema: &Value) -> Option<u32> {
    let tokens = max_tokens(schema)?;
    let padded = tokens.saturating_add(tokens / 10).saturating_add(16);
    Some(padded.min(MAX_BUDGET as u64) as u32)
}

/// The largest budget asked for: the most output today's large models allow (gpt-4.1 and
/// Claude models: 32,768), far above what the built-in sections need (a few thousand tokens);
/// a larger `max_tokens` is refused by most servers and only lets a looping model run longer.
pub const MAX_BUDGET: u32 = 32_768;

fn max_tokens(s: &Value) -> Option<u64> {
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let longest = values
            .iter()
            .map(|v| v.to_string().len())
            .max()
            .unwrap_or(0);
        return Some(longest as u64 / 3 + 2);
    }
    match s.get("type").and_then(Value::as_str) {
        Some("object") => {
            let props = s.get("properties").and_then(Value::as_object)?;
            props.iter().try_fold(2u64, |sum, (name, sub)| {
                let field = (name.len() as u64 / 3 + 3).saturating_add(max_tokens(sub)?);
                Some(sum.saturating_add(field))
            })
        }
        Some("array") => {
            let n = s.get("maxItems").and_then(Value::as_u64)?;
            let item = max_tokens(s.get("items")?)?.saturating_add(1);
            Some(n.saturating_mul(item).saturating_add(2))
        }
        Some("string") => Some(s.get("maxLength").and_then(Value::as_u64)? / 3 + 2),
        _ => Some(4),
    }
}

/// Where `schema` breaks OpenAI's strict-mode rules; empty when it follows them.
pub fn strict_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if schema.get("type") != Some(&json!("object")) {
        problems.push("the root must be an object (`type: object`)".to_string());
    }
    check_strict(schema, "$", 0, &mut problems);
    problems
}

const MAX_DEPTH: usize = 10;
const FORBIDDEN: &[&str] = &["allOf", "not", "if", "then", "else", "dependentSchemas"];

fn check_strict(s: &Value, path: &str, depth: usize, problems: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        problems.push(format!("{path}: nested deeper than {MAX_DEPTH} levels"));
        return;
    }
    let Some(o) = s.as_object() else {
        problems.push(format!("{path}: a schema must be an object"));
        return;
    };
    for key in FORBIDDEN {
        if o.contains_key(*key) {
            problems.push(format!("{path}: `{key}` is not allowed"));
        }
    }
    if let Some(values) = o.get("enum").and_then(Value::as_array)
        && values.len() > 1000
    {
        problems.push(format!("{path}: an enum of more than 1000 values"));
    }
    let types: Vec<&str> = match o.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if o.contains_key("anyOf") => vec![],
        _ => {
            problems.push(format!("{path}: no `type`"));
            vec![]
        }
    };
    if types.contains(&"object") {
        if o.get("additionalProperties") != Some(&Value::Bool(false)) {
            problems.push(format!("{path}: `additionalProperties` must be false"));
        }
        let props = o.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = o
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, sub) in props.into_iter().flatten() {
            if !required.contains(&name.as_str()) {
                problems.push(format!(
                    "{path}.{name}: every property must be in `required` (make it nullable instead)"
                ));
            }
            check_strict(sub, &format!("{path}.{name}"), depth + 1, problems);
        }
    }
    if types.contains(&"array") {
        match o.get("items") {
            Some(items) => check_strict(items, &format!("{path}[]"), depth + 1, problems),
            None => problems.push(format!("{path}: an array needs `items`")),
        }
    }
    for (i, sub) in o
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        check_strict(sub, &format!("{path}<{i}>"), depth + 1, problems);
    }
}

/// Where `value` does not match `schema` (the strict subset: types, enums, closed objects with
/// required properties, arrays with item counts). Each problem names its JSON path.
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_value(schema, value, "$", &mut problems);
    problems
}

fn check_value(s: &Value, v: &Value, path: &str, problems: &mut Vec<String>) {
    if let Some(options) = s.get("anyOf").and_then(Value::as_array) {
        if !options.iter().any(|o| validate(o, v).is_empty()) {
            problems.push(format!("{path}: matches none of the allowed shapes"));
        }
        return;
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let actual = type_of(v);
    let fits = types.is_empty()
        || types.contains(&actual)
        || (actual == "integer" && types.contains(&"number"));
    if !fits {
        problems.push(format!(
            "{path}: expected {}, got {}",
            types.join(" or "),
            article(actual)
        ));
        return;
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        problems.push(format!("{path}: {v} is not one of {}", list.join(", ")));
    }
    match v {
        Value::Object(fields) => {
            let props = s.get("properties").and_then(Value::as_object);
            for name in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !fields.contains_key(name) {
                    problems.push(format!("{path}: `{name}` is missing"));
                }
            }
            for (name, field) in fields {
                let sub = format!("{path}.{name}");
                match props.and_then(|p| p.get(name)) {
                    Some(schema) => check_value(schema, field, &sub, problems),
                    None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        problems.push(format!("{sub}: not expected here"));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            let count = |k: &str| s.get(k).and_then(Value::as_u64).map(|n| n as usize);
            if let Some(min) = count("minItems")
                && items.len() < min
            {
                problems.push(format!(
                    "{path}: {} items, at least {min} wanted",
                    items.len()
                ));
            }
            if let Some(max) = count("maxItems")
                && items.len() > max
            {
                problems.push(format!(
                    "{path}: {} items, at most {max} wanted",
                    items.len()
                ));
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check_value(item_schema, item, &format!("{path}[{i}]"), problems);
                }
            }
        }
        _ => {}
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn article(t: &str) -> String {
    match t {
        "null" => "null".into(),
        "integer" | "array" | "object" => format!("an {t}"),
        other => format!("a {other}"),
    }
}

/// The JSON object in a model's text: the text itself, or the first fenced block, or what lies
/// between the first `{` and the last `}` (models like to wrap JSON in prose). Raw control
/// characters inside strings are escaped first: llama.cpp grammars let a model write a bare
/// newline in a string, which strict JSON forbids.
pub fn extract_json(text: &str) -> Option<Value> {
    let repaired = escape_controls_in_strings(text);
    let t = repaired.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return v.is_object().then_some(v);
    }
    if let Some(start) = t.find("```") {
        let after = &t[start + 3..];
        let body = after.split_once('\n').map_or(after, |(_, rest)| rest);
        if let Some(end) = body.find("```")
            && let Ok(v) = serde_json::from_str::<Value>(body[..end].trim())
            && v.is_object()
        {
            return Some(v);
        }
    }
    let (a, b) = (t.find('{')?, t.rfind('}')?);
    (a < b)
        .then(|| serde_json::from_str::<Value>(&t[a..=b]).ok())
        .flatten()
        .filter(Value::is_object)
}

/// JSON text with control characters inside string literals written as escapes.
fn escape_controls_in_strings(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string && !escaped && c.is_control() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                other => out.push_str(&format!("\\u{:04x}", other as u32)),
            }
            continue;
        }
        match c {
            '"' if !escaped => in_string = !in_string,
            _ => {}
        }
        escaped = in_string && c == '\\' && !escaped;
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        object(vec![
            ("title".into(), text("a title", 80)),
            (
                "level".into(),
                one_of("how much", &["high".into(), "low".into()]),
            ),
            (
                "items".into(),
                array("things", object(vec![("name".into(), text("n", 40))]), 1, 2),
            ),
        ])
    }

    #[test]
    fn built_schemas_follow_the_strict_rules_once_hints_are_removed() {
        let s = strict(&sample());
        assert_eq!(strict_problems(&s), Vec::<String>::new());
        assert!(!s.to_string().contains("maxLength"));
        assert!(sample().to_string().contains("maxLength"));
    }

    #[test]
    fn budgets_cover_the_longest_answer_and_need_bounds() {
        // Each field: its key (len/3 + 3) and value. title: 4 + (80/3 + 2) = 32; level: 4 +
        // ("\"high\"" 6/3 + 2) = 8; items: 4 + 2 + 2 × (object 2 + 4 + 40/3 + 2 = 21, + 1) =
        // 50; the object: 2 + 32 + 8 + 50 = 92; plus a tenth and 16.
        let b = token_budget(&sample()).unwrap();
        assert_eq!(b, 92 + 9 + 16, "{b}");
        let unbounded = object(vec![("x".into(), json!({"type": "string"}))]);
        assert_eq!(token_budget(&unbounded), None);
    }

    #[test]
    fn huge_bounds_saturate_at_the_cap_instead_of_wrapping() {
        let list = |max: u64, len: u64| {
            object(vec![(
                "x".into(),
                json!({"type": "array", "maxItems": max, "items": {"type": "string", "maxLength": len}}),
            )])
        };
        let cases = [
            (list(u64::MAX, 10), MAX_BUDGET),
            (list(1_000_000_000_000, 10), MAX_BUDGET),
            (list(3, u64::MAX), MAX_BUDGET),
            (list(u64::MAX, u64::MAX), MAX_BUDGET),
            // Small bounds are untouched: 2 + 3 × (10/3 + 2 + 1) = 20; the object 2 + 3 + 20.
            (list(3, 10), 25 + 2 + 16),
        ];
        for (schema, want) in cases {
            assert_eq!(token_budget(&schema), Some(want), "{schema}");
        }
    }

    #[test]
    fn strict_rule_breaks_are_named() {
        let cases = [
            (
                json!({"type": "array", "items": {"type": "string"}}),
                "root must be an object",
            ),
            (
                json!({"type": "object", "properties": {}}),
                "`additionalProperties` must be false",
            ),
            (
                json!({"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string"}}}),
                "$.a: every property must be in `required`",
            ),
            (
                json!({"type": "object", "additionalProperties": false, "required": [], "properties": {}, "allOf": []}),
                "`allOf` is not allowed",
            ),
            (
                json!({"type": "object", "additionalProperties": false, "required": ["a"], "properties": {"a": {"type": "array"}}}),
                "an array needs `items`",
            ),
        ];
        for (schema, want) in cases {
            let p = strict_problems(&schema);
            assert!(p.iter().any(|m| m.contains(want)), "{schema}: {p:?}");
        }
    }

    #[test]
    fn answers_are_validated_with_paths() {
        let s = sample();
        let good = json!({"title": "t", "level": "high", "items": [{"name": "x"}]});
        assert_eq!(validate(&s, &good), Vec::<String>::new());
        let cases = [
            (
                json!({"title": "t", "level": "mid", "items": [{"name": "x"}]}),
                "$.level: \"mid\" is not one of",
            ),
            (
                json!({"level": "high", "items": [{"name": "x"}]}),
                "$: `title` is missing",
            ),
            (
                json!({"title": 1, "level": "high", "items": [{"name": "x"}]}),
                "$.title: expected string, got an integer",
            ),
            (
                json!({"title": "t", "level": "high", "items": []}),
                "$.items: 0 items, at least 1 wanted",
            ),
            (
                json!({"title": "t", "level": "high", "items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
                "at most 2 wanted",
            ),
            (
                json!({"title": "t", "level": "high", "items": [{"name": "x", "extra": 1}]}),
                "$.items[0].extra: not expected here",
            ),
            (
                json!({"title": "t", "level": "high", "items": [{}]}),
                "$.items[0]: `name` is missing",
            ),
        ];
        for (value, want) in cases {
            let p = validate(&s, &value);
            assert!(p.iter().any(|m| m.contains(want)), "{value}: {p:?}");
        }
    }

    #[test]
    fn json_is_found_in_a_models_text() {
        let cases = [
            ("{\"a\": 1}", Some(json!({"a": 1}))),
            (
                "Here you go:\n```json\n{\"a\": 2}\n```\nHope it helps",
                Some(json!({"a": 2})),
            ),
            ("Sure! {\"a\": 3} Done.", Some(json!({"a": 3}))),
            ("[1, 2]", None),
            ("no json here", None),
            ("{broken", None),
            (
                "{\"a\": \"line one\nline two\ttab\"}",
                Some(json!({"a": "line one\nline two\ttab"})),
            ),
            ("{\"a\": \"q\\\"\n\"}", Some(json!({"a": "q\"\n"}))),
            ("{\n  \"a\": 1\n}", Some(json!({"a": 1}))),
        ];
        for (text, want) in cases {
            assert_eq!(extract_json(text), want, "{text}");
        }
    }
}
