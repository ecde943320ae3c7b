use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};
use crate::rules::anchor_algorithm_problem;

/// Every trust anchor is ECDSA P-256, or RSA 2048/4096 signed with SHA-256.
pub struct TrustAnchorsUseSupportedCrypto;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-trustAnchors-use-supported-crypto",
    category: Category::LinkerdIdentity,
    description: "trust anchors are using supported crypto algorithm",
    severity: Severity::Error,
    fatal: true,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-trustAnchors-use-supported-crypto.md"),
};

impl Check for TrustAnchorsUseSupportedCrypto {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, _cx: &Context) -> Outcome {
        super::each_anchor(snap, "Invalid trustAnchors", anchor_algorithm_problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn p256_passes_and_p384_fails_naming_the_curve() {
        let (anchor, issuer) = healthy_pair();
        assert!(matches!(
            TrustAnchorsUseSupportedCrypto.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
        let p384 = self_signed(Spec::ca("big", 7), key(&rcgen::PKCS_ECDSA_P384_SHA384));
        let bundle = format!("{}{}", anchor.pem, p384.pem);
        assert_eq!(
            error_of(TrustAnchorsUseSupportedCrypto.run(
                &crate::check::Input::new(&installed(&bundle, &issuer)),
                &cx()
            )),
            "Invalid trustAnchors:\n\t* 7 big must use P-256 curve for public key, instead P-384 was used"
        );
    }

    #[test]
    fn skipped_when_anchors_cannot_be_read() {
        let (_, issuer) = healthy_pair();
        let out = TrustAnchorsUseSupportedCrypto.run(
            &crate::check::Input::new(&installed("garbage\n", &issuer)),
            &cx(),
        );
        assert!(
            matches!(out, Outcome::Skip(ref why) if why.contains("certificate config is valid")),
            "{out:?}"
        );
    }
}
