//! API keys: the environment variable, the OS keyring (service `plan-ai`, account = profile),
//! and the rules for when a key may be sent.
//!
//! A key is held in [`Secret`], whose Debug never shows it and which has no Display, so it
//! cannot slip into a message or log by accident.

use super::Endpoint;
use super::url::{is_loopback, origin};
use crate::error::{Error, Result};
use keyring_core::Error as KeyringError;

pub const ENV_KEY: &str = "PLAN_AI_API_KEY";
const SERVICE: &str = "plan-ai";

pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// Accepts a key as typed or piped: surrounding whitespace and a trailing newline are dropped.
    pub fn parse(raw: String) -> Result<Secret> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(Error::Usage(
                "no key given (standard input was empty)".into(),
            ));
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            // Never echo any part of it: it may be a real key pasted with a stray newline.
            return Err(Error::Usage(
                "the key contains spaces, line breaks or control characters; give the key alone"
                    .into(),
            ));
        }
        Ok(Secret(key.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Removes the key from text that came from elsewhere (a server may echo headers back).
    pub fn scrub(&self, text: &str) -> String {
        crate::sanitize::scrub(text, &self.0)
    }
}

/// Which keyring store answered, for messages.
enum Store {
    Native,
    #[cfg(target_os = "linux")]
    KernelKeyring,
}

impl Store {
    fn label(&self) -> &'static str {
        match self {
            #[cfg(target_os = "linux")]
            Store::Native => "the Secret Service keyring",
            #[cfg(not(target_os = "linux"))]
            Store::Native => "the OS keyring",
            #[cfg(target_os = "linux")]
            Store::KernelKeyring => {
                "the kernel keyring (keyutils; kept until reboot, or a few days unused)"
            }
        }
    }

    fn entry(&self, profile: &str) -> std::result::Result<keyring_core::Entry, KeyringError> {
        match self {
            Store::Native => keyring::Entry::new(SERVICE, profile).map(|e| e.inner),
            #[cfg(target_os = "linux")]
            Store::KernelKeyring => {
                let store = linux_keyutils_keyring_store::Store::new()?;
                keyring_core::Entry::new_in_store(&(store as _), SERVICE, profile)
            }
        }
    }
}

/// Stores to try, in order. `PLAN_AI_KEYRING=secret-service|keyutils|none` pins one (for
/// machines where one of them misbehaves, and for tests).
fn stores() -> Vec<Store> {
    let pinned = std::env::var("PLAN_AI_KEYRING").unwrap_or_default();
    match pinned.as_str() {
        "none" => vec![],
        "secret-service" | "native" => vec![Store::Native],
        #[cfg(target_os = "linux")]
        "keyutils" => vec![Store::KernelKeyring],
        #[cfg(target_os = "linux")]
        _ => vec![Store::Native, Store::KernelKeyring],
        #[cfg(not(target_os = "linux"))]
        _ => vec![Store::Native],
    }
}

/// Keyring errors reach users; they never contain the secret (keyring_core reports the
/// specifiers, not the value), but they can be long, so keep the first line.
fn short(e: &KeyringError) -> String {
    let s = match e {
        KeyringError::NoStorageAccess(inner) | KeyringError::PlatformFailure(inner) => {
            inner.to_string()
        }
        other => other.to_string(),
    };
    s.lines().next().unwrap_or_default().to_string()
}

fn unavailable(failures: &[String]) -> String {
    format!(
        "no OS keyring is available here ({}).\nSet the key in the environment instead: export {ENV_KEY}=...",
        if failures.is_empty() {
            "disabled by PLAN_AI_KEYRING=none".to_string()
        } else {
            failures.join("; ")
        }
    )
}

enum Found {
    Key(Secret, &'static str),
    NoEntry,
    Unavailable(Vec<String>),
}

fn find(profile: &str) -> Found {
    let mut failures = Vec::new();
    let mut reachable = false;
    for store in stores() {
        match store.entry(profile).and_then(|e| e.get_password()) {
            Ok(k) => match Secret::parse(k) {
                Ok(s) => return Found::Key(s, store.label()),
                Err(_) => failures.push(format!("{}: the stored key is malformed", store.label())),
            },
            Err(KeyringError::NoEntry) => reachable = true,
            Err(e) => failures.push(format!("{}: {}", store.label(), short(&e))),
        }
    }
    if reachable {
        Found::NoEntry
    } else {
        Found::Unavailable(failures)
    }
}

pub fn set(profile: &str, secret: Secret) -> Result<&'static str> {
    let mut failures = Vec::new();
    for store in stores() {
        let attempt = store.entry(profile).and_then(|e| {
            e.set_password(secret.expose())?;
            // Read back: a locked or fake store can accept a write and keep nothing.
            e.get_password()
        });
        match attempt {
            Ok(back) if back == secret.expose() => return Ok(store.label()),
            Ok(_) => failures.push(format!("{}: the key did not read back", store.label())),
            Err(e) => failures.push(format!("{}: {}", store.label(), short(&e))),
        }
    }
    Err(Error::Config(unavailable(&failures)))
}

pub fn delete(profile: &str) -> Result<bool> {
    let mut failures = Vec::new();
    let mut deleted = false;
    let mut reachable = false;
    for store in stores() {
        match store.entry(profile).and_then(|e| e.delete_credential()) {
            Ok(()) => deleted = true,
            Err(KeyringError::NoEntry) => reachable = true,
            Err(e) => failures.push(format!("{}: {}", store.label(), short(&e))),
        }
    }
    if deleted || reachable {
        Ok(deleted)
    } else {
        Err(Error::Config(unavailable(&failures)))
    }
}

/// Where the key for a profile would come from. Never the key itself.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyStatus {
    /// `PLAN_AI_API_KEY` is set and wins; a key may also be stored (in this store).
    Environment { also_stored: Option<&'static str> },
    /// Stored in this keyring.
    Stored(&'static str),
    /// None stored and the environment variable is not set.
    NoKey,
    /// No keyring could be reached (why).
    Unavailable(String),
}

/// Where the key for `profile` would come from.
pub fn status(profile: &str) -> KeyStatus {
    let env_set = std::env::var(ENV_KEY).is_ok_and(|v| !v.trim().is_empty());
    match (env_set, find(profile)) {
        (true, Found::Key(_, store)) => KeyStatus::Environment {
            also_stored: Some(store),
        },
        (true, _) => KeyStatus::Environment { also_stored: None },
        (false, Found::Key(_, store)) => KeyStatus::Stored(store),
        (false, Found::NoEntry) => KeyStatus::NoKey,
        (false, Found::Unavailable(f)) => KeyStatus::Unavailable(unavailable(&f)),
    }
}

/// The key to send to `ep`, if any, applying the rules: the environment wins; a stored key goes
/// only to its profile's own origin; never over plain http to another machine unless allowed.
/// `note` hears about a stored key that is withheld.
pub fn for_endpoint(ep: &Endpoint, note: &dyn Fn(&str)) -> Result<Option<Secret>> {
    let base_url = &ep.transport.base_url;
    let policy = &ep.key;
    let mut from_env = std::env::var(ENV_KEY).ok().filter(|v| !v.trim().is_empty());
    // The environment key is bound to no profile: it goes only where the user pointed plan-ai
    // (flag, environment, their own config), never where a shared project file points it.
    if from_env.is_some() && !policy.env_key_allowed {
        from_env = None;
        note(&format!(
            "not sending {ENV_KEY} to profile `{}`, which the project file chose; pass --profile {} (or set PLAN_AI_PROFILE) to confirm",
            ep.profile,
            crate::text::shell_word(&ep.profile)
        ));
    }
    let secret = match from_env {
        Some(v) => Some(Secret::parse(v).map_err(|e| Error::Config(format!("{ENV_KEY}: {e}")))?),
        None => match find(&ep.profile) {
            Found::Key(secret, _) => {
                if origin(base_url) != policy.profile_origin {
                    note(&format!(
                        "not sending profile `{}`'s stored key to {} (it belongs to {}); configure a profile for that server",
                        ep.profile,
                        origin(base_url),
                        policy.profile_origin
                    ));
                    None
                } else {
                    Some(secret)
                }
            }
            Found::NoEntry => None,
            Found::Unavailable(f) if policy.required => {
                return Err(Error::Config(unavailable(&f)));
            }
            Found::Unavailable(_) => None,
        },
    };
    if secret.is_some()
        && base_url.starts_with("http://")
        && !is_loopback(base_url)
        && !policy.allow_insecure_http
    {
        return Err(Error::Config(format!(
            "refusing to send an API key over plain http:// to {} (anyone on the network could read it).\nUse https://, or set allow_insecure_http = true in profile `{}` if this network is trusted.",
            origin(base_url),
            ep.profile
        )));
    }
    if secret.is_none() && policy.required {
        return Err(Error::KeyNeeded {
            profile: ep.profile.clone(),
            chosen_by_project: !policy.env_key_allowed,
            env_var: ENV_KEY,
        });
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_trimmed_and_checked_without_echoing_them() {
        assert_eq!(
            Secret::parse(" sk-abc\n".into()).unwrap().expose(),
            "sk-abc"
        );
        for bad in ["", "  \n", "sk abc", "sk\u{7}abc"] {
            let e = Secret::parse(bad.into()).unwrap_err().to_string();
            assert!(!e.contains("abc"), "{e}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = Secret::parse("sk-very-secret".into()).unwrap();
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn scrubbing_replaces_every_copy() {
        let s = Secret::parse("sk-12345".into()).unwrap();
        assert_eq!(
            s.scrub("a sk-12345 b sk-12345"),
            "a [redacted] b [redacted]"
        );
        // Too short to scrub meaningfully: scrubbing "abc" would mangle ordinary text.
        let short = Secret::parse("abc".into()).unwrap();
        assert_eq!(short.scrub("abc"), "abc");
    }
}
