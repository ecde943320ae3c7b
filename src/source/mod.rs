//! Sources: the only code that reads input. Each turns what it reads into a Snapshot.

mod discovery;
mod ingest;
pub mod json_stream;
mod kube_types;
pub mod limits;
pub mod live;
pub mod manifests;
pub mod pem_files;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

pub use ingest::{Loaded, redact};
pub use limits::Limits;

/// Where the control plane and the extensions are, and which namespace's pods to check.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub linkerd_namespace: String,
    /// `-n`: the data-plane namespace (all namespaces when `None`).
    pub data_plane_namespace: Option<String>,
    pub viz_namespace: Option<String>,
    pub jaeger_namespace: Option<String>,
}

impl Scope {
    /// What the checks are scoped to: `-n` and the extension namespaces given outright
    /// (`viz`, `jaeger` → namespace). It goes in the checks' Context, not on the Snapshot.
    pub fn checks_scope(&self) -> meshcert_checks::scope::Scope {
        meshcert_checks::scope::Scope {
            data_plane_namespace: self.data_plane_namespace.clone(),
            extension_namespaces: [
                ("viz", &self.viz_namespace),
                ("jaeger", &self.jaeger_namespace),
            ]
            .into_iter()
            .filter_map(|(ext, ns)| ns.as_ref().map(|ns| (ext.to_string(), ns.clone())))
            .collect(),
        }
    }
}

/// Which clusters a live run reads.
#[derive(Debug, Clone)]
pub enum Contexts {
    /// The kubeconfig's current context (or the in-cluster service account).
    Current,
    /// These contexts (one: a single-cluster run; several: a run per cluster).
    Named(Vec<String>),
    /// Every context of the kubeconfig.
    All,
}

/// What a run reads.
#[derive(Debug, Clone)]
pub enum Source {
    Manifests(Vec<PathBuf>),
    PemFiles {
        anchors: PathBuf,
        cert: PathBuf,
        key: PathBuf,
    },
    Live {
        kubeconfig: Option<PathBuf>,
        contexts: Contexts,
        timeout: Duration,
        /// Meshed pods per LIST page.
        page_size: u32,
        verbose: bool,
        /// How many clusters are read at once.
        parallel: usize,
    },
}

/// Everything a source needs, built from the command line in one place (the binary's
/// `request_of`); nothing here sees the command line itself.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: Source,
    pub scope: Scope,
    pub limits: Limits,
}

/// What a live request resolves to: one cluster, or a run per named cluster.
pub enum Clusters {
    One(Option<String>),
    Many(Vec<String>),
}

impl Request {
    pub fn is_live(&self) -> bool {
        matches!(self.source, Source::Live { .. })
    }

    /// The Snapshot of offline inputs (manifests or PEM files).
    pub fn load_offline(&self) -> anyhow::Result<Loaded> {
        let ns = self.scope.linkerd_namespace.as_str();
        match &self.source {
            Source::PemFiles { anchors, cert, key } => pem_files::load(anchors, cert, key, ns),
            Source::Manifests(paths) => manifests::load(paths, ns, self.limits),
            Source::Live { .. } => bail!("internal error: a live request read as files"),
        }
    }

    /// The clusters a live request names.
    pub fn clusters(&self) -> anyhow::Result<Clusters> {
        let Source::Live {
            kubeconfig,
            contexts,
            ..
        } = &self.source
        else {
            bail!("internal error: files read as a cluster")
        };
        Ok(match contexts {
            Contexts::Current => Clusters::One(None),
            Contexts::Named(names) if names.len() == 1 => Clusters::One(Some(names[0].clone())),
            Contexts::Named(names) => Clusters::Many(names.clone()),
            Contexts::All => Clusters::Many(live::all_contexts(kubeconfig.as_deref())?),
        })
    }

    /// The labels a run's clusters get (`None` for files): what a round that could not even
    /// start reading reports its failure under, so that a cluster down from the start has the
    /// same series as once it is read.
    pub fn expected_labels(&self) -> Vec<Option<String>> {
        let Source::Live { kubeconfig, .. } = &self.source else {
            return vec![None];
        };
        match self.clusters() {
            Ok(Clusters::One(context)) => {
                vec![live::context_label(
                    kubeconfig.as_deref(),
                    context.as_deref(),
                )]
            }
            Ok(Clusters::Many(names)) => names.into_iter().map(Some).collect(),
            Err(_) => vec![None],
        }
    }

    /// Reads the cluster of `context` (the current one when `None`): its Snapshot, and the name
    /// of the context it was read through (the label of its metrics and reports).
    pub async fn load_live(&self, context: Option<&str>) -> anyhow::Result<(String, Loaded)> {
        let Source::Live {
            kubeconfig,
            timeout,
            page_size,
            verbose,
            ..
        } = &self.source
        else {
            bail!("internal error: files read as a cluster")
        };
        let cluster = live::connect(kubeconfig.as_deref(), context, *timeout).await?;
        let scope = self.scope.checks_scope();
        let opts = live::Options {
            linkerd_namespace: &self.scope.linkerd_namespace,
            scope: &scope,
            timeout: *timeout,
            page_size: *page_size,
            verbose: *verbose,
            limits: self.limits,
        };
        Ok((cluster.context.clone(), live::load(&cluster, &opts).await?))
    }
}
