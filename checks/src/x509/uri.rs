//! The host of a URI SAN as Go's `net/url` parses it (`url.Parse`, `parseHost`), and as name
//! constraints read it (`parseURIs`).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::hostname::go_quote;
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
pub(crate) fn constraint_host(u: &UriName) -> Result<String, String> {
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
