//! Streamed answers: server-sent events in, text out as it arrives, and the whole answer at
//! the end. [`EventParser`] splits the bytes into events (linear time, bounded lines),
//! [`Accumulator`] builds the answer from their data, and [`read`] drives both from the body.
//!
//! The parser is ours rather than a crate's: the SSE crate we used re-scanned its whole buffer
//! for every chunk (quadratic in line length) and had no bound on a line, so a server sending
//! one endless line could pin a core and fill memory.

use super::Sink;
use super::failure::{Failure, error_text};
use super::think::ThinkFilter;
use super::wire;
use crate::chat::{Answer, FinishReason, Usage};
use crate::sanitize::StreamCleaner;
use crate::text::snippet;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Builds an answer from stream events, passing answer text to the sink as it comes (cleaned
/// of terminal controls and the key), up to a size limit.
pub struct Accumulator<'k> {
    filter: ThinkFilter,
    cleaner: StreamCleaner<'k>,
    refusal: String,
    max_bytes: usize,
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

impl<'k> Accumulator<'k> {
    /// `key` is scrubbed from the text; `max_bytes` bounds answer plus reasoning.
    pub fn new(
        requested_model: &str,
        started: Instant,
        key: Option<&'k str>,
        max_bytes: usize,
    ) -> Self {
        Accumulator {
            filter: ThinkFilter::default(),
            cleaner: StreamCleaner::new(key),
            refusal: String::new(),
            max_bytes,
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
            self.refusal.push_str(parts.refusal.unwrap_or_default());
            if let Some(piece) = parts.content {
                if self.first_token.is_none() && !piece.is_empty() {
                    self.first_token = Some(self.started.elapsed());
                }
                let split = self.filter.feed(piece);
                self.reasoning.push_str(&split.reasoning);
                let clean = self.cleaner.feed(&split.answer);
                self.emit(&clean, sink);
            }
            self.check_size()?;
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.into());
        }
        Ok(Flow::More)
    }

    fn check_size(&self) -> Result<(), Failure> {
        if self.text.len() + self.reasoning.len() > self.max_bytes {
            return Err(Failure::Limit(format!(
                "the answer is larger than {} (max_answer_bytes); no real section is that long",
                crate::text::bytes(self.max_bytes as u64)
            )));
        }
        Ok(())
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
        let clean = self.cleaner.feed(&rest.answer) + &self.cleaner.finish();
        self.emit(&clean, sink);
        let cut_off = self.finish_reason.as_ref().is_some_and(|r| r.is_cut_off());
        if self.text.trim().is_empty() && !self.refusal.is_empty() {
            return Err(Failure::Refused(std::mem::take(&mut self.refusal)));
        }
        if self.text.trim().is_empty() && self.reasoning.trim().is_empty() && !cut_off {
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

/// A line longer than the limit: no real event is that long.
#[derive(Debug, PartialEq, Eq)]
pub struct LineTooLong(pub usize);

/// Splits an SSE byte stream into events' `data`, per the WHATWG rules: lines end in `\n`,
/// `\r\n` or `\r`; `data:` lines (one leading space dropped) join with `\n`; a blank line ends
/// an event; comments and other fields are ignored. Each byte is looked at once.
pub struct EventParser {
    line: Vec<u8>,
    data: String,
    has_data: bool,
    /// The previous chunk ended in `\r`: a `\n` starting this one belongs to it.
    after_cr: bool,
    max_line: usize,
}

impl EventParser {
    pub fn new(max_line: usize) -> Self {
        EventParser {
            line: Vec::new(),
            data: String::new(),
            has_data: false,
            after_cr: false,
            max_line,
        }
    }

    /// Feeds bytes; complete events' data go to `events`.
    pub fn feed(&mut self, mut bytes: &[u8], events: &mut Vec<String>) -> Result<(), LineTooLong> {
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.extend_line(&bytes[..end])?;
            let cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            self.end_line(events);
        }
        self.extend_line(bytes)
    }

    fn extend_line(&mut self, part: &[u8]) -> Result<(), LineTooLong> {
        if self.line.len() + part.len() > self.max_line {
            return Err(LineTooLong(self.max_line));
        }
        self.line.extend_from_slice(part);
        Ok(())
    }

    fn end_line(&mut self, events: &mut Vec<String>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if self.has_data {
                events.push(std::mem::take(&mut self.data));
                self.has_data = false;
            }
            return;
        }
        let line = String::from_utf8_lossy(&line);
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        if field == "data" {
            if self.has_data {
                self.data.push('\n');
            }
            self.data.push_str(value);
            self.has_data = true;
        }
    }

    /// At the end of the body: an event not closed by a blank line still counts (servers
    /// often end with `data: [DONE]\n`).
    pub fn finish(&mut self, events: &mut Vec<String>) {
        if !self.line.is_empty() {
            self.end_line(events);
        }
        if self.has_data {
            events.push(std::mem::take(&mut self.data));
            self.has_data = false;
        }
    }
}

/// Reads an SSE body to its end (or `[DONE]`).
pub async fn read(
    mut resp: reqwest::Response,
    acc: &mut Accumulator<'_>,
    sink: &mut dyn Sink,
    max_line: usize,
    body_error: impl Fn(&reqwest::Error) -> Failure,
) -> Result<(), Failure> {
    let mut parser = EventParser::new(max_line);
    let mut events = Vec::new();
    let too_long = |LineTooLong(max)| {
        Failure::Limit(format!(
            "the stream sent a line longer than {} (max_answer_bytes); no real answer has one",
            crate::text::bytes(max as u64)
        ))
    };
    loop {
        let chunk = resp.chunk().await.map_err(|e| body_error(&e))?;
        match &chunk {
            Some(bytes) => parser.feed(bytes, &mut events).map_err(too_long)?,
            None => parser.finish(&mut events),
        }
        for data in events.drain(..) {
            if acc.event(&data, sink)? == Flow::Done {
                return Ok(());
            }
        }
        if chunk.is_none() {
            return Ok(());
        }
    }
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
        let mut acc = Accumulator::new("asked", Instant::now(), None, 1 << 20);
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
