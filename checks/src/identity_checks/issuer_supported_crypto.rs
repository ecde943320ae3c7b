use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};
use crate::rules::issuer_algorithm_problem;

/// The issuer certificate has an ECDSA P-256 key and an ECDSA-SHA256 or SHA256-RSA signature.
pub struct IssuerUsesSupportedCrypto;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-issuer-cert-uses-supported-crypto",
    category: Category::LinkerdIdentity,
    description: "issuer cert is using supported crypto algorithm",
    severity: Severity::Error,
    fatal: true,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-issuer-cert-uses-supported-crypto.md"),
};

impl Check for IssuerUsesSupportedCrypto {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, _cx: &Context) -> Outcome {
        super::issuer_leaf(snap, issuer_algorithm_problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn rsa_issuer_fails_naming_rsa() {
        let (anchor, issuer) = healthy_pair();
        assert!(matches!(
            IssuerUsesSupportedCrypto.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
        let rsa =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(RSA2048_PKCS8, &rcgen::PKCS_RSA_SHA256)
                .unwrap();
        let rsa_issuer = signed(Spec::ca("identity", 3), rsa, &anchor);
        assert_eq!(
            error_of(IssuerUsesSupportedCrypto.run(
                &crate::check::Input::new(&installed(&anchor.pem, &rsa_issuer)),
                &cx()
            )),
            "issuer certificate must use ECDSA for public key algorithm, instead RSA was used"
        );
    }

    #[test]
    fn skipped_without_an_issuer_certificate() {
        let (anchor, _) = healthy_pair();
        let snap = snapshot(Some(values(&anchor.pem, "linkerd.io/tls")), None);
        assert!(matches!(
            IssuerUsesSupportedCrypto.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Skip(_)
        ));
    }
}
