//! Where requests go and how: the config file's profiles over the presets, overridden by the
//! project file, the environment and flags, resolved into one [`Endpoint`].
//!
//! Precedence for each setting: flag > environment > project file > profile > preset.

pub mod config;
pub mod keys;
pub mod presets;
mod resolve;
pub mod url;

pub use config::{Config, ProfileConfig};
pub use resolve::{
    ProfileChoice, ProfileSummary, active_profile, active_profile_name, list_profiles, resolve,
};

use crate::chat::RequestSettings;
use std::time::Duration;

/// What the user chose on their side for this run: flags and environment. Built by the command
/// layer from its arguments, so nothing below it sees the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub profile: Option<String>,
    pub base_url: Option<String>,
    pub request: RequestSettings,
    /// `--prose`: plain answers instead of structured JSON.
    pub prose: bool,
    /// `--rpm`, `--tpm`.
    pub rate: RateLimits,
}

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct Transport {
    pub base_url: String,
    /// Query parameters added to every URL (Azure: api-version).
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Send the key in this header instead of `Authorization: Bearer`.
    pub auth_header: Option<String>,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    /// The overall deadline of one attempt, streaming included.
    pub request_timeout: Duration,
    /// Attempts after the first for retryable failures.
    pub retries: u32,
    /// The largest answer accepted (text plus reasoning), in bytes.
    pub max_answer_bytes: usize,
}

impl Transport {
    pub fn chat_url(&self) -> String {
        self.url("chat/completions")
    }
    pub fn models_url(&self) -> String {
        self.url("models")
    }
    /// The URL of an API path under the base URL, with the profile's query parameters.
    pub fn url(&self, path: &str) -> String {
        let url = format!("{}/{path}", self.base_url);
        if self.query.is_empty() {
            return url;
        }
        match reqwest::Url::parse_with_params(&url, &self.query) {
            Ok(u) => u.to_string(),
            Err(_) => url,
        }
    }
}

/// When a key may be sent, and when one is needed.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    pub required: bool,
    pub allow_insecure_http: bool,
    /// `PLAN_AI_API_KEY` may go to this profile: the user chose it, not a project file.
    pub env_key_allowed: bool,
    /// Origin of the profile's own base URL: a stored key is only sent there.
    pub profile_origin: String,
}

/// A provider's rate limits as the user knows them (`rpm`, `tpm` in a profile, or flags):
/// requests and tokens per minute. `None`: no limit of ours (the server's headers still count).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateLimits {
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
}

/// Prices per million tokens, for the cost line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl Prices {
    pub fn cost(&self, u: &crate::chat::Usage) -> f64 {
        (u.prompt_tokens as f64 * self.input_per_million
            + u.completion_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// Defaults and bounds of the numeric settings. A value outside its range is a config error,
/// never a crash.
pub mod limits {
    pub const CONNECT_TIMEOUT: f64 = 10.0;
    pub const IDLE_TIMEOUT: f64 = 120.0;
    /// Every request has an overall deadline: a server dripping a byte at a time cannot hold a
    /// run forever. Long enough for a slow local model writing a long answer.
    pub const REQUEST_TIMEOUT: f64 = 1800.0;
    /// The longest any timeout may be set to: a day.
    pub const MAX_TIMEOUT: f64 = 86_400.0;
    pub const RETRIES: u32 = 3;
    pub const MAX_RETRIES: u32 = 10;
    /// Far above any real answer (a long section is 10-50 KB).
    pub const MAX_ANSWER_BYTES: u64 = 4 << 20;
    pub const ANSWER_BYTES_RANGE: std::ops::RangeInclusive<u64> = 1024..=(256 << 20);
}

/// The endpoint one run talks to, resolved from every layer.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub profile: String,
    pub transport: Transport,
    /// As configured: a `None` model is discovered from the server when connecting.
    pub request: RequestSettings,
    /// `max_tokens` was set by the user (flag, project or profile), not by a preset.
    pub max_tokens_explicit: bool,
    /// Built-in sections are asked for prose, not structured JSON.
    pub prose: bool,
    pub stream: bool,
    /// Ask for usage in streams (`stream_options.include_usage`).
    pub stream_usage: bool,
    pub key: KeyPolicy,
    pub prices: Option<Prices>,
    pub rate: RateLimits,
    /// The profile's own limit on requests in flight to this endpoint (`jobs`), if it sets one.
    pub jobs: Option<usize>,
}
