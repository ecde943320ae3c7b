//! Public keys as Go's `parsePublicKey` reads them, with its refusals and error texts.

use super::der::{self, Reader};
use super::oid::{
    NULL_DER, OID_DSA, OID_EC, OID_ED25519, OID_MLDSA44, OID_MLDSA65, OID_MLDSA87, OID_RSA,
};
use super::{R, err};

/// The NIST curves Go parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P224,
    P256,
    P384,
    P521,
}

impl Curve {
    pub fn bits(self) -> u32 {
        match self {
            Curve::P224 => 224,
            Curve::P256 => 256,
            Curve::P384 => 384,
            Curve::P521 => 521,
        }
    }

    fn coordinate_len(self) -> usize {
        (self.bits() as usize).div_ceil(8)
    }
}

/// A parsed public key (Go's `Certificate.PublicKey`); `None` in [`Parsed`] when Go's
/// `PublicKeyAlgorithm` is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// `der` is the RSAPublicKey SEQUENCE, `n` the modulus (big-endian, no leading zeros),
    /// `bits` its length, `e` the public exponent.
    Rsa {
        der: Vec<u8>,
        n: Vec<u8>,
        bits: u32,
        e: i64,
    },
    Ecdsa {
        curve: Curve,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
    Dsa,
    MlDsa,
}

impl PublicKey {
    /// Go's `%T` of the key, for its mismatch error.
    pub fn go_type(&self) -> &'static str {
        match self {
            PublicKey::Rsa { .. } => "*rsa.PublicKey",
            PublicKey::Ecdsa { .. } => "*ecdsa.PublicKey",
            PublicKey::Ed25519(_) => "ed25519.PublicKey",
            PublicKey::Dsa => "*dsa.PublicKey",
            PublicKey::MlDsa => "*mldsa.PublicKey",
        }
    }
}

/// Bit length of a positive big-endian integer.
fn bit_len(n: &[u8]) -> u32 {
    let n = match n.iter().position(|&b| b != 0) {
        Some(i) => &n[i..],
        None => return 0,
    };
    (n.len() as u32 - 1) * 8 + (8 - n[0].leading_zeros())
}

/// `parsePublicKey`.
pub(super) fn parse_public_key(oid: &str, params: &[u8], data: &[u8]) -> R<Option<PublicKey>> {
    match oid {
        OID_RSA => {
            if params != NULL_DER {
                return err("x509: RSA key missing NULL parameters");
            }
            let mut outer = Reader::new(data);
            let seq_full = outer
                .read_element(der::SEQUENCE)
                .ok_or("x509: invalid RSA public key")?;
            let mut seq = Reader::new(
                Reader::new(seq_full)
                    .read(der::SEQUENCE)
                    .ok_or("x509: invalid RSA public key")?,
            );
            let n = seq
                .read_integer_bytes(der::INTEGER)
                .ok_or("x509: invalid RSA modulus")?;
            let e = seq
                .read_i64_with_tag(der::INTEGER)
                .ok_or("x509: invalid RSA public exponent")?;
            if n[0] & 0x80 != 0 || n.iter().all(|&b| b == 0) {
                return err("x509: RSA modulus is not a positive number");
            }
            if e <= 0 {
                return err("x509: RSA public exponent is not a positive number");
            }
            let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
            Ok(Some(PublicKey::Rsa {
                der: seq_full.to_vec(),
                n: n[start..].to_vec(),
                bits: bit_len(n),
                e,
            }))
        }
        OID_EC => {
            let curve = Reader::new(params)
                .read_oid()
                .ok_or("x509: invalid ECDSA parameters")?;
            let curve = match curve.as_slice() {
                [1, 3, 132, 0, 33] => Curve::P224,
                [1, 2, 840, 10045, 3, 1, 7] => Curve::P256,
                [1, 3, 132, 0, 34] => Curve::P384,
                [1, 3, 132, 0, 35] => Curve::P521,
                _ => return err("x509: unsupported elliptic curve"),
            };
            if data.first() != Some(&4) {
                return err("ecdsa: invalid uncompressed public key");
            }
            let name = format!("P{}", curve.bits());
            if data.len() != 1 + 2 * curve.coordinate_len() {
                return Err(format!("invalid {name} point encoding").into());
            }
            if !point_on_curve(curve, data) {
                return Err(format!("{name} point not on curve").into());
            }
            Ok(Some(PublicKey::Ecdsa {
                curve,
                point: data.to_vec(),
            }))
        }
        OID_ED25519 => {
            if !params.is_empty() {
                return err("x509: Ed25519 key encoded with illegal parameters");
            }
            if data.len() != 32 {
                return err("x509: wrong Ed25519 public key size");
            }
            Ok(Some(PublicKey::Ed25519(data.to_vec())))
        }
        OID_MLDSA44 | OID_MLDSA65 | OID_MLDSA87 => {
            if !params.is_empty() {
                return err("x509: ML-DSA key encoded with illegal parameters");
            }
            let want = match oid {
                OID_MLDSA44 => 1312,
                OID_MLDSA65 => 1952,
                _ => 2592,
            };
            if data.len() != want {
                return err("mldsa: invalid public key length");
            }
            Ok(Some(PublicKey::MlDsa))
        }
        OID_DSA => {
            let y = Reader::new(data)
                .read_integer_bytes(der::INTEGER)
                .ok_or("x509: invalid DSA public key")?;
            let mut p = Reader::new(params);
            let mut seq = Reader::new(
                p.read(der::SEQUENCE)
                    .ok_or("x509: invalid DSA parameters")?,
            );
            let mut pqg = Vec::new();
            for _ in 0..3 {
                pqg.push(
                    seq.read_integer_bytes(der::INTEGER)
                        .ok_or("x509: invalid DSA parameters")?,
                );
            }
            let positive = |n: &[u8]| n[0] & 0x80 == 0 && n.iter().any(|&b| b != 0);
            if !positive(y) || !pqg.iter().all(|n| positive(n)) {
                return err("x509: zero or negative DSA parameter");
            }
            Ok(Some(PublicKey::Dsa))
        }
        _ => Ok(None),
    }
}

/// Whether an uncompressed point lies on its curve. ring validates P-256 and P-384 points when
/// it agrees a key with them; P-224 and P-521, which ring lacks, are taken as encoded.
fn point_on_curve(curve: Curve, point: &[u8]) -> bool {
    use ring::agreement;
    let alg = match curve {
        Curve::P256 => &agreement::ECDH_P256,
        Curve::P384 => &agreement::ECDH_P384,
        Curve::P224 | Curve::P521 => return true,
    };
    let rng = ring::rand::SystemRandom::new();
    let Ok(mine) = agreement::EphemeralPrivateKey::generate(alg, &rng) else {
        return true;
    };
    let peer = agreement::UnparsedPublicKey::new(alg, point);
    agreement::agree_ephemeral(mine, &peer, |_| ()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[0x00, 0x80]), 8);
        assert_eq!(bit_len(&[0x01, 0x00]), 9);
    }
}
