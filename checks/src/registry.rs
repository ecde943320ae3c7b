//! The registry: every check, in display order. Adding a check means adding it here, with its
//! docs page; the tests below keep the registry honest.

use crate::check::Check;
use crate::consistency_checks::{
    CertManagerIssuerReady, CertManagerRenewsIssuer, IssuerExpiresBeforeAnchor, IssuerIsCa,
    ProxiesTrustIssuerAnchor, TrustAnchorsAgree,
};
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
    &TrustAnchorsAgree,
    &IssuerIsCa,
    &IssuerExpiresBeforeAnchor,
    &ProxiesTrustIssuerAnchor,
    &CertManagerIssuerReady,
    &CertManagerRenewsIssuer,
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

    /// linkerd's webhook, tap and data-plane checks (reference 1.2–1.4), then meshcert's own:
    /// tap-injector, jaeger-injector and the consistency checks.
    #[test]
    fn the_other_checks_match_linkerd_or_are_meshcerts_own() {
        use crate::check::Category::*;
        let expected = [
            (
                "proxy-injector webhook has valid cert",
                "l5d-proxy-injector-webhook-cert-valid",
                Severity::Error,
                LinkerdWebhooksAndApisvcTls,
            ),
            (
                "proxy-injector cert is valid for at least 60 days",
                "l5d-proxy-injector-webhook-cert-not-expiring-soon",
                Severity::Warning,
                LinkerdWebhooksAndApisvcTls,
            ),
            (
                "sp-validator webhook has valid cert",
                "l5d-sp-validator-webhook-cert-valid",
                Severity::Error,
                LinkerdWebhooksAndApisvcTls,
            ),
            (
                "sp-validator cert is valid for at least 60 days",
                "l5d-sp-validator-webhook-cert-not-expiring-soon",
                Severity::Warning,
                LinkerdWebhooksAndApisvcTls,
            ),
            (
                "policy-validator webhook has valid cert",
                "l5d-policy-validator-webhook-cert-valid",
                Severity::Error,
                LinkerdWebhooksAndApisvcTls,
            ),
            (
                "policy-validator cert is valid for at least 60 days",
                "l5d-policy-validator-webhook-cert-not-expiring-soon",
                Severity::Warning,
                LinkerdWebhooksAndApisvcTls,
            ),
            (
                "data plane proxies certificate match CA",
                "l5d-identity-data-plane-proxies-certs-match-ca",
                Severity::Warning,
                LinkerdIdentityDataPlane,
            ),
            (
                "tap API server has valid cert",
                "l5d-tap-cert-valid",
                Severity::Error,
                LinkerdViz,
            ),
            (
                "tap API server cert is valid for at least 60 days",
                "l5d-tap-cert-not-expiring-soon",
                Severity::Warning,
                LinkerdViz,
            ),
            (
                "tap-injector webhook has valid cert",
                "l5d-tap-injector-webhook-cert-valid",
                Severity::Error,
                LinkerdViz,
            ),
            (
                "tap-injector cert is valid for at least 60 days",
                "l5d-tap-injector-webhook-cert-not-expiring-soon",
                Severity::Warning,
                LinkerdViz,
            ),
            (
                "jaeger-injector webhook has valid cert",
                "l5d-jaeger-injector-webhook-cert-valid",
                Severity::Error,
                LinkerdJaeger,
            ),
            (
                "jaeger-injector cert is valid for at least 60 days",
                "l5d-jaeger-injector-webhook-cert-not-expiring-soon",
                Severity::Warning,
                LinkerdJaeger,
            ),
            (
                "trust anchors agree across linkerd-config, linkerd-identity-trust-roots and the issuer secret",
                "meshcert-trust-anchors-agree",
                Severity::Warning,
                MeshcertConsistency,
            ),
            (
                "issuer cert is a CA that can sign proxy certificates",
                "meshcert-issuer-cert-is-ca",
                Severity::Error,
                MeshcertConsistency,
            ),
            (
                "issuer cert expires before the trust anchor that signed it",
                "meshcert-issuer-cert-expires-before-anchor",
                Severity::Warning,
                MeshcertConsistency,
            ),
            (
                "proxies trust the anchor that signed the current issuer",
                "meshcert-proxies-trust-issuer-anchor",
                Severity::Error,
                MeshcertConsistency,
            ),
            (
                "cert-manager's Certificate for the issuer is Ready",
                "meshcert-cert-manager-issuer-ready",
                Severity::Error,
                MeshcertConsistency,
            ),
            (
                "cert-manager renews the issuer before the expiry margin",
                "meshcert-cert-manager-renews-issuer",
                Severity::Warning,
                MeshcertConsistency,
            ),
        ];
        let actual: Vec<_> = ALL[8..]
            .iter()
            .map(|c| {
                (
                    c.meta().description,
                    c.meta().id,
                    c.meta().severity,
                    c.meta().category,
                )
            })
            .collect();
        assert_eq!(actual, expected);
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
