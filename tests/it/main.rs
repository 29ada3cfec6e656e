//! The integration tests, in one binary (one link instead of one per file, as ripgrep and just
//! do). Each module drives the built `plan-ai` binary; `support` holds what they share.

mod support;

mod architecture;
mod chromium;
mod draft_batch;
mod draft_interrupt;
mod draft_offline;
mod draft_output;
mod draft_reuse;
mod edit;
mod endpoint;
mod exports;
mod fake_server_selftest;
mod hostile;
mod hostile_batch;
mod hostile_files;
mod keyring;
mod languages;
mod languages_render;
mod layouts;
mod libreoffice;
mod load;
mod offline;
mod one_at_a_time;
mod portfolio;
mod privacy;
mod rate_limits;
mod real_llm;
mod review;
mod revise;
mod structured;
mod terminal;
