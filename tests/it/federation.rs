//! A fleet through Prometheus federation, as README's "Hundreds of clusters" sets it up, with the
//! configuration files of deploy/prometheus/federation as they are: two clusters' exporters
//! (`meshcert serve`), each scraped by its cluster's real Prometheus (which names the cluster by
//! an external label), and a third, global Prometheus federating both and evaluating meshcert's
//! alerts and the fleet's recording rules. Alerts fire for the right cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{AT, root, serial};
use crate::programs::{self, get, prometheus_with, query, require};

fn config(file: &str) -> Value {
    let text =
        std::fs::read_to_string(root().join("deploy/prometheus/federation").join(file)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The global settings a test needs on top of a file's: a scrape and an evaluation a second.
fn fast(mut config: Value) -> Value {
    let global = config
        .as_object_mut()
        .unwrap()
        .entry("global")
        .or_insert_with(|| json!({}));
    global["scrape_interval"] = json!("1s");
    global["evaluation_interval"] = json!("1s");
    config
}

fn cluster_prometheus(
    dir: &Path,
    cluster: &str,
    exporter: &str,
) -> Option<(programs::Running, String)> {
    let mut c = fast(config("cluster.yml"));
    c["global"]["external_labels"]["cluster"] = json!(cluster);
    c["scrape_configs"][0]["static_configs"][0]["targets"] = json!([exporter]);
    prometheus_with(&dir.join(cluster), &c)
}

#[test]
fn a_global_prometheus_federates_two_clusters_and_alerts_for_the_right_one() {
    let _serial = serial();
    if require("prometheus", "prometheus").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Cluster a is healthy; cluster b's trust anchor expires within 60 days of any day from
    // 2026-11-22 on (a series is a notAfter, so the alert stays true as the calendar moves).
    let exporter_a =
        programs::serve(&["--from", "fixtures/healthy", "--at", AT, "--interval", "1s"]);
    let exporter_b = programs::serve(&[
        "--from",
        "fixtures/expiring-soon",
        "--at",
        AT,
        "--interval",
        "1s",
    ]);
    let (_pa, prom_a) = cluster_prometheus(tmp.path(), "a", &exporter_a.addr).unwrap();
    let (_pb, prom_b) = cluster_prometheus(tmp.path(), "b", &exporter_b.addr).unwrap();
    let mut global = fast(config("global.yml"));
    global["rule_files"] = json!([
        root().join("deploy/prometheus/rules.yaml"),
        root().join("deploy/prometheus/federation/recording.yml"),
    ]);
    global["scrape_configs"][0]["static_configs"][0]["targets"] = json!([prom_a, prom_b]);
    let (_pg, prom_global) = prometheus_with(&tmp.path().join("global"), &global).unwrap();

    // Wait until the global Prometheus has the alert for b.
    let deadline = Instant::now() + Duration::from_secs(60);
    let firing = loop {
        let body = get(&prom_global, "/api/v1/alerts").body;
        let v: Value = serde_json::from_str(&body).unwrap();
        let alerts: Vec<Value> = v["data"]["alerts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a["state"] == "firing")
            .collect();
        if alerts
            .iter()
            .any(|a| a["labels"]["alertname"] == "LinkerdTrustAnchorExpiresSoon")
        {
            break alerts;
        }
        assert!(
            Instant::now() < deadline,
            "no alert on the global Prometheus: {body}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let anchors: Vec<&Value> = firing
        .iter()
        .filter(|a| a["labels"]["alertname"] == "LinkerdTrustAnchorExpiresSoon")
        .collect();
    assert!(
        anchors.iter().all(|a| a["labels"]["cluster"] == "b"),
        "the alert names cluster b only: {anchors:#?}"
    );
    assert!(
        anchors[0]["annotations"]["description"]
            .as_str()
            .unwrap()
            .contains("in cluster b"),
        "{anchors:#?}"
    );
    // Every federated series kept its cluster: both are up, and the exporters' scrape jobs too.
    let mut up: Vec<String> = query(&prom_global, "meshcert_cluster_up == 1")
        .iter()
        .map(|s| s["metric"]["cluster"].as_str().unwrap().to_string())
        .collect();
    up.sort();
    assert_eq!(up, ["a", "b"]);
    let jobs = query(&prom_global, r#"up{job="meshcert"} == 1"#);
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    // The recording rules: one series per cluster and role.
    let earliest = eventually(
        &prom_global,
        r#"cluster_role:meshcert_certificate_expiry_seconds:min{role="trust-anchor"}"#,
    );
    let by_cluster = |c: &str| {
        earliest
            .iter()
            .find(|s| s["metric"]["cluster"] == c)
            .and_then(|s| s["value"][1].as_str())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no recorded series for {c}: {earliest:?}"))
    };
    assert!(by_cluster("a") > 60.0 * 86400.0);
    assert!(by_cluster("b") < 60.0 * 86400.0);
    let failing = eventually(&prom_global, "cluster:meshcert_checks_warning:count");
    assert_eq!(failing.len(), 2, "one series per cluster: {failing:?}");
}

/// `promql`'s result once it has a series for each of the two clusters (a rule evaluated a
/// moment after both clusters' series arrived).
fn eventually(prometheus: &str, promql: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let result = query(prometheus, promql);
        if result.len() >= 2 || Instant::now() > deadline {
            return result;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// README's "Hundreds of clusters" shows these files as they are.
#[test]
fn readme_shows_the_federation_files_as_tested() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for file in ["cluster.yml", "global.yml", "recording.yml"] {
        let text = std::fs::read_to_string(root().join("deploy/prometheus/federation").join(file))
            .unwrap();
        assert!(
            readme.contains(&text),
            "README.md does not show deploy/prometheus/federation/{file} as it is"
        );
    }
}
