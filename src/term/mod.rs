//! The terminal: the only place that draws on it. The one printer ([`Ui`]), streaming answers
//! to stdout, per-section progress lines, colour (off with `NO_COLOR`), and the usage report.

pub mod heatmap;
pub mod out;
pub mod progress;
pub mod report;
pub mod scorecard;
pub mod ui;

pub use ui::{Ui, Verbosity};

use std::io::IsTerminal;

/// Whether to colour text on stderr: a terminal that can show it, and no `NO_COLOR`.
pub fn color_on_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && std::io::stderr().is_terminal()
}

/// Whether stderr can show live, redrawn lines.
pub fn live_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
    Warn,
    Quiet,
}

/// `text` in the tone's colour when `color` is on.
pub fn paint(text: &str, tone: Tone, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
        Tone::Warn => "33",
        Tone::Quiet => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_only_with_colour() {
        assert_eq!(paint("ok", Tone::Good, false), "ok");
        assert_eq!(paint("ok", Tone::Good, true), "\x1b[32mok\x1b[0m");
        assert_eq!(paint("no", Tone::Bad, true), "\x1b[31mno\x1b[0m");
    }
}
