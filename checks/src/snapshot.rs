//! The Snapshot: everything the checks read, as plain data, each piece with where it came from.
//!
//! Sources (manifest files, PEM files, later the Kubernetes API) build a Snapshot; checks only
//! read it. An object that a source looked for and could not see is recorded as such
//! (`Forbidden`); an object that is simply absent is `Missing`, which is also what an offline
//! source implies for every object its files do not contain.

use std::collections::BTreeMap;
use std::fmt;

/// The kinds of Kubernetes object meshcert reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    ConfigMap,
    Secret,
    Namespace,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
    APIService,
    /// cert-manager's `Certificate` (`cert-manager.io/v1`).
    Certificate,
    /// trust-manager's `Bundle` (`trust.cert-manager.io/v1alpha1`, cluster-scoped).
    Bundle,
    /// trust-manager's `ClusterBundle` (`trust-manager.io/v1alpha2`), which replaces `Bundle`.
    ClusterBundle,
    /// Linkerd multicluster's `Link` (`multicluster.linkerd.io`, v1alpha1 to v1alpha3).
    Link,
}

impl Kind {
    /// The API group and resource an RBAC rule names for this kind.
    pub fn group_resource(self) -> (&'static str, &'static str) {
        match self {
            Kind::ConfigMap => ("", "configmaps"),
            Kind::Secret => ("", "secrets"),
            Kind::Namespace => ("", "namespaces"),
            Kind::MutatingWebhookConfiguration => (
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
            ),
            Kind::ValidatingWebhookConfiguration => (
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
            ),
            Kind::APIService => ("apiregistration.k8s.io", "apiservices"),
            Kind::Certificate => ("cert-manager.io", "certificates"),
            Kind::Bundle => ("trust.cert-manager.io", "bundles"),
            Kind::ClusterBundle => ("trust-manager.io", "clusterbundles"),
            Kind::Link => ("multicluster.linkerd.io", "links"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
            Kind::Namespace => "Namespace",
            Kind::MutatingWebhookConfiguration => "MutatingWebhookConfiguration",
            Kind::ValidatingWebhookConfiguration => "ValidatingWebhookConfiguration",
            Kind::APIService => "APIService",
            Kind::Certificate => "Certificate",
            Kind::Bundle => "Bundle",
            Kind::ClusterBundle => "ClusterBundle",
            Kind::Link => "Link",
        }
    }

    /// Cluster-scoped kinds have no namespace; their ObjectRef's namespace is empty.
    pub fn is_cluster_scoped(self) -> bool {
        !matches!(
            self,
            Kind::ConfigMap | Kind::Secret | Kind::Certificate | Kind::Link
        )
    }

    pub fn from_name(kind: &str) -> Option<Kind> {
        Some(match kind {
            "ConfigMap" => Kind::ConfigMap,
            "Secret" => Kind::Secret,
            "Namespace" => Kind::Namespace,
            "MutatingWebhookConfiguration" => Kind::MutatingWebhookConfiguration,
            "ValidatingWebhookConfiguration" => Kind::ValidatingWebhookConfiguration,
            "APIService" => Kind::APIService,
            "Certificate" => Kind::Certificate,
            "Bundle" => Kind::Bundle,
            "ClusterBundle" => Kind::ClusterBundle,
            "Link" => Kind::Link,
            _ => return None,
        })
    }
}

/// `Kind namespace/name`, the way meshcert names an object in every message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: Kind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectRef {
            kind,
            namespace: if kind.is_cluster_scoped() {
                String::new()
            } else {
                namespace.into()
            },
            name: name.into(),
        }
    }

    /// A cluster-scoped object.
    pub fn cluster(kind: Kind, name: impl Into<String>) -> Self {
        ObjectRef::new(kind, "", name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind.as_str(), self.name)
        } else {
            write!(f, "{} {}/{}", self.kind.as_str(), self.namespace, self.name)
        }
    }
}

/// Where one piece of certificate material came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A data key of a ConfigMap or Secret.
    Key { object: ObjectRef, key: String },
    /// A field inside a YAML document stored under a data key (linkerd-config's `values`).
    Field {
        object: ObjectRef,
        key: String,
        field: String,
    },
    /// A caBundle field of a webhook configuration or APIService (`webhooks[0].clientConfig.caBundle`).
    CaBundle { object: ObjectRef, field: String },
    /// A file given on the command line.
    File(String),
}

impl Origin {
    /// `(namespace, object, key)` for labels: `("linkerd", "Secret/linkerd-identity-issuer",
    /// "crt.pem")`; cluster-scoped objects and files have no namespace.
    pub fn parts(&self) -> (String, String, String) {
        let object_name = |o: &ObjectRef| format!("{}/{}", o.kind.as_str(), o.name);
        match self {
            Origin::Key { object, key } => {
                (object.namespace.clone(), object_name(object), key.clone())
            }
            Origin::Field { object, key, field } => (
                object.namespace.clone(),
                object_name(object),
                format!("{key}:{field}"),
            ),
            Origin::CaBundle { object, field } => {
                (object.namespace.clone(), object_name(object), field.clone())
            }
            Origin::File(path) => (String::new(), path.clone(), String::new()),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Key { object, key } => write!(f, "key {key} of {object}"),
            Origin::Field { object, key, field } => {
                write!(f, "field {field} in key {key} of {object}")
            }
            Origin::CaBundle { object, field } => write!(f, "{field} of {object}"),
            Origin::File(path) => write!(f, "file {path}"),
        }
    }
}

/// Bytes that may hold private key material. Its `Debug` never shows the bytes, so a stray
/// `{:?}` cannot leak a key into a log or an error message.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigMap {
    pub data: BTreeMap<String, String>,
    /// The trust-manager Bundle that writes it, from its `trust.cert-manager.io/bundle`
    /// (`Bundle`) or `trust-manager.io/bundle` (`ClusterBundle`) label: (label, Bundle name).
    pub written_by_bundle: Option<(String, String)>,
}

/// A trust-manager `Bundle` or `ClusterBundle`, reduced to what the checks read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustBundle {
    /// Where it takes certificates from.
    pub sources: Vec<BundleSource>,
    /// The keys it writes in its target ConfigMaps (`target.configMap.key`, or each
    /// `target.configMap.data[].key`); empty when it writes no ConfigMap.
    pub target_keys: Vec<String>,
    /// `target.namespaceSelector`: `None` when there is none (no namespace gets the target).
    pub namespace_selector: Option<Selector>,
    /// Its `Synced` condition, when it has one.
    pub synced: Option<Condition>,
}

/// One source of a Bundle: `Secret` or `ConfigMap` (by name, or a label selector), or another
/// kind (`inLine`, `useDefaultCAs`, `defaultCAs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSource {
    pub kind: String,
    pub name: Option<String>,
    pub key: Option<String>,
}

/// A label selector: its `matchLabels`, and whether it has `matchExpressions` too.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub match_labels: BTreeMap<String, String>,
    pub has_expressions: bool,
}

impl Selector {
    /// Whether namespace labels `labels` match; `None` when expressions decide, which meshcert
    /// does not evaluate.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> Option<bool> {
        let by_labels = self
            .match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v));
        match (by_labels, self.has_expressions) {
            (false, _) => Some(false),
            (true, true) => None,
            (true, false) => Some(true),
        }
    }
}

/// The labels trust-manager puts on the ConfigMaps it writes, naming the Bundle
/// (`trust.cert-manager.io/v1alpha1`) or ClusterBundle (`trust-manager.io/v1alpha2`).
pub const BUNDLE_LABELS: [&str; 2] = ["trust.cert-manager.io/bundle", "trust-manager.io/bundle"];

/// One value of a Secret's `data`: decoded bytes, or the reason it could not be decoded (kept so
/// that the check that needs this key can say so, while every other check still runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretValue {
    Bytes(SecretBytes),
    Undecodable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Secret {
    pub type_: Option<String>,
    pub data: BTreeMap<String, SecretValue>,
    /// The Secret's `cert-manager.io/…` annotations (no other annotation is kept: kubectl's
    /// last-applied-configuration would hold the Secret's data again).
    pub cert_manager_annotations: BTreeMap<String, String>,
    /// A Link's credentials (key `kubeconfig`), reduced as it is read to what the checks read:
    /// the token and any client key are dropped. `Err` says why it could not be read.
    pub kubeconfig: Option<Result<RemoteKubeconfig, String>>,
}

/// A multicluster Link's kubeconfig, without its secrets: where it points, the CA it trusts,
/// the client certificate it presents, and when its token expires.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoteKubeconfig {
    /// The current context's cluster name, and its server URL.
    pub cluster: Option<String>,
    pub server: Option<String>,
    /// `certificate-authority-data`, decoded (PEM).
    pub ca: Option<Vec<u8>>,
    /// `client-certificate-data`, decoded (PEM).
    pub client_certificate: Option<Vec<u8>>,
    /// The user's bearer token, reduced to its expiry.
    pub token: TokenExpiry,
}

/// What a kubeconfig's bearer token says about its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenExpiry {
    /// No token (client certificates, or an exec plugin).
    #[default]
    NoToken,
    /// A token that is not a JWT with an `exp` claim (a legacy service-account token never
    /// expires).
    NoExpiry,
    /// The JWT's `exp`, in seconds since the epoch.
    Expires(i64),
}

/// A multicluster `Link`, reduced to what the checks read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// The API version it was read as.
    pub api_version: String,
    pub target_cluster_name: Option<String>,
    pub target_cluster_domain: Option<String>,
    pub target_linkerd_namespace: Option<String>,
    /// The Secret (in the Link's namespace) holding the target's kubeconfig.
    pub credentials_secret: Option<String>,
    pub gateway_identity: Option<String>,
}

/// A cert-manager `Certificate`, as far as the checks read it. Values are kept as written, so
/// that a check can name a bad one while every other check still runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    /// `spec.secretName`: the Secret cert-manager writes.
    pub secret_name: Option<String>,
    /// `spec.duration` (a Go duration such as `48h0m0s`).
    pub duration: Option<String>,
    /// `spec.renewBefore` (a Go duration).
    pub renew_before: Option<String>,
    /// `spec.renewBeforePercentage` (cert-manager 1.15+), as written.
    pub renew_before_percentage: Option<String>,
    /// `status.conditions[type=Ready]`, if the Certificate has one.
    pub ready: Option<Condition>,
    /// `spec.privateKey.rotationPolicy` (`Always`, `Never`), as written.
    pub rotation_policy: Option<String>,
    /// `status.renewalTime`: when cert-manager will renew it (RFC 3339), as written.
    pub renewal_time: Option<String>,
}

/// A status condition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Condition {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// A caBundle as read: absent (`None`), its decoded bytes, or why it could not be decoded.
pub type CaBundle = Option<Result<Vec<u8>, String>>;

/// A Mutating- or ValidatingWebhookConfiguration: the caBundle of each webhook, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookConfiguration {
    pub ca_bundles: Vec<CaBundle>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiService {
    pub ca_bundle: CaBundle,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Namespace {
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    ConfigMap(ConfigMap),
    Secret(Secret),
    Namespace(Namespace),
    /// Mutating or Validating: the ObjectRef's kind says which.
    WebhookConfiguration(WebhookConfiguration),
    ApiService(ApiService),
    /// Boxed: the largest variant.
    Certificate(Box<Certificate>),
    /// A `Bundle` or a `ClusterBundle`: the ObjectRef's kind says which.
    TrustBundle(TrustBundle),
    Link(Link),
}

/// What a source found for one object it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectState {
    Present {
        object: Object,
        /// Where the object was read from (a file and document, or the API server).
        from: String,
    },
    /// The source was not allowed to read it; the text says why.
    Forbidden(String),
}

/// An object as a check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched<'a, T> {
    Present(&'a T),
    Missing,
    Forbidden(&'a str),
}

pub use crate::workload::Workload;

/// Where a proxy's trust bundle comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BundleRef {
    /// A literal env value: an index into [`DataPlane::bundles`].
    Value(u32),
    /// `valueFrom` (a ConfigMap reference): resolved by the kubelet, not comparable here.
    Reference,
}

/// One meshed pod, reduced to what the data-plane check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSummary {
    /// An index into [`DataPlane::namespaces`].
    pub namespace: u32,
    pub name: String,
    pub workload: Workload,
    pub bundle: BundleRef,
    /// The proxy runs as a native sidecar (in `initContainers`).
    pub native_sidecar: bool,
    /// `metadata.creationTimestamp`, when known: a pod created before the current issuer may
    /// still present a certificate from the previous one.
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// `status.phase` is `Running`: its proxy can be asked for its metrics.
    pub running: bool,
    /// The control-plane component it is (label `linkerd.io/control-plane-component`).
    pub component: Option<String>,
}

/// The meshed pods (label `linkerd.io/control-plane-ns`) whose proxy carries a trust bundle, with
/// namespaces and bundle strings stored once each, however many pods share them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPlane {
    pub namespaces: Vec<String>,
    pub bundles: Vec<String>,
    pub pods: Vec<PodSummary>,
    namespace_ids: std::collections::HashMap<String, u32>,
    bundle_ids: std::collections::HashMap<String, u32>,
}

impl DataPlane {
    fn intern(
        table: &mut Vec<String>,
        ids: &mut std::collections::HashMap<String, u32>,
        s: &str,
    ) -> u32 {
        if let Some(&id) = ids.get(s) {
            return id;
        }
        let id = table.len() as u32;
        table.push(s.to_string());
        ids.insert(s.to_string(), id);
        id
    }

    pub fn namespace_id(&mut self, ns: &str) -> u32 {
        Self::intern(&mut self.namespaces, &mut self.namespace_ids, ns)
    }

    pub fn bundle_id(&mut self, bundle: &str) -> u32 {
        Self::intern(&mut self.bundles, &mut self.bundle_ids, bundle)
    }

    pub fn namespace(&self, pod: &PodSummary) -> &str {
        &self.namespaces[pod.namespace as usize]
    }

    /// Which Running pods to ask for their metrics, at most `limit` (`None`: all), spread over
    /// the workloads: one pod of each workload in turn (workloads in namespace and name order),
    /// so that a sample of 100 covers 100 workloads before it takes a second pod of any.
    /// Returns indices into `pods`.
    pub fn spread_sample(&self, limit: Option<usize>) -> Vec<usize> {
        let mut by_workload: BTreeMap<(&str, &Workload), Vec<usize>> = BTreeMap::new();
        for (i, pod) in self.pods.iter().enumerate().filter(|(_, p)| p.running) {
            by_workload
                .entry((self.namespace(pod), &pod.workload))
                .or_default()
                .push(i);
        }
        let total: usize = by_workload.values().map(Vec::len).sum();
        let want = limit.unwrap_or(total).min(total);
        let mut out = Vec::with_capacity(want);
        let mut round = 0;
        while out.len() < want {
            for pods in by_workload.values() {
                if let Some(&i) = pods.get(round)
                    && out.len() < want
                {
                    out.push(i);
                }
            }
            round += 1;
        }
        out
    }
}

/// The three PEM files of `meshcert check --trust-anchors F --issuer-cert F --issuer-key F`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFiles {
    pub trust_anchors: (String, Vec<u8>),
    pub issuer_cert: (String, Vec<u8>),
    pub issuer_key: (String, SecretBytes),
}

/// trust-manager's default trust namespace (its `--trust-namespace`), where Linkerd's guide puts
/// the anchor's Secrets.
pub const TRUST_NAMESPACE: &str = "cert-manager";

/// Everything the checks read.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The Linkerd control-plane namespace (`-L`).
    pub linkerd_namespace: String,
    /// trust-manager's trust namespace (`--trust-namespace`), where its Bundles' sources live.
    pub trust_namespace: String,
    objects: BTreeMap<ObjectRef, ObjectState>,
    identity_files: Option<IdentityFiles>,
    /// The meshed pods.
    pub data_plane: DataPlane,
    /// Why the meshed pods could not be read (a forbidden list), if they could not.
    pub data_plane_unavailable: Option<String>,
    /// Whether the API server serves cert-manager's Certificates (`cert-manager.io/v1` in its
    /// discovery): `Some(false)` when cert-manager is not installed; `None` when unknown, as
    /// offline.
    pub certificates_served: Option<bool>,
    /// What is running: the identity controller's loaded issuer and Events, the proxies'
    /// leaf certificates.
    pub runtime: crate::runtime::Runtime,
}

impl Snapshot {
    pub fn new(linkerd_namespace: impl Into<String>) -> Self {
        Snapshot {
            linkerd_namespace: linkerd_namespace.into(),
            trust_namespace: TRUST_NAMESPACE.to_string(),
            ..Default::default()
        }
    }

    /// Records an object; returns the state it replaces, if any.
    pub fn insert(&mut self, key: ObjectRef, state: ObjectState) -> Option<ObjectState> {
        self.objects.insert(key, state)
    }

    pub fn get(&self, key: &ObjectRef) -> Option<&ObjectState> {
        self.objects.get(key)
    }

    pub fn objects(&self) -> impl Iterator<Item = (&ObjectRef, &ObjectState)> {
        self.objects.iter()
    }

    pub fn set_identity_files(&mut self, files: IdentityFiles) {
        self.identity_files = Some(files);
    }

    pub fn identity_files(&self) -> Option<&IdentityFiles> {
        self.identity_files.as_ref()
    }

    /// The object `key` names, if it is present and of the shape `pick` accepts.
    pub fn fetch<'a, T>(
        &'a self,
        key: &ObjectRef,
        pick: impl Fn(&'a Object) -> Option<&'a T>,
    ) -> Fetched<'a, T> {
        match self.get(key) {
            Some(ObjectState::Present { object, .. }) => {
                pick(object).map_or(Fetched::Missing, Fetched::Present)
            }
            Some(ObjectState::Forbidden(why)) => Fetched::Forbidden(why),
            None => Fetched::Missing,
        }
    }

    pub fn config_map(&self, namespace: &str, name: &str) -> Fetched<'_, ConfigMap> {
        self.fetch(
            &ObjectRef::new(Kind::ConfigMap, namespace, name),
            |o| match o {
                Object::ConfigMap(cm) => Some(cm),
                _ => None,
            },
        )
    }

    pub fn secret(&self, namespace: &str, name: &str) -> Fetched<'_, Secret> {
        self.fetch(
            &ObjectRef::new(Kind::Secret, namespace, name),
            |o| match o {
                Object::Secret(s) => Some(s),
                _ => None,
            },
        )
    }

    /// Why the Links could not be listed, when they could not.
    pub fn links_unavailable(&self) -> Option<&str> {
        self.objects.iter().find_map(|(key, state)| match state {
            ObjectState::Forbidden(why) if key.kind == Kind::Link && key.name.is_empty() => {
                Some(why.as_str())
            }
            _ => None,
        })
    }

    /// The multicluster Links read, by namespace and name.
    pub fn links(&self) -> impl Iterator<Item = (&ObjectRef, &Link)> {
        self.objects.iter().filter_map(|(key, state)| match state {
            ObjectState::Present {
                object: Object::Link(l),
                ..
            } => Some((key, l)),
            _ => None,
        })
    }

    /// The cert-manager Certificates in `namespace`, by name.
    pub fn certificates<'a, 'n>(
        &'a self,
        namespace: &'n str,
    ) -> impl Iterator<Item = (&'a str, &'a Certificate)> + use<'a, 'n> {
        self.objects
            .iter()
            .filter_map(move |(key, state)| match state {
                ObjectState::Present {
                    object: Object::Certificate(c),
                    ..
                } if key.kind == Kind::Certificate && key.namespace == namespace => {
                    Some((key.name.as_str(), &**c))
                }
                _ => None,
            })
    }

    /// The first namespace (by name) labelled `linkerd.io/extension=<name>`: where the extension
    /// `name` (`viz`, `jaeger`) is installed unless the run names its namespace
    /// ([`crate::scope::Scope::extension_namespace`]).
    pub fn labelled_extension_namespace(&self, name: &str) -> Option<String> {
        self.objects.iter().find_map(|(key, state)| match state {
            ObjectState::Present {
                object: Object::Namespace(ns),
                ..
            } if ns
                .labels
                .get("linkerd.io/extension")
                .is_some_and(|v| v == name) =>
            {
                Some(key.name.clone())
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_takes_one_running_pod_of_each_workload_before_a_second() {
        let mut dp = DataPlane::default();
        for (ns, workload, name, running) in [
            ("a", "web", "web-1", true),
            ("a", "web", "web-2", true),
            ("a", "web", "web-3", true),
            ("b", "db", "db-1", true),
            ("b", "api", "api-1", false),
            ("b", "api", "api-2", true),
        ] {
            let namespace = dp.namespace_id(ns);
            dp.pods.push(PodSummary {
                namespace,
                name: name.into(),
                workload: Workload {
                    kind: "Deployment".into(),
                    name: workload.into(),
                },
                bundle: BundleRef::Reference,
                native_sidecar: false,
                created: None,
                running,
                component: None,
            });
        }
        let names = |picked: Vec<usize>| -> Vec<String> {
            picked
                .into_iter()
                .map(|i| dp.pods[i].name.clone())
                .collect()
        };
        assert_eq!(names(dp.spread_sample(Some(3))), ["web-1", "api-2", "db-1"]);
        assert_eq!(
            names(dp.spread_sample(None)),
            ["web-1", "api-2", "db-1", "web-2", "web-3"]
        );
        assert!(dp.spread_sample(Some(0)).is_empty());
    }

    #[test]
    fn secret_bytes_debug_never_shows_content() {
        let s = SecretBytes::new(b"-----BEGIN EC PRIVATE KEY-----".to_vec());
        let shown = format!("{s:?}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
        assert!(shown.contains("30 bytes redacted"), "{shown}");
    }

    #[test]
    fn lookups_distinguish_missing_forbidden_and_present() {
        let mut snap = Snapshot::new("linkerd");
        snap.insert(
            ObjectRef::new(Kind::Secret, "linkerd", "a"),
            ObjectState::Forbidden("secrets is forbidden".into()),
        );
        snap.insert(
            ObjectRef::new(Kind::ConfigMap, "linkerd", "b"),
            ObjectState::Present {
                object: Object::ConfigMap(ConfigMap::default()),
                from: "x.yaml".into(),
            },
        );
        assert_eq!(
            snap.secret("linkerd", "a"),
            Fetched::Forbidden("secrets is forbidden")
        );
        assert!(matches!(
            snap.config_map("linkerd", "b"),
            Fetched::Present(_)
        ));
        assert_eq!(snap.config_map("linkerd", "a"), Fetched::Missing);
        // Same name, other kind: not confused.
        assert_eq!(snap.secret("linkerd", "b"), Fetched::Missing);
    }
}
