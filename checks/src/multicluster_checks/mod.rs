//! Category `linkerd-multicluster`: linkerd's "clusters share trust anchors", with its verdict
//! and words, and meshcert's own checks of linked clusters: whether each side's issuer is
//! trusted by the other's roots and running proxies (in the middle of a rotation too), the
//! gateway identity's trust domain, and the credentials' expiry.

mod credentials;
mod gateway_identity;
mod issuers_trusted;
mod share_anchors;
#[cfg(test)]
mod stages_tests;

pub use credentials::LinkCredentialsNotExpiring;
pub use gateway_identity::GatewayIdentityInTrustDomain;
pub use issuers_trusted::{LinkedIssuersTrusted, LinkedRotationSafe};
pub use share_anchors::ClustersShareAnchors;

use crate::cert::Cert;
use crate::identity::IdentityMaterial;
use crate::multicluster::LinkView;

/// Why a cluster's Links give nothing to check: none (linkerd's "no links"), or they could not
/// be listed.
pub(crate) fn no_links(snap: &crate::snapshot::Snapshot) -> String {
    snap.links_unavailable()
        .map_or_else(|| "no links".to_string(), String::from)
}

/// What a check says of a Link whose target is not among the run's clusters.
pub(crate) fn not_in_run(v: &LinkView<'_>) -> String {
    format!(
        "{} (Link {}/{}) is not among the run's clusters: read it too (--context, or its dump with --from)",
        v.target_name, v.object.namespace, v.object.name
    )
}

/// The issuer chain of a cluster, or why it cannot be had.
pub(crate) fn issuer_chain(id: &IdentityMaterial) -> Result<&crate::cert::Chain, String> {
    match &id.issuer {
        Ok(c) => Ok(&c.value),
        Err(why) => Err(why.to_string()),
    }
}

/// Whether `chain` (an issuer, leaf first) verifies against `roots` at `at`, as a proxy checks
/// a peer's certificate chain (Go's verification, as elsewhere): the anchor it chains to, or
/// Go's error.
pub(crate) fn verifies<'a>(
    chain: &crate::cert::Chain,
    roots: &'a [Cert],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<&'a Cert, String> {
    let intermediates = crate::verify::linkerd_intermediates(chain);
    let opts = crate::verify::Options {
        roots,
        intermediates: &intermediates,
        dns_name: None,
        at,
    };
    let verified = crate::verify::verify(chain.leaf(), &opts).map_err(|e| e.to_string())?;
    let root = verified[verified.len() - 1];
    roots
        .iter()
        .find(|r| r.der() == root.der())
        .ok_or_else(|| "verified to a root outside the pool".to_string())
}
