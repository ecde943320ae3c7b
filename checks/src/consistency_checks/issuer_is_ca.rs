use crate::check::{Category, Check, CheckMeta, Context, Outcome, Severity};
use crate::snapshot::Snapshot;

/// The issuer certificate may sign the proxies' certificates: CA:TRUE in its basic constraints,
/// and keyCertSign when it has a key usage extension.
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

    fn run(&self, snap: &Snapshot, _cx: &Context) -> Outcome {
        crate::identity_checks::issuer_leaf(snap, |c| {
            let problem = match (c.basic_constraints, c.key_usage_cert_sign) {
                (None, _) => "has no basic constraints extension, so it is not a CA",
                (Some((false, _)), _) => "is not a CA (basic constraints CA:FALSE)",
                (_, Some(false)) => "has a key usage without keyCertSign",
                _ => return None,
            };
            Some(format!(
                "issuer certificate {} {problem}: it cannot sign the proxies' certificates",
                c.label()
            ))
        })
    }
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
            IssuerIsCa.run(&installed(&anchor.pem, &issuer), &cx()),
            Outcome::Pass(_)
        ));
        let leaf = signed(Spec::leaf("identity", 5), p256(), &anchor);
        assert_eq!(
            error_of(IssuerIsCa.run(&installed(&anchor.pem, &leaf), &cx())),
            "issuer certificate 5 identity is not a CA (basic constraints CA:FALSE): it cannot sign the proxies' certificates"
        );
        let mut spec = Spec::ca("identity", 6);
        spec.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let no_sign = signed(spec, p256(), &anchor);
        assert!(
            error_of(IssuerIsCa.run(&installed(&anchor.pem, &no_sign), &cx()))
                .contains("without keyCertSign")
        );
    }
}
