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

/// The largest batch file read back: 200 MB is OpenAI's limit on a batch's input.
const MAX_FILE_BYTES: usize = 256 << 20;

impl Client {
    /// Sends a request of the Batch API and returns its JSON (or, with `raw`, its bytes).
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<Vec<u8>> {
        let url = self.endpoint.transport.url(path);
        let action = format!("{method} {url}");
        let mut req = self.request(self.http.request(method, &url));
        if let Some((content_type, bytes)) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let started = std::time::Instant::now();
        let fail = |reason: String, hint| -> Error {
            EndpointError {
                action: action.clone(),
                reason: self.clean(&reason),
                attempts: 1,
                after_partial_output: false,
                hint,
                format_rejected: false,
            }
            .into()
        };
        let resp = req.send().await.map_err(|e| {
            let f = self.transport_failure(&e, failure::Stage::Sending, started);
            fail(
                f.describe(),
                f.hint(&self.endpoint.profile, &self.model, &url),
            )
        })?;
        self.pacer.observe(resp.headers());
        let status = resp.status();
        if !status.is_success() {
            let text = super::read_prefix(resp, super::ERROR_BODY_LIMIT).await;
            let f = failure::Failure::Http {
                status: status.as_u16(),
                message: failure::error_message(&self.clean(&text)),
                retry_after: None,
            };
            return Err(fail(
                f.describe(),
                f.hint(
                    &self.endpoint.profile,
                    &self.model,
                    &self.endpoint.transport.base_url,
                ),
            ));
        }
        let text = super::read_capped(resp, MAX_FILE_BYTES)
            .await
            .map_err(|e| fail(e.to_string(), None))?
            .ok_or_else(|| fail("the file is larger than 256 MiB".into(), None))?;
        Ok(text.into_bytes())
    }

    async fn api_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<Value> {
        let bytes = self.api(method, path, body).await?;
        serde_json::from_slice(&bytes).map_err(|_| {
            Error::Endpoint(Box::new(EndpointError {
                action: path.to_string(),
                reason: "the answer is not JSON".into(),
                attempts: 1,
                after_partial_output: false,
                hint: None,
                format_rejected: false,
            }))
        })
    }

    /// The body of one request as a batch line carries it (never streamed).
    pub fn batch_body(&self, req: &crate::chat::ChatRequest<'_>) -> Value {
        let mut params = super::wire::Params::new(&self.endpoint.request, false);
        params.max_tokens = req.max_tokens.or(params.max_tokens);
        super::wire::body(&self.model, req, &params)
    }

    /// The answer in a batch result's body, cleaned as a live answer is.
    pub fn batch_answer(&self, body: &str) -> std::result::Result<crate::chat::Answer, String> {
        super::wire::parse_completion(body, &self.model)
            .map(|a| self.clean_answer(a))
            .map_err(|f| self.clean(&f.describe()))
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
        let v = self
            .api_json(
                reqwest::Method::POST,
                "files",
                Some((format!("multipart/form-data; boundary={boundary}"), body)),
            )
            .await?;
        field(&v, "id")
    }

    /// Creates a batch over an uploaded file, with a 24-hour window.
    pub async fn create_batch(&self, input_file_id: &str, description: &str) -> Result<BatchInfo> {
        let body = json!({
            "input_file_id": input_file_id,
            "endpoint": line_url(self),
            "completion_window": "24h",
            "metadata": {"created_by": "plan-ai", "description": description},
        });
        let v = self
            .api_json(
                reqwest::Method::POST,
                "batches",
                Some(("application/json".into(), body.to_string().into_bytes())),
            )
            .await?;
        info(&v)
    }

    pub async fn get_batch(&self, id: &str) -> Result<BatchInfo> {
        let v = self
            .api_json(reqwest::Method::GET, &format!("batches/{id}"), None)
            .await?;
        info(&v)
    }

    /// A file's content (a batch's output or errors: JSONL).
    pub async fn file_content(&self, file_id: &str) -> Result<Vec<u8>> {
        self.api(
            reqwest::Method::GET,
            &format!("files/{file_id}/content"),
            None,
        )
        .await
    }
}

fn field(v: &Value, name: &str) -> Result<String> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::Other(format!(
                "the Batch API answer has no `{name}`: {}",
                crate::text::snippet(&v.to_string(), 200)
            ))
        })
}

fn info(v: &Value) -> Result<BatchInfo> {
    let status = field(v, "status")?;
    Ok(BatchInfo {
        id: field(v, "id")?,
        status: BatchStatus::parse(&status)
            .ok_or_else(|| Error::Other(format!("the batch has an unknown status `{status}`")))?,
        output_file_id: v
            .get("output_file_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        error_file_id: v
            .get("error_file_id")
            .and_then(Value::as_str)
            .map(str::to_string),
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

/// One line of a batch's output or error file.
#[derive(Debug)]
pub struct ResultLine {
    pub custom_id: String,
    /// The chat completion's body, when the request succeeded.
    pub body: Option<String>,
    /// Why it failed, otherwise.
    pub error: Option<String>,
}

/// Parses an output or error file; lines that are not JSON are skipped (and counted).
pub fn parse_results(jsonl: &[u8]) -> (Vec<ResultLine>, usize) {
    let mut lines = Vec::new();
    let mut skipped = 0;
    for line in jsonl
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
    {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            skipped += 1;
            continue;
        };
        let Some(custom_id) = v.get("custom_id").and_then(Value::as_str) else {
            skipped += 1;
            continue;
        };
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
        lines.push(ResultLine {
            custom_id: custom_id.to_string(),
            body,
            error,
        });
    }
    (lines, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

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
