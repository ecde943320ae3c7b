//! The identity material the `linkerd-identity` checks read, derived from a Snapshot once:
//! the issuer scheme, the trust anchors, the issuer certificate chain and its private key, and
//! the problems that make "certificate config is valid" fail.
//!
//! Where the data lives (linkerd's `checkCertificatesConfig`):
//! - ConfigMap `<ns>/linkerd-config`, key `values` (YAML): `identity.issuer.scheme` and, for the
//!   `linkerd.io/tls` scheme (or none), `identityTrustAnchorsPEM`;
//! - Secret `<ns>/linkerd-identity-issuer`: `crt.pem`/`key.pem` for `linkerd.io/tls`,
//!   `ca.crt`/`tls.crt`/`tls.key` for any other scheme (`kubernetes.io/tls`).
//!
//! Unlike linkerd, which stops at the first problem, every piece that can be read is read, so
//! that the checks that do not depend on a broken piece still run.

use serde_json::Value;

use crate::cert::{Cert, Chain};
use crate::key::{KeyError, PrivateKey, parse_private_key};
use crate::pem::decode_certificates;
use crate::problem::Problem;
use crate::snapshot::{Fetched, Kind, ObjectRef, Origin, SecretValue, Snapshot};

pub const LINKERD_CONFIG: &str = "linkerd-config";
pub const ISSUER_SECRET: &str = "linkerd-identity-issuer";
pub const SCHEME_LINKERD: &str = "linkerd.io/tls";

/// A piece of material and where it was read.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub origin: Origin,
}

/// Why a piece is not available to the checks that need it.
pub type Unavailable = String;

#[derive(Debug, Clone)]
pub struct IdentityMaterial {
    /// `linkerd.io/tls`, `kubernetes.io/tls`, or `files` for the PEM-file form.
    pub scheme: Option<String>,
    /// Every problem "certificate config is valid" reports, in the order linkerd meets them.
    pub problems: Vec<Problem>,
    pub anchors: Result<Located<Vec<Cert>>, Unavailable>,
    /// The issuer chain as stored, leaf first.
    pub issuer: Result<Located<Chain>, Unavailable>,
    pub key: Result<Located<PrivateKey>, Unavailable>,
    /// `Some(true)` when the key belongs to the issuer certificate.
    pub key_matches: Option<bool>,
}

/// Raw bytes of one piece, or why they cannot be had.
type Raw = Result<(Vec<u8>, Origin), String>;

const CONFIG_PROBLEM: &str = "see \"certificate config is valid\"";

impl IdentityMaterial {
    pub fn derive(snap: &Snapshot) -> IdentityMaterial {
        let mut problems = Vec::new();
        let (scheme, anchors_raw, cert_raw, key_raw) = match snap.identity_files() {
            Some(files) => (
                Some("files".to_string()),
                Ok((
                    files.trust_anchors.1.clone(),
                    Origin::File(files.trust_anchors.0.clone()),
                )),
                Ok((
                    files.issuer_cert.1.clone(),
                    Origin::File(files.issuer_cert.0.clone()),
                )),
                Ok((
                    files.issuer_key.1.expose().to_vec(),
                    Origin::File(files.issuer_key.0.clone()),
                )),
            ),
            None => read_objects(snap, &mut problems),
        };

        let issuer = cert_raw.and_then(|(bytes, origin)| {
            let why = match decode_certificates(&bytes).map(Chain::new) {
                Ok(Some(chain)) => {
                    return Ok(Located {
                        value: chain,
                        origin,
                    });
                }
                Ok(None) => "No certificates found".to_string(),
                Err(e) => e.to_string(),
            };
            let p = format!("could not parse issuer certificate from {origin}: {why}");
            problems.push(Problem::at(&origin, p.clone()));
            Err(p)
        });
        let key = key_raw.and_then(|(bytes, origin)| {
            parse_private_key(&bytes)
                .map(|value| Located {
                    value,
                    origin: origin.clone(),
                })
                .map_err(|e| {
                    let p = format!("could not parse issuer private key from {origin}: {e}");
                    problems.push(Problem::at(&origin, p.clone()));
                    p
                })
        });
        let key_matches = match (&issuer, &key) {
            (Ok(chain), Ok(key)) => match key.value.check_matches(chain.value.leaf()) {
                Ok(()) => Some(true),
                Err(e @ KeyError::Mismatch) => {
                    problems.push(Problem::at(
                        &key.origin,
                        format!(
                            "{e}: the private key in {} does not belong to the issuer certificate in {}",
                            key.origin, chain.origin
                        ),
                    ));
                    Some(false)
                }
                Err(e) => {
                    problems.push(Problem::at(
                        &key.origin,
                        format!("issuer private key in {}: {e}", key.origin),
                    ));
                    Some(false)
                }
            },
            _ => None,
        };
        let anchors = anchors_raw.and_then(|(bytes, origin)| match decode_certificates(&bytes) {
            Ok(certs) => {
                if certs.is_empty() {
                    problems.push(Problem::at(
                        &origin,
                        format!("no trust anchors found in {origin}"),
                    ));
                }
                Ok(Located {
                    value: certs,
                    origin,
                })
            }
            Err(e) => {
                let p = format!("could not parse trust anchors from {origin}: {e}");
                problems.push(Problem::at(&origin, p.clone()));
                Err(p)
            }
        });
        IdentityMaterial {
            scheme,
            problems,
            anchors: anchors
                .map_err(|_| format!("the trust anchors could not be read ({CONFIG_PROBLEM})")),
            issuer: issuer.map_err(|_| {
                format!("the issuer certificate could not be read ({CONFIG_PROBLEM})")
            }),
            key: key.map_err(|_| {
                format!("the issuer private key could not be read ({CONFIG_PROBLEM})")
            }),
            key_matches,
        }
    }
}

/// Reads linkerd-config and the issuer Secret; returns the scheme and the three raw pieces.
fn read_objects(snap: &Snapshot, problems: &mut Vec<Problem>) -> (Option<String>, Raw, Raw, Raw) {
    let ns = snap.linkerd_namespace.as_str();
    let config_ref = ObjectRef::new(Kind::ConfigMap, ns, LINKERD_CONFIG);
    let values = match snap.config_map(ns, LINKERD_CONFIG) {
        Fetched::Present(cm) => match cm.data.get("values").map(|v| v.trim()) {
            None | Some("") => Err(format!(
                "{config_ref} has no values key (its layout predates Linkerd 2.9, which meshcert does not read)"
            )),
            Some(text) => parse_values(text)
                .map_err(|e| format!("could not parse key values of {config_ref}: {e}")),
        },
        Fetched::Missing => Err(format!("{config_ref} not found")),
        Fetched::Forbidden(why) => Err(format!("cannot read {config_ref}: {why}")),
    };
    let values = match values {
        Ok(v) => v,
        Err(p) => {
            problems.push(Problem::in_object(&config_ref, p));
            let why = format!("linkerd-config could not be read ({CONFIG_PROBLEM})");
            return (None, Err(why.clone()), Err(why.clone()), Err(why));
        }
    };
    let scheme = values
        .pointer("/identity/issuer/scheme")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let external = !(scheme.is_empty() || scheme == SCHEME_LINKERD);
    let secret_ref = ObjectRef::new(Kind::Secret, ns, ISSUER_SECRET);
    let secret = match snap.secret(ns, ISSUER_SECRET) {
        Fetched::Present(s) => Ok(s),
        Fetched::Missing => Err(format!("{secret_ref} not found")),
        Fetched::Forbidden(why) => Err(format!("cannot read {secret_ref}: {why}")),
    };
    if let Err(p) = &secret {
        problems.push(Problem::in_object(&secret_ref, p.clone()));
    }
    let unavailable = format!("the issuer Secret could not be read ({CONFIG_PROBLEM})");
    let mut from_secret = |key: &str, what: &str| -> Raw {
        let secret = secret.as_ref().map_err(|_| unavailable.clone())?;
        let origin = Origin::Key {
            object: secret_ref.clone(),
            key: key.to_string(),
        };
        match secret.data.get(key) {
            Some(SecretValue::Bytes(b)) => Ok((b.expose().to_vec(), origin)),
            Some(SecretValue::Undecodable(why)) => {
                let p = format!("{origin} is not valid base64: {why}");
                problems.push(Problem::at(&origin, p.clone()));
                Err(p)
            }
            None => {
                let p = format!(
                    "key {key} containing the {what} needs to exist in secret {ISSUER_SECRET} if --identity-external-issuer={external}"
                );
                problems.push(Problem::at(&origin, p.clone()));
                Err(p)
            }
        }
    };
    let (anchors, cert, key) = if external {
        let anchors = from_secret("ca.crt", "trust anchors");
        (
            anchors,
            from_secret("tls.crt", "issuer certificate"),
            from_secret("tls.key", "issuer private key"),
        )
    } else {
        let cert = from_secret("crt.pem", "issuer certificate");
        let key = from_secret("key.pem", "issuer private key");
        let anchors = Ok((
            values
                .get("identityTrustAnchorsPEM")
                .and_then(Value::as_str)
                .unwrap_or("")
                .as_bytes()
                .to_vec(),
            config_anchors_origin(ns),
        ));
        (anchors, cert, key)
    };
    let scheme = if external {
        scheme
    } else {
        SCHEME_LINKERD.to_string()
    };
    (Some(scheme), anchors, cert, key)
}

/// linkerd-config's `values` document, with Linkerd 2.9's `global:` section flattened.
pub(crate) fn parse_values(text: &str) -> Result<Value, serde_saphyr::Error> {
    serde_saphyr::from_str::<Value>(text).map(flatten_global)
}

/// Where linkerd-config keeps the trust anchors (the `linkerd.io/tls` scheme's).
pub(crate) fn config_anchors_origin(ns: &str) -> Origin {
    Origin::Field {
        object: ObjectRef::new(Kind::ConfigMap, ns, LINKERD_CONFIG),
        key: "values".into(),
        field: "identityTrustAnchorsPEM".into(),
    }
}

/// Linkerd 2.9 kept the values under `global:`; later versions read them from the root.
fn flatten_global(mut values: Value) -> Value {
    if let Some(Value::Object(global)) = values.as_object_mut().and_then(|m| m.remove("global"))
        && let Some(root) = values.as_object_mut()
    {
        root.extend(global);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_values_are_flattened() {
        let v: Value = serde_saphyr::from_str(
            "global:\n  identityTrustAnchorsPEM: abc\nidentity:\n  issuer:\n    scheme: x\n",
        )
        .unwrap();
        let v = flatten_global(v);
        assert_eq!(v["identityTrustAnchorsPEM"], "abc");
        assert_eq!(v.pointer("/identity/issuer/scheme").unwrap(), "x");
        assert!(v.get("global").is_none());
    }
}
