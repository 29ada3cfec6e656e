//! Base URLs: checking them, the origin a key is bound to, and whether a host is this machine.

use crate::error::{Error, Result};

/// A base URL without its trailing slash, checked to be http(s) and free of credentials.
pub fn normalize_base_url(raw: &str) -> Result<String> {
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

/// Whether a URL's host is this machine, where plain http:// exposes nothing: a literal
/// loopback address or `localhost`. Not `*.localhost`: whether such a name resolves to this
/// machine depends on the resolver, and a key must not ride on that guess.
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
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = [
            ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"),
            (" https://api.openai.com/v1 ", "https://api.openai.com/v1"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalize_base_url(raw).unwrap(), want);
        }
        let bad = [
            ("localhost:8080", "must start with http"),
            ("ftp://x/v1", "must start with http"),
            ("not a url", "is not a valid URL"),
            ("https://user:pw@x/v1", "must not carry credentials"),
        ];
        for (raw, want) in bad {
            let e = normalize_base_url(raw).unwrap_err().to_string();
            assert!(e.contains(want), "{raw}: {e}");
        }
    }

    #[test]
    fn origins_carry_the_default_port() {
        let cases = [
            ("https://api.openai.com/v1", "https://api.openai.com:443"),
            ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080"),
            ("http://example.com", "http://example.com:80"),
        ];
        for (url, want) in cases {
            assert_eq!(origin(url), want);
        }
    }

    #[test]
    fn loopback_hosts() {
        let cases = [
            ("http://127.0.0.1:8080/v1", true),
            ("http://127.9.9.9/v1", true),
            ("http://[::1]:8080/v1", true),
            ("http://localhost:8080/v1", true),
            ("http://10.0.0.1/v1", false),
            ("https://api.openai.com/v1", false),
            ("http://localhost.evil.com/v1", false),
            ("http://api.localhost:8080/v1", false),
        ];
        for (url, want) in cases {
            assert_eq!(is_loopback(url), want, "{url}");
        }
    }
}
