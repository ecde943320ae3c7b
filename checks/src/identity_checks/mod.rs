//! Category `linkerd-identity`: linkerd's eight checks of the trust anchors and the issuer.
//!
//! They all read [`crate::identity::IdentityMaterial`]; the helpers below hold what the
//! "every anchor" and "the issuer leaf" checks share.

mod anchors_not_expiring_soon;
mod anchors_supported_crypto;
mod anchors_time_valid;
mod cert_config_valid;
mod issuer_issued_by_anchor;
mod issuer_not_expiring_soon;
mod issuer_supported_crypto;
mod issuer_time_valid;

pub use anchors_not_expiring_soon::TrustAnchorsNotExpiringSoon;
pub use anchors_supported_crypto::TrustAnchorsUseSupportedCrypto;
pub use anchors_time_valid::TrustAnchorsAreTimeValid;
pub use cert_config_valid::CertConfigValid;
pub use issuer_issued_by_anchor::IssuerIssuedByTrustAnchor;
pub use issuer_not_expiring_soon::IssuerNotExpiringSoon;
pub use issuer_supported_crypto::IssuerUsesSupportedCrypto;
pub use issuer_time_valid::IssuerIsTimeValid;

use crate::cert::Cert;
use crate::check::{CertDetail, Details, Input, Outcome};
use crate::identity::Located;

pub(crate) fn cert_detail<T>(
    role: crate::details::CertRole,
    from: &Located<T>,
    cert: &Cert,
    problem: Option<String>,
) -> CertDetail {
    CertDetail::new(role, &from.origin, &cert.facts, problem)
}

/// The issuer chain as details: the leaf, then any further certificates of the chain.
pub(crate) fn issuer_details(
    chain: &Located<crate::cert::Chain>,
    leaf_problem: Option<String>,
) -> Vec<CertDetail> {
    let mut out = vec![cert_detail(
        crate::details::CertRole::Issuer,
        chain,
        chain.value.leaf(),
        leaf_problem,
    )];
    out.extend(
        chain
            .value
            .rest()
            .iter()
            .map(|c| cert_detail(crate::details::CertRole::IssuerChain, chain, c, None)),
    );
    out
}

/// Applies `rule` to every trust anchor; fails listing each offender as linkerd does
/// (`<header>:\n\t* <serial> <CN> <problem>`).
pub(crate) fn each_anchor(
    snap: &Input<'_>,
    header: &str,
    rule: impl Fn(&Cert) -> Option<String>,
) -> Outcome {
    let anchors = match &snap.identity().anchors {
        Ok(a) => a,
        Err(why) => return Outcome::Skip(why.clone()),
    };
    if anchors.value.is_empty() {
        return Outcome::Skip(format!("there are no trust anchors in {}", anchors.origin));
    }
    let mut listed = Vec::new();
    let mut certificates = Vec::new();
    for cert in &anchors.value {
        let problem = rule(cert);
        if let Some(p) = &problem {
            listed.push(crate::check::Problem::at(
                &anchors.origin,
                format!("{} {p}", cert.label()),
            ));
        }
        certificates.push(cert_detail(
            crate::details::CertRole::TrustAnchor,
            anchors,
            cert,
            problem,
        ));
    }
    let details = Details {
        certificates,
        ..Details::default()
    };
    if listed.is_empty() {
        Outcome::Pass(details)
    } else {
        Outcome::Fail {
            error: crate::check::Failure::titled(format!("{header}:"), listed),
            details,
        }
    }
}

/// Applies `rule` to the issuer certificate (the first certificate of the issuer chain).
pub(crate) fn issuer_leaf(snap: &Input<'_>, rule: impl Fn(&Cert) -> Option<String>) -> Outcome {
    let chain = match &snap.identity().issuer {
        Ok(c) => c,
        Err(why) => return Outcome::Skip(why.clone()),
    };
    let problem = rule(chain.value.leaf());
    let details = Details {
        certificates: issuer_details(chain, problem.clone()),
        ..Details::default()
    };
    match problem {
        None => Outcome::Pass(details),
        Some(error) => Outcome::Fail {
            error: crate::check::Problem::at(&chain.origin, error).into(),
            details,
        },
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Builds Snapshots in memory, the way a `linkerd install` renders the identity objects.
    use crate::cert::testutil::*;
    use crate::check::{Context, Outcome};
    use crate::snapshot::*;
    use chrono::DateTime;

    pub const AT: &str = "2026-11-22T12:00:00Z";

    pub fn cx() -> Context {
        Context::new(DateTime::parse_from_rfc3339(AT).unwrap().to_utc())
    }

    pub fn values(anchors_pem: &str, scheme: &str) -> String {
        let indented: String = anchors_pem.lines().map(|l| format!("  {l}\n")).collect();
        format!(
            "identityTrustAnchorsPEM: |\n{indented}identityTrustDomain: cluster.local\nidentity:\n  issuer:\n    scheme: {scheme}\n"
        )
    }

    pub fn snapshot(values_yaml: Option<String>, secret: Option<Vec<(&str, String)>>) -> Snapshot {
        let mut snap = Snapshot::new("linkerd");
        if let Some(v) = values_yaml {
            let mut cm = ConfigMap::default();
            cm.data.insert("values".into(), v);
            snap.insert(
                ObjectRef::new(Kind::ConfigMap, "linkerd", "linkerd-config"),
                ObjectState::Present {
                    object: Object::ConfigMap(cm),
                    from: "test".into(),
                },
            );
        }
        if let Some(entries) = secret {
            let mut s = Secret::default();
            for (k, v) in entries {
                s.data.insert(
                    k.to_string(),
                    SecretValue::Bytes(SecretBytes::new(v.into_bytes())),
                );
            }
            snap.insert(
                ObjectRef::new(Kind::Secret, "linkerd", "linkerd-identity-issuer"),
                ObjectState::Present {
                    object: Object::Secret(s),
                    from: "test".into(),
                },
            );
        }
        snap
    }

    /// A healthy linkerd.io/tls installation: anchor and issuer as `linkerd install` expects.
    pub fn healthy_pair() -> (Made, Made) {
        let anchor = self_signed(Spec::ca("root.linkerd.cluster.local", 1), p256());
        let issuer = signed(
            Spec {
                ca: Some(Some(0)),
                ..Spec::ca("identity.linkerd.cluster.local", 2)
            },
            p256(),
            &anchor,
        );
        (anchor, issuer)
    }

    pub fn installed(anchors_pem: &str, issuer: &Made) -> Snapshot {
        snapshot(
            Some(values(anchors_pem, "linkerd.io/tls")),
            Some(vec![
                ("crt.pem", issuer.pem.clone()),
                ("key.pem", issuer.key_pem()),
            ]),
        )
    }

    #[track_caller]
    pub fn error_of(outcome: Outcome) -> String {
        match outcome {
            Outcome::Fail { error, .. } => error.text(),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
