//! `x509.ParseCertificate`, ported from Go's `crypto/x509/parser.go` (Go 1.27): the same
//! structure checks, the same extension rules (what is refused, what is recorded as an unhandled
//! critical extension) and the same error strings, so a certificate Go refuses is refused here with
//! Go's words. Only public data is read.

use super::der::{self, Reader};
use super::extensions::{Extension, parse_extension, process_extensions};
use super::hostname::go_quote;
use super::name::parse_name;
use super::public_key::parse_public_key;
pub use super::public_key::{Curve, PublicKey};
use super::{R, err};

pub use super::certificate::{Parsed, Policies, SigAlg};
use super::oid::*;

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

/// The version field (absent for v1), as Go's one-indexed version.
fn read_version(tbs: &mut Reader<'_>) -> R<i64> {
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
    if version + 1 > 3 {
        return err("x509: invalid version");
    }
    Ok(version + 1)
}

/// subjectPublicKeyInfo: the algorithm OID, the key bits and the key Go parses from them.
fn read_spki(raw_spki: &[u8]) -> R<(String, Vec<u8>, Option<PublicKey>)> {
    let mut spki = Reader::new(
        Reader::new(raw_spki)
            .read(der::SEQUENCE)
            .ok_or("x509: malformed spki")?,
    );
    let pk_ai = spki
        .read(der::SEQUENCE)
        .ok_or("x509: malformed public key algorithm identifier")?;
    let (oid, params) = parse_ai(Reader::new(pk_ai))?;
    let (spk, spk_len) = spki
        .read_bit_string()
        .ok_or("x509: malformed subjectPublicKey")?;
    let bits = right_align(spk, spk_len);
    let key = parse_public_key(&oid, &params, &bits)?;
    Ok((oid, bits, key))
}

/// A v3 certificate's extensions, when present: each once, then processed.
fn read_extensions(tbs: &mut Reader<'_>, out: &mut Parsed) -> R<()> {
    let Some(exts) = tbs
        .read_optional(der::context_constructed(3))
        .ok_or("x509: malformed extensions")?
    else {
        return Ok(());
    };
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
            )
            .into());
        }
        parsed.push(ext);
    }
    process_extensions(out, &parsed)
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

    let version = read_version(&mut tbs)?;

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
    let (public_key_oid, public_key_bits, public_key) = read_spki(raw_spki)?;

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
        if version == 3 {
            read_extensions(&mut tbs, &mut out)?;
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
    fn garbage_is_malformed() {
        let refused = |text: &str| super::super::Error::Parse(text.to_string());
        assert_eq!(
            parse(b"").unwrap_err(),
            refused("x509: malformed certificate")
        );
        assert_eq!(
            parse(&[0x30, 0x01]).unwrap_err(),
            refused("x509: malformed certificate")
        );
        assert_eq!(
            parse(&[0x30, 0x00]).unwrap_err(),
            refused("x509: malformed tbs certificate")
        );
    }
}
