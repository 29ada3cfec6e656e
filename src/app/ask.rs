//! One section: `resistance`, `communication`, `metrics`, `run SECTION`. Prose streams to
//! stdout as it arrives; a structured section shows a progress line while its JSON arrives and
//! then its tables (or, with `--json`, the validated JSON).

use super::{Ctx, interruptible, runtime};
use crate::cli::Ask;
use crate::endpoint::{self, Config, Endpoint};
use crate::error::{Result, exit};
use crate::llm::{Client, Sink};
use crate::project::Project;
use crate::project::people::Register;
use crate::prompts::FilledPrompt;
use crate::run::section::{self, Generated, Job};
use crate::run::workspace::Workspace;
use crate::run::{Store, StoredSection};
use crate::sections::{Rung, Structure};
use crate::term::out::StdoutSink;
use crate::term::progress::Receiving;
use crate::term::report;

/// One request to make: the messages, the structure asked for, and whether to stream.
pub(super) struct One<'a> {
    pub filled: &'a FilledPrompt,
    pub structure: Option<&'a Structure>,
    pub project: &'a Project,
    pub privacy: crate::project::Privacy,
    pub stream: bool,
}

/// Connects and asks, on the structure ladder where this endpoint and model start (and
/// remembering where it ended). Ctrl-C at any point, connecting included, ends cleanly:
/// nothing written, exit 130.
pub(super) fn generate(
    cx: &Ctx,
    endpoint: &Endpoint,
    store: Option<&Store>,
    one: &One,
    sink: &mut dyn Sink,
) -> Result<Generated> {
    let notify = cx.notify(Some(&one.filled.section));
    runtime()?.block_on(interruptible(async {
        let client = Client::connect(endpoint.clone(), &notify).await?;
        let formats_key = format!("{} {}", endpoint.transport.base_url, client.model());
        let start = store
            .and_then(|s| s.remembered_rung(&formats_key))
            .unwrap_or(Rung::JsonSchema);
        let job = Job {
            filled: one.filled,
            structure: one.structure,
            project: one.project,
            privacy: one.privacy,
            stream: one.stream,
            start,
            max_tokens_explicit: endpoint.max_tokens_explicit,
        };
        let g = section::request(&client, &job, sink, &notify).await?;
        if let (Some(rung), Some(s)) = (g.rung, store)
            && let Err(e) = s.remember_rung(&formats_key, rung)
        {
            // Only a speed-up for later runs: the answer is kept all the same.
            cx.ui.warn(format_args!(
                "could not remember how this server takes structure: {e}"
            ));
        }
        Ok(g)
    }))
}

/// An answer's tables or prose as shown on this machine: where prompts carried pseudonyms,
/// with the names back (the stored answer keeps the codes).
pub(super) fn with_names(ws: &Workspace, text: &str) -> String {
    match ws.privacy.allows_people() {
        true => Register::of(&ws.loaded.project).reidentify(text),
        false => text.to_string(),
    }
}

pub fn section(cx: &Ctx, id: &str, ask: Ask) -> Result<i32> {
    let ws = cx.open()?;
    let filled = ws.fill_one(id)?;
    let cfg = Config::load()?;
    let endpoint = endpoint::resolve(
        &cfg,
        &cx.overrides(&ask.tuning),
        &ws.loaded.project.endpoint,
    )?;
    let planned = ws
        .planned(std::slice::from_ref(&filled), endpoint.prose)
        .remove(0);
    let structure = planned.structure.as_ref();
    let stream = endpoint.stream && !ask.no_stream;
    let store = cx.store(&ws);
    let mut prose_sink = StdoutSink::new(stream && structure.is_none());
    let mut json_sink = Receiving::new(cx.ui, &filled.section);
    let sink: &mut dyn Sink = if structure.is_some() {
        &mut json_sink
    } else {
        &mut prose_sink
    };
    let one = One {
        filled: &filled,
        structure,
        project: &ws.loaded.project,
        privacy: ws.privacy,
        stream,
    };
    let generated = generate(cx, &endpoint, store.as_ref().ok(), &one, sink)?;
    json_sink.done();
    let text = match (&generated.structured, ask.json) {
        (Some((value, _)), true) => serde_json::to_string_pretty(value).unwrap_or_default() + "\n",
        _ => with_names(&ws, &generated.text()),
    };
    if structure.is_none() && stream {
        prose_sink.end_line()?;
    } else {
        cx.ui.result(&crate::text::with_newline(&text))?;
    }
    // Keep it in the run store first, so `draft` can reuse it without paying twice, and a
    // failed -o write below loses nothing.
    let stored = StoredSection::from_generated(&filled, &endpoint, structure, &generated);
    if let Err(e) = store.and_then(|s| s.save(&stored)) {
        cx.ui.warn(format_args!(
            "could not store the answer for `draft` to reuse: {e}"
        ));
    }
    if let Some(path) = &ask.output {
        crate::fs::write_atomic(path, crate::text::with_newline(&text).as_bytes())?;
    }
    let answer = &generated.answer;
    cx.ui
        .status(report::answer_summary(answer, generated.requests));
    if answer.finish_reason.is_cut_off() {
        cx.ui.warn(report::cut_off_warning(&[]));
    }
    if let Some(why) = &generated.unstructured {
        cx.ui
            .warn(report::unstructured_warning(&filled.section, why));
    }
    if let Some((_, s)) = &generated.structured {
        for w in s.warnings(&ws.loaded.project) {
            cx.ui.warn(format_args!("{}: {w}", filled.section));
        }
    }
    Ok(exit::OK)
}
