//! The user's config file: `config.toml` in the config folder, with a default profile and named
//! endpoint profiles.

use crate::chat::RequestSettings;
use crate::error::{Error, Result};
use crate::text::{did_you_mean, line_col};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
pub struct Config {
    pub default_profile: Option<String>,
    /// The default formats and Word template, when the project does not say.
    #[serde(default)]
    pub output: crate::project::OutputPrefs,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ProfileConfig {
    /// Start from this preset's values.
    pub preset: Option<String>,
    pub base_url: Option<String>,
    #[serde(flatten)]
    pub request: RequestSettings,
    /// Seconds to establish a connection.
    pub connect_timeout: Option<f64>,
    /// Seconds without a byte from the server (keep-alives count) before giving up.
    pub idle_timeout: Option<f64>,
    /// Seconds for a whole request, streaming included (default 1800).
    pub request_timeout: Option<f64>,
    /// The largest answer accepted, in bytes (default 4 MiB).
    pub max_answer_bytes: Option<u64>,
    pub stream: Option<bool>,
    /// Ask for prose instead of structured JSON for the built-in sections.
    pub prose: Option<bool>,
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
    /// The provider's rate limits: requests and tokens per minute, paced client-side.
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
    /// The most requests in flight to this endpoint at once (1 for a server that cuts a
    /// running answer when another request arrives).
    pub jobs: Option<u32>,
    /// Prices in your currency per million tokens, for the cost line of `draft`.
    pub price_input_per_million: Option<f64>,
    pub price_output_per_million: Option<f64>,
}

const MAX_CONFIG_BYTES: u64 = 1 << 20;

const TOP_KEYS: &[&str] = &["default_profile", "profiles", "output"];
const OUTPUT_KEYS: &[&str] = &["formats", "reference_docx", "confidential_annex"];
const PROFILE_KEYS: &[&str] = &[
    "preset",
    "base_url",
    "model",
    "temperature",
    "max_tokens",
    "connect_timeout",
    "idle_timeout",
    "request_timeout",
    "max_answer_bytes",
    "stream",
    "prose",
    "stream_usage",
    "headers",
    "auth_header",
    "query",
    "retries",
    "allow_insecure_http",
    "key_required",
    "rpm",
    "tpm",
    "jobs",
    "price_input_per_million",
    "price_output_per_million",
];

impl Config {
    pub fn path() -> PathBuf {
        crate::fs::config_dir().join("config.toml")
    }

    pub fn load() -> Result<Config> {
        let path = Self::path();
        match crate::fs::read_regular(&path, MAX_CONFIG_BYTES) {
            Ok(Some(bytes)) => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::Config(format!(
                        "config file {}: not valid UTF-8; save it as UTF-8",
                        path.display()
                    ))
                })?;
                Config::parse(&path, &text)
            }
            Ok(None) => Err(Error::Config(format!(
                "config file {} is longer than {}; a config file is a few lines",
                path.display(),
                crate::text::bytes(MAX_CONFIG_BYTES)
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config {
                path,
                ..Config::default()
            }),
            Err(e) => Err(Error::Config(format!(
                "cannot read config file {}: {}",
                path.display(),
                crate::error::strip_os_error(&e.to_string())
            ))),
        }
    }

    /// Parses the text of a config file; `path` is only for messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let err = |msg: String| Error::Config(format!("config file {}: {msg}", path.display()));
        if let Some(problem) = unknown_key(text) {
            return Err(err(problem));
        }
        let mut cfg: Config =
            toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        cfg.path = path.to_path_buf();
        Ok(cfg)
    }
}

/// The first key the config file does not know, located and with a suggestion. (serde's own
/// check cannot see through the flattened request settings.)
fn unknown_key(text: &str) -> Option<String> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let describe = |span: std::ops::Range<usize>, path: String, name: &str, known: &[&str]| {
        let (line, col) = line_col(text, span.start);
        let mut msg = format!("{line}:{col}: unknown key `{path}`");
        match did_you_mean(name, known.iter().copied()) {
            Some(hint) => msg.push_str(&format!("; did you mean `{hint}`?")),
            None => msg.push_str(&format!(" (known keys here: {})", known.join(", "))),
        }
        msg
    };
    for (key, value) in root.get_ref().iter() {
        let name = key.get_ref().as_ref();
        if !TOP_KEYS.contains(&name) {
            return Some(describe(key.span(), name.to_string(), name, TOP_KEYS));
        }
        if name == "output" {
            for (k, _) in value.get_ref().as_table().into_iter().flatten() {
                let k_name = k.get_ref().as_ref();
                if !OUTPUT_KEYS.contains(&k_name) {
                    let path = format!("output.{k_name}");
                    return Some(describe(k.span(), path, k_name, OUTPUT_KEYS));
                }
            }
        }
        if name != "profiles" {
            continue;
        }
        for (profile, settings) in value.get_ref().as_table().into_iter().flatten() {
            for (k, _) in settings.get_ref().as_table().into_iter().flatten() {
                let k_name = k.get_ref().as_ref();
                if !PROFILE_KEYS.contains(&k_name) {
                    let path = format!("profiles.{}.{k_name}", profile.get_ref());
                    return Some(describe(k.span(), path, k_name, PROFILE_KEYS));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("config.toml"), text)
    }

    #[test]
    fn profiles_read_their_request_settings() {
        let cfg = parse(
            "default_profile = \"w\"\n[profiles.w]\npreset = \"openai\"\nmodel = \"gpt-4o\"\ntemperature = 0.4\nmax_tokens = 1500\nretries = 2\n[profiles.w.headers]\nX-Team = \"pmo\"\n",
        )
        .unwrap();
        let w = &cfg.profiles["w"];
        assert_eq!(cfg.default_profile.as_deref(), Some("w"));
        assert_eq!(w.preset.as_deref(), Some("openai"));
        assert_eq!(
            w.request,
            RequestSettings {
                model: Some("gpt-4o".into()),
                temperature: Some(0.4),
                max_tokens: Some(1500)
            }
        );
        assert_eq!(w.retries, Some(2));
        assert_eq!(w.headers["X-Team"], "pmo");
    }

    #[test]
    fn unknown_keys_are_located_with_a_suggestion() {
        let cases = [
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nmodle = \"m\"\n",
                "config file config.toml: 3:1: unknown key `profiles.x.modle`; did you mean `model`?",
            ),
            (
                "default_profil = \"x\"\n",
                "config file config.toml: 1:1: unknown key `default_profil`; did you mean `default_profile`?",
            ),
            (
                "[profiles.x]\nzzz = 1\n",
                "(known keys here: preset, base_url",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::CONFIG);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn wrong_types_are_config_errors() {
        let e = parse("[profiles.x]\nretries = \"many\"\n").unwrap_err();
        assert!(e.to_string().contains("config.toml"), "{e}");
        assert!(parse("this is not toml").is_err());
    }
}
