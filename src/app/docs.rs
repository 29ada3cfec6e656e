//! Shell completions and the man page, generated from the clap definitions.

use crate::cli::Cli;
use crate::error::{Error, Result, exit};
use crate::term::out::write_stdout;
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "plan-ai", &mut out);
    write_stdout(&out)?;
    Ok(exit::OK)
}

pub fn man() -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::io("cannot render the man page", e))?;
    write_stdout(&out)?;
    Ok(exit::OK)
}
