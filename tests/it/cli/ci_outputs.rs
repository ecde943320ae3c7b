//! JUnit, Prometheus, extra reports, the Pushgateway, the policy file, `--skip`/`--only` and MESHCERT_* variables.

use super::*;

#[test]
fn fail_on_warning_turns_warnings_into_a_failing_run() {
    let out = check_from("expiring-soon", &["--fail-on", "warning", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["success"], false);
    let table = check_from("expiring-soon", &["--fail-on", "warning"]);
    assert_eq!(table.status.code(), Some(1));
    assert!(stdout(&table).ends_with("Status check results are ×\n"));
    // Nothing to warn about: still green.
    assert_eq!(
        check_from("healthy", &["--fail-on", "warning"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn junit_reports_failures_warnings_and_skips_as_ci_systems_expect() {
    let healthy = stdout(&check_from("healthy", &["-o", "junit"]));
    assert!(healthy.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"meshcert\" tests=\"24\" failures=\"0\" errors=\"0\" skipped=\"5\""), "{healthy}");
    let counts = xml_elements(&healthy);
    assert_eq!((counts["testsuite"], counts["testcase"]), (5, 24));
    assert!(!counts.contains_key("failure"));

    let out = check_from("expired-anchor", &["-o", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    assert_eq!(
        xml_elements(&xml)["failure"],
        2,
        "two errors; the warning passes with system-out"
    );
    assert!(xml.contains("<failure type=\"error\" message=\"Invalid anchors:\">Invalid anchors:\n\t* 1 root.linkerd.cluster.local not valid anymore. Expired on 2026-01-01T00:00:00Z\nsee https://linkerd.io/2/checks/#l5d-identity-trustAnchors-are-time-valid for hints</failure>"), "{xml}");
    assert!(xml.contains("<testcase classname=\"linkerd-identity\" name=\"trust anchors are valid for at least 60 days\" file=\"l5d-identity-trustAnchors-not-expiring-soon\">\n      <system-out>warning: Anchors expiring soon:"), "{xml}");
    // The x509 error quotes: escaped.
    assert!(
        xml.contains("x509: certificate has expired or is not yet valid: current time 2026-11-22T12:00:00Z is after 2026-01-01T00:00:00Z - Current Time"),
        "{xml}"
    );

    let xml = stdout(&check_from(
        "expiring-soon",
        &["-o", "junit", "--fail-on", "warning"],
    ));
    let counts = xml_elements(&xml);
    assert_eq!(counts["failure"], 2);
    assert!(xml.contains("<failure type=\"warning\""), "{xml}");

    let xml = stdout(&check_from("missing-issuer-secret", &["-o", "junit"]));
    // 7, the 3 runtime checks without evidence in a fixture, and the 2 trust-manager checks.
    assert_eq!(xml_elements(&xml)["skipped"], 12);
    assert!(xml.contains("skipped=\"12\""));
}

#[test]
fn prometheus_exposition_parses_and_carries_results_and_expiries() {
    let text = stdout(&check_from("expiring-soon", &["-o", "prometheus"]));
    for metric in [
        "meshcert_check_result",
        "meshcert_certificate_expiry_timestamp_seconds",
        "meshcert_data_plane_stale_proxies",
        "meshcert_last_run_timestamp_seconds",
        "meshcert_run_success",
    ] {
        assert!(
            text.contains(&format!("# HELP {metric} "))
                && text.contains(&format!("# TYPE {metric} gauge")),
            "{metric}"
        );
    }
    let s = scrape(&text);
    let soon = [("check", A_SOON), ("category", "linkerd-identity")];
    assert_eq!(
        gauge(
            sample(
                &s,
                "meshcert_check_result",
                &[soon[0], soon[1], ("result", "warning")]
            )
            .unwrap()
        ),
        1.0
    );
    assert_eq!(
        gauge(
            sample(
                &s,
                "meshcert_check_result",
                &[soon[0], ("result", "success")]
            )
            .unwrap()
        ),
        0.0
    );
    assert_eq!(
        s.iter()
            .filter(|x| x.metric == "meshcert_check_result")
            .count(),
        24 * 4
    );
    let anchor = sample(
        &s,
        "meshcert_certificate_expiry_timestamp_seconds",
        &[("role", "trust-anchor")],
    )
    .unwrap();
    assert_eq!(gauge(anchor), 1_797_940_800.0, "2026-12-22T12:00:00Z");
    assert_eq!(anchor.labels["namespace"], "linkerd");
    assert_eq!(anchor.labels["object"], "ConfigMap/linkerd-config");
    assert_eq!(anchor.labels["key"], "values:identityTrustAnchorsPEM");
    assert_eq!(anchor.labels["subject"], "CN=root.linkerd.cluster.local");
    assert_eq!(anchor.labels["serial"], "1");
    let issuer = sample(
        &s,
        "meshcert_certificate_expiry_timestamp_seconds",
        &[("role", "issuer")],
    )
    .unwrap();
    assert_eq!(issuer.labels["object"], "Secret/linkerd-identity-issuer");
    for role in ["serving", "ca-bundle"] {
        assert!(
            sample(
                &s,
                "meshcert_certificate_expiry_timestamp_seconds",
                &[("role", role)]
            )
            .is_some(),
            "{role}"
        );
    }
    assert_eq!(gauge(sample(&s, "meshcert_run_success", &[]).unwrap()), 1.0);
    assert_eq!(
        gauge(sample(&s, "meshcert_last_run_timestamp_seconds", &[]).unwrap()),
        1_795_348_800.0,
        "the --at instant"
    );
    assert_eq!(
        gauge(sample(&s, "meshcert_data_plane_stale_proxies", &[]).unwrap()),
        0.0
    );

    let s = scrape(&stdout(&check_from("healthy", &["-o", "prometheus"])));
    assert_eq!(gauge(sample(&s, "meshcert_run_success", &[]).unwrap()), 1.0);
    assert!(
        s.iter()
            .filter(|x| x.metric == "meshcert_check_result" && x.value == 1.0)
            .all(|x| x.labels["result"]
                == if x.labels["category"] == "meshcert-runtime"
                    || x.labels["check"] == "meshcert-external-ca-for-trust-manager"
                    || x.labels["check"] == "meshcert-trust-manager-distributes-bundle"
                {
                    "skipped" // no runtime evidence, no trust-manager in the fixture
                } else {
                    "success"
                })
    );
    let s = scrape(&stdout(&check_from(
        "dataplane-stale",
        &["-o", "prometheus"],
    )));
    assert_eq!(
        gauge(sample(&s, "meshcert_data_plane_stale_proxies", &[]).unwrap()),
        2.0
    );
    let s = scrape(&stdout(&check_from(
        "expired-anchor",
        &["-o", "prometheus"],
    )));
    assert_eq!(gauge(sample(&s, "meshcert_run_success", &[]).unwrap()), 0.0);
    assert_eq!(
        gauge(
            sample(
                &s,
                "meshcert_check_result",
                &[("check", A_TIME), ("result", "error")]
            )
            .unwrap()
        ),
        1.0
    );
}

#[test]
fn one_run_writes_extra_reports_identical_to_their_own_runs() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("out.xml");
    let prom = dir.path().join("metrics.prom");
    let json = dir.path().join("report.json");
    let out = check_from(
        "expired-anchor",
        &[
            "--report",
            &format!("junit={}", junit.display()),
            "--report",
            &format!("prometheus={}", prom.display()),
            "--report",
            &format!("json={}", json.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("linkerd-identity\n"),
        "the table still goes to stdout"
    );
    for (file, format) in [(&junit, "junit"), (&prom, "prometheus"), (&json, "json")] {
        let written = std::fs::read_to_string(file).unwrap();
        assert_eq!(
            written,
            stdout(&check_from("expired-anchor", &["-o", format])),
            "{format}"
        );
    }
    for bad in ["xml=a", "junit=", "junit"] {
        let out = check_from("healthy", &["--report", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn metrics_are_pushed_to_a_pushgateway() {
    let Some((_gateway, addr)) = crate::programs::pushgateway() else {
        return;
    };
    let out = check_from(
        "healthy",
        &["--push-gateway", &format!("http://{addr}"), "-o", "short"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Files have no cluster: one group, job meshcert alone, with every family of -o prometheus.
    let groups = crate::programs::pushgateway_groups(&addr);
    assert_eq!(groups.len(), 1, "{groups:?}");
    let group = &groups[0];
    assert_eq!(group["labels"], serde_json::json!({"job": "meshcert"}));
    let printed = stdout(&check_from("healthy", &["-o", "prometheus"]));
    for family in printed.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let name = family.split_whitespace().next().unwrap();
        assert!(group.get(name).is_some(), "{name} not pushed: {group}");
    }
    assert_eq!(
        crate::programs::group_value(group, "meshcert_run_success"),
        "1"
    );
    assert_eq!(
        group["meshcert_check_result"]["metrics"]
            .as_array()
            .unwrap()
            .len(),
        printed
            .lines()
            .filter(|l| l.starts_with("meshcert_check_result{"))
            .count()
    );
    // An unreachable gateway is an error after the report is printed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = check_from(
        "healthy",
        &[
            "--push-gateway",
            &format!("http://127.0.0.1:{port}"),
            "-o",
            "short",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "Status check results are √\n");
    assert!(
        stderr(&out).contains("cannot push metrics to http://127.0.0.1:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_policy_file_changes_margins_and_levels() {
    // expiring-soon: the anchor has 30 days left, the issuer 20.
    let f = policy_file(
        "[margins]\nissuer = \"10d\"\n[levels]\nl5d-identity-trustAnchors-not-expiring-soon = \"error\"\n",
    );
    let out = check_from(
        "expiring-soon",
        &["--config", f.path().to_str().unwrap(), "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the anchor warning is now an error"
    );
    let report = json_of(&out);
    assert_eq!(results(&report)[A_SOON], "error");
    assert_eq!(results(&report)[I_SOON], "success");
    assert_eq!(
        result_of(&report, I_SOON)["description"],
        "issuer cert is valid for at least 10 days"
    );
    assert_eq!(
        result_of(&report, A_SOON)["description"],
        "trust anchors are valid for at least 60 days"
    );

    // A share of the lifetime: 1% of two years is about a week.
    let out = check_from("expiring-soon", &["--min-validity", "1%", "-o", "json"]);
    let report = json_of(&out);
    assert_eq!(results(&report)[A_SOON], "success");
    assert_eq!(
        result_of(&report, A_SOON)["description"],
        "trust anchors are valid for at least 1% of lifetime"
    );
    assert_eq!(
        results(&json_of(&check_from(
            "expiring-soon",
            &["--min-validity", "33%", "-o", "json"]
        )))[A_SOON],
        "warning"
    );

    // Turned off: absent from the report.
    let f = policy_file("[levels]\nl5d-identity-data-plane-proxies-certs-match-ca = \"off\"\n");
    let report = json_of(&check_from(
        "dataplane-stale",
        &["--config", f.path().to_str().unwrap(), "-o", "json"],
    ));
    assert!(!results(&report).contains_key(DP));
}

#[test]
fn skip_only_and_environment_variables() {
    let report = json_of(&check_from(
        "expired-anchor",
        &["--skip", A_TIME, "--skip", I_SIGNED, "-o", "json"],
    ));
    assert!(!results(&report).contains_key(A_TIME) && !results(&report).contains_key(I_SIGNED));
    let report = json_of(&check_from(
        "expired-anchor",
        &["--only", "linkerd-webhooks-and-apisvc-tls", "-o", "json"],
    ));
    assert_eq!(category_names(&report), ["linkerd-webhooks-and-apisvc-tls"]);
    let out = meshcert_with_env(
        &[
            "check",
            "--from",
            "fixtures/expiring-soon",
            "--at",
            AT,
            "-o",
            "json",
        ],
        &[
            ("MESHCERT_FAIL_ON", "warning"),
            ("MESHCERT_MARGIN_ISSUER", "5d"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "MESHCERT_FAIL_ON=warning fails on the anchor warning"
    );
    assert_eq!(
        results(&json_of(&out))[I_SOON],
        "success",
        "MESHCERT_MARGIN_ISSUER=5d"
    );
    let out = check_from("healthy", &["--skip", "l5d-nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--skip: unknown check id \"l5d-nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn meshcert_toml_in_the_working_directory_is_read_and_a_bad_one_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("meshcert.toml"), "fail-on = \"warning\"\n").unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/expiring-soon");
    let run = |d: &Path| {
        crate::common::meshcert_in(
            d,
            &[
                "check",
                "--from",
                fixture.to_str().unwrap(),
                "--at",
                AT,
                "-o",
                "short",
            ],
            &[],
            None,
        )
    };
    // The file's fail-on turns expiring-soon's warnings into a failing run, and only that: the
    // same run without the file passes with the same report but for its status line.
    let with_file = run(dir.path());
    let elsewhere = tempfile::tempdir().unwrap();
    let without = run(elsewhere.path());
    assert_eq!(with_file.status.code(), Some(1), "{}", stderr(&with_file));
    assert_eq!(without.status.code(), Some(0), "{}", stderr(&without));
    assert!(stdout(&without).ends_with("\nStatus check results are √\n"));
    assert_eq!(
        stdout(&with_file),
        stdout(&without).replace("Status check results are √", "Status check results are ×")
    );
    assert!(stdout(&with_file).contains("‼"), "{}", stdout(&with_file));
    std::fs::write(
        dir.path().join("meshcert.toml"),
        "[margins]\nissuer = \"1d\"\nanchors = \"1d\"\n",
    )
    .unwrap();
    let out = run(dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "meshcert: error: meshcert.toml: line 3, column 1: unknown field `anchors`, expected one of `trust-anchors`, `issuer`, `webhooks`\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_exposition_parser_rejects_what_prometheus_rejects() {
    let ok = "# TYPE m gauge\nm{a=\"x=\\\"y\\\", z\"} 1\n";
    assert_eq!(scrape(ok)[0].labels["a"], "x=\"y\", z");
    for bad in [
        "m 1\n",
        "# TYPE m gauge\nm{a=x} 1\n",
        "# TYPE m gauge\nm{a=\"x} 1\n",
        "# TYPE m gauge\nm one\n",
        "# TYPE m meter\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| scrape(bad)).is_err(),
            "{bad:?} should not parse"
        );
    }
}

/// cert-manager's unattended renewal of the trust anchor, the same in every output: the JSON
/// details, the Prometheus family (for the alert rule), and the HTML timeline's mark on the
/// anchor's row.
#[test]
fn the_anchors_unattended_renewal_is_exported_in_json_prometheus_and_html() {
    let json = json_of(&check_from("trust-manager-external-ca", &["-o", "json"]));
    let check = json["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .find(|c| c["id"] == "meshcert-trust-anchor-not-renewed-unattended")
        .unwrap()
        .clone();
    assert_eq!(check["result"], "warning");
    let renewal = &check["details"]["renewal"];
    assert_eq!(renewal["renewalTime"], "2026-11-30T00:00:00Z");
    assert_eq!(
        renewal["certificate"],
        "Certificate cert-manager/linkerd-trust-anchor"
    );
    assert_eq!(renewal["rotationPolicy"], "Always");
    let fingerprint = renewal["sha256Fingerprint"].as_str().unwrap().to_string();

    let prom = stdout(&check_from(
        "trust-manager-external-ca",
        &["-o", "prometheus"],
    ));
    assert!(
        prom.contains("meshcert_trust_anchor_renewal_timestamp_seconds{certificate=\"Certificate cert-manager/linkerd-trust-anchor\",secret=\"Secret cert-manager/linkerd-trust-anchor\"} 1795996800\n"),
        "{prom}"
    );
    // Only where cert-manager renews the anchor.
    let healthy = stdout(&check_from("healthy", &["-o", "prometheus"]));
    assert!(!healthy.contains("meshcert_trust_anchor_renewal_timestamp_seconds"));

    let html = stdout(&check_from("trust-manager-external-ca", &["-o", "html"]));
    let row = html
        .find(&format!("data-fingerprint=\"{fingerprint}\""))
        .expect("the anchor's row");
    let mark = html
        .find("<line class=\"anchor-renewal\"")
        .expect("the renewal mark");
    assert!(mark > row, "the mark follows the rows");
    assert!(html.contains(
        "<title>Certificate cert-manager/linkerd-trust-anchor renews this anchor unattended at 2026-11-30T00:00:00Z (Certificate cert-manager/linkerd-trust-anchor status.renewalTime)</title>"
    ));
}
