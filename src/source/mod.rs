//! Sources: the only code that reads input. Each turns what it reads into a Snapshot.

mod discovery;
mod ingest;
pub mod json_stream;
mod kube_types;
pub mod limits;
pub mod live;
pub mod manifests;
pub mod pem_files;

use anyhow::bail;
use meshcert_checks::snapshot::Snapshot;

use crate::cli::{CheckArgs, ClusterArgs};

/// Whether the arguments ask for a live cluster (no --from, no PEM files).
pub fn is_live(args: &CheckArgs) -> bool {
    args.from.is_empty() && args.trust_anchors.is_none()
}

/// What to read from a cluster.
pub struct LiveRequest<'a> {
    pub kubeconfig: Option<&'a std::path::Path>,
    pub linkerd_namespace: &'a str,
    pub data_plane_namespace: Option<&'a str>,
    pub viz_namespace: Option<&'a str>,
    pub jaeger_namespace: Option<&'a str>,
    pub timeout: std::time::Duration,
    pub verbose: bool,
    pub limits: manifests::Limits,
}

impl<'a> LiveRequest<'a> {
    pub fn new(cluster: &'a ClusterArgs, limits: manifests::Limits) -> Self {
        LiveRequest {
            kubeconfig: cluster.kubeconfig.as_deref(),
            linkerd_namespace: &cluster.linkerd_namespace,
            data_plane_namespace: cluster.data_plane_namespace.as_deref(),
            viz_namespace: cluster.viz_namespace.as_deref(),
            jaeger_namespace: cluster.jaeger_namespace.as_deref(),
            timeout: cluster.timeout,
            verbose: cluster.verbose,
            limits,
        }
    }
}

/// The input limits the arguments set.
pub fn limits(args: &CheckArgs) -> manifests::Limits {
    manifests::Limits {
        max_input_bytes: args.max_input_bytes,
        max_objects: args.max_objects,
    }
}

/// Reads the cluster of `context` (the current one when `None`).
pub async fn load_live(req: &LiveRequest<'_>, context: Option<&str>) -> anyhow::Result<Snapshot> {
    let cluster = live::connect(req.kubeconfig, context, req.timeout).await?;
    let mut overrides = std::collections::BTreeMap::new();
    for (ext, ns) in [("viz", req.viz_namespace), ("jaeger", req.jaeger_namespace)] {
        if let Some(ns) = ns {
            overrides.insert(ext.to_string(), ns.to_string());
        }
    }
    let opts = live::Options {
        linkerd_namespace: req.linkerd_namespace,
        data_plane_namespace: req.data_plane_namespace,
        extension_overrides: &overrides,
        timeout: req.timeout,
        verbose: req.verbose,
        limits: req.limits,
    };
    let mut snap = live::load(&cluster, &opts).await?;
    snap.data_plane_namespace = req.data_plane_namespace.map(String::from);
    Ok(snap)
}

/// Builds the Snapshot of offline inputs (manifests or PEM files).
pub fn load(args: &CheckArgs) -> anyhow::Result<Snapshot> {
    Ok(scoped(read(args)?, &args.cluster))
}

/// Builds the Snapshot of manifests.
pub fn load_manifests(
    from: &[std::path::PathBuf],
    cluster: &ClusterArgs,
    limits: manifests::Limits,
) -> anyhow::Result<Snapshot> {
    let snap = manifests::load(from, &cluster.linkerd_namespace, limits)?;
    Ok(scoped(snap, cluster))
}

/// Applies `-n` and the extension namespaces to an offline Snapshot.
fn scoped(mut snap: Snapshot, cluster: &ClusterArgs) -> Snapshot {
    snap.data_plane_namespace = cluster.data_plane_namespace.clone();
    for (ext, ns) in [
        ("viz", &cluster.viz_namespace),
        ("jaeger", &cluster.jaeger_namespace),
    ] {
        if let Some(ns) = ns {
            snap.extension_overrides.insert(ext.to_string(), ns.clone());
        }
    }
    snap
}

fn read(args: &CheckArgs) -> anyhow::Result<Snapshot> {
    let ns = args.cluster.linkerd_namespace.as_str();
    if let (Some(anchors), Some(cert), Some(key)) =
        (&args.trust_anchors, &args.issuer_cert, &args.issuer_key)
    {
        return pem_files::load(anchors, cert, key, ns);
    }
    if !args.from.is_empty() {
        return manifests::load(&args.from, ns, limits(args));
    }
    bail!(
        "nothing to read: give --from PATH (manifests) or --trust-anchors, --issuer-cert and --issuer-key (PEM files)"
    )
}
