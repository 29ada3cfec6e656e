//! How real OpenAI-compatible servers answer a request for structured output, imitated for the
//! in-process server: which `response_format` each accepts, what it answers when it does not,
//! and a fake model that fills any strict schema with a valid instance.

use super::fake_server::{Recorded, Reply};
use serde_json::{Map, Value, json};

/// A server's way with `response_format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI, vLLM, LM Studio: `json_schema` is honoured.
    JsonSchema,
    /// llama-cpp-python: `json_schema` → HTTP 500 (a pydantic error naming response_format);
    /// `json_object` with a `schema` is honoured.
    LlamaCppPython,
    /// Neither: `json_schema` → 500 and `json_object` → 400 (LM Studio's words); only a schema
    /// in the prompt works.
    NoFormats,
    /// A gateway that drops `response_format` and answers prose.
    IgnoresFormat,
}

/// The kind of `response_format` in a request, if any.
pub fn format_of(req: &Recorded) -> Option<String> {
    req.body
        .get("response_format")
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The schema a request asks for: in `response_format`, or in the prompt's ```json block.
pub fn schema_of(req: &Recorded) -> Option<Value> {
    let format = req.body.get("response_format");
    if let Some(s) = format.and_then(|f| f.pointer("/json_schema/schema")) {
        return Some(s.clone());
    }
    if let Some(s) = format.and_then(|f| f.get("schema")) {
        return Some(s.clone());
    }
    let text: String = req.body["messages"]
        .as_array()?
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let start = text.find("```json\n")? + 8;
    let end = start + text[start..].find("\n```")?;
    serde_json::from_str(&text[start..end]).ok()
}

/// A valid instance of a strict schema: every required property, the first enum value, the
/// fewest items allowed (at least one), and `text` in every string.
pub fn fill_schema(schema: &Value, text: &str) -> Value {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    let ty = match schema.get("type") {
        Some(Value::Array(ts)) => ts
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or_default(),
        Some(t) => t.clone(),
        None => Value::Null,
    };
    match ty.as_str().unwrap_or_default() {
        "object" => {
            let mut out = Map::new();
            for (name, sub) in schema["properties"].as_object().into_iter().flatten() {
                out.insert(name.clone(), fill_schema(sub, text));
            }
            Value::Object(out)
        }
        "array" => {
            let n = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let enums = schema["items"].get("enum").and_then(Value::as_array);
            (0..n as usize)
                .map(|i| match enums {
                    // Different enum values across items, so coverage is possible.
                    Some(values) => values[i % values.len()].clone(),
                    None => fill_schema(&schema["items"], text),
                })
                .collect()
        }
        "integer" | "number" => json!(1),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => json!(text),
    }
}

/// What a server of this dialect answers: valid JSON (with `text` as every string) when it
/// takes the request's way of asking, an error when it does not, prose when it ignores it.
pub fn answer(dialect: Dialect, req: &Recorded, text: &str) -> Reply {
    let format = format_of(req);
    let rejected = match (dialect, format.as_deref()) {
        (Dialect::LlamaCppPython | Dialect::NoFormats, Some("json_schema")) => Some(Reply::json(
            500,
            json!({"error": {"message": "1 validation error: [{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}]", "type": "internal_server_error"}}),
        )),
        (Dialect::NoFormats, Some("json_object")) => Some(Reply::json(
            400,
            json!({"error": "'response_format.type' must be 'json_schema' or 'text'"}),
        )),
        _ => None,
    };
    if let Some(reply) = rejected {
        return reply;
    }
    let body = match (dialect, schema_of(req)) {
        (Dialect::IgnoresFormat, _) | (_, None) => text.to_string(),
        (_, Some(schema)) => fill_schema(&schema, text).to_string(),
    };
    reply_text(req, &body)
}

/// `body` as the model's answer, streamed when the request asks for a stream.
pub fn reply_text(req: &Recorded, body: &str) -> Reply {
    if req.wants_stream() {
        Reply::stream_text(body, 4, 0)
    } else {
        Reply::completion(body)
    }
}
