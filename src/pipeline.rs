//! One run, the same for every command: the settings resolved once, a source request built from
//! the command line in one place, the request's clusters read (one or many, the same way), each
//! checked, and the envelope the reporters take. `check`, `serve`, `rotation` and `snapshot` all
//! read through here.

use std::io::IsTerminal;

use anyhow::Context as _;
use meshcert_checks::check::Context;
use meshcert_checks::multicluster::Peer;
use meshcert_checks::registry;

use crate::cli::{self, AuditArgs};
use crate::report::run::{ClusterOutcome, Run};
use crate::settings;
use crate::source::{self, Limits, Loaded, Request};

/// What `check` and `serve` run: the settings (`--at`, scope, margins, levels, `--fail-on`),
/// resolved once, and what to read.
pub struct Plan {
    pub cx: Context,
    pub request: Request,
}

impl Plan {
    /// The plan of the audit options: flags, environment and policy file, and the inputs.
    pub fn of(args: &AuditArgs) -> anyhow::Result<Plan> {
        let flags = settings::Flags {
            at: args.at,
            fail_on: args.fail_on,
            min_validity: args.min_validity,
            skip: &args.skip,
            only: &args.only,
            config: args.config.as_deref(),
        };
        let cx = settings::resolve(&flags, |k| std::env::var(k).ok())?;
        let request = check_request(args)?;
        Ok(Plan {
            cx: Context {
                scope: request.scope.checks_scope(),
                ..cx
            },
            request,
        })
    }

    /// Reads the clusters and runs the checks at `at` (the plan's instant when `None`); with
    /// `rotation`, also assesses each cluster's trust-anchor rotation (for the HTML report and
    /// the metrics). An error here stops the whole run before any cluster is read (a kubeconfig
    /// that cannot list its contexts); a cluster that cannot be read is that cluster's outcome.
    pub fn run(
        &self,
        at: Option<chrono::DateTime<chrono::Utc>>,
        rotation: bool,
    ) -> anyhow::Result<Run> {
        let cx = &Context {
            at: at.unwrap_or(self.cx.at),
            ..self.cx.clone()
        };
        let reads = read(&self.request)?;
        let linked = follow_links(&self.request, &reads)?;
        // The clusters read, and the linked ones reached through their Links, for the checks of
        // linked clusters.
        let peers: Vec<Peer<'_>> = reads
            .iter()
            .filter_map(Read::peer)
            .chain(linked.iter().map(|(name, loaded)| peer(name, loaded)))
            .collect();
        let reports: Vec<Option<meshcert_checks::report::Report>> = reads
            .iter()
            .map(|r| {
                r.loaded.as_ref().ok().map(|loaded| {
                    meshcert_checks::report::run_among(&loaded.snapshot, &peers, cx, registry::ALL)
                })
            })
            .collect();
        drop(peers);
        let clusters = reads
            .into_iter()
            .zip(reports)
            .map(|(read, report)| match (read.loaded, report) {
                (Ok(loaded), Some(report)) => ClusterOutcome {
                    context: read.context,
                    outcome: Ok(report),
                    rotation: rotation
                        .then(|| {
                            meshcert_checks::rotation::assess(
                                &loaded.snapshot,
                                &cx.scope,
                                cx.at,
                                None,
                            )
                            .ok()
                        })
                        .flatten(),
                    source: Some(loaded.source),
                },
                (Err(e), _) => ClusterOutcome {
                    context: read.context,
                    source: None,
                    outcome: Err(format!("{e:#}")),
                    rotation: None,
                },
                (Ok(_), None) => unreachable!("every cluster read has a report"),
            })
            .collect();
        Ok(Run {
            clusters,
            per_cluster: self.request.per_cluster(),
            fail_on: cx.fail_on,
        })
    }
}

/// The targets of the Links of `reads` that the run did not read, reached through the Links'
/// credentials (live, unless `--no-follow-links`), each once: its name (the Link's
/// `targetClusterName`) and what was read there.
fn follow_links(request: &Request, reads: &[Read]) -> anyhow::Result<Vec<(String, Loaded)>> {
    let source::Source::Live {
        timeout,
        follow_links: true,
        http,
        ..
    } = &request.source
    else {
        return Ok(Vec::new());
    };
    let peers: Vec<Peer<'_>> = reads.iter().filter_map(Read::peer).collect();
    // (target name, its control plane's namespace, the credentials), once per server.
    let mut wanted: Vec<(
        String,
        String,
        &meshcert_checks::snapshot::SecretBytes,
        String,
    )> = Vec::new();
    for r in reads {
        let Ok(loaded) = &r.loaded else { continue };
        for v in meshcert_checks::multicluster::links(&loaded.snapshot, &peers) {
            let (None, Ok(k), Some(secret)) = (v.target, &v.credentials, &v.secret) else {
                continue;
            };
            let Some((_, raw)) = loaded.link_credentials.iter().find(|(o, _)| o == secret) else {
                continue;
            };
            let server = k.server.clone().unwrap_or_default();
            if wanted.iter().any(|w| w.3 == server) {
                continue;
            }
            let ns = v
                .link
                .target_linkerd_namespace
                .clone()
                .unwrap_or_else(|| "linkerd".into());
            wanted.push((v.target_name.clone(), ns, raw, server));
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let limits = request.limits;
    let rt = runtime()?;
    Ok(rt.block_on(async {
        let tasks = wanted.iter().map(|(name, ns, raw, _)| async move {
            let loaded = source::follow::load_linked(raw, name, ns, *timeout, *http, limits).await;
            (name.clone(), loaded)
        });
        futures::future::join_all(tasks).await
    }))
}

/// One cluster of a request, read: the label its results go under (the context it was read
/// through; `None` for files), and its Snapshot or why it could not be read.
pub struct Read {
    pub context: Option<String>,
    pub loaded: anyhow::Result<Loaded>,
}

impl Read {
    /// The cluster as the checks of linked clusters see it, when it could be read.
    pub fn peer(&self) -> Option<Peer<'_>> {
        let loaded = self.loaded.as_ref().ok()?;
        Some(peer(
            self.context.as_deref().unwrap_or("this cluster"),
            loaded,
        ))
    }
}

/// `loaded`, named `name`, as a cluster of the run for the checks of linked clusters.
fn peer<'a>(name: &str, loaded: &'a Loaded) -> Peer<'a> {
    Peer {
        name: name.to_string(),
        server: loaded.server.clone(),
        snapshot: &loaded.snapshot,
    }
}

/// Reads every cluster of a request. Files are one cluster. Clusters are read concurrently,
/// `--parallel` at a time, each within its own `--timeout`; one that fails or stalls holds none
/// of the others. On a terminal, a progress line counts them when there are several.
pub fn read(request: &Request) -> anyhow::Result<Vec<Read>> {
    let source::Source::Live { parallel, .. } = &request.source else {
        // Files: one cluster, or each dump of several clusters, named by its folder.
        return Ok(request
            .clusters()?
            .into_iter()
            .map(|name| Read {
                loaded: request.load_offline(name.as_deref()),
                context: name,
            })
            .collect());
    };
    let names = request.clusters()?;
    let rt = runtime()?;
    let progress = Progress::new(names.len());
    let reads = rt.block_on(async {
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new((*parallel).max(1)));
        let tasks = names.iter().map(|context| {
            let limit = limit.clone();
            let progress = &progress;
            async move {
                let _permit = limit.acquire().await;
                let read = match request.load_live(context.as_deref()).await {
                    Ok((name, loaded)) => Read {
                        context: Some(name),
                        loaded: Ok(loaded),
                    },
                    Err(e) => Read {
                        context: request.label(context.as_deref()),
                        loaded: Err(e),
                    },
                };
                progress.done(read.loaded.is_ok());
                read
            }
        });
        futures::future::join_all(tasks).await
    });
    progress.finish();
    Ok(reads)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `clusters: 31/48 done, 2 failed` on stderr, rewritten in place, when stderr is a terminal.
struct Progress {
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    failed: std::sync::atomic::AtomicUsize,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0.into(),
            failed: 0.into(),
            shown: std::io::stderr().is_terminal() && total > 1,
        }
    }

    fn done(&self, ok: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        let done = self.done.fetch_add(1, Relaxed) + 1;
        let failed = self.failed.fetch_add(usize::from(!ok), Relaxed) + usize::from(!ok);
        if self.shown {
            crate::elog_inline!("\rclusters: {done}/{} done, {failed} failed", self.total);
        }
    }

    fn finish(&self) {
        if self.shown {
            crate::elog!();
        }
    }
}

/// What the command line asks to read, before the scope and limits are added.
pub enum Inputs<'a> {
    Manifests(&'a [std::path::PathBuf]),
    PemFiles(&'a AuditArgs),
    /// The clusters, and how many to read at once.
    Live(source::Contexts, usize),
}

pub fn contexts_of(contexts: &cli::ContextArgs) -> source::Contexts {
    if contexts.all_contexts {
        source::Contexts::All
    } else if contexts.context.is_empty() {
        source::Contexts::Current
    } else {
        source::Contexts::Named(contexts.context.clone())
    }
}

/// The one place a source request is built from the command line.
pub fn request_of(
    cluster: &cli::ClusterArgs,
    inputs: Inputs<'_>,
    limits: Limits,
) -> anyhow::Result<Request> {
    let source = match inputs {
        Inputs::Manifests(paths) => source::Source::Manifests(paths.to_vec()),
        Inputs::PemFiles(args) => {
            match (&args.trust_anchors, &args.issuer_cert, &args.issuer_key) {
                (Some(anchors), Some(cert), Some(key)) => source::Source::PemFiles {
                    anchors: anchors.clone(),
                    cert: cert.clone(),
                    key: key.clone(),
                },
                _ => anyhow::bail!(
                    "nothing to read: give --from PATH (manifests) or --trust-anchors, --issuer-cert and --issuer-key (PEM files)"
                ),
            }
        }
        Inputs::Live(contexts, parallel) => source::Source::Live {
            parallel,
            kubeconfig: cluster.kubeconfig.clone(),
            contexts,
            timeout: cluster.timeout,
            page_size: cluster.page_size,
            verbose: cluster.verbose,
            proxy_metrics: cluster.proxy_metrics,
            follow_links: !cluster.no_follow_links,
            http: if cluster.http1 {
                source::transport::Http::Http1
            } else {
                source::transport::Http::Negotiate
            },
        },
    };
    Ok(Request {
        source,
        scope: source::Scope {
            linkerd_namespace: cluster.linkerd_namespace.clone(),
            trust_namespace: cluster.trust_namespace.clone(),
            data_plane_namespace: cluster.data_plane_namespace.clone(),
            viz_namespace: cluster.viz_namespace.clone(),
            jaeger_namespace: cluster.jaeger_namespace.clone(),
        },
        limits,
    })
}

/// `check`'s request: PEM files, manifests, or clusters.
fn check_request(args: &AuditArgs) -> anyhow::Result<Request> {
    let all_pem =
        args.trust_anchors.is_some() && args.issuer_cert.is_some() && args.issuer_key.is_some();
    let inputs = if all_pem {
        Inputs::PemFiles(args)
    } else if !args.from.is_empty() {
        Inputs::Manifests(&args.from)
    } else if args.trust_anchors.is_some() {
        // Incomplete PEM files: `request_of` says what is missing.
        Inputs::PemFiles(args)
    } else {
        Inputs::Live(contexts_of(&args.contexts), args.contexts.parallel.into())
    };
    let limits = Limits {
        max_input_bytes: args.max_input_bytes,
        max_objects: args.max_objects,
    };
    request_of(&args.cluster, inputs, limits)
}
