//! Sources: the only code that reads input. Each turns what it reads into a Snapshot.

pub mod json_stream;
pub mod live;
pub mod manifests;
pub mod pem_files;

use anyhow::bail;
use meshcert_checks::snapshot::Snapshot;

use crate::cli::CheckArgs;

/// Whether the arguments ask for a live cluster (no --from, no PEM files).
pub fn is_live(args: &CheckArgs) -> bool {
    args.from.is_empty() && args.trust_anchors.is_none()
}

/// Reads the cluster of `context` (the current one when `None`).
pub async fn load_live(args: &CheckArgs, context: Option<&str>) -> anyhow::Result<Snapshot> {
    let cluster = live::connect(args.kubeconfig.as_deref(), context, args.timeout).await?;
    let mut overrides = std::collections::BTreeMap::new();
    for (ext, ns) in [
        ("viz", &args.viz_namespace),
        ("jaeger", &args.jaeger_namespace),
    ] {
        if let Some(ns) = ns {
            overrides.insert(ext.to_string(), ns.clone());
        }
    }
    let opts = live::Options {
        linkerd_namespace: &args.linkerd_namespace,
        data_plane_namespace: args.data_plane_namespace.as_deref(),
        extension_overrides: &overrides,
        timeout: args.timeout,
        verbose: args.verbose,
    };
    let mut snap = live::load(&cluster, &opts).await?;
    snap.data_plane_namespace = args.data_plane_namespace.clone();
    Ok(snap)
}

/// Builds the Snapshot of offline inputs (manifests or PEM files).
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
        "nothing to read: give --from PATH (manifests) or --trust-anchors, --issuer-cert and --issuer-key (PEM files)"
    )
}
