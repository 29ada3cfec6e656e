//! Shared helpers for the integration tests.
//!
//! Every test binary compiles this module on its own and uses only part of it,
//! so unused items must not warn.
//!
//! - `asserts`: `assert_contains`, `assert_lacks`, the visible `skip`.
//! - `batch_api`: an OpenAI-style Batch API for the fake server (`use support::batch_api::*`).
//! - `cli`: the sandboxed `plan-ai` runner.
//! - `config`: user-config profiles pointing at a fake server.
//! - `dialects`: how servers answer requests for structured output (`use support::dialects::*`).
//! - `fake_server`: the in-process OpenAI-compatible server.
//! - `process`: waiting on and interrupting a background run.
//! - `store`: the run store's records and stray temp files.
//! - `draft`: the fake model and sandboxes of the `draft_*` tests (not re-exported here:
//!   `use support::draft::*`).

#[allow(dead_code)]
pub mod asserts;
#[allow(dead_code)]
pub mod batch_api;
#[allow(dead_code)]
pub mod cli;
#[allow(dead_code)]
pub mod config;
#[allow(dead_code)]
pub mod dialects;
#[allow(dead_code)]
pub mod draft;
#[allow(dead_code)]
pub mod fake_server;
#[allow(dead_code)]
pub mod process;
#[allow(dead_code)]
pub mod store;
#[allow(unused_imports)]
pub use asserts::*;
#[allow(unused_imports)]
pub use cli::*;
#[allow(unused_imports)]
pub use config::*;
#[allow(unused_imports)]
pub use fake_server::*;
#[allow(unused_imports)]
pub use process::*;
#[allow(unused_imports)]
pub use store::*;
