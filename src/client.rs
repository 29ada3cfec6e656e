//! The OpenAI-compatible chat-completions client: one request with retries, streaming over
//! SSE, and the quirks of real servers (error shapes, parameter renames, reasoning text,
//! streams that stop early).

use crate::config::Endpoint;
use crate::error::{Error, Result};
use crate::keys::{self, Secret};
use crate::templates::Message;
use backon::BackoffBuilder;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, Instant};

/// Where streamed text goes while it arrives.
pub trait Sink: Send {
    fn text(&mut self, delta: &str);
    /// Called before a retry. Returns false when the text already shown cannot be taken back
    /// (e.g. printed to a terminal), so the request must fail instead of repeating itself.
    fn restart(&mut self) -> bool;
}

/// Streams to stdout, flushing every delta: no added latency.
pub struct StdoutSink {
    live: bool,
    written: bool,
}

impl StdoutSink {
    pub fn new(live: bool) -> Self {
        StdoutSink {
            live,
            written: false,
        }
    }
}

impl Sink for StdoutSink {
    fn text(&mut self, delta: &str) {
        if self.live && !delta.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(delta.as_bytes()).and_then(|_| out.flush());
            self.written = true;
        }
    }
    fn restart(&mut self) -> bool {
        !self.written
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub reasoning: Option<String>,
    pub model: String,
    pub usage: Option<Usage>,
    pub finish_reason: String,
    pub elapsed: Duration,
    pub first_token: Option<Duration>,
    pub attempts: u32,
}

impl Answer {
    pub fn summary(&self) -> String {
        let mut s = format!("model: {}", self.model);
        match &self.usage {
            Some(u) => s.push_str(&format!(
                " · tokens: {} prompt + {} answer = {}",
                u.prompt_tokens, u.completion_tokens, u.total_tokens
            )),
            None => s.push_str(" · tokens: not reported by the server"),
        }
        s.push_str(&format!(" · {:.1} s", self.elapsed.as_secs_f64()));
        if let Some(t) = self.first_token {
            s.push_str(&format!(" (first token {:.2} s)", t.as_secs_f64()));
        }
        if self.attempts > 1 {
            s.push_str(&format!(" · {} attempts", self.attempts));
        }
        s
    }

    pub fn truncation_warning(&self) -> Option<String> {
        (self.finish_reason == "length").then(|| {
            "warning: the answer was cut off at the token limit (finish_reason \"length\"); raise max_tokens (--max-tokens, [endpoint] max_tokens in the project, or the profile)".to_string()
        })
    }
}

/// Which optional parameters go into the request body, adapted when a server rejects one.
#[derive(Debug, Clone)]
struct Params {
    temperature: Option<f64>,
    max_tokens: Option<u32>,
    max_tokens_field: &'static str,
    stream_usage: bool,
}

/// One failed attempt, classified for the retry loop.
#[derive(Debug)]
enum Failure {
    /// Could not connect, or the connection broke before a response.
    Connect(String),
    Timeout(String),
    Http {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The stream ended, broke or reported an error before a finish_reason.
    Stream(String),
    /// The response was not what an OpenAI-compatible server sends.
    Protocol(String),
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Failure::Connect(_) | Failure::Timeout(_) | Failure::Stream(_) => true,
            Failure::Http { status, .. } => *status == 429 || *status >= 500,
            Failure::Protocol(_) => false,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
    fn describe(&self) -> String {
        match self {
            Failure::Connect(m)
            | Failure::Timeout(m)
            | Failure::Stream(m)
            | Failure::Protocol(m) => m.clone(),
            Failure::Http {
                status, message, ..
            } => format!("HTTP {status} {}: {message}", reason(*status)),
        }
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    key: Option<Secret>,
    verbose: bool,
}

impl Client {
    /// Builds the HTTP client, picks the key by the rules in [`keys`], and settles the model
    /// (asking the server's `/models` when no model is configured).
    pub async fn connect(mut endpoint: Endpoint, verbose: bool) -> Result<Client> {
        // reqwest is built without a default crypto provider; ring starts faster than aws-lc.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = keys::for_endpoint(&endpoint, &|n| eprintln!("{n}"))?;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("plan-ai/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(endpoint.connect_timeout)
            .read_timeout(endpoint.idle_timeout);
        if let Some(t) = endpoint.request_timeout {
            builder = builder.timeout(t);
        }
        // A proxy between us and a server on this machine would see the key in clear (and
        // usually cannot reach it anyway).
        if crate::config::is_loopback(&endpoint.base_url) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
        if verbose {
            let headers: Vec<&str> = endpoint.headers.iter().map(|(k, _)| k.as_str()).collect();
            eprintln!(
                "profile {} · POST {} · key: {} · extra headers: {} · connect timeout {:?}, idle timeout {:?}, retries {}",
                endpoint.profile,
                endpoint.chat_url(),
                if key.is_some() {
                    "yes (not shown)"
                } else {
                    "none"
                },
                if headers.is_empty() {
                    "none".to_string()
                } else {
                    headers.join(", ")
                },
                endpoint.connect_timeout,
                endpoint.idle_timeout,
                endpoint.retries
            );
        }
        let mut client = Client {
            http,
            endpoint: endpoint.clone(),
            key,
            verbose,
        };
        if endpoint.model.is_none() {
            let models = client.models().await.map_err(|e| {
                Error::Config(format!(
                    "profile `{}` names no model, and the server's model list is unavailable ({e}); pass --model NAME",
                    endpoint.profile
                ))
            })?;
            endpoint.model = Some(match models.as_slice() {
                [only] => only.clone(),
                [] => {
                    return Err(Error::Config(format!(
                        "{} lists no models; pass --model NAME",
                        endpoint.models_url()
                    )));
                }
                many => {
                    return Err(Error::Config(format!(
                        "profile `{}` names no model and the server offers several: {}; pass --model NAME or set model in the profile",
                        endpoint.profile,
                        many.join(", ")
                    )));
                }
            });
            client.endpoint = endpoint;
        }
        Ok(client)
    }

    pub fn model(&self) -> &str {
        self.endpoint.model.as_deref().unwrap_or_default()
    }

    fn request(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut b = builder;
        for (k, v) in &self.endpoint.headers {
            b = b.header(k, v);
        }
        if let Some(key) = &self.key {
            b = match &self.endpoint.auth_header {
                Some(name) => match reqwest::header::HeaderValue::from_str(key.expose()) {
                    Ok(mut value) => {
                        value.set_sensitive(true);
                        b.header(name.as_str(), value)
                    }
                    Err(_) => b,
                },
                None => b.bearer_auth(key.expose()),
            };
        }
        b
    }

    /// Scrubs the key from any text that reaches the user.
    fn clean(&self, text: String) -> String {
        match &self.key {
            Some(k) => k.scrub(&text),
            None => text,
        }
    }

    /// The server's model ids from `GET /models`.
    pub async fn models(&self) -> std::result::Result<Vec<String>, String> {
        let resp = self
            .request(self.http.get(self.endpoint.models_url()))
            .send()
            .await
            .map_err(|e| self.clean(describe_reqwest(&e, &self.endpoint.base_url)))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| self.clean(e.to_string()))?;
        if !status.is_success() {
            return Err(self.clean(format!(
                "HTTP {}: {}",
                status.as_u16(),
                error_message(&body)
            )));
        }
        let v: Value =
            serde_json::from_str(&body).map_err(|_| "the model list is not JSON".to_string())?;
        let list = v
            .get("data")
            .or_else(|| v.get("models"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(list
            .iter()
            .filter_map(|m| {
                m.get("id")
                    .or_else(|| m.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect())
    }

    /// Sends one chat request, retrying what can be retried, and returns the whole answer.
    /// With `stream`, text reaches `sink` as it arrives; `note` gets retry and adaptation notices.
    pub async fn chat(
        &self,
        messages: &[Message],
        stream: bool,
        sink: &mut dyn Sink,
        note: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Answer> {
        let mut params = Params {
            temperature: self.endpoint.temperature,
            max_tokens: self.endpoint.max_tokens,
            max_tokens_field: "max_tokens",
            stream_usage: self.endpoint.stream_usage,
        };
        let mut backoff = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(20))
            .with_max_times(self.endpoint.retries as usize)
            .with_jitter()
            .build();
        let started = Instant::now();
        let mut attempts = 0;
        let mut adapted = 0;
        loop {
            attempts += 1;
            let body = self.body(messages, stream, &params);
            let failure = match self.attempt(&body, sink, started).await {
                Ok(mut answer) => {
                    answer.attempts = attempts;
                    answer.elapsed = started.elapsed();
                    return Ok(answer);
                }
                Err(f) => f,
            };
            if let Failure::Http {
                status: 400 | 422,
                message,
                ..
            } = &failure
                && adapted < 3
                && let Some(change) = adapt(&mut params, message, stream)
            {
                adapted += 1;
                note(&format!(
                    "note: the server rejected a parameter; {change}, and retrying"
                ));
                attempts -= 1;
                continue;
            }
            if failure.retryable() {
                if !sink.restart() {
                    return Err(self.give_up(
                        &failure,
                        attempts,
                        " after part of the answer was shown",
                    ));
                }
                if let Some(delay) = backoff.next() {
                    let delay = failure
                        .retry_after()
                        .map(|ra| ra.min(Duration::from_secs(60)))
                        .unwrap_or(delay);
                    note(&format!(
                        "{}; retrying in {:.1} s (attempt {} of {})",
                        self.clean(failure.describe()),
                        delay.as_secs_f64(),
                        attempts + 1,
                        self.endpoint.retries + 1
                    ));
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            return Err(self.give_up(&failure, attempts, ""));
        }
    }

    fn give_up(&self, failure: &Failure, attempts: u32, extra: &str) -> Error {
        let mut msg = format!(
            "POST {} failed{extra}: {}",
            self.endpoint.chat_url(),
            failure.describe()
        );
        if attempts > 1 {
            msg.push_str(&format!(" (after {attempts} attempts)"));
        }
        if let Some(hint) = self.hint(failure) {
            msg.push_str("\nhint: ");
            msg.push_str(&hint);
        }
        Error::Endpoint(self.clean(msg))
    }

    fn hint(&self, failure: &Failure) -> Option<String> {
        let profile = &self.endpoint.profile;
        Some(match failure {
            Failure::Http { status: 401 | 403, .. } => format!(
                "the server refused the key. Check it with `plan-ai key status --profile {profile}`, store a new one with `plan-ai key set --profile {profile}`, or set {}",
                keys::ENV_KEY
            ),
            Failure::Http { status: 404, message, .. } if message.to_lowercase().contains("model") => format!(
                "the server does not know model `{}`; list its models with `plan-ai profiles test {profile}`",
                self.model()
            ),
            Failure::Http { message, .. }
                if message.contains("context length") || message.contains("context_length") =>
            {
                "the prompt plus max_tokens exceed the model's context window: lower max_tokens, shorten the project's context fields, or use a model (or server setting) with a larger context".to_string()
            }
            Failure::Http { status: 404, .. } => format!(
                "check the base URL {}: most servers expect it to end in /v1",
                self.endpoint.base_url
            ),
            Failure::Connect(_) if crate::config::is_loopback(&self.endpoint.base_url) => {
                "is the local server running? For the bundled llama.cpp server: scripts/llm-server start".to_string()
            }
            Failure::Timeout(_) => "raise idle_timeout (or connect_timeout) in the profile if the server is just slow".to_string(),
            _ => return None,
        })
    }

    fn body(&self, messages: &[Message], stream: bool, p: &Params) -> Value {
        let mut body = json!({ "model": self.model(), "messages": messages, "stream": stream });
        if let Some(t) = p.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(m) = p.max_tokens {
            body[p.max_tokens_field] = json!(m);
        }
        if stream && p.stream_usage {
            body["stream_options"] = json!({ "include_usage": true });
        }
        body
    }

    async fn attempt(
        &self,
        body: &Value,
        sink: &mut dyn Sink,
        started: Instant,
    ) -> std::result::Result<Answer, Failure> {
        if self.verbose {
            let keys: Vec<&str> = body
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            eprintln!(
                "request: {} with {}",
                self.endpoint.chat_url(),
                keys.join(", ")
            );
        }
        let resp = self
            .request(self.http.post(self.endpoint.chat_url()).json(body))
            .send()
            .await
            .map_err(|e| classify(&e, &self.endpoint.base_url))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let retry_after = retry_after(resp.headers());
            let text = resp.text().await.unwrap_or_default();
            return Err(Failure::Http {
                status,
                message: self.clean(error_message(&text)),
                retry_after,
            });
        }
        let is_sse = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("text/event-stream"));
        // Parse by what arrived, not what was asked: some servers stream regardless.
        if is_sse {
            self.read_stream(resp, sink, started).await
        } else {
            // Some servers ignore "stream": true and answer in one piece: accept that too.
            let text = resp
                .text()
                .await
                .map_err(|e| broken_body(&e, &self.endpoint.base_url))?;
            let answer = parse_completion(&text, self.model())?;
            sink.text(&answer.text);
            Ok(answer)
        }
    }

    async fn read_stream(
        &self,
        resp: reqwest::Response,
        sink: &mut dyn Sink,
        started: Instant,
    ) -> std::result::Result<Answer, Failure> {
        let mut events = resp.bytes_stream().eventsource();
        let mut filter = ThinkFilter::default();
        let mut text = String::new();
        let mut reasoning = String::new();
        let mut model = self.model().to_string();
        let mut usage = None;
        let mut finish_reason: Option<String> = None;
        let mut first_token = None;
        let emit = |piece: &str, text: &mut String, sink: &mut dyn Sink| {
            if piece.is_empty() {
                return;
            }
            // Leading blank lines (common after a reasoning block) carry nothing.
            let piece = if text.is_empty() {
                piece.trim_start()
            } else {
                piece
            };
            if !piece.is_empty() {
                text.push_str(piece);
                sink.text(piece);
            }
        };
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| match e {
                eventsource_stream::EventStreamError::Transport(t) => {
                    broken_body(&t, &self.endpoint.base_url)
                }
                other => Failure::Stream(format!("the stream is malformed: {other}")),
            })?;
            let data = event.data.trim();
            if data.is_empty() {
                continue;
            }
            if data == "[DONE]" {
                break;
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
                model = m.to_string();
            }
            if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
                usage = serde_json::from_value::<Usage>(u.clone()).ok();
            }
            let Some(choice) = chunk
                .get("choices")
                .and_then(Value::as_array)
                .and_then(|c| c.first())
            else {
                continue;
            };
            let delta = choice.get("delta").or_else(|| choice.get("message"));
            if let Some(delta) = delta {
                for field in ["reasoning_content", "reasoning"] {
                    if let Some(r) = delta.get(field).and_then(Value::as_str) {
                        reasoning.push_str(r);
                    }
                }
                if let Some(piece) = delta.get("content").and_then(Value::as_str) {
                    if first_token.is_none() && !piece.is_empty() {
                        first_token = Some(started.elapsed());
                    }
                    let (answer, thought) = filter.feed(piece);
                    reasoning.push_str(&thought);
                    emit(&answer, &mut text, sink);
                }
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                finish_reason = Some(reason.to_string());
            }
        }
        let (rest, thought) = filter.finish();
        reasoning.push_str(&thought);
        emit(&rest, &mut text, sink);
        if text.trim().is_empty() && finish_reason.as_deref() != Some("length") {
            return Err(Failure::Stream(
                "the server sent an empty answer".to_string(),
            ));
        }
        let Some(finish_reason) = finish_reason else {
            return Err(Failure::Stream(format!(
                "the stream ended before the answer was finished (no finish_reason after {} characters)",
                text.len()
            )));
        };
        Ok(Answer {
            text: text.trim_end().to_string(),
            reasoning: Some(reasoning).filter(|r| !r.trim().is_empty()),
            model,
            usage,
            finish_reason,
            elapsed: started.elapsed(),
            first_token,
            attempts: 1,
        })
    }
}

/// Parses a non-streamed chat completion.
fn parse_completion(body: &str, requested_model: &str) -> std::result::Result<Answer, Failure> {
    let v: Value = serde_json::from_str(body).map_err(|_| {
        Failure::Protocol(format!("the answer is not JSON: {}", snippet(body, 160)))
    })?;
    if let Some(err) = v.get("error") {
        return Err(Failure::Stream(format!(
            "the server reported an error: {}",
            error_text(err)
        )));
    }
    let choice = v
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| Failure::Protocol("the answer has no choices".to_string()))?;
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    let content = message
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut filter = ThinkFilter::default();
    let (mut text, mut reasoning) = filter.feed(content);
    let (rest, thought) = filter.finish();
    text.push_str(&rest);
    reasoning.push_str(&thought);
    for field in ["reasoning_content", "reasoning"] {
        if let Some(r) = message.get(field).and_then(Value::as_str) {
            reasoning.push_str(r);
        }
    }
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Failure::Stream("the answer has no finish_reason: it may be incomplete".to_string())
        })?;
    if text.trim().is_empty() && finish_reason != "length" {
        return Err(Failure::Stream(
            "the server sent an empty answer".to_string(),
        ));
    }
    Ok(Answer {
        text: text.trim().to_string(),
        reasoning: Some(reasoning).filter(|r| !r.trim().is_empty()),
        model: v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(requested_model)
            .to_string(),
        usage: v
            .get("usage")
            .and_then(|u| serde_json::from_value(u.clone()).ok()),
        finish_reason: finish_reason.to_string(),
        elapsed: Duration::ZERO,
        first_token: None,
        attempts: 1,
    })
}

/// Adapts the parameters to a server's 400 complaint; returns what changed, or None.
fn adapt(p: &mut Params, message: &str, stream: bool) -> Option<String> {
    let m = message.to_lowercase();
    if p.max_tokens.is_some()
        && p.max_tokens_field == "max_tokens"
        && m.contains("max_completion_tokens")
    {
        p.max_tokens_field = "max_completion_tokens";
        return Some("sending max_completion_tokens instead of max_tokens".into());
    }
    if p.max_tokens.is_some()
        && p.max_tokens_field == "max_completion_tokens"
        && m.contains("max_completion_tokens")
    {
        p.max_tokens_field = "max_tokens";
        return Some("sending max_tokens instead of max_completion_tokens".into());
    }
    if stream && p.stream_usage && m.contains("stream_options") {
        p.stream_usage = false;
        return Some(
            "not asking for usage in the stream (stream_options), so token counts may be missing"
                .into(),
        );
    }
    if p.temperature.is_some() && m.contains("temperature") {
        p.temperature = None;
        return Some("leaving out temperature, which this model does not accept".into());
    }
    None
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_secs_f64((ms / 1000.0).max(0.0)));
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Some(Duration::from_secs_f64(secs.max(0.0)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn classify(e: &reqwest::Error, base: &str) -> Failure {
    let text = describe_reqwest(e, base);
    if e.is_timeout() {
        Failure::Timeout(text)
    } else if e.is_decode() {
        Failure::Protocol(text)
    } else {
        Failure::Connect(text)
    }
}

/// A failure while reading a response body: the answer is incomplete, so it may be retried.
fn broken_body(e: &reqwest::Error, base: &str) -> Failure {
    let text = describe_reqwest(e, base);
    if e.is_timeout() {
        Failure::Timeout(text)
    } else {
        Failure::Stream(format!("the connection broke mid-answer ({text})"))
    }
}

/// reqwest's Display says "error sending request"; people need the cause at the bottom.
fn describe_reqwest(e: &reqwest::Error, base: &str) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let root = cause.to_string();
    let root = match root.find(" (os error") {
        Some(i) => root[..i].to_string(),
        None => root,
    };
    let origin = crate::config::origin(base);
    if e.is_timeout() {
        format!("{origin} did not answer in time ({root})")
    } else if e.is_connect() {
        format!("cannot connect to {origin}: {root}")
    } else {
        format!("{origin}: {root}")
    }
}

/// A readable message from an error body in any of the shapes servers use.
pub fn error_message(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty response body)".to_string();
    }
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        for key in ["error", "detail", "message", "msg"] {
            if let Some(inner) = v.get(key) {
                return snippet(&error_text(inner), 300);
            }
        }
        if let Some(s) = v.as_str() {
            return snippet(s, 300);
        }
        return snippet(trimmed, 300);
    }
    if trimmed.starts_with('<') {
        return snippet(&strip_html(trimmed), 200);
    }
    snippet(trimmed, 300)
}

fn error_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let msg = o
                .get("message")
                .or_else(|| o.get("msg"))
                .or_else(|| o.get("detail"));
            match msg {
                Some(m) => {
                    let mut s = error_text(m);
                    if let Some(code) = o.get("code").and_then(|c| {
                        c.as_str()
                            .map(str::to_string)
                            .or_else(|| c.as_u64().map(|n| n.to_string()))
                    }) {
                        s.push_str(&format!(" (code {code})"));
                    }
                    s
                }
                None => Value::Object(o.clone()).to_string(),
            }
        }
        Value::Array(items) => items.iter().map(error_text).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// Text of an HTML error page (a proxy's 502, say): its title, else its visible text.
fn strip_html(html: &str) -> String {
    let lower = html.to_lowercase();
    if let (Some(a), Some(b)) = (lower.find("<title>"), lower.find("</title>"))
        && b > a + 7
    {
        return format!("{} (HTML page)", html[a + 7..b].trim());
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ") + " (HTML page)"
}

pub fn snippet(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    }
}

/// Separates `<think>…</think>` reasoning from the answer, even when the tags are split across
/// stream chunks. Holds back only a possible partial tag at the end of a chunk.
#[derive(Default)]
pub struct ThinkFilter {
    inside: bool,
    pending: String,
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

impl ThinkFilter {
    /// Returns (answer text, reasoning text) ready to use from this piece.
    pub fn feed(&mut self, piece: &str) -> (String, String) {
        let mut buf = std::mem::take(&mut self.pending);
        buf.push_str(piece);
        let (mut answer, mut thought) = (String::new(), String::new());
        loop {
            let tag = if self.inside { CLOSE } else { OPEN };
            let out = if self.inside {
                &mut thought
            } else {
                &mut answer
            };
            if let Some(i) = buf.find(tag) {
                out.push_str(&buf[..i]);
                buf.drain(..i + tag.len());
                self.inside = !self.inside;
                continue;
            }
            let keep = partial_suffix(&buf, tag);
            out.push_str(&buf[..buf.len() - keep]);
            self.pending = buf[buf.len() - keep..].to_string();
            return (answer, thought);
        }
    }

    pub fn finish(&mut self) -> (String, String) {
        let rest = std::mem::take(&mut self.pending);
        if self.inside {
            (String::new(), rest)
        } else {
            (rest, String::new())
        }
    }
}

/// Length of the longest suffix of `buf` that is a proper prefix of `tag`.
fn partial_suffix(buf: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&n| {
            buf.len() >= n
                && buf.is_char_boundary(buf.len() - n)
                && tag.starts_with(&buf[buf.len() - n..])
        })
        .unwrap_or(0)
}

/// `profiles test`: what the server lists, a one-token request, and what it supports.
pub async fn probe(endpoint: Endpoint, verbose: bool) -> Result<String> {
    let mut out = format!("profile {} · {}\n", endpoint.profile, endpoint.base_url);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let configured_model = endpoint.model.clone();
    let mut ep = endpoint.clone();
    ep.model.get_or_insert_with(|| "probe".to_string());
    ep.retries = 0;
    let client = Client::connect(ep, verbose).await?;
    let t = Instant::now();
    let models = client.models().await;
    match &models {
        Ok(list) => out.push_str(&format!(
            "models:      {} listed in {} ms: {}\n",
            list.len(),
            t.elapsed().as_millis(),
            snippet(&list.join(", "), 200)
        )),
        Err(e) => out.push_str(&format!("models:      not available ({e})\n")),
    }
    let model = match (configured_model, &models) {
        (Some(m), _) => m,
        (None, Ok(list)) if list.len() == 1 => list[0].clone(),
        (None, _) => {
            return Err(Error::Config(format!(
                "{out}no model to test: pass --model NAME or set model in the profile"
            )));
        }
    };
    let mut ep = client.endpoint.clone();
    ep.model = Some(model.clone());
    ep.max_tokens = Some(1);
    let client = Client {
        endpoint: ep,
        ..client
    };
    let messages = [Message {
        role: "user".into(),
        content: "Reply with the word OK.".into(),
    }];
    struct Quiet;
    impl Sink for Quiet {
        fn text(&mut self, _: &str) {}
        fn restart(&mut self) -> bool {
            true
        }
    }
    let notes = std::sync::Mutex::new(Vec::new());
    let note = |n: &str| {
        notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(n.to_string())
    };
    let plain = client.chat(&messages, false, &mut Quiet, &note).await?;
    out.push_str(&format!(
        "request:     one-token answer from {} in {} ms (usage {})\n",
        plain.model,
        plain.elapsed.as_millis(),
        if plain.usage.is_some() {
            "reported"
        } else {
            "not reported"
        }
    ));
    match client.chat(&messages, true, &mut Quiet, &note).await {
        Ok(s) => out.push_str(&format!(
            "streaming:   yes, first token after {} ms; usage in stream: {}\n",
            s.first_token.unwrap_or(s.elapsed).as_millis(),
            if s.usage.is_some() { "yes" } else { "no" }
        )),
        Err(e) => out.push_str(&format!(
            "streaming:   failed ({e}); set stream = false in the profile\n"
        )),
    }
    for n in notes.into_inner().unwrap_or_default() {
        out.push_str(&format!("adapted:     {n}\n"));
    }
    out.push_str("result:      OK\n");
    Ok(out)
}
