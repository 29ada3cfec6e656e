//! The OpenAI-compatible chat-completions client: connecting (key, HTTP client, model), one
//! request with retries and parameter adaptation, and the quirks of real servers. It never
//! prints: what happens along the way is reported as [`Notice`]s.

pub mod failure;
pub mod probe;
pub mod sse;
pub mod think;
pub mod wire;

use crate::chat::{Answer, Message};
use crate::endpoint::keys::{self, Secret};
use crate::endpoint::{Endpoint, url};
use crate::error::{EndpointError, Error, Result};
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

/// Something the client did or noticed that the user may want to know.
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
    /// The server rejected a parameter and the request is sent again without it.
    Adapted(&'static str),
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
            Notice::KeyWithheld(text) => f.write_str(text),
            Notice::Adapted(change) => write!(
                f,
                "note: the server rejected a parameter; {change}, and retrying"
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

/// Where notices go. `Sync`: one client serves concurrent requests.
pub type Notify<'a> = &'a (dyn Fn(Notice) + Send + Sync);

pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    key: Option<Secret>,
    /// The model requests name: configured, or discovered from the server.
    model: String,
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
            .connect_timeout(t.connect_timeout)
            .read_timeout(t.idle_timeout);
        if let Some(limit) = t.request_timeout {
            builder = builder.timeout(limit);
        }
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

    /// Scrubs the key from any text that reaches the user.
    fn clean(&self, text: String) -> String {
        match &self.key {
            Some(k) => k.scrub(&text),
            None => text,
        }
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
                self.clean(
                    self.transport_failure(&e, Stage::Sending, started)
                        .describe(),
                )
            })?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| self.clean(e.to_string()))?;
        if !status.is_success() {
            return Err(self.clean(format!(
                "HTTP {}: {}",
                status.as_u16(),
                failure::error_message(&body)
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
    /// With `stream`, text reaches `sink` as it arrives.
    pub async fn chat(
        &self,
        messages: &[Message],
        stream: bool,
        sink: &mut dyn Sink,
        notify: Notify<'_>,
    ) -> Result<Answer> {
        let retries = self.endpoint.transport.retries;
        let mut params = wire::Params::new(&self.endpoint.request, self.endpoint.stream_usage);
        let mut backoff = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(20))
            .with_max_times(retries as usize)
            .with_jitter()
            .build();
        let started = Instant::now();
        let mut attempts = 0;
        let mut adapted = 0;
        loop {
            attempts += 1;
            let body = wire::body(&self.model, messages, stream, &params);
            let failure = match self.attempt(&body, sink, notify).await {
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
                && let Some(change) = wire::adapt(&mut params, message, stream)
            {
                adapted += 1;
                notify(Notice::Adapted(change));
                attempts -= 1;
                continue;
            }
            if failure.retryable() {
                if !sink.restart() {
                    return Err(self.give_up(&failure, attempts, true));
                }
                if let Some(delay) = backoff.next() {
                    let delay = failure
                        .retry_after()
                        .map(|ra| ra.min(Duration::from_secs(60)))
                        .unwrap_or(delay);
                    notify(Notice::Retrying {
                        reason: self.clean(failure.describe()),
                        delay,
                        attempt: attempts + 1,
                        of: retries + 1,
                    });
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            return Err(self.give_up(&failure, attempts, false));
        }
    }

    fn give_up(&self, failure: &Failure, attempts: u32, after_partial_output: bool) -> Error {
        let t = &self.endpoint.transport;
        EndpointError {
            action: format!("POST {}", t.chat_url()),
            reason: self.clean(failure.describe()),
            attempts,
            after_partial_output,
            hint: failure.hint(&self.endpoint.profile, &self.model, &t.base_url),
        }
        .into()
    }

    async fn attempt(
        &self,
        body: &Value,
        sink: &mut dyn Sink,
        notify: Notify<'_>,
    ) -> std::result::Result<Answer, Failure> {
        let url = self.endpoint.transport.chat_url();
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
        if !resp.status().is_success() {
            let retry_after = failure::retry_after(resp.headers());
            let text = resp.text().await.unwrap_or_default();
            return Err(Failure::Http {
                status,
                message: self.clean(failure::error_message(&text)),
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
        if is_sse {
            sse::read(resp, &self.model, sink, started, |e| {
                self.transport_failure(e, Stage::Reading, started)
            })
            .await
        } else {
            let text = resp
                .text()
                .await
                .map_err(|e| self.transport_failure(&e, Stage::Reading, started))?;
            let answer = wire::parse_completion(&text, &self.model)?;
            sink.text(&answer.text);
            Ok(answer)
        }
    }
}
