//! Standard output: whole texts, and streamed answers flushed piece by piece.

use crate::error::{Error, Result};
use crate::llm::Sink;
use std::io::Write;

/// Writes to stdout, treating a closed pipe (`| head`) as success.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
}

/// `value` as pretty JSON and a newline on stdout, serialized straight into a buffered
/// writer that drops C1 controls and DEL; a closed pipe is success.
pub fn write_json_stdout(value: &impl serde::Serialize) -> Result<()> {
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(64 << 10, NoC1(stdout, false));
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
}

/// A writer that drops C1 controls (U+0080–U+009F, `C2 80`–`C2 9F` in UTF-8) and DEL from
/// UTF-8 text, whatever the chunking: the flag holds a `C2` that ended the last chunk.
struct NoC1<W>(W, bool);

impl<W: Write> NoC1<W> {
    fn clean(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 1);
        for &b in bytes {
            if std::mem::take(&mut self.1) {
                if (0x80..=0x9F).contains(&b) {
                    continue;
                }
                out.push(0xC2);
            }
            match b {
                0xC2 => self.1 = true,
                0x7F => {}
                _ => out.push(b),
            }
        }
        out
    }
}

impl<W: Write> Write for NoC1<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let clean = self.clean(bytes);
        self.0.write_all(&clean)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.1) {
            self.0.write_all(&[0xC2])?;
        }
        self.0.flush()
    }
}

/// Streams to stdout, flushing every piece: no added latency.
pub struct StdoutSink {
    live: bool,
    written: bool,
    at_line_start: bool,
}

impl StdoutSink {
    /// `live`: print pieces as they come (streaming); otherwise keep quiet.
    pub fn new(live: bool) -> Self {
        StdoutSink {
            live,
            written: false,
            at_line_start: true,
        }
    }

    /// Ends the output with a newline, unless what was printed already did.
    pub fn end_line(&mut self) -> Result<()> {
        if !self.at_line_start {
            write_stdout(b"\n")?;
            self.at_line_start = true;
        }
        Ok(())
    }
}

impl Sink for StdoutSink {
    fn text(&mut self, delta: &str) {
        if self.live && !delta.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(delta.as_bytes()).and_then(|_| out.flush());
            self.written = true;
            self.at_line_start = delta.ends_with('\n');
        }
    }
    fn restart(&mut self) -> bool {
        !self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written in chunks of `size` bytes through the filter.
    fn through(text: &str, size: usize) -> String {
        let mut w = NoC1(Vec::new(), false);
        for chunk in text.as_bytes().chunks(size) {
            w.write_all(chunk).unwrap();
        }
        w.flush().unwrap();
        String::from_utf8(w.0).unwrap()
    }

    #[test]
    fn c1_controls_and_del_are_dropped_however_the_text_is_cut() {
        let cases = [
            ("plain", "plain"),
            ("a\u{9b}31mred\u{9d}0;t\u{9c}b", "a31mred0;tb"),
            ("del\u{7f}!", "del!"),
            // Other characters whose UTF-8 starts with C2 stay: ¢, ©, NBSP.
            ("¢ © \u{a0}x", "¢ © \u{a0}x"),
            ("ends with ©", "ends with ©"),
            ("Zürich, 東京, 😀", "Zürich, 東京, 😀"),
        ];
        for (text, want) in cases {
            for size in [1, 2, 3, 64] {
                assert_eq!(through(text, size), want, "{text:?} in chunks of {size}");
            }
        }
    }
}
