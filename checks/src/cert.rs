//! A parsed X.509 certificate: the DER plus the facts the checks and reports need, extracted
//! once. Names of algorithms follow Go's `crypto/x509` (`ECDSA`, `SHA256-RSA`, …) because
//! linkerd's messages print them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use x509_parser::der_parser::oid;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

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
    /// Go's name of the signature algorithm (`ECDSA-SHA256`, `SHA256-RSA`, …).
    pub signature_algorithm: String,
    pub version: u32,
    pub raw_subject: Vec<u8>,
    pub raw_issuer: Vec<u8>,
    pub raw_spki: Vec<u8>,
    /// The subjectPublicKey bits (an EC point, or an RSAPublicKey).
    pub public_key_bits: Vec<u8>,
    /// `Some((is_ca, max_path_len))` when the basic constraints extension is present.
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// `Some(key_cert_sign)` when the key usage extension is present.
    pub key_usage_cert_sign: Option<bool>,
    /// `Some` when the extended key usage extension is present.
    pub eku: Option<Eku>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const OID_EC_PUBLIC_KEY: Oid<'static> = oid!(1.2.840.10045.2.1);
const OID_RSA_ENCRYPTION: Oid<'static> = oid!(1.2.840.113549.1.1.1);
const OID_ED25519: Oid<'static> = oid!(1.3.101.112);

/// A named curve: (name, bits).
pub fn curve_name(oid: &Oid<'_>) -> (String, u32) {
    match oid.to_id_string().as_str() {
        "1.2.840.10045.3.1.7" => ("P-256".into(), 256),
        "1.3.132.0.34" => ("P-384".into(), 384),
        "1.3.132.0.35" => ("P-521".into(), 521),
        "1.3.132.0.10" => ("secp256k1".into(), 256),
        other => (format!("curve {other}"), 0),
    }
}

/// Go's names for signature algorithms.
fn signature_name(oid: &Oid<'_>) -> String {
    match oid.to_id_string().as_str() {
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.5" => "SHA1-RSA",
        "1.2.840.113549.1.1.11" => "SHA256-RSA",
        "1.2.840.113549.1.1.12" => "SHA384-RSA",
        "1.2.840.113549.1.1.13" => "SHA512-RSA",
        "1.2.840.113549.1.1.10" => "SHA256-RSAPSS",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.10045.4.3.2" => "ECDSA-SHA256",
        "1.2.840.10045.4.3.3" => "ECDSA-SHA384",
        "1.2.840.10045.4.3.4" => "ECDSA-SHA512",
        "1.3.101.112" => "Ed25519",
        other => return other.to_string(),
    }
    .to_string()
}

fn key_algorithm(spki: &SubjectPublicKeyInfo<'_>) -> KeyAlgorithm {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_EC_PUBLIC_KEY {
        let (curve, bits) = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| curve_name(&o))
            .unwrap_or_else(|| ("unnamed curve".into(), 0));
        KeyAlgorithm::Ecdsa { curve, bits }
    } else if *alg == OID_RSA_ENCRYPTION {
        let bits = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => rsa.key_size() as u32,
            _ => 0,
        };
        KeyAlgorithm::Rsa { bits }
    } else if *alg == OID_ED25519 {
        KeyAlgorithm::Ed25519
    } else {
        KeyAlgorithm::Other(alg.to_id_string())
    }
}

fn to_utc(t: &ASN1Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Cert {
    /// Parses one DER certificate. Errors read like Go's `x509.ParseCertificate`.
    pub fn from_der(der: Vec<u8>) -> Result<Cert, String> {
        let (rest, x) = X509Certificate::from_der(&der)
            .map_err(|e| format!("x509: malformed certificate: {e}"))?;
        if !rest.is_empty() {
            return Err("x509: trailing data".to_string());
        }
        let ext_err = |e: X509Error| format!("x509: malformed certificate extension: {e}");
        let basic_constraints = x
            .basic_constraints()
            .map_err(ext_err)?
            .map(|bc| (bc.value.ca, bc.value.path_len_constraint));
        let key_usage_cert_sign = x
            .key_usage()
            .map_err(ext_err)?
            .map(|ku| ku.value.key_cert_sign());
        let eku = x.extended_key_usage().map_err(ext_err)?.map(|e| Eku {
            any: e.value.any,
            server_auth: e.value.server_auth,
        });
        let dns_names = x
            .subject_alternative_name()
            .map_err(ext_err)?
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        GeneralName::DNSName(d) => Some(d.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut subject_key_id = None;
        let mut authority_key_id = None;
        for ext in x.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => subject_key_id = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    authority_key_id = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => {}
            }
        }
        let spki = x.public_key();
        let key_algorithm = key_algorithm(spki);
        let signature_algorithm = signature_name(&x.signature_algorithm.algorithm);
        let common_name = x
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .unwrap_or("")
            .to_string();
        let facts = CertFacts {
            subject: x.subject().to_string(),
            common_name,
            issuer: x.issuer().to_string(),
            serial: x.serial.to_str_radix(10),
            not_before: to_utc(&x.validity().not_before),
            not_after: to_utc(&x.validity().not_after),
            sha256_fingerprint: hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref()),
            key_algorithm: key_algorithm.describe(),
            signature_algorithm: signature_algorithm.clone(),
            is_ca: basic_constraints.is_some_and(|(ca, _)| ca),
            dns_names,
        };
        let cert = Cert {
            key_algorithm,
            signature_algorithm,
            version: x.version().0 + 1,
            raw_subject: x.subject().as_raw().to_vec(),
            raw_issuer: x.issuer().as_raw().to_vec(),
            raw_spki: spki.raw.to_vec(),
            public_key_bits: spki.subject_public_key.data.to_vec(),
            basic_constraints,
            key_usage_cert_sign,
            eku,
            subject_key_id,
            authority_key_id,
            facts,
            der: Vec::new(),
        };
        Ok(Cert { der, ..cert })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Parses the DER again, for signature verification. It parsed when the Cert was made.
    pub(crate) fn x509(&self) -> X509Certificate<'_> {
        X509Certificate::from_der(&self.der)
            .map(|(_, x)| x)
            .expect("a Cert's DER parsed when the Cert was built")
    }

    /// `<serial> <CN>`, the way linkerd names a certificate in a list.
    pub fn label(&self) -> String {
        format!("{} {}", self.facts.serial, self.facts.common_name)
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
        assert_eq!(Cert::from_der(der).unwrap_err(), "x509: trailing data");
    }
}
