//! What Go's `ParseCertificate` yields, the parts meshcert uses: the certificate, its policy
//! fields and its signature algorithm. The types only; `parse.rs` reads them, `extensions.rs`
//! fills in the extensions' part.

use chrono::{DateTime, Utc};

use super::constraints::{NameConstraints, SanNames};
use super::public_key::PublicKey;

/// Go's `x509.SignatureAlgorithm`, reduced to what verification needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigAlg {
    Unknown,
    Md5Rsa,
    Sha1Rsa,
    Sha256Rsa,
    Sha384Rsa,
    Sha512Rsa,
    Sha256RsaPss,
    Sha384RsaPss,
    Sha512RsaPss,
    DsaSha1,
    DsaSha256,
    EcdsaSha1,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    Ed25519,
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

impl SigAlg {
    /// Go's `SignatureAlgorithm.String()`.
    pub fn go_name(self) -> &'static str {
        match self {
            SigAlg::Unknown => "0",
            SigAlg::Md5Rsa => "MD5-RSA",
            SigAlg::Sha1Rsa => "SHA1-RSA",
            SigAlg::Sha256Rsa => "SHA256-RSA",
            SigAlg::Sha384Rsa => "SHA384-RSA",
            SigAlg::Sha512Rsa => "SHA512-RSA",
            SigAlg::Sha256RsaPss => "SHA256-RSAPSS",
            SigAlg::Sha384RsaPss => "SHA384-RSAPSS",
            SigAlg::Sha512RsaPss => "SHA512-RSAPSS",
            SigAlg::DsaSha1 => "DSA-SHA1",
            SigAlg::DsaSha256 => "DSA-SHA256",
            SigAlg::EcdsaSha1 => "ECDSA-SHA1",
            SigAlg::EcdsaSha256 => "ECDSA-SHA256",
            SigAlg::EcdsaSha384 => "ECDSA-SHA384",
            SigAlg::EcdsaSha512 => "ECDSA-SHA512",
            SigAlg::Ed25519 => "Ed25519",
            SigAlg::MlDsa44 => "ML-DSA-44",
            SigAlg::MlDsa65 => "ML-DSA-65",
            SigAlg::MlDsa87 => "ML-DSA-87",
        }
    }
}

/// The policy-related fields of a certificate (RFC 5280 6.1, as Go reads them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    /// certificatePolicies OIDs (DER contents); `None` without the extension.
    pub policies: Vec<Vec<u8>>,
    /// (issuerDomainPolicy, subjectDomainPolicy)
    pub mappings: Vec<(Vec<u8>, Vec<u8>)>,
    pub require_explicit_policy: Option<i64>,
    pub inhibit_policy_mapping: Option<i64>,
    pub inhibit_any_policy: Option<i64>,
}

/// What Go's `ParseCertificate` produces, the parts meshcert uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub version: u32,
    /// The serial number in decimal.
    pub serial: String,
    pub signature_algorithm: SigAlg,
    /// The signature algorithm OID, dotted, for display of unknown algorithms.
    pub signature_oid: String,
    pub raw_tbs: Vec<u8>,
    pub raw_issuer: Vec<u8>,
    pub raw_subject: Vec<u8>,
    pub raw_spki: Vec<u8>,
    /// The OID of the public-key algorithm, dotted.
    pub public_key_oid: String,
    pub public_key: Option<PublicKey>,
    /// The subjectPublicKey bits.
    pub public_key_bits: Vec<u8>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Go's `Subject.CommonName` (the last CN) and `Subject.Organization`.
    pub common_name: String,
    pub organization: Vec<String>,
    /// `Some((is_ca, max_path_len))` when the extension is present.
    pub basic_constraints: Option<(bool, Option<u64>)>,
    /// Go's 9-bit `KeyUsage`; 0 when absent or empty.
    pub key_usage: u16,
    /// EKU: (any, serverAuth, the extension lists at least one usage).
    pub eku_any: bool,
    pub eku_server_auth: bool,
    pub eku_present: bool,
    /// The SAN extension, when present, with its raw value (Go compares it in `alreadyInChain`).
    pub san: Option<(SanNames, Vec<u8>)>,
    pub name_constraints: Option<NameConstraints>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub policies: Policies,
    pub unhandled_critical: Vec<String>,
    pub signature: Vec<u8>,
}
