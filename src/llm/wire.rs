//! The chat-completions wire format: the request body, adapting it to what a server rejects,
//! and reading a whole (non-streamed) completion.

use super::failure::{Failure, error_text};
use super::think;
use crate::chat::{Answer, ChatRequest, FinishReason, RequestSettings, Usage};
use crate::text::snippet;
use serde_json::{Value, json};
use std::time::Duration;

/// The body field that carries the answer's token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    MaxTokens,
    /// OpenAI's newer name, which some models require.
    MaxCompletionTokens,
}

impl MaxTokensField {
    pub fn as_str(self) -> &'static str {
        match self {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// The optional parameters of a request body, adapted when a server rejects one.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub max_tokens_field: MaxTokensField,
    pub stream_usage: bool,
}

impl Params {
    pub fn new(settings: &RequestSettings, stream_usage: bool) -> Params {
        Params {
            temperature: settings.temperature,
            max_tokens: settings.max_tokens,
            max_tokens_field: MaxTokensField::MaxTokens,
            stream_usage,
        }
    }
}

pub fn body(model: &str, req: &ChatRequest, p: &Params) -> Value {
    let stream = req.stream;
    let mut body = json!({ "model": model, "messages": req.messages, "stream": stream });
    if let Some(format) = req.response_format {
        body["response_format"] = format.clone();
    }
    if let Some(t) = p.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(m) = p.max_tokens {
        body[p.max_tokens_field.as_str()] = json!(m);
    }
    if stream && p.stream_usage {
        body["stream_options"] = json!({ "include_usage": true });
    }
    body
}

/// Adapts the parameters to a server's 400 complaint; returns what changed, or None.
pub fn adapt(p: &mut Params, message: &str, stream: bool) -> Option<&'static str> {
    let m = message.to_lowercase();
    if p.max_tokens.is_some() && m.contains("max_completion_tokens") {
        return Some(match p.max_tokens_field {
            MaxTokensField::MaxTokens => {
                p.max_tokens_field = MaxTokensField::MaxCompletionTokens;
                "sending max_completion_tokens instead of max_tokens"
            }
            MaxTokensField::MaxCompletionTokens => {
                p.max_tokens_field = MaxTokensField::MaxTokens;
                "sending max_tokens instead of max_completion_tokens"
            }
        });
    }
    if stream && p.stream_usage && m.contains("stream_options") {
        p.stream_usage = false;
        return Some(
            "not asking for usage in the stream (stream_options), so token counts may be missing",
        );
    }
    if p.temperature.is_some() && m.contains("temperature") {
        p.temperature = None;
        return Some("leaving out temperature, which this model does not accept");
    }
    None
}

/// The text fields of a `message` (whole answers) or `delta` (stream chunks).
pub struct Parts<'a> {
    pub content: Option<&'a str>,
    pub reasoning: String,
    /// OpenAI's `refusal`: the model declined, and says why.
    pub refusal: Option<&'a str>,
}

pub fn parts(message: &Value) -> Parts<'_> {
    let mut reasoning = String::new();
    for field in ["reasoning_content", "reasoning"] {
        if let Some(r) = message.get(field).and_then(Value::as_str) {
            reasoning.push_str(r);
        }
    }
    Parts {
        content: message.get("content").and_then(Value::as_str),
        reasoning,
        refusal: message
            .get("refusal")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty()),
    }
}

/// The first choice of a completion or chunk.
pub fn first_choice(v: &Value) -> Option<&Value> {
    v.get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
}

pub fn usage(v: &Value) -> Option<Usage> {
    v.get("usage")
        .filter(|u| !u.is_null())
        .and_then(|u| serde_json::from_value(u.clone()).ok())
}

/// Parses a non-streamed chat completion.
pub fn parse_completion(body: &str, requested_model: &str) -> Result<Answer, Failure> {
    let v: Value = serde_json::from_str(body).map_err(|_| {
        Failure::Protocol(format!("the answer is not JSON: {}", snippet(body, 160)))
    })?;
    if let Some(err) = v.get("error") {
        return Err(Failure::Stream(format!(
            "the server reported an error: {}",
            error_text(err)
        )));
    }
    let choice =
        first_choice(&v).ok_or_else(|| Failure::Protocol("the answer has no choices".into()))?;
    let message = choice.get("message").unwrap_or(&Value::Null);
    let parts = parts(message);
    if let Some(refusal) = parts.refusal
        && parts.content.is_none_or(|c| c.trim().is_empty())
    {
        return Err(Failure::Refused(refusal.to_string()));
    }
    let split = think::split(parts.content.unwrap_or_default());
    let finish_reason: FinishReason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Failure::Stream("the answer has no finish_reason: it may be incomplete".into())
        })?
        .into();
    let reasoning = split.reasoning + &parts.reasoning;
    if split.answer.trim().is_empty() && reasoning.trim().is_empty() && !finish_reason.is_cut_off()
    {
        return Err(Failure::Stream("the server sent an empty answer".into()));
    }
    Ok(Answer {
        text: split.answer.trim().to_string(),
        reasoning: Some(reasoning).filter(|r| !r.trim().is_empty()),
        model: v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(requested_model)
            .to_string(),
        usage: usage(&v),
        finish_reason,
        elapsed: Duration::ZERO,
        first_token: None,
        attempts: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Message;

    fn params() -> Params {
        Params::new(
            &RequestSettings {
                model: None,
                temperature: Some(0.3),
                max_tokens: Some(100),
            },
            true,
        )
    }

    #[test]
    fn bodies_carry_only_what_is_set() {
        let msgs = [Message::user("hi")];
        let b = body("m", &ChatRequest::new(&msgs, true), &params());
        assert_eq!(
            b,
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": true,
                   "temperature": 0.3, "max_tokens": 100, "stream_options": {"include_usage": true}})
        );
        let bare = Params::new(&RequestSettings::default(), true);
        let b = body("m", &ChatRequest::new(&msgs, false), &bare);
        assert_eq!(b.as_object().unwrap().len(), 3, "{b}");
        // A structured request carries its response_format; a per-request limit wins.
        let format = json!({"type": "json_object"});
        let req = ChatRequest {
            messages: &msgs,
            stream: false,
            response_format: Some(&format),
            max_tokens: Some(7),
        };
        let mut p = params();
        p.max_tokens = req.max_tokens.or(p.max_tokens);
        let b = body("m", &req, &p);
        assert_eq!(b["response_format"], format);
        assert_eq!(b["max_tokens"], 7);
    }

    #[test]
    fn adaptations_follow_the_complaint() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            (
                "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.",
                true,
                Some("sending max_completion_tokens instead of max_tokens"),
            ),
            (
                "stream_options is not supported",
                true,
                Some("not asking for usage in the stream"),
            ),
            ("stream_options is not supported", false, None),
            (
                "temperature does not support 0.3",
                true,
                Some("leaving out temperature"),
            ),
            ("messages: field required", true, None),
        ];
        for (message, stream, want) in cases {
            let mut p = params();
            let got = adapt(&mut p, message, *stream);
            match want {
                Some(w) => assert!(got.is_some_and(|g| g.starts_with(w)), "{message}: {got:?}"),
                None => assert_eq!(got, None, "{message}"),
            }
        }
    }

    #[test]
    fn adaptations_change_the_body_and_can_flip_back() {
        let mut p = params();
        adapt(&mut p, "use max_completion_tokens", true).unwrap();
        let b = body("m", &ChatRequest::new(&[], true), &p);
        assert_eq!(b["max_completion_tokens"], 100);
        assert!(b.get("max_tokens").is_none());
        adapt(&mut p, "max_completion_tokens is not supported", true).unwrap();
        assert_eq!(p.max_tokens_field, MaxTokensField::MaxTokens);
        adapt(&mut p, "bad temperature", true).unwrap();
        assert!(
            body("m", &ChatRequest::new(&[], true), &p)
                .get("temperature")
                .is_none()
        );
        assert_eq!(adapt(&mut p, "bad temperature", true), None, "only once");
    }

    #[test]
    fn completions_are_parsed_with_reasoning_apart() {
        let body = json!({"model": "served", "choices": [{"message": {"content": "<think>hm</think>\n\nAnswer ", "reasoning_content": "more"}, "finish_reason": "stop"}],
                          "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}).to_string();
        let a = parse_completion(&body, "asked").unwrap();
        assert_eq!(a.text, "Answer");
        assert_eq!(a.reasoning.as_deref(), Some("hmmore"));
        assert_eq!(a.model, "served");
        assert_eq!(a.finish_reason, FinishReason::Stop);
        assert_eq!(a.usage.unwrap().total_tokens, 3);
    }

    #[test]
    fn broken_completions_are_failures() {
        let cases = [
            ("not json", "the answer is not JSON"),
            (
                r#"{"error": {"message": "boom"}}"#,
                "the server reported an error: boom",
            ),
            (r#"{"choices": []}"#, "no choices"),
            (
                r#"{"choices": [{"message": {"content": "x"}}]}"#,
                "no finish_reason",
            ),
            (
                r#"{"choices": [{"message": {"content": " "}, "finish_reason": "stop"}]}"#,
                "empty answer",
            ),
        ];
        for (body, want) in cases {
            let e = parse_completion(body, "m").unwrap_err().describe();
            assert!(e.contains(want), "{body}: {e}");
        }
        // An empty answer cut at the limit is an answer (with a warning), not a failure.
        let cut = r#"{"choices": [{"message": {"content": ""}, "finish_reason": "length"}]}"#;
        assert!(
            parse_completion(cut, "m")
                .unwrap()
                .finish_reason
                .is_cut_off()
        );
    }
}
