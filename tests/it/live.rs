//! The live source against a fake API server on 127.0.0.1 (tests/it/fake_api): the same verdicts as
//! offline, pagination, RBAC failures as data, retries, deadlines, TLS, and the exact set of
//! requests a run makes. Every run pins --at.

use crate::fake_api;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{
    AT, check_json_from, check_live as live, fixture, meshcert, root, scenarios, serial,
};
use crate::fake_api::{Auth, FakeApi, kubeconfig};
use serde_json::Value;

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

/// Serves `dir` over HTTP and returns the server and a kubeconfig for it.
fn serve(dir: &Path, tmp: &Path) -> (FakeApi, PathBuf) {
    let api = FakeApi::serve(&[dir]);
    let k = kubeconfig(tmp, &[("fake", Some(&api))]);
    (api, k)
}

/// Three contexts: `prod` (the healthy scenario), `staging` (`scenario`) and `lab` (down); the
/// servers' handles come back for tests that inspect their requests.
fn prod_staging_lab(tmp: &Path, scenario: &str) -> ([FakeApi; 2], PathBuf) {
    let prod = FakeApi::serve(&[&fixture("healthy")]);
    let staging = FakeApi::serve(&[&fixture(scenario)]);
    let k = kubeconfig(
        tmp,
        &[
            ("prod", Some(&prod)),
            ("staging", Some(&staging)),
            ("lab", None),
        ],
    );
    ([prod, staging], k)
}

#[test]
fn every_offline_scenario_gives_the_same_json_live() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 25, "{scenarios:?}");
    for scenario in scenarios {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(&scenario), tmp.path());
        let offline = check_json_from(&fixture(&scenario));
        let online = live(&k, &["-o", "json"]);
        assert_eq!(
            online.status.code(),
            offline.status.code(),
            "{scenario}: {}",
            stderr(&online)
        );
        let (mut a, mut b) = (json(&offline), json(&online));
        assert!(
            b["source"]
                .as_str()
                .unwrap()
                .starts_with("cluster: fake (http://127.0.0.1:"),
            "{}",
            b["source"]
        );
        a.as_object_mut().unwrap().remove("source");
        b.as_object_mut().unwrap().remove("source");
        assert_eq!(a, b, "{scenario}: live and offline reports differ");
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
        // cert-manager's Certificate for the issuer: a 404 here (no CRD) reads as "not managed".
        "GET /apis/cert-manager.io/v1/namespaces/linkerd/certificates/linkerd-identity-issuer",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-proxy-injector-k8s-tls",
        "GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/linkerd-proxy-injector-webhook-config",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-sp-validator-k8s-tls",
        "GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/linkerd-sp-validator-webhook-config",
        "GET /api/v1/namespaces/linkerd/secrets/linkerd-policy-validator-k8s-tls",
        "GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/linkerd-policy-validator-webhook-config",
        "GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns&limit=500",
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
    assert_eq!(requests.len(), 12 + 6);

    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("legacy-secrets"), tmp.path());
    assert_eq!(live(&k, &[]).status.code(), Some(0));
    let requests = api.requests();
    assert!(requests.contains(
        &"GET /api/v1/namespaces/linkerd/secrets/linkerd-proxy-injector-tls".to_string()
    ));
    assert_eq!(requests.len(), 12 + 2, "{requests:#?}");
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
fn forbidden_issuer_secret_fails_that_check_naming_the_rbac_rule_and_the_rest_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    api.fault(
        "/api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer",
        403,
        usize::MAX,
    );
    let out = live(&k, &["-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let config = result(&report, "l5d-identity-cert-config-valid");
    assert_eq!(
        config["error"],
        "cannot read Secret linkerd/linkerd-identity-issuer: forbidden (injected 403 for /api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer); meshcert needs a Role in namespace linkerd with apiGroups: [\"\"], resources: [\"secrets\"], resourceNames: [\"linkerd-identity-issuer\"], verbs: [\"get\"]"
    );
    assert_eq!(
        result(&report, "l5d-identity-trustAnchors-are-time-valid")["result"],
        "success"
    );
    assert_eq!(
        result(&report, "l5d-identity-issuer-cert-is-time-valid")["result"],
        "skipped"
    );
    assert_eq!(
        result(&report, "l5d-proxy-injector-webhook-cert-valid")["result"],
        "success"
    );
}

#[test]
fn forbidden_certificates_leave_cert_manager_undecided_and_name_the_rule() {
    // The scenario read with every cert-manager request forbidden: exit code and the Ready check.
    let run = |scenario: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let (api, k) = serve(&fixture(scenario), tmp.path());
        api.fault("/apis/cert-manager.io/", 403, usize::MAX);
        let out = live(&k, &["-o", "json"]);
        let ready = result(&json(&out), "meshcert-cert-manager-issuer-ready").clone();
        (out.status.code(), ready)
    };
    // No annotation on the Secret: meshcert cannot tell, and says why, without failing the run.
    let (code, ready) = run("healthy");
    assert_eq!(code, Some(0));
    assert_eq!(ready["result"], "skipped");
    assert!(
        ready["reason"].as_str().unwrap().starts_with("cannot tell whether cert-manager manages the issuer: forbidden (injected 403 for /apis/cert-manager.io/v1/namespaces/linkerd/certificates/linkerd-identity-issuer); meshcert needs a Role in namespace linkerd with apiGroups: [\"cert-manager.io\"], resources: [\"certificates\"], resourceNames: [\"linkerd-identity-issuer\"]"),
        "{ready}"
    );
    // The Secret says cert-manager writes it: not being able to read the Certificate fails.
    let (code, ready) = run("cert-manager-stalled");
    assert_eq!(code, Some(1));
    assert_eq!(ready["result"], "error");
    assert!(
        ready["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot read Certificate linkerd/linkerd-identity-issuer-cert: forbidden"),
        "{ready}"
    );
}

#[test]
fn forbidden_pod_list_fails_the_data_plane_check_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("dataplane-current"), tmp.path());
    api.fault("/api/v1/pods", 403, usize::MAX);
    let report = json(&live(&k, &["-o", "json"]));
    let dp = result(&report, "l5d-identity-data-plane-proxies-certs-match-ca");
    assert_eq!(dp["result"], "warning");
    assert!(dp["error"].as_str().unwrap().contains("meshcert needs a ClusterRole with apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"list\"]"), "{dp}");
    assert_eq!(
        result(&report, "l5d-identity-cert-config-valid")["result"],
        "success"
    );
}

#[test]
fn flaky_server_errors_and_throttling_are_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    api.fault(
        "/api/v1/namespaces/linkerd/configmaps/linkerd-config",
        500,
        2,
    );
    api.fault("/api/v1/pods", 429, 1);
    let out = live(&k, &["-o", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let requests = api.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.ends_with("/configmaps/linkerd-config"))
            .count(),
        3
    );
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.starts_with("GET /api/v1/pods"))
            .count(),
        2
    );
}

#[test]
fn a_server_that_keeps_failing_or_stalls_ends_the_run_within_the_timeout() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    api.fault("/api/v1/namespaces/linkerd/configmaps/", 503, usize::MAX);
    let started = std::time::Instant::now();
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k.to_str().unwrap(),
        "--at",
        AT,
        "--timeout",
        "2s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(stderr(&out).contains("gave up after"), "{}", stderr(&out));

    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    api.fault_with_delay(
        "/api/v1/pods",
        200,
        usize::MAX,
        std::time::Duration::from_secs(30),
    );
    let started = std::time::Instant::now();
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k.to_str().unwrap(),
        "--at",
        AT,
        "--timeout",
        "2s",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_unreachable_server_exits_2_naming_server_and_context() {
    let tmp = tempfile::tempdir().unwrap();
    let k = kubeconfig(tmp.path(), &[("down", None)]);
    let out = live(&k, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot reach the API server http://127.0.0.1:")
            && err.contains("(context down)"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn https_with_a_bearer_token_or_a_client_certificate() {
    for auth in [Auth::Token("s3cr3t-token".into()), Auth::ClientCert] {
        let tmp = tempfile::tempdir().unwrap();
        let api = FakeApi::serve_tls(&[&fixture("healthy")], auth);
        assert!(api.url.starts_with("https://"));
        let k = kubeconfig(tmp.path(), &[("tls", Some(&api))]);
        let out = live(&k, &["-o", "short"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Status check results are √\n"
        );
    }
    // A wrong token is refused (401), which meshcert reports and does not retry.
    let tmp = tempfile::tempdir().unwrap();
    let api = FakeApi::serve_tls(&[&fixture("healthy")], Auth::Token("right".into()));
    let k = kubeconfig(tmp.path(), &[("tls", Some(&api))]);
    let text = std::fs::read_to_string(&k)
        .unwrap()
        .replace("\"right\"", "\"wrong\"");
    std::fs::write(&k, text).unwrap();
    let out = live(&k, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
}

#[test]
fn no_kubeconfig_and_no_cluster_is_a_clear_error() {
    let out = meshcert(&["check", "--at", AT]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no kubeconfig found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn several_clusters_in_one_run_one_of_them_down() {
    let tmp = tempfile::tempdir().unwrap();
    let (_apis, k) = prod_staging_lab(tmp.path(), "proxy-injector-expired");
    let k = k.to_str().unwrap();

    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k,
        "--context",
        "prod",
        "--context",
        "lab",
        "--context",
        "staging",
        "--at",
        AT,
        "-o",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the worst of all clusters: one could not be read"
    );
    let report = json(&out);
    assert_eq!(report["success"], false);
    let clusters = report["clusters"].as_array().unwrap();
    let contexts: Vec<&str> = clusters
        .iter()
        .map(|c| c["context"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["prod", "lab", "staging"]);
    assert_eq!(clusters[0]["success"], true);
    assert_eq!(clusters[0]["categories"].as_array().unwrap().len(), 4);
    assert_eq!(clusters[1]["success"], false);
    assert!(
        clusters[1]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach the API server"),
        "{}",
        clusters[1]
    );
    assert_eq!(clusters[2]["success"], false);
    assert_eq!(
        result(&clusters[2], "l5d-proxy-injector-webhook-cert-valid")["result"],
        "error"
    );

    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k,
        "--all-contexts",
        "--at",
        AT,
        "-o",
        "short",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "Cluster prod\n============\nStatus check results are √\n\nCluster staging\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Cluster lab\n===========\n× could not be read: cannot reach the API server"),
        "{text}"
    );
    assert!(
        text.ends_with("Clusters checked: 3; failed: 2 (staging, lab); could not be read: 1\n"),
        "{text}"
    );

    // Two reachable clusters: the exit code is the worst of them.
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k,
        "--context",
        "prod",
        "--context",
        "staging",
        "--at",
        AT,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k,
        "--context",
        "prod",
        "--at",
        AT,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        json(&out).get("clusters").is_none(),
        "one context keeps the single-cluster shape"
    );
}

/// `meshcert rotation --at AT -o json` reading `flag path` (`--kubeconfig` or `--from`).
fn rotation_json(flag: &str, path: &Path) -> Output {
    meshcert(&[
        "rotation",
        "--at",
        AT,
        flag,
        path.to_str().unwrap(),
        "-o",
        "json",
    ])
}

#[test]
fn rotation_live_gives_the_offline_assessment_and_reads_many_clusters() {
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("source");
        v
    };
    for scenario in [
        "rotation-bundle-deployed",
        "rotation-issuer-deployed",
        "rotation-done",
        "rotation-anchor-removed-early",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(scenario), tmp.path());
        let online = rotation_json("--kubeconfig", &k);
        let offline = rotation_json("--from", &fixture(scenario));
        assert_eq!(online.status.code(), offline.status.code(), "{scenario}");
        assert_eq!(strip(json(&online)), strip(json(&offline)), "{scenario}");
    }
    // Through a snapshot: pods keep their creation time, so the stage survives.
    let tmp = tempfile::tempdir().unwrap();
    let (_api, k) = serve(&fixture("rotation-issuer-deployed"), tmp.path());
    let snap = tmp.path().join("snap");
    let k = k.to_str().unwrap();
    let written = meshcert(&[
        "snapshot",
        "--kubeconfig",
        k,
        "--out",
        snap.to_str().unwrap(),
    ]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let online = rotation_json("--kubeconfig", Path::new(k));
    let offline = rotation_json("--from", &snap);
    assert_eq!(strip(json(&offline)), strip(json(&online)));
    assert_eq!(json(&offline)["stage"], "issuer-deployed");

    // Several contexts: one section each; an unreachable one is an error entry and exit 2.
    let tmp = tempfile::tempdir().unwrap();
    let (_apis, k) = prod_staging_lab(tmp.path(), "rotation-issuer-ahead");
    let k = k.to_str().unwrap();
    let out = meshcert(&[
        "rotation",
        "--at",
        AT,
        "--kubeconfig",
        k,
        "--all-contexts",
        "--timeout",
        "5s",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let clusters = json(&out)["clusters"].as_array().unwrap().clone();
    let by_context: std::collections::BTreeMap<&str, &Value> = clusters
        .iter()
        .map(|c| (c["context"].as_str().unwrap(), c))
        .collect();
    assert_eq!(by_context["prod"]["stage"], "before");
    assert_eq!(by_context["staging"]["stage"], "issuer-ahead-of-proxies");
    assert!(
        by_context["lab"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach the API server"),
        "{}",
        by_context["lab"]
    );
    let out = meshcert(&[
        "rotation",
        "--at",
        AT,
        "--kubeconfig",
        k,
        "--context",
        "prod",
        "--context",
        "staging",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the dangerous cluster fails the run"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("=== cluster prod ===\n\ntrust-anchor rotation\n"),
        "{text}"
    );
    assert!(text.contains("=== cluster staging ===\n"), "{text}");
    assert!(text.contains("stage: issuer-ahead-of-proxies\n"), "{text}");
}

#[test]
fn a_snapshot_checked_offline_gives_the_live_report() {
    for scenario in [
        "healthy",
        "issuer-key-mismatch",
        "missing-issuer-secret",
        "external-issuer",
        "legacy-secrets",
        "policy-validator-absent",
        "viz-tap-expired",
        "dataplane-stale",
        "dataplane-rotation",
        "dataplane-unparseable",
        "cert-manager-renewing",
        "cert-manager-stalled",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(scenario), tmp.path());
        let out_dir = tmp.path().join("snap");
        let snap = meshcert(&[
            "snapshot",
            "--kubeconfig",
            k.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(snap.status.code(), Some(0), "{scenario}: {}", stderr(&snap));
        assert!(
            stderr(&snap).contains("meshcert: wrote "),
            "{}",
            stderr(&snap)
        );
        let online = json(&live(&k, &["-o", "json"]));
        let offline = json(&meshcert(&[
            "check",
            "--from",
            out_dir.to_str().unwrap(),
            "--at",
            AT,
            "-o",
            "json",
        ]));
        let strip = |mut v: Value| {
            v.as_object_mut().unwrap().remove("source");
            v
        };
        assert_eq!(
            strip(offline),
            strip(online),
            "{scenario}: the snapshot's report differs from the live one"
        );
    }
}

#[test]
fn snapshots_hold_no_private_key_material() {
    let tmp = tempfile::tempdir().unwrap();
    let (_api, k) = serve(&fixture("healthy"), tmp.path());
    let out_dir = tmp.path().join("snap");
    let snap = meshcert(&[
        "snapshot",
        "--kubeconfig",
        k.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(snap.status.code(), Some(0), "{}", stderr(&snap));
    let written: String = ["objects.yaml", "pods.json"]
        .iter()
        .map(|f| std::fs::read_to_string(out_dir.join(f)).unwrap())
        .collect();
    // The healthy scenario's issuer key is fixtures/pem/healthy/issuer.key.
    let key = std::fs::read_to_string(fixture("pem/healthy/issuer.key")).unwrap();
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    assert!(
        written.contains(&b64(&std::fs::read_to_string(fixture(
            "pem/healthy/issuer.crt"
        ))
        .unwrap())),
        "certificates are kept"
    );
    assert!(!written.contains("PRIVATE KEY"));
    assert!(
        !written.contains(&b64(&key)[..40]),
        "the Secret's base64 of the key"
    );
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!written.contains(line), "a line of the key's PEM body");
    }
    // The markers decode to no key either.
    for token in written.split(['"', ' ', '\n']).filter(|t| t.len() > 40) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(token) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("PRIVATE KEY"), "{text}");
            for line in key.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(line));
            }
        }
    }
}

#[test]
fn clusters_are_read_concurrently() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let slow = std::time::Duration::from_millis(2000);
    let a = FakeApi::serve(&[&fixture("healthy")]);
    let b = FakeApi::serve(&[&fixture("healthy")]);
    a.fault_with_delay("/api/v1/pods", 200, usize::MAX, slow);
    b.fault_with_delay("/api/v1/pods", 200, usize::MAX, slow);
    let k = kubeconfig(tmp.path(), &[("a", Some(&a)), ("b", Some(&b))]);
    let started = std::time::Instant::now();
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k.to_str().unwrap(),
        "--all-contexts",
        "--at",
        AT,
        "-o",
        "short",
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Read one after the other, the two 2-second pod lists would take at least 4 seconds.
    assert!(took < std::time::Duration::from_millis(3900), "{took:?}");
}

#[test]
fn pushes_group_by_cluster_and_several_clusters_label_their_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let (_apis, k) = prod_staging_lab(tmp.path(), "dataplane-stale");
    let (url, seen) = fake_api::fake_pushgateway();
    let out = live(
        &k,
        &["--all-contexts", "--push-gateway", &url, "-o", "prometheus"],
    );
    assert_eq!(out.status.code(), Some(2), "lab could not be read");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("meshcert_run_success{cluster=\"prod\"} 1\n"),
        "{text}"
    );
    assert!(
        // Its stale proxies cannot verify the current issuer's certificates.
        text.contains("meshcert_run_success{cluster=\"staging\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("meshcert_run_success{cluster=\"lab\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("meshcert_data_plane_stale_proxies{cluster=\"staging\"} 2\n"),
        "{text}"
    );
    let mut pushes: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(line, _)| line.clone())
        .collect();
    pushes.sort();
    assert_eq!(
        pushes,
        [
            "PUT /metrics/job/meshcert/cluster/lab HTTP/1.1",
            "PUT /metrics/job/meshcert/cluster/prod HTTP/1.1",
            "PUT /metrics/job/meshcert/cluster/staging HTTP/1.1",
        ]
    );
    let bodies = seen.lock().unwrap().clone();
    let prod = &bodies
        .iter()
        .find(|(l, _)| l.contains("/cluster/prod"))
        .unwrap()
        .1;
    assert!(
        prod.contains("meshcert_run_success 1\n") && !prod.contains("cluster="),
        "the grouping key names the cluster: {prod}"
    );

    let xml =
        String::from_utf8_lossy(&live(&k, &["--all-contexts", "-o", "junit"]).stdout).into_owned();
    assert!(
        xml.contains("<testsuite name=\"prod/linkerd-identity\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"lab\" name=\"cluster can be read\">"),
        "{xml}"
    );
}

// --- deploy/: the RBAC allows exactly what a run reads ---

mod rbac {
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
    }

    fn typed<T: serde::de::DeserializeOwned>(doc: Value, what: &str) -> T {
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Every manifest of deploy/, as k8s-openapi types.
    pub fn load(dir: &std::path::Path) -> Deploy {
        let mut d = Deploy::default();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
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
                    "Namespace" => {}
                    other => panic!("{}: unexpected kind {other}", path.display()),
                }
            }
        }
        d
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

    pub fn attributes(request: &str) -> Attr {
        let path = request
            .strip_prefix("GET ")
            .unwrap()
            .split('?')
            .next()
            .unwrap();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (group, rest) = match parts.as_slice() {
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
            _ => panic!("unexpected path {path}"),
        };
        Attr {
            verb,
            group,
            resource,
            namespace,
            name,
        }
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
    let attrs: Vec<rbac::Attr> = requests.iter().map(|r| rbac::attributes(r)).collect();
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
fn misbehaving_api_answers_end_with_a_clear_error_and_no_hang() {
    let _serial = serial();
    let run = |setup: &dyn Fn(&FakeApi)| {
        let tmp = tempfile::tempdir().unwrap();
        let (api, k) = serve(&fixture("healthy"), tmp.path());
        setup(&api);
        let started = std::time::Instant::now();
        let out = meshcert(&[
            "check",
            "--kubeconfig",
            k.to_str().unwrap(),
            "--at",
            AT,
            "--timeout",
            "3s",
            "-o",
            "json",
        ]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        out
    };
    let config = "/api/v1/namespaces/linkerd/configmaps/linkerd-config";

    // Invalid JSON in a 200: exit 2 naming the request.
    let out = run(&|api| api.answer(config, 200, usize::MAX, "{not json", false));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("the API server (GET {config}): invalid JSON")),
        "{}",
        stderr(&out)
    );

    // A truncated body is retried, then given up within --timeout.
    let out = run(&|api| api.answer(config, 200, usize::MAX, "{\"kind\":\"ConfigMap\"", true));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("gave up after"), "{}", stderr(&out));
    // …and recovered from when it happens once.
    let out = run(&|api| api.answer(config, 200, 1, "{\"kind\":\"ConfigMap\"", true));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A continue token that loops.
    let looping =
        r#"{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"again"},"items":[]}"#;
    let out = run(&|api| api.answer("/api/v1/pods", 200, usize::MAX, looping, false));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("returned the same continue token twice"),
        "{}",
        stderr(&out)
    );

    // A 200 carrying a Status: a 500 in it is retried like a 500, a 403 is a forbidden object.
    let status = |code: u16| {
        format!(
            r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"from a proxy","code":{code}}}"#
        )
    };
    let out = run(&|api| api.answer(config, 200, 2, &status(500), false));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&|api| {
        api.answer(
            "/api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer",
            200,
            usize::MAX,
            &status(403),
            false,
        )
    });
    assert_eq!(out.status.code(), Some(1));
    assert!(
        result(&json(&out), "l5d-identity-cert-config-valid")["error"]
            .as_str()
            .unwrap()
            .contains("forbidden (from a proxy)")
    );
    let out = run(&|api| api.answer(config, 200, usize::MAX, &status(401), false));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("answered 200 with a Status 401: from a proxy"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_live_output_log_or_snapshot_contains_private_key_material() {
    let forms = fake_api::key_material();
    let tmp = tempfile::tempdir().unwrap();
    let a = FakeApi::serve(&[&fixture("healthy")]);
    let b = FakeApi::serve(&[&fixture("issuer-key-mismatch")]);
    let k = kubeconfig(tmp.path(), &[("a", Some(&a)), ("b", Some(&b))]);
    let k = k.to_str().unwrap();
    let mut texts = Vec::new();
    for format in ["table", "short", "json", "junit", "prometheus"] {
        for contexts in [vec!["--context", "b"], vec!["--all-contexts"]] {
            let mut args = vec!["check", "--kubeconfig", k, "--at", AT, "-v", "-o", format];
            args.extend(contexts);
            let out = meshcert(&args);
            texts.push(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            ));
        }
    }
    for format in ["table", "json"] {
        let out = meshcert(&[
            "rotation",
            "--at",
            AT,
            "--kubeconfig",
            k,
            "--all-contexts",
            "-v",
            "-o",
            format,
        ]);
        texts.push(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        ));
    }
    let snap_dir = tmp.path().join("snap");
    let out = meshcert(&[
        "snapshot",
        "--kubeconfig",
        k,
        "--context",
        "b",
        "-v",
        "--out",
        snap_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    texts.push(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    ));
    for file in ["objects.yaml", "pods.json"] {
        texts.push(std::fs::read_to_string(snap_dir.join(file)).unwrap());
    }
    assert!(
        texts.iter().any(|t| t
            .contains("meshcert: GET /api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer")),
        "-v logs the requests"
    );
    for text in &texts {
        fake_api::assert_no_key_material(text, &forms);
    }
}
