//! The registry: every check, in display order, and the one list of them: what a run reads from
//! a cluster (the webhook and API-service components, through `Check::component`) is derived
//! from it, and so are the tests' lists of ids.
//!
//! Adding an identity check touches its own file, one line here, its docs page
//! (`checks/docs/<id>.md`) and the snapshots that record the registry (`meshcert checks`, the
//! README's check table). A webhook component is one file (`webhook_checks/<name>.rs`, its
//! `webhook_component!`, declared in `webhook_checks/mod.rs`), its two checks' lines here, their
//! docs pages, the same snapshots, and, for a cluster, the names in `deploy/base/rbac.yaml`
//! (`tests/it/live/requests.rs` proves deploy/'s RBAC allows every request of a full run). The
//! tests below keep the registry honest.

use crate::check::Check;
use crate::consistency_checks::{
    CertManagerIssuerReady, CertManagerRenewsIssuer, ExternalCaForTrustManager,
    IssuerExpiresBeforeAnchor, IssuerIsCa, PreviousAnchorPlainCopy, ProxiesTrustIssuerAnchor,
    TrustAnchorNotRenewedUnattended, TrustAnchorsAgree, TrustManagerDistributesBundle,
};
use crate::data_plane::ProxiesCertsMatchCa;
use crate::identity_checks::*;
use crate::multicluster_checks::{
    ClustersShareAnchors, GatewayIdentityInTrustDomain, LinkCredentialsNotExpiring,
    LinkedIssuersTrusted, LinkedRotationSafe,
};
use crate::runtime_checks::{
    IdentityLoadedCurrentIssuer, ProxiesLeafCertsRenewed, ProxiesLeafCertsValid,
};
use crate::webhook_checks::{
    jaeger_injector, policy_validator, proxy_injector, sp_validator, tap, tap_injector,
};

pub static ALL: &[&dyn Check] = &[
    &CertConfigValid,
    &TrustAnchorsUseSupportedCrypto,
    &TrustAnchorsAreTimeValid,
    &TrustAnchorsNotExpiringSoon,
    &IssuerUsesSupportedCrypto,
    &IssuerIsTimeValid,
    &IssuerNotExpiringSoon,
    &IssuerIssuedByTrustAnchor,
    &proxy_injector::CERT_VALID,
    &proxy_injector::CERT_NOT_EXPIRING_SOON,
    &sp_validator::CERT_VALID,
    &sp_validator::CERT_NOT_EXPIRING_SOON,
    &policy_validator::CERT_VALID,
    &policy_validator::CERT_NOT_EXPIRING_SOON,
    &ProxiesCertsMatchCa,
    &tap::CERT_VALID,
    &tap::CERT_NOT_EXPIRING_SOON,
    &tap_injector::CERT_VALID,
    &tap_injector::CERT_NOT_EXPIRING_SOON,
    &jaeger_injector::CERT_VALID,
    &jaeger_injector::CERT_NOT_EXPIRING_SOON,
    &ClustersShareAnchors,
    &LinkedIssuersTrusted,
    &LinkedRotationSafe,
    &GatewayIdentityInTrustDomain,
    &LinkCredentialsNotExpiring,
    &TrustAnchorsAgree,
    &IssuerIsCa,
    &IssuerExpiresBeforeAnchor,
    &ProxiesTrustIssuerAnchor,
    &CertManagerIssuerReady,
    &CertManagerRenewsIssuer,
    &TrustManagerDistributesBundle,
    &ExternalCaForTrustManager,
    &PreviousAnchorPlainCopy,
    &TrustAnchorNotRenewedUnattended,
    &IdentityLoadedCurrentIssuer,
    &ProxiesLeafCertsValid,
    &ProxiesLeafCertsRenewed,
];

/// The check with this id.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    ALL.iter().copied().find(|c| c.meta().id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_margin_checks_description_ends_with_linkerds_margin_and_no_other_states_one() {
        let default = crate::check::Margin::LINKERD_DEFAULT.to_string();
        for c in ALL {
            let m = c.meta();
            assert_eq!(
                m.description.ends_with(&format!("at least {default}")),
                m.margin.is_some(),
                "{}: {:?}",
                m.id,
                m.description
            );
        }
    }

    #[test]
    fn ids_are_unique() {
        let mut seen = BTreeSet::new();
        for c in ALL {
            assert!(
                seen.insert(c.meta().id),
                "duplicate check id {}",
                c.meta().id
            );
        }
    }

    /// Every check in display order with its metadata: linkerd's descriptions, hint anchors and
    /// severities (../shared/reference/linkerd-check.md 1.1–1.4), then meshcert's own checks.
    /// The snapshot is the reviewed list; a change to it is a change to what users see.
    #[test]
    fn the_registry_in_display_order() {
        let rows: String = ALL
            .iter()
            .map(|c| {
                let m = c.meta();
                format!(
                    "{} | {} | {} | {:?}{}{}\n",
                    m.category.id(),
                    m.id,
                    m.description,
                    m.severity,
                    if m.fatal { " | fatal" } else { "" },
                    if m.linkerd_hint {
                        ""
                    } else {
                        " | meshcert's own"
                    }
                )
            })
            .collect();
        insta::assert_snapshot!(rows);
    }

    #[test]
    fn checks_linkerd_lacks_say_so_in_their_docs() {
        for c in ALL.iter().filter(|c| {
            c.meta().id.starts_with("meshcert-")
                || c.meta().id.contains("tap-injector")
                || c.meta().id.contains("jaeger-injector")
        }) {
            assert!(c.meta().docs.contains("meshcert's own"), "{}", c.meta().id);
        }
    }

    #[test]
    fn only_linkerds_checks_hint_at_linkerd_io() {
        for c in ALL {
            let m = c.meta();
            let own = m.docs.contains("meshcert's own");
            assert_eq!(m.linkerd_hint, !own, "{}", m.id);
            let hint = m.hint_url();
            if own {
                assert_eq!(hint, format!("`meshcert explain {}`", m.id));
            } else {
                assert_eq!(hint, format!("https://linkerd.io/2/checks/#{}", m.id));
            }
        }
    }

    #[test]
    fn categories_come_in_display_order() {
        let cats: Vec<_> = ALL.iter().map(|c| c.meta().category).collect();
        let mut sorted = cats.clone();
        sorted.sort();
        assert_eq!(
            cats, sorted,
            "checks of a category are contiguous and categories in display order"
        );
    }

    #[test]
    fn every_check_has_a_docs_page_titled_by_its_id() {
        for c in ALL {
            let m = c.meta();
            assert!(
                m.docs.starts_with(&format!("# {}\n", m.id)),
                "docs page of {} must start with '# {}'",
                m.id,
                m.id
            );
            assert!(
                m.docs.contains(m.description),
                "docs page of {} must state its description",
                m.id
            );
            assert!(
                m.docs.contains("## How to fix"),
                "docs page of {} needs a 'How to fix' section",
                m.id
            );
        }
    }

    #[test]
    fn find_by_id() {
        assert_eq!(
            find("l5d-identity-cert-config-valid")
                .unwrap()
                .meta()
                .description,
            "certificate config is valid"
        );
        assert!(find("nope").is_none());
    }
}
