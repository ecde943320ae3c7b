use crate::check::{
    Category, Check, CheckMeta, Context, Details, Failure, Input, KeyDetail, Outcome, Severity,
};

/// The identity objects exist and hold an issuer certificate, a matching private key and a
/// readable trust-anchor bundle.
pub struct CertConfigValid;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-cert-config-valid",
    category: Category::LinkerdIdentity,
    description: "certificate config is valid",
    severity: Severity::Error,
    fatal: true,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-cert-config-valid.md"),
};

impl Check for CertConfigValid {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, _cx: &Context) -> Outcome {
        let id = snap.identity();
        let issuer_key = id.key.as_ref().ok().map(|k| KeyDetail {
            source: k.origin.to_string(),
            algorithm: k.value.describe(),
            matches_certificate: id.key_matches == Some(true),
        });
        let details = Details {
            issuer_key,
            ..Details::default()
        };
        if id.problems.is_empty() {
            Outcome::Pass(details)
        } else {
            Outcome::Fail {
                error: Failure::problems(id.problems.clone()),
                details,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn healthy_linkerd_tls_scheme_passes_and_reports_the_key_without_its_bytes() {
        let (anchor, issuer) = healthy_pair();
        let snap = installed(&anchor.pem, &issuer);
        let Outcome::Pass(details) = CertConfigValid.run(&crate::check::Input::new(&snap), &cx())
        else {
            panic!()
        };
        let key = details.issuer_key.unwrap();
        assert_eq!(key.algorithm, "ECDSA P-256");
        assert!(key.matches_certificate);
        assert_eq!(
            key.source,
            "key key.pem of Secret linkerd/linkerd-identity-issuer"
        );
    }

    #[test]
    fn empty_scheme_reads_the_linkerd_tls_keys() {
        let (anchor, issuer) = healthy_pair();
        let snap = snapshot(
            Some(values(&anchor.pem, "\"\"")),
            Some(vec![
                ("crt.pem", issuer.pem.clone()),
                ("key.pem", issuer.key_pem()),
            ]),
        );
        assert!(matches!(
            CertConfigValid.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn kubernetes_tls_scheme_reads_ca_crt_tls_crt_tls_key() {
        let (anchor, issuer) = healthy_pair();
        let snap = snapshot(
            Some(values("", "kubernetes.io/tls")),
            Some(vec![
                ("ca.crt", anchor.pem.clone()),
                ("tls.crt", issuer.pem.clone()),
                ("tls.key", issuer.key_pem()),
            ]),
        );
        assert!(
            matches!(
                CertConfigValid.run(&crate::check::Input::new(&snap), &cx()),
                Outcome::Pass(_)
            ),
            "{:?}",
            CertConfigValid.run(&crate::check::Input::new(&snap), &cx())
        );
    }

    #[test]
    fn scheme_and_secret_mismatch_name_the_missing_key() {
        let (anchor, issuer) = healthy_pair();
        let external_secret = vec![
            ("ca.crt", anchor.pem.clone()),
            ("tls.crt", issuer.pem.clone()),
            ("tls.key", issuer.key_pem()),
        ];
        let snap = snapshot(
            Some(values(&anchor.pem, "linkerd.io/tls")),
            Some(external_secret),
        );
        let err = error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx()));
        assert!(err.contains("* key crt.pem containing the issuer certificate needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=false"), "{err}");
        assert!(err.contains("* key key.pem containing the issuer private key needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=false"), "{err}");

        let linkerd_secret = vec![
            ("crt.pem", issuer.pem.clone()),
            ("key.pem", issuer.key_pem()),
        ];
        let snap = snapshot(Some(values("", "kubernetes.io/tls")), Some(linkerd_secret));
        let err = error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx()));
        assert!(err.contains("key ca.crt containing the trust anchors needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=true"), "{err}");
    }

    #[test]
    fn missing_objects_are_named() {
        let (anchor, _) = healthy_pair();
        let snap = snapshot(Some(values(&anchor.pem, "linkerd.io/tls")), None);
        assert_eq!(
            error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx())),
            "Secret linkerd/linkerd-identity-issuer not found"
        );
        let snap = snapshot(None, None);
        assert_eq!(
            error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx())),
            "ConfigMap linkerd/linkerd-config not found"
        );
    }

    #[test]
    fn trailing_newline_after_the_anchor_bundle_fails_as_in_linkerd() {
        let (anchor, issuer) = healthy_pair();
        let snap = snapshot(
            Some(values("", "kubernetes.io/tls")),
            Some(vec![
                ("ca.crt", format!("{}\n", anchor.pem)),
                ("tls.crt", issuer.pem.clone()),
                ("tls.key", issuer.key_pem()),
            ]),
        );
        assert_eq!(
            error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx())),
            "could not parse trust anchors from key ca.crt of Secret linkerd/linkerd-identity-issuer: not a PEM certificate"
        );
    }

    #[test]
    fn key_of_another_certificate_does_not_match() {
        let (anchor, issuer) = healthy_pair();
        let snap = snapshot(
            Some(values(&anchor.pem, "linkerd.io/tls")),
            Some(vec![
                ("crt.pem", issuer.pem.clone()),
                ("key.pem", p256().serialize_pem()),
            ]),
        );
        let err = error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx()));
        assert!(err.starts_with("tls: Public and private key do not match: the private key in key key.pem of Secret linkerd/linkerd-identity-issuer"), "{err}");
    }

    #[test]
    fn empty_anchor_bundle_is_a_config_problem() {
        let (_, issuer) = healthy_pair();
        let snap = installed("", &issuer);
        assert_eq!(
            error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx())),
            "no trust anchors found in field identityTrustAnchorsPEM in key values of ConfigMap linkerd/linkerd-config"
        );
    }

    #[test]
    fn undecodable_secret_value_is_named() {
        use crate::snapshot::*;
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let mut s = Secret::default();
        s.data.insert(
            "crt.pem".into(),
            SecretValue::Bytes(SecretBytes::new(issuer.pem.clone().into_bytes())),
        );
        s.data.insert(
            "key.pem".into(),
            SecretValue::Undecodable("invalid byte 33 at offset 4".into()),
        );
        snap.insert(
            ObjectRef::new(Kind::Secret, "linkerd", "linkerd-identity-issuer"),
            ObjectState::Present {
                object: Object::Secret(s),
                from: "t".into(),
            },
        );
        assert_eq!(
            error_of(CertConfigValid.run(&crate::check::Input::new(&snap), &cx())),
            "key key.pem of Secret linkerd/linkerd-identity-issuer is not valid base64: invalid byte 33 at offset 4"
        );
    }
}
