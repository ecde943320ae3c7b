//! `x509.ParseCertificate`, ported from Go's `crypto/x509/parser.go` (Go 1.27): the same
//! structure checks, the same extension rules (what is refused, what is recorded as an unhandled
//! critical extension) and the same error strings, so a certificate Go refuses is refused here with
//! Go's words. Only public data is read.

use chrono::{DateTime, Utc};

use crate::der::{self, Reader};
use crate::names::{self, IpNet, NameConstraints, SanNames, UriName, go_quote};

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

type R<T> = Result<T, String>;

fn err<T>(s: &str) -> R<T> {
    Err(s.to_string())
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_MLDSA44: &str = "2.16.840.1.101.3.4.3.17";
const OID_MLDSA65: &str = "2.16.840.1.101.3.4.3.18";
const OID_MLDSA87: &str = "2.16.840.1.101.3.4.3.19";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const NULL_DER: &[u8] = &[0x05, 0x00];

/// An AlgorithmIdentifier: OID and the full encoding of its parameters (empty when absent).
fn parse_ai(mut r: Reader<'_>) -> R<(String, Vec<u8>)> {
    let oid = r.read_oid().ok_or("x509: malformed OID")?;
    let oid = oid
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(".");
    if r.is_empty() {
        return Ok((oid, Vec::new()));
    }
    let params = r.read_any().ok_or("x509: malformed parameters")?;
    Ok((oid, params.full.to_vec()))
}

/// `getSignatureAlgorithmFromAI`.
fn signature_algorithm(oid: &str, params: &[u8]) -> SigAlg {
    let pure = [OID_ED25519, OID_MLDSA44, OID_MLDSA65, OID_MLDSA87];
    if pure.contains(&oid) && !params.is_empty() {
        return SigAlg::Unknown;
    }
    match oid {
        "1.2.840.113549.1.1.4" => SigAlg::Md5Rsa,
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => SigAlg::Sha1Rsa,
        "1.2.840.113549.1.1.11" => SigAlg::Sha256Rsa,
        "1.2.840.113549.1.1.12" => SigAlg::Sha384Rsa,
        "1.2.840.113549.1.1.13" => SigAlg::Sha512Rsa,
        "1.2.840.10040.4.3" => SigAlg::DsaSha1,
        "2.16.840.1.101.3.4.3.2" => SigAlg::DsaSha256,
        "1.2.840.10045.4.1" => SigAlg::EcdsaSha1,
        "1.2.840.10045.4.3.2" => SigAlg::EcdsaSha256,
        "1.2.840.10045.4.3.3" => SigAlg::EcdsaSha384,
        "1.2.840.10045.4.3.4" => SigAlg::EcdsaSha512,
        OID_ED25519 => SigAlg::Ed25519,
        OID_MLDSA44 => SigAlg::MlDsa44,
        OID_MLDSA65 => SigAlg::MlDsa65,
        OID_MLDSA87 => SigAlg::MlDsa87,
        OID_RSA_PSS => pss_algorithm(params).unwrap_or(SigAlg::Unknown),
        _ => SigAlg::Unknown,
    }
}

/// RSASSA-PSS parameters in the three shapes Go accepts: MGF1 with the message hash, salt
/// length equal to the hash length, trailer field 1.
fn pss_algorithm(params: &[u8]) -> Option<SigAlg> {
    let mut outer = Reader::new(params);
    let mut seq = Reader::new(outer.read(der::SEQUENCE)?);
    let explicit_ai = |r: &mut Reader<'_>, tag: u8| -> Option<(String, Vec<u8>)> {
        let mut inner = Reader::new(r.read(der::context_constructed(tag))?);
        parse_ai(Reader::new(inner.read(der::SEQUENCE)?)).ok()
    };
    let (hash, hash_params) = explicit_ai(&mut seq, 0)?;
    let (mgf, mgf_params) = explicit_ai(&mut seq, 1)?;
    let mut salt_r = Reader::new(seq.read(der::context_constructed(2))?);
    let salt = salt_r.read_i64_with_tag(der::INTEGER)?;
    let trailer = match seq.read_optional(der::context_constructed(3))? {
        Some(t) => Reader::new(t).read_i64_with_tag(der::INTEGER)?,
        None => 1,
    };
    let (mgf_hash, mgf_hash_params) =
        parse_ai(Reader::new(Reader::new(&mgf_params).read(der::SEQUENCE)?)).ok()?;
    let null_or_absent = |p: &[u8]| p.is_empty() || p == NULL_DER;
    if !null_or_absent(&hash_params)
        || mgf != "1.2.840.113549.1.1.8"
        || mgf_hash != hash
        || !null_or_absent(&mgf_hash_params)
        || trailer != 1
    {
        return None;
    }
    match (hash.as_str(), salt) {
        ("2.16.840.1.101.3.4.2.1", 32) => Some(SigAlg::Sha256RsaPss),
        ("2.16.840.1.101.3.4.2.2", 48) => Some(SigAlg::Sha384RsaPss),
        ("2.16.840.1.101.3.4.2.3", 64) => Some(SigAlg::Sha512RsaPss),
        _ => None,
    }
}

fn is_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"'()+,-./ :=?*&".contains(&b)
}

/// `parseASN1String` for the string types Go reads in names.
fn asn1_string(tag: u8, v: &[u8]) -> R<String> {
    match tag {
        der::T61_STRING => Ok(v.iter().map(|&b| b as char).collect()),
        der::PRINTABLE_STRING => {
            if v.iter().all(|&b| is_printable(b)) {
                Ok(String::from_utf8_lossy(v).into_owned())
            } else {
                err("invalid PrintableString")
            }
        }
        der::UTF8_STRING => std::str::from_utf8(v)
            .map(str::to_string)
            .map_err(|_| "invalid UTF-8 string".to_string()),
        der::BMP_STRING => {
            if !v.len().is_multiple_of(2) {
                return err("invalid BMPString");
            }
            let v = if v.len() >= 2 && v[v.len() - 1] == 0 && v[v.len() - 2] == 0 {
                &v[..v.len() - 2]
            } else {
                v
            };
            let units: Vec<u16> = v
                .chunks(2)
                .map(|c| (c[0] as u16) << 8 | c[1] as u16)
                .collect();
            if units.iter().any(|&p| {
                p == 0xfffe
                    || p == 0xffff
                    || (0xfdd0..=0xfdef).contains(&p)
                    || (0xd800..=0xdfff).contains(&p)
            }) {
                return err("invalid BMPString");
            }
            Ok(String::from_utf16_lossy(&units))
        }
        der::IA5_STRING => {
            if v.is_ascii() {
                Ok(String::from_utf8_lossy(v).into_owned())
            } else {
                err("invalid IA5String")
            }
        }
        der::NUMERIC_STRING => {
            if v.iter().all(|&b| b.is_ascii_digit() || b == b' ') {
                Ok(String::from_utf8_lossy(v).into_owned())
            } else {
                err("invalid NumericString")
            }
        }
        _ => Err(format!("unsupported string type: {tag}")),
    }
}

/// `readASN1Any`: `Some(text)` for string values, `None` for other valid values.
fn attribute_value(r: &mut Reader<'_>) -> R<Option<String>> {
    let e = r.read_any().ok_or("invalid ASN.1 element")?;
    let mut full = Reader::new(e.full);
    match e.tag {
        der::T61_STRING
        | der::PRINTABLE_STRING
        | der::UTF8_STRING
        | der::BMP_STRING
        | der::IA5_STRING
        | der::NUMERIC_STRING => asn1_string(e.tag, e.contents).map(Some),
        der::INTEGER => full
            .read_i64_with_tag(der::INTEGER)
            .map(|_| None)
            .ok_or_else(|| "invalid ASN.1 integer".to_string()),
        der::BIT_STRING => full
            .read_bit_string()
            .map(|_| None)
            .ok_or_else(|| "invalid ASN.1 BIT STRING".to_string()),
        der::OID => full
            .read_oid()
            .map(|_| None)
            .ok_or_else(|| "invalid ASN.1 OBJECT IDENTIFIER".to_string()),
        der::UTC_TIME | der::GENERALIZED_TIME => {
            full.read_time().map(|_| None).map_err(str::to_string)
        }
        der::BOOLEAN => full
            .read_bool()
            .map(|_| None)
            .ok_or_else(|| "invalid ASN.1 BOOLEAN".to_string()),
        _ => Ok(None),
    }
}

/// `parseName`: Go's CommonName (the last CN) and Organization values.
fn parse_name(raw: &[u8]) -> R<(String, Vec<String>)> {
    let mut outer = Reader::new(raw);
    let mut seq = Reader::new(
        outer
            .read(der::SEQUENCE)
            .ok_or("x509: invalid RDNSequence")?,
    );
    let mut cn = String::new();
    let mut org = Vec::new();
    while !seq.is_empty() {
        let mut set = Reader::new(seq.read(der::SET).ok_or("x509: invalid RDNSequence")?);
        while !set.is_empty() {
            let mut atv = Reader::new(
                set.read(der::SEQUENCE)
                    .ok_or("x509: invalid RDNSequence: invalid attribute")?,
            );
            let oid = atv
                .read_oid()
                .ok_or("x509: invalid RDNSequence: invalid attribute type")?;
            let value = attribute_value(&mut atv)
                .map_err(|e| format!("x509: invalid RDNSequence: invalid attribute value: {e}"))?;
            if let Some(v) = value {
                match oid.as_slice() {
                    [2, 5, 4, 3] => cn = v,
                    [2, 5, 4, 10] => org.push(v),
                    _ => {}
                }
            }
        }
    }
    Ok((cn, org))
}

/// Go's `BitString.RightAlign`.
fn right_align(bytes: &[u8], bit_len: usize) -> Vec<u8> {
    let shift = (8 - bit_len % 8) % 8;
    if shift == 0 || bytes.is_empty() {
        return bytes.to_vec();
    }
    let mut out = vec![0u8; bytes.len()];
    out[0] = bytes[0] >> shift;
    for i in 1..bytes.len() {
        out[i] = (bytes[i - 1] << (8 - shift)) | (bytes[i] >> shift);
    }
    out
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
fn parse_public_key(oid: &str, params: &[u8], data: &[u8]) -> R<Option<PublicKey>> {
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
                return Err(format!("invalid {name} point encoding"));
            }
            if !point_on_curve(curve, data) {
                return Err(format!("{name} point not on curve"));
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

/// A two's-complement INTEGER in decimal (the magnitude, with a sign).
fn decimal(v: &[u8]) -> String {
    let negative = v.first().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = if negative {
        // -(~v + 1)
        let mut m: Vec<u8> = v.iter().map(|b| !b).collect();
        for b in m.iter_mut().rev() {
            let (s, carry) = b.overflowing_add(1);
            *b = s;
            if !carry {
                break;
            }
        }
        m
    } else {
        v.to_vec()
    };
    let mut digits = Vec::new();
    while mag.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in mag.iter_mut() {
            let cur = (rem << 8) | *b as u32;
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    if negative {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

struct Extension<'a> {
    oid: Vec<u64>,
    critical: bool,
    value: &'a [u8],
}

/// `parseExtension`.
fn parse_extension<'a>(mut r: Reader<'a>) -> R<Extension<'a>> {
    let oid = r.read_oid().ok_or("x509: malformed extension OID field")?;
    let mut critical = false;
    if r.peek_is(der::BOOLEAN) {
        critical = r
            .read_bool()
            .ok_or("x509: malformed extension critical field")?;
    }
    let value = r
        .read(der::OCTET_STRING)
        .ok_or("x509: malformed extension value field")?;
    Ok(Extension {
        oid,
        critical,
        value,
    })
}

fn is_ia5(b: &[u8]) -> bool {
    b.is_ascii()
}

/// `parseSANExtension`.
fn parse_san(value: &[u8]) -> R<SanNames> {
    let mut outer = Reader::new(value);
    let mut seq = Reader::new(
        outer
            .read(der::SEQUENCE)
            .ok_or("x509: invalid subject alternative names")?,
    );
    let mut out = SanNames::default();
    while !seq.is_empty() {
        let e = seq
            .read_any()
            .ok_or("x509: invalid subject alternative name")?;
        let data = e.contents;
        match e.tag ^ 0x80 {
            1 => {
                if !is_ia5(data) {
                    return err("x509: SAN rfc822Name is malformed");
                }
                out.emails.push(String::from_utf8_lossy(data).into_owned());
            }
            2 => {
                if !is_ia5(data) {
                    return err("x509: SAN dNSName is malformed");
                }
                out.dns.push(String::from_utf8_lossy(data).into_owned());
            }
            6 => {
                if !is_ia5(data) {
                    return err("x509: SAN uniformResourceIdentifier is malformed");
                }
                let text = String::from_utf8_lossy(data).into_owned();
                let host = names::uri_host(&text)
                    .map_err(|e| format!("x509: cannot parse URI {}: {e}", go_quote(&text)))?;
                if !host.is_empty() && !names::domain_name_valid(&host, false) {
                    return Err(format!(
                        "x509: cannot parse URI {}: invalid domain",
                        go_quote(&text)
                    ));
                }
                out.uris.push(UriName { text, host });
            }
            7 => match data.len() {
                16 if data[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] => {
                    return err("x509: SAN iPAddress contains IPv4-mapped IPv6 address");
                }
                4 | 16 => out.ips.push(data.to_vec()),
                n => return Err(format!("x509: cannot parse IP address of length {n}")),
            },
            _ => {}
        }
    }
    Ok(out)
}

fn valid_ip_mask(mask: &[u8]) -> bool {
    let mut seen_zero = false;
    for &b in mask {
        if seen_zero {
            if b != 0 {
                return false;
            }
            continue;
        }
        match b {
            0x00 | 0x80 | 0xc0 | 0xe0 | 0xf0 | 0xf8 | 0xfc | 0xfe => seen_zero = true,
            0xff => {}
            _ => return false,
        }
    }
    true
}

type Subtrees = (Vec<String>, Vec<IpNet>, Vec<String>, Vec<String>);

/// `parseNameConstraintsExtension`: the constraints, and whether some form was unhandled.
fn parse_name_constraints(value: &[u8]) -> R<(NameConstraints, bool)> {
    let invalid = "x509: invalid NameConstraints extension";
    let mut outer = Reader::new(value);
    let top = outer.read(der::SEQUENCE).ok_or(invalid)?;
    if !outer.is_empty() {
        return err(invalid);
    }
    let mut top = Reader::new(top);
    let permitted = top
        .read_optional(der::context_constructed(0))
        .ok_or(invalid)?;
    let excluded = top
        .read_optional(der::context_constructed(1))
        .ok_or(invalid)?;
    if !top.is_empty() {
        return err(invalid);
    }
    let empty = |s: Option<&[u8]>| s.is_none_or(|s| s.is_empty());
    if (permitted.is_none() && excluded.is_none()) || (empty(permitted) && empty(excluded)) {
        return err("x509: empty name constraints extension");
    }
    let mut unhandled = false;
    let mut values = |subtrees: Option<&[u8]>| -> R<Subtrees> {
        let mut out: Subtrees = Default::default();
        let mut r = Reader::new(subtrees.unwrap_or_default());
        while !r.is_empty() {
            let mut seq = Reader::new(r.read(der::SEQUENCE).ok_or(invalid)?);
            let e = seq.read_any().ok_or(invalid)?;
            let v = e.contents;
            let text = || String::from_utf8_lossy(v).into_owned();
            let ia5 = || -> R<()> {
                if is_ia5(v) {
                    Ok(())
                } else {
                    Err(format!(
                        "x509: invalid constraint value: x509: {} cannot be encoded as an IA5String",
                        names::go_quote_bytes(v)
                    ))
                }
            };
            match e.tag {
                0x82 => {
                    ia5()?;
                    let d = text();
                    if !names::domain_name_valid(&d, true) {
                        return Err(format!(
                            "x509: failed to parse dnsName constraint {}",
                            go_quote(&d)
                        ));
                    }
                    out.0.push(d);
                }
                0x87 => {
                    let (ip, mask) = match v.len() {
                        8 => (&v[..4], &v[4..]),
                        32 => (&v[..16], &v[16..]),
                        n => {
                            return Err(format!(
                                "x509: IP constraint contained value of length {n}"
                            ));
                        }
                    };
                    if !valid_ip_mask(mask) {
                        return Err(format!(
                            "x509: IP constraint contained invalid mask {}",
                            mask.iter().map(|b| format!("{b:02x}")).collect::<String>()
                        ));
                    }
                    if ip.len() == 16 && ip[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
                        return err("x509: IP constraint contained IPv4-mapped IPv6 address");
                    }
                    out.1.push(IpNet {
                        ip: ip.to_vec(),
                        mask: mask.to_vec(),
                    });
                }
                0x81 => {
                    ia5()?;
                    let c = text();
                    let ok = if c.contains('@') {
                        names::parse_mailbox(&c).is_some()
                    } else {
                        names::domain_name_valid(&c, true)
                    };
                    if !ok {
                        return Err(format!(
                            "x509: failed to parse rfc822Name constraint {}",
                            go_quote(&c)
                        ));
                    }
                    out.2.push(c);
                }
                0x86 => {
                    ia5()?;
                    let d = text();
                    if d.parse::<std::net::IpAddr>().is_ok() {
                        return Err(format!(
                            "x509: failed to parse URI constraint {}: cannot be IP address",
                            go_quote(&d)
                        ));
                    }
                    if !names::domain_name_valid(&d, true) {
                        return Err(format!(
                            "x509: failed to parse URI constraint {}",
                            go_quote(&d)
                        ));
                    }
                    out.3.push(d);
                }
                _ => unhandled = true,
            }
        }
        Ok(out)
    };
    let p = values(permitted)?;
    let x = values(excluded)?;
    Ok((
        NameConstraints {
            permitted_dns: p.0,
            permitted_ip: p.1,
            permitted_email: p.2,
            permitted_uri: p.3,
            excluded_dns: x.0,
            excluded_ip: x.1,
            excluded_email: x.2,
            excluded_uri: x.3,
        },
        unhandled,
    ))
}

/// Go's OID validity for policies (`newOIDFromDER`).
fn valid_policy_oid(b: &[u8]) -> bool {
    if b.is_empty() || b[b.len() - 1] & 0x80 != 0 {
        return false;
    }
    let mut start = 0;
    for (i, &v) in b.iter().enumerate() {
        if start == i && v == 0x80 {
            return false;
        }
        if v & 0x80 == 0 {
            start = i + 1;
        }
    }
    true
}

fn parse_crl_distribution_points(value: &[u8]) -> R<()> {
    let bad = "x509: invalid CRL distribution point";
    let mut outer = Reader::new(value);
    let mut seq = Reader::new(
        outer
            .read(der::SEQUENCE)
            .ok_or("x509: invalid CRL distribution points")?,
    );
    while !seq.is_empty() {
        let mut dp = Reader::new(seq.read(der::SEQUENCE).ok_or(bad)?);
        let Some(name) = dp.read_optional(der::context_constructed(0)).ok_or(bad)? else {
            continue;
        };
        let mut full = Reader::new(
            Reader::new(name)
                .read(der::context_constructed(0))
                .ok_or(bad)?,
        );
        while full.peek_is(der::context(6)) {
            full.read(der::context(6)).ok_or(bad)?;
        }
    }
    Ok(())
}

fn parse_authority_info_access(value: &[u8]) -> R<()> {
    let bad = "x509: invalid authority info access";
    let mut outer = Reader::new(value);
    let mut seq = Reader::new(outer.read(der::SEQUENCE).ok_or(bad)?);
    while !seq.is_empty() {
        let mut aia = Reader::new(seq.read(der::SEQUENCE).ok_or(bad)?);
        aia.read_oid().ok_or(bad)?;
        if aia.peek_is(der::context(6)) {
            aia.read(der::context(6)).ok_or(bad)?;
        }
    }
    Ok(())
}

/// `processExtensions`.
fn process_extensions(out: &mut Parsed, exts: &[Extension<'_>]) -> R<()> {
    for e in exts {
        let mut unhandled = false;
        match e.oid.as_slice() {
            [2, 5, 29, n] => match n {
                15 => {
                    let (bytes, len) = Reader::new(e.value)
                        .read_bit_string()
                        .ok_or("x509: invalid key usage")?;
                    out.key_usage = (0..9usize)
                        .filter(|&i| i < len && bytes[i / 8] & (0x80 >> (i % 8)) != 0)
                        .fold(0u16, |acc, i| acc | 1 << i);
                }
                19 => {
                    let bad = "x509: invalid basic constraints";
                    let mut r = Reader::new(e.value);
                    let mut seq = Reader::new(r.read(der::SEQUENCE).ok_or(bad)?);
                    let mut ca = false;
                    if seq.peek_is(der::BOOLEAN) {
                        ca = seq.read_bool().ok_or(bad)?;
                    }
                    let mut max = None;
                    if seq.peek_is(der::INTEGER) {
                        let n = seq.read_u64().ok_or(bad)?;
                        if n > i64::MAX as u64 {
                            return err(bad);
                        }
                        max = Some(n);
                    }
                    out.basic_constraints = Some((ca, max));
                }
                17 => {
                    let names = parse_san(e.value)?;
                    if names.dns.is_empty()
                        && names.emails.is_empty()
                        && names.ips.is_empty()
                        && names.uris.is_empty()
                    {
                        unhandled = true;
                    }
                    out.san = Some((names, e.value.to_vec()));
                }
                30 => {
                    let (nc, u) = parse_name_constraints(e.value)?;
                    unhandled = u;
                    out.name_constraints = Some(nc);
                }
                31 => parse_crl_distribution_points(e.value)?,
                35 => {
                    if e.critical {
                        return err("x509: authority key identifier incorrectly marked critical");
                    }
                    let bad = "x509: invalid authority key identifier";
                    let mut r = Reader::new(e.value);
                    let mut akid = Reader::new(r.read(der::SEQUENCE).ok_or(bad)?);
                    out.authority_key_id = if akid.peek_is(der::context(0)) {
                        Some(akid.read(der::context(0)).ok_or(bad)?.to_vec())
                    } else {
                        None
                    };
                }
                36 => {
                    let bad = "x509: invalid policy constraints extension";
                    let mut r = Reader::new(e.value);
                    let mut seq = Reader::new(r.read(der::SEQUENCE).ok_or(bad)?);
                    if seq.peek_is(der::context(0)) {
                        out.policies.require_explicit_policy =
                            Some(seq.read_i64_with_tag(der::context(0)).ok_or(bad)?);
                    }
                    if seq.peek_is(der::context(1)) {
                        out.policies.inhibit_policy_mapping =
                            Some(seq.read_i64_with_tag(der::context(1)).ok_or(bad)?);
                    }
                }
                37 => {
                    let bad = "x509: invalid extended key usages";
                    let mut r = Reader::new(e.value);
                    let mut seq = Reader::new(r.read(der::SEQUENCE).ok_or(bad)?);
                    while !seq.is_empty() {
                        let oid = seq.read_oid().ok_or(bad)?;
                        out.eku_present = true;
                        match oid.as_slice() {
                            [2, 5, 29, 37, 0] => out.eku_any = true,
                            [1, 3, 6, 1, 5, 5, 7, 3, 1] => out.eku_server_auth = true,
                            _ => {}
                        }
                    }
                }
                14 => {
                    if e.critical {
                        return err("x509: subject key identifier incorrectly marked critical");
                    }
                    let ski = Reader::new(e.value)
                        .read(der::OCTET_STRING)
                        .ok_or("x509: invalid subject key identifier")?;
                    out.subject_key_id = Some(ski.to_vec());
                }
                32 => {
                    let bad = "x509: invalid certificate policies";
                    let mut r = Reader::new(e.value);
                    let mut seq = Reader::new(r.read(der::SEQUENCE).ok_or(bad)?);
                    let mut oids: Vec<Vec<u8>> = Vec::new();
                    while !seq.is_empty() {
                        let mut cp = Reader::new(seq.read(der::SEQUENCE).ok_or(bad)?);
                        let oid = cp.read(der::OID).ok_or(bad)?;
                        if oids.iter().any(|o| o == oid) || !valid_policy_oid(oid) {
                            return err(bad);
                        }
                        oids.push(oid.to_vec());
                    }
                    out.policies.policies = oids;
                }
                33 => {
                    let bad = "x509: invalid policy mappings extension";
                    let mut r = Reader::new(e.value);
                    let mut seq = Reader::new(r.read(der::SEQUENCE).ok_or(bad)?);
                    while !seq.is_empty() {
                        let mut m = Reader::new(seq.read(der::SEQUENCE).ok_or(bad)?);
                        let issuer = m.read(der::OID).ok_or(bad)?.to_vec();
                        let subject = m.read(der::OID).ok_or(bad)?.to_vec();
                        out.policies.mappings.push((issuer, subject));
                    }
                }
                54 => {
                    let v = Reader::new(e.value)
                        .read_i64_with_tag(der::INTEGER)
                        .ok_or("x509: invalid inhibit any policy extension")?;
                    out.policies.inhibit_any_policy = Some(v);
                }
                _ => unhandled = true,
            },
            [1, 3, 6, 1, 5, 5, 7, 1, 1] => {
                if e.critical {
                    return err("x509: authority info access incorrectly marked critical");
                }
                parse_authority_info_access(e.value)?;
            }
            _ => unhandled = true,
        }
        if e.critical && unhandled {
            out.unhandled_critical.push(
                e.oid
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join("."),
            );
        }
    }
    Ok(())
}

/// `x509.ParseCertificate`.
pub fn parse(der_bytes: &[u8]) -> R<Parsed> {
    let malformed = "x509: malformed certificate";
    let mut input = Reader::new(der_bytes);
    let raw = input.read_element(der::SEQUENCE).ok_or(malformed)?;
    let mut cert = Reader::new(Reader::new(raw).read(der::SEQUENCE).ok_or(malformed)?);

    let raw_tbs = cert
        .read_element(der::SEQUENCE)
        .ok_or("x509: malformed tbs certificate")?;
    let mut tbs = Reader::new(
        Reader::new(raw_tbs)
            .read(der::SEQUENCE)
            .ok_or("x509: malformed tbs certificate")?,
    );

    let version = match tbs
        .read_optional(der::context_constructed(0))
        .ok_or("x509: malformed version")?
    {
        None => 0,
        Some(v) => {
            let mut v = Reader::new(v);
            let n = v
                .read_i64_with_tag(der::INTEGER)
                .ok_or("x509: malformed version")?;
            if !v.is_empty() {
                return err("x509: malformed version");
            }
            n
        }
    };
    if version < 0 {
        return err("x509: malformed version");
    }
    let version = version + 1;
    if version > 3 {
        return err("x509: invalid version");
    }

    let serial = tbs
        .read_integer_bytes(der::INTEGER)
        .ok_or("x509: malformed serial number")?;
    if serial[0] & 0x80 != 0 {
        return err("x509: negative serial number");
    }

    let sig_ai = tbs
        .read(der::SEQUENCE)
        .ok_or("x509: malformed signature algorithm identifier")?;
    let outer_ai = cert
        .read(der::SEQUENCE)
        .ok_or("x509: malformed algorithm identifier")?;
    if outer_ai != sig_ai {
        return err("x509: inner and outer signature algorithm identifiers don't match");
    }
    let (sig_oid, sig_params) = parse_ai(Reader::new(sig_ai))?;
    let signature_algorithm = signature_algorithm(&sig_oid, &sig_params);

    let raw_issuer = tbs
        .read_element(der::SEQUENCE)
        .ok_or("x509: malformed issuer")?;
    parse_name(raw_issuer)?;

    let validity = tbs.read(der::SEQUENCE).ok_or("x509: malformed validity")?;
    let mut validity = Reader::new(validity);
    let not_before = validity.read_time().map_err(str::to_string)?;
    let not_after = validity.read_time().map_err(str::to_string)?;

    let raw_subject = tbs
        .read_element(der::SEQUENCE)
        .ok_or("x509: malformed issuer")?;
    let (common_name, organization) = parse_name(raw_subject)?;

    let raw_spki = tbs
        .read_element(der::SEQUENCE)
        .ok_or("x509: malformed spki")?;
    let mut spki = Reader::new(
        Reader::new(raw_spki)
            .read(der::SEQUENCE)
            .ok_or("x509: malformed spki")?,
    );
    let pk_ai = spki
        .read(der::SEQUENCE)
        .ok_or("x509: malformed public key algorithm identifier")?;
    let (public_key_oid, pk_params) = parse_ai(Reader::new(pk_ai))?;
    let (spk, spk_len) = spki
        .read_bit_string()
        .ok_or("x509: malformed subjectPublicKey")?;
    let public_key_bits = right_align(spk, spk_len);
    let public_key = parse_public_key(&public_key_oid, &pk_params, &public_key_bits)?;

    let mut out = Parsed {
        version: version as u32,
        serial: decimal(serial),
        signature_algorithm,
        signature_oid: sig_oid,
        raw_tbs: raw_tbs.to_vec(),
        raw_issuer: raw_issuer.to_vec(),
        raw_subject: raw_subject.to_vec(),
        raw_spki: raw_spki.to_vec(),
        public_key_oid,
        public_key,
        public_key_bits,
        not_before,
        not_after,
        common_name,
        organization,
        basic_constraints: None,
        key_usage: 0,
        eku_any: false,
        eku_server_auth: false,
        eku_present: false,
        san: None,
        name_constraints: None,
        subject_key_id: None,
        authority_key_id: None,
        policies: Policies::default(),
        unhandled_critical: Vec::new(),
        signature: Vec::new(),
    };

    if version > 1 {
        tbs.skip_optional(der::context(1))
            .ok_or("x509: malformed issuerUniqueID")?;
        tbs.skip_optional(der::context(2))
            .ok_or("x509: malformed subjectUniqueID")?;
        if version == 3
            && let Some(exts) = tbs
                .read_optional(der::context_constructed(3))
                .ok_or("x509: malformed extensions")?
        {
            let mut exts = Reader::new(
                Reader::new(exts)
                    .read(der::SEQUENCE)
                    .ok_or("x509: malformed extensions")?,
            );
            let mut parsed: Vec<Extension<'_>> = Vec::new();
            while !exts.is_empty() {
                let ext = exts
                    .read(der::SEQUENCE)
                    .ok_or("x509: malformed extension")?;
                let ext = parse_extension(Reader::new(ext))?;
                if parsed.iter().any(|p| p.oid == ext.oid) {
                    let dotted = ext
                        .oid
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(".");
                    return Err(format!(
                        "x509: certificate contains duplicate extension with OID {}",
                        go_quote(&dotted)
                    ));
                }
                parsed.push(ext);
            }
            process_extensions(&mut out, &parsed)?;
        }
    }

    let (sig, sig_len) = cert.read_bit_string().ok_or("x509: malformed signature")?;
    out.signature = right_align(sig, sig_len);

    if raw.len() != der_bytes.len() {
        return err("x509: trailing data");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_decimal() {
        assert_eq!(decimal(&[0x00]), "0");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff]), "-1");
        assert_eq!(
            decimal(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "18446744073709551615"
        );
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[0x00, 0x80]), 8);
        assert_eq!(bit_len(&[0x01, 0x00]), 9);
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(parse(b"").unwrap_err(), "x509: malformed certificate");
        assert_eq!(
            parse(&[0x30, 0x01]).unwrap_err(),
            "x509: malformed certificate"
        );
        assert_eq!(
            parse(&[0x30, 0x00]).unwrap_err(),
            "x509: malformed tbs certificate"
        );
    }
}
