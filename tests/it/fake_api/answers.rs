//! What the fake API server answers besides stored objects: discovery documents, the kinds of
//! the collections it lists, and a 404 as the API server words it.

use hyper::Response;
use serde_json::{Value, json};

use super::{Body, Store, full, status};

/// The list kind of a collection path the server serves (`SecretList`), if `path` is one.
pub(super) fn collection_kind(path: &str, store: &Store) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let has_certificates = store.cert_manager;
    Some(match segments.as_slice() {
        ["api", "v1", "namespaces", _, "configmaps"] => "ConfigMapList",
        ["api", "v1", "namespaces", _, "secrets"] => "SecretList",
        ["api", "v1", "namespaces", _, "events"] => "EventList",
        [
            "apis",
            "admissionregistration.k8s.io",
            "v1",
            "mutatingwebhookconfigurations",
        ] => "MutatingWebhookConfigurationList",
        [
            "apis",
            "admissionregistration.k8s.io",
            "v1",
            "validatingwebhookconfigurations",
        ] => "ValidatingWebhookConfigurationList",
        ["apis", "apiregistration.k8s.io", "v1", "apiservices"] => "APIServiceList",
        [
            "apis",
            "multicluster.linkerd.io",
            "v1alpha1" | "v1alpha2" | "v1alpha3",
            "namespaces",
            _,
            "links",
        ] => "LinkList",
        [
            "apis",
            "cert-manager.io",
            "v1",
            "namespaces",
            _,
            "certificates",
        ] if has_certificates => "CertificateList",
        _ => return None,
    })
}

/// Discovery, as kubectl reads it before a `get`: the legacy documents (kubectl falls back to
/// them from aggregated discovery when the answer is plain JSON). cert-manager's group is there
/// too, as on a cluster with cert-manager installed, whether or not a Certificate is served.
pub(super) fn discovery(path: &str, store: &Store) -> Option<Value> {
    let resource = |name: &str, singular: &str, kind: &str, namespaced: bool, short: &[&str]| {
        json!({"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind,
               "verbs": ["get", "list"], "shortNames": short})
    };
    let has_certificates = store.cert_manager;
    let group_v = |name: &str, v: &str| {
        json!({"name": name, "versions": [{"groupVersion": format!("{name}/{v}"), "version": v}],
               "preferredVersion": {"groupVersion": format!("{name}/{v}"), "version": v}})
    };
    let group = |name: &str| group_v(name, "v1");
    let list = |gv: &str, resources: Vec<Value>| json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources});
    Some(match path {
        "/version" => json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                             "platform": "linux/amd64"}),
        "/api" => json!({"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        "/apis" => {
            let mut groups = vec![
                group("admissionregistration.k8s.io"),
                group("apiregistration.k8s.io"),
            ];
            if has_certificates {
                groups.push(group("cert-manager.io"));
            }
            // trust-manager's CRDs, as where it is installed (a GET of a missing one is a 404).
            groups.push(group_v("trust.cert-manager.io", "v1alpha1"));
            groups.push(group_v("trust-manager.io", "v1alpha2"));
            // Linkerd multicluster's Link CRD, as where the extension is installed.
            groups.push(group_v("multicluster.linkerd.io", "v1alpha3"));
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        }
        "/api/v1" => list(
            "v1",
            vec![
                resource("configmaps", "configmap", "ConfigMap", true, &["cm"]),
                resource("events", "event", "Event", true, &["ev"]),
                resource("namespaces", "namespace", "Namespace", false, &["ns"]),
                resource("pods", "pod", "Pod", true, &["po"]),
                resource("secrets", "secret", "Secret", true, &[]),
            ],
        ),
        "/apis/admissionregistration.k8s.io/v1" => list(
            "admissionregistration.k8s.io/v1",
            vec![
                resource(
                    "mutatingwebhookconfigurations",
                    "mutatingwebhookconfiguration",
                    "MutatingWebhookConfiguration",
                    false,
                    &[],
                ),
                resource(
                    "validatingwebhookconfigurations",
                    "validatingwebhookconfiguration",
                    "ValidatingWebhookConfiguration",
                    false,
                    &[],
                ),
            ],
        ),
        "/apis/trust.cert-manager.io/v1alpha1" => list(
            "trust.cert-manager.io/v1alpha1",
            vec![resource("bundles", "bundle", "Bundle", false, &[])],
        ),
        "/apis/trust-manager.io/v1alpha2" => list(
            "trust-manager.io/v1alpha2",
            vec![resource(
                "clusterbundles",
                "clusterbundle",
                "ClusterBundle",
                false,
                &[],
            )],
        ),
        "/apis/multicluster.linkerd.io/v1alpha3" => list(
            "multicluster.linkerd.io/v1alpha3",
            vec![resource("links", "link", "Link", true, &[])],
        ),
        "/apis/apiregistration.k8s.io/v1" => list(
            "apiregistration.k8s.io/v1",
            vec![resource(
                "apiservices",
                "apiservice",
                "APIService",
                false,
                &[],
            )],
        ),
        "/apis/cert-manager.io/v1" if has_certificates => list(
            "cert-manager.io/v1",
            vec![resource(
                "certificates",
                "certificate",
                "Certificate",
                true,
                &["cert", "certs"],
            )],
        ),
        _ => return None,
    })
}

/// A 404 as the API server gives it for a missing object: `secrets "x" not found` (the
/// resource qualified by its group outside the core group), with the name, group and resource
/// in `details`; a path that is no object's gets the bare `Status` (`the server could not find
/// the requested resource`).
pub(super) fn not_found(path: &str) -> Response<Body> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    let rest = match rest {
        ["namespaces", _ns, rest @ ..] if !rest.is_empty() => rest,
        rest => rest,
    };
    let [resource, name] = rest else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let mut details = json!({"name": name, "kind": resource});
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": format!("{qualified} \"{name}\" not found"), "reason": "NotFound",
                      "details": details, "code": 404});
    Response::builder()
        .status(404)
        .header("content-type", "application/json")
        .body(full(body.to_string()))
        .unwrap()
}
