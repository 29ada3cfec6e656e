//! The batch run (every section at once, stored as each finishes) and the assembly of the
//! implementation-plan draft from stored answers and local project data.

use crate::app::Workspace;
use crate::client::{Client, Sink, Usage};
use crate::config::Endpoint;
use crate::error::{Error, Result};
use crate::store::{Store, StoredSection};
use crate::templates::{self, FilledPrompt};
use serde::Serialize;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A sane cap on requests in flight: local servers queue them anyway, hosted ones rate-limit.
pub const MAX_JOBS: usize = 8;

pub struct Batch<'a> {
    pub filled: &'a [FilledPrompt],
    pub store: &'a Store,
    pub endpoint: Endpoint,
    pub jobs: usize,
    pub fresh: bool,
    pub regenerate: &'a [String],
    pub verbose: bool,
}

pub struct Outcome {
    pub generated: Vec<StoredSection>,
    pub reused: Vec<StoredSection>,
    pub failed: Vec<(String, String)>,
    pub interrupted: bool,
    pub prices: Option<(f64, f64)>,
    /// Section ids in the catalog's order, for the report.
    pub order: Vec<String>,
}

impl Outcome {
    pub fn done(&self) -> usize {
        self.generated.len() + self.reused.len()
    }

    /// Tokens per section and in total, and the cost when the profile has prices.
    pub fn report(&self) {
        let mut rows: Vec<(&StoredSection, &str)> = self
            .generated
            .iter()
            .map(|s| (s, "new"))
            .chain(self.reused.iter().map(|s| (s, "reused")))
            .collect();
        if rows.is_empty() {
            return;
        }
        rows.sort_by_key(|(s, _)| self.order.iter().position(|id| *id == s.section));
        let cut: Vec<&str> = self
            .generated
            .iter()
            .filter(|s| s.finish_reason.as_deref() == Some("length"))
            .map(|s| s.section.as_str())
            .collect();
        if !cut.is_empty() {
            eprintln!(
                "warning: {} stopped at the token limit (finish_reason \"length\"); raise max_tokens (--max-tokens, [endpoint] max_tokens in the project, or the profile) and use --regenerate",
                cut.join(", ")
            );
        }
        let mut total = Usage::default();
        let mut new_tokens = Usage::default();
        eprintln!(
            "{:<16} {:>8} {:>8} {:>8}",
            "section", "prompt", "answer", "total"
        );
        for (s, how) in &rows {
            match &s.usage {
                Some(u) => {
                    eprintln!(
                        "{:<16} {:>8} {:>8} {:>8}  {how}",
                        s.section, u.prompt_tokens, u.completion_tokens, u.total_tokens
                    );
                    add(&mut total, u);
                    if *how == "new" {
                        add(&mut new_tokens, u);
                    }
                }
                None => eprintln!(
                    "{:<16} {:>8} {:>8} {:>8}  {how}, usage not reported",
                    s.section, "-", "-", "-"
                ),
            }
        }
        let unreported = rows.iter().filter(|(s, _)| s.usage.is_none()).count();
        if unreported == rows.len() {
            eprintln!(
                "total: the server reported no token usage (llama.cpp servers omit it in streams)"
            );
            return;
        }
        eprintln!(
            "{:<16} {:>8} {:>8} {:>8}{}",
            "total",
            total.prompt_tokens,
            total.completion_tokens,
            total.total_tokens,
            if unreported > 0 {
                format!("  ({unreported} section(s) without usage not counted)")
            } else {
                String::new()
            }
        );
        if let Some((pin, pout)) = self.prices {
            let cost = |u: &Usage| {
                (u.prompt_tokens as f64 * pin + u.completion_tokens as f64 * pout) / 1_000_000.0
            };
            eprintln!(
                "cost: {:.4} for this run (new answers), {:.4} for the whole draft",
                cost(&new_tokens),
                cost(&total)
            );
        }
    }
}

fn add(total: &mut Usage, u: &Usage) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
}

/// Status lines on stderr: live bars on a terminal, plain lines otherwise.
struct Progress {
    bars: Option<(indicatif::MultiProgress, Vec<indicatif::ProgressBar>)>,
    ids: Vec<String>,
}

impl Progress {
    fn new(ids: &[String]) -> Progress {
        let bars = std::io::stderr().is_terminal().then(|| {
            let multi = indicatif::MultiProgress::new();
            let style =
                indicatif::ProgressStyle::with_template("{prefix:<16} {spinner} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
            let bars = ids
                .iter()
                .map(|id| {
                    let bar = multi.add(indicatif::ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(id.clone());
                    bar.set_message("waiting");
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                })
                .collect();
            (multi, bars)
        });
        Progress {
            bars,
            ids: ids.to_vec(),
        }
    }

    fn bar(&self, id: &str) -> Option<&indicatif::ProgressBar> {
        let i = self.ids.iter().position(|x| x == id)?;
        self.bars.as_ref().map(|(_, b)| &b[i])
    }

    fn update(&self, id: &str, msg: &str) {
        if let Some(bar) = self.bar(id) {
            bar.set_message(msg.to_string());
        }
    }

    /// A final state: kept on screen on a terminal, one plain line otherwise.
    fn finish(&self, id: &str, msg: &str) {
        match self.bar(id) {
            Some(bar) => bar.finish_with_message(msg.to_string()),
            None => eprintln!("{id}: {msg}"),
        }
    }

    fn note(&self, id: &str, msg: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(format!("{id}: {msg}"));
            }
            None => eprintln!("{id}: {msg}"),
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts streamed chunks (about one token each) for the progress line.
struct CountingSink {
    chunks: Arc<AtomicU64>,
}

impl Sink for CountingSink {
    fn text(&mut self, _: &str) {
        self.chunks.fetch_add(1, Ordering::Relaxed);
    }
    fn restart(&mut self) -> bool {
        self.chunks.store(0, Ordering::Relaxed);
        true
    }
}

pub async fn generate(batch: Batch<'_>) -> Result<Outcome> {
    let mut outcome = Outcome {
        generated: Vec::new(),
        reused: Vec::new(),
        failed: Vec::new(),
        interrupted: false,
        prices: batch.endpoint.prices,
        order: batch.filled.iter().map(|f| f.section.clone()).collect(),
    };
    let mut todo: Vec<FilledPrompt> = Vec::new();
    for f in batch.filled {
        let forced = batch.fresh || batch.regenerate.contains(&f.section);
        match batch.store.load(&f.section) {
            Some(s) if !forced && s.is_current(f, Some(&batch.endpoint)) => outcome.reused.push(s),
            _ => todo.push(f.clone()),
        }
    }
    let ids: Vec<String> = batch.filled.iter().map(|f| f.section.clone()).collect();
    let progress = Arc::new(Progress::new(&ids));
    for s in &outcome.reused {
        progress.finish(
            &s.section,
            "reused the stored answer (prompt and settings unchanged)",
        );
    }
    if todo.is_empty() {
        return Ok(outcome);
    }
    // One Ctrl-C listener for the whole run, so connecting is interruptible too and no signal
    // falls between two listeners.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let connected = tokio::select! {
        c = Client::connect(batch.endpoint.clone(), batch.verbose) => c,
        _ = &mut ctrl_c => {
            outcome.interrupted = true;
            return Ok(outcome);
        }
    };
    let client = match connected {
        Ok(c) => Arc::new(c),
        Err(e) => {
            for f in &todo {
                progress.finish(&f.section, "not started");
            }
            return Err(e);
        }
    };
    let limit = Arc::new(tokio::sync::Semaphore::new(batch.jobs));
    let stream = batch.endpoint.stream;
    let mut tasks = tokio::task::JoinSet::new();
    for f in todo {
        let (client, limit, progress) = (client.clone(), limit.clone(), progress.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let id = f.section.clone();
            let chunks = Arc::new(AtomicU64::new(0));
            // The ticker redraws this section's line; it ends with the task, even an aborted one.
            let _ticker = progress.bars.is_some().then(|| {
                let (chunks, progress, id) = (chunks.clone(), progress.clone(), id.clone());
                let started = Instant::now();
                AbortOnDrop(tokio::spawn(async move {
                    loop {
                        let n = chunks.load(Ordering::Relaxed);
                        let state = if n == 0 {
                            "requesting".to_string()
                        } else {
                            format!("streaming · {n} tokens")
                        };
                        progress.update(
                            &id,
                            &format!("{state} · {:.0} s", started.elapsed().as_secs_f64()),
                        );
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }))
            });
            let mut sink = CountingSink { chunks };
            let note = |n: &str| progress.note(&id, n);
            let result = client.chat(&f.messages, stream, &mut sink, &note).await;
            (f, result)
        });
    }
    let collect = async {
        while let Some(joined) = tasks.join_next().await {
            let Ok((f, result)) = joined else { continue };
            match result {
                Ok(answer) => {
                    let stored = StoredSection::from_answer(&f, &batch.endpoint, &answer);
                    // Persist first: whatever happens next, this answer is kept.
                    match batch.store.save(&stored) {
                        Ok(_) => {
                            let tokens = answer
                                .usage
                                .as_ref()
                                .map(|u| format!(" · {} tokens", u.completion_tokens))
                                .unwrap_or_default();
                            let cut = if answer.finish_reason == "length" {
                                " · CUT OFF at max_tokens"
                            } else {
                                ""
                            };
                            progress.finish(
                                &f.section,
                                &format!(
                                    "done in {:.1} s{tokens}{cut}",
                                    answer.elapsed.as_secs_f64()
                                ),
                            );
                            outcome.generated.push(stored);
                        }
                        Err(e) => {
                            progress.finish(&f.section, &format!("failed: {e}"));
                            outcome.failed.push((f.section.clone(), e.to_string()));
                        }
                    }
                }
                Err(e) => {
                    let first_line = e.to_string().lines().next().unwrap_or_default().to_string();
                    progress.finish(&f.section, &format!("failed: {first_line}"));
                    outcome.failed.push((f.section.clone(), e.to_string()));
                }
            }
        }
    };
    tokio::select! {
        _ = collect => {}
        _ = &mut ctrl_c => {
            outcome.interrupted = true;
        }
    }
    tasks.abort_all();
    // Finished lines stay on screen; lines of sections cut short by Ctrl-C say so.
    if let Some((_, bars)) = &progress.bars {
        for bar in bars.iter().filter(|b| !b.is_finished()) {
            bar.abandon_with_message("stopped (not stored)");
        }
    }
    for (id, e) in &outcome.failed {
        eprintln!("{id} failed: {e}");
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
// Assembly

pub struct Assembled {
    pub markdown: String,
    pub missing: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Serialize)]
struct SectionView {
    id: String,
    title: String,
    present: bool,
    answer: String,
    source: String,
    model: Option<String>,
    created_at: Option<String>,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    prompt: String,
    settings: String,
    stale: bool,
}

#[derive(Serialize, Default)]
struct Grid {
    manage_closely: Vec<String>,
    keep_satisfied: Vec<String>,
    keep_informed: Vec<String>,
    monitor: Vec<String>,
}

/// Builds the draft from the project (local data, people included: the draft stays on this
/// machine) and the stored answers. Never makes a request.
pub fn assemble(ws: &Workspace, store: &Store, filled: &[FilledPrompt]) -> Result<Assembled> {
    let mut notes = Vec::new();
    let mut missing = Vec::new();
    let mut views = Vec::new();
    for f in filled {
        let stored = store.load(&f.section);
        let stale = stored.as_ref().is_some_and(|s| !s.is_current(f, None));
        if stale {
            notes.push(format!(
                "the stored answer for `{}` was made from a different prompt (the project file or template changed); run `plan-ai draft` to refresh it",
                f.section
            ));
        }
        if stored.is_none() {
            missing.push(f.section.clone());
        }
        // Built-in answers sit under a `##` section heading, custom ones under `### 9.n`.
        let built_in = templates::BUILT_IN.iter().any(|(id, _)| *id == f.section);
        let level = if built_in { 3 } else { 4 };
        views.push(section_view(f, stored.as_ref(), stale, level));
    }
    let p = &ws.loaded.project;
    let mut grid = Grid::default();
    for s in &p.stakeholders {
        let power = s.influence == "high";
        let interest = s.interest == "high";
        let label = format!("{} ({})", s.name, s.title);
        match (power, interest) {
            (true, true) => grid.manage_closely.push(label),
            (true, false) => grid.keep_satisfied.push(label),
            (false, true) => grid.keep_informed.push(label),
            (false, false) => grid.monitor.push(label),
        }
    }
    let mut models: Vec<String> = views
        .iter()
        .filter(|v| v.present)
        .filter_map(|v| v.model.clone())
        .collect();
    models.sort();
    models.dedup();
    let mut endpoints: Vec<String> = filled
        .iter()
        .filter_map(|f| store.load(&f.section))
        .filter_map(|s| s.request.base_url.map(|u| crate::config::origin(&u)))
        .collect();
    endpoints.sort();
    endpoints.dedup();
    let pasted = views
        .iter()
        .filter(|v| v.present && v.source == "pasted")
        .count();
    let mut total = Usage::default();
    for v in &views {
        if let Some(u) = &v.usage {
            add(&mut total, u);
        }
    }
    let (builtin, custom): (Vec<SectionView>, Vec<SectionView>) = views
        .into_iter()
        .partition(|v| templates::BUILT_IN.iter().any(|(id, _)| *id == v.id));
    let by_id = |id: &str| builtin.iter().find(|v| v.id == id);
    let mut ctx = crate::project::template_context(p, true);
    let extra = serde_json::json!({
        "today": templates::format_long_date(&crate::store::today_iso()),
        "grid": grid,
        "resistance": by_id("resistance"),
        "communication": by_id("communication"),
        "metrics": by_id("metrics"),
        "custom": custom,
        "all_sections": builtin.iter().chain(custom.iter()).collect::<Vec<_>>(),
        "models": models,
        "endpoints": endpoints,
        "pasted": pasted,
        "total_usage": total,
        "missing": missing,
    });
    if let (Some(obj), Some(more)) = (ctx.as_object_mut(), extra.as_object()) {
        obj.extend(more.clone());
    }
    let mut env = templates::environment();
    env.add_filter("cell", |s: String| {
        s.replace('|', "\\|").replace(['\n', '\r'], " ")
    });
    let source = &ws.catalog.draft;
    let err = |e: minijinja::Error| Error::Data(format!("draft template ({}): {e:#}", source.1));
    env.add_template_owned("draft", source.0.clone())
        .map_err(err)?;
    let markdown = env
        .get_template("draft")
        .map_err(err)?
        .render(minijinja::value::Serde(&ctx))
        .map_err(err)?;
    let mut markdown = collapse_blank_lines(&markdown);
    markdown.push('\n');
    Ok(Assembled {
        markdown,
        missing,
        notes,
    })
}

fn section_view(
    f: &FilledPrompt,
    s: Option<&StoredSection>,
    stale: bool,
    heading_level: usize,
) -> SectionView {
    let settings = s
        .map(|s| {
            let r = &s.request;
            let mut parts = Vec::new();
            if let Some(u) = &r.base_url {
                parts.push(format!("endpoint {}", crate::config::origin(u)));
            }
            if let Some(p) = &r.profile {
                parts.push(format!("profile {p}"));
            }
            if let Some(t) = r.temperature {
                parts.push(format!("temperature {t}"));
            }
            if let Some(m) = r.max_tokens {
                parts.push(format!("max_tokens {m}"));
            }
            if parts.is_empty() {
                "pasted from a chat tool".to_string()
            } else {
                parts.join(", ")
            }
        })
        .unwrap_or_default();
    SectionView {
        id: f.section.clone(),
        title: f.title.clone(),
        present: s.is_some(),
        answer: s
            .map(|s| nest_headings(&s.answer, heading_level))
            .unwrap_or_default(),
        source: s.map(|s| s.source.clone()).unwrap_or_default(),
        model: s.and_then(|s| s.model.clone()),
        created_at: s.map(|s| s.created_at.clone()),
        usage: s.and_then(|s| s.usage.clone()),
        finish_reason: s.and_then(|s| s.finish_reason.clone()),
        prompt: f.paste_text(),
        settings,
        stale,
    }
}

/// Shifts ATX headings so the answer's top level becomes `level`, keeping their relative
/// depth and leaving code blocks alone.
pub fn nest_headings(md: &str, level: usize) -> String {
    let heading_level = |line: &str| -> Option<usize> {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        (1..=6)
            .contains(&hashes)
            .then_some(hashes)
            .filter(|_| line[hashes..].starts_with(' ') || line.len() == hashes)
    };
    let mut in_code = false;
    let mut top = usize::MAX;
    for line in md.lines() {
        if is_fence(line) {
            in_code = !in_code;
        } else if !in_code && let Some(l) = heading_level(line) {
            top = top.min(l);
        }
    }
    if top == usize::MAX {
        return md.to_string();
    }
    let mut out = String::with_capacity(md.len() + 64);
    in_code = false;
    for line in md.lines() {
        if is_fence(line) {
            in_code = !in_code;
        }
        match (!in_code).then(|| heading_level(line)).flatten() {
            Some(l) => {
                let new = (l + level - top).min(6);
                out.push_str(&"#".repeat(new));
                out.push_str(&line[l..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blanks = 0;
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            blanks += 1;
            if blanks > 1 {
                continue;
            }
            out.push('\n');
        } else {
            blanks = 0;
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}
