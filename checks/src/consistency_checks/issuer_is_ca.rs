use crate::cert::Cert;
use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};

/// The issuer certificate may sign the proxies' certificates: CA:TRUE in its basic constraints,
/// keyCertSign when it has a key usage extension, and path lengths above it (its intermediates',
/// the signing anchor's) that leave room for the issuer itself. linkerd verifies the issuer as if
/// it were a leaf, so an anchor with `pathlen:0` passes its check while every proxy certificate
/// under that issuer fails verification.
pub struct IssuerIsCa;

static META: CheckMeta = CheckMeta {
    id: "meshcert-issuer-cert-is-ca",
    category: Category::MeshcertConsistency,
    description: "issuer cert is a CA that can sign proxy certificates",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-issuer-cert-is-ca.md"),
};

impl Check for IssuerIsCa {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        let chain = snap.identity().issuer.as_ref().ok();
        let anchor = super::signing_anchor(snap, cx.at).ok();
        crate::identity_checks::issuer_leaf(snap, |c| {
            let problem = match (c.basic_constraints, c.key_usage_cert_sign) {
                (None, _) => "has no basic constraints extension, so it is not a CA",
                (Some((false, _)), _) => "is not a CA (basic constraints CA:FALSE)",
                (_, Some(false)) => "has a key usage without keyCertSign",
                _ => return path_length_problem(chain.map(|c| c.value.rest()), anchor),
            };
            Some(format!(
                "issuer certificate {} {problem}: it cannot sign the proxies' certificates",
                c.label()
            ))
        })
    }
}

/// A path length constraint above the issuer that forbids the issuer as a CA: the certificate at
/// `depth` CA certificates above the issuer allows at most `pathlen` CA certificates below it, and
/// there are `depth` (the issuer and the intermediates between them).
fn path_length_problem(intermediates: Option<&[Cert]>, anchor: Option<&Cert>) -> Option<String> {
    let above = intermediates
        .unwrap_or_default()
        .iter()
        .map(|c| (c, "intermediate"))
        .chain(anchor.map(|a| (a, "trust anchor")));
    for (depth, (c, role)) in above.enumerate() {
        let below = depth + 1;
        if let Some((true, Some(max))) = c.basic_constraints
            && (max as usize) < below
        {
            return Some(format!(
                "{role} {} allows {max} CA certificate(s) below it (pathlen:{max}) but has {below}, the issuer included: the proxies' certificates will not verify",
                c.label()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair, installed};

    #[test]
    fn a_ca_issuer_passes_and_a_leaf_or_a_ca_without_cert_sign_fails() {
        let (anchor, issuer) = healthy_pair();
        assert!(matches!(
            IssuerIsCa.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
        let leaf = signed(Spec::leaf("identity", 5), p256(), &anchor);
        assert_eq!(
            error_of(IssuerIsCa.run(
                &crate::check::Input::new(&installed(&anchor.pem, &leaf)),
                &cx()
            )),
            "issuer certificate 5 identity is not a CA (basic constraints CA:FALSE): it cannot sign the proxies' certificates"
        );
        let mut spec = Spec::ca("identity", 6);
        spec.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let no_sign = signed(spec, p256(), &anchor);
        assert!(
            error_of(IssuerIsCa.run(
                &crate::check::Input::new(&installed(&anchor.pem, &no_sign)),
                &cx()
            ))
            .contains("without keyCertSign")
        );
    }

    #[test]
    fn an_anchor_whose_path_length_leaves_no_room_for_the_issuer_fails() {
        let mut spec = Spec::ca("root", 1);
        spec.ca = Some(Some(0));
        let anchor = self_signed(spec, p256());
        let issuer = signed(Spec::ca("identity", 2), p256(), &anchor);
        let snap = installed(&anchor.pem, &issuer);
        // linkerd verifies the issuer as a leaf, so its check passes.
        assert!(matches!(
            crate::identity_checks::IssuerIssuedByTrustAnchor
                .run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
        assert_eq!(
            error_of(IssuerIsCa.run(&crate::check::Input::new(&snap), &cx())),
            "trust anchor 1 root allows 0 CA certificate(s) below it (pathlen:0) but has 1, the issuer included: the proxies' certificates will not verify"
        );
        // The issuer's own pathlen:0 is fine: the proxies' certificates are leaves.
        let (anchor, _) = healthy_pair();
        let mut spec = Spec::ca("identity", 3);
        spec.ca = Some(Some(0));
        let issuer = signed(spec, p256(), &anchor);
        assert!(matches!(
            IssuerIsCa.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
    }
}
