//! Shell completions and the man page, generated from the clap definitions.

use super::Ctx;
use crate::cli::Cli;
use crate::error::{Error, Result, exit};
use clap::CommandFactory;

pub fn completions(cx: &Ctx, shell: clap_complete::Shell) -> Result<i32> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "plan-ai", &mut out);
    cx.ui.result_bytes(&out)?;
    Ok(exit::OK)
}

pub fn man(cx: &Ctx) -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::io("cannot render the man page", e))?;
    cx.ui.result_bytes(&out)?;
    Ok(exit::OK)
}
