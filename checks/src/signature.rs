//! Go's `Certificate.CheckSignatureFrom` and `checkSignature`: which parents may sign, which
//! algorithms are refused (MD5, SHA-1), which key must go with which algorithm, and Go's error
//! texts. The arithmetic is ring's. ring has no P-224, P-521, ECDSA with SHA-512, RSA below 1024
//! bits or above 8192, RSA-1024..2047 with SHA-384, DSA or ML-DSA: those signatures answer Go's
//! "algorithm unimplemented" here, a false alarm rather than a false pass (README lists them).

use ring::signature as sig;

use crate::goparse::{Curve, Parsed, PublicKey, SigAlg};

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
pub fn check_signature(
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
        PublicKey::Rsa { der, bits } => {
            if kind != KeyKind::Rsa {
                return mismatch();
            }
            if *bits < 1024 {
                return Err(format!(
                    "crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"
                ));
            }
            let pss = matches!(
                alg,
                SigAlg::Sha256RsaPss | SigAlg::Sha384RsaPss | SigAlg::Sha512RsaPss
            );
            let legacy = *bits < 2048;
            let alg: &dyn sig::VerificationAlgorithm = match (pss, hash, legacy) {
                (false, Hash::Sha256, false) => &sig::RSA_PKCS1_2048_8192_SHA256,
                (false, Hash::Sha384, false) => &sig::RSA_PKCS1_2048_8192_SHA384,
                (false, Hash::Sha512, false) => &sig::RSA_PKCS1_2048_8192_SHA512,
                (false, Hash::Sha256, true) => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                (false, Hash::Sha512, true) => &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                (true, Hash::Sha256, false) => &sig::RSA_PSS_2048_8192_SHA256,
                (true, Hash::Sha384, false) => &sig::RSA_PSS_2048_8192_SHA384,
                (true, Hash::Sha512, false) => &sig::RSA_PSS_2048_8192_SHA512,
                _ => return Err(UNSUPPORTED.to_string()),
            };
            if *bits > 8192 {
                return Err(UNSUPPORTED.to_string());
            }
            sig::UnparsedPublicKey::new(alg, der)
                .verify(signed, signature)
                .map_err(|_| "crypto/rsa: verification error".to_string())
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

/// `child.CheckSignatureFrom(parent)`.
pub fn check_signature_from(child: &Parsed, parent: &Parsed) -> Result<(), String> {
    match parent.basic_constraints {
        None if parent.version == 3 => return Err(CANNOT_SIGN.to_string()),
        Some((false, _)) => return Err(CANNOT_SIGN.to_string()),
        _ => {}
    }
    if parent.key_usage != 0 && parent.key_usage & KEY_USAGE_CERT_SIGN == 0 {
        return Err(CANNOT_SIGN.to_string());
    }
    let Some(key) = &parent.public_key else {
        return Err(UNSUPPORTED.to_string());
    };
    check_signature(
        child.signature_algorithm,
        &child.raw_tbs,
        &child.signature,
        key,
    )
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
