//! Text from a server, made safe to show on a terminal and to keep in files: terminal control
//! sequences removed, and the API key scrubbed even when it arrives split across stream chunks.
//!
//! What is removed: every C0 control character except newline and tab (carriage returns
//! included; `\r\n` becomes `\n`), DEL, every C1 control character, and whole escape sequences
//! (CSI such as `ESC[2J`, OSC such as `ESC]52;…` clipboard writes, `ESC]8;;…` hyperlinks and
//! window titles, DCS/SOS/PM/APC strings), so neither their effect nor their payload remains.

/// Longest OSC/DCS string swallowed before giving up on it (its rest is kept as text).
const MAX_STRING_SEQUENCE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Text,
    /// After ESC.
    Escape,
    /// Inside a control sequence: parameters until a final byte.
    Csi,
    /// Inside an OSC/DCS/SOS/PM/APC string, until BEL or ST.
    String,
    /// ESC seen inside a string: `\` ends it (ST).
    StringEscape,
}

/// Removes control characters and escape sequences from text fed in pieces; a sequence split
/// across pieces is still removed whole.
#[derive(Debug, Default)]
pub struct ControlFilter {
    state: State,
    swallowed: usize,
}

impl ControlFilter {
    pub fn feed(&mut self, piece: &str) -> String {
        let mut out = String::with_capacity(piece.len());
        for c in piece.chars() {
            self.push(c, &mut out);
        }
        out
    }

    fn push(&mut self, c: char, out: &mut String) {
        match self.state {
            State::Text => match c {
                '\n' | '\t' => out.push(c),
                '\x1b' => self.state = State::Escape,
                '\u{9b}' => self.state = State::Csi,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => self.start_string(),
                c if is_control(c) => {}
                c => out.push(c),
            },
            State::Escape => match c {
                '[' => self.state = State::Csi,
                ']' | 'P' | 'X' | '^' | '_' => self.start_string(),
                '\x1b' => {}
                // A two-character escape (ESC c, ESC 7, ...): both go.
                c if (' '..='~').contains(&c) => self.state = State::Text,
                // Not an escape after all: drop the ESC, keep the character.
                c => {
                    self.state = State::Text;
                    self.push(c, out);
                }
            },
            State::Csi => match c {
                // Parameters and intermediates.
                ' '..='?' => {}
                // The final byte ends the sequence.
                '@'..='~' => self.state = State::Text,
                // Anything else cannot be part of a sequence: end it, keep the character.
                c => {
                    self.state = State::Text;
                    self.push(c, out);
                }
            },
            State::String | State::StringEscape => {
                self.swallowed += 1;
                match (self.state, c) {
                    (_, '\x07' | '\u{9c}') | (State::StringEscape, '\\') => {
                        self.state = State::Text;
                    }
                    (_, '\x1b') => self.state = State::StringEscape,
                    // A newline is where a runaway string most likely should have ended.
                    (_, '\n') => {
                        self.state = State::Text;
                        out.push('\n');
                    }
                    _ if self.swallowed > MAX_STRING_SEQUENCE => self.state = State::Text,
                    _ => self.state = State::String,
                }
            }
        }
    }

    fn start_string(&mut self) {
        self.state = State::String;
        self.swallowed = 0;
    }
}

fn is_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` without control characters and escape sequences.
pub fn strip_controls(text: &str) -> String {
    without_controls(text).into_owned()
}

/// [`strip_controls`], borrowing `text` when there is nothing to strip (a large result is
/// not copied).
pub fn without_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(ControlFilter::default().feed(text))
}

/// Keys shorter than this are not scrubbed: replacing "abc" everywhere would mangle text.
const MIN_SCRUB_LEN: usize = 4;
pub const REDACTED: &str = "[redacted]";

/// `text` with every copy of `key` replaced by `[redacted]`.
pub fn scrub(text: &str, key: &str) -> String {
    if key.len() < MIN_SCRUB_LEN {
        text.to_string()
    } else {
        text.replace(key, REDACTED)
    }
}

/// Cleans streamed text: controls stripped, the key scrubbed. Holds back only a tail that could
/// be the start of the key, so text reaches the screen as soon as it safely can.
pub struct StreamCleaner<'k> {
    controls: ControlFilter,
    key: Option<&'k str>,
    pending: String,
}

impl<'k> StreamCleaner<'k> {
    pub fn new(key: Option<&'k str>) -> Self {
        StreamCleaner {
            controls: ControlFilter::default(),
            key: key.filter(|k| k.len() >= MIN_SCRUB_LEN),
            pending: String::new(),
        }
    }

    pub fn feed(&mut self, piece: &str) -> String {
        let clean = self.controls.feed(piece);
        let Some(key) = self.key else {
            return clean;
        };
        let mut buf = std::mem::take(&mut self.pending);
        buf.push_str(&clean);
        let mut buf = buf.replace(key, REDACTED);
        let keep = (1..key.len())
            .rev()
            .find(|&n| {
                buf.len() >= n
                    && buf.is_char_boundary(buf.len() - n)
                    && key.starts_with(&buf[buf.len() - n..])
            })
            .unwrap_or(0);
        self.pending = buf.split_off(buf.len() - keep);
        buf
    }

    /// What was held back, once the text has ended.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &[(&str, &str)] = &[
        ("plain text\nwith\ttab", "plain text\nwith\ttab"),
        ("clear\x1b[2Jscreen", "clearscreen"),
        ("red \x1b[31mtext\x1b[0m!", "red text!"),
        ("clip\x1b]52;c;ZXZpbA==\x07board", "clipboard"),
        ("title\x1b]0;pwned\x1b\\bar", "titlebar"),
        (
            "link \x1b]8;;http://evil/\x1b\\here\x1b]8;;\x1b\\ done",
            "link here done",
        ),
        ("c1 csi \u{9b}2J ok", "c1 csi  ok"),
        ("osc c1 \u{9d}0;t\u{9c}ok", "osc c1 ok"),
        ("bell\x07 nul\x00 del\x7f bs\x08", "bell nul del bs"),
        ("dos\r\nline\rend", "dos\nlineend"),
        ("reset\x1bc done", "reset done"),
        ("esc then é: \x1bé", "esc then é: é"),
        (
            "unterminated \x1b]0;title\nnext line",
            "unterminated \nnext line",
        ),
        ("emoji 👍 and RTL שלום", "emoji 👍 and RTL שלום"),
    ];

    #[test]
    fn controls_and_sequences_are_removed_whole() {
        for (input, want) in CASES {
            assert_eq!(strip_controls(input), *want, "{input:?}");
        }
    }

    #[test]
    fn a_sequence_split_across_pieces_is_still_removed() {
        for (input, want) in CASES {
            let chars: Vec<char> = input.chars().collect();
            for cut in 0..=chars.len() {
                let (a, b): (String, String) =
                    (chars[..cut].iter().collect(), chars[cut..].iter().collect());
                let mut f = ControlFilter::default();
                let got = f.feed(&a) + &f.feed(&b);
                assert_eq!(got, *want, "{input:?} cut at {cut}");
            }
        }
    }

    #[test]
    fn a_runaway_string_gives_back_the_text_after_its_limit() {
        let long = format!("\x1b]0;{}", "x".repeat(MAX_STRING_SEQUENCE + 10));
        let out = strip_controls(&long);
        assert!(out.len() < 20, "{}", out.len());
    }

    #[test]
    fn scrubbing_needs_a_real_key() {
        assert_eq!(
            scrub("a sk-123 b sk-123", "sk-123"),
            "a [redacted] b [redacted]"
        );
        assert_eq!(scrub("abc", "abc"), "abc");
    }

    #[test]
    fn a_key_split_across_pieces_never_shows() {
        let key = "sk-SECRET-42";
        let text = format!("echo {key} and {key}.");
        for cut in 0..=text.len() {
            for cut2 in cut..=text.len() {
                let mut c = StreamCleaner::new(Some(key));
                let mut shown = String::new();
                for piece in [&text[..cut], &text[cut..cut2], &text[cut2..]] {
                    let out = c.feed(piece);
                    assert!(!out.contains("SECRET"), "{out:?}");
                    shown.push_str(&out);
                }
                shown.push_str(&c.finish());
                assert_eq!(
                    shown, "echo [redacted] and [redacted].",
                    "cuts {cut} {cut2}"
                );
            }
        }
    }

    #[test]
    fn without_a_key_nothing_is_held_back() {
        let mut c = StreamCleaner::new(None);
        assert_eq!(c.feed("sk-"), "sk-");
        let mut c = StreamCleaner::new(Some("sk-abcdef"));
        assert_eq!(c.feed("ok s"), "ok ");
        assert_eq!(c.feed("o"), "so");
        assert_eq!(c.finish(), "");
    }
}
