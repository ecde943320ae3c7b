//! A strict DER reader with the rules of Go's `golang.org/x/crypto/cryptobyte`, which
//! `x509.ParseCertificate` is built on: low tag numbers only, definite lengths in their shortest
//! form, minimally encoded INTEGERs, BOOLEANs of 0x00/0xff, BIT STRINGs with zeroed padding and
//! times that read back as written. What this reader refuses, Go refuses, so parse errors agree.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const T61_STRING: u8 = 0x14;
pub const IA5_STRING: u8 = 0x16;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const NUMERIC_STRING: u8 = 0x12;
pub const BMP_STRING: u8 = 0x1e;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Context-specific tag `n`, primitive.
pub const fn context(n: u8) -> u8 {
    0x80 | n
}

/// Context-specific tag `n`, constructed.
pub const fn context_constructed(n: u8) -> u8 {
    0xa0 | n
}

/// A cursor over DER bytes; every read either consumes a whole element or fails (`None`),
/// the way cryptobyte's `Read…` methods answer false.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    data: &'a [u8],
}

/// One element: its tag, its full encoding (header included) and its contents.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    pub tag: u8,
    pub full: &'a [u8],
    pub contents: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn rest(&self) -> &'a [u8] {
        self.data
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    pub fn peek_is(&self, tag: u8) -> bool {
        self.peek_tag() == Some(tag)
    }

    /// cryptobyte's `readASN1`: any element, refusing high tag numbers and non-minimal lengths.
    pub fn read_any(&mut self) -> Option<Element<'a>> {
        let s = self.data;
        if s.len() < 2 {
            return None;
        }
        let (tag, len_byte) = (s[0], s[1]);
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (header, length) = if len_byte & 0x80 == 0 {
            (2usize, len_byte as usize)
        } else {
            let len_len = (len_byte & 0x7f) as usize;
            if len_len == 0 || len_len > 4 || s.len() < 2 + len_len {
                return None;
            }
            let mut value: u32 = 0;
            for &b in &s[2..2 + len_len] {
                value = (value << 8) | b as u32;
            }
            if value < 128 || value >> ((len_len - 1) * 8) == 0 {
                return None;
            }
            (2 + len_len, value as usize)
        };
        let total = header.checked_add(length)?;
        if s.len() < total {
            return None;
        }
        self.data = &s[total..];
        Some(Element {
            tag,
            full: &s[..total],
            contents: &s[header..total],
        })
    }

    /// The contents of an element with tag `tag`.
    pub fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let mut probe = *self;
        let e = probe.read_any()?;
        if e.tag != tag {
            return None;
        }
        *self = probe;
        Some(e.contents)
    }

    /// The full encoding of an element with tag `tag`.
    pub fn read_element(&mut self, tag: u8) -> Option<&'a [u8]> {
        let mut probe = *self;
        let e = probe.read_any()?;
        if e.tag != tag {
            return None;
        }
        *self = probe;
        Some(e.full)
    }

    /// `ReadOptionalASN1`: `Some(None)` when the next element has another tag (or there is
    /// none), `None` when an element with the tag is there but malformed.
    pub fn read_optional(&mut self, tag: u8) -> Option<Option<&'a [u8]>> {
        if !self.peek_is(tag) {
            return Some(None);
        }
        self.read(tag).map(Some)
    }

    /// `SkipOptionalASN1`.
    pub fn skip_optional(&mut self, tag: u8) -> Option<()> {
        self.read_optional(tag).map(|_| ())
    }

    pub fn read_bool(&mut self) -> Option<bool> {
        let mut probe = *self;
        let v = probe.read(BOOLEAN)?;
        let b = match v {
            [0] => false,
            [0xff] => true,
            _ => return None,
        };
        *self = probe;
        Some(b)
    }

    /// The two's-complement bytes of a minimally encoded INTEGER with tag `tag`.
    pub fn read_integer_bytes(&mut self, tag: u8) -> Option<&'a [u8]> {
        let mut probe = *self;
        let v = probe.read(tag)?;
        if !minimal_integer(v) {
            return None;
        }
        *self = probe;
        Some(v)
    }

    /// An INTEGER that fits an i64.
    pub fn read_i64_with_tag(&mut self, tag: u8) -> Option<i64> {
        let mut probe = *self;
        let v = probe.read_integer_bytes(tag)?;
        let n = signed(v)?;
        *self = probe;
        Some(n)
    }

    /// A non-negative INTEGER that fits a u64 (cryptobyte refuses negative values here).
    pub fn read_u64(&mut self) -> Option<u64> {
        let mut probe = *self;
        let v = probe.read_integer_bytes(INTEGER)?;
        if v[0] & 0x80 != 0 {
            return None;
        }
        let v = if v.len() > 1 && v[0] == 0 { &v[1..] } else { v };
        if v.len() > 8 {
            return None;
        }
        let n = v.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
        *self = probe;
        Some(n)
    }

    /// An OBJECT IDENTIFIER's components, with cryptobyte's limits (each component < 2^31,
    /// encoded in at most five bytes, no leading 0x80).
    pub fn read_oid(&mut self) -> Option<Vec<u64>> {
        let mut probe = *self;
        let bytes = probe.read(OID)?;
        let comps = oid_components(bytes)?;
        *self = probe;
        Some(comps)
    }

    /// The raw contents of an OBJECT IDENTIFIER (for comparisons), validated like `read_oid`.
    pub fn read_oid_bytes(&mut self) -> Option<&'a [u8]> {
        let mut probe = *self;
        let bytes = probe.read(OID)?;
        oid_components(bytes)?;
        *self = probe;
        Some(bytes)
    }

    /// A BIT STRING: (bytes, bit length).
    pub fn read_bit_string(&mut self) -> Option<(&'a [u8], usize)> {
        let mut probe = *self;
        let v = probe.read(BIT_STRING)?;
        let (&padding, bytes) = v.split_first()?;
        if padding > 7
            || (bytes.is_empty() && padding != 0)
            || bytes
                .last()
                .is_some_and(|&last| last & ((1u8 << padding) - 1) != 0)
        {
            return None;
        }
        *self = probe;
        Some((bytes, bytes.len() * 8 - padding as usize))
    }

    /// A UTCTime or GeneralizedTime, as Go's `readASN1Time` accepts them.
    pub fn read_time(&mut self) -> Result<DateTime<Utc>, &'static str> {
        let mut probe = *self;
        let t = match self.peek_tag() {
            Some(UTC_TIME) => {
                let v = probe.read(UTC_TIME).ok_or("x509: malformed UTCTime")?;
                parse_utc_time(v).ok_or("x509: malformed UTCTime")?
            }
            Some(GENERALIZED_TIME) => {
                let v = probe
                    .read(GENERALIZED_TIME)
                    .ok_or("x509: malformed GeneralizedTime")?;
                parse_generalized_time(v).ok_or("x509: malformed GeneralizedTime")?
            }
            _ => return Err("x509: unsupported time format"),
        };
        *self = probe;
        Ok(t)
    }
}

/// cryptobyte's `checkASN1Integer`.
pub fn minimal_integer(v: &[u8]) -> bool {
    match v {
        [] => false,
        [_] => true,
        [0, b, ..] if b & 0x80 == 0 => false,
        [0xff, b, ..] if b & 0x80 == 0x80 => false,
        _ => true,
    }
}

fn signed(v: &[u8]) -> Option<i64> {
    if v.len() > 8 {
        return None;
    }
    let mut n: i64 = if v[0] & 0x80 != 0 { -1 } else { 0 };
    for &b in v {
        n = (n << 8) | b as i64;
    }
    Some(n)
}

/// cryptobyte's `readBase128Int`: at most five bytes, below 2^31, no leading 0x80.
fn base128(rest: &mut &[u8]) -> Option<u64> {
    let mut ret: u64 = 0;
    for i in 0..5 {
        let (&b, tail) = rest.split_first()?;
        if ret >= 1 << (31 - 7) || (i == 0 && b == 0x80) {
            return None;
        }
        *rest = tail;
        ret = (ret << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            return Some(ret);
        }
    }
    None
}

fn oid_components(bytes: &[u8]) -> Option<Vec<u64>> {
    if bytes.is_empty() {
        return None;
    }
    let mut rest = bytes;
    let first = base128(&mut rest)?;
    let mut comps = if first < 80 {
        vec![first / 40, first % 40]
    } else {
        vec![2, first - 80]
    };
    while !rest.is_empty() {
        comps.push(base128(&mut rest)?);
    }
    Some(comps)
}

/// Dotted form of an OID's contents (already validated).
pub fn oid_string(bytes: &[u8]) -> String {
    oid_components(bytes)
        .map(|c| {
            c.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default()
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |acc, &b| acc * 10 + (b - b'0') as u32))
}

/// The `Z0700` part of Go's layouts: `Z`, or `±hhmm` with a non-zero offset (a zero offset
/// reads back as `Z`, so Go's round-trip check refuses `+0000`).
fn zone(s: &[u8]) -> Option<FixedOffset> {
    match s {
        b"Z" => FixedOffset::east_opt(0),
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 4 => {
            let hh = digits(&rest[..2])?;
            let mm = digits(&rest[2..])?;
            if hh > 24 || mm > 60 {
                return None;
            }
            let secs = (hh * 3600 + mm * 60) as i32;
            if secs == 0 {
                return None;
            }
            // Go formats the offset from hours and minutes: 60 minutes would read back as
            // the next hour, so the round trip fails.
            if mm == 60 {
                return None;
            }
            FixedOffset::east_opt(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

fn civil(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    tz: FixedOffset,
) -> Option<DateTime<Utc>> {
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let naive = date.and_hms_opt(hour, min, sec)?;
    tz.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `YYMMDDhhmm[ss]Z0700`, with RFC 5280's two-digit years (50–99 are 19xx).
fn parse_utc_time(v: &[u8]) -> Option<DateTime<Utc>> {
    let (body, tz) = [12usize, 10]
        .into_iter()
        .find_map(|n| Some((v.get(..n)?, zone(v.get(n..)?)?)))?;
    if !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let yy = digits(&body[0..2])? as i32;
    let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
    let sec = if body.len() == 12 {
        digits(&body[10..12])?
    } else {
        0
    };
    civil(
        year,
        digits(&body[2..4])?,
        digits(&body[4..6])?,
        digits(&body[6..8])?,
        digits(&body[8..10])?,
        sec,
        tz,
    )
}

/// `YYYYMMDDhhmmssZ0700`, no fractions (they would not read back).
fn parse_generalized_time(v: &[u8]) -> Option<DateTime<Utc>> {
    let body = v.get(..14)?;
    let tz = zone(v.get(14..)?)?;
    civil(
        digits(&body[0..4])? as i32,
        digits(&body[4..6])?,
        digits(&body[6..8])?,
        digits(&body[8..10])?,
        digits(&body[10..12])?,
        digits(&body[12..14])?,
        tz,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_be_minimal() {
        assert!(
            Reader::new(&[0x04, 0x01, 0xaa])
                .read(OCTET_STRING)
                .is_some()
        );
        // 1 encoded in long form
        assert!(
            Reader::new(&[0x04, 0x81, 0x01, 0xaa])
                .read(OCTET_STRING)
                .is_none()
        );
        // indefinite length
        assert!(Reader::new(&[0x30, 0x80, 0, 0]).read(SEQUENCE).is_none());
        // high tag number form
        assert!(Reader::new(&[0x1f, 0x01, 0x00]).read_any().is_none());
    }

    #[test]
    fn integers_must_be_minimal() {
        assert_eq!(Reader::new(&[0x02, 0x01, 0x05]).read_u64(), Some(5));
        assert!(Reader::new(&[0x02, 0x02, 0x00, 0x05]).read_u64().is_none());
        assert!(Reader::new(&[0x02, 0x00]).read_u64().is_none());
        assert_eq!(
            Reader::new(&[0x80, 0x01, 0xff]).read_i64_with_tag(context(0)),
            Some(-1)
        );
    }

    #[test]
    fn booleans_are_00_or_ff() {
        assert_eq!(Reader::new(&[0x01, 0x01, 0xff]).read_bool(), Some(true));
        assert!(Reader::new(&[0x01, 0x01, 0x01]).read_bool().is_none());
    }

    #[test]
    fn bit_string_padding_must_be_zero() {
        assert!(
            Reader::new(&[0x03, 0x02, 0x01, 0x02])
                .read_bit_string()
                .is_some()
        );
        assert!(
            Reader::new(&[0x03, 0x02, 0x01, 0x03])
                .read_bit_string()
                .is_none()
        );
        assert!(Reader::new(&[0x03, 0x01, 0x01]).read_bit_string().is_none());
        assert_eq!(
            Reader::new(&[0x03, 0x01, 0x00]).read_bit_string(),
            Some((&[][..], 0))
        );
    }

    #[test]
    fn oids() {
        let mut r = Reader::new(&[0x06, 0x03, 0x55, 0x1d, 0x13]);
        assert_eq!(r.read_oid(), Some(vec![2, 5, 29, 19]));
        assert!(Reader::new(&[0x06, 0x02, 0x2a, 0x80]).read_oid().is_none());
        assert!(Reader::new(&[0x06, 0x00]).read_oid().is_none());
    }

    fn time(tag: u8, s: &str) -> Option<String> {
        let mut der = vec![tag, s.len() as u8];
        der.extend_from_slice(s.as_bytes());
        Reader::new(&der)
            .read_time()
            .ok()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    #[test]
    fn times_read_as_go_reads_them() {
        assert_eq!(
            time(UTC_TIME, "250101000000Z").as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
        assert_eq!(
            time(UTC_TIME, "500101000000Z").as_deref(),
            Some("1950-01-01T00:00:00Z")
        );
        assert_eq!(
            time(UTC_TIME, "2501010000Z").as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
        assert_eq!(
            time(UTC_TIME, "250101000000+0100").as_deref(),
            Some("2024-12-31T23:00:00Z")
        );
        assert_eq!(time(UTC_TIME, "250101000000+0000"), None);
        assert_eq!(time(UTC_TIME, "250231000000Z"), None);
        assert_eq!(time(UTC_TIME, "250101000060Z"), None);
        assert_eq!(
            time(GENERALIZED_TIME, "20250101000000Z").as_deref(),
            Some("2025-01-01T00:00:00Z")
        );
        assert_eq!(time(GENERALIZED_TIME, "20250101000000.5Z"), None);
        assert_eq!(time(GENERALIZED_TIME, "202501010000Z"), None);
        assert_eq!(time(OCTET_STRING, "20250101000000Z"), None);
    }
}
