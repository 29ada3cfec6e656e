//! Streamed answers: server-sent events in, text out as it arrives, and the whole answer at
//! the end. [`Accumulator`] is the pure part (one event's data at a time); [`read`] drives it
//! from the HTTP body.

use super::Sink;
use super::failure::{Failure, error_text};
use super::think::ThinkFilter;
use super::wire;
use crate::chat::{Answer, FinishReason, Usage};
use crate::text::snippet;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Builds an answer from stream events, passing answer text to the sink as it comes.
pub struct Accumulator {
    filter: ThinkFilter,
    text: String,
    reasoning: String,
    model: String,
    usage: Option<Usage>,
    finish_reason: Option<FinishReason>,
    first_token: Option<Duration>,
    started: Instant,
}

/// Whether to read on.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    More,
    Done,
}

impl Accumulator {
    pub fn new(requested_model: &str, started: Instant) -> Accumulator {
        Accumulator {
            filter: ThinkFilter::default(),
            text: String::new(),
            reasoning: String::new(),
            model: requested_model.to_string(),
            usage: None,
            finish_reason: None,
            first_token: None,
            started,
        }
    }

    /// One event's `data`.
    pub fn event(&mut self, data: &str, sink: &mut dyn Sink) -> Result<Flow, Failure> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(Flow::More);
        }
        if data == "[DONE]" {
            return Ok(Flow::Done);
        }
        let chunk: Value = serde_json::from_str(data).map_err(|_| {
            Failure::Protocol(format!(
                "a stream event is not JSON: {}",
                snippet(data, 120)
            ))
        })?;
        if let Some(err) = chunk.get("error") {
            return Err(Failure::Stream(format!(
                "the server reported an error mid-stream: {}",
                error_text(err)
            )));
        }
        if let Some(m) = chunk
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
        {
            self.model = m.to_string();
        }
        if let Some(u) = wire::usage(&chunk) {
            self.usage = Some(u);
        }
        let Some(choice) = wire::first_choice(&chunk) else {
            return Ok(Flow::More);
        };
        if let Some(delta) = choice.get("delta").or_else(|| choice.get("message")) {
            let parts = wire::parts(delta);
            self.reasoning.push_str(&parts.reasoning);
            if let Some(piece) = parts.content {
                if self.first_token.is_none() && !piece.is_empty() {
                    self.first_token = Some(self.started.elapsed());
                }
                let split = self.filter.feed(piece);
                self.reasoning.push_str(&split.reasoning);
                self.emit(&split.answer, sink);
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.into());
        }
        Ok(Flow::More)
    }

    fn emit(&mut self, piece: &str, sink: &mut dyn Sink) {
        // Leading blank lines (common after a reasoning block) carry nothing.
        let piece = if self.text.is_empty() {
            piece.trim_start()
        } else {
            piece
        };
        if !piece.is_empty() {
            self.text.push_str(piece);
            sink.text(piece);
        }
    }

    /// The whole answer, once the stream has ended.
    pub fn finish(mut self, sink: &mut dyn Sink) -> Result<Answer, Failure> {
        let rest = self.filter.finish();
        self.reasoning.push_str(&rest.reasoning);
        self.emit(&rest.answer, sink);
        let cut_off = self.finish_reason.as_ref().is_some_and(|r| r.is_cut_off());
        if self.text.trim().is_empty() && !cut_off {
            return Err(Failure::Stream("the server sent an empty answer".into()));
        }
        let Some(finish_reason) = self.finish_reason else {
            return Err(Failure::Stream(format!(
                "the stream ended before the answer was finished (no finish_reason after {} characters)",
                self.text.len()
            )));
        };
        Ok(Answer {
            text: self.text.trim_end().to_string(),
            reasoning: Some(self.reasoning).filter(|r| !r.trim().is_empty()),
            model: self.model,
            usage: self.usage,
            finish_reason,
            elapsed: self.started.elapsed(),
            first_token: self.first_token,
            attempts: 1,
        })
    }
}

/// Reads an SSE body to its end (or `[DONE]`).
pub async fn read(
    resp: reqwest::Response,
    requested_model: &str,
    sink: &mut dyn Sink,
    started: Instant,
    body_error: impl Fn(&reqwest::Error) -> Failure,
) -> Result<Answer, Failure> {
    let mut events = resp.bytes_stream().eventsource();
    let mut acc = Accumulator::new(requested_model, started);
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| match e {
            eventsource_stream::EventStreamError::Transport(t) => body_error(&t),
            other => Failure::Stream(format!("the stream is malformed: {other}")),
        })?;
        if acc.event(&event.data, sink)? == Flow::Done {
            break;
        }
    }
    acc.finish(sink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default)]
    struct Collect(String);
    impl Sink for Collect {
        fn text(&mut self, delta: &str) {
            self.0.push_str(delta);
        }
        fn restart(&mut self) -> bool {
            true
        }
    }

    fn delta(v: Value) -> String {
        json!({"model": "m2", "choices": [{"delta": v, "finish_reason": null}]}).to_string()
    }

    fn run(events: &[String]) -> (Result<Answer, Failure>, String) {
        let mut acc = Accumulator::new("asked", Instant::now());
        let mut sink = Collect::default();
        for e in events {
            match acc.event(e, &mut sink) {
                Ok(Flow::Done) => break,
                Ok(Flow::More) => {}
                Err(f) => return (Err(f), sink.0),
            }
        }
        (acc.finish(&mut sink), sink.0)
    }

    fn finish(reason: &str) -> String {
        json!({"choices": [{"delta": {}, "finish_reason": reason}]}).to_string()
    }

    #[test]
    fn text_reasoning_usage_and_model_are_gathered() {
        let events = [
            delta(json!({"role": "assistant", "content": ""})),
            delta(json!({"reasoning_content": "thinking "})),
            delta(json!({"content": "<think>more</think>\n\nHel"})),
            delta(json!({"content": "lo"})),
            finish("stop"),
            json!({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}).to_string(),
            "[DONE]".to_string(),
            delta(json!({"content": "after done is ignored"})),
        ];
        let (answer, shown) = run(&events);
        let a = answer.unwrap();
        assert_eq!(shown, "Hello");
        assert_eq!(a.text, "Hello");
        assert_eq!(a.reasoning.as_deref(), Some("thinking more"));
        assert_eq!(a.model, "m2");
        assert_eq!(a.usage.unwrap().total_tokens, 3);
        assert_eq!(a.finish_reason, FinishReason::Stop);
        assert!(a.first_token.is_some());
    }

    #[test]
    fn blank_events_and_message_shaped_chunks_are_fine() {
        let events = [
            " ".to_string(),
            json!({"choices": [{"message": {"content": "whole"}, "finish_reason": "stop"}]})
                .to_string(),
        ];
        assert_eq!(run(&events).0.unwrap().text, "whole");
    }

    #[test]
    fn broken_streams_are_failures() {
        let cases: &[(&[String], &str)] = &[
            (
                &[delta(json!({"content": "half"}))],
                "no finish_reason after 4 characters",
            ),
            (&[finish("stop")], "empty answer"),
            (&["{not json".to_string()], "a stream event is not JSON"),
            (
                &[json!({"error": {"message": "overloaded"}}).to_string()],
                "mid-stream: overloaded",
            ),
        ];
        for (events, want) in cases {
            let e = run(events).0.unwrap_err().describe();
            assert!(e.contains(want), "{events:?}: {e}");
        }
    }

    #[test]
    fn a_cut_off_empty_answer_is_kept_for_its_warning() {
        let a = run(&[finish("length")]).0.unwrap();
        assert!(a.finish_reason.is_cut_off());
        assert_eq!(a.text, "");
    }
}
