//! Sources: the only code that reads input. Each turns what it reads into a Snapshot.

mod api;
mod certificate;
mod discovery;
pub mod follow;
mod ingest;
pub mod json_stream;
mod kube_types;
pub mod limits;
mod link;
pub mod live;
mod live_links;
pub mod manifests;
pub mod pem_files;
mod runtime;
mod secret_keys;
mod trust_bundle;
pub use runtime::ProxyMetrics;
pub mod runtime_files;
pub mod transport;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

pub use ingest::{Loaded, redact};
pub use limits::Limits;

/// Where the control plane and the extensions are, and which namespace's pods to check.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub linkerd_namespace: String,
    /// trust-manager's trust namespace (`--trust-namespace`).
    pub trust_namespace: String,
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

/// The file in a dump's folder that names its cluster (else the folder's name does).
pub const CLUSTER_NAME_FILE: &str = "cluster-name";
/// The file in a dump's folder that holds its API server's URL, which linked clusters'
/// credentials name (the dump recipe and `meshcert snapshot` write it).
pub const CLUSTER_SERVER_FILE: &str = "cluster-server";

/// The API server URL a dump's folder records, if it does.
fn recorded_server(dir: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(dir.join(CLUSTER_SERVER_FILE))
        .ok()
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
}

/// Several clusters' dumps, each a folder, named by its `cluster-name` file or its folder's
/// name: two or more `--from` folders, or one `--from` folder that holds only folders. `None`
/// when the inputs are one cluster's (files, one folder of manifests, stdin).
pub fn dumps(paths: &[PathBuf]) -> Option<Vec<(String, PathBuf)>> {
    let dirs: Vec<PathBuf> = match paths {
        [one] if one.is_dir() => {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(one)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            entries.sort();
            if entries.len() < 2 || !entries.iter().all(|p| p.is_dir()) {
                return None;
            }
            entries
        }
        many if many.len() >= 2 && many.iter().all(|p| p.is_dir()) => many.to_vec(),
        _ => return None,
    };
    let named: Vec<(String, PathBuf)> = dirs
        .into_iter()
        .map(|dir| {
            let recorded = std::fs::read_to_string(dir.join(CLUSTER_NAME_FILE))
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            let name = recorded.unwrap_or_else(|| {
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| dir.display().to_string())
            });
            (name, dir)
        })
        .collect();
    Some(named)
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
        /// Which proxies' leaf expiries to read.
        proxy_metrics: ProxyMetrics,
        /// How many clusters are read at once.
        parallel: usize,
        /// Reach the targets of Links that the run does not read, through their credentials.
        follow_links: bool,
        /// The HTTP versions spoken to API servers (`--http1`).
        http: transport::Http,
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

impl Request {
    pub fn is_live(&self) -> bool {
        matches!(self.source, Source::Live { .. })
    }

    /// The Snapshot of offline inputs (manifests or PEM files): of the dump named `cluster`
    /// when the inputs are several clusters' dumps ([`dumps`]), else of all of them.
    pub fn load_offline(&self, cluster: Option<&str>) -> anyhow::Result<Loaded> {
        let ns = self.scope.linkerd_namespace.as_str();
        let mut loaded = match &self.source {
            Source::PemFiles { anchors, cert, key } => pem_files::load(anchors, cert, key, ns),
            Source::Manifests(paths) => match (cluster, dumps(paths)) {
                (Some(name), Some(dumps)) => {
                    let Some((_, dir)) = dumps.into_iter().find(|(n, _)| n == name) else {
                        bail!("internal error: no dump of cluster {name}");
                    };
                    manifests::load(std::slice::from_ref(&dir), ns, self.limits).map(|mut l| {
                        l.server = recorded_server(&dir);
                        l
                    })
                }
                _ => manifests::load(paths, ns, self.limits).map(|mut l| {
                    if let [dir] = &paths[..] {
                        l.server = recorded_server(dir);
                    }
                    l
                }),
            },
            Source::Live { .. } => bail!("internal error: a live request read as files"),
        }?;
        loaded.snapshot.trust_namespace = self.scope.trust_namespace.clone();
        Ok(loaded)
    }

    /// Several clusters were asked for (`--context` repeated, `--all-contexts`): the run reports
    /// per cluster, even when the kubeconfig turns out to hold one context.
    pub fn per_cluster(&self) -> bool {
        match &self.source {
            Source::Manifests(paths) => dumps(paths).is_some(),
            Source::Live { contexts, .. } => match contexts {
                Contexts::Current => false,
                Contexts::Named(names) => names.len() > 1,
                Contexts::All => true,
            },
            _ => false,
        }
    }

    /// The clusters a request reads, in order: each a context to read through, or `None` for
    /// the current context (or the files of an offline request).
    pub fn clusters(&self) -> anyhow::Result<Vec<Option<String>>> {
        let Source::Live {
            kubeconfig,
            contexts,
            ..
        } = &self.source
        else {
            if let Source::Manifests(paths) = &self.source
                && let Some(dumps) = dumps(paths)
            {
                return Ok(dumps.into_iter().map(|(name, _)| Some(name)).collect());
            }
            return Ok(vec![None]);
        };
        Ok(match contexts {
            Contexts::Current => vec![None],
            Contexts::Named(names) => names.iter().cloned().map(Some).collect(),
            Contexts::All => live::all_contexts(kubeconfig.as_deref())?
                .into_iter()
                .map(Some)
                .collect(),
        })
    }

    /// The label a cluster's results go under: its context's name (the current context's when
    /// `None`), `in-cluster` for the service account, nothing for files.
    pub fn label(&self, context: Option<&str>) -> Option<String> {
        match &self.source {
            Source::Live { kubeconfig, .. } => live::context_label(kubeconfig.as_deref(), context),
            _ => context.map(String::from),
        }
    }

    /// The labels a run's clusters get (`None` for files): what a round that could not even
    /// start reading reports its failure under, so that a cluster down from the start has the
    /// same series as once it is read.
    pub fn expected_labels(&self) -> Vec<Option<String>> {
        match self.clusters() {
            Ok(clusters) => clusters
                .iter()
                .map(|context| self.label(context.as_deref()))
                .collect(),
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
            proxy_metrics,
            http,
            ..
        } = &self.source
        else {
            bail!("internal error: files read as a cluster")
        };
        let cluster = live::connect(kubeconfig.as_deref(), context, *timeout, *http).await?;
        let scope = self.scope.checks_scope();
        let opts = live::Options {
            linkerd_namespace: &self.scope.linkerd_namespace,
            trust_namespace: &self.scope.trust_namespace,
            scope: &scope,
            timeout: *timeout,
            page_size: *page_size,
            verbose: *verbose,
            limits: self.limits,
        };
        let deadline = tokio::time::Instant::now() + *timeout;
        let mut loaded = live::load(&cluster, &opts).await?;
        // What is running: the identity pods' loaded issuer, its Events, the proxies' leaves.
        runtime::gather(
            &cluster,
            &mut loaded.snapshot,
            *proxy_metrics,
            deadline,
            *verbose,
        )
        .await;
        Ok((cluster.context.clone(), loaded))
    }
}
