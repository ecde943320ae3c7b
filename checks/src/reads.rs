//! What the checks read from a cluster: the live source fetches exactly these objects by name,
//! so a run needs only narrow RBAC, and a snapshot holds exactly what an offline run needs.

use std::collections::BTreeMap;

use crate::cert_manager::CERTIFICATE_NAME_ANNOTATION;
use crate::data_plane::TRUST_ROOTS;
use crate::identity::{ISSUER_SECRET, LINKERD_CONFIG};
use crate::snapshot::{Fetched, Kind, ObjectRef, Snapshot};
use crate::webhook::{CaSource, Component, Home};
use crate::webhook_checks::{
    jaeger_injector, policy_validator, proxy_injector, sp_validator, tap, tap_injector,
};

/// Every component serving TLS to the API server.
pub static COMPONENTS: [&Component; 6] = [
    &proxy_injector::COMPONENT,
    &sp_validator::COMPONENT,
    &policy_validator::COMPONENT,
    &tap::COMPONENT,
    &tap_injector::COMPONENT,
    &jaeger_injector::COMPONENT,
];

/// One object to read, and the object to read instead when it does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub object: ObjectRef,
    pub fallback: Option<ObjectRef>,
}

impl Read {
    fn one(object: ObjectRef) -> Read {
        Read {
            object,
            fallback: None,
        }
    }
}

/// The objects the checks read, given the control-plane namespace and the namespaces of the
/// installed extensions (`viz`, `jaeger` → namespace).
pub fn object_reads(linkerd_ns: &str, extensions: &BTreeMap<String, String>) -> Vec<Read> {
    let mut reads = vec![
        Read::one(ObjectRef::new(Kind::ConfigMap, linkerd_ns, LINKERD_CONFIG)),
        Read::one(ObjectRef::new(Kind::ConfigMap, linkerd_ns, TRUST_ROOTS)),
        Read::one(ObjectRef::new(Kind::Secret, linkerd_ns, ISSUER_SECRET)),
        // cert-manager's Certificate for the issuer, by the name Linkerd's guide gives it; a
        // 404 (no such Certificate, or no cert-manager CRDs) means "not managed".
        Read::one(ObjectRef::new(Kind::Certificate, linkerd_ns, ISSUER_SECRET)),
    ];
    for comp in COMPONENTS {
        let ns = match comp.home {
            Home::ControlPlane => linkerd_ns,
            Home::Extension(ext) => match extensions.get(ext) {
                Some(ns) => ns.as_str(),
                None => continue,
            },
        };
        reads.push(Read {
            object: ObjectRef::new(Kind::Secret, ns, comp.secret),
            fallback: comp
                .legacy_secret
                .map(|legacy| ObjectRef::new(Kind::Secret, ns, legacy)),
        });
        reads.push(Read::one(match comp.ca_source {
            CaSource::Webhook(kind, name) => ObjectRef::cluster(kind, name),
            CaSource::ApiService(name) => ObjectRef::cluster(Kind::APIService, name),
        }));
    }
    reads
}

/// What to read once the first reads are in: the Certificate the issuer Secret's
/// `cert-manager.io/certificate-name` annotation names, when it has another name than the one
/// already read.
pub fn follow_up_reads(snap: &Snapshot) -> Vec<Read> {
    let ns = snap.linkerd_namespace.as_str();
    let Fetched::Present(secret) = snap.secret(ns, ISSUER_SECRET) else {
        return Vec::new();
    };
    secret
        .cert_manager_annotations
        .get(CERTIFICATE_NAME_ANNOTATION)
        .map(|name| ObjectRef::new(Kind::Certificate, ns, name.as_str()))
        .filter(|o| snap.get(o).is_none() && o.name != ISSUER_SECRET)
        .map(Read::one)
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_plane_reads_and_extension_reads_only_when_installed() {
        let core = object_reads("linkerd", &BTreeMap::new());
        let names: Vec<String> = core.iter().map(|r| r.object.to_string()).collect();
        assert_eq!(
            names,
            [
                "ConfigMap linkerd/linkerd-config",
                "ConfigMap linkerd/linkerd-identity-trust-roots",
                "Secret linkerd/linkerd-identity-issuer",
                "Certificate linkerd/linkerd-identity-issuer",
                "Secret linkerd/linkerd-proxy-injector-k8s-tls",
                "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config",
                "Secret linkerd/linkerd-sp-validator-k8s-tls",
                "ValidatingWebhookConfiguration linkerd-sp-validator-webhook-config",
                "Secret linkerd/linkerd-policy-validator-k8s-tls",
                "ValidatingWebhookConfiguration linkerd-policy-validator-webhook-config",
            ]
        );
        assert_eq!(
            core[4].fallback.as_ref().unwrap().to_string(),
            "Secret linkerd/linkerd-proxy-injector-tls"
        );
        let mut ext = BTreeMap::new();
        ext.insert("viz".to_string(), "linkerd-viz".to_string());
        let with_viz = object_reads("linkerd", &ext);
        assert_eq!(with_viz.len(), core.len() + 4);
        assert!(
            with_viz
                .iter()
                .any(|r| r.object.to_string() == "APIService v1alpha1.tap.linkerd.io")
        );
    }
}
