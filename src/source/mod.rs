//! Sources: the only code that reads input. Each turns what it reads into a Snapshot.

pub mod json_stream;
pub mod manifests;
pub mod pem_files;

use anyhow::bail;
use meshcert_checks::snapshot::Snapshot;

use crate::cli::CheckArgs;

/// Builds the Snapshot the arguments ask for.
pub fn load(args: &CheckArgs) -> anyhow::Result<Snapshot> {
    let mut snap = read(args)?;
    snap.data_plane_namespace = args.data_plane_namespace.clone();
    for (ext, ns) in [
        ("viz", &args.viz_namespace),
        ("jaeger", &args.jaeger_namespace),
    ] {
        if let Some(ns) = ns {
            snap.extension_overrides.insert(ext.to_string(), ns.clone());
        }
    }
    Ok(snap)
}

fn read(args: &CheckArgs) -> anyhow::Result<Snapshot> {
    let ns = args.linkerd_namespace.as_str();
    if let (Some(anchors), Some(cert), Some(key)) =
        (&args.trust_anchors, &args.issuer_cert, &args.issuer_key)
    {
        return pem_files::load(anchors, cert, key, ns);
    }
    if !args.from.is_empty() {
        return manifests::load(&args.from, ns);
    }
    bail!(
        "nothing to read: give --from PATH (manifests) or --trust-anchors, --issuer-cert and --issuer-key (PEM files); \
         reading a live cluster is not available in this version"
    )
}
