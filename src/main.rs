//! plan-ai: plan the human side of an IT rollout. See README.md.

mod app;
mod cli;
mod client;
mod config;
mod error;
mod keys;
mod plan;
mod project;
mod store;
mod templates;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            if !matches!(e, error::Error::Interrupted) {
                eprintln!("error: {e}");
            } else {
                eprintln!("interrupted");
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
