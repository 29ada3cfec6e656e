//! `profiles test`: what the server lists, a one-token request, and what it supports.

use super::{Client, Discard, Notice, Notify};
use crate::chat::{ChatRequest, Message};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What `profiles test` found out.
pub struct ProbeReport {
    pub profile: String,
    pub base_url: String,
    /// The listed models and how long the list took, or why there is none.
    pub models: std::result::Result<(Vec<String>, Duration), String>,
    /// The one-token request: the model that answered, how long it took, whether usage came.
    pub answered_by: String,
    pub latency: Duration,
    pub usage_reported: bool,
    /// Streaming: time to the first token and whether usage came, or why it failed.
    pub streaming: std::result::Result<(Duration, bool), String>,
    /// Parameters the server rejected and how the request was adapted.
    pub adaptations: Vec<String>,
}

pub async fn probe(endpoint: Endpoint, notify: Notify<'_>) -> Result<ProbeReport> {
    let configured_model = endpoint.request.model.clone();
    let mut ep = endpoint.clone();
    // A placeholder so connecting does not ask for the model list: the probe asks itself.
    ep.request.model.get_or_insert_with(|| "probe".to_string());
    ep.request.max_tokens = Some(1);
    ep.transport.retries = 0;
    let mut client = Client::connect(ep, notify).await?;
    let t = Instant::now();
    let models = client.models().await.map(|list| (list, t.elapsed()));
    client.model = match (configured_model, &models) {
        (Some(m), _) => m,
        (None, Ok((list, _))) if list.len() == 1 => list[0].clone(),
        (None, _) => {
            let listed = match &models {
                Ok((list, _)) => format!("the server lists {}", list.len()),
                Err(e) => format!("no model list ({e})"),
            };
            return Err(Error::Config(format!(
                "profile {} · {}: {listed}, and no model to test: pass --model NAME or set model in the profile",
                endpoint.profile, endpoint.transport.base_url
            )));
        }
    };
    let messages = [Message::user("Reply with the word OK.")];
    let adaptations = Mutex::new(Vec::new());
    let note = |n: Notice| match n {
        Notice::Adapted(change) => adaptations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(change.to_string()),
        other => notify(other),
    };
    let plain = client
        .chat(&ChatRequest::new(&messages, false), &mut Discard, &note)
        .await?;
    let streaming = client
        .chat(&ChatRequest::new(&messages, true), &mut Discard, &note)
        .await
        .map(|s| (s.first_token.unwrap_or(s.elapsed), s.usage.is_some()))
        .map_err(|e| e.to_string());
    Ok(ProbeReport {
        profile: endpoint.profile,
        base_url: endpoint.transport.base_url,
        models: models.map_err(|e| e.to_string()),
        answered_by: plain.model,
        latency: plain.elapsed,
        usage_reported: plain.usage.is_some(),
        streaming,
        adaptations: adaptations.into_inner().unwrap_or_default(),
    })
}
