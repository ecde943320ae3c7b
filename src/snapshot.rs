//! `meshcert snapshot --out DIR`: writes what a live run read, so that `meshcert check --from DIR`
//! gives the same report offline.
//!
//! - `objects.yaml`: the ConfigMaps, Secrets, Namespaces, webhook configurations and APIServices,
//!   as a kubectl `List`. Private keys never leave the cluster: each is replaced by a marker
//!   ([`meshcert_checks::key::key_marker`]) recording its algorithm and which certificate it
//!   matches, or the error reading it gave.
//! - `pods.json`: the meshed pods in reduced form (name, namespace, owner, the proxy's trust
//!   bundle), one per line.
//!
//! - the runtime evidence, as `meshcert dump-commands` lays it out: the identity Deployment's
//!   Events (`<ns>-identity-events.yaml`) and each pod's gauge as read
//!   (`metrics/<ns>_<pod>_<port>.metrics`, or `.metrics-error` with why it could not be read).
//!
//! Objects that could not be read (forbidden) cannot be written; they are named on stderr.

use crate::source::Loaded;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use meshcert_checks::key::key_marker;
use meshcert_checks::snapshot::{
    BundleRef, CaBundle, Kind, Object, ObjectState, Secret, SecretValue,
};
use serde_json::{Value, json};

const TRUST_ANCHORS_ENV: &str = "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A caBundle as written: absent, base64, or text that is not base64 (as it was read).
fn ca_bundle(c: &CaBundle) -> Option<String> {
    match c {
        None => None,
        Some(Ok(bytes)) => Some(b64(bytes)),
        Some(Err(_)) => Some("!not-base64".to_string()),
    }
}

/// The certificate key paired with a private-key key of a Secret.
fn cert_key_for(key: &str) -> Option<&'static str> {
    match key {
        "key.pem" => Some("crt.pem"),
        "tls.key" => Some("tls.crt"),
        _ => None,
    }
}

fn looks_like_key(key: &str, bytes: &[u8]) -> bool {
    if cert_key_for(key).is_some() {
        return true;
    }
    let text = String::from_utf8_lossy(bytes);
    text.contains("PRIVATE KEY-----") || text.contains("-----BEGIN EC PARAMETERS-----")
}

fn secret_data(secret: &Secret) -> serde_json::Map<String, Value> {
    let bytes_of = |k: &str| match secret.data.get(k) {
        Some(SecretValue::Bytes(b)) => Some(b.expose().to_vec()),
        _ => None,
    };
    secret
        .data
        .iter()
        .map(|(k, v)| {
            let written = match v {
                SecretValue::Undecodable(_) => "!not-base64".to_string(),
                SecretValue::Bytes(b) if looks_like_key(k, b.expose()) => {
                    let cert = cert_key_for(k).and_then(bytes_of);
                    b64(key_marker(b.expose(), cert.as_deref()).as_bytes())
                }
                SecretValue::Bytes(b) => b64(b.expose()),
            };
            (k.clone(), Value::String(written))
        })
        .chain(match &secret.kubeconfig {
            Some(Ok(k)) => Some((
                "kubeconfig".to_string(),
                Value::String(b64(kubeconfig_text(k).as_bytes())),
            )),
            _ => None,
        })
        .collect()
}

fn object_json(kind: Kind, namespace: &str, name: &str, object: &Object) -> Value {
    let mut meta = json!({ "name": name });
    if !kind.is_cluster_scoped() {
        meta["namespace"] = json!(namespace);
    }
    let mut doc = match object {
        Object::TrustBundle(b) => trust_bundle_json(kind, b),
        Object::Link(l) => link_json(l),
        Object::ConfigMap(cm) => {
            if let Some((label, bundle)) = &cm.written_by_bundle {
                meta["labels"] = json!({ label: bundle });
            }
            json!({ "apiVersion": "v1", "data": cm.data })
        }
        Object::Secret(s) => {
            let mut d = json!({ "apiVersion": "v1", "data": secret_data(s) });
            if let Some(t) = &s.type_ {
                d["type"] = json!(t);
            }
            if !s.cert_manager_annotations.is_empty() {
                meta["annotations"] = json!(s.cert_manager_annotations);
            }
            d
        }
        Object::Namespace(ns) => {
            meta["labels"] = json!(ns.labels);
            json!({ "apiVersion": "v1" })
        }
        Object::WebhookConfiguration(w) => {
            let webhooks: Vec<Value> = w
                .ca_bundles
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut client = json!({});
                    if let Some(b) = ca_bundle(c) {
                        client["caBundle"] = json!(b);
                    }
                    json!({ "name": format!("webhook-{i}.linkerd.io"), "clientConfig": client })
                })
                .collect();
            json!({ "apiVersion": "admissionregistration.k8s.io/v1", "webhooks": webhooks })
        }
        Object::ApiService(a) => {
            let mut spec = json!({});
            if let Some(b) = ca_bundle(&a.ca_bundle) {
                spec["caBundle"] = json!(b);
            }
            json!({ "apiVersion": "apiregistration.k8s.io/v1", "spec": spec })
        }
        Object::Certificate(c) => {
            let mut spec = json!({});
            let fields = [
                ("secretName", &c.secret_name),
                ("duration", &c.duration),
                ("renewBefore", &c.renew_before),
                ("renewBeforePercentage", &c.renew_before_percentage),
            ];
            for (field, value) in fields {
                if let Some(v) = value {
                    spec[field] = json!(v);
                }
            }
            if let Some(policy) = &c.rotation_policy {
                spec["privateKey"] = json!({ "rotationPolicy": policy });
            }
            let mut d = json!({ "apiVersion": "cert-manager.io/v1", "spec": spec });
            let mut status = json!({});
            if let Some(ready) = &c.ready {
                let mut cond = json!({ "type": "Ready", "status": ready.status });
                if let Some(r) = &ready.reason {
                    cond["reason"] = json!(r);
                }
                if let Some(m) = &ready.message {
                    cond["message"] = json!(m);
                }
                status["conditions"] = json!([cond]);
            }
            if let Some(t) = &c.renewal_time {
                status["renewalTime"] = json!(t);
            }
            if status != json!({}) {
                d["status"] = status;
            }
            d
        }
    };
    doc["kind"] = json!(kind.as_str());
    doc["metadata"] = meta;
    doc
}

/// A Link as the checks read it, in its own API version.
fn link_json(l: &meshcert_checks::snapshot::Link) -> Value {
    let mut spec = json!({});
    let fields = [
        ("targetClusterName", &l.target_cluster_name),
        ("targetClusterDomain", &l.target_cluster_domain),
        ("targetClusterLinkerdNamespace", &l.target_linkerd_namespace),
        ("clusterCredentialsSecret", &l.credentials_secret),
        ("gatewayIdentity", &l.gateway_identity),
    ];
    for (field, value) in fields {
        if let Some(v) = value {
            spec[field] = json!(v);
        }
    }
    json!({ "apiVersion": l.api_version, "spec": spec })
}

/// A Link's credentials as a kubeconfig holding what meshcert kept: the server, the CA and
/// client certificate, and for a token only a stand-in carrying its expiry (no signature, no
/// claim but `exp`), so that an offline run of the snapshot reads what the live run read.
fn kubeconfig_text(k: &meshcert_checks::snapshot::RemoteKubeconfig) -> String {
    use base64::Engine as _;
    use meshcert_checks::snapshot::TokenExpiry;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let url = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let cluster_name = k.cluster.clone().unwrap_or_else(|| "target".into());
    let mut cluster = json!({});
    if let Some(s) = &k.server {
        cluster["server"] = json!(s);
    }
    if let Some(ca) = &k.ca {
        cluster["certificate-authority-data"] = json!(b64(ca));
    }
    let mut user = json!({});
    if let Some(c) = &k.client_certificate {
        user["client-certificate-data"] = json!(b64(c));
    }
    match k.token {
        TokenExpiry::NoToken => {}
        TokenExpiry::NoExpiry => user["token"] = json!("redacted-by-meshcert"),
        TokenExpiry::Expires(exp) => {
            user["token"] = json!(format!(
                "{}.{}.redacted-by-meshcert",
                url("{\"alg\":\"none\"}"),
                url(&format!("{{\"exp\":{exp}}}"))
            ))
        }
    }
    json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "meshcert",
        "contexts": [{"name": "meshcert", "context": {"cluster": cluster_name, "user": "meshcert"}}],
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": [{"name": "meshcert", "user": user}],
    })
    .to_string()
}

/// The runtime evidence in the layout of `meshcert dump-commands`, so that an offline run of the
/// snapshot reads what the live run read.
fn write_runtime(snap: &meshcert_checks::snapshot::Snapshot, dir: &Path) -> anyhow::Result<()> {
    use crate::source::runtime_files as files;
    use meshcert_checks::runtime::{
        Gathered, IDENTITY_ADMIN_PORT, IDENTITY_DEPLOYMENT, ISSUER_TTL_METRIC, LEAF_EXPIRY_METRIC,
        PROXY_ADMIN_PORT, Scrape,
    };
    let ns = snap.linkerd_namespace.as_str();
    let runtime = &snap.runtime;
    if let Gathered::Got(events) = &runtime.events {
        let items: Vec<Value> = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut doc = json!({
                    "apiVersion": "v1", "kind": "Event",
                    "metadata": { "name": format!("{IDENTITY_DEPLOYMENT}.{i}"), "namespace": ns },
                    "involvedObject": { "kind": "Deployment", "name": IDENTITY_DEPLOYMENT, "namespace": ns },
                    "reason": e.reason, "message": e.message,
                });
                if let Some(at) = e.at {
                    doc["lastTimestamp"] = json!(meshcert_checks::cert::format_time(at));
                }
                doc
            })
            .collect();
        let list = json!({ "apiVersion": "v1", "kind": "List", "items": items });
        let yaml = serde_saphyr::to_string(&list).context("cannot write the Events as YAML")?;
        let path = dir.join(format!("{ns}{}", files::EVENTS_SUFFIX));
        std::fs::write(&path, yaml).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let metrics = dir.join("metrics");
    let write = |name: String, text: String| -> anyhow::Result<()> {
        std::fs::create_dir_all(&metrics)
            .with_context(|| format!("cannot create {}", metrics.display()))?;
        let path = metrics.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    let scrape = |s: &Scrape, port: u16, metric: &str| -> anyhow::Result<()> {
        let stem = files::stem(&s.namespace, &s.pod, port);
        match &s.value {
            Ok(v) => write(
                format!("{stem}{}", files::METRICS_SUFFIX),
                format!("{metric} {v}\n"),
            ),
            Err(why) => write(format!("{stem}{}", files::ERROR_SUFFIX), format!("{why}\n")),
        }
    };
    match &runtime.identity {
        Gathered::Got(scrapes) => {
            for s in scrapes {
                scrape(s, IDENTITY_ADMIN_PORT, ISSUER_TTL_METRIC)?;
            }
        }
        // One file says it for every identity pod (whose names a refused run never learnt).
        Gathered::Forbidden(why) => write(
            format!(
                "{}{}",
                files::stem(ns, "forbidden", IDENTITY_ADMIN_PORT),
                files::ERROR_SUFFIX
            ),
            format!("{why}\n"),
        )?,
        Gathered::NotGathered(_) => {}
    }
    if let Gathered::Got(sample) = &runtime.proxies {
        for s in &sample.scrapes {
            scrape(s, PROXY_ADMIN_PORT, LEAF_EXPIRY_METRIC)?;
        }
        for (ns, why) in &sample.forbidden {
            write(
                format!(
                    "{}{}",
                    files::stem(ns, "forbidden", PROXY_ADMIN_PORT),
                    files::ERROR_SUFFIX
                ),
                format!("{why}\n"),
            )?;
        }
    }
    Ok(())
}

/// A Bundle (v1alpha1) or ClusterBundle (v1alpha2) as trust-manager's API writes it, holding
/// what meshcert read of it.
fn trust_bundle_json(kind: Kind, b: &meshcert_checks::snapshot::TrustBundle) -> Value {
    let mut target = json!({});
    if let Some(s) = &b.namespace_selector {
        target["namespaceSelector"] = json!({ "matchLabels": s.match_labels });
        if s.has_expressions {
            // What the expressions were is not kept; that there were some is.
            target["namespaceSelector"]["matchExpressions"] =
                json!([{ "key": "meshcert.io/not-kept", "operator": "Exists" }]);
        }
    }
    let mut doc = if kind == Kind::ClusterBundle {
        let refs: Vec<Value> = b
            .sources
            .iter()
            .map(|s| json!({ "kind": s.kind, "name": s.name, "key": s.key }))
            .collect();
        if !b.target_keys.is_empty() {
            let data: Vec<Value> = b.target_keys.iter().map(|k| json!({ "key": k })).collect();
            target["configMap"] = json!({ "data": data });
        }
        json!({ "apiVersion": "trust-manager.io/v1alpha2", "spec": { "sourceRefs": refs, "target": target } })
    } else {
        let sources: Vec<Value> = b
            .sources
            .iter()
            .map(|s| match s.kind.as_str() {
                "Secret" => json!({ "secret": { "name": s.name, "key": s.key } }),
                "ConfigMap" => json!({ "configMap": { "name": s.name, "key": s.key } }),
                "useDefaultCAs" => json!({ "useDefaultCAs": true }),
                other => json!({ other: "" }),
            })
            .collect();
        if let Some(key) = b.target_keys.first() {
            target["configMap"] = json!({ "key": key });
        }
        json!({ "apiVersion": "trust.cert-manager.io/v1alpha1", "spec": { "sources": sources, "target": target } })
    };
    if let Some(c) = &b.synced {
        let mut cond = json!({ "type": "Synced", "status": c.status });
        if let Some(r) = &c.reason {
            cond["reason"] = json!(r);
        }
        if let Some(m) = &c.message {
            cond["message"] = json!(m);
        }
        doc["status"] = json!({ "conditions": [cond] });
    }
    doc
}

/// What was written, and what could not be.
pub struct Written {
    pub objects: usize,
    pub pods: usize,
    pub unreadable: Vec<String>,
}

pub fn write(loaded: &Loaded, dir: &Path) -> anyhow::Result<Written> {
    let snap = &loaded.snapshot;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut items = Vec::new();
    let mut unreadable = Vec::new();
    for (oref, state) in snap.objects() {
        match state {
            ObjectState::Present { object, .. } => {
                items.push(object_json(oref.kind, &oref.namespace, &oref.name, object))
            }
            ObjectState::Forbidden(why) => unreadable.push(format!("{oref}: {why}")),
        }
    }
    if let Some(why) = &snap.data_plane_unavailable {
        unreadable.push(format!("meshed pods: {why}"));
    }
    let objects = items.len();
    let list = json!({ "apiVersion": "v1", "kind": "List", "metadata": { "resourceVersion": "" }, "items": items });
    let yaml = serde_saphyr::to_string(&list).context("cannot write the objects as YAML")?;
    let header = format!(
        "# meshcert snapshot of {}; private keys are replaced by markers\n",
        loaded.source
    );
    std::fs::write(dir.join("objects.yaml"), header + &yaml)
        .with_context(|| format!("cannot write {}", dir.display()))?;

    let path = dir.join("pods.json");
    let file =
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let dp = &snap.data_plane;
    out.write_all(b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[")?;
    for (i, pod) in dp.pods.iter().enumerate() {
        let var = match pod.bundle {
            BundleRef::Value(id) => {
                json!({ "name": TRUST_ANCHORS_ENV, "value": dp.bundles[id as usize] })
            }
            BundleRef::Reference => json!({ "name": TRUST_ANCHORS_ENV,
                "valueFrom": { "configMapKeyRef": { "name": "linkerd-identity-trust-roots", "key": "ca-bundle.crt" } } }),
        };
        let proxy = json!([{ "name": "linkerd-proxy", "env": [var] }]);
        let spec = if pod.native_sidecar {
            json!({ "initContainers": proxy })
        } else {
            json!({ "containers": proxy })
        };
        let mut meta = json!({ "name": pod.name, "namespace": dp.namespace(pod),
                               "labels": { "linkerd.io/control-plane-ns": snap.linkerd_namespace } });
        if let Some(component) = &pod.component {
            meta["labels"][meshcert_checks::runtime::COMPONENT_LABEL] = json!(component);
        }
        if let Some(t) = pod.created {
            meta["creationTimestamp"] = json!(meshcert_checks::cert::format_time(t));
        }
        if pod.workload.kind != "Pod" {
            meta["ownerReferences"] = json!([{ "kind": pod.workload.kind, "name": pod.workload.name, "controller": true }]);
        }
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        let mut doc = json!({ "kind": "Pod", "metadata": meta, "spec": spec });
        if pod.running {
            doc["status"] = json!({ "phase": "Running" });
        }
        serde_json::to_writer(&mut out, &doc)?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    write_runtime(snap, dir)?;
    Ok(Written {
        objects,
        pods: dp.pods.len(),
        unreadable,
    })
}
