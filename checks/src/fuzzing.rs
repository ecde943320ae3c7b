//! Entry points for the fuzz targets (`fuzz/`) and their regression tests: each takes arbitrary
//! bytes and must return without panicking, whatever they are.

use chrono::DateTime;

use crate::cert::Cert;
use crate::key::parse_private_key;
use crate::pem::{decode_bundle_lenient, decode_certificates};
use crate::verify::{Options, verify};

/// PEM bundle decoding, strict (as linkerd) and lenient (as for proxies' bundles).
pub fn pem(data: &[u8]) {
    let _ = decode_certificates(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decode_bundle_lenient(text);
    }
}

/// Certificate parsing from DER, and the verification path: the first certificate of a PEM
/// bundle verified against the others as roots and intermediates, with and without a DNS name.
pub fn certificate(data: &[u8]) {
    let _ = Cert::from_der(data.to_vec());
    let Ok(certs) = decode_certificates(data) else {
        return;
    };
    let Some((leaf, rest)) = certs.split_first() else {
        return;
    };
    let at = DateTime::from_timestamp(1_795_348_800, 0).unwrap_or_default();
    for dns in [None, Some("linkerd-proxy-injector.linkerd.svc")] {
        let opts = Options {
            roots: rest,
            intermediates: rest,
            dns_name: dns,
            at,
        };
        let _ = verify(leaf, &opts);
    }
    for c in &certs {
        let _ = crate::rules::anchor_algorithm_problem(c);
        let _ = crate::rules::issuer_algorithm_problem(c);
    }
}

/// Private-key parsing, and matching the key against the certificates that follow it.
pub fn private_key(data: &[u8]) {
    let Ok(key) = parse_private_key(data) else {
        return;
    };
    let _ = key.describe();
    if let Ok(certs) = decode_certificates(data) {
        for c in &certs {
            let _ = key.check_matches(c);
        }
    }
    let _ = crate::key::key_marker(data, Some(data));
}
