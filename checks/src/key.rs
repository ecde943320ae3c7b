//! Private keys: decoding as linkerd's `DecodePEMKey` does (first PEM block only; SEC1
//! `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY` holding EC or RSA), and
//! matching a key against a certificate (EC: the public point derived from the private scalar;
//! RSA: modulus and exponent, with p·q = n).
//!
//! Nothing here ever formats key bytes: errors carry only labels, algorithm names and lengths.

use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};
use x509_parser::num_bigint::BigUint;

use crate::cert::{Cert, KeyAlgorithm, curve_name};
use crate::snapshot::SecretBytes;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not PEM-encoded")]
    NotPem,
    #[error(
        "unsupported block type: 'EC PARAMETERS': the key file starts with an EC PARAMETERS block \
         (as `openssl ecparam -genkey` writes), which Linkerd's identity service cannot load; \
         remove that block, or write the key with `openssl ecparam -genkey -noout` or \
         `step certificate create`"
    )]
    EcParameters,
    #[error("unsupported block type: '{0}'")]
    UnsupportedBlock(String),
    #[error(
        "unsupported PKCS#8 encoded private key type: '{0}', linkerd2 only supports ECDSA and RSA private keys"
    )]
    UnsupportedPkcs8(String),
    #[error("failed to parse {kind} private key: {detail}")]
    Malformed { kind: &'static str, detail: String },
    #[error("tls: Public and private key do not match")]
    Mismatch,
    /// The problem a snapshot recorded for a key it did not copy.
    #[error("{0}")]
    Recorded(String),
}

/// A decoded private key. Its Debug output never shows key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateKey {
    Ec {
        /// The curve's name (`P-256`), when the key names its curve.
        curve: Option<String>,
        scalar: SecretBytes,
    },
    Rsa {
        n: BigUint,
        e: BigUint,
        /// p·q, to check the key is consistent (as Go's `ParsePKCS1PrivateKey` validates).
        pq: SecretBytes,
    },
    /// What `meshcert snapshot` keeps of a key: its algorithm and the SHA-256 of the public key
    /// (SubjectPublicKeyInfo) of the certificate it matched, empty when it matched none.
    Marker {
        algorithm: String,
        public_key_sha256: String,
    },
}

/// The PEM label of a snapshot's key marker.
pub const MARKER_LABEL: &str = "MESHCERT KEY MARKER";

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The marker that replaces a private key in a snapshot: enough for the key checks to reach the
/// same verdict offline (its algorithm, whether it matches `cert_pem`'s first certificate, or the
/// error that reading it gave), and nothing of the key itself.
pub fn key_marker(key_pem: &[u8], cert_pem: Option<&[u8]>) -> String {
    let leaf = cert_pem
        .and_then(|c| crate::pem::decode_certificates(c).ok())
        .and_then(|certs| certs.into_iter().next());
    let info = match parse_private_key(key_pem) {
        Err(e) => serde_json::json!({ "error": e.to_string() }),
        Ok(key) => {
            let matched = match &leaf {
                Some(cert) => match key.check_matches(cert) {
                    Ok(()) => sha256_hex(&cert.raw_spki),
                    Err(KeyError::Mismatch) => String::new(),
                    Err(e) => return marker_pem(&serde_json::json!({ "error": e.to_string() })),
                },
                None => String::new(),
            };
            serde_json::json!({ "algorithm": key.describe(), "publicKeySha256": matched })
        }
    };
    marker_pem(&info)
}

fn marker_pem(info: &serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(info.to_string());
    format!("-----BEGIN {MARKER_LABEL}-----\n{b64}\n-----END {MARKER_LABEL}-----\n")
}

fn parse_marker(der: &[u8]) -> Result<PrivateKey, KeyError> {
    let bad = || malformed("marker", "not a meshcert key marker");
    let info: serde_json::Value = serde_json::from_slice(der).map_err(|_| bad())?;
    if let Some(e) = info.get("error").and_then(|e| e.as_str()) {
        return Err(KeyError::Recorded(e.to_string()));
    }
    Ok(PrivateKey::Marker {
        algorithm: info
            .get("algorithm")
            .and_then(|a| a.as_str())
            .ok_or_else(bad)?
            .to_string(),
        public_key_sha256: info
            .get("publicKeySha256")
            .and_then(|a| a.as_str())
            .ok_or_else(bad)?
            .to_string(),
    })
}

fn malformed(kind: &'static str, detail: impl Into<String>) -> KeyError {
    KeyError::Malformed {
        kind,
        detail: detail.into(),
    }
}

/// The TLVs of a DER SEQUENCE's content.
fn sequence_items<'a>(der: &'a [u8], kind: &'static str) -> Result<Vec<Any<'a>>, KeyError> {
    let (rest, seq) = Any::from_der(der).map_err(|e| malformed(kind, e.to_string()))?;
    if !rest.is_empty() {
        return Err(malformed(kind, "trailing data"));
    }
    if seq.tag() != Tag::Sequence {
        return Err(malformed(kind, "not a SEQUENCE"));
    }
    let mut items = Vec::new();
    let mut data = seq.data;
    while !data.is_empty() {
        let (rest, item) = Any::from_der(data).map_err(|e| malformed(kind, e.to_string()))?;
        items.push(item);
        data = rest;
    }
    Ok(items)
}

fn integer(any: &Any<'_>, kind: &'static str) -> Result<BigUint, KeyError> {
    if any.tag() != Tag::Integer {
        return Err(malformed(kind, "expected an INTEGER"));
    }
    Ok(BigUint::from_bytes_be(any.data))
}

fn oid_string(any: &Any<'_>) -> Option<String> {
    (any.tag() == Tag::Oid).then(|| oid_of(any).to_id_string())
}

fn oid_of<'a>(any: &Any<'a>) -> x509_parser::asn1_rs::Oid<'a> {
    x509_parser::asn1_rs::Oid::new(std::borrow::Cow::Borrowed(any.data))
}

/// The curve named by an OID TLV.
fn curve_of(any: &Any<'_>) -> Option<String> {
    (any.tag() == Tag::Oid).then(|| curve_name(&oid_of(any)).0)
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// SEC1 ECPrivateKey; `curve` is the curve named outside it (PKCS#8), if any.
fn parse_sec1(der: &[u8], curve: Option<String>) -> Result<PrivateKey, KeyError> {
    const KIND: &str = "EC";
    let items = sequence_items(der, KIND)?;
    let (Some(version), Some(scalar)) = (items.first(), items.get(1)) else {
        return Err(malformed(KIND, "too few fields"));
    };
    if integer(version, KIND)? != BigUint::from(1u8) {
        return Err(malformed(KIND, "unknown EC private key version"));
    }
    if scalar.tag() != Tag::OctetString {
        return Err(malformed(KIND, "expected the private key OCTET STRING"));
    }
    let mut named = curve;
    for item in &items[2..] {
        if item.class() == Class::ContextSpecific && item.tag() == Tag(0) {
            let (_, inner) =
                Any::from_der(item.data).map_err(|e| malformed(KIND, e.to_string()))?;
            named = named.or_else(|| curve_of(&inner));
        }
    }
    if scalar.data.iter().all(|&b| b == 0) {
        return Err(malformed(KIND, "invalid elliptic curve private key value"));
    }
    Ok(PrivateKey::Ec {
        curve: named,
        scalar: SecretBytes::new(scalar.data.to_vec()),
    })
}

/// PKCS#1 RSAPrivateKey.
fn parse_pkcs1(der: &[u8]) -> Result<PrivateKey, KeyError> {
    const KIND: &str = "RSA";
    let items = sequence_items(der, KIND)?;
    if items.len() < 6 {
        return Err(malformed(KIND, "too few fields"));
    }
    let n = integer(&items[1], KIND)?;
    let e = integer(&items[2], KIND)?;
    let p = integer(&items[4], KIND)?;
    let q = integer(&items[5], KIND)?;
    Ok(PrivateKey::Rsa {
        n,
        e,
        pq: SecretBytes::new((p * q).to_bytes_be()),
    })
}

/// PKCS#8 PrivateKeyInfo holding an EC or RSA key.
fn parse_pkcs8(der: &[u8]) -> Result<PrivateKey, KeyError> {
    const KIND: &str = "PKCS#8";
    let items = sequence_items(der, KIND)?;
    let (Some(alg), Some(key)) = (items.get(1), items.get(2)) else {
        return Err(malformed(KIND, "too few fields"));
    };
    if alg.tag() != Tag::Sequence || key.tag() != Tag::OctetString {
        return Err(malformed(KIND, "malformed PrivateKeyInfo"));
    }
    let mut alg_items = Vec::new();
    let mut data = alg.data;
    while !data.is_empty() {
        let (rest, item) = Any::from_der(data).map_err(|e| malformed(KIND, e.to_string()))?;
        alg_items.push(item);
        data = rest;
    }
    let alg_oid = alg_items
        .first()
        .and_then(oid_string)
        .ok_or_else(|| malformed(KIND, "missing algorithm identifier"))?;
    match alg_oid.as_str() {
        OID_EC => parse_sec1(key.data, alg_items.get(1).and_then(curve_of)),
        OID_RSA => parse_pkcs1(key.data),
        "1.3.101.112" => Err(KeyError::UnsupportedPkcs8("ed25519.PrivateKey".into())),
        other => Err(KeyError::UnsupportedPkcs8(other.to_string())),
    }
}

/// Decodes the first PEM block of a key file.
pub fn parse_private_key(pem: &[u8]) -> Result<PrivateKey, KeyError> {
    let Some((block, _)) = crate::pem::decode(pem) else {
        return Err(KeyError::NotPem);
    };
    match block.label.as_str() {
        "EC PRIVATE KEY" => parse_sec1(&block.der, None),
        "RSA PRIVATE KEY" => parse_pkcs1(&block.der),
        "PRIVATE KEY" => parse_pkcs8(&block.der),
        "EC PARAMETERS" => Err(KeyError::EcParameters),
        MARKER_LABEL => parse_marker(&block.der),
        other => Err(KeyError::UnsupportedBlock(other.to_string())),
    }
}

impl PrivateKey {
    /// `ECDSA P-256`, `RSA 2048`.
    pub fn describe(&self) -> String {
        match self {
            PrivateKey::Ec { curve, .. } => match curve {
                Some(name) => format!("ECDSA {name}"),
                None => "ECDSA".to_string(),
            },
            PrivateKey::Rsa { n, .. } => format!("RSA {}", n.bits()),
            PrivateKey::Marker { algorithm, .. } => algorithm.clone(),
        }
    }

    /// Whether this key belongs to the certificate's public key.
    pub fn check_matches(&self, cert: &Cert) -> Result<(), KeyError> {
        match (self, &cert.key_algorithm) {
            (PrivateKey::Ec { curve, scalar }, KeyAlgorithm::Ecdsa { bits, .. }) => {
                use ring::signature::{
                    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
                };
                let cert_curve = cert.facts.key_algorithm.as_str();
                if let Some(named) = curve
                    && format!("ECDSA {named}") != cert_curve
                {
                    return Err(KeyError::Mismatch);
                }
                let (alg, len) = match bits {
                    256 => (&ECDSA_P256_SHA256_ASN1_SIGNING, 32),
                    384 => (&ECDSA_P384_SHA384_ASN1_SIGNING, 48),
                    _ => {
                        return Err(malformed(
                            "EC",
                            format!("cannot check a key on {cert_curve} against its certificate"),
                        ));
                    }
                };
                let raw = scalar.expose();
                let raw = &raw[raw.len().saturating_sub(len)..];
                let mut fixed = vec![0u8; len - raw.len()];
                fixed.extend_from_slice(raw);
                let rng = ring::rand::SystemRandom::new();
                match EcdsaKeyPair::from_private_key_and_public_key(
                    alg,
                    &fixed,
                    &cert.public_key_bits,
                    &rng,
                ) {
                    Ok(_) => Ok(()),
                    Err(e) if e.to_string() == "InvalidComponent" => {
                        Err(malformed("EC", "invalid elliptic curve private key value"))
                    }
                    Err(_) => Err(KeyError::Mismatch),
                }
            }
            (PrivateKey::Rsa { n, e, pq }, KeyAlgorithm::Rsa { .. }) => {
                let pub_items =
                    sequence_items(&cert.public_key_bits, "RSA").map_err(|_| KeyError::Mismatch)?;
                let (Some(cn), Some(ce)) = (pub_items.first(), pub_items.get(1)) else {
                    return Err(KeyError::Mismatch);
                };
                let (cn, ce) = (integer(cn, "RSA")?, integer(ce, "RSA")?);
                if &cn != n || &ce != e {
                    return Err(KeyError::Mismatch);
                }
                if BigUint::from_bytes_be(pq.expose()) != *n {
                    return Err(malformed("RSA", "invalid private key: p·q ≠ n"));
                }
                Ok(())
            }
            (
                PrivateKey::Marker {
                    public_key_sha256, ..
                },
                _,
            ) => {
                if !public_key_sha256.is_empty() && *public_key_sha256 == sha256_hex(&cert.raw_spki)
                {
                    Ok(())
                } else {
                    Err(KeyError::Mismatch)
                }
            }
            _ => Err(KeyError::Mismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;

    fn rsa_key(pem: &str) -> rcgen::KeyPair {
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).unwrap()
    }

    /// PKCS#8 PEM → SEC1 PEM, the way `openssl ec` writes it.
    fn sec1_pem(pkcs8_pem: &str) -> String {
        use base64::Engine as _;
        let (block, _) = crate::pem::decode(pkcs8_pem.as_bytes()).unwrap();
        let items = sequence_items(&block.der, "t").unwrap();
        let inner = items[2].data;
        let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
        format!("-----BEGIN EC PRIVATE KEY-----\n{b64}\n-----END EC PRIVATE KEY-----\n")
    }

    #[test]
    fn ec_pkcs8_and_sec1_keys_match_their_certificate() {
        let made = self_signed(Spec::ca("c", 1), p256());
        let pkcs8 = parse_private_key(made.key_pem().as_bytes()).unwrap();
        assert_eq!(pkcs8.describe(), "ECDSA P-256");
        pkcs8.check_matches(&made.cert).unwrap();
        // This SEC1 key omits the optional curve field (PKCS#8 names it outside).
        let sec1 = parse_private_key(sec1_pem(&made.key_pem()).as_bytes()).unwrap();
        assert_eq!(sec1.describe(), "ECDSA");
        sec1.check_matches(&made.cert).unwrap();
    }

    #[test]
    fn another_ec_key_does_not_match() {
        let made = self_signed(Spec::ca("c", 1), p256());
        let other = p256();
        let key = parse_private_key(other.serialize_pem().as_bytes()).unwrap();
        assert_eq!(key.check_matches(&made.cert), Err(KeyError::Mismatch));
        assert_eq!(
            KeyError::Mismatch.to_string(),
            "tls: Public and private key do not match"
        );
    }

    #[test]
    fn p384_key_matches_and_differs_from_p256_cert() {
        let made = self_signed(Spec::ca("c", 1), key(&rcgen::PKCS_ECDSA_P384_SHA384));
        let key384 = parse_private_key(made.key_pem().as_bytes()).unwrap();
        assert_eq!(key384.describe(), "ECDSA P-384");
        key384.check_matches(&made.cert).unwrap();
        let p256_cert = self_signed(Spec::ca("d", 2), p256());
        assert_eq!(
            key384.check_matches(&p256_cert.cert),
            Err(KeyError::Mismatch)
        );
    }

    #[test]
    fn rsa_pkcs8_and_pkcs1_keys_match_and_mismatch() {
        let made = self_signed(Spec::ca("c", 1), rsa_key(RSA2048_PKCS8));
        let key = parse_private_key(RSA2048_PKCS8.as_bytes()).unwrap();
        assert_eq!(key.describe(), "RSA 2048");
        key.check_matches(&made.cert).unwrap();
        // PKCS#1: the inner RSAPrivateKey of the PKCS#8 document.
        use base64::Engine as _;
        let (block, _) = crate::pem::decode(RSA2048_PKCS8.as_bytes()).unwrap();
        let items = sequence_items(&block.der, "t").unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(items[2].data);
        let pkcs1 =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{b64}\n-----END RSA PRIVATE KEY-----\n");
        let key1 = parse_private_key(pkcs1.as_bytes()).unwrap();
        key1.check_matches(&made.cert).unwrap();
        let other = parse_private_key(RSA4096_PKCS8.as_bytes()).unwrap();
        assert_eq!(other.check_matches(&made.cert), Err(KeyError::Mismatch));
        // An RSA key never matches an EC certificate.
        let ec = self_signed(Spec::ca("e", 3), p256());
        assert_eq!(key.check_matches(&ec.cert), Err(KeyError::Mismatch));
    }

    #[test]
    fn ec_parameters_block_first_is_rejected_with_a_fix() {
        let made = self_signed(Spec::ca("c", 1), p256());
        let pem = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            sec1_pem(&made.key_pem())
        );
        let err = parse_private_key(pem.as_bytes()).unwrap_err();
        assert_eq!(err, KeyError::EcParameters);
        let msg = err.to_string();
        assert!(
            msg.starts_with("unsupported block type: 'EC PARAMETERS'"),
            "{msg}"
        );
        assert!(msg.contains("-noout"), "{msg}");
    }

    #[test]
    fn unsupported_and_malformed_keys_name_the_problem() {
        assert_eq!(parse_private_key(b"garbage"), Err(KeyError::NotPem));
        let cert_block = self_signed(Spec::ca("c", 1), p256()).pem;
        assert_eq!(
            parse_private_key(cert_block.as_bytes()),
            Err(KeyError::UnsupportedBlock("CERTIFICATE".into()))
        );
        let ed = key(&rcgen::PKCS_ED25519);
        let err = parse_private_key(ed.serialize_pem().as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported PKCS#8 encoded private key type: 'ed25519.PrivateKey', linkerd2 only supports ECDSA and RSA private keys"
        );
        let junk = "-----BEGIN EC PRIVATE KEY-----\naGVsbG8=\n-----END EC PRIVATE KEY-----\n";
        let err = parse_private_key(junk.as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("failed to parse EC private key"),
            "{err}"
        );
    }

    #[test]
    fn markers_keep_the_verdict_and_none_of_the_key() {
        let made = self_signed(Spec::ca("c", 1), p256());
        let marker = key_marker(made.key_pem().as_bytes(), Some(made.pem.as_bytes()));
        assert!(!marker.contains("PRIVATE KEY"), "{marker}");
        let key = parse_private_key(marker.as_bytes()).unwrap();
        assert_eq!(key.describe(), "ECDSA P-256");
        key.check_matches(&made.cert).unwrap();
        let other = self_signed(Spec::ca("d", 2), p256());
        assert_eq!(key.check_matches(&other.cert), Err(KeyError::Mismatch));
        // A key of another certificate stays a mismatch.
        let wrong = key_marker(p256().serialize_pem().as_bytes(), Some(made.pem.as_bytes()));
        assert_eq!(
            parse_private_key(wrong.as_bytes())
                .unwrap()
                .check_matches(&made.cert),
            Err(KeyError::Mismatch)
        );
        // An unreadable key keeps its error.
        let params =
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
        let recorded = key_marker(params.as_bytes(), Some(made.pem.as_bytes()));
        assert_eq!(
            parse_private_key(recorded.as_bytes())
                .unwrap_err()
                .to_string(),
            KeyError::EcParameters.to_string()
        );
    }

    #[test]
    fn debug_of_a_key_hides_the_scalar() {
        let made = self_signed(Spec::ca("c", 1), p256());
        let key = parse_private_key(made.key_pem().as_bytes()).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
