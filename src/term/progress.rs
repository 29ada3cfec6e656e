//! One line per section on stderr while a batch runs: live lines on a terminal, plain lines
//! (final states only) otherwise. Live lines belong to the [`Ui`]'s set, so anything printed
//! meanwhile goes above them.

use super::{Tone, Ui, paint};
use crate::error::Error;
use crate::llm::Notice;
use crate::run::StoredSection;
use crate::run::batch::Events;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct Progress {
    ui: Ui,
    /// Live bars, one per section, when stderr is a terminal.
    live: Option<Live>,
    ids: Vec<String>,
    /// Streamed pieces per section (about one token each).
    pieces: Vec<AtomicU64>,
}

struct Live {
    bars: Vec<ProgressBar>,
    active: ProgressStyle,
    done: ProgressStyle,
    /// Serialises style changes with message updates.
    lock: Mutex<()>,
}

impl Progress {
    pub fn new(ui: &Ui, ids: &[String]) -> Progress {
        let live = ui.live().then(|| {
            let multi = ui.multi();
            let style = |t: &str| {
                ProgressStyle::with_template(t).unwrap_or_else(|_| ProgressStyle::default_spinner())
            };
            let active = style("{prefix:<16} {spinner} {msg} · {elapsed}");
            let bars = ids
                .iter()
                .map(|id| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(style("{prefix:<16} {spinner} {msg}"));
                    bar.set_prefix(id.clone());
                    bar.set_message("waiting");
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                })
                .collect();
            Live {
                bars,
                active,
                done: style("{prefix:<16} {msg}"),
                lock: Mutex::new(()),
            }
        });
        Progress {
            ui: ui.clone(),
            live,
            ids: ids.to_vec(),
            pieces: ids.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|x| x == id)
    }

    fn bar(&self, id: &str) -> Option<(&Live, &ProgressBar)> {
        let live = self.live.as_ref()?;
        Some((live, &live.bars[self.index(id)?]))
    }

    /// A final state: kept on screen on a terminal, one plain line otherwise.
    fn finish(&self, id: &str, msg: &str, tone: Tone) {
        match self.bar(id) {
            Some((live, bar)) => {
                let _guard = live.lock.lock();
                bar.set_style(live.done.clone());
                bar.finish_with_message(paint(msg, tone, self.ui.color()));
            }
            None => self.ui.status(format_args!("{id}: {msg}")),
        }
    }

    fn set_streaming(&self, id: &str) {
        let Some(i) = self.index(id) else { return };
        let n = self.pieces[i].load(Ordering::Relaxed);
        if let Some((live, bar)) = self.bar(id) {
            let _guard = live.lock.lock();
            if !bar.is_finished() {
                bar.set_message(if n == 0 {
                    "requesting".to_string()
                } else {
                    format!("streaming · {n} tokens")
                });
            }
        }
    }
}

impl Events for Progress {
    fn reused(&self, id: &str) {
        self.finish(
            id,
            "reused the stored answer (prompt and settings unchanged)",
            Tone::Quiet,
        );
    }

    fn kept(&self, id: &str, version: &str) {
        let msg = format!("kept {version}: draft does not replace a person's version");
        self.finish(id, &msg, Tone::Quiet);
    }

    fn started(&self, id: &str) {
        if let Some((live, bar)) = self.bar(id) {
            let _guard = live.lock.lock();
            bar.set_style(live.active.clone());
            bar.reset_elapsed();
            bar.set_message("requesting");
        }
    }

    fn delta(&self, id: &str) {
        if let Some(i) = self.index(id) {
            let n = self.pieces[i].fetch_add(1, Ordering::Relaxed) + 1;
            // Redraw on the first piece and then every few: the bar redraws itself anyway.
            if n == 1 || n.is_multiple_of(8) {
                self.set_streaming(id);
            }
        }
    }

    fn restarted(&self, id: &str) {
        if let Some(i) = self.index(id) {
            self.pieces[i].store(0, Ordering::Relaxed);
            self.set_streaming(id);
        }
    }

    fn notice(&self, id: &str, notice: &Notice) {
        self.ui.notice(Some(id), notice);
    }

    fn finished(&self, id: &str, stored: &StoredSection) {
        let tokens = stored
            .usage
            .map(|u| format!(" · {} tokens", u.completion_tokens))
            .unwrap_or_default();
        let cut = if stored.is_cut_off() {
            " · CUT OFF at max_tokens"
        } else {
            ""
        };
        let secs = stored.elapsed_ms.unwrap_or_default() as f64 / 1000.0;
        let tone = if stored.is_cut_off() {
            Tone::Bad
        } else {
            Tone::Good
        };
        self.finish(id, &format!("done in {secs:.1} s{tokens}{cut}"), tone);
    }

    fn failed(&self, id: &str, error: &Error) {
        self.finish(id, &format!("failed: {}", error.headline()), Tone::Bad);
    }

    fn not_started(&self, ids: &[String]) {
        for id in ids {
            self.finish(id, "not started", Tone::Quiet);
        }
    }

    fn interrupted(&self) {
        // Finished lines stay on screen; lines of sections cut short say so.
        if let Some(live) = &self.live {
            let _guard = live.lock.lock();
            for bar in live.bars.iter().filter(|b| !b.is_finished()) {
                bar.set_style(live.done.clone());
                let stopped = paint("stopped (not stored)", Tone::Bad, self.ui.color());
                bar.abandon_with_message(stopped);
            }
        }
    }
}

/// A live line on stderr while a structured answer's JSON arrives (the JSON itself is not
/// shown: the tables are, once it is checked). Silent when stderr is not a terminal.
pub struct Receiving {
    bar: Option<ProgressBar>,
    chars: usize,
}

impl Receiving {
    pub fn new(ui: &Ui, section: &str) -> Receiving {
        let bar = ui.live().then(|| {
            let bar = ui.multi().add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{prefix} {spinner} {msg} · {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(section.to_string());
            bar.set_message("requesting");
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Receiving { bar, chars: 0 }
    }

    /// Removes the line: the answer is about to be shown.
    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl crate::llm::Sink for Receiving {
    fn text(&mut self, delta: &str) {
        self.chars += delta.chars().count();
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "receiving the structured answer · {} characters",
                self.chars
            ));
        }
    }

    fn restart(&mut self) -> bool {
        self.chars = 0;
        true
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        self.done();
    }
}

/// One line for a whole portfolio: how many sections are done, reused and failed. Failures are
/// printed above it as they happen (and, without a terminal, are all that is printed).
pub struct Tally {
    ui: Ui,
    bar: Option<ProgressBar>,
    total: u64,
    done: AtomicU64,
    reused: AtomicU64,
    failed: AtomicU64,
}

impl Tally {
    pub fn new(ui: &Ui, total: usize) -> Tally {
        let bar = ui.live().then(|| {
            let bar = ui.multi().add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template(
                    "portfolio {wide_bar} {pos}/{len} sections · {msg} · {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Tally {
            ui: ui.clone(),
            bar,
            total: total as u64,
            done: AtomicU64::new(0),
            reused: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn tick(&self) {
        if let Some(bar) = &self.bar {
            let done = self.done.load(Ordering::Relaxed)
                + self.reused.load(Ordering::Relaxed)
                + self.failed.load(Ordering::Relaxed);
            bar.set_position(done.min(self.total));
            bar.set_message(format!(
                "{} reused · {} failed",
                self.reused.load(Ordering::Relaxed),
                self.failed.load(Ordering::Relaxed)
            ));
        }
    }

    /// Ends the line, leaving it on screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            self.tick();
            bar.finish();
        }
    }
}

impl Events for Tally {
    fn reused(&self, _: &str) {
        self.reused.fetch_add(1, Ordering::Relaxed);
        self.tick();
    }
    fn started(&self, _: &str) {}
    fn delta(&self, _: &str) {}
    fn restarted(&self, _: &str) {}
    fn notice(&self, id: &str, notice: &Notice) {
        // Retries and pauses are normal in a big run: shown with --verbose only.
        if notice.is_routine() && !self.ui.is_verbose() {
            return;
        }
        self.ui.notice(Some(id), notice);
    }
    fn finished(&self, _: &str, _: &StoredSection) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.tick();
    }
    fn failed(&self, id: &str, error: &Error) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.ui
            .warn(format_args!("{id} failed: {}", error.headline()));
        self.tick();
    }
    fn not_started(&self, ids: &[String]) {
        self.failed.fetch_add(ids.len() as u64, Ordering::Relaxed);
        self.tick();
    }
    fn interrupted(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon_with_message("interrupted");
        }
    }
}
