//! Offline manifests: `kubectl get -o yaml|json` dumps, `linkerd install` / `helm template`
//! output, single objects. Files or directories (recursively: *.yaml, *.yml, *.json), or `-`
//! for stdin. Only the kinds the checks read are kept; everything else is ignored.
//!
//! Documents are deserialized into a narrow type holding only the fields meshcert reads, so the
//! rest of a large object (a pod's status, most of its spec) is skipped rather than stored. A JSON
//! `List` streams its `items` (see `json_stream`): the file is read in chunks, and each pod is
//! parsed and reduced to a small summary on a worker thread as soon as its bytes are complete, so
//! memory does not grow with the size of the dump. YAML is read a document at a time.
//!
//! Errors name the file and, where the parser knows it, the line; a Secret value that is not
//! base64 is kept as such, so that only the check that needs it fails.

use super::discovery::*;
use super::ingest::*;
use super::limits::*;
use anyhow::{Context as _, bail};
use meshcert_checks::snapshot::Snapshot;
use std::io::Read;
use std::path::PathBuf;

pub use super::limits::Limits;

/// Reads one input given as bytes (`name` says where it came from; a name ending in `.json` is
/// JSON, anything else YAML), as `load` reads a file.
pub fn read_bytes(name: &str, bytes: &[u8], ns: &str, limits: Limits) -> anyhow::Result<Loaded> {
    let mut builder = Builder::new(Snapshot::new(ns), limits);
    if bytes.len() as u64 > limits.max_input_bytes {
        bail!(
            "{name} is larger than {} bytes (raise the limit with --max-input-bytes)",
            limits.max_input_bytes
        );
    }
    sniff_text(name, &bytes[..bytes.len().min(64 << 10)])?;
    if name.ends_with(".json") {
        read_json(&mut builder, name, bytes)?;
    } else {
        read_yaml(&mut builder, name, bytes)?;
    }
    Ok(Loaded {
        snapshot: builder.snap,
        source: format!("manifests: {name}"),
        server: None,
        link_credentials: builder.link_credentials,
    })
}

pub fn load(paths: &[PathBuf], ns: &str, limits: Limits) -> anyhow::Result<Loaded> {
    let inputs = expand(paths)?;
    let described: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut builder = Builder::new(Snapshot::new(ns), limits);
    // Files are measured before any is read; stdin is capped as it is read.
    let mut total: u64 = 0;
    for input in &inputs {
        if let Some(p) = &input.path {
            total += std::fs::metadata(p)
                .with_context(|| format!("cannot read {}", input.name))?
                .len();
            if total > limits.max_input_bytes {
                bail!(
                    "the inputs are larger than {} bytes, at {} (raise the limit with --max-input-bytes)",
                    limits.max_input_bytes,
                    input.name
                );
            }
        }
    }
    for input in inputs {
        let name = input.name.as_str();
        let mut reader: Box<dyn Read + Send> = match &input.path {
            Some(p) => {
                Box::new(std::fs::File::open(p).with_context(|| format!("cannot read {name}"))?)
            }
            None => {
                let remaining = limits.max_input_bytes.saturating_sub(total);
                Box::new(Capped {
                    inner: std::io::stdin(),
                    remaining,
                    limit: limits.max_input_bytes,
                })
            }
        };
        // The first 64 KiB decide: binary input is refused, and stdin is JSON when it starts with `{`.
        let mut head = Vec::with_capacity(64 << 10);
        (&mut reader)
            .take(64 << 10)
            .read_to_end(&mut head)
            .with_context(|| format!("cannot read {name}"))?;
        sniff_text(name, &head)?;
        let json = match &input.path {
            Some(p) => p.extension().is_some_and(|e| e == "json"),
            None => head.trim_ascii_start().starts_with(b"{"),
        };
        let whole = std::io::Cursor::new(head).chain(reader);
        if json {
            read_json(&mut builder, name, whole)?;
        } else {
            read_yaml(&mut builder, name, whole)?;
        }
    }
    super::runtime_files::add(paths, &mut builder.snap)?;
    Ok(Loaded {
        snapshot: builder.snap,
        source: format!("manifests: {}", described.join(", ")),
        server: None,
        link_credentials: builder.link_credentials,
    })
}
