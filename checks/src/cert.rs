//! A parsed X.509 certificate: the DER plus the facts the checks and reports need, extracted
//! once. Names of algorithms follow Go's `crypto/x509` (`ECDSA`, `SHA256-RSA`, …) because
//! linkerd's messages print them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Name};

use crate::x509::parse::{self, Parsed, PublicKey, SigAlg};
use crate::x509::signature;

/// Public-key algorithm, as Go's `x509.PublicKeyAlgorithm` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on a named curve; `bits` is the curve size (256 for P-256), 0 when unknown.
    Ecdsa {
        curve: String,
        bits: u32,
    },
    Rsa {
        bits: u32,
    },
    Ed25519,
    Other(String),
}

impl KeyAlgorithm {
    /// Go's `%s` of `x509.PublicKeyAlgorithm`.
    pub fn go_name(&self) -> &str {
        match self {
            KeyAlgorithm::Ecdsa { .. } => "ECDSA",
            KeyAlgorithm::Rsa { .. } => "RSA",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Other(oid) => oid,
        }
    }

    /// A readable description: `ECDSA P-256`, `RSA 4096`.
    pub fn describe(&self) -> String {
        match self {
            KeyAlgorithm::Ecdsa { curve, .. } => format!("ECDSA {curve}"),
            KeyAlgorithm::Rsa { bits } => format!("RSA {bits}"),
            KeyAlgorithm::Ed25519 => "Ed25519".to_string(),
            KeyAlgorithm::Other(oid) => format!("unknown ({oid})"),
        }
    }
}

/// Certificate facts safe to print: no key material, only public data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertFacts {
    pub subject: String,
    pub common_name: String,
    pub issuer: String,
    /// The issuer's common name (the last CN of the issuer name, as Go's pkix.Name keeps it),
    /// for the metrics' `issuer_cn` label; JSON carries the whole `issuer`.
    #[serde(skip)]
    pub issuer_common_name: String,
    /// Decimal, as linkerd prints serial numbers.
    pub serial: String,
    #[serde(serialize_with = "rfc3339")]
    pub not_before: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub not_after: DateTime<Utc>,
    pub sha256_fingerprint: String,
    pub key_algorithm: String,
    pub signature_algorithm: String,
    pub is_ca: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

/// RFC 3339 in UTC with a `Z`, as Go's `time.RFC3339` prints a certificate time.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Extended key usage, reduced to what verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eku {
    pub any: bool,
    pub server_auth: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    der: Vec<u8>,
    pub facts: CertFacts,
    pub key_algorithm: KeyAlgorithm,
    /// Go's name of the signature algorithm (`ECDSA-SHA256`, `SHA256-RSA`, …); the OID when Go
    /// does not know it.
    pub signature_algorithm: String,
    pub version: u32,
    pub raw_subject: Vec<u8>,
    pub raw_issuer: Vec<u8>,
    pub raw_spki: Vec<u8>,
    /// The subjectPublicKey bits (an EC point, or an RSAPublicKey).
    pub public_key_bits: Vec<u8>,
    /// `Some((is_ca, max_path_len))` when the basic constraints extension is present.
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// `Some(key_cert_sign)` when the key usage extension sets any bit (Go reads an empty key
    /// usage as none).
    pub key_usage_cert_sign: Option<bool>,
    /// `Some` when the extended key usage extension lists at least one usage (Go reads an empty
    /// list as none).
    pub eku: Option<Eku>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    /// Everything Go's `ParseCertificate` read, for chain verification.
    pub go: Parsed,
}

/// A named curve: (name, bits).
pub fn curve_name(oid: &Oid<'_>) -> (String, u32) {
    match oid.to_id_string().as_str() {
        "1.2.840.10045.3.1.7" => ("P-256".into(), 256),
        "1.3.132.0.34" => ("P-384".into(), 384),
        "1.3.132.0.35" => ("P-521".into(), 521),
        "1.3.132.0.33" => ("P-224".into(), 224),
        "1.3.132.0.10" => ("secp256k1".into(), 256),
        other => (format!("curve {other}"), 0),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key_algorithm(p: &Parsed) -> KeyAlgorithm {
    match &p.public_key {
        Some(PublicKey::Ecdsa { curve, .. }) => KeyAlgorithm::Ecdsa {
            curve: format!("P-{}", curve.bits()),
            bits: curve.bits(),
        },
        Some(PublicKey::Rsa { bits, .. }) => KeyAlgorithm::Rsa { bits: *bits },
        Some(PublicKey::Ed25519(_)) => KeyAlgorithm::Ed25519,
        Some(PublicKey::Dsa) => KeyAlgorithm::Other("DSA".to_string()),
        Some(PublicKey::MlDsa) => KeyAlgorithm::Other("ML-DSA".to_string()),
        None => KeyAlgorithm::Other(p.public_key_oid.clone()),
    }
}

/// A distinguished name as text (`CN=…, O=…`), for reports only.
fn name_text(raw: &[u8]) -> String {
    X509Name::from_der(raw)
        .map(|(_, n)| n.to_string())
        .unwrap_or_default()
}

/// The last common name of a distinguished name ("" when it has none).
fn last_common_name(raw: &[u8]) -> String {
    X509Name::from_der(raw)
        .ok()
        .and_then(|(_, n)| {
            n.iter_common_name()
                .filter_map(|a| a.as_str().ok().map(str::to_string))
                .last()
        })
        .unwrap_or_default()
}

impl Cert {
    /// Parses one DER certificate as Go's `x509.ParseCertificate` does, with its errors.
    pub fn from_der(der: Vec<u8>) -> Result<Cert, crate::x509::Error> {
        let go = parse::parse(&der)?;
        let key_algorithm = key_algorithm(&go);
        let signature_algorithm = match go.signature_algorithm {
            SigAlg::Unknown => go.signature_oid.clone(),
            known => known.go_name().to_string(),
        };
        let basic_constraints = go
            .basic_constraints
            .map(|(ca, max)| (ca, max.map(|m| u32::try_from(m).unwrap_or(u32::MAX))));
        let facts = CertFacts {
            subject: name_text(&go.raw_subject),
            common_name: go.common_name.clone(),
            issuer: name_text(&go.raw_issuer),
            issuer_common_name: last_common_name(&go.raw_issuer),
            serial: go.serial.clone(),
            not_before: go.not_before,
            not_after: go.not_after,
            sha256_fingerprint: hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref()),
            key_algorithm: key_algorithm.describe(),
            signature_algorithm: signature_algorithm.clone(),
            is_ca: basic_constraints.is_some_and(|(ca, _)| ca),
            dns_names: go
                .san
                .as_ref()
                .map(|(names, _)| names.dns.clone())
                .unwrap_or_default(),
        };
        Ok(Cert {
            key_algorithm,
            signature_algorithm,
            version: go.version,
            raw_subject: go.raw_subject.clone(),
            raw_issuer: go.raw_issuer.clone(),
            raw_spki: go.raw_spki.clone(),
            public_key_bits: go.public_key_bits.clone(),
            basic_constraints,
            key_usage_cert_sign: (go.key_usage != 0)
                .then_some(go.key_usage & signature::KEY_USAGE_CERT_SIGN != 0),
            eku: go.eku_present.then_some(Eku {
                any: go.eku_any,
                server_auth: go.eku_server_auth,
            }),
            subject_key_id: go.subject_key_id.clone(),
            authority_key_id: go.authority_key_id.clone(),
            facts,
            go,
            der,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signature bits (what linkerd's multicluster check matches anchors by).
    pub fn signature(&self) -> &[u8] {
        &self.go.signature
    }

    /// `<serial> <CN>`, the way linkerd names a certificate in a list.
    pub fn label(&self) -> String {
        format!("{} {}", self.facts.serial, self.facts.common_name)
    }

    /// `<serial> <CN> (sha256 <16 hex>…)`: the label and enough of the fingerprint to tell two
    /// certificates of one subject and serial apart (an anchor and its renewal).
    pub fn fingerprinted_label(&self) -> String {
        format!(
            "{} (sha256 {}…)",
            self.label(),
            &self.facts.sha256_fingerprint[..16]
        )
    }
}

/// A certificate chain as a PEM field holds it (`crt.pem`, `tls.crt`): the leaf first, then the
/// certificates written after it. Never empty, so there is always a leaf.
#[derive(Debug, Clone)]
pub struct Chain {
    leaf: Cert,
    rest: Vec<Cert>,
}

impl Chain {
    /// The chain of `certs` in the order written; `None` when there is none.
    pub fn new(mut certs: Vec<Cert>) -> Option<Chain> {
        if certs.is_empty() {
            return None;
        }
        let leaf = certs.remove(0);
        Some(Chain { leaf, rest: certs })
    }

    /// The first certificate: the one the key belongs to.
    pub fn leaf(&self) -> &Cert {
        &self.leaf
    }

    /// The certificates after the leaf, in the order written.
    pub fn rest(&self) -> &[Cert] {
        &self.rest
    }

    /// The last certificate written (the leaf when it stands alone).
    pub fn top(&self) -> &Cert {
        self.rest.last().unwrap_or(&self.leaf)
    }

    /// Every certificate, the leaf first.
    pub fn iter(&self) -> impl Iterator<Item = &Cert> {
        std::iter::once(&self.leaf).chain(&self.rest)
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! rcgen helpers shared by the unit tests of this crate.
    use super::Cert;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SerialNumber, SignatureAlgorithm,
    };
    use time::OffsetDateTime;

    pub const RSA2048_PKCS8: &str = include_str!("../../fixtures/generate/keys/rsa-2048.pem");
    pub const RSA3072_PKCS8: &str = include_str!("../../fixtures/generate/keys/rsa-3072.pem");
    pub const RSA4096_PKCS8: &str = include_str!("../../fixtures/generate/keys/rsa-4096.pem");

    pub fn ts(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    pub struct Spec {
        pub cn: &'static str,
        pub serial: u64,
        pub not_before: &'static str,
        pub not_after: &'static str,
        pub ca: Option<Option<u8>>,
        pub key_usages: Vec<KeyUsagePurpose>,
        pub ekus: Vec<ExtendedKeyUsagePurpose>,
        pub dns: Vec<&'static str>,
    }

    impl Spec {
        pub fn ca(cn: &'static str, serial: u64) -> Spec {
            Spec {
                cn,
                serial,
                not_before: "2025-01-01T00:00:00Z",
                not_after: "2035-01-01T00:00:00Z",
                ca: Some(Some(1)),
                key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
                ekus: vec![],
                dns: vec![],
            }
        }
        pub fn leaf(cn: &'static str, serial: u64) -> Spec {
            Spec {
                ca: None,
                key_usages: vec![],
                ..Spec::ca(cn, serial)
            }
        }
        pub fn params(&self) -> CertificateParams {
            let mut p =
                CertificateParams::new(self.dns.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                    .unwrap();
            p.distinguished_name.push(DnType::CommonName, self.cn);
            p.serial_number = Some(SerialNumber::from(self.serial));
            p.not_before = ts(self.not_before);
            p.not_after = ts(self.not_after);
            p.is_ca = match self.ca {
                None => IsCa::ExplicitNoCa,
                Some(None) => IsCa::Ca(BasicConstraints::Unconstrained),
                Some(Some(n)) => IsCa::Ca(BasicConstraints::Constrained(n)),
            };
            p.key_usages = self.key_usages.clone();
            p.extended_key_usages = self.ekus.clone();
            p
        }
    }

    /// A certificate and its key, able to sign others.
    pub struct Made {
        pub cert: Cert,
        pub pem: String,
        pub key: KeyPair,
        pub params: CertificateParams,
    }

    impl Made {
        pub fn key_pem(&self) -> String {
            self.key.serialize_pem()
        }
        pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
            Issuer::from_params(&self.params, &self.key)
        }
    }

    pub fn key(alg: &'static SignatureAlgorithm) -> KeyPair {
        KeyPair::generate_for(alg).unwrap()
    }

    pub fn p256() -> KeyPair {
        key(&PKCS_ECDSA_P256_SHA256)
    }

    fn made(params: CertificateParams, key: KeyPair, c: rcgen::Certificate) -> Made {
        Made {
            cert: Cert::from_der(c.der().to_vec()).unwrap(),
            pem: c.pem(),
            key,
            params,
        }
    }

    pub fn self_signed(spec: Spec, key: KeyPair) -> Made {
        let params = spec.params();
        let c = params.self_signed(&key).unwrap();
        made(params, key, c)
    }

    pub fn signed(spec: Spec, key: KeyPair, by: &Made) -> Made {
        let params = spec.params();
        let c = params.signed_by(&key, &by.issuer()).unwrap();
        made(params, key, c)
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn facts_describe_the_certificate() {
        let root = self_signed(Spec::ca("root.linkerd.cluster.local", 4242), p256());
        let f = &root.cert.facts;
        assert_eq!(f.common_name, "root.linkerd.cluster.local");
        assert_eq!(f.serial, "4242");
        assert_eq!(format_time(f.not_before), "2025-01-01T00:00:00Z");
        assert_eq!(format_time(f.not_after), "2035-01-01T00:00:00Z");
        assert_eq!(f.key_algorithm, "ECDSA P-256");
        assert_eq!(f.signature_algorithm, "ECDSA-SHA256");
        assert!(f.is_ca);
        assert_eq!(f.sha256_fingerprint.len(), 64);
        assert_eq!(root.cert.basic_constraints, Some((true, Some(1))));
        assert_eq!(root.cert.key_usage_cert_sign, Some(true));
        assert_eq!(root.cert.version, 3);
    }

    #[test]
    fn rsa_key_size_is_read() {
        let key =
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(RSA4096_PKCS8, &rcgen::PKCS_RSA_SHA256)
                .unwrap();
        let root = self_signed(Spec::ca("rsa", 1), key);
        assert_eq!(root.cert.key_algorithm, KeyAlgorithm::Rsa { bits: 4096 });
        assert_eq!(root.cert.signature_algorithm, "SHA256-RSA");
    }

    #[test]
    fn trailing_bytes_after_the_der_are_rejected() {
        let root = self_signed(Spec::ca("r", 1), p256());
        let mut der = root.cert.der().to_vec();
        der.push(0);
        assert_eq!(
            Cert::from_der(der).unwrap_err(),
            crate::x509::Error::Parse("x509: trailing data".into())
        );
    }
}
