//! The chart's manifests against the real API server: every rendering of the values matrix is
//! accepted by `kubectl apply --dry-run=server` (strict field validation, the Prometheus
//! Operator's kinds from minimal CRDs in tests/realapi/crds), and the CronJob's Job, created from
//! the CronJob on the server as `kubectl create job --from` does, runs as the chart's
//! ServiceAccount with the chart's RBAC: no 403, the report the offline run gives, the metrics
//! pushed to a real Pushgateway.

use serde_json::Value;

use super::cluster;
use crate::common::{AT, check_json_from_with, fixture, root};
use crate::programs::{group_value, helm_template_release, pushgateway, pushgateway_groups};

fn template(release: &str, sets: &[&str]) -> Option<String> {
    let args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
    let (ok, out, err) = helm_template_release(release, &args)?;
    assert!(ok, "helm template {sets:?}: {err}");
    Some(out)
}

#[test]
fn every_rendering_of_the_chart_is_accepted_by_the_server() {
    let Some((c, _lock)) = cluster() else { return };
    if template("meshcert", &[]).is_none() {
        return;
    }
    let crds = root().join("tests/realapi/crds/monitoring.coreos.com.yaml");
    c.kubectl_ok(&["apply", "--server-side", "-f", crds.to_str().unwrap()]);
    for crd in ["servicemonitors", "podmonitors", "prometheusrules"] {
        c.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            &format!("crd/{crd}.monitoring.coreos.com"),
        ]);
    }
    let everything = [
        "mode=both",
        "namespace.create=true",
        "rbac.optIn.proxyMetrics=true",
        "rbac.optIn.identityMetrics=true",
        "rbac.optIn.multicluster=true",
        "rbac.optIn.trustNamespace=true",
        "fleet.kubeconfigSecret=fleet",
        "fleet.contexts={east,west}",
        "policy.fail-on=warning",
        "policy.margins.issuer=33%",
        "exporter.serviceMonitor.enabled=true",
        "exporter.podMonitor.enabled=true",
        "exporter.webConfig.secret=web",
        "exporter.webConfig.tls=true",
        "exporter.monitor.tlsConfig.serverName=meshcert.meshcert.svc",
        "exporter.monitor.tlsConfig.ca.secret.name=web",
        "exporter.monitor.tlsConfig.ca.secret.key=ca.crt",
        "exporter.monitor.basicAuth.username.name=scrape",
        "exporter.monitor.basicAuth.username.key=username",
        "exporter.monitor.basicAuth.password.name=scrape",
        "exporter.monitor.basicAuth.password.key=password",
        "exporter.networkPolicy.extraFrom[0].podSelector.matchLabels.app=prometheus",
        "prometheusRule.enabled=true",
        "prometheusRule.thresholds.trustAnchorWarningDays=90",
        "grafanaDashboard.enabled=true",
        "cronjob.timeZone=Europe/Paris",
        "imagePullSecrets[0].name=registry",
    ];
    let cases: [&[&str]; 6] = [
        &[],
        &["mode=exporter"],
        &["mode=exporter", "exporter.serviceMonitor.enabled=true"],
        &["mode=both", "rbac.viz=false", "rbac.jaeger=false"],
        &["mode=cronjob", "cronjob.pushgatewayUrl="],
        &everything,
    ];
    for sets in cases {
        let rendered = template("meshcert", sets).unwrap();
        let o = c.kubectl(
            &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
            Some(rendered.as_bytes()),
        );
        assert!(
            o.status.success(),
            "the server refuses the chart rendered with {sets:?}:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let accepted = String::from_utf8_lossy(&o.stdout);
        let objects = crate::helm::objects(&rendered).len();
        assert_eq!(
            accepted
                .lines()
                .filter(|l| l.contains("(server dry run)"))
                .count(),
            objects,
            "{sets:?}: {accepted}"
        );
    }
    // The minimal CRDs do refuse what the Operator would: a misspelt endpoint field.
    let bad = template(
        "meshcert",
        &["mode=exporter", "exporter.serviceMonitor.enabled=true"],
    )
    .unwrap()
    .replace("scrapeTimeout: 30s", "scrapeTimeOut: 30s");
    let o = c.kubectl(
        &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
        Some(bad.as_bytes()),
    );
    assert!(
        !o.status.success(),
        "a misspelt ServiceMonitor field was accepted"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("scrapeTimeOut"));
}

/// The Job the CronJob makes, run as its ServiceAccount with only the chart's RBAC.
#[test]
fn the_cronjobs_job_runs_as_the_charts_service_account() {
    let Some((c, _lock)) = cluster() else { return };
    let Some((_gateway, gateway)) = pushgateway() else {
        return;
    };
    let release = "nightly";
    let at = format!("cronjob.extraArgs={{--at={AT}}}");
    let push = format!("cronjob.pushgatewayUrl=http://{gateway}");
    let Some(rendered) = template(release, &["cronjob.output=json", &push, &at]) else {
        return;
    };
    let objects = crate::helm::objects(&rendered);
    c.apply(&objects);
    let scenario = fixture("viz-tap-expired");
    let _applied = c.load(&scenario);
    let job = "nightly-meshcert-now";
    c.kubectl_ok(&[
        "create",
        "job",
        job,
        "--from=cronjob/nightly-meshcert",
        "-n",
        "meshcert",
    ]);
    let spec: Value =
        serde_json::from_str(&c.kubectl_ok(&["get", "job", job, "-n", "meshcert", "-o", "json"]))
            .unwrap();
    let pod = &spec["spec"]["template"]["spec"];
    let account = pod["serviceAccountName"].as_str().unwrap().to_string();
    assert_eq!(account, "nightly-meshcert");
    let args: Vec<String> = pod["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let token = c
        .kubectl_ok(&[
            "create",
            "token",
            &account,
            "-n",
            "meshcert",
            "--duration",
            "1h",
        ])
        .trim()
        .to_string();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("token"), token).unwrap();
    std::fs::write(tmp.path().join("ca.crt"), c.ca_pem()).unwrap();
    std::fs::write(tmp.path().join("namespace"), "meshcert").unwrap();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = super::incluster::in_pod(tmp.path(), &c.server, &arg_refs);
    // The chart's objects go whatever the outcome.
    let cleanup = || {
        let _ = c.kubectl(
            &["delete", "job", job, "-n", "meshcert", "--wait=false"],
            None,
        );
        let _ = c.delete(&objects);
    };
    let Some(o) = ran else {
        cleanup();
        assert!(
            std::env::var_os("CI").is_none(),
            "in CI, unshare must make a mount namespace (run as root)"
        );
        return;
    };
    cleanup();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("403") && !stderr.to_lowercase().contains("forbidden"),
        "{stderr}"
    );
    let offline = check_json_from_with(&scenario, &["--fail-on=warning"]);
    assert_eq!(o.status.code(), offline.status.code(), "{stderr}");
    let live = crate::common::report(&o, "the Job");
    let text = live.to_string();
    assert!(!text.contains("forbidden"), "{text}");
    assert_eq!(
        live,
        crate::common::report(&offline, "offline"),
        "{}",
        crate::common::first_difference(&live, &crate::common::report(&offline, "offline"))
    );
    let groups = pushgateway_groups(&gateway);
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(group_value(&groups[0], "meshcert_run_success"), "0");
}
