//! The one printer. Every line plan-ai shows goes through a [`Ui`], as uv's `Printer` and
//! ripgrep's `messages` do: results to stdout; notes, warnings, status lines and errors to
//! stderr with one prefix each; everything cleaned of terminal escapes whatever its origin (a
//! server, a file name, a template title); printed above any live progress lines; quiet with
//! `--quiet`; colourless with `NO_COLOR` or when stderr is not a terminal.

use super::{Tone, paint};
use crate::error::{Error, Result};
use crate::llm::Notice;
use crate::sanitize::strip_controls;
use indicatif::{MultiProgress, ProgressDrawTarget};
use std::fmt::Display;
use std::io::Write;
use std::sync::Arc;

/// How much the user asked to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `--quiet`: results, warnings and errors only.
    Quiet,
    Normal,
    /// `--verbose`: also request details (never the key).
    Verbose,
}

/// The kinds of line on stderr, each with its one prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `note: `: something worth knowing that needs no action.
    Note,
    /// `warning: `: something to act on; the run goes on.
    Warning,
    /// `error: `: why the command failed.
    Error,
    /// `hint: `: what to do next.
    Hint,
    /// No prefix: what was done (`wrote plan.md`), progress in plain lines, tables.
    Status,
}

/// Cheap to clone: progress displays and event handlers on other threads hold one.
#[derive(Clone)]
pub struct Ui {
    inner: Arc<Inner>,
}

struct Inner {
    verbosity: Verbosity,
    color: bool,
    live: bool,
    /// Every live progress line belongs to it, so a message can be printed above them all.
    multi: MultiProgress,
}

impl Ui {
    /// For this terminal: colour and live lines when stderr is one (and `NO_COLOR` and
    /// `TERM=dumb` are not set); no live lines with `--quiet`.
    pub fn new(verbosity: Verbosity) -> Ui {
        let live = super::live_stderr() && verbosity != Verbosity::Quiet;
        Ui::with(verbosity, super::color_on_stderr(), live)
    }

    /// Explicit settings (tests, and anything not printing to a real terminal).
    pub fn with(verbosity: Verbosity, color: bool, live: bool) -> Ui {
        let target = if live {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Ui {
            inner: Arc::new(Inner {
                verbosity,
                color,
                live,
                multi: MultiProgress::with_draw_target(target),
            }),
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.inner.verbosity
    }

    pub fn is_verbose(&self) -> bool {
        self.inner.verbosity == Verbosity::Verbose
    }

    pub fn is_quiet(&self) -> bool {
        self.inner.verbosity == Verbosity::Quiet
    }

    /// Whether to colour what is drawn on stderr.
    pub fn color(&self) -> bool {
        self.inner.color
    }

    /// Whether to colour what goes to stdout: a terminal, no `NO_COLOR`, not `TERM=dumb`.
    pub fn color_stdout(&self) -> bool {
        use std::io::IsTerminal;
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            && std::io::stdout().is_terminal()
    }

    /// Whether progress may be drawn as live, redrawn lines.
    pub fn live(&self) -> bool {
        self.inner.live
    }

    /// Where live progress lines are added, so messages go above them.
    pub fn multi(&self) -> &MultiProgress {
        &self.inner.multi
    }

    /// A line (or several) on stderr with its kind's prefix on the first. Quiet hides notes
    /// and status lines, never warnings or errors.
    pub fn line(&self, kind: Kind, text: impl Display) {
        if self.is_quiet() && matches!(kind, Kind::Note | Kind::Status | Kind::Hint) {
            return;
        }
        let text = format_line(kind, &text.to_string(), self.color());
        self.stderr(&text);
    }

    pub fn note(&self, text: impl Display) {
        self.line(Kind::Note, text);
    }

    pub fn warn(&self, text: impl Display) {
        self.line(Kind::Warning, text);
    }

    pub fn status(&self, text: impl Display) {
        self.line(Kind::Status, text);
    }

    pub fn hint(&self, text: impl Display) {
        self.line(Kind::Hint, text);
    }

    /// Why the command failed: `error: ` and the message (or `interrupted` on its own).
    pub fn error(&self, e: &Error) {
        match e {
            Error::Interrupted => self.stderr("interrupted"),
            e => self.line(Kind::Error, e),
        }
    }

    /// Something the client noticed, about `about` (a section, or `project/section`) if any.
    /// Request details only with `--verbose`.
    pub fn notice(&self, about: Option<&str>, notice: &Notice) {
        if notice.is_verbose() && !self.is_verbose() {
            return;
        }
        match about.filter(|a| !a.is_empty()) {
            Some(about) => self.note(format_args!("{about}: {notice}")),
            None => self.note(notice),
        }
    }

    /// Runs `f` with the live lines out of the way (something else writes to the terminal).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.inner.multi.suspend(f)
    }

    /// Writes `text` (already cleaned and prefixed) to stderr above the live lines.
    fn stderr(&self, text: &str) {
        let mut text = text.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        self.suspend(|| {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
        });
    }

    /// A result on stdout, cleaned of terminal escapes (a model's answer may carry them). A
    /// closed pipe (`| head`) counts as success.
    pub fn result(&self, text: &str) -> Result<()> {
        self.result_bytes(crate::sanitize::without_controls(text).as_bytes())
    }

    /// `value` as pretty JSON on stdout, written as it is serialized (a large result is never
    /// held whole). JSON escapes C0 controls itself; C1 controls and DEL, which it leaves
    /// as they are, are dropped on the way.
    pub fn result_json(&self, value: &impl serde::Serialize) -> Result<()> {
        self.suspend(|| super::out::write_json_stdout(value))
    }

    /// Bytes on stdout as they are (a man page, completions: made by plan-ai itself).
    pub fn result_bytes(&self, bytes: &[u8]) -> Result<()> {
        self.suspend(|| super::out::write_stdout(bytes))
    }
}

/// The line as shown: the text cleaned of escapes, then the prefix (painted when `color`).
fn format_line(kind: Kind, text: &str, color: bool) -> String {
    let text = strip_controls(text);
    let prefix = match kind {
        Kind::Note => paint("note:", Tone::Quiet, color),
        Kind::Warning => paint("warning:", Tone::Warn, color),
        Kind::Error => paint("error:", Tone::Bad, color),
        Kind::Hint => paint("hint:", Tone::Good, color),
        Kind::Status => return text,
    };
    format!("{prefix} {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_one_prefix_and_escapes_are_removed() {
        let cases = [
            (Kind::Note, "a note", "note: a note"),
            (Kind::Warning, "careful", "warning: careful"),
            (
                Kind::Error,
                "broken\nsecond line",
                "error: broken\nsecond line",
            ),
            (Kind::Status, "wrote plan.md", "wrote plan.md"),
            (Kind::Hint, "try again", "hint: try again"),
            (
                Kind::Status,
                "wrote \u{1b}]0;pwned\u{7}evil\u{1b}[2J.md",
                "wrote evil.md",
            ),
            (Kind::Note, "tab\tkept", "note: tab\tkept"),
        ];
        for (kind, text, want) in cases {
            assert_eq!(format_line(kind, text, false), want, "{text:?}");
        }
    }

    #[test]
    fn colour_paints_only_the_prefix() {
        let line = format_line(Kind::Warning, "x \u{1b}[31mred", true);
        assert!(line.starts_with("\u{1b}["), "{line:?}");
        assert!(line.ends_with("\u{1b}[0m x red"), "{line:?}");
    }

    #[test]
    fn quiet_and_verbose() {
        let quiet = Ui::with(Verbosity::Quiet, false, false);
        assert!(quiet.is_quiet() && !quiet.is_verbose() && !quiet.live());
        let verbose = Ui::with(Verbosity::Verbose, true, false);
        assert!(verbose.is_verbose() && verbose.color());
    }
}
