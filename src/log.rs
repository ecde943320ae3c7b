//! Diagnostics that cannot take the program down. `eprintln!` panics when stderr cannot be
//! written (a closed pipe, a full disk): for `meshcert serve` that once killed the rounds thread
//! for good while the exporter kept answering as healthy. Here a failed write is dropped.
//! Standard output goes through [`Stdout`], which turns a closed pipe (`meshcert … | head`) into
//! the end of output: the program finishes quietly with the status it would have had.

use std::io::{self, Write};

/// Writes one line to stderr, ignoring a failure to write it.
#[macro_export]
macro_rules! elog {
    () => {{
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(b"\n");
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes to stderr without a newline (progress lines), ignoring a failure to write.
#[macro_export]
macro_rules! elog_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut err = std::io::stderr();
        let _ = write!(err, $($arg)*);
        let _ = err.flush();
    }};
}

/// Standard output that stops writing, without an error, once its reader has gone (EPIPE).
pub struct Stdout<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Stdout<W> {
    pub fn new(inner: W) -> Self {
        Stdout {
            inner,
            closed: false,
        }
    }
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pipe {
        open_for: usize,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.open_for == 0 {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            self.open_for -= 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_output_without_an_error() {
        let mut out = Stdout::new(Pipe { open_for: 1 });
        assert!(out.write_all(b"first").is_ok());
        assert!(out.write_all(b"second").is_ok());
        assert!(out.write_all(b"third").is_ok());
        assert!(out.flush().is_ok());
        assert!(out.closed);
    }

    #[test]
    fn other_errors_are_still_errors() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert!(Stdout::new(Full).write_all(b"x").is_err());
    }
}
