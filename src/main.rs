//! plan-ai: plan the human side of an IT rollout. See README.md.

use clap::Parser;
use plan_ai::{app, cli};

fn main() {
    std::process::exit(app::main(cli::Cli::parse()));
}
