//! The user's config file, endpoint profiles and presets, and resolving the endpoint one run
//! talks to.
//!
//! Precedence for each setting: flag > environment > project file > profile > preset.

use crate::cli::{Global, Tuning};
use crate::error::{Error, Result};
use crate::project::{EndpointPrefs, did_you_mean};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// Used when neither a flag, the environment, the project nor the config names a profile:
/// the local llama.cpp server that `scripts/llm-server start` runs.
pub const DEFAULT_PROFILE: &str = "llamacpp";

pub struct Preset {
    pub name: &'static str,
    pub base_url: &'static str,
    /// `None`: ask the server's `/models` and use the only model it serves.
    pub model: Option<&'static str>,
    pub key_required: bool,
    /// Local servers often generate until their context is full when no limit is sent.
    pub max_tokens: Option<u32>,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "openai",
        base_url: "https://api.openai.com/v1",
        model: Some("gpt-4o-mini"),
        key_required: true,
        max_tokens: None,
    },
    Preset {
        name: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        model: Some("openai/gpt-4o-mini"),
        key_required: true,
        max_tokens: None,
    },
    Preset {
        name: "ollama",
        base_url: "http://127.0.0.1:11434/v1",
        model: None,
        key_required: false,
        max_tokens: None,
    },
    Preset {
        name: "llamacpp",
        base_url: "http://127.0.0.1:8080/v1",
        model: None,
        key_required: false,
        max_tokens: Some(1024),
    },
    Preset {
        name: "vllm",
        base_url: "http://127.0.0.1:8000/v1",
        model: None,
        key_required: false,
        max_tokens: None,
    },
    Preset {
        name: "lmstudio",
        base_url: "http://127.0.0.1:1234/v1",
        model: None,
        key_required: false,
        max_tokens: None,
    },
];

/// The config folder: `$PLAN_AI_CONFIG_DIR`, else the platform's (XDG on Linux: ~/.config/plan-ai).
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PLAN_AI_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    use etcetera::BaseStrategy;
    match etcetera::choose_base_strategy() {
        Ok(s) => s.config_dir().join("plan-ai"),
        Err(_) => PathBuf::from(".plan-ai-config"),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Start from this preset's values.
    pub preset: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// Seconds to establish a connection.
    pub connect_timeout: Option<f64>,
    /// Seconds without a byte from the server (keep-alives count) before giving up.
    pub idle_timeout: Option<f64>,
    /// Seconds for a whole request; unset means no limit beyond the idle timeout.
    pub request_timeout: Option<f64>,
    pub stream: Option<bool>,
    /// Ask for token usage in streams (`stream_options.include_usage`).
    pub stream_usage: Option<bool>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Send the key in this header as-is instead of `Authorization: Bearer` (Azure: "api-key").
    pub auth_header: Option<String>,
    /// Query parameters added to every request URL (Azure: api-version).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Attempts after the first for 429, 5xx and connection failures.
    pub retries: Option<u32>,
    /// Allow sending the key over plain http:// to a host that is not this machine.
    pub allow_insecure_http: Option<bool>,
    /// Fail when no key is found instead of sending no Authorization header.
    pub key_required: Option<bool>,
    /// Prices in your currency per million tokens, for the cost line of `draft`.
    pub price_input_per_million: Option<f64>,
    pub price_output_per_million: Option<f64>,
}

impl Config {
    pub fn path() -> PathBuf {
        config_dir().join("config.toml")
    }

    pub fn load() -> Result<Config> {
        let path = Self::path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config {
                    path,
                    ..Config::default()
                });
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read config file {}: {e}",
                    path.display()
                )));
            }
        };
        let mut cfg: Config = toml::from_str(&text).map_err(|e| {
            Error::Config(format!(
                "config file {}: {}",
                path.display(),
                e.to_string().trim_end()
            ))
        })?;
        cfg.path = path;
        Ok(cfg)
    }
}

/// The endpoint and request settings for one run, resolved from every layer.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub profile: String,
    pub base_url: String,
    /// `None`: discover from `/models`.
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    pub request_timeout: Option<Duration>,
    pub stream: bool,
    pub stream_usage: bool,
    pub headers: Vec<(String, String)>,
    pub auth_header: Option<String>,
    pub query: Vec<(String, String)>,
    pub retries: u32,
    pub allow_insecure_http: bool,
    pub key_required: bool,
    /// Host (and port) of the profile's own base URL: a stored key is only sent there.
    pub profile_origin: String,
    pub prices: Option<(f64, f64)>,
}

impl Endpoint {
    pub fn chat_url(&self) -> String {
        self.url("chat/completions")
    }
    pub fn models_url(&self) -> String {
        self.url("models")
    }
    fn url(&self, path: &str) -> String {
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

pub fn active_profile_name(cfg: &Config, g: &Global, project: Option<&EndpointPrefs>) -> String {
    g.profile
        .clone()
        .or_else(|| project.and_then(|p| p.profile.clone()))
        .or_else(|| cfg.default_profile.clone())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string())
}

fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The profile's own settings merged over its preset.
fn profile_settings(cfg: &Config, name: &str) -> Result<(ProfileConfig, Option<&'static Preset>)> {
    if let Some(p) = cfg.profiles.get(name) {
        let base = match p.preset.as_deref() {
            Some(pn) => Some(preset(pn).ok_or_else(|| {
                Error::Config(format!(
                    "profile `{name}` in {} names preset `{pn}`, which does not exist; presets: {}",
                    cfg.path.display(),
                    preset_names()
                ))
            })?),
            None => preset(name),
        };
        return Ok((p.clone(), base));
    }
    if let Some(p) = preset(name) {
        return Ok((ProfileConfig::default(), Some(p)));
    }
    let known: Vec<&str> = cfg
        .profiles
        .keys()
        .map(String::as_str)
        .chain(PRESETS.iter().map(|p| p.name))
        .collect();
    let mut msg = format!("no profile or preset named `{name}`");
    if let Some(h) = did_you_mean(name, known.iter().copied()) {
        let _ = write!(msg, "; did you mean `{h}`?");
    }
    let _ = write!(
        msg,
        "\nknown: {} (see `plan-ai profiles`)",
        known.join(", ")
    );
    Err(Error::Config(msg))
}

fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn resolve(
    cfg: &Config,
    g: &Global,
    project: &EndpointPrefs,
    tuning: &Tuning,
) -> Result<Endpoint> {
    let name = active_profile_name(cfg, g, Some(project));
    let (p, preset) = profile_settings(cfg, &name)?;
    let profile_base = p
        .base_url
        .clone()
        .or_else(|| preset.map(|s| s.base_url.to_string()))
        .ok_or_else(|| {
            Error::Config(format!(
                "profile `{name}` has no base_url (in {})",
                cfg.path.display()
            ))
        })?;
    let base_url = g.base_url.clone().unwrap_or_else(|| profile_base.clone());
    let base_url = normalize_base_url(&base_url)?;
    let profile_origin = origin(&normalize_base_url(&profile_base)?);
    let secs = |v: Option<f64>, default: f64, what: &str| -> Result<Duration> {
        let s = v.unwrap_or(default);
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::Config(format!(
                "profile `{name}`: {what} must be a positive number of seconds"
            )));
        }
        Ok(Duration::from_secs_f64(s))
    };
    let temperature = tuning.temperature.or(project.temperature).or(p.temperature);
    if let Some(t) = temperature
        && !(0.0..=2.0).contains(&t)
    {
        return Err(Error::Config(format!(
            "temperature {t} is out of range; use 0 to 2"
        )));
    }
    let mut headers = Vec::new();
    for (k, v) in &p.headers {
        if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(v).is_err()
        {
            return Err(Error::Config(format!(
                "profile `{name}`: header `{k}` is not a valid HTTP header"
            )));
        }
        headers.push((k.clone(), v.clone()));
    }
    Ok(Endpoint {
        profile: name.clone(),
        base_url,
        model: g
            .model
            .clone()
            .or_else(|| project.model.clone())
            .or(p.model.clone())
            .or_else(|| preset.and_then(|s| s.model.map(str::to_string))),
        temperature,
        max_tokens: tuning
            .max_tokens
            .or(project.max_tokens)
            .or(p.max_tokens)
            .or_else(|| preset.and_then(|s| s.max_tokens)),
        connect_timeout: secs(p.connect_timeout, 10.0, "connect_timeout")?,
        idle_timeout: secs(p.idle_timeout, 120.0, "idle_timeout")?,
        request_timeout: p
            .request_timeout
            .map(|s| secs(Some(s), s, "request_timeout"))
            .transpose()?,
        stream: p.stream.unwrap_or(true),
        stream_usage: p.stream_usage.unwrap_or(true),
        headers,
        auth_header: match p.auth_header.as_deref().map(str::trim) {
            Some(h) if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() => {
                return Err(Error::Config(format!(
                    "profile `{name}`: auth_header `{h}` is not a valid header name"
                )));
            }
            Some(h) if !h.eq_ignore_ascii_case("authorization") => Some(h.to_string()),
            _ => None,
        },
        query: p
            .query
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        retries: p.retries.unwrap_or(3).min(10),
        allow_insecure_http: p.allow_insecure_http.unwrap_or(false),
        key_required: p
            .key_required
            .unwrap_or(preset.is_some_and(|s| s.key_required)),
        profile_origin,
        prices: match (p.price_input_per_million, p.price_output_per_million) {
            (Some(i), Some(o)) => Some((i, o)),
            (Some(i), None) => Some((i, i)),
            (None, Some(o)) => Some((o, o)),
            (None, None) => None,
        },
    })
}

/// `profiles test` ignores the project file: it checks the profile as configured.
pub fn resolve_for_test(cfg: &Config, g: &Global) -> Result<Endpoint> {
    resolve(cfg, g, &EndpointPrefs::default(), &Tuning::default())
}

fn normalize_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        Error::Config(format!(
            "base URL `{trimmed}` is not a valid URL ({e}); e.g. http://127.0.0.1:8080/v1"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "base URL `{trimmed}` must start with http:// or https://"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "base URL must not carry credentials; store the key with `plan-ai key set`".to_string(),
        ));
    }
    Ok(trimmed.to_string())
}

/// scheme://host:port of a URL, the unit a key is bound to.
pub fn origin(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}:{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            u.port_or_known_default().unwrap_or_default()
        ),
        Err(_) => url.to_string(),
    }
}

/// Whether a URL's host is this machine, where plain http:// exposes nothing.
pub fn is_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = u
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub fn describe_profiles(cfg: &Config, active: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "config file: {}{}",
        cfg.path.display(),
        if cfg.path.exists() {
            ""
        } else {
            " (not created yet)"
        }
    );
    let _ = writeln!(out, "active profile: {active}\n");
    let _ = writeln!(
        out,
        "{:<2}{:<14} {:<10} {:<36} model",
        "", "profile", "from", "base URL"
    );
    let mut names: Vec<(String, &str)> =
        cfg.profiles.keys().map(|k| (k.clone(), "config")).collect();
    for p in PRESETS {
        if !cfg.profiles.contains_key(p.name) {
            names.push((p.name.to_string(), "preset"));
        }
    }
    for (name, from) in names {
        let Ok((p, preset)) = profile_settings(cfg, &name) else {
            continue;
        };
        let base = p
            .base_url
            .clone()
            .or_else(|| preset.map(|s| s.base_url.to_string()))
            .unwrap_or_else(|| "-".into());
        let model = p
            .model
            .clone()
            .or_else(|| preset.and_then(|s| s.model.map(str::to_string)))
            .unwrap_or_else(|| "(the server's only model)".into());
        let mark = if name == active { "* " } else { "  " };
        let _ = writeln!(out, "{mark}{name:<14} {from:<10} {base:<36} {model}");
    }
    out
}
