use crate::check::{Category, Check, CheckMeta, Context, Details, Input, Outcome, Severity};
use crate::verify::{Options, verify};

/// The issuer certificate chains to one of the trust anchors (Go x509 verification rules).
pub struct IssuerIssuedByTrustAnchor;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-issuer-cert-issued-by-trust-anchor",
    category: Category::LinkerdIdentity,
    description: "issuer cert is issued by the trust anchor",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-issuer-cert-issued-by-trust-anchor.md"),
};

impl Check for IssuerIssuedByTrustAnchor {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        let id = snap.identity();
        let (anchors, chain) = match (&id.anchors, &id.issuer) {
            (Ok(a), Ok(c)) => (a, c),
            (Err(why), _) | (_, Err(why)) => return Outcome::Skip(why.clone()),
        };
        let intermediates = crate::verify::linkerd_intermediates(&chain.value);
        let opts = Options {
            roots: &anchors.value,
            intermediates: &intermediates,
            dns_name: None,
            at: cx.at,
        };
        let result = verify(chain.value.leaf(), &opts);
        let signer = result.as_ref().ok().and_then(|c| c.last()).map(|c| c.der());
        let mut certificates = super::issuer_details(chain, None);
        // The anchors, the one that signed the issuer (if any) marked by being listed first.
        let mut anchor_details: Vec<_> = anchors
            .value
            .iter()
            .map(|a| super::cert_detail(crate::details::CertRole::TrustAnchor, anchors, a, None))
            .collect();
        if let Some(pos) = anchors.value.iter().position(|a| Some(a.der()) == signer) {
            let signing = anchor_details.remove(pos);
            anchor_details.insert(
                0,
                crate::check::CertDetail {
                    role: crate::details::CertRole::SigningTrustAnchor,
                    ..signing
                },
            );
        }
        certificates.extend(anchor_details);
        let details = Details {
            certificates,
            ..Details::default()
        };
        match result {
            Ok(_) => Outcome::Pass(details),
            Err(e) => Outcome::Fail {
                error: crate::check::Problem::at(
                    &chain.origin,
                    crate::verify::linkerd_message(&e, chain.value.leaf(), cx.at),
                )
                .into(),
                details,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn issuer_from_the_anchor_passes_and_names_the_signing_anchor() {
        let old = self_signed(Spec::ca("old", 8), p256());
        let (anchor, issuer) = healthy_pair();
        let bundle = format!("{}{}", old.pem, anchor.pem);
        let Outcome::Pass(details) = IssuerIssuedByTrustAnchor.run(
            &crate::check::Input::new(&installed(&bundle, &issuer)),
            &cx(),
        ) else {
            panic!()
        };
        let roles: Vec<_> = details
            .certificates
            .iter()
            .map(|c| (c.role.as_str(), c.facts.serial.as_str()))
            .collect();
        assert_eq!(
            roles,
            [
                ("issuer", "2"),
                ("signing-trust-anchor", "1"),
                ("trust-anchor", "8")
            ]
        );
    }

    #[test]
    fn issuer_from_another_root_fails_with_go_words() {
        let (anchor, _) = healthy_pair();
        let other = self_signed(Spec::ca("other-root", 3), p256());
        let issuer = signed(Spec::ca("identity", 4), p256(), &other);
        assert_eq!(
            error_of(IssuerIssuedByTrustAnchor.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            )),
            "x509: certificate signed by unknown authority"
        );
    }

    #[test]
    fn issuer_identical_to_the_anchor_passes() {
        // linkerd's unit tests use one self-signed CA as both anchor and issuer.
        let ca = self_signed(Spec::ca("identity.linkerd.cluster.local", 1), p256());
        assert!(matches!(
            IssuerIssuedByTrustAnchor
                .run(&crate::check::Input::new(&installed(&ca.pem, &ca)), &cx()),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn intermediates_are_tried_in_linkerds_order_last_first() {
        // One intermediate, cross-signed by two anchors: both chains are valid, and the anchor
        // Go reaches is the one behind the intermediate it tries first. linkerd's TrustChain
        // holds crt.pem's extra certificates last first.
        let anchor_a = self_signed(Spec::ca("anchor-a", 1), p256());
        let anchor_b = self_signed(Spec::ca("anchor-b", 2), p256());
        let inter = signed(Spec::ca("inter", 3), p256(), &anchor_a);
        let same_key = rcgen::KeyPair::from_pem(&inter.key_pem()).unwrap();
        let inter_by_b = signed(Spec::ca("inter", 4), same_key, &anchor_b);
        let mut issuer = signed(
            Spec {
                ca: Some(Some(0)),
                ..Spec::ca("identity", 5)
            },
            p256(),
            &inter,
        );
        let anchors = format!("{}{}", anchor_a.pem, anchor_b.pem);
        let leaf_pem = issuer.pem.clone();
        let mut signer = |extra: [&str; 2]| {
            issuer.pem = format!("{leaf_pem}{}{}", extra[0], extra[1]);
            let Outcome::Pass(details) = IssuerIssuedByTrustAnchor.run(
                &crate::check::Input::new(&installed(&anchors, &issuer)),
                &cx(),
            ) else {
                panic!("the issuer verifies")
            };
            details
                .certificates
                .iter()
                .find(|c| c.role == crate::details::CertRole::SigningTrustAnchor)
                .map(|c| c.facts.serial.clone())
        };
        assert_eq!(signer([&inter_by_b.pem, &inter.pem]).as_deref(), Some("1"));
        assert_eq!(signer([&inter.pem, &inter_by_b.pem]).as_deref(), Some("2"));
    }

    #[test]
    fn intermediates_in_crt_pem_are_used() {
        let root = self_signed(Spec::ca("root", 1), p256());
        let inter = signed(Spec::ca("inter", 2), p256(), &root);
        let issuer = signed(
            Spec {
                ca: Some(Some(0)),
                ..Spec::ca("identity", 3)
            },
            p256(),
            &inter,
        );
        let mut with_chain = issuer;
        with_chain.pem = format!("{}{}", with_chain.pem, inter.pem);
        assert!(matches!(
            IssuerIssuedByTrustAnchor.run(
                &crate::check::Input::new(&installed(&root.pem, &with_chain)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
    }
}
