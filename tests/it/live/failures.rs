//! RBAC refusals as data, retries, deadlines, unreachable servers and misbehaving answers.

use super::*;
use crate::common::report;

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

/// `meshcert check --timeout TIMEOUT` (and `extra`) against the kubeconfig, and how long it took.
fn check_with_timeout(
    k: &std::path::Path,
    timeout: &str,
    extra: &[&str],
) -> (std::process::Output, std::time::Duration) {
    let started = std::time::Instant::now();
    let mut args = vec![
        "check",
        "--kubeconfig",
        k.to_str().unwrap(),
        "--at",
        AT,
        "--timeout",
        timeout,
    ];
    args.extend_from_slice(extra);
    let out = meshcert(&args);
    (out, started.elapsed())
}

#[test]
fn a_server_that_keeps_failing_or_stalls_ends_the_run_within_the_timeout() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    api.fault("/api/v1/namespaces/linkerd/configmaps/", 503, usize::MAX);
    let (out, took) = check_with_timeout(&k, "2s", &["-o", "json"]);
    assert!(took < std::time::Duration::from_secs(8), "{took:?}");
    // A persistent 5xx on an object counts like a 403: the checks that need it fail with the
    // reason, the rest of the cluster is reported, and the run is not an error.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let config = result(&report, "l5d-identity-cert-config-valid");
    let error = config["error"].as_str().unwrap();
    assert!(
        error.contains("ConfigMap linkerd/linkerd-config")
            && error.contains("the API server kept failing (GET /api/v1/namespaces/linkerd/configmaps/linkerd-config: gave up after")
            && error.contains("503"),
        "{config}"
    );
    assert_eq!(
        result(&report, "l5d-proxy-injector-webhook-cert-valid")["result"],
        "success"
    );
    // On the pod list: the data-plane check says so.
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("dataplane-stale"), tmp.path());
    api.fault("/api/v1/pods", 500, usize::MAX);
    let (out, _) = check_with_timeout(&k, "2s", &["-o", "json"]);
    // A warning, as that check's 403 is: nothing else fails here.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dp = result(
        &json(&out),
        "l5d-identity-data-plane-proxies-certs-match-ca",
    )
    .clone();
    assert_eq!(dp["result"], "warning");
    assert!(
        dp["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot list meshed pods: the API server kept failing (GET /api/v1/pods?"),
        "{dp}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("healthy"), tmp.path());
    api.fault_with_delay(
        "/api/v1/pods",
        200,
        usize::MAX,
        std::time::Duration::from_secs(30),
    );
    let (out, took) = check_with_timeout(&k, "2s", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < std::time::Duration::from_secs(8), "{took:?}");
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
    // With -o json the document says so too, for a pipeline that reads only the JSON.
    let out = live(&k, &["-o", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let doc = json(&out);
    let why = stderr(&out)
        .strip_prefix("meshcert: error: ")
        .unwrap()
        .trim_end()
        .to_string();
    assert_eq!(
        doc,
        serde_json::json!({"success": false, "context": "down", "error": why})
    );
    assert!(
        why.starts_with("cannot reach the API server http://127.0.0.1:"),
        "{why}"
    );
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
fn misbehaving_api_answers_end_with_a_clear_error_and_no_hang() {
    let _serial = serial();
    let run = |setup: &dyn Fn(&FakeApi)| {
        let tmp = tempfile::tempdir().unwrap();
        let (api, k) = serve(&fixture("healthy"), tmp.path());
        setup(&api);
        let (out, took) = check_with_timeout(&k, "3s", &["-o", "json"]);
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
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

/// dataplane-stale live in pages of 2, the first `times` continued pages answered 410 Expired:
/// the fake server, the live run, and the offline run of the same objects.
fn expiring_pod_list(times: usize) -> (FakeApi, Output, Output) {
    let tmp = tempfile::tempdir().unwrap();
    let (api, k) = serve(&fixture("dataplane-stale"), tmp.path());
    api.fault(
        "/api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns&limit=2&continue=",
        410,
        times,
    );
    let out = live(&k, &["-o", "json", "--page-size", "2"]);
    (api, out, check_json_from(&fixture("dataplane-stale")))
}

#[test]
fn an_expired_continue_token_lists_again_from_the_start() {
    let (api, out, offline) = expiring_pod_list(1);
    assert_eq!(out.status.code(), offline.status.code(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(
            "meshcert: listing pods: the continue token expired after 1 pages (410: The provided continue parameter is too old"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(report(&out, "live"), report(&offline, "offline"));
    // The first page, the expired one, then every page again.
    let pages = api
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET /api/v1/pods?"))
        .count();
    let pods = 9;
    assert_eq!(pages, 2 + usize::div_ceil(pods, 2), "{:#?}", api.requests());
}

#[test]
fn a_list_that_keeps_expiring_ends_in_one_unpaginated_answer() {
    // etcd compacted under every continued page: three paged attempts expire, the fourth asks
    // for the whole list at once, as client-go's pager does.
    let (api, out, offline) = expiring_pod_list(usize::MAX);
    assert_eq!(out.status.code(), offline.status.code(), "{}", stderr(&out));
    assert!(
        stderr(&out).ends_with("; listing again in one answer\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(report(&out, "live"), report(&offline, "offline"));
    let pod_lists: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET /api/v1/pods?"))
        .collect();
    assert_eq!(
        pod_lists.last().map(String::as_str),
        Some("GET /api/v1/pods?labelSelector=linkerd.io%2Fcontrol-plane-ns"),
        "{pod_lists:#?}"
    );
    assert_eq!(pod_lists.len(), 3 * 2 + 1, "{pod_lists:#?}");
}
