//! `meshcert serve`, the alert rules, the dashboard and the Pushgateway, with the real programs:
//! Prometheus scrapes the exporter, promtool checks its metrics and unit-tests the rules, the
//! Pushgateway takes the pushes and gives the groups back.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{AT, fixture, meshcert, root, serial, stdout};
use crate::fake_api::{FakeApi, kubeconfig};
use crate::programs::{self, get, http, poll, series_value};

/// The metric names a metrics text declares (`# TYPE` lines).
fn families(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn check_prometheus(scenario: &str) -> String {
    let dir = format!("fixtures/{scenario}");
    let out = meshcert(&["check", "--from", &dir, "--at", AT, "-o", "prometheus"]);
    stdout(&out)
}

#[test]
fn serve_answers_metrics_health_and_readiness_and_nothing_else() {
    let serve = programs::serve(&[
        "--from",
        "fixtures/dataplane-stale",
        "--at",
        AT,
        "--interval",
        "1s",
    ]);
    assert_eq!(get(&serve.addr, "/healthz").status, 200);
    let metrics = serve.metrics_after(2);
    assert_eq!(get(&serve.addr, "/readyz").status, 200);
    // Every series of `check -o prometheus` over the same input, as it prints them.
    let once = check_prometheus("dataplane-stale");
    for line in once.lines() {
        assert!(
            metrics.contains(&format!("{line}\n")),
            "missing {line:?} in\n{metrics}"
        );
    }
    assert!(metrics.contains("meshcert_check_result{category=\"linkerd-identity-data-plane\",check=\"l5d-identity-data-plane-proxies-certs-match-ca\",result=\"warning\"} 1\n"));
    assert_eq!(series_value(&metrics, "meshcert_cluster_up"), Some(1.0));
    assert!(series_value(&metrics, "meshcert_run_duration_seconds").unwrap() > 0.0);
    // Its own families besides those of -o prometheus.
    let extra: Vec<String> = families(&metrics)
        .difference(&families(&once))
        .cloned()
        .collect();
    assert_eq!(
        extra,
        [
            "meshcert_read_errors_total",
            "meshcert_round_errors_total",
            "meshcert_rounds_total",
            "meshcert_run_duration_seconds"
        ]
    );
    for reason in ["panic", "unreadable", "exhausted"] {
        let series = format!("meshcert_round_errors_total{{reason=\"{reason}\"}}");
        assert_eq!(series_value(&metrics, &series), Some(0.0), "{series}");
    }
    // Nothing else is served.
    for path in [
        "/",
        "/metrics/",
        "/debug/pprof/",
        "/api/v1/metrics",
        "/fixtures/",
        "/..%2F..%2Fetc/passwd",
    ] {
        assert_eq!(get(&serve.addr, path).status, 404, "{path}");
    }
    let post = http(&serve.addr, "POST", "/metrics", Some("x 1\n")).unwrap();
    assert_eq!(post.status, 405);
}

#[test]
fn promtool_accepts_the_metrics_of_check_and_of_serve() {
    for scenario in ["healthy", "dataplane-stale", "expired-anchor"] {
        let text = check_prometheus(scenario);
        let Some((ok, said)) = programs::promtool(&["check", "metrics"], Some(&text)) else {
            return;
        };
        assert!(ok, "{scenario}: promtool check metrics:\n{said}\n{text}");
    }
    let serve = programs::serve(&["--from", "fixtures/healthy", "--at", AT, "--interval", "1s"]);
    let metrics = serve.metrics_after(1);
    let (ok, said) = programs::promtool(&["check", "metrics"], Some(&metrics)).unwrap();
    assert!(ok, "promtool check metrics on /metrics:\n{said}\n{metrics}");
}

#[test]
fn the_alert_rules_pass_promtool_check_and_their_unit_tests() {
    let Some((ok, said)) =
        programs::promtool(&["check", "rules", "deploy/prometheus/rules.yaml"], None)
    else {
        return;
    };
    assert!(ok, "{said}");
    assert!(said.contains("SUCCESS: 13 rules found"), "{said}");
    let (ok, said) = programs::promtool(
        &["test", "rules", "deploy/prometheus/rules.test.yaml"],
        None,
    )
    .unwrap();
    assert!(ok, "{said}");
    // Every alert of rules.yaml has a test that expects it to fire.
    let rules = std::fs::read_to_string(root().join("deploy/prometheus/rules.yaml")).unwrap();
    let tests = std::fs::read_to_string(root().join("deploy/prometheus/rules.test.yaml")).unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 13);
    for alert in alerts {
        let fires = tests.split("alertname: ").skip(1).any(|t| {
            t.starts_with(&format!("{alert}\n"))
                && t.lines().nth(1).is_some_and(|l| l.trim() == "exp_alerts:")
        });
        assert!(fires, "no test fires {alert}");
    }
}

/// Every PromQL expression of the Grafana dashboard (panels and the cluster variable).
fn dashboard_expressions() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("deploy/grafana/meshcert.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    assert!(dash["title"].is_string() && dash["uid"] == "meshcert");
    let mut exprs = Vec::new();
    for panel in dash["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push(target["expr"].as_str().unwrap().to_string());
        }
    }
    assert!(exprs.len() >= 8, "{exprs:?}");
    exprs
}

/// The metric names an expression selects: identifiers outside label matchers, strings, ranges
/// and grouping clauses that are not functions or keywords.
fn metric_names(expr: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 12] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "time",
    ];
    let mut names = BTreeSet::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut skip_group = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' || c == '[' || c == '"' {
            let close = match c {
                '{' => '}',
                '[' => ']',
                _ => '"',
            };
            i += 1;
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let rest: String = chars[i..].iter().collect();
            let rest = rest.trim_start();
            // A function call, or an aggregation with its grouping first (`min by (…) (…)`).
            let is_call = rest.starts_with('(')
                || rest.starts_with("by ")
                || rest.starts_with("by(")
                || rest.starts_with("without");
            if skip_group {
                // inside by (...)/without (...)
            } else if KEYWORDS.contains(&word.as_str()) {
                skip_group = matches!(word.as_str(), "by" | "without" | "on" | "ignoring");
                if skip_group {
                    // Skip to the closing parenthesis of the label list.
                    while i < chars.len() && chars[i] != ')' {
                        i += 1;
                    }
                    skip_group = false;
                }
            } else if !is_call {
                names.insert(word);
            }
            continue;
        }
        i += 1;
    }
    names
}

#[test]
fn the_dashboard_queries_only_metrics_meshcert_exports() {
    assert_eq!(
        metric_names(
            r#"sort((min by (cluster, role) (meshcert_x{cluster=~"$cluster"}) - time()) / 86400) or vector(0)"#
        ),
        BTreeSet::from(["meshcert_x".to_string()])
    );
    let serve = programs::serve(&["--from", "fixtures/healthy", "--at", AT, "--interval", "1s"]);
    let exported = families(&serve.metrics_after(1));
    for expr in dashboard_expressions() {
        let names = metric_names(&expr);
        assert!(!names.is_empty(), "{expr}");
        for name in names {
            assert!(
                exported.contains(&name),
                "{expr}: {name} is not a metric meshcert exports"
            );
        }
    }
    // The cluster variable lists the values of an exported metric's cluster label.
    let text = std::fs::read_to_string(root().join("deploy/grafana/meshcert.json")).unwrap();
    assert!(text.contains("label_values(meshcert_check_result, cluster)"));
}

/// Prometheus scraping `meshcert serve`: PromQL over its HTTP API returns the check and expiry
/// series, the rules load, and every dashboard query answers.
#[test]
fn prometheus_scrapes_serve_and_promql_returns_the_series() {
    let _serial = serial();
    if programs::require("prometheus", "prometheus").is_none() {
        return;
    }
    let serve = programs::serve_expiring_soon(&[]);
    serve.metrics_after(1);
    let tmp = tempfile::tempdir().unwrap();
    let (_prometheus, prom) = programs::prometheus(tmp.path(), &serve.addr).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while programs::query(&prom, "meshcert_cluster_up").is_empty() {
        assert!(Instant::now() < deadline, "Prometheus scraped nothing");
        std::thread::sleep(Duration::from_millis(250));
    }
    // The target is up, under job meshcert: Prometheus asks for OpenMetrics first, so this is
    // its own parser reading meshcert's OpenMetrics, counters included.
    let up = programs::query(&prom, r#"up{job="meshcert"}"#);
    assert_eq!(up[0]["value"][1], "1", "{up:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while programs::query(&prom, r#"meshcert_round_errors_total{reason="panic"}"#).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no counter read from the OpenMetrics form"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(!programs::query(&prom, "meshcert_rounds_total").is_empty());
    // The failing (warning) checks of the scenario, as the JSON report of the same run has them.
    let report: serde_json::Value = serde_json::from_str(&stdout(&meshcert(&[
        "check",
        "--from",
        "fixtures/expiring-soon",
        "--at",
        AT,
        "-o",
        "json",
    ])))
    .unwrap();
    let mut want: Vec<String> = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap().iter())
        .filter(|c| c["result"] == "warning")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    let mut got: Vec<String> =
        programs::query(&prom, r#"meshcert_check_result{result="warning"} == 1"#)
            .iter()
            .map(|s| s["metric"]["check"].as_str().unwrap().to_string())
            .collect();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // Expiry: the trust anchor's notAfter, as the JSON details give it.
    let anchor = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap().iter())
        .flat_map(|c| {
            c["details"]["certificates"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .find(|d| d["role"] == "trust-anchor" || d["role"] == "signing-trust-anchor")
        .unwrap();
    let not_after = chrono::DateTime::parse_from_rfc3339(anchor["notAfter"].as_str().unwrap())
        .unwrap()
        .timestamp();
    let expiry = programs::query(
        &prom,
        r#"meshcert_certificate_expiry_timestamp_seconds{role="trust-anchor"}"#,
    );
    assert_eq!(expiry[0]["value"][1], not_after.to_string(), "{expiry:?}");
    // The alert rules load and evaluate.
    let rules: serde_json::Value = serde_json::from_str(&get(&prom, "/api/v1/rules").body).unwrap();
    let groups = rules["data"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3, "{rules}");
    // Every dashboard query answers with data ($cluster as "All").
    for expr in dashboard_expressions() {
        let promql = expr.replace("$cluster", ".*");
        let result = programs::query(&prom, &promql);
        assert!(!result.is_empty(), "no data for {promql}");
    }
}

/// Reads `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn memory_stays_flat_across_twenty_rounds() {
    let _serial = serial();
    let serve = programs::serve(&[
        "--from",
        "fixtures/dataplane-stale",
        "--at",
        AT,
        "--interval",
        "1s",
    ]);
    let rounds = |text: &str| series_value(text, "meshcert_rounds_total").unwrap() as u64;
    let first = rounds(&serve.metrics_after(3));
    let before = rss_kib(serve.pid());
    let later = rounds(&serve.metrics_after(first + 20));
    let after = rss_kib(serve.pid());
    assert!(later >= first + 20);
    assert!(
        after <= before + 2048,
        "RSS grew from {before} KiB to {after} KiB over {} rounds",
        later - first
    );
}

#[test]
fn sigterm_stops_it_within_a_second_even_mid_round() {
    let tmp = tempfile::tempdir().unwrap();
    let api = FakeApi::serve(&[&fixture("healthy")]);
    let k = kubeconfig(tmp.path(), &[("prod", Some(&api))]);
    let mut serve = programs::serve(&[
        "--kubeconfig",
        k.to_str().unwrap(),
        "--at",
        AT,
        "--interval",
        "1s",
        "--timeout",
        "30s",
    ]);
    serve.metrics_after(1);
    // The next rounds hang on a slow pod list.
    api.fault_with_delay("/api/v1/pods", 200, usize::MAX, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &serve.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = serve.running.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still running");
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "stopped after {took:?}");
    assert_eq!(status.code(), Some(0), "{}", serve.running.stderr());
    serve.running.wait_stderr("the stop logged", |t| {
        t.contains("meshcert serve: stopping")
    });
}

/// The series of one cluster, minus the exporter's own and the up gauge.
fn cluster_series(text: &str, cluster: &str) -> Vec<String> {
    let label = format!("{{cluster=\"{cluster}\"");
    text.lines()
        .filter(|l| {
            l.contains(&label)
                && !l.starts_with("meshcert_cluster_up")
                && !l.starts_with("meshcert_read_errors_total")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn a_cluster_that_cannot_be_read_keeps_its_last_series_and_comes_back() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let prod = FakeApi::serve(&[&fixture("healthy")]);
    let k = kubeconfig(tmp.path(), &[("prod", Some(&prod)), ("lab", None)]);
    let mut serve = programs::serve(&[
        "--kubeconfig",
        k.to_str().unwrap(),
        "--all-contexts",
        "--at",
        AT,
        "--interval",
        "1s",
        "--timeout",
        "1s",
    ]);
    let first = serve.metrics_after(1);
    assert_eq!(
        series_value(&first, r#"meshcert_cluster_up{cluster="prod"}"#),
        Some(1.0)
    );
    assert_eq!(
        series_value(&first, r#"meshcert_cluster_up{cluster="lab"}"#),
        Some(0.0)
    );
    assert_eq!(
        series_value(&first, r#"meshcert_run_success{cluster="lab"}"#),
        Some(0.0)
    );
    let prod_series = cluster_series(&first, "prod");
    assert!(prod_series.len() > 20, "{first}");

    // prod stops answering in time for two requests: its rounds fail with a timeout.
    prod.fault_with_delay("/", 200, 2, Duration::from_secs(3));
    let down = poll(&serve.addr, "/metrics", "prod down", |a| {
        series_value(&a.body, r#"meshcert_cluster_up{cluster="prod"}"#) == Some(0.0)
    });
    assert_eq!(
        cluster_series(&down.body, "prod"),
        prod_series,
        "the last good series stay"
    );
    // The reason is logged (the log reader may trail the metrics by a moment).
    let log = serve.running.wait_stderr("prod's failure logged", |t| {
        t.contains("cluster prod: could not be read")
    });
    assert!(log.contains("cluster lab: could not be read"), "{log}");
    // Each failed read is counted for its cluster, with why: prod timed out, lab has no server.
    assert!(
        series_value(
            &down.body,
            r#"meshcert_read_errors_total{cluster="prod",reason="timeout"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{}",
        down.body
    );
    assert!(
        down.body
            .lines()
            .any(|l| l.starts_with(r#"meshcert_read_errors_total{cluster="lab",reason=""#)),
        "{}",
        down.body
    );
    // It retries, and prod comes back.
    let back = poll(&serve.addr, "/metrics", "prod back", |a| {
        series_value(&a.body, r#"meshcert_cluster_up{cluster="prod"}"#) == Some(1.0)
    });
    assert_eq!(cluster_series(&back.body, "prod"), prod_series);
    assert_eq!(get(&serve.addr, "/healthz").status, 200);
}

#[test]
fn files_that_disappear_fail_the_round_not_the_exporter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dump");
    copy_dir(&fixture("healthy"), &dir);
    let mut serve = programs::serve(&[
        "--from",
        dir.to_str().unwrap(),
        "--at",
        AT,
        "--interval",
        "1s",
    ]);
    let first = serve.metrics_after(1);
    assert_eq!(series_value(&first, "meshcert_cluster_up"), Some(1.0));
    let checks: Vec<&str> = first
        .lines()
        .filter(|l| l.starts_with("meshcert_check_result"))
        .collect();
    std::fs::rename(&dir, tmp.path().join("gone")).unwrap();
    let down = poll(&serve.addr, "/metrics", "files gone", |a| {
        series_value(&a.body, "meshcert_cluster_up") == Some(0.0)
    });
    let kept: Vec<&str> = down
        .body
        .lines()
        .filter(|l| l.starts_with("meshcert_check_result"))
        .collect();
    assert_eq!(kept, checks);
    serve.running.wait_stderr("the failure logged", |t| {
        t.contains("could not be read (keeping the last good series)")
    });
    std::fs::rename(tmp.path().join("gone"), &dir).unwrap();
    poll(&serve.addr, "/metrics", "files back", |a| {
        series_value(&a.body, "meshcert_cluster_up") == Some(1.0)
    });
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn serve_refuses_bad_flags_before_it_listens() {
    for (args, said) in [
        (
            vec!["serve", "--interval", "0s", "--from", "fixtures/healthy"],
            "interval \"0s\" is below the floor of 1s",
        ),
        (
            vec!["serve", "--interval", "999ms", "--from", "fixtures/healthy"],
            "interval \"999ms\" is below the floor of 1s",
        ),
        (
            vec![
                "serve",
                "--interval",
                "5 parsecs",
                "--from",
                "fixtures/healthy",
            ],
            "invalid interval",
        ),
        (
            vec!["serve", "--listen", "nowhere", "--from", "fixtures/healthy"],
            "invalid listen address \"nowhere\": expected HOST:PORT, [IPv6]:PORT or :PORT",
        ),
        (
            vec!["serve", "--listen", ":99999", "--from", "fixtures/healthy"],
            "invalid listen address",
        ),
    ] {
        let out = meshcert(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{args:?}"
        );
    }
    // A port in use is an error, not a silent exporter.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = meshcert(&["serve", "--listen", &addr, "--from", "fixtures/healthy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("cannot listen on {addr}")));
}

#[test]
fn serve_listens_on_a_bare_port_and_on_a_host_name() {
    for listen in [":{port}", "localhost:{port}"] {
        let port = programs::free_port();
        let listen = listen.replace("{port}", &port.to_string());
        let mut command = std::process::Command::new(crate::common::bin());
        crate::common::clean_env(&mut command)
            .current_dir(crate::common::root())
            .args([
                "serve",
                "--listen",
                &listen,
                "--from",
                "fixtures/healthy",
                "--at",
                AT,
            ]);
        let mut running = programs::Running::spawn(command);
        let said = running.wait_stderr("listening line", |t| t.contains("a round every"));
        let addr = format!("127.0.0.1:{port}");
        assert!(
            said.contains(&format!(":{port}/metrics")),
            "{listen}: {said}"
        );
        let answer = programs::poll(&addr, "/readyz", "readiness", |a| a.status == 200);
        assert_eq!(answer.body, "ready\n", "{listen}");
    }
}

/// Context names as EKS, GKE and AKS write them, pushed to a real Pushgateway and read back.
#[test]
fn pushes_reach_a_real_pushgateway_under_cloud_context_names() {
    let Some((_gateway, addr)) = programs::pushgateway() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let api = FakeApi::serve(&[&fixture("healthy")]);
    let names = [
        "arn:aws:eks:eu-west-1:123456789012:cluster/prod",
        "gke_my-project_europe-west1-b_prod",
        "prod-aks-admin",
        "kind kind/with space",
    ];
    let servers: Vec<(&str, Option<&FakeApi>)> = names.iter().map(|n| (*n, Some(&api))).collect();
    let k = kubeconfig(tmp.path(), &servers);
    let out = meshcert(&[
        "check",
        "--kubeconfig",
        k.to_str().unwrap(),
        "--all-contexts",
        "--at",
        AT,
        "--push-gateway",
        &format!("http://{addr}"),
        "-o",
        "short",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let groups: serde_json::Value =
        serde_json::from_str(&get(&addr, "/api/v1/metrics").body).unwrap();
    let mut clusters: Vec<String> = Vec::new();
    for group in groups["data"].as_array().unwrap() {
        assert_eq!(group["labels"]["job"], "meshcert");
        clusters.push(group["labels"]["cluster"].as_str().unwrap().to_string());
        let success = &group["meshcert_run_success"]["metrics"][0];
        assert_eq!(success["value"], "1", "{group}");
        // The grouping key carries the cluster; the pushed series do not repeat it.
        assert_eq!(success["labels"]["cluster"], group["labels"]["cluster"]);
        assert!(
            group["meshcert_check_result"]["metrics"]
                .as_array()
                .unwrap()
                .len()
                > 20
        );
    }
    clusters.sort();
    let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(clusters, want);
}

/// What a dashboard built for the x509-certificate-exporter joins on: one series per certificate
/// of a bundle, `subject_cn` and `issuer_cn`, notBefore, expired, and the build's version.
#[test]
fn certificate_series_match_the_x509_certificate_exporters() {
    let two = check_prometheus("two-anchors");
    let anchors: Vec<&str> = two
        .lines()
        .filter(|l| {
            l.starts_with("meshcert_certificate_expiry_timestamp_seconds{")
                && l.contains(r#"object="ConfigMap/linkerd-config""#)
        })
        .collect();
    assert_eq!(anchors.len(), 2, "both anchors of the bundle: {two}");
    assert!(anchors.iter().any(|l| l.contains(r#"subject_cn="root-2025.linkerd.cluster.local",issuer_cn="root-2025.linkerd.cluster.local""#)), "{anchors:?}");
    let issuer = two
        .lines()
        .find(|l| {
            l.starts_with("meshcert_certificate_not_before_timestamp_seconds{role=\"issuer\"")
        })
        .expect("the issuer's notBefore");
    assert!(
        issuer.contains(r#"subject_cn="identity.linkerd.cluster.local""#),
        "{issuer}"
    );
    assert!(
        issuer.contains(r#"issuer_cn="root-"#),
        "the anchor that signed it: {issuer}"
    );
    // The three families carry the same label sets.
    let label_sets = |family: &str| -> BTreeSet<String> {
        two.lines()
            .filter_map(|l| l.strip_prefix(family))
            .filter_map(|l| l.strip_prefix('{'))
            .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
            .collect()
    };
    let expiry = label_sets("meshcert_certificate_expiry_timestamp_seconds");
    assert!(expiry.len() >= 8);
    assert_eq!(
        expiry,
        label_sets("meshcert_certificate_not_before_timestamp_seconds")
    );
    assert_eq!(expiry, label_sets("meshcert_certificate_expired"));
    assert!(two.contains(&format!(
        "meshcert_build_info{{version=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION")
    )));
    // Nothing has expired there; the expired anchor is 1.
    assert!(
        !two.lines()
            .any(|l| l.starts_with("meshcert_certificate_expired{") && l.ends_with(" 1"))
    );
    let expired = check_prometheus("expired-anchor");
    let anchor = expired
        .lines()
        .find(|l| l.starts_with("meshcert_certificate_expired{role=\"trust-anchor\""))
        .unwrap();
    assert!(anchor.ends_with(" 1"), "{anchor}");
}
