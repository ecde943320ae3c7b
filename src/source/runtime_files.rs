//! The runtime evidence of a dump: the metrics `meshcert dump-commands` saved, one file per pod
//! and port, `metrics/<namespace>_<pod>_<port>.metrics` (the answer of
//! `kubectl get --raw …/pods/<pod>:<port>/proxy/metrics`), or `….metrics-error` (what kubectl
//! said when it could not). Kubernetes names hold no `_`, so the name splits without doubt.
//! The Events are ordinary manifests, read with the rest.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use meshcert_checks::runtime::{
    Gathered, IDENTITY_ADMIN_PORT, ISSUER_TTL_METRIC, LEAF_EXPIRY_METRIC, PROXY_ADMIN_PORT,
    ProxySample, Scrape, gauge,
};
use meshcert_checks::snapshot::{Snapshot, Workload};

/// The file `meshcert dump-commands` writes the identity Deployment's Events to (prefixed with
/// the control plane's namespace): its presence says the Events were read, even when none were.
pub const EVENTS_SUFFIX: &str = "-identity-events.yaml";

/// The suffix of a saved answer, and of what kubectl said instead.
pub const METRICS_SUFFIX: &str = ".metrics";
pub const ERROR_SUFFIX: &str = ".metrics-error";

/// The name of the files for pod `ns/pod`'s port, without the suffix.
pub fn stem(namespace: &str, pod: &str, port: u16) -> String {
    format!("{namespace}_{pod}_{port}")
}

/// One saved file: whose metrics, and the answer or kubectl's complaint.
struct Saved {
    namespace: String,
    pod: String,
    port: u16,
    answer: Result<String, String>,
}

fn saved_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path.is_dir() {
            saved_files(&path, out)?;
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            n.ends_with(METRICS_SUFFIX) || n.ends_with(ERROR_SUFFIX) || n.ends_with(EVENTS_SUFFIX)
        }) {
            out.push(path);
        }
    }
    Ok(())
}

fn read_saved(path: &Path) -> anyhow::Result<Option<Saved>> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (stem, failed) = match name.strip_suffix(ERROR_SUFFIX) {
        Some(stem) => (stem, true),
        None => (name.strip_suffix(METRICS_SUFFIX).unwrap_or(name), false),
    };
    let parts: Vec<&str> = stem.split('_').collect();
    let [namespace, pod, port] = parts.as_slice() else {
        return Ok(None);
    };
    let Ok(port) = port.parse::<u16>() else {
        return Ok(None);
    };
    // An answer is at most a few hundred KB; a larger file is not one.
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() > 16 << 20 {
        anyhow::bail!(
            "{} is larger than 16 MiB: not a metrics answer",
            path.display()
        );
    }
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    Ok(Some(Saved {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        port,
        answer: if failed { Err(text) } else { Ok(text) },
    }))
}

/// kubectl's complaint about a refused request.
fn forbidden(text: &str) -> bool {
    text.contains("(Forbidden)") || text.contains("forbidden")
}

/// Adds the saved metrics under `paths` (the directories among them) to the Snapshot.
pub fn add(paths: &[PathBuf], snap: &mut Snapshot) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for p in paths.iter().filter(|p| p.is_dir()) {
        saved_files(p, &mut files)?;
    }
    files.sort();
    let mut identity = Vec::new();
    let mut proxies = Vec::new();
    let events_read = files.iter().any(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(EVENTS_SUFFIX))
    });
    if events_read && matches!(snap.runtime.events, Gathered::NotGathered(_)) {
        snap.runtime.events = Gathered::Got(Vec::new());
    }
    for path in &files {
        let Some(saved) = read_saved(path)? else {
            continue;
        };
        let what = format!("{}", path.display());
        match saved.port {
            IDENTITY_ADMIN_PORT => identity.push((saved, what)),
            PROXY_ADMIN_PORT => proxies.push((saved, what)),
            _ => {}
        }
    }
    let workload = |ns: &str, pod: &str| {
        let dp = &snap.data_plane;
        dp.pods
            .iter()
            .find(|p| p.name == pod && dp.namespace(p) == ns)
            .map(|p| p.workload.clone())
            .unwrap_or_else(|| Workload {
                kind: "Pod".into(),
                name: pod.to_string(),
            })
    };
    let scrape = |(s, what): &(Saved, String), metric: &str| Scrape {
        namespace: s.namespace.clone(),
        pod: s.pod.clone(),
        workload: workload(&s.namespace, &s.pod),
        value: match &s.answer {
            Ok(text) => gauge(text, metric).map_err(|e| format!("{what}: {e}")),
            // What kubectl (or the live run a snapshot wrote) said names the request.
            Err(said) => Err(said.clone()),
        },
    };
    let refused = |saved: &[(Saved, String)]| {
        saved
            .iter()
            .all(|(s, _)| s.answer.as_ref().is_err_and(|e| forbidden(e)))
    };
    if !identity.is_empty() {
        snap.runtime.identity = if refused(&identity) {
            Gathered::Forbidden(identity[0].0.answer.clone().unwrap_err())
        } else {
            Gathered::Got(
                identity
                    .iter()
                    .map(|s| scrape(s, ISSUER_TTL_METRIC))
                    .collect(),
            )
        };
    }
    if !proxies.is_empty() {
        let running = snap.data_plane.pods.iter().filter(|p| p.running).count();
        snap.runtime.proxies = if refused(&proxies) {
            Gathered::Forbidden(proxies[0].0.answer.clone().unwrap_err())
        } else {
            let mut sample = ProxySample {
                running,
                ..ProxySample::default()
            };
            for s in &proxies {
                match &s.0.answer {
                    Err(said) if forbidden(said) => {
                        if !sample.forbidden.iter().any(|(ns, _)| *ns == s.0.namespace) {
                            sample.forbidden.push((s.0.namespace.clone(), said.clone()));
                        }
                    }
                    _ => sample.scrapes.push(scrape(s, LEAF_EXPIRY_METRIC)),
                }
            }
            Gathered::Got(sample)
        };
    }
    if matches!(snap.runtime.identity, Gathered::NotGathered(_)) {
        snap.runtime.identity = Gathered::NotGathered(
            "the input holds no identity metrics (a dump by `meshcert dump-commands` has them where permitted)".into(),
        );
    }
    if matches!(snap.runtime.proxies, Gathered::NotGathered(_)) {
        snap.runtime.proxies = Gathered::NotGathered(
            "the input holds no proxy metrics (a dump by `meshcert dump-commands` has them where permitted)".into(),
        );
    }
    if matches!(snap.runtime.events, Gathered::NotGathered(_)) {
        snap.runtime.events =
            Gathered::NotGathered("the input holds no Events of linkerd-identity".into());
    }
    Ok(())
}
