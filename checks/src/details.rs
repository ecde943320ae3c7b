//! What a report says about the objects behind a result: the certificates a check looked at,
//! the issuer's key (never its bytes), and the data plane's proxies. Plain data, below the
//! checks that fill it and the reporters that print it.

use serde::Serialize;

use crate::cert::{Cert, CertFacts, format_time};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorRef {
    pub common_name: String,
    pub sha256_fingerprint: String,
    pub not_after: String,
}

impl AnchorRef {
    pub(crate) fn of(c: &Cert) -> AnchorRef {
        AnchorRef {
            common_name: c.facts.common_name.clone(),
            sha256_fingerprint: c.facts.sha256_fingerprint.clone(),
            not_after: format_time(c.facts.not_after),
        }
    }

    /// `<CN> (sha256 <16 hex>…)`.
    pub(crate) fn short(&self) -> String {
        format!(
            "{} (sha256 {}…)",
            self.common_name,
            &self.sha256_fingerprint[..16]
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    /// `deploy/web`, `sts/db`, `ds/agent`, `pod/name` …
    pub workload: String,
    pub native_sidecar: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadablePod {
    pub namespace: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadRestart {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub pods: usize,
    /// The command that restarts them; none for a pod without a controller, which nothing
    /// restarts: recreate it from its manifest (the proxy injector gives the new pod the current
    /// bundle; deleting it alone does not bring it back, and recreating it from its own spec
    /// keeps the old bundle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// One distinct stale bundle: what its proxies trust, relative to the current bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleBundle {
    pub pods: usize,
    /// `old only`, `new only` or `both`: the new anchor is the most recent one (latest
    /// notBefore) of the current bundle; every other anchor is old.
    pub trusts: &'static str,
    /// Anchors these proxies trust that are not in the current bundle.
    pub old_anchors: Vec<AnchorRef>,
    /// Anchors of the current bundle these proxies do not trust.
    pub missing_anchors: Vec<AnchorRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataPlaneDetail {
    /// Pods whose proxy bundle was compared.
    pub checked_pods: usize,
    pub skipped_control_plane_pods: usize,
    /// Proxies that read their bundle through `valueFrom`, resolved by the kubelet.
    pub not_comparable_pods: usize,
    pub current_anchors: Vec<AnchorRef>,
    pub stale_pods: Vec<PodRef>,
    pub unreadable_pods: Vec<UnreadablePod>,
    pub workloads: Vec<WorkloadRestart>,
    pub stale_bundles: Vec<StaleBundle>,
}

/// What a certificate is to the mesh, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertRole {
    TrustAnchor,
    /// The trust anchor that signed the issuer.
    SigningTrustAnchor,
    Issuer,
    /// A certificate after the issuer in its Secret (an intermediate).
    IssuerChain,
    /// A webhook's or API service's serving certificate.
    Serving,
    ServingChain,
    /// A certificate of a webhook's or API service's caBundle.
    CaBundle,
}

impl CertRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CertRole::TrustAnchor => "trust-anchor",
            CertRole::SigningTrustAnchor => "signing-trust-anchor",
            CertRole::Issuer => "issuer",
            CertRole::IssuerChain => "issuer-chain",
            CertRole::Serving => "serving",
            CertRole::ServingChain => "serving-chain",
            CertRole::CaBundle => "ca-bundle",
        }
    }
}

/// JSON names the role as reports print it.
impl Serialize for CertRole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One certificate a check looked at, for the report's `details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertDetail {
    pub role: CertRole,
    /// Where it was read (`key crt.pem of Secret linkerd/linkerd-identity-issuer`).
    pub source: String,
    /// The same, as parts: namespace (empty when cluster-scoped), `Kind/name` (or the file), key.
    pub namespace: String,
    pub object: String,
    pub key: String,
    #[serde(flatten)]
    pub facts: CertFacts,
    /// What this check found wrong with it, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// What meshcert adds about it where linkerd's words stay as they are (an old anchor that
    /// the rotation in progress removes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CertDetail {
    pub fn new(
        role: CertRole,
        origin: &crate::snapshot::Origin,
        facts: &CertFacts,
        problem: Option<String>,
    ) -> Self {
        let (namespace, object, key) = origin.parts();
        CertDetail {
            role,
            source: origin.to_string(),
            namespace,
            object,
            key,
            facts: facts.clone(),
            problem,
            note: None,
        }
    }
}

/// The issuer's private key as reported: its algorithm and where it was read, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyDetail {
    pub source: String,
    pub algorithm: String,
    pub matches_certificate: bool,
}

/// Structured facts behind a result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_key: Option<KeyDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_plane: Option<DataPlaneDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeDetail>,
    /// When cert-manager renews the trust anchor by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal: Option<RenewalDetail>,
    /// Each Link of the cluster, as a check of linked clusters judged it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkDetail>,
}

/// One Link, judged both ways: whether each side accepts the certificates the other's issuer
/// signs (`None`: not compared, with the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkDetail {
    /// `namespace/name` of the Link.
    pub link: String,
    /// The cluster it points at.
    pub target: String,
    pub trusted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Details {
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
            && self.issuer_key.is_none()
            && self.data_plane.is_none()
            && self.runtime.is_none()
            && self.renewal.is_none()
            && self.links.is_empty()
    }
}

/// When cert-manager will renew a certificate unattended, and how that was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenewalDetail {
    /// The Certificate that renews it (`Certificate ns/name`).
    pub certificate: String,
    /// The Secret it writes (`Secret ns/name`).
    pub secret: String,
    /// The instant (RFC 3339).
    pub renewal_time: String,
    /// Where the instant comes from: `status.renewalTime`, or notAfter less the renewal margin.
    pub basis: String,
    /// `spec.privateKey.rotationPolicy`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_policy: Option<String>,
    /// The SHA-256 fingerprint of the certificate it renews, when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256_fingerprint: Option<String>,
}

/// The issuer one identity pod has loaded, beside the one stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedIssuer {
    pub namespace: String,
    pub pod: String,
    /// `issuer_cert_ttl_seconds` as scraped, in whole seconds.
    pub ttl_seconds: i64,
    /// The evaluation instant plus the TTL: when the loaded issuer expires.
    pub loaded_not_after: String,
    /// The issuer Secret's certificate's notAfter.
    pub stored_not_after: String,
    /// Whether the two agree within the tolerance.
    pub current: bool,
}

/// An issuer Event of the identity controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerEventDetail {
    pub reason: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// One proxy's leaf certificate as its metrics tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyLeaf {
    pub namespace: String,
    pub pod: String,
    pub workload: String,
    pub not_after: String,
}

/// The proxies' leaf expiries: how many were read of how many, and how they spread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeafDistribution {
    /// Running meshed pods in scope.
    pub running_pods: usize,
    /// Proxies whose leaf expiry was read.
    pub read: usize,
    pub expired: Vec<ProxyLeaf>,
    pub past_renewal: Vec<ProxyLeaf>,
    /// Proxies whose metrics could not be read, with why.
    pub unreadable: Vec<UnreadablePod>,
    /// Namespaces whose proxies meshcert may not read.
    pub forbidden_namespaces: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_not_after: Option<String>,
    /// How many leaves expire within each bound, in hours from the evaluation instant
    /// (`le`, cumulative, as a Prometheus histogram counts).
    pub expiring_within_hours: Vec<(u32, usize)>,
}

/// What the runtime checks found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeDetail {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loaded_issuers: Vec<LoadedIssuer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issuer_events: Vec<IssuerEventDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_leaves: Option<LeafDistribution>,
}
