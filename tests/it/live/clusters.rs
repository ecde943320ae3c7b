//! TLS and credentials, several clusters in one run, read concurrently, and their metrics.

use super::*;

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
    assert!(
        stderr(&out).starts_with(&format!(
            "meshcert: error: the API server {} (context tls) does not accept the credentials: 401 ",
            api.url
        )) && stderr(&out).ends_with(
            "; the token or client certificate is expired, revoked or for another cluster\n"
        ),
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
    assert_eq!(clusters[0]["categories"].as_array().unwrap().len(), 5);
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
    let Some((_gateway, addr)) = crate::programs::pushgateway() else {
        return;
    };
    let url = format!("http://{addr}");
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
    // One group per cluster on the real Pushgateway, the cluster in the grouping key.
    let groups = crate::programs::pushgateway_groups(&addr);
    let by_cluster = |name: &str| {
        groups
            .iter()
            .find(|g| g["labels"]["cluster"] == name)
            .unwrap_or_else(|| panic!("no group for {name}: {groups:?}"))
    };
    assert_eq!(groups.len(), 3, "{groups:?}");
    let value = crate::programs::group_value;
    assert_eq!(value(by_cluster("prod"), "meshcert_run_success"), "1");
    assert_eq!(value(by_cluster("prod"), "meshcert_cluster_up"), "1");
    assert_eq!(value(by_cluster("staging"), "meshcert_run_success"), "0");
    assert_eq!(
        value(by_cluster("staging"), "meshcert_data_plane_stale_proxies"),
        "2"
    );
    // lab could not be read: its group says so, and holds no check results.
    let lab = by_cluster("lab");
    assert_eq!(value(lab, "meshcert_run_success"), "0");
    assert_eq!(value(lab, "meshcert_cluster_up"), "0");
    assert!(lab.get("meshcert_check_result").is_none(), "{lab}");

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

#[test]
fn parallel_bounds_how_many_clusters_are_read_at_once_and_reads_them_all() {
    let tmp = tempfile::tempdir().unwrap();
    let (_apis, k) = prod_staging_lab(tmp.path(), "dataplane-stale");
    let k = k.to_str().unwrap();
    let json_with = |parallel: &str| {
        let out = meshcert(&[
            "check",
            "--kubeconfig",
            k,
            "--all-contexts",
            "--at",
            AT,
            "-o",
            "json",
            "--parallel",
            parallel,
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        json(&out)
    };
    // One at a time or all at once, the same clusters in the same order with the same results.
    let one = json_with("1");
    assert_eq!(one, json_with("64"));
    let contexts: Vec<&str> = one["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["context"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["prod", "staging", "lab"]);
    // Not a terminal: no progress line on stderr.
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
    assert!(!stderr(&out).contains("clusters: "), "{}", stderr(&out));
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k,
        "--all-contexts",
        "--parallel",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_terminal_gets_a_fleet_progress_line() {
    // `script` (util-linux) runs meshcert with its output on a pseudo-terminal.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("script not found: progress-line test skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (_apis, k) = prod_staging_lab(tmp.path(), "dataplane-stale");
    let command = format!(
        "{} check --kubeconfig {} --all-contexts --at {AT} -o short",
        env!("CARGO_BIN_EXE_meshcert"),
        k.display()
    );
    let out = crate::common::clean_env(&mut std::process::Command::new("script"))
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("clusters: 3/3 done, 1 failed"), "{text}");
}
