//! `meshcert serve` against the real API server, scraped by the real Prometheus: each round
//! reads the kubeconfig again, so a token replaced in it (as a mounted Secret is) is the one the
//! next round uses, in both directions.

use std::time::{Duration, Instant};

use super::{cluster, token_kubeconfig};
use crate::common::{AT, fixture};
use crate::programs;

/// Waits until Prometheus has `meshcert_cluster_up` at `want` (one cluster: no cluster label).
fn wait_up(prom: &str, serve: &programs::Serve, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = programs::query(prom, r#"meshcert_cluster_up{job="meshcert"}"#);
        if up.first().is_some_and(|s| s["value"][1] == want) {
            return;
        }
        if Instant::now() > deadline {
            let metrics = programs::get(&serve.addr, "/metrics").body;
            let targets = programs::get(prom, "/api/v1/targets").body;
            panic!(
                "meshcert_cluster_up never {want}: {up:?}\n/metrics:\n{}\ntargets: {targets}\nstderr: {}",
                metrics
                    .lines()
                    .filter(|l| l.contains("cluster_up") || l.contains("rounds"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                serve.running.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Replaces the kubeconfig at once (a new file renamed over it), as a Secret volume does.
fn replace(path: &std::path::Path, server: &str, ca: &[u8], token: &str) {
    let next = path.with_extension("next");
    token_kubeconfig(&next, server, ca, token);
    std::fs::rename(&next, path).unwrap();
}

#[test]
fn serve_uses_the_token_the_kubeconfig_holds_at_each_round() {
    let Some((c, _lock)) = cluster() else { return };
    if programs::require("prometheus", "prometheus").is_none() {
        return;
    }
    let _applied = c.load(&fixture("healthy"));
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("meshcert.kubeconfig");
    let ca = c.ca_pem();
    token_kubeconfig(&kubeconfig, &c.server, &ca, "not-a-token");
    let serve = programs::serve(&[
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--at",
        AT,
        "--interval",
        "1s",
        "--timeout",
        "5s",
    ]);
    serve.metrics_after(1);
    let (_prometheus, prom) = programs::prometheus(tmp.path(), &serve.addr).unwrap();
    wait_up(&prom, &serve, "0");

    replace(&kubeconfig, &c.server, &ca, &c.token());
    wait_up(&prom, &serve, "1");
    // Said once it is back.
    assert!(
        serve
            .running
            .stderr()
            .contains(": cluster realapi is readable again\n"),
        "{}",
        serve.running.stderr()
    );
    let ok = programs::query(
        &prom,
        r#"meshcert_check_result{check="l5d-identity-issuer-cert-is-time-valid",result="success"}"#,
    );
    assert_eq!(
        ok.first().map(|s| s["value"][1].clone()),
        Some("1".into()),
        "{ok:?}"
    );

    replace(&kubeconfig, &c.server, &ca, "revoked");
    wait_up(&prom, &serve, "0");
}
