//! Distinguished names as Go's `parseName` reads them: every attribute value checked for its
//! string type, and the CommonName (the last CN) and Organization values kept.

use super::der::{self, Reader};
use super::{Error, R, err};

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
            .map_err(|_| Error::from("invalid UTF-8 string")),
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
        _ => Err(format!("unsupported string type: {tag}").into()),
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
            .ok_or(Error::from("invalid ASN.1 integer")),
        der::BIT_STRING => full
            .read_bit_string()
            .map(|_| None)
            .ok_or(Error::from("invalid ASN.1 BIT STRING")),
        der::OID => full
            .read_oid()
            .map(|_| None)
            .ok_or(Error::from("invalid ASN.1 OBJECT IDENTIFIER")),
        der::UTC_TIME | der::GENERALIZED_TIME => {
            full.read_time().map(|_| None).map_err(Error::from)
        }
        der::BOOLEAN => full
            .read_bool()
            .map(|_| None)
            .ok_or(Error::from("invalid ASN.1 BOOLEAN")),
        _ => Ok(None),
    }
}

/// `parseName`: Go's CommonName (the last CN) and Organization values.
pub(super) fn parse_name(raw: &[u8]) -> R<(String, Vec<String>)> {
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
