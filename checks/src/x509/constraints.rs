//! Name constraints as Go 1.26+ checks them (`constraints.go`): each CA's permitted and
//! excluded subtrees sorted and pruned, then found by binary search, applied to every SAN of the
//! chain below it.

use std::cmp::Ordering;

use super::hostname::{Mailbox, domain_name_valid, go_quote, ip_string, parse_mailbox};
use super::uri::{UriName, constraint_host};

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
pub fn check_chain_constraints(chain: &[ConstraintView<'_>]) -> Result<(), super::Error> {
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
            .collect::<Result<Vec<_>, _>>()
            .map_err(super::Error::Constraint)?;
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
            .collect::<Result<Vec<_>, _>>()
            .map_err(super::Error::Constraint)?;
        for set in &sets[current..] {
            set.check(&sans.dns, &uris, &emails, &sans.ips)
                .map_err(super::Error::Constraint)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nc(permitted: &[&str], excluded: &[&str]) -> NameConstraints {
        NameConstraints {
            permitted_dns: permitted.iter().map(|s| s.to_string()).collect(),
            excluded_dns: excluded.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// The constraint refusal's text, for the assertions below.
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
        .map_err(|e| match e {
            super::super::Error::Constraint(text) => text,
            other => panic!("not a constraint refusal: {other:?}"),
        })
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
