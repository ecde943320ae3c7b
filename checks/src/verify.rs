//! Certificate chain verification with the semantics of Go's `crypto/x509` `Certificate.Verify`,
//! which linkerd uses for "issuer cert is issued by the trust anchor" and the webhook checks:
//!
//! 1. the leaf must be within its validity period at the evaluation instant;
//! 2. with a DNS name, the leaf's SAN dNSNames must match it (the CN is ignored);
//! 3. a leaf byte-identical to a root is trusted as is (self-signed webhook certs, issuer == anchor);
//! 4. otherwise chains are built from candidate parents (roots first, then intermediates) whose
//!    subject is the child's issuer: the parent must be allowed to sign (basic constraints CA when
//!    it is a v3 certificate, keyCertSign when key usage is present), its signature over the child
//!    must verify (SHA-1 and MD5 are refused), it must be within its validity period,
//!    intermediates must be CAs, and path-length constraints hold;
//! 5. every certificate of a chain that carries an extended key usage must allow serverAuth.
//!
//! Errors read like Go's, so meshcert's messages match linkerd's.

use chrono::{DateTime, Utc};

use crate::cert::{Cert, format_time};

/// Go's signature-check budget per verification.
const MAX_SIGNATURE_CHECKS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("x509: certificate has expired or is not yet valid: {0}")]
    Expired(String),
    #[error("x509: certificate is valid for {valid}, not {wanted}")]
    HostnameMismatch { valid: String, wanted: String },
    #[error("x509: certificate is not valid for any names, but wanted to match {0}")]
    NoNames(String),
    #[error("x509: certificate signed by unknown authority{hint}")]
    UnknownAuthority { hint: String },
    #[error("x509: certificate specifies an incompatible key usage")]
    IncompatibleUsage,
    #[error("x509: signature check attempts limit reached while verifying certificate chain")]
    TooManySignatureChecks,
}

/// Why one candidate parent was rejected (Go's `hintErr`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum CandidateError {
    CannotSign,
    InsecureAlgorithm(String),
    BadSignature(String),
    NotAuthorizedToSign,
    TooManyIntermediates,
    Expired(String),
}

impl std::fmt::Display for CandidateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CandidateError::CannotSign => write!(
                f,
                "x509: invalid signature: parent certificate cannot sign this kind of certificate"
            ),
            CandidateError::InsecureAlgorithm(a) => {
                write!(f, "x509: cannot verify signature: insecure algorithm {a}")
            }
            CandidateError::BadSignature(why) => write!(f, "x509: {why}"),
            CandidateError::NotAuthorizedToSign => {
                write!(
                    f,
                    "x509: certificate is not authorized to sign other certificates"
                )
            }
            CandidateError::TooManyIntermediates => {
                write!(f, "x509: too many intermediates for path length constraint")
            }
            CandidateError::Expired(d) => {
                write!(f, "x509: certificate has expired or is not yet valid: {d}")
            }
        }
    }
}

pub struct Options<'a> {
    pub roots: &'a [Cert],
    pub intermediates: &'a [Cert],
    pub dns_name: Option<&'a str>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Intermediate,
    Root,
}

fn validity_error(cert: &Cert, at: DateTime<Utc>) -> Option<String> {
    let now = format_time(at);
    if at < cert.facts.not_before {
        Some(format!(
            "current time {now} is before {}",
            format_time(cert.facts.not_before)
        ))
    } else if at > cert.facts.not_after {
        Some(format!(
            "current time {now} is after {}",
            format_time(cert.facts.not_after)
        ))
    } else {
        None
    }
}

fn matches_hostname(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    if p.len() != h.len() {
        return false;
    }
    p.iter()
        .zip(&h)
        .enumerate()
        .all(|(i, (pl, hl))| (i == 0 && *pl == "*" && !hl.is_empty()) || pl == hl)
}

/// The signature of `child` by `parent`'s key, refusing what Go refuses.
fn check_signature(child: &Cert, parent: &Cert) -> Result<(), CandidateError> {
    let v3 = parent.version == 3;
    match parent.basic_constraints {
        None if v3 => return Err(CandidateError::CannotSign),
        Some((false, _)) => return Err(CandidateError::CannotSign),
        _ => {}
    }
    if parent.key_usage_cert_sign == Some(false) {
        return Err(CandidateError::CannotSign);
    }
    let alg = child.signature_algorithm.as_str();
    if alg.starts_with("MD5") || alg.contains("SHA1") {
        return Err(CandidateError::InsecureAlgorithm(alg.to_string()));
    }
    let c = child.x509();
    let p = parent.x509();
    c.verify_signature(Some(p.public_key())).map_err(|e| {
        CandidateError::BadSignature(match e {
            x509_parser::error::X509Error::SignatureVerificationError => {
                format!("{} verification failure", parent.key_algorithm.go_name())
            }
            x509_parser::error::X509Error::SignatureUnsupportedAlgorithm => {
                format!("cannot verify signature: algorithm unimplemented ({alg})")
            }
            other => other.to_string(),
        })
    })
}

struct Builder<'a> {
    opts: &'a Options<'a>,
    signature_checks: usize,
    hint: Option<(CandidateError, &'a Cert)>,
    exhausted: bool,
}

impl<'a> Builder<'a> {
    /// Candidate parents of `cert` from `pool`, in Go's priority order: matching key
    /// identifiers first, then those where either identifier is absent, then mismatches.
    fn candidates(cert: &Cert, pool: &'a [Cert]) -> Vec<&'a Cert> {
        let mut found: Vec<(u8, &Cert)> = pool
            .iter()
            .filter(|p| p.raw_subject == cert.raw_issuer)
            .map(|p| {
                let rank = match (&cert.authority_key_id, &p.subject_key_id) {
                    (Some(a), Some(s)) if a == s => 0,
                    (Some(_), Some(_)) => 2,
                    _ => 1,
                };
                (rank, p)
            })
            .collect();
        found.sort_by_key(|(rank, _)| *rank);
        found.into_iter().map(|(_, p)| p).collect()
    }

    fn build(&mut self, chain: &[&'a Cert]) -> Vec<Vec<&'a Cert>> {
        let mut chains = Vec::new();
        let cert = chain[chain.len() - 1];
        let pools = [
            (Role::Root, self.opts.roots),
            (Role::Intermediate, self.opts.intermediates),
        ];
        for (role, pool) in pools {
            for parent in Self::candidates(cert, pool) {
                if self.exhausted {
                    return chains;
                }
                if chain
                    .iter()
                    .any(|c| c.raw_subject == parent.raw_subject && c.raw_spki == parent.raw_spki)
                {
                    continue;
                }
                self.signature_checks += 1;
                if self.signature_checks > MAX_SIGNATURE_CHECKS {
                    self.exhausted = true;
                    return chains;
                }
                if let Err(e) = check_signature(cert, parent)
                    .and_then(|()| self.parent_valid(parent, role, chain))
                {
                    self.hint.get_or_insert((e, parent));
                    continue;
                }
                let mut next = chain.to_vec();
                next.push(parent);
                match role {
                    Role::Root => chains.push(next),
                    Role::Intermediate => chains.extend(self.build(&next)),
                }
            }
        }
        chains
    }

    /// Go's `isValid` for a parent about to be added to `chain`.
    fn parent_valid(&self, cert: &Cert, role: Role, chain: &[&Cert]) -> Result<(), CandidateError> {
        if let Some(detail) = validity_error(cert, self.opts.at) {
            return Err(CandidateError::Expired(detail));
        }
        if role == Role::Intermediate && !matches!(cert.basic_constraints, Some((true, _))) {
            return Err(CandidateError::NotAuthorizedToSign);
        }
        if let Some((_, Some(max))) = cert.basic_constraints {
            let intermediates_below = chain.len() - 1;
            if intermediates_below > max as usize {
                return Err(CandidateError::TooManyIntermediates);
            }
        }
        Ok(())
    }
}

fn chain_allows_server_auth(chain: &[&Cert]) -> bool {
    chain.iter().all(|c| match &c.eku {
        None => true,
        Some(eku) => eku.any || eku.server_auth,
    })
}

/// Verifies `leaf` against `opts`; returns the first valid chain, leaf first.
pub fn verify<'a>(leaf: &'a Cert, opts: &'a Options<'a>) -> Result<Vec<&'a Cert>, VerifyError> {
    if let Some(detail) = validity_error(leaf, opts.at) {
        return Err(VerifyError::Expired(detail));
    }
    if let Some(name) = opts.dns_name {
        let names = &leaf.facts.dns_names;
        if names.is_empty() {
            return Err(VerifyError::NoNames(name.to_string()));
        }
        if !names.iter().any(|n| matches_hostname(n, name)) {
            return Err(VerifyError::HostnameMismatch {
                valid: names.join(", "),
                wanted: name.to_string(),
            });
        }
    }
    let chains = if opts.roots.iter().any(|r| r.der() == leaf.der()) {
        vec![vec![leaf]]
    } else {
        let mut builder = Builder {
            opts,
            signature_checks: 0,
            hint: None,
            exhausted: false,
        };
        let chains = builder.build(&[leaf]);
        if chains.is_empty() {
            if builder.exhausted {
                return Err(VerifyError::TooManySignatureChecks);
            }
            let hint = match builder.hint {
                Some((err, cert)) => {
                    let name = if cert.facts.common_name.is_empty() {
                        cert.facts.serial.clone()
                    } else {
                        cert.facts.common_name.clone()
                    };
                    format!(
                        " (possibly because of \"{err}\" while trying to verify candidate authority certificate \"{name}\")"
                    )
                }
                None => String::new(),
            };
            return Err(VerifyError::UnknownAuthority { hint });
        }
        chains
    };
    chains
        .into_iter()
        .find(|c| chain_allows_server_auth(c))
        .ok_or(VerifyError::IncompatibleUsage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn run(
        leaf: &Cert,
        roots: &[&Cert],
        inter: &[&Cert],
        dns: Option<&str>,
    ) -> Result<usize, VerifyError> {
        let roots: Vec<Cert> = roots.iter().map(|&c| c.clone()).collect();
        let inter: Vec<Cert> = inter.iter().map(|&c| c.clone()).collect();
        let opts = Options {
            roots: &roots,
            intermediates: &inter,
            dns_name: dns,
            at: at("2026-11-22T12:00:00Z"),
        };
        verify(leaf, &opts).map(|c| c.len())
    }

    #[test]
    fn issuer_signed_by_anchor_verifies() {
        let root = self_signed(Spec::ca("root", 1), p256());
        let issuer = signed(
            Spec {
                ca: Some(Some(0)),
                ..Spec::ca("issuer", 2)
            },
            p256(),
            &root,
        );
        assert_eq!(run(&issuer.cert, &[&root.cert], &[], None), Ok(2));
    }

    #[test]
    fn any_anchor_of_a_bundle_may_sign() {
        let old = self_signed(Spec::ca("old", 1), p256());
        let new = self_signed(Spec::ca("new", 2), p256());
        let issuer = signed(Spec::ca("issuer", 3), p256(), &new);
        let roots = [&old.cert, &new.cert];
        assert_eq!(run(&issuer.cert, &roots, &[], None), Ok(2));
    }

    #[test]
    fn issuer_from_another_root_is_unknown_authority() {
        let root = self_signed(Spec::ca("root", 1), p256());
        let other = self_signed(Spec::ca("root", 9), p256());
        let issuer = signed(Spec::ca("issuer", 2), p256(), &other);
        let err = run(&issuer.cert, &[&root.cert], &[], None).unwrap_err();
        // Same subject: Go tries the candidate and reports why it failed.
        assert_eq!(
            err.to_string(),
            "x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"root\")"
        );
        let unrelated = self_signed(Spec::ca("unrelated", 5), p256());
        let err = run(&issuer.cert, &[&unrelated.cert], &[], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x509: certificate signed by unknown authority"
        );
    }

    #[test]
    fn leaf_identical_to_a_root_is_trusted_without_being_a_ca() {
        let mut spec = Spec::leaf("webhook", 1);
        spec.dns = vec!["linkerd-proxy-injector.linkerd.svc"];
        let leaf = self_signed(spec, p256());
        let roots = [&leaf.cert];
        assert_eq!(
            run(
                &leaf.cert,
                &roots,
                &[],
                Some("linkerd-proxy-injector.linkerd.svc")
            ),
            Ok(1)
        );
    }

    #[test]
    fn expired_leaf_and_expired_root() {
        let mut spec = Spec::ca("root", 1);
        spec.not_after = "2026-01-01T00:00:00Z";
        let root = self_signed(spec, p256());
        let issuer = signed(Spec::ca("issuer", 2), p256(), &root);
        let err = run(&issuer.cert, &[&root.cert], &[], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x509: certificate signed by unknown authority (possibly because of \"x509: certificate has expired or is not yet valid: current time 2026-11-22T12:00:00Z is after 2026-01-01T00:00:00Z\" while trying to verify candidate authority certificate \"root\")"
        );
        let err = run(&root.cert, &[&root.cert], &[], None).unwrap_err();
        assert_eq!(
            err,
            VerifyError::Expired(
                "current time 2026-11-22T12:00:00Z is after 2026-01-01T00:00:00Z".into()
            )
        );
    }

    #[test]
    fn parent_must_be_a_ca_with_cert_sign() {
        let not_ca = self_signed(Spec::leaf("root", 1), p256());
        let child = signed(Spec::leaf("child", 2), p256(), &not_ca);
        let err = run(&child.cert, &[&not_ca.cert], &[], None).unwrap_err();
        assert!(
            err.to_string().contains("parent certificate cannot sign"),
            "{err}"
        );

        let mut spec = Spec::ca("root", 3);
        spec.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let no_sign = self_signed(spec, p256());
        let child = signed(Spec::leaf("child", 4), p256(), &no_sign);
        let err = run(&child.cert, &[&no_sign.cert], &[], None).unwrap_err();
        assert!(
            err.to_string().contains("parent certificate cannot sign"),
            "{err}"
        );
    }

    #[test]
    fn intermediates_and_path_length() {
        let root = self_signed(
            Spec {
                ca: Some(Some(0)),
                ..Spec::ca("root", 1)
            },
            p256(),
        );
        let inter = signed(Spec::ca("inter", 2), p256(), &root);
        let leaf = signed(Spec::leaf("leaf", 3), p256(), &inter);
        let err = run(&leaf.cert, &[&root.cert], &[&inter.cert], None).unwrap_err();
        assert!(err.to_string().contains("too many intermediates"), "{err}");

        let root = self_signed(Spec::ca("root", 1), p256());
        let inter = signed(Spec::ca("inter", 2), p256(), &root);
        let leaf = signed(Spec::leaf("leaf", 3), p256(), &inter);
        assert_eq!(run(&leaf.cert, &[&root.cert], &[&inter.cert], None), Ok(3));
        // Without the intermediate there is no path.
        assert!(run(&leaf.cert, &[&root.cert], &[], None).is_err());
    }

    #[test]
    fn eku_without_server_auth_is_incompatible() {
        let root = self_signed(Spec::ca("root", 1), p256());
        let mut spec = Spec::ca("issuer", 2);
        spec.ekus = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let issuer = signed(spec, p256(), &root);
        assert_eq!(
            run(&issuer.cert, &[&root.cert], &[], None),
            Err(VerifyError::IncompatibleUsage)
        );
        let mut spec = Spec::ca("issuer", 3);
        spec.ekus = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let issuer = signed(spec, p256(), &root);
        assert_eq!(run(&issuer.cert, &[&root.cert], &[], None), Ok(2));
    }

    #[test]
    fn hostnames_match_sans_only() {
        let mut spec = Spec::leaf("tap.linkerd-viz.svc", 1);
        spec.dns = vec!["*.linkerd-viz.svc"];
        let leaf = self_signed(spec, p256());
        let roots = [&leaf.cert];
        assert_eq!(
            run(&leaf.cert, &roots, &[], Some("tap.linkerd-viz.svc")),
            Ok(1)
        );
        assert_eq!(
            run(&leaf.cert, &roots, &[], Some("tap.other.svc"))
                .unwrap_err()
                .to_string(),
            "x509: certificate is valid for *.linkerd-viz.svc, not tap.other.svc"
        );
        let no_san = self_signed(Spec::leaf("tap.linkerd-viz.svc", 2), p256());
        assert_eq!(
            run(
                &no_san.cert,
                &[&no_san.cert],
                &[],
                Some("tap.linkerd-viz.svc")
            ),
            Err(VerifyError::NoNames("tap.linkerd-viz.svc".into()))
        );
    }

    #[test]
    fn rsa_root_signs_ecdsa_issuer() {
        let rsa =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(RSA4096_PKCS8, &rcgen::PKCS_RSA_SHA256)
                .unwrap();
        let root = self_signed(Spec::ca("root", 1), rsa);
        let issuer = signed(Spec::ca("issuer", 2), p256(), &root);
        assert_eq!(issuer.cert.signature_algorithm, "SHA256-RSA");
        assert_eq!(run(&issuer.cert, &[&root.cert], &[], None), Ok(2));
    }
}
