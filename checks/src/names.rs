//! Names as Go's `crypto/x509` reads and matches them: hostname verification
//! (`VerifyHostname`), RFC 2821 mailboxes, `domainNameValid`, URI hosts, and name constraints
//! (Go 1.26+ `constraints.go`: constraints sorted and pruned, then found by binary search).
//! Error texts are Go's.

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Go's `%q` of a string (`strconv.Quote`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                let n = c as u32;
                if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"))
                } else {
                    out.push_str(&format!("\\U{n:08x}"))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of bytes that may not be UTF-8 (invalid bytes as `\x..`).
pub fn go_quote_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => go_quote(s),
        Err(_) => {
            let mut out = String::from("\"");
            for chunk in b.utf8_chunks() {
                let q = go_quote(chunk.valid());
                out.push_str(&q[1..q.len() - 1]);
                for byte in chunk.invalid() {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
            }
            out.push('"');
            out
        }
    }
}

/// Go's `net.IP.String()` of a 4- or 16-byte address.
pub fn ip_string(ip: &[u8]) -> String {
    match ip.len() {
        4 => Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(ip);
            let v6 = Ipv6Addr::from(a);
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => format!(
            "?{}",
            ip.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// `domainNameValid` (Go 1.26+: only non-empty labels of printable ASCII, no trailing dot; a
/// leading dot allowed in constraints).
pub fn domain_name_valid(s: &str, constraint: bool) -> bool {
    if s.is_empty() {
        return true;
    }
    let b = s.as_bytes();
    if b[b.len() - 1] == b'.' {
        return false;
    }
    let b = if constraint && b[0] == b'.' {
        &b[1..]
    } else {
        b
    };
    b.split(|&c| c == b'.')
        .all(|label| !label.is_empty() && label.iter().all(|&c| (33..=126).contains(&c)))
}

/// An RFC 2821 mailbox: local part and domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mailbox {
    pub local: String,
    pub domain: String,
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

fn is_atext(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&c)
}

/// `parseRFC2821Mailbox`.
pub fn parse_mailbox(input: &str) -> Option<Mailbox> {
    let mut s = input.as_bytes();
    if s.is_empty() {
        return None;
    }
    let mut local = Vec::with_capacity(s.len() / 2);
    if s[0] == b'"' {
        s = &s[1..];
        loop {
            let (&c, rest) = s.split_first()?;
            s = rest;
            match c {
                b'"' => break,
                b'\\' => {
                    let (&n, rest) = s.split_first()?;
                    if n == 11 || n == 12 || (1..=9).contains(&n) || (14..=127).contains(&n) {
                        local.push(n);
                        s = rest;
                    } else {
                        return None;
                    }
                }
                11 | 12 | 32 | 33 | 127 => local.push(c),
                c if (1..=8).contains(&c)
                    || (14..=31).contains(&c)
                    || (35..=91).contains(&c)
                    || (93..=126).contains(&c) =>
                {
                    local.push(c)
                }
                _ => return None,
            }
        }
    } else {
        while let Some(&c) = s.first() {
            if c == b'\\' {
                s = &s[1..];
                let &n = s.first()?;
                local.push(n);
                s = &s[1..];
            } else if is_atext(c) {
                local.push(c);
                s = &s[1..];
            } else {
                break;
            }
        }
        if local.is_empty()
            || local[0] == b'.'
            || local[local.len() - 1] == b'.'
            || local.windows(2).any(|w| w == b"..")
        {
            return None;
        }
    }
    let (&at, domain) = s.split_first()?;
    if at != b'@' {
        return None;
    }
    let domain = std::str::from_utf8(domain).ok()?;
    if !domain_name_valid(domain, false) || domain.contains('@') {
        return None;
    }
    Some(Mailbox {
        local: String::from_utf8(local).ok()?,
        domain: domain.to_string(),
    })
}

/// `validHostname`.
fn valid_hostname(host: &str, pattern: bool) -> bool {
    let host = if pattern {
        host
    } else {
        host.strip_suffix('.').unwrap_or(host)
    };
    if host.is_empty() || host == "*" {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        if part.is_empty() {
            return false;
        }
        if pattern && i == 0 && part == "*" {
            return true;
        }
        part.char_indices()
            .all(|(j, c)| c.is_ascii_alphanumeric() || (c == '-' && j != 0) || c == '_')
    })
}

fn match_exactly(a: &str, b: &str) -> bool {
    if a.is_empty() || a == "." || b.is_empty() || b == "." {
        return false;
    }
    a.eq_ignore_ascii_case(b)
}

fn match_hostnames(pattern: &str, host_parts: &[&str]) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    if pattern.is_empty() || host_parts.is_empty() {
        return false;
    }
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() == host_parts.len()
        && parts
            .iter()
            .zip(host_parts)
            .enumerate()
            .all(|(i, (p, h))| (i == 0 && *p == "*") || p == h)
}

/// Parses an IP as Go's `netip.ParseAddr` would for a hostname (a zone after `%` allowed).
fn parse_ip_host(h: &str) -> Option<IpAddr> {
    let h = match h.as_bytes() {
        [b'[', .., b']'] if h.len() >= 3 => &h[1..h.len() - 1],
        _ => h,
    };
    if let Ok(v4) = h.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(v4));
    }
    let without_zone = match h.split_once('%') {
        Some((addr, zone)) if !zone.is_empty() && addr.contains(':') => addr,
        Some(_) => return None,
        None => h,
    };
    without_zone.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// How `VerifyHostname` failed; `Display` is Go's `HostnameError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostnameError {
    pub message: String,
}

/// Go's `Certificate.VerifyHostname` with its `HostnameError` text. `common_name` is only
/// used for Go's "legacy Common Name" message.
pub fn verify_hostname(
    h: &str,
    dns_names: &[String],
    ip_addresses: &[Vec<u8>],
    common_name: &str,
    has_san: bool,
) -> Result<(), HostnameError> {
    if let Some(ip) = parse_ip_host(h) {
        let want: Vec<u8> = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets().to_vec(),
            },
        };
        let normal = |c: &[u8]| -> Vec<u8> {
            if c.len() == 16 && c[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
                c[12..].to_vec()
            } else {
                c.to_vec()
            }
        };
        if ip_addresses.iter().any(|c| normal(c) == want) {
            return Ok(());
        }
        return Err(hostname_error(
            &ip_string(&want),
            dns_names,
            ip_addresses,
            common_name,
            has_san,
        ));
    }
    let candidate = h.to_ascii_lowercase();
    let valid_candidate = valid_hostname(&candidate, false);
    let trimmed = candidate.strip_suffix('.').unwrap_or(&candidate);
    let host_parts: Vec<&str> = trimmed.split('.').collect();
    for m in dns_names {
        let ok = if valid_candidate && valid_hostname(m, true) {
            match_hostnames(m, &host_parts)
        } else {
            match_exactly(m, &candidate)
        };
        if ok {
            return Ok(());
        }
    }
    Err(hostname_error(
        h,
        dns_names,
        ip_addresses,
        common_name,
        has_san,
    ))
}

/// `HostnameError.Error()`.
fn hostname_error(
    host: &str,
    dns_names: &[String],
    ips: &[Vec<u8>],
    common_name: &str,
    has_san: bool,
) -> HostnameError {
    let message = (|| {
        let lower = host.to_ascii_lowercase();
        let trimmed = lower.strip_suffix('.').unwrap_or(&lower);
        let parts: Vec<&str> = trimmed.split('.').collect();
        if !has_san && match_hostnames(common_name, &parts) {
            return "x509: certificate relies on legacy Common Name field, use SANs instead"
                .to_string();
        }
        let valid = if parse_ip_go(host).is_some() {
            if ips.is_empty() {
                return format!(
                    "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
                );
            }
            if ips.len() >= 100 {
                return format!(
                    "x509: certificate is valid for {} IP SANs, but none matched {host}",
                    ips.len()
                );
            }
            ips.iter()
                .map(|ip| ip_string(ip))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            if dns_names.len() >= 100 {
                return format!(
                    "x509: certificate is valid for {} names, but none matched {host}",
                    dns_names.len()
                );
            }
            dns_names.join(", ")
        };
        if valid.is_empty() {
            return format!(
                "x509: certificate is not valid for any names, but wanted to match {host}"
            );
        }
        format!("x509: certificate is valid for {valid}, not {host}")
    })();
    HostnameError { message }
}

/// `net.ParseIP` (no zones, no brackets).
fn parse_ip_go(h: &str) -> Option<IpAddr> {
    h.parse::<Ipv4Addr>()
        .map(IpAddr::V4)
        .or_else(|_| h.parse::<Ipv6Addr>().map(IpAddr::V6))
        .ok()
}

/// A URI SAN, reduced to what constraint checking needs: the text and Go's `url.URL.Host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriName {
    pub text: String,
    pub host: String,
}

fn host_char_ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!\"$&'()*+,-.:;<=>[]_~".contains(&c)
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// net/url's `unescape(s, encodeHost)`.
fn unescape_host(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(unhex),
                    b.get(i + 2).copied().and_then(unhex),
                ) else {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&b[i..end]))
                    ));
                };
                if h < 8 && &b[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&b[i..i + 3]))
                    ));
                }
                out.push(h << 4 | l);
                i += 3;
            }
            c if c < 0x80 && !host_char_ok(c) => {
                return Err(format!(
                    "invalid character {} in host name",
                    go_quote(&(c as char).to_string())
                ));
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// net/url's `parseHost`.
fn parse_url_host(scheme: &str, host: &str) -> Result<String, String> {
    if let Some(open) = host.rfind('[') {
        if open > 0 {
            return Err("invalid IP-literal".to_string());
        }
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".to_string());
        };
        let port = &host[close + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
        let inner = unescape_host(&host[1..close])?;
        let addr = inner.split('%').next().unwrap_or("");
        return match addr.parse::<Ipv6Addr>() {
            Ok(v6) if v6.to_ipv4_mapped().is_none() || addr.contains(':') => {
                Ok(format!("[{inner}]{port}"))
            }
            _ => Err(format!(
                "invalid host: ParseAddr({}): unable to parse IP",
                go_quote(&inner)
            )),
        };
    }
    if let Some(first) = host.find(':') {
        let last = host.rfind(':').unwrap_or(first);
        let colon = if last != first && (scheme == "http" || scheme == "https") {
            first
        } else {
            last
        };
        let port = &host[colon..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
    }
    unescape_host(host)
}

/// The host of a URI as Go's `url.Parse` reads it (`scheme://userinfo@host:port/…`), or its
/// error as `url.Error` prints it.
pub fn uri_host(uri: &str) -> Result<String, String> {
    let wrap = |e: String| format!("parse {}: {e}", go_quote(uri));
    if uri.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(wrap(
            "net/url: invalid control character in URL".to_string(),
        ));
    }
    let no_fragment = uri.split('#').next().unwrap_or("");
    let mut scheme = "";
    let mut rest = no_fragment;
    for (i, c) in no_fragment.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err(wrap("missing protocol scheme".to_string())),
            b':' => {
                scheme = &no_fragment[..i];
                rest = &no_fragment[i + 1..];
                break;
            }
            _ => break,
        }
    }
    let scheme = scheme.to_ascii_lowercase();
    let rest = rest.split('?').next().unwrap_or("");
    let Some(after) = rest.strip_prefix("//") else {
        return Ok(String::new());
    };
    let authority = &after[..after.find('/').unwrap_or(after.len())];
    let host = match authority.rfind('@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    parse_url_host(&scheme, host).map_err(wrap)
}

/// Parses a URI SAN's host for constraint checking (Go's `parseURIs`).
fn constraint_host(u: &UriName) -> Result<String, String> {
    let mut host = u.host.to_ascii_lowercase();
    if host.is_empty() {
        return Err(format!(
            "URI with empty host ({}) cannot be matched against constraints",
            go_quote(&u.text)
        ));
    }
    if host.contains(':') && !host.ends_with(']') {
        match host.rsplit_once(':') {
            Some((h, _)) if !h.contains(':') || (h.starts_with('[') && h.ends_with(']')) => {
                host = h.trim_start_matches('[').trim_end_matches(']').to_string()
            }
            _ => {
                return Err(format!(
                    "cannot parse URI host {}: address {}: too many colons in address",
                    go_quote(&u.host),
                    u.host
                ));
            }
        }
    }
    if parse_ip_host_plain(&host) || (host.starts_with('[') && host.ends_with(']')) {
        return Err(format!(
            "URI with IP ({}) cannot be matched against constraints",
            go_quote(&u.text)
        ));
    }
    Ok(host)
}

fn parse_ip_host_plain(h: &str) -> bool {
    h.parse::<Ipv4Addr>().is_ok()
        || match h.split_once('%') {
            Some((a, z)) => !z.is_empty() && a.parse::<Ipv6Addr>().is_ok(),
            None => h.parse::<Ipv6Addr>().is_ok(),
        }
}

// ---- name constraints (constraints.go) ----

/// An IP constraint: network address and mask, both 4 or 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpNet {
    pub ip: Vec<u8>,
    pub mask: Vec<u8>,
}

impl IpNet {
    fn contains(&self, ip: &[u8]) -> bool {
        ip.len() == self.ip.len()
            && self
                .ip
                .iter()
                .zip(&self.mask)
                .zip(ip)
                .all(|((n, m), i)| n & m == i & m)
    }

    /// Go's `IPNet.String()`: `ip/prefix`, or `ip/hexmask` for a non-canonical mask.
    pub fn go_string(&self) -> String {
        let ones = self.mask.iter().map(|b| b.count_ones()).sum::<u32>();
        let canonical = self
            .mask
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
            .skip_while(|&bit| bit == 1)
            .all(|bit| bit == 0);
        if canonical {
            format!("{}/{ones}", ip_string(&self.ip))
        } else {
            format!(
                "{}/{}",
                ip_string(&self.ip),
                self.mask
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        }
    }
}

/// The name constraints of one certificate, as parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameConstraints {
    pub permitted_dns: Vec<String>,
    pub excluded_dns: Vec<String>,
    pub permitted_ip: Vec<IpNet>,
    pub excluded_ip: Vec<IpNet>,
    pub permitted_email: Vec<String>,
    pub excluded_email: Vec<String>,
    pub permitted_uri: Vec<String>,
    pub excluded_uri: Vec<String>,
}

/// The names a certificate claims in its SAN extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanNames {
    pub dns: Vec<String>,
    pub emails: Vec<String>,
    pub ips: Vec<Vec<u8>>,
    pub uris: Vec<UriName>,
}

fn dns_key(b: u8) -> u8 {
    if b == b'.' { 0 } else { b.to_ascii_lowercase() }
}

/// `dnsCompare`: case-insensitive comparison from the end, `.` sorting first.
fn dns_compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        let (x, y) = (dns_key(a[i - 1]), dns_key(b[j - 1]));
        if x != y {
            return x.cmp(&y);
        }
        i -= 1;
        j -= 1;
    }
    i.cmp(&j)
}

/// `dnsHasSuffix(a, b)`: `a` (a constraint) is a label suffix of `b`; a leading `.` in `a`
/// requires at least one more label.
fn dns_has_suffix(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > b.len() {
        return false;
    }
    let offset = b.len() - a.len();
    if !a
        .iter()
        .zip(&b[offset..])
        .all(|(x, y)| x.eq_ignore_ascii_case(y))
    {
        return false;
    }
    !(!a.is_empty() && a[0] != b'.' && b.len() > a.len() && b[offset - 1] != b'.')
}

/// `sortAndPrune`.
fn sort_and_prune<T: Clone>(
    mut set: Vec<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
    subset: impl Fn(&T, &T) -> bool,
) -> Vec<T> {
    if set.len() < 2 {
        return set;
    }
    set.sort_by(&cmp);
    let mut out: Vec<T> = Vec::with_capacity(set.len());
    for item in set {
        match out.last() {
            Some(prev) if subset(prev, &item) => {}
            _ => out.push(item),
        }
    }
    out
}

/// `nameConstraintsSet.search`: binary search for the lower bound, then a match test against
/// the neighbour below it.
fn search<'a, T, V: ?Sized>(
    set: &'a [T],
    s: &V,
    cmp: impl Fn(&T, &V) -> Ordering,
    matches: impl Fn(&T, &V) -> bool,
) -> Option<&'a T> {
    if set.is_empty() {
        return None;
    }
    let i = set.partition_point(|c| cmp(c, s) == Ordering::Less);
    if i < set.len() && cmp(&set[i], s) == Ordering::Equal {
        return Some(&set[i]);
    }
    let candidate = if i == 0 { &set[0] } else { &set[i - 1] };
    matches(candidate, s).then_some(candidate)
}

struct DnsConstraints {
    all: bool,
    permitted: bool,
    set: Vec<String>,
    parents: std::collections::HashMap<String, String>,
}

fn trim_first_label(name: &str) -> &str {
    match name.find('.') {
        Some(i) => &name[i..],
        None => "",
    }
}

impl DnsConstraints {
    fn new(list: &[String], permitted: bool) -> Option<DnsConstraints> {
        if list.is_empty() {
            return None;
        }
        if list.iter().any(|n| n.is_empty()) {
            return Some(DnsConstraints {
                all: true,
                permitted,
                set: Vec::new(),
                parents: Default::default(),
            });
        }
        let set = sort_and_prune(
            list.to_vec(),
            |a, b| dns_compare(a, b),
            |a, b| dns_has_suffix(a, b),
        );
        let mut parents = std::collections::HashMap::new();
        if !permitted {
            for name in &set {
                let name = name.to_lowercase();
                let trimmed = trim_first_label(&name);
                if !trimmed.is_empty() {
                    parents.insert(trimmed.to_string(), name.clone());
                }
            }
        }
        Some(DnsConstraints {
            all: false,
            permitted,
            set,
            parents,
        })
    }

    fn query(&self, s: &str) -> Option<String> {
        if self.all {
            return Some(String::new());
        }
        if let Some(c) = search(
            &self.set,
            s,
            |c, s| dns_compare(c, s),
            |c, s| dns_has_suffix(c, s),
        ) {
            return Some(c.clone());
        }
        if !self.permitted && s.starts_with('*') {
            let lower = s.to_lowercase();
            if let Some(c) = self.parents.get(trim_first_label(&lower)) {
                return Some(c.clone());
            }
        }
        None
    }
}

struct IpConstraints {
    v4: Vec<IpNet>,
    v6: Vec<IpNet>,
}

fn ip_compare(a: &IpNet, b: &IpNet) -> Ordering {
    a.ip.cmp(&b.ip).then_with(|| a.mask.cmp(&b.mask))
}

fn ip_subset(a: &IpNet, b: &IpNet) -> bool {
    let broadcast: Vec<u8> = b.ip.iter().zip(&b.mask).map(|(i, m)| i | !m).collect();
    a.contains(&b.ip) && a.contains(&broadcast)
}

impl IpConstraints {
    fn new(list: &[IpNet]) -> Option<IpConstraints> {
        if list.is_empty() {
            return None;
        }
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for n in list {
            let masked = IpNet {
                ip: n.ip.iter().zip(&n.mask).map(|(i, m)| i & m).collect(),
                mask: n.mask.clone(),
            };
            if masked.ip.len() == 4 {
                v4.push(masked)
            } else {
                v6.push(masked)
            }
        }
        Some(IpConstraints {
            v4: sort_and_prune(v4, ip_compare, ip_subset),
            v6: sort_and_prune(v6, ip_compare, ip_subset),
        })
    }

    fn query(&self, ip: &[u8]) -> Option<&IpNet> {
        let set = if ip.len() == 4 { &self.v4 } else { &self.v6 };
        search(
            set,
            ip,
            |c, t: &[u8]| c.ip.as_slice().cmp(t),
            |c, t: &[u8]| c.contains(t),
        )
    }
}

struct EmailConstraints {
    dns: Option<DnsConstraints>,
    full: std::collections::HashSet<Mailbox>,
}

impl EmailConstraints {
    fn new(list: &[String], permitted: bool) -> Option<EmailConstraints> {
        if list.is_empty() {
            return None;
        }
        let mut full = std::collections::HashSet::new();
        let mut domains = Vec::new();
        for c in list {
            if !c.contains('@') {
                domains.push(c.clone());
                continue;
            }
            if let Some(mut m) = parse_mailbox(c) {
                m.domain = m.domain.to_lowercase();
                full.insert(m);
            }
        }
        Some(EmailConstraints {
            dns: DnsConstraints::new(&domains, permitted),
            full,
        })
    }

    fn query(&self, m: &Mailbox) -> Option<String> {
        if self.full.contains(m) {
            return Some(m.to_string());
        }
        self.dns.as_ref()?.query(&m.domain)
    }
}

struct ChainConstraints {
    index: usize,
    ip: (Option<IpConstraints>, Option<IpConstraints>),
    dns: (Option<DnsConstraints>, Option<DnsConstraints>),
    uri: (Option<DnsConstraints>, Option<DnsConstraints>),
    email: (Option<EmailConstraints>, Option<EmailConstraints>),
}

/// `checkConstraints`: not permitted by any, or excluded by one.
fn check_one(
    kind: &str,
    shown: &str,
    permitted: Option<bool>,
    excluded: Option<String>,
) -> Result<(), String> {
    if permitted == Some(false) {
        return Err(format!(
            "{kind} {} is not permitted by any constraint",
            go_quote(shown)
        ));
    }
    if let Some(c) = excluded {
        return Err(format!(
            "{kind} {} is excluded by constraint {}",
            go_quote(shown),
            go_quote(&c)
        ));
    }
    Ok(())
}

impl ChainConstraints {
    fn check(
        &self,
        dns: &[String],
        uris: &[(String, String)],
        emails: &[Mailbox],
        ips: &[Vec<u8>],
    ) -> Result<(), String> {
        for ip in ips {
            check_one(
                "IP address",
                &ip_string(ip),
                self.ip.0.as_ref().map(|p| p.query(ip).is_some()),
                self.ip
                    .1
                    .as_ref()
                    .and_then(|e| e.query(ip))
                    .map(IpNet::go_string),
            )?;
        }
        for d in dns {
            if !domain_name_valid(d, false) {
                return Err(format!("x509: cannot parse dnsName {}", go_quote(d)));
            }
            check_one(
                "DNS name",
                d,
                self.dns.0.as_ref().map(|p| p.query(d).is_some()),
                self.dns.1.as_ref().and_then(|e| e.query(d)),
            )?;
        }
        for (text, host) in uris {
            if !domain_name_valid(host, false) {
                return Err(format!(
                    "x509: internal error: URI SAN {} failed to parse",
                    go_quote(text)
                ));
            }
            check_one(
                "URI",
                text,
                self.uri.0.as_ref().map(|p| p.query(host).is_some()),
                self.uri.1.as_ref().and_then(|e| e.query(host)),
            )?;
        }
        for m in emails {
            if !domain_name_valid(&m.domain, false) {
                return Err(format!(
                    "x509: cannot parse rfc822Name {}",
                    go_quote(&m.to_string())
                ));
            }
            check_one(
                "email address",
                &m.to_string(),
                self.email.0.as_ref().map(|p| p.query(m).is_some()),
                self.email.1.as_ref().and_then(|e| e.query(m)),
            )?;
        }
        Ok(())
    }
}

/// What `checkChainConstraints` needs of one certificate.
pub struct ConstraintView<'a> {
    pub constraints: Option<&'a NameConstraints>,
    pub sans: Option<&'a SanNames>,
}

/// Go's `checkChainConstraints` over a chain, leaf first: each certificate's SANs against the
/// constraints of every certificate above it. The error is the detail Go wraps in
/// `CANotAuthorizedForThisName`.
pub fn check_chain_constraints(chain: &[ConstraintView<'_>]) -> Result<(), String> {
    let sets: Vec<ChainConstraints> = chain
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let nc = c.constraints?;
            Some(ChainConstraints {
                index: i,
                ip: (
                    IpConstraints::new(&nc.permitted_ip),
                    IpConstraints::new(&nc.excluded_ip),
                ),
                dns: (
                    DnsConstraints::new(&nc.permitted_dns, true),
                    DnsConstraints::new(&nc.excluded_dns, false),
                ),
                uri: (
                    DnsConstraints::new(&nc.permitted_uri, true),
                    DnsConstraints::new(&nc.excluded_uri, false),
                ),
                email: (
                    EmailConstraints::new(&nc.permitted_email, true),
                    EmailConstraints::new(&nc.excluded_email, false),
                ),
            })
        })
        .collect();
    if sets.is_empty() {
        return Ok(());
    }
    let mut current = 0usize;
    for (i, c) in chain.iter().enumerate() {
        let Some(sans) = c.sans else { continue };
        if i >= sets[current].index {
            while sets[current].index <= i {
                if current + 1 >= sets.len() {
                    return Ok(());
                }
                current += 1;
            }
        }
        let uris = sans
            .uris
            .iter()
            .map(|u| constraint_host(u).map(|h| (u.text.clone(), h)))
            .collect::<Result<Vec<_>, _>>()?;
        let emails = sans
            .emails
            .iter()
            .map(|e| {
                parse_mailbox(e)
                    .map(|mut m| {
                        m.domain = m.domain.to_lowercase();
                        m
                    })
                    .ok_or_else(|| format!("cannot parse rfc822Name {}", go_quote(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for set in &sets[current..] {
            set.check(&sans.dns, &uris, &emails, &sans.ips)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_ok(h: &str, dns: &[&str]) -> Result<(), String> {
        let dns: Vec<String> = dns.iter().map(|s| s.to_string()).collect();
        verify_hostname(h, &dns, &[], "", true).map_err(|e| e.message)
    }

    #[test]
    fn hostnames_follow_go() {
        assert!(host_ok("tap.linkerd-viz.svc", &["*.linkerd-viz.svc"]).is_ok());
        assert!(host_ok("TAP.Linkerd-Viz.svc", &["tap.linkerd-viz.SVC"]).is_ok());
        assert!(host_ok("tap.linkerd-viz.svc.", &["tap.linkerd-viz.svc"]).is_ok());
        // only a whole left-most label may be a wildcard
        assert!(host_ok("tap.linkerd-viz.svc", &["t*.linkerd-viz.svc"]).is_err());
        assert!(host_ok("a.tap.linkerd-viz.svc", &["*.linkerd-viz.svc"]).is_err());
        assert!(host_ok("linkerd-viz.svc", &["*.linkerd-viz.svc"]).is_err());
        assert_eq!(
            host_ok("a.b", &[]).unwrap_err(),
            "x509: certificate is not valid for any names, but wanted to match a.b"
        );
        let ip = verify_hostname("10.0.0.1", &[], &[vec![10, 0, 0, 1]], "", true);
        assert!(ip.is_ok());
        let no_ip = verify_hostname("10.0.0.1", &["10.0.0.1".into()], &[], "", true);
        assert_eq!(
            no_ip.unwrap_err().message,
            "x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs"
        );
        let legacy = verify_hostname("a.b", &[], &[], "a.b", false);
        assert_eq!(
            legacy.unwrap_err().message,
            "x509: certificate relies on legacy Common Name field, use SANs instead"
        );
    }

    fn nc(permitted: &[&str], excluded: &[&str]) -> NameConstraints {
        NameConstraints {
            permitted_dns: permitted.iter().map(|s| s.to_string()).collect(),
            excluded_dns: excluded.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn check(nc: &NameConstraints, dns: &[&str]) -> Result<(), String> {
        let sans = SanNames {
            dns: dns.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        check_chain_constraints(&[
            ConstraintView {
                constraints: None,
                sans: Some(&sans),
            },
            ConstraintView {
                constraints: Some(nc),
                sans: None,
            },
        ])
    }

    #[test]
    fn dns_constraints() {
        let corp = nc(&["corp.example"], &[]);
        assert!(check(&corp, &["a.corp.example"]).is_ok());
        assert!(check(&corp, &["corp.example"]).is_ok());
        assert_eq!(
            check(&corp, &["identity.linkerd.cluster.local"]).unwrap_err(),
            "DNS name \"identity.linkerd.cluster.local\" is not permitted by any constraint"
        );
        assert!(check(&corp, &["xcorp.example"]).is_err());
        let dot = nc(&[".corp.example"], &[]);
        assert!(check(&dot, &["corp.example"]).is_err());
        assert!(check(&dot, &["a.corp.example"]).is_ok());
        let ex = nc(&[], &["bad.example"]);
        assert_eq!(
            check(&ex, &["x.bad.example"]).unwrap_err(),
            "DNS name \"x.bad.example\" is excluded by constraint \"bad.example\""
        );
        assert!(check(&ex, &["*.bad.example"]).is_err());
        let many = nc(&["a.com", "a-a.com", "a.a.com", "b.org"], &[]);
        assert!(check(&many, &["x.a.a.com", "a-a.com", "q.b.org"]).is_ok());
        assert!(check(&many, &["c.com"]).is_err());
    }

    #[test]
    fn mailboxes() {
        assert_eq!(
            parse_mailbox("a.b@example.com"),
            Some(Mailbox {
                local: "a.b".into(),
                domain: "example.com".into()
            })
        );
        assert!(parse_mailbox(".a@example.com").is_none());
        assert!(parse_mailbox("a..b@example.com").is_none());
        assert!(parse_mailbox("\"a b\"@example.com").is_some());
        assert!(parse_mailbox("a@b@c").is_none());
    }

    #[test]
    fn quoting_is_go_strconv_quote() {
        assert_eq!(go_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
    }

    #[test]
    fn ip_nets_print_like_go() {
        let n = IpNet {
            ip: vec![10, 0, 0, 0],
            mask: vec![255, 0, 0, 0],
        };
        assert_eq!(n.go_string(), "10.0.0.0/8");
        let odd = IpNet {
            ip: vec![10, 0, 0, 0],
            mask: vec![255, 0, 255, 0],
        };
        assert_eq!(odd.go_string(), "10.0.0.0/ff00ff00");
    }
}
