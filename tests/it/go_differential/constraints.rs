//! Name constraints: hand-written cases and randomized overlapping ones.

use super::*;

pub(super) fn ip(s: &str) -> Vec<u8> {
    match s.parse::<std::net::IpAddr>().unwrap() {
        std::net::IpAddr::V4(v) => v.octets().to_vec(),
        std::net::IpAddr::V6(v) => v.octets().to_vec(),
    }
}

pub(super) fn ip_net(addr: &str, mask: &str) -> Vec<u8> {
    [ip(addr), ip(mask)].concat()
}

pub(super) fn name_constraint_cases(out: &mut Vec<Case>) {
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
pub(super) struct Lcg(u64);

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
pub(super) fn random_constraints(out: &mut Vec<Case>) {
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
