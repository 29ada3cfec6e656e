//! Resolving the endpoint of a run: which profile, its settings over its preset, overridden by
//! the project file, the environment and flags, each number checked against its range.

use super::config::{Config, ProfileConfig};
use super::presets::{self, Preset};
use super::{Endpoint, KeyPolicy, Overrides, Prices, RateLimits, Transport, limits, url};
use crate::chat::RequestSettings;
use crate::error::{Error, NameKind, Result, UnknownName};
use crate::project::EndpointPrefs;
use std::time::Duration;

/// Who chose the profile a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileChoice {
    /// `--profile` or `PLAN_AI_PROFILE`.
    User,
    /// The project file's `[endpoint] profile`: shared, so not trusted with the env key.
    Project,
    /// The user's config `default_profile`.
    ConfigDefault,
    /// Nobody: the bundled local server.
    BuiltInDefault,
}

/// The profile a run uses: flag or environment, then the project's, the config's default, and
/// finally the bundled local server.
pub fn active_profile(
    cfg: &Config,
    overrides: &Overrides,
    project: Option<&EndpointPrefs>,
) -> (String, ProfileChoice) {
    if let Some(p) = &overrides.profile {
        (p.clone(), ProfileChoice::User)
    } else if let Some(p) = project.and_then(|p| p.profile.clone()) {
        // Naming the user's own default is no choice of the project's.
        let choice = if cfg.default_profile.as_deref() == Some(p.as_str()) {
            ProfileChoice::ConfigDefault
        } else {
            ProfileChoice::Project
        };
        (p, choice)
    } else if let Some(p) = &cfg.default_profile {
        (p.clone(), ProfileChoice::ConfigDefault)
    } else {
        (
            presets::DEFAULT_PROFILE.to_string(),
            ProfileChoice::BuiltInDefault,
        )
    }
}

pub fn active_profile_name(
    cfg: &Config,
    overrides: &Overrides,
    project: Option<&EndpointPrefs>,
) -> String {
    active_profile(cfg, overrides, project).0
}

/// The profile's own settings and the preset under them.
fn profile_settings(cfg: &Config, name: &str) -> Result<(ProfileConfig, Option<&'static Preset>)> {
    if let Some(p) = cfg.profiles.get(name) {
        let base = match p.preset.as_deref() {
            Some(pn) => Some(presets::find(pn).ok_or_else(|| {
                Error::Unknown(UnknownName {
                    kind: NameKind::Preset,
                    name: pn.to_string(),
                    known: presets::names(),
                    origin: Some(format!("profile `{name}` in {}", cfg.path.display())),
                })
            })?),
            None => presets::find(name),
        };
        return Ok((p.clone(), base));
    }
    if let Some(p) = presets::find(name) {
        return Ok((ProfileConfig::default(), Some(p)));
    }
    let mut known: Vec<String> = cfg.profiles.keys().cloned().collect();
    known.extend(presets::names());
    Err(Error::Unknown(UnknownName {
        kind: NameKind::Profile,
        name: name.to_string(),
        known,
        origin: None,
    }))
}

/// Resolves the endpoint for a run from the config, the user's overrides and the project.
pub fn resolve(cfg: &Config, overrides: &Overrides, project: &EndpointPrefs) -> Result<Endpoint> {
    let (name, choice) = active_profile(cfg, overrides, Some(project));
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
    let base_url = url::normalize_base_url(overrides.base_url.as_deref().unwrap_or(&profile_base))?;
    if p.jobs == Some(0) {
        return Err(Error::Config(format!(
            "profile `{name}`: jobs must be 1 or more (1 sends one request at a time)"
        )));
    }
    Ok(Endpoint {
        request: request_settings(overrides, project, &p, preset)?,
        max_tokens_explicit: overrides
            .request
            .max_tokens
            .or(project.request.max_tokens)
            .or(p.request.max_tokens)
            .is_some(),
        prose: overrides.prose || project.prose.or(p.prose).unwrap_or(false),
        transport: transport(&name, &p, base_url)?,
        stream: p.stream.unwrap_or(true),
        stream_usage: p.stream_usage.unwrap_or(true),
        key: KeyPolicy {
            required: p
                .key_required
                .unwrap_or(preset.is_some_and(|s| s.key_required)),
            allow_insecure_http: p.allow_insecure_http.unwrap_or(false),
            env_key_allowed: choice != ProfileChoice::Project,
            profile_origin: url::origin(&url::normalize_base_url(&profile_base)?),
        },
        prices: prices(&name, &p)?,
        rate: RateLimits {
            rpm: overrides.rate.rpm.or(p.rpm).filter(|n| *n > 0),
            tpm: overrides.rate.tpm.or(p.tpm).filter(|n| *n > 0),
        },
        jobs: p.jobs.map(|n| n as usize),
        profile: name,
    })
}

/// Flag over project over profile over preset, setting by setting, then checked.
fn request_settings(
    overrides: &Overrides,
    project: &EndpointPrefs,
    p: &ProfileConfig,
    preset: Option<&Preset>,
) -> Result<RequestSettings> {
    let preset_request = RequestSettings {
        model: preset.and_then(|s| s.model.map(str::to_string)),
        temperature: None,
        max_tokens: preset.and_then(|s| s.max_tokens),
    };
    let request = overrides
        .request
        .clone()
        .or(&project.request)
        .or(&p.request)
        .or(&preset_request);
    if let Some(t) = request.temperature
        && !(0.0..=2.0).contains(&t)
    {
        return Err(Error::Config(format!(
            "temperature {t} is out of range; use 0 to 2"
        )));
    }
    if request.max_tokens == Some(0) {
        return Err(Error::Config(
            "max_tokens 0 leaves no room for an answer; use 1 or more".to_string(),
        ));
    }
    Ok(request)
}

fn transport(name: &str, p: &ProfileConfig, base_url: String) -> Result<Transport> {
    let secs = |v: Option<f64>, default: f64, what: &str| -> Result<Duration> {
        let s = v.unwrap_or(default);
        if !(s > 0.0 && s <= limits::MAX_TIMEOUT) {
            return Err(Error::Config(format!(
                "profile `{name}`: {what} must be a number of seconds above 0 and at most {} (a day); it is {s}",
                limits::MAX_TIMEOUT
            )));
        }
        Ok(Duration::from_secs_f64(s))
    };
    let max_answer_bytes = p.max_answer_bytes.unwrap_or(limits::MAX_ANSWER_BYTES);
    if !limits::ANSWER_BYTES_RANGE.contains(&max_answer_bytes) {
        return Err(Error::Config(format!(
            "profile `{name}`: max_answer_bytes must be from {} to {}; it is {max_answer_bytes}",
            limits::ANSWER_BYTES_RANGE.start(),
            limits::ANSWER_BYTES_RANGE.end()
        )));
    }
    Ok(Transport {
        base_url,
        query: p.query.clone().into_iter().collect(),
        headers: headers(name, p)?,
        auth_header: auth_header(name, p)?,
        connect_timeout: secs(
            p.connect_timeout,
            limits::CONNECT_TIMEOUT,
            "connect_timeout",
        )?,
        idle_timeout: secs(p.idle_timeout, limits::IDLE_TIMEOUT, "idle_timeout")?,
        request_timeout: secs(
            p.request_timeout,
            limits::REQUEST_TIMEOUT,
            "request_timeout",
        )?,
        retries: p
            .retries
            .unwrap_or(limits::RETRIES)
            .min(limits::MAX_RETRIES),
        max_answer_bytes: max_answer_bytes as usize,
    })
}

fn headers(name: &str, p: &ProfileConfig) -> Result<Vec<(String, String)>> {
    p.headers
        .iter()
        .map(|(k, v)| {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(v).is_err()
            {
                return Err(Error::Config(format!(
                    "profile `{name}`: header `{k}` is not a valid HTTP header"
                )));
            }
            Ok((k.clone(), v.clone()))
        })
        .collect()
}

/// The header the key goes in, when it is not `Authorization: Bearer`.
fn auth_header(name: &str, p: &ProfileConfig) -> Result<Option<String>> {
    match p.auth_header.as_deref().map(str::trim) {
        Some(h) if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() => {
            Err(Error::Config(format!(
                "profile `{name}`: auth_header `{h}` is not a valid header name"
            )))
        }
        Some(h) if !h.eq_ignore_ascii_case("authorization") => Ok(Some(h.to_string())),
        _ => Ok(None),
    }
}

/// One price stands for both when only one is set.
fn prices(name: &str, p: &ProfileConfig) -> Result<Option<Prices>> {
    for (what, price) in [
        ("price_input_per_million", p.price_input_per_million),
        ("price_output_per_million", p.price_output_per_million),
    ] {
        if let Some(v) = price
            && !(v.is_finite() && v >= 0.0)
        {
            return Err(Error::Config(format!(
                "profile `{name}`: {what} must be a price of 0 or more; it is {v}"
            )));
        }
    }
    Ok(
        match (p.price_input_per_million, p.price_output_per_million) {
            (None, None) => None,
            (i, o) => Some(Prices {
                input_per_million: i.or(o).unwrap_or_default(),
                output_per_million: o.or(i).unwrap_or_default(),
            }),
        },
    )
}

/// One line of the `profiles` listing.
pub struct ProfileSummary {
    pub name: String,
    /// "config" or "preset".
    pub from: &'static str,
    pub base_url: Option<String>,
    /// `None`: the server's only model.
    pub model: Option<String>,
}

/// Every profile in the config, then every preset the config does not shadow.
pub fn list_profiles(cfg: &Config) -> Vec<ProfileSummary> {
    let mut names: Vec<(String, &'static str)> =
        cfg.profiles.keys().map(|k| (k.clone(), "config")).collect();
    for p in presets::PRESETS {
        if !cfg.profiles.contains_key(p.name) {
            names.push((p.name.to_string(), "preset"));
        }
    }
    names
        .into_iter()
        .filter_map(|(name, from)| {
            let (p, preset) = profile_settings(cfg, &name).ok()?;
            Some(ProfileSummary {
                base_url: p
                    .base_url
                    .clone()
                    .or_else(|| preset.map(|s| s.base_url.to_string())),
                model: p
                    .request
                    .model
                    .clone()
                    .or_else(|| preset.and_then(|s| s.model.map(str::to_string))),
                name,
                from,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &str) -> Config {
        Config::parse(Path::new("config.toml"), text).unwrap()
    }

    fn prefs(model: Option<&str>, temperature: Option<f64>) -> EndpointPrefs {
        EndpointPrefs {
            profile: None,
            prose: None,
            request: RequestSettings {
                model: model.map(str::to_string),
                temperature,
                max_tokens: None,
            },
        }
    }

    #[test]
    fn the_default_is_the_local_llamacpp_server() {
        let ep = resolve(
            &Config::default(),
            &Overrides::default(),
            &EndpointPrefs::default(),
        )
        .unwrap();
        assert_eq!(ep.profile, "llamacpp");
        assert_eq!(ep.transport.base_url, "http://127.0.0.1:8080/v1");
        assert_eq!(ep.request.max_tokens, Some(1024));
        assert_eq!(ep.request.model, None);
        assert!(!ep.key.required);
    }

    #[test]
    fn flag_beats_project_beats_profile_beats_preset() {
        let c = cfg(
            "default_profile = \"w\"\n[profiles.w]\npreset = \"openai\"\nmodel = \"profile-m\"\ntemperature = 0.9\n",
        );
        let none = Overrides::default();
        let ep = resolve(&c, &none, &EndpointPrefs::default()).unwrap();
        assert_eq!(ep.request.model.as_deref(), Some("profile-m"));
        assert!(ep.key.required, "from the openai preset");
        let ep = resolve(&c, &none, &prefs(Some("project-m"), Some(0.5))).unwrap();
        assert_eq!(ep.request.model.as_deref(), Some("project-m"));
        assert_eq!(ep.request.temperature, Some(0.5));
        let flags = Overrides {
            request: RequestSettings {
                model: Some("flag-m".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let ep = resolve(&c, &flags, &prefs(Some("project-m"), Some(0.5))).unwrap();
        assert_eq!(ep.request.model.as_deref(), Some("flag-m"));
        assert_eq!(ep.request.temperature, Some(0.5));
    }

    #[test]
    fn a_base_url_override_keeps_the_profiles_origin_for_the_key() {
        let flags = Overrides {
            profile: Some("openai".into()),
            base_url: Some("http://127.0.0.1:9/v1/".into()),
            ..Default::default()
        };
        let ep = resolve(&Config::default(), &flags, &EndpointPrefs::default()).unwrap();
        assert_eq!(ep.transport.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(ep.key.profile_origin, "https://api.openai.com:443");
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let cases = [
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nidle_timeout = 0\n",
                "idle_timeout must be a number of seconds above 0",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nconnect_timeout = 1e300\n",
                "connect_timeout must be a number of seconds above 0 and at most 86400",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nrequest_timeout = nan\n",
                "request_timeout must be",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nmax_answer_bytes = 10\n",
                "max_answer_bytes must be from 1024",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nmax_tokens = 0\n",
                "max_tokens 0 leaves no room",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\nprice_input_per_million = -1\n",
                "price_input_per_million must be a price of 0 or more",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\ntemperature = 3\n",
                "temperature 3 is out of range",
            ),
            (
                "[profiles.x]\nbase_url = \"http://h/v1\"\n[profiles.x.headers]\n\"bad header\" = \"v\"\n",
                "is not a valid HTTP header",
            ),
            (
                "[profiles.x]\nmodel = \"m\"\n",
                "profile `x` has no base_url",
            ),
            (
                "[profiles.x]\npreset = \"olama\"\n",
                "names preset `olama`, which does not exist; did you mean `ollama`?",
            ),
        ];
        let flags = Overrides {
            profile: Some("x".into()),
            ..Default::default()
        };
        for (text, want) in cases {
            let e = resolve(&cfg(text), &flags, &EndpointPrefs::default()).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::CONFIG, "{e}");
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_env_key_is_only_for_profiles_the_user_chose() {
        let project = |p: &str| EndpointPrefs {
            profile: Some(p.into()),
            ..Default::default()
        };
        let c = cfg("default_profile = \"openai\"\n");
        let none = Overrides::default();
        let user = Overrides {
            profile: Some("openrouter".into()),
            ..Default::default()
        };
        let cases = [
            (
                &c,
                &none,
                project("openrouter"),
                ProfileChoice::Project,
                false,
            ),
            (
                &c,
                &none,
                project("openai"),
                ProfileChoice::ConfigDefault,
                true,
            ),
            (&c, &user, project("openrouter"), ProfileChoice::User, true),
            (
                &c,
                &none,
                EndpointPrefs::default(),
                ProfileChoice::ConfigDefault,
                true,
            ),
        ];
        for (cfg, overrides, prefs, choice, allowed) in cases {
            assert_eq!(active_profile(cfg, overrides, Some(&prefs)).1, choice);
            let ep = resolve(cfg, overrides, &prefs).unwrap();
            assert_eq!(ep.key.env_key_allowed, allowed, "{prefs:?}");
        }
        let bare = Config::default();
        assert_eq!(
            active_profile(&bare, &none, None),
            ("llamacpp".to_string(), ProfileChoice::BuiltInDefault)
        );
    }

    #[test]
    fn an_unknown_profile_suggests_a_near_one() {
        let flags = Overrides {
            profile: Some("olama".into()),
            ..Default::default()
        };
        let e = resolve(&Config::default(), &flags, &EndpointPrefs::default()).unwrap_err();
        assert!(e.to_string().contains("did you mean `ollama`?"), "{e}");
    }

    #[test]
    fn urls_carry_the_query() {
        let c = cfg(
            "[profiles.az]\nbase_url = \"https://x.example/openai/deployments/d\"\n[profiles.az.query]\napi-version = \"2024-06-01\"\n",
        );
        let flags = Overrides {
            profile: Some("az".into()),
            ..Default::default()
        };
        let ep = resolve(&c, &flags, &EndpointPrefs::default()).unwrap();
        assert_eq!(
            ep.transport.chat_url(),
            "https://x.example/openai/deployments/d/chat/completions?api-version=2024-06-01"
        );
        assert_eq!(
            ep.transport.models_url(),
            "https://x.example/openai/deployments/d/models?api-version=2024-06-01"
        );
    }

    #[test]
    fn one_price_stands_for_both() {
        let c = cfg(
            "[profiles.p]\nbase_url = \"http://127.0.0.1:1/v1\"\nprice_input_per_million = 2.0\n",
        );
        let flags = Overrides {
            profile: Some("p".into()),
            ..Default::default()
        };
        let ep = resolve(&c, &flags, &EndpointPrefs::default()).unwrap();
        let prices = ep.prices.unwrap();
        assert_eq!(
            (prices.input_per_million, prices.output_per_million),
            (2.0, 2.0)
        );
        let u = crate::chat::Usage {
            prompt_tokens: 500_000,
            completion_tokens: 500_000,
            total_tokens: 1_000_000,
        };
        assert_eq!(prices.cost(&u), 2.0);
    }

    #[test]
    fn listing_shows_config_profiles_then_unshadowed_presets() {
        let c = cfg(
            "[profiles.openai]\nmodel = \"gpt-4o\"\n[profiles.mine]\nbase_url = \"http://127.0.0.1:1/v1\"\n",
        );
        let list = list_profiles(&c);
        let names: Vec<(&str, &str)> = list.iter().map(|p| (p.name.as_str(), p.from)).collect();
        assert_eq!(&names[..2], &[("mine", "config"), ("openai", "config")]);
        assert_eq!(list.iter().filter(|p| p.name == "openai").count(), 1);
        let openai = list.iter().find(|p| p.name == "openai").unwrap();
        assert_eq!(
            openai.base_url.as_deref(),
            Some("https://api.openai.com/v1")
        );
        assert_eq!(openai.model.as_deref(), Some("gpt-4o"));
    }
}
