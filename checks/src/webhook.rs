//! The TLS material of a webhook or API service: its serving certificate and key (from a Secret)
//! and the caBundle the API server trusts it with (from the webhook configuration or APIService).
//!
//! Where the data lives (linkerd-check.md section 2): Secret `<ns>/<component>-k8s-tls`
//! (`tls.crt`, `tls.key`), falling back to the legacy `<ns>/<component>-tls` (`crt.pem`,
//! `key.pem`) where linkerd does; the caBundle of `webhooks[0]` (exactly one webhook) or of the
//! APIService's `spec`; the DNS name `<service>.<ns>.svc`.

use crate::cert::{Cert, Chain};
use crate::identity::Located;
use crate::key::{KeyError, parse_private_key};
use crate::pem::decode_certificates;
use crate::problem::Problem;
use crate::scope::Scope;
use crate::snapshot::{Fetched, Kind, Object, ObjectRef, Origin, Secret, SecretValue, Snapshot};

/// Where a component runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    ControlPlane,
    /// An extension, by the value of its `linkerd.io/extension` namespace label.
    Extension(&'static str),
}

/// Where the API server keeps the CA it trusts the component with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaSource {
    /// A Mutating- or ValidatingWebhookConfiguration by name.
    Webhook(Kind, &'static str),
    /// An APIService by name.
    ApiService(&'static str),
}

/// One component serving TLS to the API server.
#[derive(Debug)]
pub struct Component {
    /// As messages name it: `proxy-injector`, `tap API server`.
    pub name: &'static str,
    pub home: Home,
    pub secret: &'static str,
    /// The pre-`-k8s-tls` Secret (keys `crt.pem`, `key.pem`), read when `secret` does not exist.
    pub legacy_secret: Option<&'static str>,
    pub ca_source: CaSource,
    /// The Service name; the certificate must be valid for `<service>.<ns>.svc`.
    pub service: &'static str,
    /// A missing configuration or Secret means "not installed" (a skip), not a failure.
    pub optional: bool,
    /// The description of the component's "has valid cert" check, for skip reasons.
    pub checked_by: &'static str,
}

/// Why the material cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// The component is not installed: the checks are skipped.
    NotInstalled(String),
    /// Problems that fail the "has valid cert" check.
    Broken(Vec<Problem>),
}

/// The serving certificate chain (leaf first) and whether its key matches.
#[derive(Debug, Clone)]
pub struct Serving {
    pub chain: Located<Chain>,
    /// `None` when the key belongs to the leaf; otherwise what is wrong with the key.
    pub key_problem: Option<Problem>,
}

impl Component {
    /// The namespace the component lives in, or `None` when its extension is not installed.
    pub fn namespace(&self, snap: &Snapshot, scope: &Scope) -> Option<String> {
        match self.home {
            Home::ControlPlane => Some(snap.linkerd_namespace.clone()),
            Home::Extension(name) => scope.extension_namespace(snap, name),
        }
    }

    pub fn dns_name(&self, ns: &str) -> String {
        format!("{}.{ns}.svc", self.service)
    }

    fn not_installed(&self) -> Unusable {
        Unusable::NotInstalled(format!("{} not installed", self.name))
    }

    /// The serving certificate and key from the component's Secret (or its legacy Secret).
    pub fn serving(&self, snap: &Snapshot, ns: &str) -> Result<Serving, Unusable> {
        let current = ObjectRef::new(Kind::Secret, ns, self.secret);
        let (secret, oref, crt_key, key_key) = match snap.secret(ns, self.secret) {
            Fetched::Present(s) => (s, current, "tls.crt", "tls.key"),
            Fetched::Forbidden(why) => {
                let p = format!("cannot read {current}: {why}");
                return Err(Unusable::Broken(vec![Problem::in_object(&current, p)]));
            }
            Fetched::Missing => match self.legacy_secret {
                Some(legacy) => match snap.secret(ns, legacy) {
                    Fetched::Present(s) => (
                        s,
                        ObjectRef::new(Kind::Secret, ns, legacy),
                        "crt.pem",
                        "key.pem",
                    ),
                    Fetched::Forbidden(why) => {
                        let legacy_ref = ObjectRef::new(Kind::Secret, ns, legacy);
                        let p = format!("cannot read {legacy_ref}: {why}");
                        return Err(Unusable::Broken(vec![Problem::in_object(&legacy_ref, p)]));
                    }
                    Fetched::Missing if self.optional => return Err(self.not_installed()),
                    Fetched::Missing => {
                        let legacy_ref = ObjectRef::new(Kind::Secret, ns, legacy);
                        let p = format!("{current} not found (nor the legacy {legacy_ref})");
                        return Err(Unusable::Broken(vec![Problem::in_object(&current, p)]));
                    }
                },
                None if self.optional => return Err(self.not_installed()),
                None => {
                    let p = format!("{current} not found");
                    return Err(Unusable::Broken(vec![Problem::in_object(&current, p)]));
                }
            },
        };
        let (crt, key) = (value(secret, &oref, crt_key), value(secret, &oref, key_key));
        let (crt, key) = match (crt, key) {
            (Ok(c), Ok(k)) => (c, k),
            (c, k) => {
                return Err(Unusable::Broken(
                    [c.err(), k.err()].into_iter().flatten().collect(),
                ));
            }
        };
        let chain = match decode_certificates(&crt.0).map(Chain::new) {
            Ok(None) => {
                let p = format!("no certificate found in {}", crt.1);
                return Err(Unusable::Broken(vec![Problem::at(&crt.1, p)]));
            }
            Ok(Some(chain)) => Located {
                value: chain,
                origin: crt.1,
            },
            Err(e) => {
                let p = format!("could not parse the certificate in {}: {e}", crt.1);
                return Err(Unusable::Broken(vec![Problem::at(&crt.1, p)]));
            }
        };
        let key_problem = match parse_private_key(&key.0) {
            Err(e) => Some(format!("could not parse the private key in {}: {e}", key.1)),
            Ok(k) => match k.check_matches(chain.value.leaf()) {
                Ok(()) => None,
                Err(e @ KeyError::Mismatch) => Some(format!(
                    "{e}: the private key in {} does not belong to the certificate in {}",
                    key.1, chain.origin
                )),
                Err(e) => Some(format!("private key in {}: {e}", key.1)),
            },
        }
        .map(|p| Problem::at(&key.1, p));
        Ok(Serving { chain, key_problem })
    }

    /// The certificates of the caBundle the API server trusts the component with.
    pub fn ca_bundle(&self, snap: &Snapshot) -> Result<Located<Vec<Cert>>, Unusable> {
        let (oref, field) = match self.ca_source {
            CaSource::Webhook(kind, name) => (
                ObjectRef::cluster(kind, name),
                "webhooks[0].clientConfig.caBundle",
            ),
            CaSource::ApiService(name) => {
                (ObjectRef::cluster(Kind::APIService, name), "spec.caBundle")
            }
        };
        let broken = |p: String| Err(Unusable::Broken(vec![Problem::in_object(&oref, p)]));
        let bundle = match snap.fetch(&oref, Some) {
            Fetched::Present(Object::WebhookConfiguration(w)) => match w.ca_bundles.as_slice() {
                [one] => one,
                many => {
                    return broken(format!(
                        "expected 1 webhooks, found {} in {oref}",
                        many.len()
                    ));
                }
            },
            Fetched::Present(Object::ApiService(a)) => &a.ca_bundle,
            Fetched::Present(_) => {
                return broken(format!("{oref} is not a {}", oref.kind.as_str()));
            }
            Fetched::Forbidden(why) => return broken(format!("cannot read {oref}: {why}")),
            Fetched::Missing if self.optional => return Err(self.not_installed()),
            Fetched::Missing => return broken(format!("{oref} not found")),
        };
        let origin = Origin::CaBundle {
            object: oref,
            field: field.to_string(),
        };
        let broken = |p: String| Err(Unusable::Broken(vec![Problem::at(&origin, p)]));
        match bundle {
            None => broken(format!("{origin} is empty")),
            Some(Err(why)) => broken(format!("{origin} is not valid base64: {why}")),
            Some(Ok(bytes)) => match decode_certificates(bytes) {
                Ok(certs) if certs.is_empty() => broken(format!("{origin} holds no certificate")),
                Ok(certs) => Ok(Located {
                    value: certs,
                    origin,
                }),
                Err(e) => broken(format!("could not parse {origin}: {e}")),
            },
        }
    }
}

/// The bytes under `key` of a Secret, or the problem naming object and key.
fn value(secret: &Secret, oref: &ObjectRef, key: &str) -> Result<(Vec<u8>, Origin), Problem> {
    let origin = Origin::Key {
        object: oref.clone(),
        key: key.to_string(),
    };
    match secret.data.get(key) {
        Some(SecretValue::Bytes(b)) => Ok((b.expose().to_vec(), origin)),
        Some(SecretValue::Undecodable(why)) => {
            let p = format!("{origin} is not valid base64: {why}");
            Err(Problem::at(&origin, p))
        }
        None => {
            let p = format!("key {key} needs to exist in secret {}", oref.name);
            Err(Problem::at(&origin, p))
        }
    }
}
