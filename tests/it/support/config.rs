//! The user config (config/config.toml) the tests write: profiles pointing at a fake server.

use super::cli::Sandbox;
use super::fake_server::{FAKE_MODEL, FakeServer};

/// The example project the endpoint and draft tests run on.
pub const CRM_EXAMPLE: &str = "crm-manufacturer.toml";

/// A `[profiles."NAME"]` table: `base_url`, the fake server's model, this retry budget, then the
/// `extra` lines (each ending in a newline). It asks for prose (`prose = true`): the fake
/// model answers in prose, and these tests are about the client, the batch and the store;
/// tests/structured.rs asks for structure with profiles of its own.
pub fn profile_config(name: &str, base_url: &str, retries: u32, extra: &str) -> String {
    format!(
        "[profiles.\"{name}\"]\nbase_url = \"{base_url}\"\nmodel = \"{FAKE_MODEL}\"\nretries = {retries}\nprose = true\n{extra}"
    )
}

/// A config whose default profile, `fake`, talks to `server` (see [`profile_config`]).
pub fn fake_config(server: &FakeServer, retries: u32, extra: &str) -> String {
    format!(
        "default_profile = \"fake\"\n{}",
        profile_config("fake", &server.base_url(), retries, extra)
    )
}

/// The CRM example as `plan-ai.toml`, with [`fake_config`] as the user config.
pub fn fake_sandbox(server: &FakeServer, retries: u32, extra: &str) -> Sandbox {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.config(&fake_config(server, retries, extra));
    sb
}

/// The CRM example with a default profile, `s`, that asks `server` for structure (no `prose`),
/// retries 0, then the `extra` lines.
pub fn structured_sandbox(server: &FakeServer, extra: &str) -> Sandbox {
    let sb = Sandbox::new().with_example(CRM_EXAMPLE);
    sb.config(&format!(
        "default_profile = \"s\"\n[profiles.s]\nbase_url = \"{}\"\nmodel = \"{FAKE_MODEL}\"\nretries = 0\n{extra}",
        server.base_url()
    ));
    sb
}
