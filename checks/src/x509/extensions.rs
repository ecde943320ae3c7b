//! Certificate extensions as Go's `processExtensions` reads them: what it refuses, what it
//! records, and which critical extensions it leaves unhandled.

use super::certificate::{Parsed, Policies};
use super::constraints::{IpNet, NameConstraints, SanNames};
use super::der::{self, Reader};
use super::hostname::{self, go_quote};
use super::uri::{self, UriName};
use super::{Error, R, err};

pub(super) struct Extension<'a> {
    pub(super) oid: Vec<u64>,
    critical: bool,
    value: &'a [u8],
}

/// `parseExtension`.
pub(super) fn parse_extension<'a>(mut r: Reader<'a>) -> R<Extension<'a>> {
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
                let host = uri::uri_host(&text)
                    .map_err(|e| format!("x509: cannot parse URI {}: {e}", go_quote(&text)))?;
                if !host.is_empty() && !hostname::domain_name_valid(&host, false) {
                    return Err(format!(
                        "x509: cannot parse URI {}: invalid domain",
                        go_quote(&text)
                    )
                    .into());
                }
                out.uris.push(UriName { text, host });
            }
            7 => match data.len() {
                16 if data[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] => {
                    return err("x509: SAN iPAddress contains IPv4-mapped IPv6 address");
                }
                4 | 16 => out.ips.push(data.to_vec()),
                n => return Err(format!("x509: cannot parse IP address of length {n}").into()),
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
                        hostname::go_quote_bytes(v)
                    ).into())
                }
            };
            match e.tag {
                0x82 => {
                    ia5()?;
                    let d = text();
                    if !hostname::domain_name_valid(&d, true) {
                        return Err(format!(
                            "x509: failed to parse dnsName constraint {}",
                            go_quote(&d)
                        )
                        .into());
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
                            )
                            .into());
                        }
                    };
                    if !valid_ip_mask(mask) {
                        return Err(format!(
                            "x509: IP constraint contained invalid mask {}",
                            mask.iter().map(|b| format!("{b:02x}")).collect::<String>()
                        )
                        .into());
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
                        hostname::parse_mailbox(&c).is_some()
                    } else {
                        hostname::domain_name_valid(&c, true)
                    };
                    if !ok {
                        return Err(format!(
                            "x509: failed to parse rfc822Name constraint {}",
                            go_quote(&c)
                        )
                        .into());
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
                        )
                        .into());
                    }
                    if !hostname::domain_name_valid(&d, true) {
                        return Err(format!(
                            "x509: failed to parse URI constraint {}",
                            go_quote(&d)
                        )
                        .into());
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

/// The contents of an extension that is one SEQUENCE, or `bad`.
fn sequence<'a>(value: &'a [u8], bad: &str) -> R<Reader<'a>> {
    Reader::new(value)
        .read(der::SEQUENCE)
        .map(Reader::new)
        .ok_or_else(|| Error::from(bad))
}

/// keyUsage: Go's 9-bit value (bits past the ninth are not read).
fn key_usage(value: &[u8]) -> R<u16> {
    let (bytes, len) = Reader::new(value)
        .read_bit_string()
        .ok_or("x509: invalid key usage")?;
    Ok((0..9usize)
        .filter(|&i| i < len && bytes[i / 8] & (0x80 >> (i % 8)) != 0)
        .fold(0u16, |acc, i| acc | 1 << i))
}

/// basicConstraints: (cA, pathLenConstraint).
fn basic_constraints(value: &[u8]) -> R<(bool, Option<u64>)> {
    let bad = "x509: invalid basic constraints";
    let mut seq = sequence(value, bad)?;
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
    Ok((ca, max))
}

/// authorityKeyIdentifier: its keyIdentifier; Go refuses the extension marked critical.
fn authority_key_id(e: &Extension<'_>) -> R<Option<Vec<u8>>> {
    if e.critical {
        return err("x509: authority key identifier incorrectly marked critical");
    }
    let bad = "x509: invalid authority key identifier";
    let mut akid = sequence(e.value, bad)?;
    if !akid.peek_is(der::context(0)) {
        return Ok(None);
    }
    Ok(Some(akid.read(der::context(0)).ok_or(bad)?.to_vec()))
}

/// subjectKeyIdentifier; Go refuses the extension marked critical.
fn subject_key_id(e: &Extension<'_>) -> R<Vec<u8>> {
    if e.critical {
        return err("x509: subject key identifier incorrectly marked critical");
    }
    Reader::new(e.value)
        .read(der::OCTET_STRING)
        .map(<[u8]>::to_vec)
        .ok_or(Error::from("x509: invalid subject key identifier"))
}

/// extKeyUsage: whether it lists a usage at all, anyExtendedKeyUsage, serverAuth.
fn ext_key_usage(value: &[u8], out: &mut Parsed) -> R<()> {
    let bad = "x509: invalid extended key usages";
    let mut seq = sequence(value, bad)?;
    while !seq.is_empty() {
        let oid = seq.read_oid().ok_or(bad)?;
        out.eku_present = true;
        match oid.as_slice() {
            [2, 5, 29, 37, 0] => out.eku_any = true,
            [1, 3, 6, 1, 5, 5, 7, 3, 1] => out.eku_server_auth = true,
            _ => {}
        }
    }
    Ok(())
}

/// policyConstraints: requireExplicitPolicy and inhibitPolicyMapping.
fn policy_constraints(value: &[u8], policies: &mut Policies) -> R<()> {
    let bad = "x509: invalid policy constraints extension";
    let mut seq = sequence(value, bad)?;
    if seq.peek_is(der::context(0)) {
        policies.require_explicit_policy = Some(seq.read_i64_with_tag(der::context(0)).ok_or(bad)?);
    }
    if seq.peek_is(der::context(1)) {
        policies.inhibit_policy_mapping = Some(seq.read_i64_with_tag(der::context(1)).ok_or(bad)?);
    }
    Ok(())
}

/// certificatePolicies: the policy OIDs, each once.
fn certificate_policies(value: &[u8]) -> R<Vec<Vec<u8>>> {
    let bad = "x509: invalid certificate policies";
    let mut seq = sequence(value, bad)?;
    let mut oids: Vec<Vec<u8>> = Vec::new();
    while !seq.is_empty() {
        let mut cp = Reader::new(seq.read(der::SEQUENCE).ok_or(bad)?);
        let oid = cp.read(der::OID).ok_or(bad)?;
        if oids.iter().any(|o| o == oid) || !valid_policy_oid(oid) {
            return err(bad);
        }
        oids.push(oid.to_vec());
    }
    Ok(oids)
}

/// policyMappings: (issuerDomainPolicy, subjectDomainPolicy) pairs.
fn policy_mappings(value: &[u8]) -> R<Vec<(Vec<u8>, Vec<u8>)>> {
    let bad = "x509: invalid policy mappings extension";
    let mut seq = sequence(value, bad)?;
    let mut mappings = Vec::new();
    while !seq.is_empty() {
        let mut m = Reader::new(seq.read(der::SEQUENCE).ok_or(bad)?);
        let issuer = m.read(der::OID).ok_or(bad)?.to_vec();
        let subject = m.read(der::OID).ok_or(bad)?.to_vec();
        mappings.push((issuer, subject));
    }
    Ok(mappings)
}

/// One extension of the 2.5.29 arc; `Ok(true)` when Go leaves it unhandled.
fn standard_extension(n: u64, e: &Extension<'_>, out: &mut Parsed) -> R<bool> {
    match n {
        15 => out.key_usage = key_usage(e.value)?,
        19 => out.basic_constraints = Some(basic_constraints(e.value)?),
        17 => {
            let names = parse_san(e.value)?;
            let empty = names.dns.is_empty()
                && names.emails.is_empty()
                && names.ips.is_empty()
                && names.uris.is_empty();
            out.san = Some((names, e.value.to_vec()));
            // A SAN extension with no name Go reads is checked for criticality.
            return Ok(empty);
        }
        30 => {
            let (nc, unhandled) = parse_name_constraints(e.value)?;
            out.name_constraints = Some(nc);
            return Ok(unhandled);
        }
        31 => parse_crl_distribution_points(e.value)?,
        35 => out.authority_key_id = authority_key_id(e)?,
        36 => policy_constraints(e.value, &mut out.policies)?,
        37 => ext_key_usage(e.value, out)?,
        14 => out.subject_key_id = Some(subject_key_id(e)?),
        32 => out.policies.policies = certificate_policies(e.value)?,
        33 => out.policies.mappings = policy_mappings(e.value)?,
        54 => {
            let v = Reader::new(e.value)
                .read_i64_with_tag(der::INTEGER)
                .ok_or("x509: invalid inhibit any policy extension")?;
            out.policies.inhibit_any_policy = Some(v);
        }
        _ => return Ok(true),
    }
    Ok(false)
}

/// `processExtensions`: every extension read; the critical ones Go does not handle recorded.
pub(super) fn process_extensions(out: &mut Parsed, exts: &[Extension<'_>]) -> R<()> {
    for e in exts {
        let unhandled = match e.oid.as_slice() {
            [2, 5, 29, n] => standard_extension(*n, e, out)?,
            [1, 3, 6, 1, 5, 5, 7, 1, 1] => {
                if e.critical {
                    return err("x509: authority info access incorrectly marked critical");
                }
                parse_authority_info_access(e.value)?;
                false
            }
            _ => true,
        };
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
