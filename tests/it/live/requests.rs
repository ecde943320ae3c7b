//! The exact requests a run makes, page by page, and deploy/'s RBAC allowing exactly those.

use super::*;

mod rbac {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::ServiceAccount;
    use k8s_openapi::api::rbac::v1::{
        ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject,
    };
    use serde_json::Value;

    #[derive(Default)]
    pub struct Deploy {
        pub roles: Vec<Role>,
        pub cluster_roles: Vec<ClusterRole>,
        pub bindings: Vec<RoleBinding>,
        pub cluster_bindings: Vec<ClusterRoleBinding>,
        pub service_accounts: Vec<ServiceAccount>,
        pub cron_jobs: Vec<CronJob>,
        pub deployments: Vec<Deployment>,
    }

    fn typed<T: serde::de::DeserializeOwned>(doc: Value, what: &str) -> T {
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Every Kubernetes manifest of deploy/ (both variants), as k8s-openapi types; the
    /// Prometheus rules and the Grafana dashboard are not manifests.
    pub fn load(dir: &std::path::Path) -> Deploy {
        let mut d = Deploy::default();
        load_into(dir, &mut d);
        d
    }

    fn load_into(dir: &std::path::Path, d: &mut Deploy) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !["prometheus", "grafana"].contains(&path.file_name().unwrap().to_str().unwrap())
                {
                    load_into(&path, d);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "yaml")
                || path.file_name().unwrap() == "kustomization.yaml"
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for doc in serde_saphyr::from_multiple::<Value>(&text).unwrap() {
                let kind = doc["kind"].as_str().unwrap().to_string();
                let what = format!("{}: {kind}", path.display());
                match kind.as_str() {
                    "Role" => d.roles.push(typed(doc, &what)),
                    "ClusterRole" => d.cluster_roles.push(typed(doc, &what)),
                    "RoleBinding" => d.bindings.push(typed(doc, &what)),
                    "ClusterRoleBinding" => d.cluster_bindings.push(typed(doc, &what)),
                    "ServiceAccount" => d.service_accounts.push(typed(doc, &what)),
                    "CronJob" => d.cron_jobs.push(typed(doc, &what)),
                    "Deployment" => d.deployments.push(typed(doc, &what)),
                    "Namespace" | "Service" | "ServiceMonitor" | "NetworkPolicy" => {}
                    other => panic!("{}: unexpected kind {other}", path.display()),
                }
            }
        }
    }

    /// A request's authorization attributes.
    #[derive(Debug, Clone)]
    pub struct Attr {
        pub verb: &'static str,
        pub group: String,
        pub resource: String,
        pub namespace: Option<String>,
        pub name: Option<String>,
    }

    /// A request's authorization attributes; `None` for a discovery document (a non-resource
    /// URL every authenticated user may read, through the built-in `system:discovery`).
    pub fn attributes(request: &str) -> Option<Attr> {
        let path = request
            .strip_prefix("GET ")
            .unwrap()
            .split('?')
            .next()
            .unwrap();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (group, rest) = match parts.as_slice() {
            ["apis", _group, _version] => return None,
            ["api", "v1", rest @ ..] => (String::new(), rest.to_vec()),
            ["apis", group, _version, rest @ ..] => (group.to_string(), rest.to_vec()),
            _ => panic!("unexpected path {path}"),
        };
        let (namespace, rest) = match rest.as_slice() {
            ["namespaces", ns, rest @ ..] if !rest.is_empty() => {
                (Some(ns.to_string()), rest.to_vec())
            }
            _ => (None, rest),
        };
        let (verb, resource, name) = match rest.as_slice() {
            [resource] => ("list", resource.to_string(), None),
            [resource, name] => ("get", resource.to_string(), Some(name.to_string())),
            // pods/proxy: `pods/NAME:PORT/proxy/PATH`, authorized as `get` on the subresource.
            [resource, name, "proxy", ..] => (
                "get",
                format!("{resource}/proxy"),
                Some(name.split(':').next().unwrap().to_string()),
            ),
            _ => panic!("unexpected path {path}"),
        };
        Some(Attr {
            verb,
            group,
            resource,
            namespace,
            name,
        })
    }

    fn rule_allows(rule: &PolicyRule, a: &Attr) -> bool {
        let has = |list: &Option<Vec<String>>, v: &str| {
            list.as_ref().is_some_and(|l| l.iter().any(|x| x == v))
        };
        has(&rule.api_groups, &a.group)
            && has(&rule.resources, &a.resource)
            && rule.verbs.iter().any(|v| v == a.verb)
            && match (&rule.resource_names, &a.name) {
                (None, _) => true,
                (Some(names), Some(n)) => names.contains(n),
                (Some(_), None) => false,
            }
    }

    fn binds(subjects: &Option<Vec<Subject>>, sa: &str, ns: &str) -> bool {
        subjects.as_ref().is_some_and(|s| {
            s.iter().any(|s| {
                s.kind == "ServiceAccount" && s.name == sa && s.namespace.as_deref() == Some(ns)
            })
        })
    }

    /// The rules bound to the ServiceAccount: (namespace of a Role, or None for a ClusterRole; rule).
    pub fn rules_of<'a>(
        d: &'a Deploy,
        sa: &str,
        ns: &str,
    ) -> Vec<(Option<String>, &'a PolicyRule)> {
        let mut out = Vec::new();
        for b in d.bindings.iter().filter(|b| binds(&b.subjects, sa, ns)) {
            let bns = b.metadata.namespace.clone().unwrap();
            let role = d
                .roles
                .iter()
                .find(|r| {
                    r.metadata.name.as_deref() == Some(&b.role_ref.name)
                        && r.metadata.namespace.as_deref() == Some(&bns)
                })
                .unwrap_or_else(|| {
                    panic!(
                        "RoleBinding {bns}/{:?} names a missing Role",
                        b.metadata.name
                    )
                });
            assert_eq!(b.role_ref.kind, "Role");
            out.extend(role.rules.iter().flatten().map(|r| (Some(bns.clone()), r)));
        }
        for b in d
            .cluster_bindings
            .iter()
            .filter(|b| binds(&b.subjects, sa, ns))
        {
            let role = d
                .cluster_roles
                .iter()
                .find(|r| r.metadata.name.as_deref() == Some(&b.role_ref.name))
                .unwrap();
            out.extend(role.rules.iter().flatten().map(|r| (None, r)));
        }
        out
    }

    pub fn allowed(rules: &[(Option<String>, &PolicyRule)], a: &Attr) -> bool {
        rules.iter().any(|(scope, rule)| {
            let in_scope = match scope {
                None => true,
                Some(ns) => a.namespace.as_deref() == Some(ns.as_str()),
            };
            in_scope && rule_allows(rule, a)
        })
    }

    /// One grant: (scope, group, resource, verb, name).
    pub type Grant = (Option<String>, String, String, String, Option<String>);

    /// Every single grant a rule makes.
    pub fn grants(rules: &[(Option<String>, &PolicyRule)]) -> Vec<Grant> {
        let mut out = Vec::new();
        for (scope, rule) in rules {
            for group in rule.api_groups.iter().flatten() {
                for resource in rule.resources.iter().flatten() {
                    for verb in &rule.verbs {
                        match &rule.resource_names {
                            None => out.push((
                                scope.clone(),
                                group.clone(),
                                resource.clone(),
                                verb.clone(),
                                None,
                            )),
                            Some(names) => out.extend(names.iter().map(|n| {
                                (
                                    scope.clone(),
                                    group.clone(),
                                    resource.clone(),
                                    verb.clone(),
                                    Some(n.clone()),
                                )
                            })),
                        }
                    }
                }
            }
        }
        out
    }
}

#[test]
fn a_healthy_run_makes_exactly_the_documented_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    let out = live(&k, &["-o", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut requests = api.requests();
    requests.sort();
    let mut expected = vec![
        "GET /api/v1/namespaces?labelSelector=linkerd.io%2Fextension",
        "GET /api/v1/namespaces/linkerd/configmaps/linkerd-config",
        "GET /api/v1/namespaces/linkerd/configmaps/linkerd-identity-trust-roots",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer",
        // cert-manager's discovery document, then its Certificate for the issuer (read only
        // when the cluster serves Certificates; a 404 means "not managed").
        "GET /apis/cert-manager.io/v1",
        "GET /apis/cert-manager.io/v1/namespaces/linkerd/certificates/linkerd-identity-issuer",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-proxy-injector-k8s-tls",
        "GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/linkerd-proxy-injector-webhook-config",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-sp-validator-k8s-tls",
        "GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/linkerd-sp-validator-webhook-config",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-policy-validator-k8s-tls",
        "GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/linkerd-policy-validator-webhook-config",
        "GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns&limit=500",
        // The runtime evidence: the identity Deployment's Events, and the identity pods (none
        // here, so no pods/proxy request; the fixture has no meshed pods either).
        "GET /api/v1/namespaces/linkerd/events?fieldSelector=involvedObject.name%3Dlinkerd-identity",
        "GET /api/v1/namespaces/linkerd/pods?labelSelector=linkerd.io%2Fcontrol-plane-component%3Didentity",
        // The control plane's namespace, and trust-manager's bundles named after the trust roots
        // (404s here: the fixture has neither).
        "GET /api/v1/namespaces/linkerd",
        "GET /apis/trust.cert-manager.io/v1alpha1/bundles/linkerd-identity-trust-roots",
        "GET /apis/trust-manager.io/v1alpha2/clusterbundles/linkerd-identity-trust-roots",
    ];
    expected.sort();
    assert_eq!(requests, expected);
}

#[test]
fn extensions_and_legacy_secrets_add_their_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("viz-tap-expired"), tmp.path());
    let out = live(&k, &["-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let requests = api.requests();
    for path in [
        "GET /api/v1/namespaces/linkerd-viz/secrets/tap-k8s-tls",
        "GET /apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.tap.linkerd.io",
        "GET /api/v1/namespaces/linkerd-viz/secrets/tap-injector-k8s-tls",
        "GET /api/v1/namespaces/linkerd-jaeger/secrets/jaeger-injector-k8s-tls",
    ] {
        assert!(
            requests.iter().any(|r| r == path),
            "{path} not in {requests:#?}"
        );
    }
    assert_eq!(requests.len(), 18 + 6);

    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("legacy-secrets"), tmp.path());
    assert_eq!(live(&k, &[]).status.code(), Some(0));
    let requests = api.requests();
    assert!(requests.contains(
        &"GET /api/v1/namespaces/linkerd/secrets/linkerd-proxy-injector-tls".to_string()
    ));
    assert_eq!(requests.len(), 18 + 2, "{requests:#?}");
}

#[test]
fn pods_are_listed_page_by_page() {
    let tmp = tempfile::tempdir().unwrap();
    let root_pem = std::fs::read_to_string(fixture("pem/healthy/ca.crt")).unwrap();
    let pods: Vec<Value> = (0..1234)
        .map(|i| {
            serde_json::json!({
                "kind": "Pod",
                "metadata": {"name": format!("p-{i}"), "namespace": format!("ns-{}", i % 7), "labels": {"linkerd.io/control-plane-ns": "linkerd"}},
                "spec": {"containers": [{"name": "linkerd-proxy", "env": [{"name": "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", "value": if i == 1000 { "stale" } else { root_pem.as_str() }}]}]}
            })
        })
        .collect();
    let pods_dir = tmp.path().join("pods");
    std::fs::create_dir(&pods_dir).unwrap();
    std::fs::write(
        pods_dir.join("pods.json"),
        serde_json::json!({"kind": "List", "items": pods}).to_string(),
    )
    .unwrap();
    let api = FakeApi::serve(&[&fixture("healthy"), &pods_dir]);
    let k = kubeconfig(tmp.path(), &[("fake", Some(&api))]);
    let report = json(&live(&k, &["-o", "json"]));
    let dp = result(&report, "l5d-identity-data-plane-proxies-certs-match-ca");
    assert_eq!(dp["details"]["dataPlane"]["checkedPods"], 1234);
    assert_eq!(
        dp["details"]["dataPlane"]["unreadablePods"][0]["name"],
        "p-1000"
    );
    let pages: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET /api/v1/pods"))
        .collect();
    assert_eq!(
        pages,
        [
            "GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns&limit=500",
            "GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns&limit=500&continue=500",
            "GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns&limit=500&continue=1000",
        ]
    );
    // -n lists one namespace's pods.
    let report = json(&live(&k, &["-n", "ns-3", "-o", "json"]));
    let dp = result(&report, "l5d-identity-data-plane-proxies-certs-match-ca");
    assert_eq!(dp["details"]["dataPlane"]["checkedPods"], 176);
    assert!(
        api.requests()
            .iter()
            .any(|r| r.starts_with("GET /api/v1/namespaces/ns-3/pods?labelSelector="))
    );
}

#[test]
fn deploy_rbac_allows_every_request_of_a_full_run_and_nothing_more() {
    let deploy = rbac::load(&root().join("deploy"));
    let cron = &deploy.cron_jobs[0];
    let pod = cron
        .spec
        .job_template
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    let sa = pod.service_account_name.clone().unwrap();
    let ns = cron.metadata.namespace.clone().unwrap();
    assert!(
        deploy
            .service_accounts
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some(&sa)
                && s.metadata.namespace.as_deref() == Some(&ns))
    );
    // The container: non-root, read-only root filesystem, no privilege escalation.
    assert_eq!(
        pod.security_context.as_ref().unwrap().run_as_non_root,
        Some(true)
    );
    let sc = pod.containers[0].security_context.as_ref().unwrap();
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(pod.containers[0].args.as_ref().unwrap()[0], "check");
    // The exporter variant runs as the same ServiceAccount, as locked down, with probes.
    let exporter = &deploy.deployments[0];
    assert_eq!(exporter.metadata.namespace.as_deref(), Some(ns.as_str()));
    let exporter_pod = exporter.spec.template.spec.as_ref().unwrap();
    assert_eq!(
        exporter_pod.service_account_name.as_deref(),
        Some(sa.as_str())
    );
    assert_eq!(exporter_pod.security_context, pod.security_context);
    let container = &exporter_pod.containers[0];
    assert_eq!(
        container.security_context,
        pod.containers[0].security_context
    );
    assert_eq!(container.args.as_ref().unwrap()[0], "serve");
    let probe_path = |p: &Option<k8s_openapi::api::core::v1::Probe>| {
        p.as_ref()
            .unwrap()
            .http_get
            .as_ref()
            .unwrap()
            .path
            .clone()
            .unwrap()
    };
    assert_eq!(probe_path(&container.readiness_probe), "/readyz");
    assert_eq!(probe_path(&container.liveness_probe), "/healthz");

    // Full runs: viz and jaeger installed; then the legacy Secrets looked up.
    let mut requests = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("viz-tap-expired"), tmp.path());
    live(&k, &[]);
    requests.extend(api.requests());
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("legacy-secrets"), tmp.path());
    live(&k, &[]);
    requests.extend(api.requests());
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("viz-tap-expired"), tmp.path());
    api.fault(
        "/api/v1/namespaces/linkerd-viz/secrets/tap-k8s-tls",
        404,
        usize::MAX,
    );
    live(&k, &[]);
    requests.extend(api.requests());
    // The opt-in runtime permissions (deploy/base/opt-in): every proxy's metrics, the control
    // plane's included.
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("dataplane-stale"), tmp.path());
    live(&k, &["--proxy-metrics", "all"]);
    assert!(
        api.requests()
            .iter()
            .any(|r| r.starts_with("GET /api/v1/namespaces/linkerd/pods/")
                && r.ends_with(":4191/proxy/metrics"))
    );
    requests.extend(api.requests());
    // The opt-in trust-namespace permissions: trust-manager's sources and the anchor's
    // Certificate, read once a bundle names them.
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("trust-manager-attended"), tmp.path());
    live(&k, &[]);
    let trust = api.requests();
    for expected in [
        "GET /api/v1/namespaces/cert-manager/secrets/linkerd-trust-anchor",
        "GET /api/v1/namespaces/cert-manager/secrets/linkerd-previous-anchor",
        "GET /apis/cert-manager.io/v1/namespaces/cert-manager/certificates/linkerd-trust-anchor",
    ] {
        assert!(
            trust.iter().any(|r| r.starts_with(expected)),
            "{expected} not in {trust:#?}"
        );
    }
    requests.extend(trust);
    // The extensions' webhook Certificates (cert-manager's webhook recipe for viz and jaeger).
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("viz-cert-manager-renewing"), tmp.path());
    live(&k, &[]);
    let certificates = api.requests();
    assert!(
        certificates.iter().any(|r| r
            .starts_with("GET /apis/cert-manager.io/v1/namespaces/linkerd-viz/certificates/tap")),
        "{certificates:#?}"
    );
    requests.extend(certificates);
    // The opt-in multicluster permissions: the Links listed, their credentials Secrets read.
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(
        &root().join("fixtures/multicluster/shared/east"),
        tmp.path(),
    );
    live(&k, &[]);
    let linked = api.requests();
    for expected in [
        "GET /apis/multicluster.linkerd.io/v1alpha3/namespaces/linkerd-multicluster/links",
        "GET /api/v1/namespaces/linkerd-multicluster/secrets/cluster-credentials-west",
    ] {
        assert!(
            linked.iter().any(|r| r.starts_with(expected)),
            "{expected} not in {linked:#?}"
        );
    }
    requests.extend(linked);

    let rules = rbac::rules_of(&deploy, &sa, &ns);
    for r in &rules {
        for list in [&r.1.api_groups, &r.1.resources, &r.1.resource_names] {
            assert!(
                list.iter().flatten().all(|v| v != "*"),
                "no wildcards: {:?}",
                r.1
            );
        }
        assert!(
            r.1.verbs.iter().all(|v| v == "get" || v == "list"),
            "read-only: {:?}",
            r.1
        );
    }
    let requests: Vec<&String> = requests
        .iter()
        .filter(|r| rbac::attributes(r).is_some())
        .collect();
    let attrs: Vec<rbac::Attr> = requests
        .iter()
        .filter_map(|r| rbac::attributes(r))
        .collect();
    for (request, a) in requests.iter().zip(&attrs) {
        assert!(
            rbac::allowed(&rules, a),
            "deploy/ does not allow {request} ({a:?})"
        );
    }
    // Nothing more: every grant is used by some request.
    for (scope, group, resource, verb, name) in rbac::grants(&rules) {
        let used = attrs.iter().any(|a| {
            a.group == group
                && a.resource == resource
                && a.verb == verb
                && (name.is_none() || a.name == name)
                && scope
                    .as_ref()
                    .is_none_or(|s| a.namespace.as_ref() == Some(s))
        });
        assert!(
            used,
            "deploy/ grants {verb} on {group}/{resource} {name:?} in {scope:?}, which no request uses"
        );
    }
}

#[test]
fn deploy_base_rbac_grants_exactly_what_the_registry_reads() {
    use meshcert_checks::reads::{Grant, rbac_grants};
    // The extensions in the namespaces deploy/base binds them in.
    let extensions = [
        ("viz".to_string(), "linkerd-viz".to_string()),
        ("jaeger".to_string(), "linkerd-jaeger".to_string()),
    ]
    .into();
    let expected = rbac_grants("linkerd", &extensions);
    let granted =
        grants_of(&std::fs::read_to_string(root().join("deploy/base/rbac.yaml")).unwrap());
    let missing: Vec<&Grant> = expected.iter().filter(|g| !granted.contains(g)).collect();
    let extra: Vec<&Grant> = granted.iter().filter(|g| !expected.contains(g)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "deploy/base/rbac.yaml and the reads disagree:\n  not granted: {missing:#?}\n  granted, never read: {extra:#?}"
    );
}

/// What the RBAC objects of `yaml` grant, one rule atom each, sorted, each once.
fn grants_of(yaml: &str) -> Vec<meshcert_checks::reads::Grant> {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(yaml).unwrap();
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let mut granted: Vec<meshcert_checks::reads::Grant> = crate::common::rbac::atoms(&docs)
        .into_iter()
        .map(|a| meshcert_checks::reads::Grant {
            namespace: docs[a.doc]["metadata"]["namespace"]
                .as_str()
                .map(String::from),
            group: leak(&a.group),
            resource: leak(&a.resource),
            verb: leak(&a.verb),
            name: a.name,
        })
        .collect();
    granted.sort();
    granted.dedup();
    granted
}

/// Each opt-in file of deploy/base/opt-in grants exactly what `reads::opt_in_grants` says it
/// holds: the runtime checks' pods/proxy, trust-manager's sources, the multicluster Links.
#[test]
fn the_opt_in_rbac_files_grant_exactly_their_reads() {
    use meshcert_checks::reads::{Grant, opt_in_grants};
    let expected = opt_in_grants("linkerd", "cert-manager");
    let mut files: Vec<&str> = expected.iter().map(|(f, _)| *f).collect();
    files.dedup();
    assert_eq!(files.len(), 4, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(root().join("deploy/base/opt-in").join(file)).unwrap();
        let granted = grants_of(&text);
        let mut wanted: Vec<Grant> = expected
            .iter()
            .filter(|(f, _)| *f == file)
            .map(|(_, g)| g.clone())
            .collect();
        wanted.sort();
        assert_eq!(granted, wanted, "{file}");
    }
}
