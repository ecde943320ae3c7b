//! Certificate chain verification with the semantics of Go's `crypto/x509`
//! `Certificate.Verify` (Go 1.27), which linkerd uses for "issuer cert is issued by the trust
//! anchor" and the webhook checks. A port of `verify.go`, behaviour for behaviour:
//!
//! 1. the leaf: no unhandled critical extension, within its validity period; with a DNS name,
//!    `VerifyHostname` (SANs only, case-insensitive, one whole left-most wildcard label, trailing
//!    dots, IP SANs for IP names);
//! 2. a leaf byte-identical to a root is trusted as is (self-signed webhook certs, issuer ==
//!    anchor);
//! 3. otherwise chains are built depth-first from candidate parents, roots before intermediates,
//!    each pool ordered by key-identifier match. A candidate must be able to sign
//!    (`CheckSignatureFrom`: CA when v3, keyCertSign when key usage is set, a signature Go accepts)
//!    and be valid as a parent (`isValid`: no unhandled critical extension, within validity,
//!    intermediates are CAs, path length). At most 100 signature checks per verification.
//!    Go's error plumbing is kept: the last parent's `isValid` error, or a deeper level's error,
//!    is what Go returns when no chain is found; otherwise "signed by unknown authority" with the
//!    first rejected candidate as a hint;
//! 4. each chain is then filtered: policies (RFC 5280/9618), extended key usage (serverAuth, as
//!    linkerd passes none), name constraints on every SAN below a constrained CA.
//!
//! Error texts are Go's, so meshcert's messages match linkerd's.

use chrono::{DateTime, Utc};

use crate::cert::{Cert, format_time};
use crate::x509::constraints::{self, ConstraintView, SanNames};
use crate::x509::hostname::{self, go_quote};
use crate::x509::policy::{self, PolicyView};
use crate::x509::signature;

/// Go's `maxChainSignatureChecks`.
const MAX_SIGNATURE_CHECKS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("x509: certificate has expired or is not yet valid: {0}")]
    Expired(String),
    /// Go's `HostnameError`; `dns_names` are the leaf's DNS SANs.
    #[error("{message}")]
    Hostname {
        message: String,
        dns_names: Vec<String>,
    },
    #[error("x509: certificate signed by unknown authority{hint}")]
    UnknownAuthority { hint: String },
    #[error("x509: certificate specifies an incompatible key usage")]
    IncompatibleUsage,
    #[error("x509: signature check attempts limit reached while verifying certificate chain")]
    TooManySignatureChecks,
    #[error("x509: unhandled critical extension")]
    UnhandledCriticalExtension,
    #[error("x509: certificate is not authorized to sign other certificates")]
    NotAuthorizedToSign,
    #[error("x509: too many intermediates for path length constraint")]
    TooManyIntermediates,
    #[error("x509: issuer name does not match subject from issuing certificate")]
    NameMismatch,
    #[error(
        "x509: a root or intermediate certificate is not authorized to sign for this name: {0}"
    )]
    NotAuthorizedForName(crate::x509::Error),
    #[error("x509: no valid chains built{0}")]
    NoValidChains(String),
}

pub struct Options<'a> {
    pub roots: &'a [Cert],
    pub intermediates: &'a [Cert],
    pub dns_name: Option<&'a str>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leaf,
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

/// Go's `isValid` for `cert` about to be appended to `chain`.
fn is_valid(
    cert: &Cert,
    kind: Kind,
    chain: &[&Cert],
    at: DateTime<Utc>,
) -> Result<(), VerifyError> {
    if !cert.go.unhandled_critical.is_empty() {
        return Err(VerifyError::UnhandledCriticalExtension);
    }
    if let Some(child) = chain.last()
        && child.raw_issuer != cert.raw_subject
    {
        return Err(VerifyError::NameMismatch);
    }
    if let Some(detail) = validity_error(cert, at) {
        return Err(VerifyError::Expired(detail));
    }
    if kind == Kind::Intermediate && !matches!(cert.go.basic_constraints, Some((true, _))) {
        return Err(VerifyError::NotAuthorizedToSign);
    }
    if let Some((_, Some(max))) = cert.go.basic_constraints
        && (chain.len() as u64).saturating_sub(1) > max
    {
        return Err(VerifyError::TooManyIntermediates);
    }
    Ok(())
}

/// Go's name for a candidate in the "possibly because of" hint.
fn hint_name(c: &Cert) -> String {
    if !c.go.common_name.is_empty() {
        c.go.common_name.clone()
    } else if let Some(org) = c.go.organization.first() {
        org.clone()
    } else {
        format!("serial:{}", c.go.serial)
    }
}

fn empty_as_none(v: &Option<Vec<u8>>) -> &[u8] {
    v.as_deref().unwrap_or_default()
}

/// `CertPool.findPotentialParents`: certificates whose subject is `cert`'s issuer, those whose
/// key identifier matches first, then those where one identifier is missing, then mismatches.
/// A pool holds each certificate once.
fn potential_parents<'a>(cert: &Cert, pool: &'a [Cert]) -> Vec<&'a Cert> {
    let aki = empty_as_none(&cert.go.authority_key_id);
    let mut ranked: Vec<(u8, &Cert)> = Vec::new();
    for (i, p) in pool.iter().enumerate() {
        if p.raw_subject != cert.raw_issuer || pool[..i].iter().any(|q| q.der() == p.der()) {
            continue;
        }
        let ski = empty_as_none(&p.go.subject_key_id);
        let rank = if ski == aki {
            0
        } else if ski.is_empty() || aki.is_empty() {
            1
        } else {
            2
        };
        ranked.push((rank, p));
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, p)| p).collect()
}

/// `alreadyInChain`: same subject, key and SAN extension as a certificate of the chain.
fn already_in_chain(candidate: &Cert, chain: &[&Cert]) -> bool {
    let cand_san = candidate.go.san.as_ref().map(|(_, raw)| raw);
    for c in chain {
        if c.raw_subject != candidate.raw_subject || c.raw_spki != candidate.raw_spki {
            continue;
        }
        match (cand_san, c.go.san.as_ref().map(|(_, raw)| raw)) {
            (None, None) => return true,
            (None, _) | (_, None) => return false,
            (Some(a), Some(b)) if a == b => return true,
            _ => {}
        }
    }
    false
}

struct Builder<'a> {
    opts: &'a Options<'a>,
    signature_checks: usize,
}

type Chains<'a> = Vec<Vec<&'a Cert>>;

impl<'a> Builder<'a> {
    /// `buildChains`, returning Go's named results: the chains, and the error Go would return.
    fn build(&mut self, chain: &[&'a Cert]) -> (Chains<'a>, Option<VerifyError>) {
        let cert = chain[chain.len() - 1];
        let mut chains = Vec::new();
        let mut err: Option<VerifyError> = None;
        let mut hint: Option<(String, &Cert)> = None;
        let pools = [
            (Kind::Root, potential_parents(cert, self.opts.roots)),
            (
                Kind::Intermediate,
                potential_parents(cert, self.opts.intermediates),
            ),
        ];
        'candidates: for (kind, parents) in pools {
            for parent in parents {
                self.signature_checks += 1;
                if self.signature_checks > MAX_SIGNATURE_CHECKS {
                    err = Some(VerifyError::TooManySignatureChecks);
                    break 'candidates;
                }
                if parent.go.public_key.is_none() || already_in_chain(parent, chain) {
                    continue;
                }
                if let Err(e) = signature::check_signature_from(&cert.go, &parent.go) {
                    hint.get_or_insert((e.to_string(), parent));
                    continue;
                }
                if let Err(e) = is_valid(parent, kind, chain, self.opts.at) {
                    hint.get_or_insert((e.to_string(), parent));
                    err = Some(e);
                    continue;
                }
                err = None;
                let mut next = chain.to_vec();
                next.push(parent);
                match kind {
                    Kind::Root => chains.push(next),
                    _ => {
                        let (found, e) = self.build(&next);
                        chains.extend(found);
                        err = e;
                        if err == Some(VerifyError::TooManySignatureChecks) {
                            break 'candidates;
                        }
                    }
                }
            }
        }
        if !chains.is_empty() {
            err = None;
        }
        if chains.is_empty() && err.is_none() {
            let hint = hint
                .map(|(e, c)| {
                    format!(
                        " (possibly because of {} while trying to verify candidate authority certificate {})",
                        go_quote(&e),
                        go_quote(&hint_name(c))
                    )
                })
                .unwrap_or_default();
            err = Some(VerifyError::UnknownAuthority { hint });
        }
        (chains, err)
    }
}

fn chain_allows_server_auth(chain: &[&Cert]) -> bool {
    chain
        .iter()
        .all(|c| !c.go.eku_present || c.go.eku_any || c.go.eku_server_auth)
}

fn policies_valid(chain: &[&Cert]) -> bool {
    let views: Vec<PolicyView<'_>> = chain
        .iter()
        .map(|c| PolicyView {
            policies: &c.go.policies,
            self_signed: c.raw_issuer == c.raw_subject,
        })
        .collect();
    policy::policies_valid(&views)
}

fn chain_constraints(chain: &[&Cert]) -> Result<(), crate::x509::Error> {
    let views: Vec<ConstraintView<'_>> = chain
        .iter()
        .map(|c| ConstraintView {
            constraints: c.go.name_constraints.as_ref(),
            sans: c.go.san.as_ref().map(|(names, _)| names),
        })
        .collect();
    constraints::check_chain_constraints(&views)
}

/// Verifies `leaf` against `opts`; returns the first valid chain, leaf first.
pub fn verify<'a>(leaf: &'a Cert, opts: &'a Options<'a>) -> Result<Vec<&'a Cert>, VerifyError> {
    is_valid(leaf, Kind::Leaf, &[], opts.at)?;
    if let Some(name) = opts.dns_name.filter(|n| !n.is_empty()) {
        let sans = leaf.go.san.as_ref().map(|(names, _)| names);
        let empty = SanNames::default();
        let sans = sans.unwrap_or(&empty);
        hostname::verify_hostname(
            name,
            &sans.dns,
            &sans.ips,
            &leaf.go.common_name,
            leaf.go.san.is_some(),
        )
        .map_err(|e| VerifyError::Hostname {
            message: e.message,
            dns_names: sans.dns.clone(),
        })?;
    }
    let candidates = if opts.roots.iter().any(|r| r.der() == leaf.der()) {
        vec![vec![leaf]]
    } else {
        let mut builder = Builder {
            opts,
            signature_checks: 0,
        };
        match builder.build(&[leaf]) {
            (_, Some(err)) => return Err(err),
            (chains, None) => chains,
        }
    };
    let (mut bad_policies, mut bad_usage) = (0usize, 0usize);
    let mut constraints_error: Option<crate::x509::Error> = None;
    let mut valid = candidates.into_iter().filter(|chain| {
        if !policies_valid(chain) {
            bad_policies += 1;
            return false;
        }
        if !chain_allows_server_auth(chain) {
            bad_usage += 1;
            return false;
        }
        if let Err(e) = chain_constraints(chain) {
            constraints_error.get_or_insert(e);
            return false;
        }
        true
    });
    if let Some(chain) = valid.next() {
        return Ok(chain);
    }
    drop(valid);
    if let Some(detail) = constraints_error {
        return Err(VerifyError::NotAuthorizedForName(detail));
    }
    if bad_usage > 0 && bad_policies == 0 {
        return Err(VerifyError::IncompatibleUsage);
    }
    let mut details = Vec::new();
    if bad_usage > 0 {
        details.push(format!(
            "{bad_usage} candidate chains with incompatible key usage"
        ));
    }
    if bad_policies > 0 {
        details.push(format!(
            "{bad_policies} candidate chains with invalid policies"
        ));
    }
    let detail = if details.is_empty() {
        String::new()
    } else {
        format!(": {}", details.join(", "))
    };
    Err(VerifyError::NoValidChains(detail))
}

/// The intermediates pool linkerd builds from a certificate file (crt.pem, tls.crt): every
/// certificate after the first, last first, since `DecodePEMCrt` keeps its `TrustChain`
/// root-first. The order decides which of two same-named intermediates Go tries first.
pub fn linkerd_intermediates(crt: &crate::cert::Chain) -> Vec<Cert> {
    crt.rest().iter().rev().cloned().collect()
}

/// Go's `time.Time.String()` of a UTC instant (`2006-01-02 15:04:05 +0000 UTC`).
fn go_time_string(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string()
}

/// The text linkerd's `Crt.Verify` makes of a verification error: Go's error, and when that
/// is an expiry error (an intermediate or anchor out of its validity period) linkerd's suffix
/// with the evaluation instant and the leaf's validity. (linkerd prints `time.Now()`, whose
/// monotonic clock reading meshcert leaves out.)
pub fn linkerd_message(err: &VerifyError, leaf: &Cert, at: DateTime<Utc>) -> String {
    match err {
        VerifyError::Expired(_) => format!(
            "{err} - Current Time : {} - Invalid before {} - Invalid After {}",
            go_time_string(at),
            go_time_string(leaf.facts.not_before),
            go_time_string(leaf.facts.not_after)
        ),
        _ => err.to_string(),
    }
}

/// The certificate among `candidates` whose subject is `cert`'s issuer and whose key made its
/// signature (no CA rules): names the anchor that signed an issuer even outside its validity.
pub fn signer_among<'a>(
    cert: &Cert,
    candidates: impl IntoIterator<Item = &'a Cert>,
) -> Option<&'a Cert> {
    candidates
        .into_iter()
        .find(|a| signature::signed_by(&cert.go, &a.go))
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
            // Go returns the root's own error when it was the last candidate tried.
            "x509: certificate has expired or is not yet valid: current time 2026-11-22T12:00:00Z is after 2026-01-01T00:00:00Z"
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
            Err(VerifyError::Hostname {
                message: "x509: certificate relies on legacy Common Name field, use SANs instead"
                    .into(),
                dns_names: vec![]
            })
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
