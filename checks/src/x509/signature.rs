//! Go's `Certificate.CheckSignatureFrom` and `checkSignature`: which parents may sign, which
//! algorithms are refused (MD5, SHA-1), which key must go with which algorithm, and Go's error
//! texts. The arithmetic is ring's, except RSA PKCS#1 v1.5 outside ring's 2048–8192-bit range,
//! checked here with num-bigint. Not verifiable here: P-224, P-521, ECDSA with SHA-512, RSA-PSS
//! outside 2048–8192 bits, DSA and ML-DSA; those signatures answer Go's "algorithm
//! unimplemented", a false alarm rather than a false pass (README lists them).

use ring::signature as sig;

use super::parse::{Curve, Parsed, PublicKey, SigAlg};

pub const UNSUPPORTED: &str = "x509: cannot verify signature: algorithm unimplemented";
pub const CANNOT_SIGN: &str =
    "x509: invalid signature: parent certificate cannot sign this kind of certificate";

/// Go's `KeyUsageCertSign` bit.
pub const KEY_USAGE_CERT_SIGN: u16 = 1 << 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hash {
    None,
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Unknown,
    Rsa,
    Dsa,
    Ecdsa,
    Ed25519,
    MlDsa,
}

impl KeyKind {
    fn go_name(self) -> &'static str {
        match self {
            KeyKind::Unknown => "0",
            KeyKind::Rsa => "RSA",
            KeyKind::Dsa => "DSA",
            KeyKind::Ecdsa => "ECDSA",
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::MlDsa => "ML-DSA",
        }
    }
}

/// Go's `signatureAlgorithmDetails`: (hash, public key algorithm).
fn details(alg: SigAlg) -> (Hash, KeyKind) {
    use SigAlg::*;
    match alg {
        Unknown => (Hash::None, KeyKind::Unknown),
        Md5Rsa => (Hash::Md5, KeyKind::Rsa),
        Sha1Rsa => (Hash::Sha1, KeyKind::Rsa),
        Sha256Rsa | Sha256RsaPss => (Hash::Sha256, KeyKind::Rsa),
        Sha384Rsa | Sha384RsaPss => (Hash::Sha384, KeyKind::Rsa),
        Sha512Rsa | Sha512RsaPss => (Hash::Sha512, KeyKind::Rsa),
        DsaSha1 => (Hash::Sha1, KeyKind::Dsa),
        DsaSha256 => (Hash::Sha256, KeyKind::Dsa),
        EcdsaSha1 => (Hash::Sha1, KeyKind::Ecdsa),
        EcdsaSha256 => (Hash::Sha256, KeyKind::Ecdsa),
        EcdsaSha384 => (Hash::Sha384, KeyKind::Ecdsa),
        EcdsaSha512 => (Hash::Sha512, KeyKind::Ecdsa),
        Ed25519 => (Hash::None, KeyKind::Ed25519),
        MlDsa44 | MlDsa65 | MlDsa87 => (Hash::None, KeyKind::MlDsa),
    }
}

/// `checkSignature(algo, signed, signature, publicKey, allowSHA1=false)`.
fn check_signature(
    alg: SigAlg,
    signed: &[u8],
    signature: &[u8],
    key: &PublicKey,
) -> Result<(), String> {
    let (hash, kind) = details(alg);
    match hash {
        Hash::None if kind != KeyKind::Ed25519 && kind != KeyKind::MlDsa => {
            return Err(UNSUPPORTED.to_string());
        }
        Hash::Md5 | Hash::Sha1 => {
            return Err(format!(
                "x509: cannot verify signature: insecure algorithm {}",
                alg.go_name()
            ));
        }
        _ => {}
    }
    let mismatch = || {
        Err(format!(
            "x509: signature algorithm specifies an {} public key, but have public key of type {}",
            kind.go_name(),
            key.go_type()
        ))
    };
    match key {
        PublicKey::Rsa { der, n, bits, e } => {
            if kind != KeyKind::Rsa {
                return mismatch();
            }
            if *bits < 1024 {
                return Err(format!(
                    "crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"
                ));
            }
            go_rsa_key_rules(n, *e)?;
            let pss = matches!(
                alg,
                SigAlg::Sha256RsaPss | SigAlg::Sha384RsaPss | SigAlg::Sha512RsaPss
            );
            let in_ring_range = (2048..=8192).contains(bits);
            let ring_alg: Option<&dyn sig::VerificationAlgorithm> = match (pss, hash) {
                (false, Hash::Sha256) if in_ring_range => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
                (false, Hash::Sha384) if in_ring_range => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
                (false, Hash::Sha512) if in_ring_range => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
                (true, Hash::Sha256) if in_ring_range => Some(&sig::RSA_PSS_2048_8192_SHA256),
                (true, Hash::Sha384) if in_ring_range => Some(&sig::RSA_PSS_2048_8192_SHA384),
                (true, Hash::Sha512) if in_ring_range => Some(&sig::RSA_PSS_2048_8192_SHA512),
                _ => None,
            };
            let verified = match ring_alg {
                Some(alg) => sig::UnparsedPublicKey::new(alg, der)
                    .verify(signed, signature)
                    .is_ok(),
                None if pss => return Err(UNSUPPORTED.to_string()),
                None => rsa_pkcs1v15(n, *e, hash, signed, signature),
            };
            if verified {
                Ok(())
            } else {
                Err("crypto/rsa: verification error".to_string())
            }
        }
        PublicKey::Ecdsa { curve, point } => {
            if kind != KeyKind::Ecdsa {
                return mismatch();
            }
            let alg: &dyn sig::VerificationAlgorithm = match (curve, hash) {
                (Curve::P256, Hash::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
                (Curve::P256, Hash::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
                (Curve::P384, Hash::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
                (Curve::P384, Hash::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
                _ => return Err(UNSUPPORTED.to_string()),
            };
            sig::UnparsedPublicKey::new(alg, point)
                .verify(signed, signature)
                .map_err(|_| "x509: ECDSA verification failure".to_string())
        }
        PublicKey::Ed25519(k) => {
            if kind != KeyKind::Ed25519 {
                return mismatch();
            }
            sig::UnparsedPublicKey::new(&sig::ED25519, k)
                .verify(signed, signature)
                .map_err(|_| "x509: Ed25519 verification failure".to_string())
        }
        PublicKey::MlDsa => {
            if kind != KeyKind::MlDsa {
                return mismatch();
            }
            Err(UNSUPPORTED.to_string())
        }
        PublicKey::Dsa => Err(UNSUPPORTED.to_string()),
    }
}

/// Go's `checkPublicKey` (crypto/internal/fips140/rsa): an odd modulus, an odd exponent from 3
/// to 2^31-1.
fn go_rsa_key_rules(n: &[u8], e: i64) -> Result<(), String> {
    if n.last().is_none_or(|b| b & 1 == 0) {
        return Err("crypto/rsa: public modulus is even".to_string());
    }
    if e < 2 {
        return Err("crypto/rsa: public exponent too small or negative".to_string());
    }
    if e & 1 == 0 {
        return Err("crypto/rsa: public exponent is even".to_string());
    }
    if e > (1 << 31) - 1 {
        return Err("crypto/rsa: public exponent too large".to_string());
    }
    Ok(())
}

/// RSASSA-PKCS1-v1_5 verification (RFC 8017 8.2.2) for the key sizes ring does not take
/// (1024 to 2047 bits, and above 8192): the signature must be exactly the modulus length and
/// `s^e mod n` exactly the expected encoding, as Go requires.
fn rsa_pkcs1v15(n: &[u8], e: i64, hash: Hash, signed: &[u8], signature: &[u8]) -> bool {
    use num_bigint::BigUint;
    let (prefix, digest): (&[u8], _) = match hash {
        Hash::Sha256 => (
            &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            ring::digest::digest(&ring::digest::SHA256, signed),
        ),
        Hash::Sha384 => (
            &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            ring::digest::digest(&ring::digest::SHA384, signed),
        ),
        Hash::Sha512 => (
            &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
            ring::digest::digest(&ring::digest::SHA512, signed),
        ),
        _ => return false,
    };
    let size = n.len();
    let t_len = prefix.len() + digest.as_ref().len();
    if signature.len() != size || size < t_len + 11 {
        return false;
    }
    let modulus = BigUint::from_bytes_be(n);
    let s = BigUint::from_bytes_be(signature);
    if s >= modulus {
        return false;
    }
    let m = s.modpow(&BigUint::from(e as u64), &modulus).to_bytes_be();
    let mut em = vec![0u8; size - m.len()];
    em.extend(m);
    let mut expected = vec![0x00, 0x01];
    expected.resize(size - t_len - 1, 0xff);
    expected.push(0x00);
    expected.extend_from_slice(prefix);
    expected.extend_from_slice(digest.as_ref());
    em == expected
}

/// `child.CheckSignatureFrom(parent)`.
pub fn check_signature_from(child: &Parsed, parent: &Parsed) -> Result<(), super::Error> {
    let refused = |text: &str| Err(super::Error::Signature(text.to_string()));
    match parent.basic_constraints {
        None if parent.version == 3 => return refused(CANNOT_SIGN),
        Some((false, _)) => return refused(CANNOT_SIGN),
        _ => {}
    }
    if parent.key_usage != 0 && parent.key_usage & KEY_USAGE_CERT_SIGN == 0 {
        return refused(CANNOT_SIGN);
    }
    let Some(key) = &parent.public_key else {
        return refused(UNSUPPORTED);
    };
    check_signature(
        child.signature_algorithm,
        &child.raw_tbs,
        &child.signature,
        key,
    )
    .map_err(super::Error::Signature)
}

/// Whether `parent`'s key made `child`'s signature, with no CA or key-usage rule: for naming
/// the anchor that signed an issuer even when that anchor could not sign under Go's rules.
pub fn signed_by(child: &Parsed, parent: &Parsed) -> bool {
    parent.raw_subject == child.raw_issuer
        && parent.public_key.as_ref().is_some_and(|key| {
            check_signature(
                child.signature_algorithm,
                &child.raw_tbs,
                &child.signature,
                key,
            )
            .is_ok()
        })
}
