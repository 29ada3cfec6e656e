//! Shared helpers for the integration tests.
//!
//! Every test binary compiles this module on its own and uses only part of it,
//! so unused items must not warn.

#[allow(dead_code)]
pub mod cli;
#[allow(dead_code)]
pub mod fake_server;
#[allow(unused_imports)]
pub use cli::*;
#[allow(unused_imports)]
pub use fake_server::*;
