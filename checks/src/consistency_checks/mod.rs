//! Category `meshcert-consistency`: meshcert's own checks of how the identity pieces fit together,
//! the mistakes a trust-anchor rotation makes possible.

mod anchor_renewal;
mod anchors_agree;
mod cert_manager_ready;
mod cert_manager_renews;
mod external_ca;
mod issuer_is_ca;
mod issuer_outlives_anchor;
mod previous_anchor;
mod proxies_trust_issuer_anchor;
mod trust_manager;

pub use anchor_renewal::{TrustAnchorNotRenewedUnattended, renewal_instant};
pub use anchors_agree::TrustAnchorsAgree;
pub use cert_manager_ready::CertManagerIssuerReady;
pub use cert_manager_renews::CertManagerRenewsIssuer;
pub use external_ca::ExternalCaForTrustManager;
pub use issuer_is_ca::IssuerIsCa;
pub use issuer_outlives_anchor::IssuerExpiresBeforeAnchor;
pub use previous_anchor::PreviousAnchorPlainCopy;
pub use proxies_trust_issuer_anchor::ProxiesTrustIssuerAnchor;
pub use trust_manager::TrustManagerDistributesBundle;

use crate::cert::Cert;
use crate::snapshot::Snapshot;
use crate::verify::{Options, verify};

/// The trust anchor that signed the issuer: the root of a verified chain at the evaluation
/// instant, or else (an anchor out of its validity period) the anchor whose subject is the
/// issuer's issuer and whose key verifies its signature.
pub(crate) fn signing_anchor<'a>(
    snap: &'a crate::check::Input<'_>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<&'a Cert, String> {
    let id = snap.identity();
    let (anchors, chain) = match (&id.anchors, &id.issuer) {
        (Ok(a), Ok(c)) => (a, c),
        (Err(why), _) | (_, Err(why)) => return Err(why.clone()),
    };
    let leaf = chain.value.leaf();
    let intermediates = crate::verify::linkerd_intermediates(&chain.value);
    let opts = Options {
        roots: &anchors.value,
        intermediates: &intermediates,
        dns_name: None,
        at,
    };
    if let Ok(verified) = verify(leaf, &opts) {
        let root = verified[verified.len() - 1];
        if let Some(anchor) = anchors.value.iter().find(|a| a.der() == root.der()) {
            return Ok(anchor);
        }
    }
    crate::verify::signer_among(leaf, &anchors.value)
        .ok_or_else(|| "the issuer is not signed by any trust anchor (see \"issuer cert is issued by the trust anchor\")".to_string())
}

/// The cert-manager Certificate that writes the issuer, for the cert-manager checks; or their
/// outcome when there is none to check: a skip when cert-manager does not manage the issuer (or
/// meshcert cannot tell), a failure when it should but the Certificate is gone or unreadable.
pub(crate) fn issuer_certificate(
    snap: &Snapshot,
) -> Result<(crate::snapshot::ObjectRef, &crate::snapshot::Certificate), Box<crate::check::Outcome>>
{
    use crate::cert_manager::{Management, issuer_management, not_managed};
    use crate::check::Outcome;
    match issuer_management(snap) {
        Management::No => Err(Box::new(Outcome::Skip(not_managed(snap)))),
        Management::Unknown(why) => Err(Box::new(Outcome::Skip(why))),
        Management::Yes {
            object,
            certificate: Err(error),
        } => Err(Box::new(Outcome::Fail {
            error: crate::problem::Problem::in_object(&object, error).into(),
            details: Default::default(),
        })),
        Management::Yes {
            object,
            certificate: Ok(c),
        } => Ok((object, c)),
    }
}

/// `<serial> <CN> (sha256 <16 hex>…)`.
pub(crate) fn anchor_label(c: &Cert) -> String {
    format!(
        "{} (sha256 {}…)",
        c.label(),
        &c.facts.sha256_fingerprint[..16]
    )
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::installed;
    use crate::snapshot::*;

    /// An installation whose trust-roots ConfigMap holds `roots_pem`, with meshed pods
    /// `(namespace, name, bundle)` in Deployments named after the pod.
    pub fn with_pods(
        anchors_pem: &str,
        issuer: &Made,
        roots_pem: &str,
        pods: &[(&str, &str, &str)],
    ) -> Snapshot {
        let mut snap = installed(anchors_pem, issuer);
        let mut cm = ConfigMap::default();
        cm.data
            .insert("ca-bundle.crt".into(), roots_pem.to_string());
        snap.insert(
            ObjectRef::new(Kind::ConfigMap, "linkerd", "linkerd-identity-trust-roots"),
            ObjectState::Present {
                object: Object::ConfigMap(cm),
                from: "t".into(),
            },
        );
        for (ns, name, bundle) in pods {
            let namespace = snap.data_plane.namespace_id(ns);
            let bundle = BundleRef::Value(snap.data_plane.bundle_id(bundle));
            let workload = Workload {
                kind: "Deployment".into(),
                name: name.to_string(),
            };
            snap.data_plane.pods.push(PodSummary {
                namespace,
                name: name.to_string(),
                workload,
                bundle,
                native_sidecar: false,
                created: None,
                running: true,
                component: None,
            });
        }
        snap
    }
}
