//! The bounds of what meshcert reads: input size, object count, YAML nodes, and binary input
//! refused from its first bytes.

use anyhow::anyhow;
use std::io::Read;

/// The most nodes (mappings, sequences, scalars, aliases expanded) one YAML document may have:
/// enough for a `kubectl get pods -o yaml` List of about 15,000 pods, and a bound on what an alias
/// bomb can expand to.
pub const YAML_MAX_NODES: usize = 5_000_000;

/// Refuses input that is evidently not text (a NUL byte or invalid UTF-8 in its first 64 KiB).
pub(crate) fn sniff_text(name: &str, head: &[u8]) -> anyhow::Result<()> {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => head.len(),
        // A character cut at the end of the sample is fine.
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(e) => {
            return Err(anyhow!(
                "{name}: not UTF-8 text (byte {}): is it a binary file?",
                e.valid_up_to()
            ));
        }
    };
    match head[..valid].iter().position(|&b| b == 0) {
        Some(at) => Err(anyhow!(
            "{name}: not UTF-8 text (a NUL byte at {at}): is it a binary file?"
        )),
        None => Ok(()),
    }
}

/// Bounds on what an input may hold, so that a hostile one fails fast and clearly.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// All inputs together, in bytes (`--max-input-bytes`).
    pub max_input_bytes: u64,
    /// Documents and List items, of any kind (`--max-objects`).
    pub max_objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 4 << 30,
            max_objects: 1_000_000,
        }
    }
}

/// A reader that fails once more than `remaining` bytes were read.
pub(crate) struct Capped<R> {
    pub(crate) inner: R,
    pub(crate) remaining: u64,
    pub(crate) limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(std::io::Error::other(format!(
                "the input is larger than {} bytes (raise the limit with --max-input-bytes)",
                self.limit
            )));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
