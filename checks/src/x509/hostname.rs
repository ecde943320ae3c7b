//! Names as Go's `crypto/x509` reads and matches them: hostname verification
//! (`VerifyHostname`), RFC 2821 mailboxes, `domainNameValid`, and Go's `%q` quoting for error
//! texts.

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
}
