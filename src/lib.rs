//! plan-ai: plan the human side of an IT rollout. See README.md.
//!
//! Layers, each depending only on those before it in this list (`tests/architecture.rs`):
//! `text`, `sanitize`, `chat` (shared vocabulary) → `error` → `fs` → `i18n` (the plan's
//! language: catalogs, dates, lists) → `project` (the data file)
//! → `sections` (structured answers: schemas, checks, typed data) → `prompts` (templates,
//! filled) → `endpoint` (where requests go) → `llm` (the client) → `run` (the store, one
//! section's request, the concurrent batch) → `plan` (the plan as data, and its renderers) →
//! `term` (the terminal) → `app` (commands; the only layer that sees `cli`).

pub mod app;
pub mod chat;
pub mod cli;
pub mod endpoint;
pub mod error;
pub mod fs;
pub mod i18n;
pub mod llm;
pub mod plan;
pub mod project;
pub mod prompts;
pub mod run;
pub mod sanitize;
pub mod sections;
pub mod term;
pub mod text;
