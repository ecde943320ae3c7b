//! The PEM-file form: the trust anchors, issuer certificate and issuer key that
//! `step certificate create … --profile root-ca / intermediate-ca` writes, checked before they
//! are installed (the inputs of `linkerd install --identity-*`).

use super::ingest::Loaded;
use std::path::Path;

use anyhow::Context as _;
use meshcert_checks::snapshot::{IdentityFiles, SecretBytes, Snapshot};

fn read(path: &Path, what: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    Ok((path.display().to_string(), bytes))
}

pub fn load(anchors: &Path, cert: &Path, key: &Path, ns: &str) -> anyhow::Result<Loaded> {
    let trust_anchors = read(anchors, "trust anchors")?;
    let issuer_cert = read(cert, "issuer certificate")?;
    let (key_path, key_bytes) = read(key, "issuer key")?;
    let source = format!(
        "files: {}, {}, {}",
        trust_anchors.0, issuer_cert.0, key_path
    );
    let mut snap = Snapshot::new(ns);
    snap.set_identity_files(IdentityFiles {
        trust_anchors,
        issuer_cert,
        issuer_key: (key_path, SecretBytes::new(key_bytes)),
    });
    Ok(Loaded {
        snapshot: snap,
        source,
        server: None,
        link_credentials: Vec::new(),
    })
}
