//! What `ParseCertificate` refuses, and critical extensions Go does not handle.

use super::*;

pub(super) fn critical_extensions(out: &mut Vec<Case>) {
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

pub(super) fn parse_rejections(out: &mut Vec<Case>) {
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
