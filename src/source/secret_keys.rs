//! Which private keys meshcert keeps: only those a check reads (the issuer's, the webhooks'),
//! as linkerd does; every other Secret's key is dropped as it is read.

use meshcert_checks::snapshot::{ObjectRef, SecretValue};

/// Whether the checks read the private key of Secret `oref`: the issuer's (by its name; in the
/// control plane's namespace), and the webhook and API-service components' (by their names, in
/// whichever namespace their extension is).
pub(crate) fn keys_checked(oref: &ObjectRef) -> bool {
    oref.name == meshcert_checks::identity::ISSUER_SECRET
        || meshcert_checks::reads::components()
            .iter()
            .any(|c| c.secret == oref.name || c.legacy_secret == Some(oref.name.as_str()))
}

/// Whether a Secret's value `key` is (or may be) private key material: named as a key, or
/// holding a PEM private key, or not decodable (so unknown).
pub(crate) fn holds_private_key(key: &str, value: &SecretValue) -> bool {
    key.ends_with(".key")
        || key == "key.pem"
        || match value {
            SecretValue::Bytes(b) => b
                .expose()
                .windows(b"PRIVATE KEY".len())
                .any(|w| w == b"PRIVATE KEY"),
            SecretValue::Undecodable(_) => false,
        }
}

#[cfg(test)]
mod tests {
    use super::super::ingest::tests::built;

    #[test]
    fn only_the_issuers_and_the_webhooks_private_keys_are_kept() {
        let snap = built(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: linkerd-trust-anchor, namespace: cert-manager}\n\
             stringData: {tls.crt: CERT, tls.key: KEY, ca.crt: CA, other: '-----BEGIN EC PRIVATE KEY-----'}\n\
             ---\napiVersion: v1\nkind: Secret\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\n\
             stringData: {crt.pem: CERT, key.pem: KEY}\n\
             ---\napiVersion: v1\nkind: Secret\nmetadata: {name: linkerd-proxy-injector-k8s-tls, namespace: linkerd}\n\
             stringData: {tls.crt: CERT, tls.key: KEY}\n",
        )
        .unwrap();
        let keys = |ns: &str, name: &str| -> Vec<String> {
            match snap.secret(ns, name) {
                meshcert_checks::snapshot::Fetched::Present(s) => s.data.keys().cloned().collect(),
                _ => panic!("{ns}/{name}"),
            }
        };
        assert_eq!(
            keys("cert-manager", "linkerd-trust-anchor"),
            ["ca.crt", "tls.crt"]
        );
        assert_eq!(
            keys("linkerd", "linkerd-identity-issuer"),
            ["crt.pem", "key.pem"]
        );
        assert_eq!(
            keys("linkerd", "linkerd-proxy-injector-k8s-tls"),
            ["tls.crt", "tls.key"]
        );
    }
}
