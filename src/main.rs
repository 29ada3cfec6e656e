//! plan-ai: plan the human side of an IT rollout. See README.md.

use clap::Parser;
use plan_ai::{app, cli, error::Error};

fn main() {
    let cli = cli::Cli::parse();
    let code = match app::run(cli) {
        Ok(code) => code,
        Err(Error::Interrupted) => {
            eprintln!("interrupted");
            Error::Interrupted.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
