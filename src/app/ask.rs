//! One section, streamed: `resistance`, `communication`, `metrics`, `run SECTION`.

use super::{Workspace, interruptible, overrides, print_notice, runtime};
use crate::cli::{Ask, Global};
use crate::endpoint::{self, Config};
use crate::error::{Result, exit};
use crate::llm::Client;
use crate::run::StoredSection;
use crate::term::out::{StdoutSink, write_stdout};
use crate::term::report;

pub fn section(g: &Global, id: &str, ask: Ask) -> Result<i32> {
    let ws = Workspace::open(g)?;
    let filled = ws.fill_one(id)?;
    let cfg = Config::load()?;
    let endpoint = endpoint::resolve(
        &cfg,
        &overrides(g, &ask.tuning),
        &ws.loaded.project.endpoint,
    )?;
    let stream = endpoint.stream && !ask.no_stream;
    let notify = print_notice(g.verbose);
    let mut sink = StdoutSink::new(stream);
    let answer = runtime()?.block_on(interruptible(async {
        // Ctrl-C at any point, connecting included, ends cleanly: nothing written, exit 130.
        let client = Client::connect(endpoint.clone(), &notify).await?;
        client
            .chat(&filled.messages, stream, &mut sink, &notify)
            .await
    }))?;
    if stream {
        sink.end_line()?;
    } else {
        write_stdout(crate::text::with_newline(&answer.text).as_bytes())?;
    }
    // Keep it in the run store first, so `draft` can reuse it without paying twice, and a
    // failed -o write below loses nothing.
    let stored = StoredSection::from_answer(&filled, &endpoint, &answer);
    if let Err(e) = ws.store().and_then(|s| s.save(&stored)) {
        eprintln!("warning: could not store the answer for `draft` to reuse: {e}");
    }
    if let Some(path) = &ask.output {
        crate::fs::write_atomic(path, crate::text::with_newline(&answer.text).as_bytes())?;
    }
    eprintln!("{}", report::answer_summary(&answer));
    if answer.finish_reason.is_cut_off() {
        eprintln!("{}", report::cut_off_warning(&[]));
    }
    Ok(exit::OK)
}
