//! Kubernetes objects to a Snapshot, shared by the offline and the live source: YAML streams one
//! document at a time, JSON Lists through a chunked scanner and worker threads, typed lists of an
//! API server, pods reduced to a summary as they arrive.

use super::json_stream::{self, Batch, ScanError};
use super::kube_types::*;
use super::limits::*;
use anyhow::{anyhow, bail};
use base64::Engine as _;
use meshcert_checks::reads::MESHED_LABEL;
use meshcert_checks::runtime::{COMPONENT_LABEL, Gathered, IDENTITY_DEPLOYMENT, IssuerEvent};
use meshcert_checks::snapshot::{
    ApiService, BUNDLE_LABELS, BundleRef, CaBundle, ConfigMap, Kind, Namespace, Object, ObjectRef,
    ObjectState, PodSummary, Secret, SecretBytes, SecretValue, Snapshot, WebhookConfiguration,
    Workload,
};
use serde_json::Value;
use std::io::Read;
use std::sync::{Arc, Mutex, mpsc};

pub(crate) fn string_map(
    value: Option<&Value>,
    field: &str,
    what: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(anyhow!("{what}: {field}.{k} is not a string")),
            })
            .collect(),
        Some(_) => bail!("{what}: {field} is not a map"),
    }
}

pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| e.to_string())
}

/// A base64 field that may be absent (`caBundle`).
pub(crate) fn ca_bundle(v: Option<&Value>) -> CaBundle {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(decode_base64(s)),
        Some(_) => Some(Err("not a string".to_string())),
    }
}

pub(crate) fn is_list(m: &Manifest) -> bool {
    m.kind
        .as_deref()
        .is_some_and(|k| k == "List" || k.ends_with("List"))
}

/// The workload owning a pod: its controller, with a ReplicaSet named `<deploy>-<pod-template-hash>`
/// read as its Deployment; a pod without owner is its own workload.
pub(crate) fn workload(meta: &Metadata, pod_name: &str) -> Workload {
    let owners = meta.owner_references.as_deref().unwrap_or_default();
    let Some(owner) = owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or(owners.first())
    else {
        return Workload {
            kind: "Pod".into(),
            name: pod_name.into(),
        };
    };
    let kind = owner.kind.clone().unwrap_or_default();
    let name = owner.name.clone().unwrap_or_default();
    if kind == "ReplicaSet" {
        let hash = meta
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"))
            .and_then(Value::as_str);
        if let Some(deploy) = hash.and_then(|h| name.strip_suffix(&format!("-{h}"))) {
            return Workload {
                kind: "Deployment".into(),
                name: deploy.into(),
            };
        }
    }
    Workload { kind, name }
}

/// A Snapshot and where it was read from: the `source` label the run's reports carry
/// ("manifests: …", "files: …", "cluster: <context> (<server>)").
pub struct Loaded {
    pub snapshot: Snapshot,
    pub source: String,
    /// The API server it was read from (live), which a linked cluster's credentials name.
    pub server: Option<String>,
    /// The Links' credentials as read (their kubeconfigs, tokens included), kept in memory only
    /// to reach a linked cluster the run does not read (never on the Snapshot, never written).
    pub link_credentials: Vec<(ObjectRef, SecretBytes)>,
}

/// The key of a Link's credentials Secret that holds the target's kubeconfig.
const LINK_CREDENTIALS_KEY: &str = "kubeconfig";

/// Accumulates documents into a Snapshot.
pub(crate) struct Builder {
    pub(crate) snap: Snapshot,
    /// The Links' credentials, raw: see [`Loaded::link_credentials`].
    pub(crate) link_credentials: Vec<(ObjectRef, SecretBytes)>,
    /// Objects (documents and List items, of any kind) read so far, and the most allowed.
    pub(crate) objects: usize,
    pub(crate) max_objects: usize,
}

impl Builder {
    pub(crate) fn new(snap: Snapshot, limits: Limits) -> Builder {
        Builder {
            snap,
            link_credentials: Vec::new(),
            objects: 0,
            max_objects: limits.max_objects,
        }
    }

    /// Counts one object against `--max-objects`.
    fn count(&mut self) -> anyhow::Result<()> {
        self.objects += 1;
        if self.objects > self.max_objects {
            bail!(
                "more than {} objects in the input: a hostile or mistaken input? (raise the limit with --max-objects)",
                self.max_objects
            );
        }
        Ok(())
    }

    /// Adds one object given as JSON (an API server's answer).
    pub(crate) fn add_json(&mut self, json: &[u8], from: &str) -> anyhow::Result<()> {
        let doc: Manifest = serde_json::from_slice(json)
            .map_err(|e| anyhow!("{from}: invalid JSON: {}", redact(&e.to_string())))?;
        self.add(doc, from)
    }

    fn add(&mut self, mut doc: Manifest, from: &str) -> anyhow::Result<()> {
        self.count()?;
        if is_list(&doc) {
            let item_kind = doc.kind.as_deref().and_then(list_item_kind);
            for mut item in doc.items.unwrap_or_default() {
                if item.kind.is_none() && item_kind.is_some() {
                    item.kind = item_kind.clone();
                    item.api_version = item.api_version.or(doc.api_version.clone());
                }
                self.add(item, from)?;
            }
            return Ok(());
        }
        let Some(kind) = doc.kind.as_deref() else {
            return Ok(());
        };
        if kind == "Pod" {
            if let Some(pod) = reduce_pod(doc) {
                self.push_pod(pod);
            }
            return Ok(());
        }
        if kind == "Event" {
            let ns = self.snap.linkerd_namespace.clone();
            if let Some(event) = issuer_event(&doc, &ns) {
                match &mut self.snap.runtime.events {
                    Gathered::Got(events) => events.push(event),
                    other => *other = Gathered::Got(vec![event]),
                }
            }
            return Ok(());
        }
        let Some(kind) = Kind::from_name(kind) else {
            return Ok(());
        };
        // Only cert-manager's Certificate and trust-manager's bundles, not another group's kind
        // of that name.
        if kind == Kind::Certificate
            && !doc
                .api_version
                .as_deref()
                .is_some_and(|v| v.starts_with("cert-manager.io/"))
            || !super::trust_bundle::is_trust_managers(kind, doc.api_version.as_deref())
            || kind == Kind::Link && !super::link::is_linkerds(doc.api_version.as_deref())
        {
            return Ok(());
        }
        let meta = doc.metadata.take().unwrap_or_default();
        let name = meta
            .name
            .ok_or_else(|| anyhow!("{from}: a {} without metadata.name", kind.as_str()))?;
        let oref = ObjectRef::new(kind, meta.namespace.as_deref().unwrap_or("default"), name);
        let what = format!("{from}: {oref}");
        let object = match kind {
            Kind::ConfigMap => Object::ConfigMap(ConfigMap {
                data: string_map(doc.data.as_ref(), "data", &what)?
                    .into_iter()
                    .collect(),
                written_by_bundle: BUNDLE_LABELS.iter().find_map(|label| {
                    let name = meta.labels.as_ref()?.get(*label)?.as_str()?;
                    Some((label.to_string(), name.to_string()))
                }),
            }),
            Kind::Secret => {
                let annotations = meta
                    .annotations
                    .as_ref()
                    .map(|a| Value::Object(a.0.clone().into_iter().collect()));
                let mut secret = Secret {
                    type_: doc.type_.clone(),
                    cert_manager_annotations: string_map(
                        annotations.as_ref(),
                        "metadata.annotations",
                        &what,
                    )?
                    .into_iter()
                    .collect(),
                    ..Default::default()
                };
                for (k, v) in string_map(doc.data.as_ref(), "data", &what)? {
                    let value = match decode_base64(&v) {
                        Ok(bytes) => SecretValue::Bytes(SecretBytes::new(bytes)),
                        Err(why) => SecretValue::Undecodable(why),
                    };
                    secret.data.insert(k, value);
                }
                // As the API server does, stringData wins over data.
                for (k, v) in string_map(doc.string_data.as_ref(), "stringData", &what)? {
                    secret
                        .data
                        .insert(k, SecretValue::Bytes(SecretBytes::new(v.into_bytes())));
                }
                // Only the issuer's and the webhooks' keys are checked (as linkerd does); any
                // other Secret's private key (the trust anchor's) is dropped as it is read.
                // A Link's credentials: reduced to what they point at; the token never kept.
                if let Some(value) = secret.data.remove(LINK_CREDENTIALS_KEY) {
                    secret.kubeconfig = Some(match value {
                        SecretValue::Bytes(b) => {
                            let reduced = super::link::remote_kubeconfig(b.expose());
                            self.link_credentials.push((oref.clone(), b));
                            reduced
                        }
                        SecretValue::Undecodable(why) => {
                            Err(format!("key {LINK_CREDENTIALS_KEY} is not base64: {why}"))
                        }
                    });
                }
                if !super::secret_keys::keys_checked(&oref) {
                    secret
                        .data
                        .retain(|k, v| !super::secret_keys::holds_private_key(k, v));
                }
                Object::Secret(secret)
            }
            Kind::Namespace => {
                let labels = meta.labels.map(|l| Value::Object(l.into_iter().collect()));
                Object::Namespace(Namespace {
                    labels: string_map(labels.as_ref(), "metadata.labels", &what)?
                        .into_iter()
                        .collect(),
                })
            }
            Kind::MutatingWebhookConfiguration | Kind::ValidatingWebhookConfiguration => {
                Object::WebhookConfiguration(WebhookConfiguration {
                    ca_bundles: doc
                        .webhooks
                        .unwrap_or_default()
                        .iter()
                        .map(|w| {
                            ca_bundle(w.client_config.as_ref().and_then(|c| c.ca_bundle.as_ref()))
                        })
                        .collect(),
                })
            }
            Kind::APIService => Object::ApiService(ApiService {
                ca_bundle: ca_bundle(doc.spec.as_ref().and_then(|s| s.ca_bundle.as_ref())),
            }),
            Kind::Certificate => {
                Object::Certificate(Box::new(super::certificate::certificate(&doc, &what)?))
            }
            Kind::Bundle | Kind::ClusterBundle => {
                Object::TrustBundle(super::trust_bundle::trust_bundle(&doc))
            }
            Kind::Link => Object::Link(super::link::link(&doc)),
        };
        let state = ObjectState::Present {
            object: object.clone(),
            from: from.to_string(),
        };
        if let Some(ObjectState::Present {
            object: earlier,
            from: earlier_from,
        }) = self.snap.insert(oref.clone(), state)
            && earlier != object
        {
            bail!("{oref} appears twice with different contents: in {earlier_from} and in {from}");
        }
        Ok(())
    }

    fn push_pod(&mut self, pod: PodRecord) {
        let dp = &mut self.snap.data_plane;
        let bundle = match &pod.bundle {
            Some(text) => BundleRef::Value(dp.bundle_id(text)),
            None => BundleRef::Reference,
        };
        let namespace = dp.namespace_id(&pod.namespace);
        dp.pods.push(PodSummary {
            namespace,
            name: pod.name,
            workload: pod.workload,
            bundle,
            native_sidecar: pod.native_sidecar,
            created: pod.created,
            running: pod.running,
            component: pod.component,
        });
    }

    fn merge(&mut self, reduced: Reduced, from: &str) -> anyhow::Result<()> {
        match reduced {
            Reduced::Pod(pod) => {
                self.count()?;
                self.push_pod(pod)
            }
            Reduced::Other(doc) => self.add(*doc, from)?,
            Reduced::Nothing => self.count()?,
        }
        Ok(())
    }
}

/// A meshed pod as read, before its namespace and bundle are interned.
pub(crate) struct PodRecord {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) workload: Workload,
    /// The literal bundle, or `None` when the proxy reads it through `valueFrom`.
    pub(crate) bundle: Option<String>,
    pub(crate) native_sidecar: bool,
    pub(crate) created: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) running: bool,
    pub(crate) component: Option<String>,
}

/// A document reduced to what the Snapshot keeps of it (done on worker threads).
pub(crate) enum Reduced {
    Pod(PodRecord),
    Other(Box<Manifest>),
    Nothing,
}

pub(crate) fn reduce(doc: Manifest) -> Reduced {
    match doc.kind.as_deref() {
        Some("Pod") => reduce_pod(doc).map_or(Reduced::Nothing, Reduced::Pod),
        Some("Event") => Reduced::Other(Box::new(doc)),
        Some(k) if Kind::from_name(k).is_some() || is_list(&doc) => Reduced::Other(Box::new(doc)),
        _ => Reduced::Nothing,
    }
}

/// An Event the identity controller recorded on its Deployment in the control plane's namespace;
/// other Events are not kept.
pub(crate) fn issuer_event(doc: &Manifest, linkerd_ns: &str) -> Option<IssuerEvent> {
    let meta = doc.metadata.as_ref();
    let ns = meta.and_then(|m| m.namespace.as_deref());
    let involved = doc.involved_object.as_ref()?;
    if involved.get("name")?.as_str()? != IDENTITY_DEPLOYMENT
        || ns.is_some_and(|ns| ns != linkerd_ns)
    {
        return None;
    }
    let text = |v: &Option<Value>| v.as_ref().and_then(|v| v.as_str()).map(String::from);
    let time = |v: Option<&Value>| {
        v.and_then(|v| v.as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
    };
    let at = [
        time(doc.last_timestamp.as_ref()),
        time(doc.event_time.as_ref()),
        time(doc.series.as_ref().and_then(|s| s.get("lastObservedTime"))),
        time(doc.first_timestamp.as_ref()),
        meta.and_then(|m| m.creation_timestamp.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc()),
    ]
    .into_iter()
    .flatten()
    .max();
    Some(IssuerEvent {
        reason: text(&doc.reason)?,
        message: text(&doc.message).unwrap_or_default(),
        at,
    })
}

/// A meshed pod's summary; other pods, and proxies without a trust bundle variable, are not
/// recorded (as linkerd does not record them).
pub(crate) fn reduce_pod(doc: Manifest) -> Option<PodRecord> {
    let meta = doc.metadata.unwrap_or_default();
    if !meta
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(MESHED_LABEL))
    {
        return None;
    }
    let spec = doc.spec.unwrap_or_default();
    let proxies = [(true, spec.init_containers), (false, spec.containers)];
    let (native_sidecar, var) = proxies.into_iter().find_map(|(native, containers)| {
        let proxy = containers?
            .into_iter()
            .find(|c| c.name.as_deref() == Some(PROXY_CONTAINER))?;
        let var = proxy.env?.0?;
        Some((native, var))
    })?;
    let bundle = match var.value_from {
        Some(_) => None,
        None => Some(var.value.unwrap_or_default()),
    };
    let name = meta.name.clone().unwrap_or_default();
    let running = doc
        .status
        .as_ref()
        .is_some_and(|s| s.phase == Text::Is("Running".into()));
    let component = meta
        .labels
        .as_ref()
        .and_then(|l| l.get(COMPONENT_LABEL))
        .and_then(|v| v.as_str())
        .map(String::from);
    // The API server always sets it; a dump's unreadable value is taken as unknown.
    let created = meta
        .creation_timestamp
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc());
    Some(PodRecord {
        created,
        running,
        component,
        namespace: meta.namespace.clone().unwrap_or_else(|| "default".into()),
        workload: workload(&meta, &name),
        name,
        bundle,
        native_sidecar,
    })
}

/// Reads a JSON document. A List's `items` are found by [`json_stream::scan`] as the input is
/// read, and parsed and reduced on worker threads; the Snapshot is built on this thread.
/// Returns the document's other top-level fields (a List's `metadata`, with its `continue`).
pub(crate) fn read_json(
    builder: &mut Builder,
    name: &str,
    reader: impl Read + Send,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let scanned = std::thread::scope(|scope| {
        let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(workers);
        let batch_rx = Arc::new(Mutex::new(batch_rx));
        let (result_tx, result_rx) = mpsc::channel::<Result<Vec<Reduced>, String>>();
        for _ in 0..workers {
            let (batch_rx, result_tx) = (Arc::clone(&batch_rx), result_tx.clone());
            scope.spawn(move || {
                loop {
                    let next = batch_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(batch)) = next else { break };
                    let reduced = batch
                        .items()
                        .map(|(index, bytes)| {
                            serde_json::from_slice::<Manifest>(bytes)
                                .map(|mut item| {
                                    if let (None, Some((kind, api_version))) =
                                        (&item.kind, &batch.item_kind)
                                    {
                                        item.kind = Some(kind.clone());
                                        item.api_version = item.api_version.or(api_version.clone());
                                    }
                                    reduce(item)
                                })
                                .map_err(|e| format!("items[{index}]: {}", redact(&e.to_string())))
                        })
                        .collect::<Result<Vec<_>, _>>();
                    if result_tx.send(reduced).is_err() {
                        break;
                    }
                }
            });
        }
        drop(result_tx);
        let mut merged: anyhow::Result<()> = Ok(());
        let mut merge =
            |r: Result<Vec<Reduced>, String>, builder: &mut Builder| -> Result<(), String> {
                let items = r?;
                for item in items {
                    if let Err(e) = builder.merge(item, name) {
                        let msg = format!("{e:#}");
                        merged = Err(e);
                        return Err(msg);
                    }
                }
                Ok(())
            };
        let scanned = json_stream::scan(reader, 1 << 19, |batch| {
            batch_tx.send(batch).map_err(|e| e.to_string())?;
            while let Ok(r) = result_rx.try_recv() {
                merge(r, builder)?;
            }
            Ok(())
        });
        drop(batch_tx);
        let mut failure = None;
        for r in result_rx {
            if failure.is_none()
                && let Err(e) = merge(r, builder)
            {
                failure = Some(e);
            }
        }
        match (scanned, failure) {
            (Err(e), _) => Err(e),
            (Ok(_), Some(e)) => Err(ScanError::Malformed(e)),
            (Ok(s), None) => Ok(s),
        }
    });
    match scanned {
        Ok(scanner) if scanner.saw_items => Ok(scanner.fields),
        Ok(scanner) => {
            // Not a List: one object, read from its (small) top-level fields.
            let mut fields = serde_json::Map::new();
            for (key, bytes) in scanner.fields {
                if fields.contains_key(&key) {
                    bail!("{name}: invalid JSON: duplicate field `{}`", redact(&key));
                }
                let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                    anyhow!("{name}: invalid JSON in {key}: {}", redact(&e.to_string()))
                })?;
                fields.insert(key, value);
            }
            let doc: Manifest = serde_json::from_value(Value::Object(fields))
                .map_err(|e| anyhow!("{name}: {}", redact(&e.to_string())))?;
            builder.add(doc, name)?;
            Ok(Vec::new())
        }
        Err(ScanError::NotAnObject) => Err(anyhow!(
            "{name}: not a Kubernetes object or List (the document is not a JSON object)"
        )),
        Err(ScanError::Malformed(why)) => Err(anyhow!("{name}: invalid JSON: {why}")),
    }
}

/// Reads a YAML stream one document at a time: each document is added to the Snapshot before
/// the next is parsed.
pub(crate) fn read_yaml(
    builder: &mut Builder,
    name: &str,
    mut reader: impl Read,
) -> anyhow::Result<()> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: None,
            max_nodes: YAML_MAX_NODES,
            max_events: 4 * YAML_MAX_NODES,
        },
    };
    for doc in serde_saphyr::read_with_options::<_, Manifest>(&mut reader, options) {
        let doc = doc.map_err(|e| {
            // The parser's snippet would quote the input, which may be a private key: say where, not what.
            let e = e.without_snippet();
            let text = redact(&e.to_string());
            match e.location() {
                Some(loc) if !text.contains("line") => {
                    anyhow!(
                        "{name}: invalid YAML at line {}, column {}: {text}",
                        loc.line(),
                        loc.column()
                    )
                }
                _ => anyhow!("{name}: invalid YAML: {text}"),
            }
        })?;
        builder.add(doc, name)?;
    }
    Ok(())
}

/// A parser's error message without the values it quotes: serde's "invalid type: string \"…\""
/// would otherwise copy input (which may be a private key) into the message. Short quoted words
/// (field names, small values) are kept, so the message still says what was wrong.
pub fn redact(message: &str) -> String {
    const KEEP: usize = 24;
    let mut out = String::with_capacity(message.len().min(512));
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        // The closing quote, skipping escaped ones.
        let mut close = None;
        let mut escaped = false;
        for (i, c) in after.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    close = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(close) = close else {
            out.push_str("…\"");
            return out;
        };
        let quoted = &after[..close];
        if quoted.chars().count() <= KEEP {
            out.push_str(quoted);
        } else {
            out.push_str(&format!("…{} characters…", quoted.chars().count()));
        }
        out.push('"');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::source::limits::Limits;

    pub(crate) fn built(yaml: &str) -> anyhow::Result<Snapshot> {
        let mut b = Builder::new(Snapshot::new("linkerd"), Limits::default());
        for doc in serde_saphyr::from_multiple::<Manifest>(yaml).unwrap() {
            b.add(doc, "t.yaml")?;
        }
        Ok(b.snap)
    }

    #[test]
    fn items_of_a_typed_list_take_its_kind_and_api_version() {
        // As an API server answers a LIST: the list is typed, its items are not.
        let yaml = concat!(
            "apiVersion: cert-manager.io/v1\nkind: CertificateList\nitems:\n",
            "- metadata: {name: c, namespace: linkerd}\n",
            "  spec: {secretName: s}\n",
        );
        let snap = built(yaml).unwrap();
        assert_eq!(snap.certificates("linkerd").count(), 1);
        let json = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[
            {"metadata":{"name":"p","namespace":"emojivoto","labels":{"linkerd.io/control-plane-ns":"linkerd"}},
             "spec":{"containers":[{"name":"linkerd-proxy","env":[{"name":"LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS","value":"x"}]}]}}]}"#;
        let mut b = Builder::new(Snapshot::new("linkerd"), Limits::default());
        read_json(&mut b, "pods.json", json.as_bytes()).unwrap();
        assert_eq!(b.snap.data_plane.pods.len(), 1);
        // A plain List's items name their own kinds; one that does not is not guessed.
        let plain = r#"{"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"p"}}]}"#;
        let mut b = Builder::new(Snapshot::new("linkerd"), Limits::default());
        read_json(&mut b, "list.json", plain.as_bytes()).unwrap();
        assert!(b.snap.data_plane.pods.is_empty());
    }

    #[test]
    fn only_the_trust_anchors_variable_is_kept_in_any_key_order() {
        let pod = |env: &str| {
            format!(
                r#"{{"kind":"PodList","apiVersion":"v1","items":[{{"metadata":{{"name":"p","namespace":"a","labels":{{"linkerd.io/control-plane-ns":"linkerd"}}}},"spec":{{"containers":[{{"name":"app","env":[{{"name":"LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS","value":"not the proxy's"}}]}},{{"name":"linkerd-proxy","env":[{env}]}}]}}}}]}}"#
            )
        };
        let bundle_of = |env: &str| {
            let mut b = Builder::new(Snapshot::new("linkerd"), Limits::default());
            read_json(&mut b, "pods.json", pod(env).as_bytes()).unwrap();
            let dp = &b.snap.data_plane;
            dp.pods.first().map(|p| match p.bundle {
                BundleRef::Value(id) => dp.bundles[id as usize].clone(),
                BundleRef::Reference => "valueFrom".to_string(),
            })
        };
        let other = r#"{"name":"LINKERD2_PROXY_LOG","value":"warn,linkerd=info\n\"q\""}"#;
        // Name first, as the API writes it; value first; an escaped value; valueFrom.
        assert_eq!(
            bundle_of(&format!(
                r#"{other},{{"name":"LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS","value":"pem"}}"#
            )),
            Some("pem".to_string())
        );
        assert_eq!(
            bundle_of(&format!(
                r#"{{"value":"a\nb","name":"LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS"}},{other}"#
            )),
            Some("a\nb".to_string())
        );
        assert_eq!(
            bundle_of(
                r#"{"name":"LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS","valueFrom":{"configMapKeyRef":{"name":"x","key":"y"}}}"#
            ),
            Some("valueFrom".to_string())
        );
        // No trust-anchors variable on the proxy: not recorded (the app container's does not count).
        assert_eq!(bundle_of(other), None);
        // A malformed variable is still an error naming the item.
        let mut b = Builder::new(Snapshot::new("linkerd"), Limits::default());
        let err = read_json(&mut b, "pods.json", pod(r#"{"name":7}"#).as_bytes()).unwrap_err();
        assert!(format!("{err:#}").contains("items[0]"), "{err:#}");
    }

    #[test]
    fn certificates_keep_the_ready_condition_and_secrets_only_cert_managers_annotations() {
        let snap = built(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: linkerd}\n\
             spec: {secretName: s, duration: 48h, renewBeforePercentage: 40}\n\
             status:\n  conditions:\n  - {type: Issuing, status: 'True'}\n  - {type: Ready, status: False, reason: Pending, message: waiting}\n\
             ---\napiVersion: acme.example/v1\nkind: Certificate\nmetadata: {name: other, namespace: linkerd}\n\
             ---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: linkerd\n  annotations:\n    cert-manager.io/certificate-name: c\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\": {}}'\n",
        )
        .unwrap();
        let certs: Vec<_> = snap.certificates("linkerd").collect();
        assert_eq!(certs.len(), 1, "only cert-manager.io's kind");
        let (name, c) = certs[0];
        assert_eq!(name, "c");
        assert_eq!(c.renew_before_percentage.as_deref(), Some("40"));
        assert_eq!(
            c.ready,
            Some(meshcert_checks::snapshot::Condition {
                status: "False".into(),
                reason: Some("Pending".into()),
                message: Some("waiting".into()),
            })
        );
        let meshcert_checks::snapshot::Fetched::Present(secret) = snap.secret("linkerd", "s")
        else {
            panic!("no secret");
        };
        assert_eq!(
            secret.cert_manager_annotations.keys().collect::<Vec<_>>(),
            ["cert-manager.io/certificate-name"]
        );
        // A condition field that is not a scalar is named.
        let err = built(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: linkerd}\n\
             status: {conditions: [{type: Ready, status: 'True', message: {a: 1}}]}\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.yaml: Certificate linkerd/c: status.conditions[Ready].message is not a string"
        );
    }

    #[test]
    fn redaction_keeps_short_words_and_drops_long_quoted_values() {
        assert_eq!(
            redact("unknown field `colour`, expected \"kind\""),
            "unknown field `colour`, expected \"kind\""
        );
        let key = "MHcCAQEEIHq6uv/eWGgfnbjI3UZBe6wleW+vLct6mSWtmG4hYljNoAoGCCqGSM49";
        let msg =
            format!("invalid type: string \"{key}\", expected struct Metadata at line 1 column 90");
        assert_eq!(
            redact(&msg),
            "invalid type: string \"…64 characters…\", expected struct Metadata at line 1 column 90"
        );
        assert_eq!(
            redact("string \"a\\\"b long long long long long long\" end"),
            "string \"…34 characters…\" end"
        );
        assert_eq!(redact("unterminated \"abc"), "unterminated \"…\"");
    }
}
