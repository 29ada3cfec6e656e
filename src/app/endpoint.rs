//! Endpoint commands: `profiles`, `profiles test`, `key set|status|delete`.

use super::{Ctx, hints, interruptible, runtime};
use crate::cli::{KeyAction, Tuning};
use crate::endpoint::{self, Config, keys};
use crate::error::{Error, Result, exit};
use crate::llm::probe::{self, ProbeReport};
use crate::project::EndpointPrefs;
use crate::text::snippet;
use std::fmt::Write as _;
use std::io::IsTerminal;

pub fn list(cx: &Ctx) -> Result<i32> {
    let cfg = Config::load()?;
    let active = endpoint::active_profile_name(&cfg, &cx.overrides(&Tuning::default()), None);
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
    for p in endpoint::list_profiles(&cfg) {
        let mark = if p.name == active { "* " } else { "  " };
        let _ = writeln!(
            out,
            "{mark}{:<14} {:<10} {:<36} {}",
            p.name,
            p.from,
            p.base_url.as_deref().unwrap_or("-"),
            p.model.as_deref().unwrap_or("(the server's only model)")
        );
    }
    cx.ui.result(&out)?;
    Ok(exit::OK)
}

/// Checks a profile as configured: the project file is not consulted.
pub fn test(cx: &Ctx, name: Option<String>) -> Result<i32> {
    let cfg = Config::load()?;
    let mut chosen = cx.overrides(&Tuning::default());
    if name.is_some() {
        chosen.profile = name;
    }
    let ep = endpoint::resolve(&cfg, &chosen, &EndpointPrefs::default())?;
    let notify = cx.notify(None);
    let report = runtime()?.block_on(interruptible(probe::probe(ep, &notify)))?;
    cx.ui.result(&describe_probe(&report))?;
    Ok(exit::OK)
}

fn describe_probe(r: &ProbeReport) -> String {
    let mut out = format!("profile {} · {}\n", r.profile, r.base_url);
    let _ = match &r.models {
        Ok((list, took)) => writeln!(
            out,
            "models:      {} listed in {} ms: {}",
            list.len(),
            took.as_millis(),
            snippet(&list.join(", "), 200)
        ),
        Err(e) => writeln!(out, "models:      not available ({e})"),
    };
    let _ = writeln!(
        out,
        "request:     one-token answer from {} in {} ms (usage {})",
        r.answered_by,
        r.latency.as_millis(),
        if r.usage_reported {
            "reported"
        } else {
            "not reported"
        }
    );
    let _ = match &r.streaming {
        Ok((first, usage)) => writeln!(
            out,
            "streaming:   yes, first token after {} ms; usage in stream: {}",
            first.as_millis(),
            if *usage { "yes" } else { "no" }
        ),
        Err(e) => writeln!(
            out,
            "streaming:   failed ({e}); set stream = false in the profile"
        ),
    };
    for a in &r.adaptations {
        let _ = writeln!(out, "adapted:     {a}");
    }
    out.push_str("result:      OK\n");
    out
}

pub fn key(cx: &Ctx, action: KeyAction) -> Result<i32> {
    let cfg = Config::load()?;
    // The key belongs to the profile the section commands would use, which a readable project
    // file may name; key commands still work with no project file at all.
    let prefs = crate::project::load(&cx.g.project)
        .ok()
        .map(|l| l.project.endpoint);
    let overrides = cx.overrides(&Tuning::default());
    let profile = endpoint::active_profile_name(&cfg, &overrides, prefs.as_ref());
    match action {
        KeyAction::Set => {
            let secret = read_secret(&profile)?;
            let backend = keys::set(&profile, secret)?;
            cx.ui.status(format_args!(
                "stored the key for profile `{profile}` in {backend}"
            ));
        }
        KeyAction::Status => {
            let status = keys::status(&profile);
            cx.ui
                .result(&(hints::key_status(&profile, &status) + "\n"))?;
        }
        KeyAction::Delete => {
            if keys::delete(&profile)? {
                cx.ui
                    .status(format_args!("deleted the key for profile `{profile}`"));
            } else {
                cx.ui
                    .status(format_args!("no key was stored for profile `{profile}`"));
            }
        }
    }
    Ok(exit::OK)
}

fn read_secret(profile: &str) -> Result<keys::Secret> {
    let raw = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for profile `{profile}` (input hidden): "))
            .map_err(|e| Error::io("cannot read the key", e))?
    } else {
        let bytes = crate::fs::read_limited_from(std::io::stdin(), 64 * 1024)
            .map_err(|e| Error::io("cannot read the key from standard input", e))?
            .ok_or_else(|| Error::Usage("standard input is far longer than any API key".into()))?;
        String::from_utf8(bytes)
            .map_err(|_| Error::Usage("the key on standard input is not text".into()))?
    };
    keys::Secret::parse(raw)
}
