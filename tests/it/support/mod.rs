//! Shared helpers for the integration tests.
//!
//! - `asserts`: `assert_contains`, `assert_lacks`, the visible `skip`.
//! - `batch_api`: an OpenAI-style Batch API for the fake server (`use support::batch_api::*`).
//! - `cli`: the sandboxed `plan-ai` runner.
//! - `config`: user-config profiles pointing at a fake server.
//! - `dialects`: how servers answer requests for structured output (`use support::dialects::*`).
//! - `fake_server`: the in-process OpenAI-compatible server.
//! - `pages`: realistic answers, printing to PDF, and the split-word check
//!   (`use support::pages::*`).
//! - `process`: waiting on and interrupting a background run.
//! - `store`: the run store's records and stray temp files.
//! - `draft`: the fake model and sandboxes of the `draft_*` tests (not re-exported here:
//!   `use support::draft::*`).

pub mod asserts;
pub mod batch_api;
pub mod cli;
pub mod config;
pub mod dialects;
pub mod draft;
pub mod fake_server;
pub mod pages;
pub mod process;
pub mod store;
pub use asserts::*;
pub use cli::*;
pub use config::*;
pub use fake_server::*;
pub use process::*;
pub use store::*;
