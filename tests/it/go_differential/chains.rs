//! Key types, CA and path-length rules, key usages, validity boundaries, several anchors,
//! string types of names and the signature-check budget.

use super::*;

pub(super) fn key_types(out: &mut Vec<Case>) {
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

pub(super) fn ca_and_path_length(out: &mut Vec<Case>) {
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

pub(super) fn usages(out: &mut Vec<Case>) {
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

pub(super) fn validity(out: &mut Vec<Case>) {
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

pub(super) fn several_anchors(out: &mut Vec<Case>) {
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

pub(super) fn string_types(out: &mut Vec<Case>) {
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

pub(super) fn signature_budget(out: &mut Vec<Case>) {
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
