//! The live source's runtime evidence: the identity controller's issuer Events, the issuer its
//! Running pods have loaded (port 9990), and a sample of the proxies' leaf expiries (port 4191),
//! through the API server's `pods/proxy` subresource. Nothing here fails a run: what cannot be
//! read is recorded as such, and the checks that need it skip or name it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt as _;
use meshcert_checks::runtime::{
    COMPONENT_LABEL, Gathered, IDENTITY_ADMIN_PORT, IDENTITY_DEPLOYMENT, ISSUER_TTL_METRIC,
    IssuerEvent, LEAF_EXPIRY_METRIC, PROXY_ADMIN_PORT, ProxySample, Scrape, gauge,
};
use meshcert_checks::snapshot::{Snapshot, Workload};
use tokio::time::Instant;

use super::ingest::issuer_event;
use super::kube_types::Manifest;
use super::live::{Cluster, Fetched, GiveUp, get, get_with, list_path};

/// How many proxies `--proxy-metrics` asks by default: enough to see a pattern, few enough that a
/// 100,000-pod cluster's run stays within its budget.
pub const DEFAULT_PROXY_SAMPLE: usize = 100;
/// The longest one pod's metrics may take.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);
/// Proxies asked at once.
const CONCURRENCY: usize = 16;

/// Which proxies' metrics a run reads (`--proxy-metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMetrics {
    Off,
    /// At most this many, spread over the workloads.
    Sample(usize),
    All,
}

impl std::str::FromStr for ProxyMetrics {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(ProxyMetrics::Off),
            "all" => Ok(ProxyMetrics::All),
            n => n.parse::<usize>().map(ProxyMetrics::Sample).map_err(|_| {
                format!("invalid --proxy-metrics {n:?}: expected all, off or a number of pods")
            }),
        }
    }
}

impl Default for ProxyMetrics {
    fn default() -> Self {
        ProxyMetrics::Sample(DEFAULT_PROXY_SAMPLE)
    }
}

/// What the reads of one kind came to, as runtime evidence.
fn evidence<T>(answer: Result<Fetched, GiveUp>, needs: &str) -> Result<String, Gathered<T>> {
    match answer {
        Ok(Fetched::Found(text)) => Ok(text),
        Ok(Fetched::NotFound) => Ok(String::new()),
        Ok(Fetched::Forbidden(why)) => Err(Gathered::Forbidden(format!(
            "forbidden ({why}); meshcert needs {needs}"
        ))),
        Ok(Fetched::Expired(why) | Fetched::Unavailable(why))
        | Err(GiveUp::Unavailable(why) | GiveUp::Failed(why) | GiveUp::Unreachable(why)) => Err(
            Gathered::NotGathered(format!("the API server did not answer: {why}")),
        ),
    }
}

/// The list's items as Manifests (an empty answer: none).
fn items(text: &str) -> Vec<Manifest> {
    #[derive(serde::Deserialize, Default)]
    struct List {
        #[serde(default)]
        items: Vec<Manifest>,
    }
    serde_json::from_str::<List>(text).unwrap_or_default().items
}

async fn events(
    cluster: &Cluster,
    ns: &str,
    deadline: Instant,
    verbose: bool,
) -> Gathered<Vec<IssuerEvent>> {
    let path = format!(
        "/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3D{IDENTITY_DEPLOYMENT}"
    );
    let needs = format!(
        "a Role in namespace {ns} with apiGroups: [\"\"], resources: [\"events\"], verbs: [\"list\"]"
    );
    match evidence(get(cluster, &path, deadline, verbose).await, &needs) {
        Ok(text) => Gathered::Got(
            items(&text)
                .iter()
                .filter_map(|e| issuer_event(e, ns))
                .collect(),
        ),
        Err(gathered) => gathered,
    }
}

/// One pod's gauge, through the API server, within [`SCRAPE_TIMEOUT`].
async fn scrape(
    cluster: &Cluster,
    (ns, pod, port): (&str, &str, u16),
    metric: &str,
    deadline: Instant,
    verbose: bool,
) -> Result<Result<f64, String>, String> {
    let path = format!("/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/metrics");
    let deadline = deadline.min(Instant::now() + SCRAPE_TIMEOUT);
    match get_with(cluster, &path, deadline, verbose, false).await {
        Ok(Fetched::Found(text)) => {
            Ok(gauge(&text, metric).map_err(|e| format!("GET {path}: {e}")))
        }
        Ok(Fetched::Forbidden(why)) => Err(why),
        Ok(Fetched::NotFound) => Ok(Err(format!("GET {path}: 404 (the pod is gone?)"))),
        Ok(Fetched::Expired(why) | Fetched::Unavailable(why)) => Ok(Err(why)),
        Err(GiveUp::Unavailable(why) | GiveUp::Failed(why) | GiveUp::Unreachable(why)) => {
            Ok(Err(why))
        }
    }
}

async fn identity(
    cluster: &Cluster,
    ns: &str,
    deadline: Instant,
    verbose: bool,
) -> Gathered<Vec<Scrape>> {
    let pods_path = {
        use k8s_openapi::api::core::v1::Pod;
        use kube::core::Resource;
        let params = kube::core::params::ListParams::default()
            .labels(&format!("{COMPONENT_LABEL}=identity"));
        match list_path(Pod::url_path(&(), Some(ns)), &params) {
            Ok(path) => path,
            Err(e) => return Gathered::NotGathered(format!("{e:#}")),
        }
    };
    let needs = format!(
        "a ClusterRole (or a Role in namespace {ns}) with apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"list\"]"
    );
    let pods = match evidence(get(cluster, &pods_path, deadline, verbose).await, &needs) {
        Ok(text) => items(&text),
        Err(gathered) => return gathered,
    };
    let mut out = Vec::new();
    for pod in pods {
        let running = pod
            .status
            .as_ref()
            .is_some_and(|s| s.phase == super::kube_types::Text::Is("Running".into()));
        let meta = pod.metadata.unwrap_or_default();
        let Some(name) = meta.name.filter(|_| running) else {
            continue;
        };
        match scrape(
            cluster,
            (ns, &name, IDENTITY_ADMIN_PORT),
            ISSUER_TTL_METRIC,
            deadline,
            verbose,
        )
        .await
        {
            Ok(value) => out.push(Scrape {
                namespace: ns.to_string(),
                workload: Workload {
                    kind: "Deployment".into(),
                    name: IDENTITY_DEPLOYMENT.into(),
                },
                pod: name,
                value,
            }),
            Err(why) => {
                return Gathered::Forbidden(format!(
                    "forbidden ({why}); meshcert needs a Role in namespace {ns} with apiGroups: [\"\"], resources: [\"pods/proxy\"], verbs: [\"get\"] (the opt-in deploy/base/opt-in/identity-metrics.yaml)"
                ));
            }
        }
    }
    Gathered::Got(out)
}

async fn proxies(
    cluster: &Cluster,
    snap: &Snapshot,
    which: ProxyMetrics,
    deadline: Instant,
    verbose: bool,
) -> Gathered<ProxySample> {
    let limit = match which {
        ProxyMetrics::Off => return Gathered::NotGathered("--proxy-metrics off".into()),
        ProxyMetrics::Sample(n) => Some(n),
        ProxyMetrics::All => None,
    };
    if let Some(why) = &snap.data_plane_unavailable {
        return Gathered::NotGathered(why.clone());
    }
    let dp = &snap.data_plane;
    let picked = dp.spread_sample(limit);
    let forbidden: Mutex<BTreeMap<String, String>> = Mutex::default();
    let forbidden = &forbidden;
    let mut scraped: Vec<(usize, Scrape)> = futures::stream::iter(picked.into_iter().enumerate())
        .map(|(order, i)| async move {
            let pod = &dp.pods[i];
            let ns = dp.namespace(pod);
            if forbidden
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(ns)
            {
                return None;
            }
            let value = if Instant::now() >= deadline {
                Ok(Err("not read within --timeout".to_string()))
            } else {
                scrape(
                    cluster,
                    (ns, &pod.name, PROXY_ADMIN_PORT),
                    LEAF_EXPIRY_METRIC,
                    deadline,
                    verbose,
                )
                .await
            };
            match value {
                Ok(value) => Some((
                    order,
                    Scrape {
                        namespace: ns.to_string(),
                        pod: pod.name.clone(),
                        workload: pod.workload.clone(),
                        value,
                    },
                )),
                Err(why) => {
                    forbidden
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(ns.to_string())
                        .or_insert(why);
                    None
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    scraped.sort_by_key(|(order, _)| *order);
    let forbidden = std::mem::take(&mut *forbidden.lock().unwrap_or_else(|e| e.into_inner()));
    let needs = "a ClusterRole (or a Role in each meshed namespace) with apiGroups: [\"\"], resources: [\"pods/proxy\"], verbs: [\"get\"] (the opt-in deploy/base/opt-in/proxy-metrics.yaml)";
    if scraped.is_empty()
        && let Some((ns, why)) = forbidden.iter().next()
    {
        return Gathered::Forbidden(format!(
            "forbidden in namespace {ns} ({why}); meshcert needs {needs}"
        ));
    }
    Gathered::Got(ProxySample {
        running: dp.pods.iter().filter(|p| p.running).count(),
        scrapes: scraped.into_iter().map(|(_, s)| s).collect(),
        forbidden: forbidden
            .into_iter()
            .map(|(ns, why)| (ns, format!("forbidden ({why}); meshcert needs {needs}")))
            .collect(),
    })
}

/// Reads the runtime evidence into `snap` (after its meshed pods are in).
pub(super) async fn gather(
    cluster: &Cluster,
    snap: &mut Snapshot,
    which: ProxyMetrics,
    deadline: Instant,
    verbose: bool,
) {
    let ns = snap.linkerd_namespace.clone();
    let (events, identity, proxies) = tokio::join!(
        events(cluster, &ns, deadline, verbose),
        identity(cluster, &ns, deadline, verbose),
        proxies(cluster, snap, which, deadline, verbose),
    );
    snap.runtime.events = events;
    snap.runtime.identity = identity;
    snap.runtime.proxies = proxies;
}
