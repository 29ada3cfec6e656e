//! The provider's Batch API (OpenAI, and Azure's batch deployments): upload a JSONL file of
//! chat requests, create a batch (results within 24 hours, at half the price), poll it, and
//! download its output and error files. Local servers have no Batch API.

use super::Client;
use super::failure;
use crate::error::{EndpointError, Error, Result};
use serde_json::{Value, json};

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStatus {
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Failed,
    Expired,
    Cancelling,
    Cancelled,
}

impl BatchStatus {
    fn parse(s: &str) -> Option<BatchStatus> {
        Some(match s {
            "validating" => BatchStatus::Validating,
            "in_progress" => BatchStatus::InProgress,
            "finalizing" => BatchStatus::Finalizing,
            "completed" => BatchStatus::Completed,
            "failed" => BatchStatus::Failed,
            "expired" => BatchStatus::Expired,
            "cancelling" => BatchStatus::Cancelling,
            "cancelled" => BatchStatus::Cancelled,
            _ => return None,
        })
    }

    /// Still working: its results are yet to come.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            BatchStatus::Validating
                | BatchStatus::InProgress
                | BatchStatus::Finalizing
                | BatchStatus::Cancelling
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::InProgress => "in progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Expired => "expired",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BatchInfo {
    pub id: String,
    pub status: BatchStatus,
    pub output_file_id: Option<String>,
    pub error_file_id: Option<String>,
    pub completed: u64,
    pub total: u64,
}

/// The `url` each JSONL line names: Azure's batch deployments want the path without `/v1`.
pub fn line_url(client: &Client) -> &'static str {
    let azure = client
        .endpoint()
        .transport
        .query
        .iter()
        .any(|(k, _)| k == "api-version");
    if azure {
        "/chat/completions"
    } else {
        "/v1/chat/completions"
    }
}

/// The largest batch or file object read back: a few hundred bytes in practice.
const MAX_OBJECT_BYTES: usize = 1 << 20;
/// The longest id (of a batch or a file) taken from a server: ids go into URLs and batch.json.
const MAX_ID: usize = 200;
/// The longest message kept from a batch endpoint (a failed line's error, a status): what is
/// stored in batch.json and failures.json, and shown.
pub const MAX_MESSAGE: usize = 2000;
/// How much of a line too long to keep is read for its `custom_id`.
const LINE_START: usize = 4096;

/// Whether `id` can be a batch or file id: letters, digits, `-`, `_` and `.` (OpenAI's
/// `batch_abc123` and `file-abc`, Azure's UUIDs), at most 200 of them. Anything else would be
/// a path in a URL, or escape codes in a message.
pub fn valid_remote_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Client {
    fn batch_error(&self, action: &str, reason: &str, hint: Option<crate::error::Hint>) -> Error {
        EndpointError {
            action: action.to_string(),
            reason: crate::text::snippet(&self.clean(reason), MAX_MESSAGE),
            attempts: 1,
            after_partial_output: false,
            hint,
            format_rejected: false,
        }
        .into()
    }

    /// Sends a request of the Batch API. With `missing_ok`, a 404 is `None`: the server does
    /// not know that batch or file (and no hint about the base URL, which is right).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(String, Vec<u8>)>,
        missing_ok: bool,
    ) -> Result<Option<reqwest::Response>> {
        let url = self.endpoint.transport.url(path);
        let action = format!("{method} {url}");
        let mut req = self.request(self.http.request(method, &url));
        if let Some((content_type, bytes)) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let started = std::time::Instant::now();
        let resp = req.send().await.map_err(|e| {
            let f = self.transport_failure(&e, failure::Stage::Sending, started);
            let hint = f.hint(&self.endpoint.profile, &self.model, &url);
            self.batch_error(&action, &f.describe(), hint)
        })?;
        self.pacer.observe(resp.headers());
        let status = resp.status();
        if missing_ok && status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let text = super::read_prefix(resp, super::ERROR_BODY_LIMIT).await;
            let f = failure::Failure::Http {
                status: status.as_u16(),
                message: failure::error_message(&self.clean(&text)),
                retry_after: None,
            };
            let t = &self.endpoint.transport;
            let hint = f.hint(&self.endpoint.profile, &self.model, &t.base_url);
            return Err(self.batch_error(&action, &f.describe(), hint));
        }
        Ok(Some(resp))
    }

    /// A Batch API object (a file or a batch) as JSON; `None` for a 404 with `missing_ok`.
    async fn api_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(String, Vec<u8>)>,
        missing_ok: bool,
    ) -> Result<Option<Value>> {
        let action = format!("{method} {path}");
        let Some(resp) = self.send(method, path, body, missing_ok).await? else {
            return Ok(None);
        };
        let text = super::read_capped(resp, MAX_OBJECT_BYTES)
            .await
            .map_err(|e| self.batch_error(&action, &e.to_string(), None))?
            .ok_or_else(|| self.batch_error(&action, "the answer is larger than 1 MiB", None))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| self.batch_error(&action, "the answer is not JSON", None))
    }

    /// The body of one request as a batch line carries it (never streamed).
    pub fn batch_body(&self, req: &crate::chat::ChatRequest<'_>) -> Value {
        let mut params = super::wire::Params::new(&self.endpoint.request, false);
        params.max_tokens = req.max_tokens.or(params.max_tokens);
        super::wire::body(&self.model, req, &params)
    }

    /// The answer in a batch result's body, cleaned and bounded as a live answer is.
    pub fn batch_answer(&self, body: &str) -> std::result::Result<crate::chat::Answer, String> {
        let max = self.endpoint.transport.max_answer_bytes;
        let answer = super::wire::parse_completion(body, &self.model)
            .map(|a| self.clean_answer(a))
            .map_err(|f| self.message(&f.describe()))?;
        if answer.text.len() > max {
            return Err(super::too_large(max).describe());
        }
        Ok(answer)
    }

    /// Text from a batch endpoint as it may be shown and stored: controls stripped, the key
    /// scrubbed (before the cut), one line of at most [`MAX_MESSAGE`] characters.
    fn message(&self, text: &str) -> String {
        crate::text::snippet(&self.clean(text), MAX_MESSAGE)
    }

    /// Uploads a JSONL file of requests (`purpose=batch`) and returns its id.
    pub async fn upload_batch_file(&self, jsonl: &[u8]) -> Result<String> {
        let boundary = format!("plan-ai-{:016x}", fastrand::u64(..));
        let mut body = Vec::with_capacity(jsonl.len() + 512);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plan-ai-batch.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(jsonl);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let v = self
            .api_json(
                reqwest::Method::POST,
                "files",
                Some((content_type, body)),
                false,
            )
            .await?
            .unwrap_or_default();
        self.remote_id(&v, "id")?
            .ok_or_else(|| self.missing_field(&v, "id"))
    }

    /// Creates a batch over an uploaded file, with a 24-hour window.
    pub async fn create_batch(&self, input_file_id: &str, description: &str) -> Result<BatchInfo> {
        let body = json!({
            "input_file_id": input_file_id,
            "endpoint": line_url(self),
            "completion_window": "24h",
            "metadata": {"created_by": "plan-ai", "description": description},
        });
        let body = Some(("application/json".into(), body.to_string().into_bytes()));
        let v = self
            .api_json(reqwest::Method::POST, "batches", body, false)
            .await?
            .unwrap_or_default();
        self.info(&v)
    }

    /// Where a batch stands; `None` when the server does not know it (deleted, another
    /// account's, or long gone).
    pub async fn get_batch(&self, id: &str) -> Result<Option<BatchInfo>> {
        if !valid_remote_id(id) {
            return Ok(None);
        }
        let path = format!("batches/{id}");
        match self
            .api_json(reqwest::Method::GET, &path, None, true)
            .await?
        {
            Some(v) => self.info(&v).map(Some),
            None => Ok(None),
        }
    }

    /// A file's content (a batch's output or errors: JSONL), read line by line as it arrives:
    /// only one line is held at a time, however large the file. A line over twice the answer
    /// limit (JSON escaping can double the text) is not read: it comes as a failed line.
    /// Returns false when the server no longer has the file.
    pub async fn file_lines(
        &self,
        file_id: &str,
        mut each: impl FnMut(ResultLine),
    ) -> Result<bool> {
        let path = format!("files/{file_id}/content");
        if !valid_remote_id(file_id) {
            return Ok(false);
        }
        let Some(mut resp) = self.send(reqwest::Method::GET, &path, None, true).await? else {
            return Ok(false);
        };
        let max_answer = self.endpoint.transport.max_answer_bytes;
        let mut lines = Lines::new(max_answer.saturating_mul(2) + super::ERROR_BODY_LIMIT);
        let mut handle = |line: Line<'_>| {
            if let Some(l) = self.result_line(line, max_answer) {
                each(l);
            }
        };
        loop {
            let chunk = resp
                .chunk()
                .await
                .map_err(|e| self.batch_error(&format!("GET {path}"), &e.to_string(), None))?;
            match chunk {
                Some(chunk) => lines.feed(&chunk, &mut handle),
                None => break,
            }
        }
        lines.finish(&mut handle);
        Ok(true)
    }

    /// One line of an output or error file, its messages cleaned and bounded.
    fn result_line(&self, line: Line<'_>, max_answer: usize) -> Option<ResultLine> {
        match line {
            Line::Whole(bytes) => {
                let mut l = parse_line(bytes)?;
                l.error = l.error.map(|e| self.message(&e));
                Some(l)
            }
            Line::TooLong(start) => Some(ResultLine {
                custom_id: custom_id_in(start)?,
                body: None,
                error: Some(super::too_large(max_answer).describe()),
            }),
        }
    }

    /// A batch object, its ids checked and its status one plan-ai knows.
    fn info(&self, v: &Value) -> Result<BatchInfo> {
        let status = v.get("status").and_then(Value::as_str);
        let status = status.ok_or_else(|| self.missing_field(v, "status"))?;
        let status = BatchStatus::parse(status).ok_or_else(|| {
            Error::Other(format!(
                "the batch has an unknown status `{}`",
                crate::text::snippet(&self.clean(status), 100)
            ))
        })?;
        Ok(BatchInfo {
            id: self
                .remote_id(v, "id")?
                .ok_or_else(|| self.missing_field(v, "id"))?,
            status,
            output_file_id: self.remote_id(v, "output_file_id")?,
            error_file_id: self.remote_id(v, "error_file_id")?,
            completed: v
                .pointer("/request_counts/completed")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            total: v
                .pointer("/request_counts/total")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        })
    }

    /// An id field, if present; refused when it is not a plain id.
    fn remote_id(&self, v: &Value, name: &str) -> Result<Option<String>> {
        match v.get(name).and_then(Value::as_str) {
            None => Ok(None),
            // A key echoed into an id would be printed and stored with it.
            Some(id) if valid_remote_id(id) && self.clean(id) == id => Ok(Some(id.to_string())),
            Some(id) => Err(Error::Other(format!(
                "the Batch API sent an unusable `{name}` ({}): an id is letters, digits, -, _ and .",
                crate::text::snippet(&self.clean(id), 100)
            ))),
        }
    }

    fn missing_field(&self, v: &Value, name: &str) -> Error {
        Error::Other(format!(
            "the Batch API answer has no `{name}`: {}",
            crate::text::snippet(&self.clean(&v.to_string()), 200)
        ))
    }
}

/// One line of a batch's output or error file.
#[derive(Debug)]
pub struct ResultLine {
    pub custom_id: String,
    /// The chat completion's body, when the request succeeded.
    pub body: Option<String>,
    /// Why it failed, otherwise.
    pub error: Option<String>,
}

/// A line of a file read in pieces: whole, or too long to keep (then its start only).
#[derive(Debug, PartialEq)]
pub enum Line<'a> {
    Whole(&'a [u8]),
    TooLong(&'a [u8]),
}

/// Splits a stream into lines, holding at most `max` bytes of one: linear in the input, and
/// bounded in memory whatever the lines' length.
pub struct Lines {
    max: usize,
    line: Vec<u8>,
    over: bool,
}

impl Lines {
    pub fn new(max: usize) -> Lines {
        Lines {
            max,
            line: Vec::new(),
            over: false,
        }
    }

    pub fn feed(&mut self, mut chunk: &[u8], each: &mut impl FnMut(Line<'_>)) {
        while let Some(end) = chunk.iter().position(|b| *b == b'\n') {
            self.push(&chunk[..end]);
            self.emit(each);
            chunk = &chunk[end + 1..];
        }
        self.push(chunk);
    }

    /// The last line, when the stream did not end with a newline.
    pub fn finish(&mut self, each: &mut impl FnMut(Line<'_>)) {
        if !self.line.is_empty() || self.over {
            self.emit(each);
        }
    }

    fn push(&mut self, part: &[u8]) {
        let room = self.max.saturating_sub(self.line.len());
        if part.len() > room {
            // Only its start is kept, for the id that says whose line it is.
            let keep = LINE_START.saturating_sub(self.line.len()).min(part.len());
            self.line.extend_from_slice(&part[..keep]);
            self.line.truncate(LINE_START);
            self.over = true;
        } else if !self.over {
            self.line.extend_from_slice(part);
        }
    }

    fn emit(&mut self, each: &mut impl FnMut(Line<'_>)) {
        if self.over {
            each(Line::TooLong(&self.line));
        } else if !self.line.iter().all(u8::is_ascii_whitespace) {
            each(Line::Whole(&self.line));
        }
        self.line.clear();
        self.over = false;
    }
}

/// The `custom_id` near the start of a line too long to parse (OpenAI writes it second).
fn custom_id_in(start: &[u8]) -> Option<String> {
    use serde::Deserialize;
    let key = b"\"custom_id\"";
    let at = start.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = start[at..].trim_ascii_start().strip_prefix(b":")?;
    let mut de = serde_json::Deserializer::from_slice(rest.trim_ascii_start());
    String::deserialize(&mut de).ok()
}

/// One line of an output or error file; `None` for a line that is not a result.
fn parse_line(line: &[u8]) -> Option<ResultLine> {
    let v = serde_json::from_slice::<Value>(line).ok()?;
    let custom_id = v.get("custom_id").and_then(Value::as_str)?;
    let status = v.pointer("/response/status_code").and_then(Value::as_u64);
    let body = v.pointer("/response/body").filter(|b| !b.is_null());
    let error = v.get("error").filter(|e| !e.is_null());
    let (body, error) = match (status, body, error) {
        (Some(200), Some(b), None) => (Some(b.to_string()), None),
        (_, _, Some(e)) => (None, Some(failure::error_text(e))),
        (s, b, None) => (
            None,
            Some(format!(
                "HTTP {}: {}",
                s.unwrap_or(0),
                b.map(|b| failure::error_message(&b.to_string()))
                    .unwrap_or_default()
            )),
        ),
    };
    Some(ResultLine {
        custom_id: custom_id.to_string(),
        body,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a whole output or error file; lines that are not results are skipped (and counted).
    fn parse_results(jsonl: &[u8]) -> (Vec<ResultLine>, usize) {
        let (mut lines, mut skipped) = (Vec::new(), 0);
        let mut split = Lines::new(usize::MAX);
        let mut each = |line: Line<'_>| match line {
            Line::Whole(bytes) => match parse_line(bytes) {
                Some(l) => lines.push(l),
                None => skipped += 1,
            },
            Line::TooLong(_) => skipped += 1,
        };
        split.feed(jsonl, &mut each);
        split.finish(&mut each);
        (lines, skipped)
    }

    #[test]
    fn lines_are_split_in_bounded_memory_whatever_the_pieces() {
        let input = b"one\n\ntwo\n0123456789abcdef\nthree";
        let want = vec![
            "whole one".to_string(),
            "whole two".into(),
            "too long 0123456789abcdef".into(),
            "whole three".into(),
        ];
        for piece in 1..input.len() {
            let mut got = Vec::new();
            let mut lines = Lines::new(10);
            let mut each = |l: Line<'_>| {
                got.push(match l {
                    Line::Whole(b) => format!("whole {}", String::from_utf8_lossy(b)),
                    Line::TooLong(b) => format!("too long {}", String::from_utf8_lossy(b)),
                })
            };
            for chunk in input.chunks(piece) {
                lines.feed(chunk, &mut each);
            }
            lines.finish(&mut each);
            assert_eq!(got, want, "pieces of {piece}");
        }
        // Over the limit, only the start of a line is held.
        let mut lines = Lines::new(100);
        let mut longest = 0;
        for _ in 0..1000 {
            lines.feed(&[b'x'; 1000], &mut |_| {});
            longest = longest.max(lines.line.len());
        }
        assert!(longest <= LINE_START, "{longest}");
    }

    #[test]
    fn the_custom_id_of_a_line_too_long_to_read() {
        let cases: [(&[u8], Option<&str>); 5] = [
            (
                br#"{"id":"r1","custom_id":"crm-1::metrics","response":{"body":"xxxx"#,
                Some("crm-1::metrics"),
            ),
            (br#"{"custom_id" : "a\"b", "#, Some("a\"b")),
            (br#"{"id":"r1","response":"#, None),
            (br#"{"custom_id":12,"#, None),
            (br#"{"custom_id":"cut off"#, None),
        ];
        for (start, want) in cases {
            assert_eq!(
                custom_id_in(start).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(start)
            );
        }
    }

    #[test]
    fn remote_ids_are_plain() {
        let cases = [
            ("batch_abc123", true),
            ("file-XyZ.jsonl", true),
            ("batch_6caaf24d-54a5-46be-b1b7-518884fcbdde", true),
            ("", false),
            ("..", false),
            ("../../v1/files", false),
            ("batch?x=1", false),
            ("id\u{1b}[2J", false),
            ("a b", false),
        ];
        for (id, want) in cases {
            assert_eq!(valid_remote_id(id), want, "{id:?}");
        }
        assert!(!valid_remote_id(&"a".repeat(201)));
    }

    #[test]
    fn result_lines_of_every_kind() {
        let jsonl = br#"{"id":"r1","custom_id":"a::metrics","response":{"status_code":200,"body":{"choices":[]}},"error":null}
{"id":"r2","custom_id":"a::resistance","response":{"status_code":400,"body":{"error":{"message":"bad schema"}}},"error":null}
{"id":"r3","custom_id":"b::metrics","response":null,"error":{"code":"batch_expired","message":"not processed in time"}}
not json

{"no_custom_id":true}
"#;
        let (lines, skipped) = parse_results(jsonl);
        assert_eq!(skipped, 2);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].body.is_some() && lines[0].error.is_none());
        assert_eq!(lines[1].error.as_deref(), Some("HTTP 400: bad schema"));
        assert_eq!(
            lines[2].error.as_deref(),
            Some("not processed in time (code batch_expired)")
        );
    }

    #[test]
    fn statuses() {
        for (s, running) in [
            ("validating", true),
            ("in_progress", true),
            ("finalizing", true),
            ("completed", false),
            ("expired", false),
            ("failed", false),
        ] {
            assert_eq!(BatchStatus::parse(s).unwrap().is_running(), running, "{s}");
        }
        assert!(BatchStatus::parse("weird").is_none());
    }
}
