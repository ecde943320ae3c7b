//! Hostnames for the webhook path, and certificate policies.

use super::*;

pub(super) fn hostnames(out: &mut Vec<Case>) {
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

pub(super) fn policies(out: &mut Vec<Case>) {
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
