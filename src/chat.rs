//! The vocabulary of a chat completion, shared by every layer: messages as filled and sent, the
//! request settings that shape an answer, and the answer that comes back. Plain data, no I/O.

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Message {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }
}

/// The settings that shape an answer, wherever they are set (profile, project, flags) and
/// wherever they are kept (the endpoint, the stored record, the request body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestSettings {
    /// `None`: the server's only model.
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
}

impl RequestSettings {
    /// Each setting from `self`, else from `lower` (the layer below in the precedence).
    pub fn or(self, lower: &RequestSettings) -> RequestSettings {
        RequestSettings {
            model: self.model.or_else(|| lower.model.clone()),
            temperature: self.temperature.or(lower.temperature),
            max_tokens: self.max_tokens.or(lower.max_tokens),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    /// Saturating: the numbers come from a server, and a hostile one may send u64::MAX.
    fn add_assign(&mut self, u: Usage) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(u.prompt_tokens);
        self.completion_tokens = self.completion_tokens.saturating_add(u.completion_tokens);
        self.total_tokens = self.total_tokens.saturating_add(u.total_tokens);
    }
}

/// Why the model stopped. Kept as the server's word when it is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FinishReason {
    Stop,
    /// Cut off at the token limit.
    Length,
    ContentFilter,
    ToolCalls,
    Other(String),
}

impl FinishReason {
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Other(s) => s,
        }
    }

    pub fn is_cut_off(&self) -> bool {
        *self == FinishReason::Length
    }
}

impl From<String> for FinishReason {
    fn from(s: String) -> Self {
        FinishReason::from(s.as_str())
    }
}

impl From<&str> for FinishReason {
    fn from(s: &str) -> Self {
        match s {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" => FinishReason::ToolCalls,
            other => FinishReason::Other(other.to_string()),
        }
    }
}

impl From<FinishReason> for String {
    fn from(r: FinishReason) -> String {
        r.as_str().to_string()
    }
}

/// One request as the caller wants it: the messages, and what shapes this answer in particular.
#[derive(Debug, Clone, Copy)]
pub struct ChatRequest<'a> {
    pub messages: &'a [Message],
    pub stream: bool,
    /// The `response_format` to send (structured sections), if any.
    pub response_format: Option<&'a serde_json::Value>,
    /// The answer's token limit for this request, over the endpoint's.
    pub max_tokens: Option<u32>,
}

impl<'a> ChatRequest<'a> {
    pub fn new(messages: &'a [Message], stream: bool) -> Self {
        ChatRequest {
            messages,
            stream,
            response_format: None,
            max_tokens: None,
        }
    }
}

/// A whole answer from the endpoint.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    /// Reasoning text the model sent apart from its answer (kept, never shown as the answer).
    /// Some servers put a structured answer here and leave `text` empty.
    pub reasoning: Option<String>,
    /// The model the server says answered.
    pub model: String,
    pub usage: Option<Usage>,
    pub finish_reason: FinishReason,
    pub elapsed: Duration,
    pub first_token: Option<Duration>,
    pub attempts: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_round_trip_as_the_servers_words() {
        let cases = [
            ("stop", FinishReason::Stop, "stop"),
            ("length", FinishReason::Length, "length"),
            (
                "content_filter",
                FinishReason::ContentFilter,
                "content_filter",
            ),
            ("tool_calls", FinishReason::ToolCalls, "tool_calls"),
            ("eos", FinishReason::Other("eos".into()), "eos"),
            ("weird", FinishReason::Other("weird".into()), "weird"),
        ];
        for (word, reason, back) in cases {
            assert_eq!(FinishReason::from(word), reason, "{word}");
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{back}\""));
            assert_eq!(serde_json::from_str::<FinishReason>(&json).unwrap(), reason);
        }
        assert!(FinishReason::Length.is_cut_off());
        assert!(!FinishReason::Stop.is_cut_off());
    }

    #[test]
    fn messages_serialize_as_the_wire_expects() {
        let m = Message::user("hi");
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"role":"user","content":"hi"}"#
        );
        let back: Message = serde_json::from_str(r#"{"role":"system","content":"s"}"#).unwrap();
        assert_eq!(back, Message::system("s"));
    }

    #[test]
    fn settings_layer_field_by_field() {
        let flag = RequestSettings {
            temperature: Some(0.1),
            ..Default::default()
        };
        let profile = RequestSettings {
            model: Some("m".into()),
            temperature: Some(0.9),
            max_tokens: Some(10),
        };
        assert_eq!(
            flag.or(&profile),
            RequestSettings {
                model: Some("m".into()),
                temperature: Some(0.1),
                max_tokens: Some(10),
            }
        );
    }

    #[test]
    fn usage_from_a_hostile_server_saturates() {
        let mut total = Usage {
            prompt_tokens: u64::MAX,
            completion_tokens: 1,
            total_tokens: u64::MAX,
        };
        total += total;
        assert_eq!(total.prompt_tokens, u64::MAX);
        assert_eq!(total.completion_tokens, 2);
    }

    #[test]
    fn usage_adds_up() {
        let mut total = Usage::default();
        total += Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
        };
        total += Usage {
            prompt_tokens: 10,
            completion_tokens: 20,
            total_tokens: 30,
        };
        assert_eq!(
            total,
            Usage {
                prompt_tokens: 11,
                completion_tokens: 22,
                total_tokens: 33
            }
        );
    }
}
