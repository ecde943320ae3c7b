//! What the checks read from a cluster: the live source fetches exactly these objects by name,
//! so a run needs only narrow RBAC, and a snapshot holds exactly what an offline run needs.

use std::collections::BTreeMap;

use crate::cert_manager::CERTIFICATE_NAME_ANNOTATION;
use crate::data_plane::TRUST_ROOTS;
use crate::identity::{ISSUER_SECRET, LINKERD_CONFIG};
use crate::snapshot::{Fetched, Kind, ObjectRef, Snapshot};
use crate::webhook::{CaSource, Component, Home};

/// The label that marks a meshed pod (its value names the control plane's namespace).
pub const MESHED_LABEL: &str = "linkerd.io/control-plane-ns";
/// The label that marks an extension's namespace (its value names the extension: viz, jaeger).
pub const EXTENSION_LABEL: &str = "linkerd.io/extension";

/// Every component serving TLS to the API server that a check of the registry reads, in
/// registry order, once each: derived, so a new component's checks cannot be registered without
/// its objects being read.
pub fn components() -> Vec<&'static Component> {
    let mut out: Vec<&'static Component> = Vec::new();
    for c in crate::registry::ALL
        .iter()
        .filter_map(|check| check.component())
    {
        if !out.iter().any(|seen| std::ptr::eq(*seen, c)) {
            out.push(c);
        }
    }
    out
}

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
        // The control plane's namespace (its labels), and trust-manager's Bundle and
        // ClusterBundle named after the trust-roots ConfigMap (the name Linkerd's guide gives
        // them); a 404 (none, or no trust-manager CRDs) means trust-manager does not write it.
        Read::one(ObjectRef::cluster(Kind::Namespace, linkerd_ns)),
        Read::one(ObjectRef::cluster(Kind::Bundle, TRUST_ROOTS)),
        Read::one(ObjectRef::cluster(Kind::ClusterBundle, TRUST_ROOTS)),
    ];
    for comp in components() {
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

/// What to read once the first reads are in, and again once those are in, until it is empty:
/// - the Certificates that the control plane's cert-manager-written Secrets name in their
///   `cert-manager.io/certificate-name` annotation (the issuer's, when it has another name than
///   the one already read, and each webhook's), for the margins that follow cert-manager's
///   renewal point;
/// - when trust-manager distributes the trust roots, the sources its bundle names in the trust
///   namespace, and for each source Secret the Certificate of its name (the guide's) or of its
///   annotation.
///
/// Each read once: `attempted` holds those already made (a 404 leaves no trace in `snap`).
pub fn follow_up_reads(snap: &Snapshot, attempted: &[ObjectRef]) -> Vec<Read> {
    let mut out: Vec<Read> = Vec::new();
    let mut add = |object: ObjectRef| {
        if snap.get(&object).is_none()
            && !attempted.contains(&object)
            && !out.iter().any(|r| r.object == object)
        {
            out.push(Read::one(object));
        }
    };
    // Each Link's credentials Secret, in the Link's namespace.
    for (link, l) in snap.links() {
        if let Some(name) = &l.credentials_secret {
            add(ObjectRef::new(Kind::Secret, &link.namespace, name.as_str()));
        }
    }
    let served = snap.certificates_served != Some(false);
    if let Some(d) = crate::trust_manager::distribution(snap) {
        for source in crate::trust_manager::named_sources(d.bundle, &snap.trust_namespace) {
            let object = source.object;
            if served && object.kind == Kind::Secret {
                add(ObjectRef::new(
                    Kind::Certificate,
                    &object.namespace,
                    object.name.as_str(),
                ));
                if let Some(c) = crate::trust_manager::annotated_certificate(snap, &object) {
                    add(c);
                }
            }
            add(object);
        }
    }
    if served {
        for read in annotated_certificates(snap) {
            add(read.object);
        }
    }
    out
}

/// The Certificates that the issuer's and the webhooks' cert-manager-written Secrets name.
fn annotated_certificates(snap: &Snapshot) -> Vec<Read> {
    // The issuer's and every webhook's Secret, in its component's namespace (an extension's
    // by its label): cert-manager's webhook recipe writes the viz ones too.
    let home = |c: &Component| match c.home {
        Home::ControlPlane => Some(snap.linkerd_namespace.clone()),
        Home::Extension(ext) => snap.labelled_extension_namespace(ext),
    };
    let webhook_secrets = components().into_iter().flat_map(|c| {
        let ns = home(c);
        std::iter::once(c.secret)
            .chain(c.legacy_secret)
            .filter_map(move |s| ns.clone().map(|ns| (ns, s)))
    });
    let mut out: Vec<Read> = Vec::new();
    for (ns, secret) in
        std::iter::once((snap.linkerd_namespace.clone(), ISSUER_SECRET)).chain(webhook_secrets)
    {
        let ns = ns.as_str();
        let Fetched::Present(s) = snap.secret(ns, secret) else {
            continue;
        };
        let Some(name) = s.cert_manager_annotations.get(CERTIFICATE_NAME_ANNOTATION) else {
            continue;
        };
        let object = ObjectRef::new(Kind::Certificate, ns, name.as_str());
        if snap.get(&object).is_none()
            && object.name != ISSUER_SECRET
            && !out.iter().any(|r| r.object == object)
        {
            out.push(Read::one(object));
        }
    }
    out
}

/// One permission the reads need: `verb` on `resource` of `group`, in `namespace` (`None`:
/// cluster-wide), for the object `name` (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub namespace: Option<String>,
    pub group: &'static str,
    pub resource: &'static str,
    pub verb: &'static str,
    pub name: Option<String>,
}

/// The RBAC a full run needs, given the control plane's and the extensions' namespaces:
/// `get` by name on every object read (fallbacks included), `get` on cert-manager Certificates
/// by any name in the control plane's and the extensions' namespaces (a Secret's annotation names
/// the one to read; a Certificate holds no key), and `list` on namespaces and pods cluster-wide.
/// `deploy/base/rbac.yaml` must grant exactly these (a test compares them).
pub fn rbac_grants(linkerd_ns: &str, extensions: &BTreeMap<String, String>) -> Vec<Grant> {
    let mut out: Vec<Grant> = object_reads(linkerd_ns, extensions)
        .iter()
        .flat_map(|r| std::iter::once(&r.object).chain(&r.fallback))
        .map(|o| {
            let (group, resource) = o.kind.group_resource();
            Grant {
                namespace: (!o.namespace.is_empty()).then(|| o.namespace.clone()),
                group,
                resource,
                verb: "get",
                name: (o.kind != Kind::Certificate).then(|| o.name.clone()),
            }
        })
        .collect();
    // The Certificates the extensions' webhook Secrets name, in their namespaces.
    for ns in extensions.values() {
        let (group, resource) = Kind::Certificate.group_resource();
        out.push(Grant {
            namespace: Some(ns.clone()),
            group,
            resource,
            verb: "get",
            name: None,
        });
    }
    // The identity controller's Events, in the control plane's namespace.
    out.push(Grant {
        namespace: Some(linkerd_ns.to_string()),
        group: "",
        resource: "events",
        verb: "list",
        name: None,
    });
    // The extensions' namespaces (by label) and the meshed pods.
    for (group, resource) in [Kind::Namespace.group_resource(), ("", "pods")] {
        out.push(Grant {
            namespace: None,
            group,
            resource,
            verb: "list",
            name: None,
        });
    }
    out.sort();
    out.dedup();
    out
}

/// The opt-in grants, by the file of `deploy/base/opt-in/` that holds them:
/// - the runtime checks' `pods/proxy`, which reaches every port of a pod, so it is not in the
///   default Role: the identity pods' metrics need it in the control plane's namespace; the
///   proxies' metrics wherever meshed pods run (a ClusterRole, or a Role per meshed namespace);
/// - trust-manager's sources in the trust namespace (the guide's anchor Secrets by name, whose
///   `tls.crt` alone meshcert keeps, and the Certificates there): a namespace that may not exist,
///   so not in the default set either.
pub fn opt_in_grants(linkerd_ns: &str, trust_ns: &str) -> Vec<(&'static str, Grant)> {
    use crate::trust_manager::{ANCHOR_SECRET, PREVIOUS_ANCHOR_SECRET};
    let proxy = |namespace: Option<String>| Grant {
        namespace,
        group: "",
        resource: "pods/proxy",
        verb: "get",
        name: None,
    };
    let multicluster = |resource: &'static str, verb: &'static str| Grant {
        namespace: Some(MULTICLUSTER_NAMESPACE.to_string()),
        group: if resource == "links" {
            "multicluster.linkerd.io"
        } else {
            ""
        },
        resource,
        verb,
        name: None,
    };
    let trust = |kind: Kind, name: Option<&str>| {
        let (group, resource) = kind.group_resource();
        Grant {
            namespace: Some(trust_ns.to_string()),
            group,
            resource,
            verb: "get",
            name: name.map(String::from),
        }
    };
    vec![
        ("identity-metrics.yaml", proxy(Some(linkerd_ns.to_string()))),
        ("proxy-metrics.yaml", proxy(None)),
        (
            "trust-namespace.yaml",
            trust(Kind::Secret, Some(ANCHOR_SECRET)),
        ),
        (
            "trust-namespace.yaml",
            trust(Kind::Secret, Some(PREVIOUS_ANCHOR_SECRET)),
        ),
        ("trust-namespace.yaml", trust(Kind::Certificate, None)),
        ("multicluster.yaml", multicluster("links", "list")),
        ("multicluster.yaml", multicluster("secrets", "get")),
    ]
}

/// The multicluster extension's namespace as `linkerd multicluster install` creates it (meshcert
/// finds it by its `linkerd.io/extension=multicluster` label).
pub const MULTICLUSTER_NAMESPACE: &str = "linkerd-multicluster";

/// kubectl's name for a kind's resource.
fn resource(kind: Kind) -> &'static str {
    match kind {
        Kind::ConfigMap => "configmap",
        Kind::Secret => "secret",
        Kind::Namespace => "namespace",
        Kind::MutatingWebhookConfiguration => "mutatingwebhookconfiguration",
        Kind::ValidatingWebhookConfiguration => "validatingwebhookconfiguration",
        Kind::APIService => "apiservice",
        Kind::Certificate => "certificates.cert-manager.io",
        Kind::Bundle => "bundles.trust.cert-manager.io",
        Kind::ClusterBundle => "clusterbundles.trust-manager.io",
        Kind::Link => "links.multicluster.linkerd.io",
    }
}

/// The names to read of one kind in one namespace (`""` for cluster-scoped kinds), fallbacks
/// included, in the order of the reads.
fn names_by_kind(reads: &[Read]) -> Vec<(Kind, String, Vec<String>)> {
    let mut groups: Vec<(Kind, String, Vec<String>)> = Vec::new();
    for r in reads {
        for o in std::iter::once(&r.object).chain(&r.fallback) {
            match groups
                .iter_mut()
                .find(|(k, ns, _)| *k == o.kind && *ns == o.namespace)
            {
                Some((_, _, names)) if names.contains(&o.name) => {}
                Some((_, _, names)) => names.push(o.name.clone()),
                None => groups.push((o.kind, o.namespace.clone(), vec![o.name.clone()])),
            }
        }
    }
    groups
}

/// A shell script that dumps with kubectl everything `meshcert check` reads from a cluster, for
/// `meshcert check --from` where meshcert cannot reach the cluster. Generated from the same
/// reads as the live source, so the two cannot drift: the named objects of the control plane
/// (Secrets by name, so no other Secret leaves the cluster), the extensions' Secrets in every
/// namespace labelled `linkerd.io/extension`, the cert-manager Certificates of the control
/// plane's namespace, and the meshed pods (of `data_plane_ns`, or all namespaces).
pub fn dump_script(linkerd_ns: &str, trust_ns: &str, data_plane_ns: Option<&str>) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut out = String::from(
        "#!/bin/sh\n\
         # What `meshcert check` reads, dumped with kubectl for `meshcert check --from meshcert-dump`.\n\
         # Generated by `meshcert dump-commands`. Another context: KUBECTL='kubectl --context NAME'.\n\
         set -eu\n\
         kubectl=${KUBECTL:-kubectl}\n\
         out=${MESHCERT_DUMP:-meshcert-dump}\n\
         mkdir -p \"$out\"\n",
    );
    // The API server's URL: linked clusters' credentials name it (`cluster-server`).
    out.push_str(
        "$kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' > \"$out/cluster-server\" 2>/dev/null \\\n\
         \x20 || rm -f \"$out/cluster-server\"\n",
    );
    out.push_str(&format!(
        "$kubectl get namespace -l {EXTENSION_LABEL} -o yaml > \"$out/namespaces.yaml\"\n"
    ));
    let control_plane: Vec<Read> = object_reads(linkerd_ns, &BTreeMap::new())
        .into_iter()
        .filter(|r| r.object.kind != Kind::Certificate)
        .collect();
    let extension_objects: Vec<Read> = components()
        .into_iter()
        .filter(|c| matches!(c.home, Home::Extension(_)))
        .map(|c| {
            Read::one(match c.ca_source {
                CaSource::Webhook(kind, name) => ObjectRef::cluster(kind, name),
                CaSource::ApiService(name) => ObjectRef::cluster(Kind::APIService, name),
            })
        })
        .collect();
    let all: Vec<Read> = control_plane.into_iter().chain(extension_objects).collect();
    for (kind, ns, names) in names_by_kind(&all) {
        let scope = if ns.is_empty() {
            String::new()
        } else {
            format!(" -n {}", quote(&ns))
        };
        let file = match kind {
            // namespaces.yaml holds the extensions' namespaces (above).
            Kind::Namespace => "control-plane-namespace.yaml".to_string(),
            Kind::Bundle => "trust-manager-bundles.yaml".to_string(),
            Kind::ClusterBundle => "trust-manager-clusterbundles.yaml".to_string(),
            _ if ns.is_empty() => format!("{}s.yaml", resource(kind)),
            _ => format!("{ns}-{}s.yaml", resource(kind)),
        };
        let get = format!(
            "$kubectl get {}{scope} {} --ignore-not-found -o yaml > \"$out/{file}\"",
            resource(kind),
            names.join(" ")
        );
        out.push_str(&match kind {
            // A cluster without trust-manager's CRDs has no such resource type.
            Kind::Bundle | Kind::ClusterBundle => format!(
                "{get} \\\n  || {{ rm -f \"$out/{file}\"; echo 'no {} read (trust-manager not installed, or an older one?)' >&2; }}\n",
                kind.as_str()
            ),
            _ => format!("{get}\n"),
        });
    }
    let extension_secrets: Vec<&str> = components()
        .into_iter()
        .filter(|c| matches!(c.home, Home::Extension(_)))
        .flat_map(|c| std::iter::once(c.secret).chain(c.legacy_secret))
        .collect();
    out.push_str(&format!(
        "for ns in $($kubectl get namespace -l {EXTENSION_LABEL} -o jsonpath='{{.items[*].metadata.name}}'); do\n\
         \x20 $kubectl get secret -n \"$ns\" {} --ignore-not-found -o yaml > \"$out/extension-$ns-secrets.yaml\"\n\
         \x20 $kubectl get certificates.cert-manager.io -n \"$ns\" -o yaml > \"$out/extension-$ns-certificates.yaml\" 2>/dev/null \\\n\
         \x20   || rm -f \"$out/extension-$ns-certificates.yaml\"\n\
         done\n",
        extension_secrets.join(" ")
    ));
    out.push_str(&format!(
        "$kubectl get certificates.cert-manager.io -n {} -o yaml > \"$out/{linkerd_ns}-certificates.yaml\" \\\n\
         \x20 || {{ rm -f \"$out/{linkerd_ns}-certificates.yaml\"; echo 'no cert-manager Certificates read (cert-manager not installed?)' >&2; }}\n",
        quote(linkerd_ns)
    ));
    let pods_scope = match data_plane_ns {
        Some(ns) => format!("-n {}", quote(ns)),
        None => "-A".to_string(),
    };
    out.push_str(&format!(
        "$kubectl get pods {pods_scope} -l {MESHED_LABEL} -o json > \"$out/pods.json\"\n"
    ));
    out.push_str(&trust_script(trust_ns));
    out.push_str(MULTICLUSTER_SCRIPT);
    out.push_str(&runtime_script(linkerd_ns, &pods_scope));
    out.push_str("echo \"now: meshcert check --from $out\" >&2\n");
    out
}

/// The multicluster Links of the extension's namespace, and the credentials Secrets they name
/// (as kubectl prints them: with their tokens, as the dump holds the issuer's key; meshcert's own
/// outputs keep only the tokens' expiry).
const MULTICLUSTER_SCRIPT: &str = "for ns in $($kubectl get namespace -l linkerd.io/extension=multicluster -o jsonpath='{.items[*].metadata.name}'); do\n\
\x20 $kubectl get links.multicluster.linkerd.io -n \"$ns\" -o yaml > \"$out/links-$ns.yaml\" \\\n\
\x20   || { rm -f \"$out/links-$ns.yaml\"; echo \"no Links read in $ns\" >&2; continue; }\n\
\x20 secrets=$($kubectl get links.multicluster.linkerd.io -n \"$ns\" -o jsonpath='{.items[*].spec.clusterCredentialsSecret}')\n\
\x20 if [ -n \"$secrets\" ]; then\n\
\x20   # shellcheck disable=SC2086 # one argument per Secret name\n\
\x20   $kubectl get secret -n \"$ns\" $secrets --ignore-not-found -o yaml > \"$out/link-credentials-$ns.yaml\"\n\
\x20 fi\n\
done\n";

/// When a trust-manager bundle was dumped, its sources in the trust namespace: the guide's two
/// anchor Secrets, reduced by a kubectl template to their `tls.crt`/`ca.crt` and `cert-manager.io/`
/// annotations (no private key leaves the cluster), and the Certificates there. A 403 (no
/// `deploy/base/opt-in/trust-namespace.yaml`) leaves them out, as the live run then skips.
fn trust_script(trust_ns: &str) -> String {
    use crate::trust_manager::{ANCHOR_SECRET, PREVIOUS_ANCHOR_SECRET};
    let quoted = format!("'{}'", trust_ns.replace('\'', r"'\''"));
    // Two names: kubectl answers with a List, whose items the template reduces.
    let template = "{{range .items}}---\n\
        apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{.metadata.name}}\n  namespace: {{.metadata.namespace}}\n  annotations:\n\
        {{- range $k, $v := .metadata.annotations}}{{if ge (len $k) 16}}{{if eq (slice $k 0 16) \"cert-manager.io/\"}}\n    {{printf \"%q\" $k}}: {{printf \"%q\" $v}}{{end}}{{end}}{{end}}\n\
        type: {{.type}}\ndata:\n\
        {{- range $k, $v := .data}}{{if or (eq $k \"tls.crt\") (eq $k \"ca.crt\")}}\n  {{$k}}: {{$v}}{{end}}{{end}}\n{{end}}";
    let secrets = format!("{trust_ns}-trust-sources.yaml");
    let certificates = format!("{trust_ns}-certificates.yaml");
    format!(
        "if [ -s \"$out/trust-manager-bundles.yaml\" ] || [ -s \"$out/trust-manager-clusterbundles.yaml\" ]; then\n\
         \x20 $kubectl get secret -n {quoted} {ANCHOR_SECRET} {PREVIOUS_ANCHOR_SECRET} --ignore-not-found -o go-template='{template}' > \"$out/{secrets}\" \\\n\
         \x20   || {{ rm -f \"$out/{secrets}\"; echo 'no trust-manager sources read (grant deploy/base/opt-in/trust-namespace.yaml)' >&2; }}\n\
         \x20 $kubectl get certificates.cert-manager.io -n {quoted} -o yaml > \"$out/{certificates}\" \\\n\
         \x20   || {{ rm -f \"$out/{certificates}\"; echo 'no cert-manager Certificates read in {trust_ns}' >&2; }}\n\
         fi\n"
    )
}

/// The dump's runtime evidence: the identity Deployment's Events, and where `pods/proxy` is
/// permitted, the metrics of the Running identity pods (port 9990) and of the first
/// `MESHCERT_PROXY_METRICS` (default 100; `all`, `off`) Running meshed pods (port 4191), each
/// answer in `metrics/<ns>_<pod>_<port>.metrics`, or what kubectl said in `….metrics-error`.
fn runtime_script(linkerd_ns: &str, pods_scope: &str) -> String {
    use crate::runtime::{
        COMPONENT_LABEL, IDENTITY_ADMIN_PORT, IDENTITY_DEPLOYMENT, PROXY_ADMIN_PORT,
    };
    let quoted = format!("'{}'", linkerd_ns.replace('\'', r"'\''"));
    let scrape = |port: u16| {
        format!(
            "  f=\"$out/metrics/${{ns}}_${{pod}}_{port}\"\n\
             \x20 if $kubectl get --raw \"/api/v1/namespaces/$ns/pods/$pod:{port}/proxy/metrics\" > \"$f.metrics\" 2> \"$f.metrics-error\"; then rm -f \"$f.metrics-error\"; else rm -f \"$f.metrics\"; fi\n"
        )
    };
    format!(
        "$kubectl get events -n {quoted} --field-selector involvedObject.name={IDENTITY_DEPLOYMENT} -o yaml > \"$out/{linkerd_ns}-identity-events.yaml\" \\\n\
         \x20 || {{ rm -f \"$out/{linkerd_ns}-identity-events.yaml\"; echo 'no Events read' >&2; }}\n\
         mkdir -p \"$out/metrics\"\n\
         ns={quoted}\n\
         for pod in $($kubectl get pods -n \"$ns\" -l {COMPONENT_LABEL}=identity --field-selector=status.phase=Running -o jsonpath='{{.items[*].metadata.name}}'); do\n\
         {identity}\
         done\n\
         n=${{MESHCERT_PROXY_METRICS:-100}}\n\
         if [ \"$n\" != off ]; then\n\
         \x20 $kubectl get pods {pods_scope} -l {MESHED_LABEL} --field-selector=status.phase=Running \\\n\
         \x20   -o jsonpath='{{range .items[*]}}{{.metadata.namespace}}{{\" \"}}{{.metadata.name}}{{\"\\n\"}}{{end}}' \\\n\
         \x20   | {{ if [ \"$n\" = all ]; then cat; else head -n \"$n\"; fi; }} \\\n\
         \x20   | while read -r ns pod; do\n\
         {proxy}\
         \x20 done\n\
         fi\n",
        identity = scrape(IDENTITY_ADMIN_PORT),
        proxy = scrape(PROXY_ADMIN_PORT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_a_check_names_is_read_and_no_other() {
        let extensions: BTreeMap<String, String> = [
            ("viz".to_string(), "linkerd-viz".to_string()),
            ("jaeger".to_string(), "linkerd-jaeger".to_string()),
        ]
        .into();
        let reads = object_reads("linkerd", &extensions);
        let named: Vec<&str> = reads
            .iter()
            .flat_map(|r| std::iter::once(&r.object).chain(&r.fallback))
            .map(|o| o.name.as_str())
            .collect();
        let from_checks: Vec<&'static Component> = crate::registry::ALL
            .iter()
            .filter_map(|c| c.component())
            .collect();
        assert!(!from_checks.is_empty());
        for comp in &from_checks {
            assert!(named.contains(&comp.secret), "{} not read", comp.secret);
            if let Some(legacy) = comp.legacy_secret {
                assert!(named.contains(&legacy), "{legacy} not read");
            }
            let ca = match comp.ca_source {
                CaSource::Webhook(_, name) | CaSource::ApiService(name) => name,
            };
            assert!(named.contains(&ca), "{ca} not read");
        }
        // Each component once, in registry order.
        let derived = components();
        assert_eq!(derived.len(), 6);
        for (i, c) in derived.iter().enumerate() {
            assert!(derived[i + 1..].iter().all(|d| !std::ptr::eq(*c, *d)));
        }
        // Secrets read: the identity issuer and the components' (current and legacy) only.
        let secrets = reads
            .iter()
            .flat_map(|r| std::iter::once(&r.object).chain(&r.fallback))
            .filter(|o| o.kind == Kind::Secret)
            .count();
        let expected = 1 + derived
            .iter()
            .map(|c| 1 + usize::from(c.legacy_secret.is_some()))
            .sum::<usize>();
        assert_eq!(secrets, expected);
    }

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
                "Namespace linkerd",
                "Bundle linkerd-identity-trust-roots",
                "ClusterBundle linkerd-identity-trust-roots",
                "Secret linkerd/linkerd-proxy-injector-k8s-tls",
                "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config",
                "Secret linkerd/linkerd-sp-validator-k8s-tls",
                "ValidatingWebhookConfiguration linkerd-sp-validator-webhook-config",
                "Secret linkerd/linkerd-policy-validator-k8s-tls",
                "ValidatingWebhookConfiguration linkerd-policy-validator-webhook-config",
            ]
        );
        assert_eq!(
            core[7].fallback.as_ref().unwrap().to_string(),
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

    #[test]
    fn the_dump_script_reads_every_object_the_live_source_reads() {
        let script = dump_script("linkerd", "cert-manager", None);
        let mut ext = BTreeMap::new();
        ext.insert("viz".to_string(), "linkerd-viz".to_string());
        ext.insert("jaeger".to_string(), "linkerd-jaeger".to_string());
        for read in object_reads("linkerd", &ext) {
            for o in std::iter::once(&read.object).chain(&read.fallback) {
                assert!(script.contains(&o.name), "{o} is not dumped:\n{script}");
            }
        }
        assert!(script.contains("get secret -n 'linkerd' linkerd-identity-issuer "));
        assert!(script.contains("get pods -A -l linkerd.io/control-plane-ns -o json"));
        assert!(script.contains("for ns in $($kubectl get namespace -l linkerd.io/extension"));
        // Secrets only by name: never every Secret of a namespace.
        assert!(
            !script
                .lines()
                .any(|l| l.contains("get secret") && !l.contains("--ignore-not-found"))
        );
        let scoped = dump_script("l5d", "cert-manager", Some("emojivoto"));
        assert!(
            scoped.contains("get configmap -n 'l5d' linkerd-config linkerd-identity-trust-roots")
        );
        assert!(scoped.contains("get pods -n 'emojivoto' -l"));
    }

    #[test]
    fn trust_managers_sources_are_read_once_a_bundle_names_them_then_their_certificates() {
        use crate::trust_manager::testutil::*;
        let (anchor, issuer) = crate::identity_checks::testutil::healthy_pair();
        let full = guide(&anchor, &issuer);
        let mut snap = Snapshot::new("linkerd");
        for (o, s) in full.objects() {
            if o.namespace != "cert-manager" {
                snap.insert(o.clone(), s.clone());
            }
        }
        let names = |reads: Vec<Read>| -> Vec<String> {
            reads.into_iter().map(|r| r.object.to_string()).collect()
        };
        let first = follow_up_reads(&snap, &[]);
        assert_eq!(
            names(first.clone()),
            [
                "Certificate cert-manager/linkerd-trust-anchor",
                "Secret cert-manager/linkerd-trust-anchor",
                "Certificate cert-manager/linkerd-previous-anchor",
                "Secret cert-manager/linkerd-previous-anchor",
            ]
        );
        // Once made (the Certificates 404), nothing more, unless an annotation names another.
        let attempted: Vec<ObjectRef> = first.into_iter().map(|r| r.object).collect();
        let mut secret = secret(&anchor.pem, false);
        if let crate::snapshot::Object::Secret(s) = &mut secret {
            s.cert_manager_annotations.insert(
                crate::cert_manager::CERTIFICATE_NAME_ANNOTATION.into(),
                "anchor-cert".into(),
            );
        }
        put(&mut snap, anchor_secret(), secret);
        assert_eq!(
            names(follow_up_reads(&snap, &attempted)),
            ["Certificate cert-manager/anchor-cert"]
        );
        // No bundle, no trust-namespace reads.
        let plain = crate::identity_checks::testutil::installed(&anchor.pem, &issuer);
        assert!(follow_up_reads(&plain, &[]).is_empty());
    }
}
