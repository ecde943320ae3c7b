//! linkerd's certificate rules (`pkg/issuercerts/issuercerts.go`), with its messages.

use chrono::{DateTime, Utc};

use crate::cert::{Cert, KeyAlgorithm, format_time};
use crate::check::MarginSpec;

/// `CheckCertValidityPeriod`: both bounds inclusive.
pub fn validity_problem(cert: &Cert, at: DateTime<Utc>) -> Option<String> {
    if cert.facts.not_before > at {
        Some(format!(
            "not valid before: {}",
            format_time(cert.facts.not_before)
        ))
    } else if cert.facts.not_after < at {
        Some(format!(
            "not valid anymore. Expired on {}",
            format_time(cert.facts.not_after)
        ))
    } else {
        None
    }
}

/// `CheckExpiringSoon`: a problem when the certificate expires before `at + margin`.
pub fn expiring_problem(cert: &Cert, at: DateTime<Utc>, margin: MarginSpec) -> Option<String> {
    let delta = margin.for_validity(cert.facts.not_before, cert.facts.not_after);
    let horizon = at
        .checked_add_signed(delta)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (horizon > cert.facts.not_after)
        .then(|| format!("will expire on {}", format_time(cert.facts.not_after)))
}

fn ecdsa_problem(cert: &Cert, bits: u32, curve: &str) -> Option<String> {
    if bits != 256 {
        let used = if bits == 0 {
            curve.to_string()
        } else {
            format!("P-{bits}")
        };
        return Some(format!(
            "must use P-256 curve for public key, instead {used} was used"
        ));
    }
    let sig = cert.signature_algorithm.as_str();
    (sig != "ECDSA-SHA256" && sig != "SHA256-RSA")
        .then(|| format!("must be signed by an ECDSA P-256 key, instead {sig} was used"))
}

/// `CheckIssuerCertAlgoRequirements`, already prefixed "issuer certificate" as linkerd prints it.
pub fn issuer_algorithm_problem(cert: &Cert) -> Option<String> {
    match &cert.key_algorithm {
        KeyAlgorithm::Ecdsa { bits, curve } => {
            ecdsa_problem(cert, *bits, curve).map(|p| format!("issuer certificate {p}"))
        }
        other => Some(format!(
            "issuer certificate must use ECDSA for public key algorithm, instead {} was used",
            other.go_name()
        )),
    }
}

/// `CheckTrustAnchorAlgoRequirements`.
pub fn anchor_algorithm_problem(cert: &Cert) -> Option<String> {
    match &cert.key_algorithm {
        KeyAlgorithm::Ecdsa { bits, curve } => ecdsa_problem(cert, *bits, curve),
        KeyAlgorithm::Rsa { bits } => {
            if *bits != 2048 && *bits != 4096 {
                return Some(format!(
                    "RSA must use a 2048 or 4096 bit public key, instead {bits} bit public key was used"
                ));
            }
            let sig = cert.signature_algorithm.as_str();
            (sig != "SHA256-RSA").then(|| {
                format!("must be signed by an RSA 2048/4096 bit key, instead {sig} was used")
            })
        }
        other => Some(format!(
            "trust anchor must use ECDSA or RSA for public key algorithm, instead {} was used",
            other.go_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn validity_bounds_are_inclusive() {
        let mut spec = Spec::ca("c", 1);
        spec.not_before = "2026-01-01T00:00:00Z";
        spec.not_after = "2027-01-01T00:00:00Z";
        let c = self_signed(spec, p256()).cert;
        assert_eq!(validity_problem(&c, at("2026-01-01T00:00:00Z")), None);
        assert_eq!(validity_problem(&c, at("2027-01-01T00:00:00Z")), None);
        assert_eq!(
            validity_problem(&c, at("2025-12-31T23:59:59Z")).unwrap(),
            "not valid before: 2026-01-01T00:00:00Z"
        );
        assert_eq!(
            validity_problem(&c, at("2027-01-01T00:00:01Z")).unwrap(),
            "not valid anymore. Expired on 2027-01-01T00:00:00Z"
        );
    }

    #[test]
    fn expiring_soon_uses_the_margin() {
        let mut spec = Spec::ca("c", 1);
        spec.not_after = "2027-01-01T00:00:00Z";
        let c = self_signed(spec, p256()).cert;
        let margin = MarginSpec::default();
        // Exactly 60 days before expiry: not yet warned (linkerd: After is strict).
        assert_eq!(
            expiring_problem(&c, at("2026-11-02T00:00:00Z"), margin),
            None
        );
        assert_eq!(
            expiring_problem(&c, at("2026-11-02T00:00:01Z"), margin).unwrap(),
            "will expire on 2027-01-01T00:00:00Z"
        );
        let short: MarginSpec = "48h".parse().unwrap();
        assert_eq!(
            expiring_problem(&c, at("2026-11-02T00:00:01Z"), short),
            None
        );
        // 2025-01-01 → 2027-01-01 is 730 days; 10% of it is 73 days.
        let tenth: MarginSpec = "10%".parse().unwrap();
        assert_eq!(
            expiring_problem(&c, at("2026-10-20T00:00:00Z"), tenth),
            None
        );
        assert!(expiring_problem(&c, at("2026-10-20T00:00:01Z"), tenth).is_some());
    }

    #[test]
    fn algorithms_follow_linkerd() {
        let p256_root = self_signed(Spec::ca("a", 1), p256());
        assert_eq!(anchor_algorithm_problem(&p256_root.cert), None);
        assert_eq!(issuer_algorithm_problem(&p256_root.cert), None);

        let p384 = self_signed(Spec::ca("b", 2), key(&rcgen::PKCS_ECDSA_P384_SHA384));
        assert_eq!(
            anchor_algorithm_problem(&p384.cert).unwrap(),
            "must use P-256 curve for public key, instead P-384 was used"
        );
        // A P-256 issuer signed by a P-384 anchor: the signature algorithm is refused.
        let issuer = signed(Spec::ca("i", 3), p256(), &p384);
        assert_eq!(
            issuer_algorithm_problem(&issuer.cert).unwrap(),
            "issuer certificate must be signed by an ECDSA P-256 key, instead ECDSA-SHA384 was used"
        );

        let rsa4096 =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(RSA4096_PKCS8, &rcgen::PKCS_RSA_SHA256)
                .unwrap();
        let rsa_root = self_signed(Spec::ca("r", 4), rsa4096);
        assert_eq!(anchor_algorithm_problem(&rsa_root.cert), None);
        assert_eq!(
            issuer_algorithm_problem(&rsa_root.cert).unwrap(),
            "issuer certificate must use ECDSA for public key algorithm, instead RSA was used"
        );
        // An ECDSA issuer signed by an RSA anchor is fine (SHA256-RSA).
        let issuer = signed(Spec::ca("i", 5), p256(), &rsa_root);
        assert_eq!(issuer_algorithm_problem(&issuer.cert), None);

        let rsa384 =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(RSA2048_PKCS8, &rcgen::PKCS_RSA_SHA384)
                .unwrap();
        let rsa_root = self_signed(Spec::ca("r", 6), rsa384);
        assert_eq!(
            anchor_algorithm_problem(&rsa_root.cert).unwrap(),
            "must be signed by an RSA 2048/4096 bit key, instead SHA384-RSA was used"
        );

        let rsa3072 =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(RSA3072_PKCS8, &rcgen::PKCS_RSA_SHA256)
                .unwrap();
        let rsa_root = self_signed(Spec::ca("r", 8), rsa3072);
        assert_eq!(
            anchor_algorithm_problem(&rsa_root.cert).unwrap(),
            "RSA must use a 2048 or 4096 bit public key, instead 3072 bit public key was used"
        );

        let ed = self_signed(Spec::ca("e", 7), key(&rcgen::PKCS_ED25519));
        assert_eq!(
            anchor_algorithm_problem(&ed.cert).unwrap(),
            "trust anchor must use ECDSA or RSA for public key algorithm, instead Ed25519 was used"
        );
    }
}
