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
