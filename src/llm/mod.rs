//! The OpenAI-compatible chat-completions client: connecting (key, HTTP client, model), one
//! request with retries and parameter adaptation, and the quirks of real servers. It never
//! prints: what happens along the way is reported as [`Notice`]s.

pub mod batch;
pub mod failure;
pub mod gate;
pub mod pacer;
pub mod probe;
pub mod retry;
pub mod sse;
pub mod think;
mod tls;
pub mod wire;

use crate::chat::{Answer, ChatRequest};
use crate::endpoint::keys::{self, Secret};
use crate::endpoint::{Endpoint, url};
use crate::error::{EndpointError, Error, Hint, Result};
use crate::sanitize;
use backon::BackoffBuilder;
use failure::{Failure, Stage};
use serde_json::Value;
use std::fmt;
use std::time::{Duration, Instant};

/// Where streamed text goes while it arrives.
pub trait Sink: Send {
    fn text(&mut self, delta: &str);
    /// Called before a retry. Returns false when the text already shown cannot be taken back
    /// (e.g. printed to a terminal), so the request must fail instead of repeating itself.
    fn restart(&mut self) -> bool;
}

/// A sink that keeps nothing: for non-streamed requests whose answer is used whole.
pub struct Discard;

impl Sink for Discard {
    fn text(&mut self, _: &str) {}
    fn restart(&mut self) -> bool {
        true
    }
}

/// Something the client did or noticed that the user may want to know. The text says what
/// happened, without a prefix or the section it concerns: the printer adds both, once.
#[derive(Debug, Clone)]
pub enum Notice {
    /// How the client is set up (shown with `--verbose`).
    Setup {
        profile: String,
        url: String,
        key: bool,
        headers: Vec<String>,
        connect_timeout: Duration,
        idle_timeout: Duration,
        retries: u32,
    },
    /// A request goes out with these body fields (shown with `--verbose`).
    Request { url: String, fields: Vec<String> },
    /// A stored key was not sent (the text says why).
    KeyWithheld(String),
    /// Something worth knowing, said in full.
    Info(String),
    /// The server rejected a parameter and the request is sent again without it.
    Adapted(&'static str),
    /// The server does not take this way of asking for structure; the next one is tried.
    FormatRejected {
        rejected: &'static str,
        next: &'static str,
    },
    /// A structured answer did not fit (or was cut off) and is asked for once more.
    Reasking { why: String },
    /// Requests wait this long to stay under the endpoint's rate limits (said when over 10 s).
    Pacing(Duration),
    /// An attempt failed and another follows after `delay`.
    Retrying {
        reason: String,
        delay: Duration,
        attempt: u32,
        of: u32,
    },
}

impl Notice {
    /// Only of interest with `--verbose`.
    pub fn is_verbose(&self) -> bool {
        matches!(self, Notice::Setup { .. } | Notice::Request { .. })
    }

    /// Routine in a long run (retries, re-asks, format fallbacks): a portfolio shows these
    /// with `--verbose` only.
    pub fn is_routine(&self) -> bool {
        matches!(
            self,
            Notice::Retrying { .. } | Notice::Reasking { .. } | Notice::FormatRejected { .. }
        )
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Setup {
                profile,
                url,
                key,
                headers,
                connect_timeout,
                idle_timeout,
                retries,
            } => write!(
                f,
                "profile {profile} · POST {url} · key: {} · extra headers: {} · connect timeout {connect_timeout:?}, idle timeout {idle_timeout:?}, retries {retries}",
                if *key { "yes (not shown)" } else { "none" },
                if headers.is_empty() {
                    "none".to_string()
                } else {
                    headers.join(", ")
                },
            ),
            Notice::Request { url, fields } => {
                write!(f, "request: {url} with {}", fields.join(", "))
            }
            Notice::KeyWithheld(text) | Notice::Info(text) => f.write_str(text),
            Notice::Adapted(change) => {
                write!(f, "the server rejected a parameter; {change}, and retrying")
            }
            Notice::FormatRejected { rejected, next } => write!(
                f,
                "the server does not take {rejected}; asking with {next} instead"
            ),
            Notice::Reasking { why } => write!(f, "{why}; asking once more"),
            Notice::Pacing(wait) => write!(
                f,
                "waiting {:.0} s to stay under the endpoint's rate limit (rpm, tpm, or what the server said is left)",
                wait.as_secs_f64()
            ),
            Notice::Retrying {
                reason,
                delay,
                attempt,
                of,
            } => write!(
                f,
                "{reason}; retrying in {:.1} s (attempt {attempt} of {of})",
                delay.as_secs_f64()
            ),
        }
    }
}

pub use retry::MAX_RETRY_WAIT;
/// How much of an error body is read: enough for any message, never a flood.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Where notices go. `Sync`: one client serves concurrent requests.
pub type Notify<'a> = &'a (dyn Fn(Notice) + Send + Sync);

pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    key: Option<Secret>,
    /// The model requests name: configured, or discovered from the server.
    model: String,
    /// Shared pacing under the endpoint's rate limits.
    pacer: std::sync::Arc<pacer::Pacer>,
    /// How many requests the endpoint gets at once.
    gate: gate::Gate,
    /// Stops sending when the server refuses everything with 429.
    breaker: retry::Breaker,
}

impl Client {
    /// Builds the HTTP client, picks the key by the rules in [`keys`], and settles the model
    /// (asking the server's `/models` when none is configured).
    pub async fn connect(endpoint: Endpoint, notify: Notify<'_>) -> Result<Client> {
        // reqwest is built without a default crypto provider; ring starts faster than aws-lc.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = keys::for_endpoint(&endpoint, &|n| notify(Notice::KeyWithheld(n.into())))?;
        let t = &endpoint.transport;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("plan-ai/", env!("CARGO_PKG_VERSION")))
            // An API endpoint has no business redirecting a POST; following one would send the
            // prompt, and any key in a custom header, to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(t.connect_timeout)
            .read_timeout(t.idle_timeout);
        builder = tls::roots(builder.timeout(t.request_timeout), &t.base_url);
        // A proxy between us and a server on this machine would see the key in clear (and
        // usually cannot reach it anyway).
        if url::is_loopback(&t.base_url) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
        notify(Notice::Setup {
            profile: endpoint.profile.clone(),
            url: t.chat_url(),
            key: key.is_some(),
            headers: t.headers.iter().map(|(k, _)| k.clone()).collect(),
            connect_timeout: t.connect_timeout,
            idle_timeout: t.idle_timeout,
            retries: t.retries,
        });
        let mut client = Client {
            http,
            pacer: std::sync::Arc::new(pacer::Pacer::new(endpoint.rate)),
            gate: gate::Gate::new(endpoint.jobs),
            breaker: retry::Breaker::default(),
            model: endpoint.request.model.clone().unwrap_or_default(),
            endpoint,
            key,
        };
        if client.endpoint.request.model.is_none() {
            client.model = client.discover_model().await?;
        }
        Ok(client)
    }

    async fn discover_model(&self) -> Result<String> {
        let profile = &self.endpoint.profile;
        let models = self.models().await.map_err(|e| {
            Error::Config(format!(
                "profile `{profile}` names no model, and the server's model list is unavailable ({e}); pass --model NAME"
            ))
        })?;
        match models.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(Error::Config(format!(
                "{} lists no models; pass --model NAME",
                self.endpoint.transport.models_url()
            ))),
            many => Err(Error::Config(format!(
                "profile `{profile}` names no model and the server offers several: {}; pass --model NAME or set model in the profile",
                many.join(", ")
            ))),
        }
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The user chose how many requests go at once (`--jobs`): the endpoint's limit is then
    /// never lowered on its own.
    pub fn fix_concurrency(&self) {
        self.gate.fix();
    }

    /// One request at a time to this endpoint (an earlier run found it cuts answers short
    /// otherwise), unless the user chose the limit.
    pub fn one_at_a_time(&self) {
        self.gate.one_at_a_time();
    }

    /// Whether this run lowered the endpoint to one request at a time.
    pub fn went_one_at_a_time(&self) -> bool {
        self.gate.lowered()
    }

    fn request(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut b = builder;
        for (k, v) in &self.endpoint.transport.headers {
            b = b.header(k, v);
        }
        if let Some(key) = &self.key {
            b = match &self.endpoint.transport.auth_header {
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

    fn key_text(&self) -> Option<&str> {
        self.key.as_ref().map(Secret::expose)
    }

    /// Server text made safe to show and keep: terminal controls stripped, the key scrubbed.
    /// Always before any cutting, so a key straddling a cut cannot survive in part.
    fn clean(&self, text: &str) -> String {
        let text = sanitize::strip_controls(text);
        match self.key_text() {
            Some(k) => sanitize::scrub(&text, k),
            None => text,
        }
    }

    fn clean_answer(&self, mut a: Answer) -> Answer {
        a.text = self.clean(&a.text);
        a.reasoning = a.reasoning.map(|r| self.clean(&r));
        a.model = self.clean(&a.model);
        a
    }

    fn origin(&self) -> String {
        url::origin(&self.endpoint.transport.base_url)
    }

    fn transport_failure(&self, e: &reqwest::Error, stage: Stage, started: Instant) -> Failure {
        let t = &self.endpoint.transport;
        failure::transport(
            e,
            stage,
            &self.origin(),
            started.elapsed(),
            t.request_timeout,
        )
    }

    /// The server's model ids from `GET /models`.
    pub async fn models(&self) -> std::result::Result<Vec<String>, String> {
        let started = Instant::now();
        let resp = self
            .request(self.http.get(self.endpoint.transport.models_url()))
            .send()
            .await
            .map_err(|e| {
                let failure = self.transport_failure(&e, Stage::Sending, started);
                self.clean(&failure.describe())
            })?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(self.clean(&redirect(&resp).describe()));
        }
        if !status.is_success() {
            let body = read_prefix(resp, ERROR_BODY_LIMIT).await;
            let message = failure::error_message(&self.clean(&body));
            return Err(format!("HTTP {}: {message}", status.as_u16()));
        }
        let body = read_capped(resp, self.endpoint.transport.max_answer_bytes)
            .await
            .map_err(|e| self.clean(&e.to_string()))?
            .ok_or_else(|| "the model list is too large".to_string())?;
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
                    .map(|id| self.clean(id))
            })
            .collect())
    }

    /// Sends one chat request, retrying what can be retried, and returns the whole answer.
    /// With `stream`, text reaches `sink` as it arrives.
    pub async fn chat(
        &self,
        req: &ChatRequest<'_>,
        sink: &mut dyn Sink,
        notify: Notify<'_>,
    ) -> Result<Answer> {
        let retries = self.endpoint.transport.retries;
        let mut params = wire::Params::new(&self.endpoint.request, self.endpoint.stream_usage);
        params.max_tokens = req.max_tokens.or(params.max_tokens);
        let mut backoff = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(20))
            .with_max_times(retries as usize)
            .with_jitter()
            .build();
        let started = Instant::now();
        let (mut attempts, mut adapted, mut cut_retries) = (0, 0, 0);
        // Tokens a request may use, as rate limits count them: the prompt and the answer's room.
        let prompt_chars: usize = req.messages.iter().map(|m| m.content.len()).sum();
        loop {
            attempts += 1;
            let slot = self.gate.enter().await;
            if let Some(refusals) = self.breaker.tripped() {
                return Err(self.rate_limited_for_good(refusals, attempts - 1));
            }
            let estimate = (prompt_chars / 4) as u32 + params.max_tokens.unwrap_or(512);
            self.pacer.acquire(estimate, notify).await;
            let body = wire::body(&self.model, req, &params);
            let failure = match self.attempt(&body, sink, notify).await {
                Ok(mut answer) => {
                    self.breaker.success();
                    answer.attempts = attempts;
                    answer.elapsed = started.elapsed();
                    return Ok(answer);
                }
                Err(f) => f,
            };
            // Counted while this request still holds its place: the others are the rest.
            let cut_by_another = self.gate.is_adaptive() && self.gate.in_flight() > 1;
            drop(slot);
            if matches!(failure, Failure::Http { status: 429, .. })
                && self.breaker.refused(self.gate.peak())
            {
                let refusals = self.breaker.tripped().unwrap_or_default();
                return Err(self.rate_limited_for_good(refusals, attempts));
            }
            let mut adapted_params = params.clone();
            let adaptation = match &failure {
                Failure::Http { message, .. } => {
                    wire::adapt(&mut adapted_params, message, req.stream)
                }
                _ => None,
            };
            let facts = retry::Facts {
                failure: &failure,
                asks_format: req.response_format.is_some(),
                adaptation,
                adapted,
                cut_by_another,
                cut_retries,
                // Only a retry takes back what was shown, so only then is the sink asked.
                can_restart: failure.retryable() && sink.restart(),
                backoff: backoff.next(),
                paused_for: self.pacer.paused_for(),
            };
            match retry::decide(&facts) {
                retry::Next::FormatRejected => {
                    let mut e = self.give_up_error(&failure, attempts, false);
                    e.format_rejected = true;
                    return Err(e.into());
                }
                retry::Next::Adapt(change) => {
                    (params, adapted, attempts) = (adapted_params, adapted + 1, attempts - 1);
                    notify(Notice::Adapted(change));
                }
                retry::Next::OneAtATime => {
                    (cut_retries, attempts) = (cut_retries + 1, attempts - 1);
                    if self.gate.one_at_a_time() {
                        notify(Notice::Info(self.one_at_a_time_note()));
                    }
                }
                retry::Next::Retry { wait, pause_all } => {
                    notify(Notice::Retrying {
                        reason: self.clean(&failure.describe()),
                        delay: wait,
                        attempt: attempts + 1,
                        of: retries + 1,
                    });
                    if pause_all {
                        // The limit is shared: everyone pauses, and the pacer lets them go again.
                        self.pacer.pause(wait);
                    } else {
                        tokio::time::sleep(wait).await;
                    }
                }
                retry::Next::GiveUp {
                    after_partial_output,
                    wait_too_long,
                } => {
                    let mut e = self.give_up_error(&failure, attempts, after_partial_output);
                    if let Some(wait) = wait_too_long {
                        e.hint = Some(Hint::WaitTooLong {
                            seconds: (wait != Duration::MAX).then_some(wait.as_secs()),
                            max: MAX_RETRY_WAIT.as_secs(),
                        });
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// Said once, when the endpoint goes one request at a time.
    fn one_at_a_time_note(&self) -> String {
        format!(
            "{} cut an answer short when another request arrived (llama-cpp-python's server does this unless started with --interrupt_requests false); sending it one request at a time for the rest of this run, and remembering that for this endpoint and model. To make it permanent, set jobs = 1 in profile `{}`",
            self.origin(),
            self.endpoint.profile
        )
    }

    /// Every request to this endpoint is refused with 429 and nothing gets through: stop.
    fn rate_limited_for_good(&self, refusals: u32, attempts: u32) -> Error {
        let t = &self.endpoint.transport;
        EndpointError {
            action: format!("POST {}", t.chat_url()),
            reason: format!(
                "the server refused the last {refusals} requests in a row with 429 (rate limited) and answered none; stopped sending"
            ),
            attempts,
            after_partial_output: false,
            hint: Some(Hint::RateLimitedForGood {
                profile: self.endpoint.profile.clone(),
            }),
            format_rejected: false,
        }
        .into()
    }

    fn give_up_error(
        &self,
        failure: &Failure,
        attempts: u32,
        after_partial_output: bool,
    ) -> EndpointError {
        let t = &self.endpoint.transport;
        EndpointError {
            action: format!("POST {}", t.chat_url()),
            reason: self.clean(&failure.describe()),
            attempts,
            after_partial_output,
            hint: failure.hint(&self.endpoint.profile, &self.model, &t.base_url),
            format_rejected: false,
        }
    }

    async fn attempt(
        &self,
        body: &Value,
        sink: &mut dyn Sink,
        notify: Notify<'_>,
    ) -> std::result::Result<Answer, Failure> {
        let t = &self.endpoint.transport;
        let url = t.chat_url();
        notify(Notice::Request {
            url: url.clone(),
            fields: body
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default(),
        });
        let started = Instant::now();
        let resp = self
            .request(self.http.post(url).json(body))
            .send()
            .await
            .map_err(|e| self.transport_failure(&e, Stage::Sending, started))?;
        let status = resp.status().as_u16();
        self.pacer.observe(resp.headers());
        if resp.status().is_redirection() {
            return Err(redirect(&resp));
        }
        if !resp.status().is_success() {
            let retry_after = failure::retry_after(resp.headers());
            // Scrub before anything is cut, so no part of a key survives a cut.
            let text = read_prefix(resp, ERROR_BODY_LIMIT).await;
            return Err(Failure::Http {
                status,
                message: failure::error_message(&self.clean(&text)),
                retry_after,
            });
        }
        let is_sse = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("text/event-stream"));
        // Parse by what arrived, not what was asked: some servers stream regardless, others
        // ignore "stream": true and answer in one piece.
        let body_error = |e: &reqwest::Error| self.transport_failure(e, Stage::Reading, started);
        let answer = if is_sse {
            let mut acc =
                sse::Accumulator::new(&self.model, started, self.key_text(), t.max_answer_bytes);
            sse::read(resp, &mut acc, sink, t.max_answer_bytes, body_error).await?;
            acc.finish(sink)?
        } else {
            // JSON escaping can double the text; anything past that is not an answer.
            let limit = t.max_answer_bytes.saturating_mul(2) + ERROR_BODY_LIMIT;
            let text = read_capped(resp, limit)
                .await
                .map_err(|e| body_error(&e))?
                .ok_or_else(|| too_large(t.max_answer_bytes))?;
            let answer = self.clean_answer(wire::parse_completion(&text, &self.model)?);
            if answer.text.len() > t.max_answer_bytes {
                return Err(too_large(t.max_answer_bytes));
            }
            sink.text(&answer.text);
            answer
        };
        Ok(self.clean_answer(answer))
    }
}

fn too_large(max: usize) -> Failure {
    Failure::Limit(format!(
        "the answer is larger than {} (max_answer_bytes); no real section is that long",
        crate::text::bytes(max as u64)
    ))
}

/// A 3xx response, never followed.
fn redirect(resp: &reqwest::Response) -> Failure {
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| crate::text::snippet(&sanitize::strip_controls(l), 200))
        .unwrap_or_else(|| "an unnamed address".to_string());
    Failure::Redirect {
        status: resp.status().as_u16(),
        location,
    }
}

/// The first `limit` bytes of the body as text (all of it if shorter); reading stops there.
/// A body that breaks off gives what arrived.
async fn read_prefix(mut resp: reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while body.len() < limit {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The body as text, reading at most `limit` bytes; `None` if it is longer. Reading stops at
/// the limit, so a flood never reaches memory.
async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Option<String>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(String::from_utf8_lossy(&body).into_owned()))
}
