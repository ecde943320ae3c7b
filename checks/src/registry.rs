//! The registry: every check, in display order. Adding a check means adding it here, with its
//! docs page; the tests below keep the registry honest.

use crate::check::Check;
use crate::data_plane::ProxiesCertsMatchCa;
use crate::identity_checks::*;
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
];

/// The check with this id.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    ALL.iter().copied().find(|c| c.meta().id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Severity;
    use std::collections::BTreeSet;

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

    /// linkerd's descriptions, anchors and severities (../shared/reference/linkerd-check.md 1.1).
    #[test]
    fn identity_checks_match_linkerd() {
        let expected = [
            (
                "certificate config is valid",
                "l5d-identity-cert-config-valid",
                Severity::Error,
            ),
            (
                "trust anchors are using supported crypto algorithm",
                "l5d-identity-trustAnchors-use-supported-crypto",
                Severity::Error,
            ),
            (
                "trust anchors are within their validity period",
                "l5d-identity-trustAnchors-are-time-valid",
                Severity::Error,
            ),
            (
                "trust anchors are valid for at least 60 days",
                "l5d-identity-trustAnchors-not-expiring-soon",
                Severity::Warning,
            ),
            (
                "issuer cert is using supported crypto algorithm",
                "l5d-identity-issuer-cert-uses-supported-crypto",
                Severity::Error,
            ),
            (
                "issuer cert is within its validity period",
                "l5d-identity-issuer-cert-is-time-valid",
                Severity::Error,
            ),
            (
                "issuer cert is valid for at least 60 days",
                "l5d-identity-issuer-cert-not-expiring-soon",
                Severity::Warning,
            ),
            (
                "issuer cert is issued by the trust anchor",
                "l5d-identity-issuer-cert-issued-by-trust-anchor",
                Severity::Error,
            ),
        ];
        let actual: Vec<_> = ALL[..8]
            .iter()
            .map(|c| (c.meta().description, c.meta().id, c.meta().severity))
            .collect();
        assert_eq!(actual, expected);
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
