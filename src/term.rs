//! Writing to the terminal safely: names and messages escaped so that a file name cannot
//! drive the terminal, and output streams that stop writing quietly when the reader goes
//! away (`stimpack check x | head -1`) so the command still finishes and exits with its
//! verdict.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::{self, Write};

/// `text` with every character that could act on a terminal shown escaped: C0 controls
/// (`\n`, `\r`, `\t`, `\x1b`, ...), DEL, C1 controls (`\u{9b}` is a one-byte CSI on some
/// terminals) and the bidirectional overrides and isolates that reorder what is shown
/// (`\u{202e}`). Everything else, including non-Latin letters and emoji, is kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            '\t' => out.write_str("\\t"),
            c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
            c => write!(out, "\\u{{{:x}}}", c as u32),
        };
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Arabic letter mark, LRM/RLM, line and paragraph separators (some terminals break
            // the line there), embeddings and overrides, isolates.
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// A writer that turns a broken pipe into silence: once the reader has gone, every later
/// write succeeds without writing, so rendering finishes and the exit code stays the verdict.
/// Other errors (a full disk behind `> file`) are returned as they are.
pub struct Quiet<W: Write> {
    inner: W,
    broken: bool,
}

impl<W: Write> Quiet<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Quiet { inner, broken: false }
    }
}

impl<W: Write> Write for Quiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.broken {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.broken = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.broken {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.broken = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Stdout, locked, quiet on a broken pipe.
pub fn stdout() -> Quiet<io::StdoutLock<'static>> {
    Quiet::new(io::stdout().lock())
}

/// Stderr, locked, quiet on a broken pipe.
pub fn stderr() -> Quiet<io::StderrLock<'static>> {
    Quiet::new(io::stderr().lock())
}

/// Writes one line on stderr, escaped; never fails (there is nowhere left to report to).
pub fn say(args: fmt::Arguments<'_>) {
    let text = args.to_string();
    let _ = writeln!(stderr(), "{}", escape(&text));
}

/// `eprintln!` for messages: escaped, and no panic when stderr is closed.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::say(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(escape("plain/ä 名.wav"), "plain/ä 名.wav");
        assert_eq!(escape("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("x\r\ny\t\x7f"), "x\\r\\ny\\t\\x7f");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("evil\u{202e}vaw.exe"), "evil\\u{202e}vaw.exe");
        assert_eq!(escape("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(escape("a\u{2028}b"), "a\\u{2028}b");
    }

    #[test]
    fn a_broken_pipe_is_swallowed_and_stays_quiet() {
        struct Closed(usize);
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                self.0 += 1;
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = Quiet::new(Closed(0));
        writeln!(w, "one").unwrap();
        writeln!(w, "two").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner.0, 1, "no write is tried after the pipe broke");
    }
}
