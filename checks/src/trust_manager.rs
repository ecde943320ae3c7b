//! trust-manager as Linkerd's automatic-rotation guide sets it up: a `Bundle` (or `ClusterBundle`)
//! named after the trust-roots ConfigMap, whose sources are the anchor's Secrets in the trust
//! namespace (`linkerd-trust-anchor`, written by a cert-manager Certificate, and its plain copy
//! `linkerd-previous-anchor`).

use crate::cert_manager::{CERTIFICATE_NAME_ANNOTATION, Management};
use crate::data_plane::TRUST_ROOTS;
use crate::snapshot::{
    BundleSource, ConfigMap, Fetched, Kind, Object, ObjectRef, Secret, SecretValue, Snapshot,
    TrustBundle,
};

/// The Secret the guide's anchor Certificate writes, in the trust namespace.
pub const ANCHOR_SECRET: &str = "linkerd-trust-anchor";
/// The guide's copy of the anchor before its renewal, in the trust namespace.
pub const PREVIOUS_ANCHOR_SECRET: &str = "linkerd-previous-anchor";
/// The key of a source Secret the guide bundles (and the only one meshcert keeps of it).
pub const SOURCE_KEY: &str = "tls.crt";

/// The Bundle or ClusterBundle that distributes the trust roots.
pub struct Distribution<'a> {
    pub object: ObjectRef,
    pub bundle: &'a TrustBundle,
}

/// The ClusterBundle (first: trust-manager migrates a Bundle into one) or Bundle named after the
/// trust-roots ConfigMap, when one was read.
pub fn distribution(snap: &Snapshot) -> Option<Distribution<'_>> {
    [Kind::ClusterBundle, Kind::Bundle]
        .into_iter()
        .find_map(|kind| {
            let object = ObjectRef::cluster(kind, TRUST_ROOTS);
            match snap.fetch(&object, |o| match o {
                Object::TrustBundle(b) => Some(b),
                _ => None,
            }) {
                Fetched::Present(bundle) => Some(Distribution { object, bundle }),
                _ => None,
            }
        })
}

/// A source that names one object of the trust namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSource {
    pub object: ObjectRef,
    /// The key it takes (the guide: `tls.crt`).
    pub key: Option<String>,
}

/// The sources of `bundle` that name a Secret or ConfigMap (not a selector, in-line text or the
/// default CAs), as objects of `trust_ns`.
pub fn named_sources(bundle: &TrustBundle, trust_ns: &str) -> Vec<NamedSource> {
    bundle
        .sources
        .iter()
        .filter_map(|s: &BundleSource| {
            let kind = match s.kind.as_str() {
                "Secret" => Kind::Secret,
                "ConfigMap" => Kind::ConfigMap,
                _ => return None,
            };
            Some(NamedSource {
                object: ObjectRef::new(kind, trust_ns, s.name.clone()?),
                key: s.key.clone(),
            })
        })
        .collect()
}

/// The source Secrets of the trust roots' bundle, named by `bundle` in the trust namespace.
pub fn source_secrets(snap: &Snapshot) -> Vec<ObjectRef> {
    distribution(snap)
        .map(|d| {
            named_sources(d.bundle, &snap.trust_namespace)
                .into_iter()
                .filter(|s| s.object.kind == Kind::Secret)
                .map(|s| s.object)
                .collect()
        })
        .unwrap_or_default()
}

/// The text a source yields: the key's value of the Secret or ConfigMap, or why not.
pub enum SourceText<'a> {
    Text(&'a [u8]),
    /// Not there (the object, or its key): trust-manager cannot sync.
    Missing(String),
    /// meshcert could not read it (forbidden), or does not keep that key.
    Unknown(String),
}

/// What `source` yields in `snap`.
pub fn source_text<'a>(snap: &'a Snapshot, source: &NamedSource) -> SourceText<'a> {
    let object = &source.object;
    let key = source.key.as_deref().unwrap_or(SOURCE_KEY);
    match object.kind {
        Kind::Secret => match snap.fetch(object, |o| match o {
            Object::Secret(s) => Some(s),
            _ => None,
        }) {
            Fetched::Present(Secret { data, .. }) => match data.get(key) {
                Some(SecretValue::Bytes(b)) => SourceText::Text(b.expose()),
                Some(SecretValue::Undecodable(why)) => {
                    SourceText::Missing(format!("key {key} of {object} is not base64: {why}"))
                }
                None if key == SOURCE_KEY || key == "ca.crt" => {
                    SourceText::Missing(format!("{object} has no key {key}"))
                }
                // Any other key may be private: meshcert does not keep it.
                None => SourceText::Unknown(format!(
                    "meshcert reads only tls.crt and ca.crt of {object}, not {key}"
                )),
            },
            Fetched::Forbidden(why) => SourceText::Unknown(format!("cannot read {object}: {why}")),
            Fetched::Missing => SourceText::Missing(format!("{object} does not exist")),
        },
        _ => match snap.fetch(object, |o| match o {
            Object::ConfigMap(c) => Some(c),
            _ => None,
        }) {
            Fetched::Present(ConfigMap { data, .. }) => match data.get(key) {
                Some(text) => SourceText::Text(text.as_bytes()),
                None => SourceText::Missing(format!("{object} has no key {key}")),
            },
            Fetched::Forbidden(why) => SourceText::Unknown(format!("cannot read {object}: {why}")),
            Fetched::Missing => SourceText::Missing(format!("{object} does not exist")),
        },
    }
}

/// The certificate text (`tls.crt`) of Secret `secret`, when meshcert has it.
pub fn secret_text<'a>(snap: &'a Snapshot, secret: &ObjectRef) -> Option<&'a [u8]> {
    let source = NamedSource {
        object: secret.clone(),
        key: None,
    };
    match source_text(snap, &source) {
        SourceText::Text(t) => Some(t),
        _ => None,
    }
}

/// The anchor Secret `secret` holds: the first certificate of its `tls.crt`.
pub fn secret_anchor(snap: &Snapshot, secret: &ObjectRef) -> Option<crate::cert::Cert> {
    crate::pem::decode_certificates(secret_text(snap, secret)?)
        .ok()?
        .into_iter()
        .next()
}

/// The command that makes `previous` a plain copy of `anchor` (data only).
pub fn copy_command(anchor: &ObjectRef, previous: &ObjectRef) -> String {
    format!(
        "kubectl -n {} get secret {} -o json | jq '{{apiVersion, kind, type, data: {{\"tls.crt\": .data[\"tls.crt\"]}}, metadata: {{name: \"{}\", namespace: .metadata.namespace}}}}' | kubectl apply -f -",
        anchor.namespace, anchor.name, previous.name
    )
}

/// The cert-manager Certificate that writes the anchor: the one that writes a source Secret of
/// the bundle (the guide's `linkerd-trust-anchor` first), with that Secret.
pub fn anchor_management(snap: &Snapshot) -> Option<(ObjectRef, Management<'_>)> {
    let ns = snap.trust_namespace.as_str();
    let mut secrets = source_secrets(snap);
    secrets.sort_by_key(|s| s.name != ANCHOR_SECRET);
    secrets.into_iter().find_map(|secret| {
        match crate::cert_manager::management(snap, ns, &secret.name, "the trust anchor") {
            Management::No => None,
            m => Some((secret, m)),
        }
    })
}

/// The Certificate the Secret `secret` names in its cert-manager annotation, when present.
pub fn annotated_certificate(snap: &Snapshot, secret: &ObjectRef) -> Option<ObjectRef> {
    match snap.secret(&secret.namespace, &secret.name) {
        Fetched::Present(s) => s
            .cert_manager_annotations
            .get(CERTIFICATE_NAME_ANNOTATION)
            .map(|name| ObjectRef::new(Kind::Certificate, &secret.namespace, name.as_str())),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Linkerd's automatic-rotation guide, in memory.
    use crate::cert::testutil::Made;
    use crate::data_plane::{BUNDLE_KEY, TRUST_ROOTS};
    use crate::identity_checks::testutil::installed;
    use crate::snapshot::*;

    pub fn put(snap: &mut Snapshot, object: ObjectRef, o: Object) {
        snap.insert(
            object,
            ObjectState::Present {
                object: o,
                from: "test".into(),
            },
        );
    }

    pub fn secret(pem: &str, annotated: bool) -> Object {
        let mut s = Secret::default();
        s.data.insert(
            "tls.crt".into(),
            SecretValue::Bytes(SecretBytes::new(pem.as_bytes().to_vec())),
        );
        if annotated {
            s.cert_manager_annotations.insert(
                crate::cert_manager::CERTIFICATE_NAME_ANNOTATION.into(),
                super::ANCHOR_SECRET.into(),
            );
        }
        Object::Secret(s)
    }

    /// The anchor's Certificate: ten years, renewed 30 days before expiry, a new key each time.
    pub fn attended() -> Certificate {
        Certificate {
            secret_name: Some(super::ANCHOR_SECRET.into()),
            duration: Some("87600h0m0s".into()),
            renew_before: Some("720h0m0s".into()),
            rotation_policy: Some("Always".into()),
            ..Default::default()
        }
    }

    pub fn anchor_secret() -> ObjectRef {
        ObjectRef::new(Kind::Secret, "cert-manager", super::ANCHOR_SECRET)
    }

    pub fn previous_secret() -> ObjectRef {
        ObjectRef::new(Kind::Secret, "cert-manager", super::PREVIOUS_ANCHOR_SECRET)
    }

    pub fn anchor_certificate() -> ObjectRef {
        ObjectRef::new(Kind::Certificate, "cert-manager", super::ANCHOR_SECRET)
    }

    /// The guide's setup for `anchor` and `issuer`: the trust roots written by a Synced Bundle
    /// into the labelled namespace, both Secrets holding `anchor`, its Certificate `attended()`.
    pub fn guide(anchor: &Made, issuer: &Made) -> Snapshot {
        let mut snap = installed(&anchor.pem, issuer);
        let mut cm = ConfigMap::default();
        cm.data.insert(BUNDLE_KEY.into(), anchor.pem.clone());
        put(
            &mut snap,
            ObjectRef::new(Kind::ConfigMap, "linkerd", TRUST_ROOTS),
            Object::ConfigMap(cm),
        );
        put(
            &mut snap,
            ObjectRef::cluster(Kind::Namespace, "linkerd"),
            Object::Namespace(Namespace {
                labels: [("linkerd.io/is-control-plane".into(), "true".into())].into(),
            }),
        );
        let source = |name: &str| BundleSource {
            kind: "Secret".into(),
            name: Some(name.into()),
            key: Some("tls.crt".into()),
        };
        put(
            &mut snap,
            ObjectRef::cluster(Kind::Bundle, TRUST_ROOTS),
            Object::TrustBundle(TrustBundle {
                sources: vec![
                    source(super::ANCHOR_SECRET),
                    source(super::PREVIOUS_ANCHOR_SECRET),
                ],
                target_keys: vec![BUNDLE_KEY.into()],
                namespace_selector: Some(Selector {
                    match_labels: [("linkerd.io/is-control-plane".into(), "true".into())].into(),
                    has_expressions: false,
                }),
                synced: Some(Condition {
                    status: "True".into(),
                    reason: Some("Synced".into()),
                    message: None,
                }),
            }),
        );
        put(&mut snap, anchor_secret(), secret(&anchor.pem, true));
        put(&mut snap, previous_secret(), secret(&anchor.pem, false));
        put(
            &mut snap,
            anchor_certificate(),
            Object::Certificate(Box::new(attended())),
        );
        snap
    }
}
