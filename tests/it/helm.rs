//! The Helm chart (charts/meshcert) with the real helm (tests/helm/build): deploy/ is its rendered
//! output, `helm lint` passes, a matrix of values renders what each asks for (and only that), the
//! values schema refuses misspelt and mistyped keys, the default RBAC is deploy/base's, the
//! rendered policy is a file meshcert reads, and promtool runs the PrometheusRule's rules with
//! the thresholds the values set. The real API server's side is in realapi/helm.rs.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{AT, fixture, meshcert, root, stderr};
use crate::programs::{helm, helm_template, promtool};

/// The objects a render produced (comments and empty documents dropped).
pub fn objects(yaml: &str) -> Vec<Value> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).unwrap_or_else(|e| panic!("{e}"));
    docs.into_iter().filter(Value::is_object).collect()
}

/// `helm template` with these `--set`s, which must succeed: its objects.
pub fn render(sets: &[&str]) -> Option<Vec<Value>> {
    let args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
    let (ok, out, err) = helm_template(&args)?;
    assert!(ok, "helm template {sets:?}: {err}");
    Some(objects(&out))
}

fn kinds(objects: &[Value]) -> BTreeSet<String> {
    objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str) -> Option<&'a Value> {
    objects.iter().find(|o| o["kind"] == kind)
}

/// The pod specs of the CronJob's Job and of the Deployment.
fn pod_specs(objects: &[Value]) -> Vec<&Value> {
    let mut specs = Vec::new();
    if let Some(c) = find(objects, "CronJob") {
        specs.push(&c["spec"]["jobTemplate"]["spec"]["template"]["spec"]);
    }
    if let Some(d) = find(objects, "Deployment") {
        specs.push(&d["spec"]["template"]["spec"]);
    }
    specs
}

fn args(pod: &Value) -> Vec<String> {
    pod["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn deploy_is_the_charts_rendered_output() {
    let Some(helm) = helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(root().join("charts/meshcert/render-deploy"))
        .arg(tmp.path())
        .env("HELM", &helm)
        .output()
        .unwrap();
    assert!(o.status.success(), "render-deploy: {}", stderr(&o));
    let mut rendered = Vec::new();
    collect(tmp.path(), tmp.path(), &mut rendered);
    assert!(rendered.len() >= 14, "{rendered:?}");
    for file in &rendered {
        let want = std::fs::read_to_string(tmp.path().join(file)).unwrap();
        let have = std::fs::read_to_string(root().join("deploy").join(file))
            .unwrap_or_else(|e| panic!("deploy/{file}: {e} (run charts/meshcert/render-deploy)"));
        assert!(
            want == have,
            "deploy/{file} is not the chart's output: run charts/meshcert/render-deploy\n{}",
            crate::common::first_difference(&Value::String(want.clone()), &Value::String(have))
        );
    }
    // Every manifest of deploy/ comes from the chart: only the kustomize lists, the Dockerfile
    // and promtool's tests are written by hand.
    let mut shipped = Vec::new();
    collect(&root().join("deploy"), &root().join("deploy"), &mut shipped);
    let by_hand = [
        "kustomization.yaml",
        "base/kustomization.yaml",
        "exporter/kustomization.yaml",
        "Dockerfile",
        "prometheus/rules.test.yaml",
        "prometheus/federation/cluster.yml",
        "prometheus/federation/global.yml",
        "prometheus/federation/recording.yml",
    ];
    for file in shipped {
        assert!(
            rendered.contains(&file) || by_hand.contains(&file.as_str()),
            "deploy/{file} is neither rendered from the chart nor a known hand-written file"
        );
    }
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(base, &path, out);
        } else {
            out.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    out.sort();
}

#[test]
fn helm_lint_passes_for_each_mode() {
    let Some(helm) = helm() else { return };
    for mode in ["cronjob", "exporter", "both"] {
        let o = Command::new(&helm)
            .args(["lint", "--strict"])
            .arg(root().join("charts/meshcert"))
            .args(["--set", &format!("mode={mode}")])
            .args(["--set", "prometheusRule.enabled=true"])
            .args(["--set", "grafanaDashboard.enabled=true"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "helm lint (mode {mode}): {}{}",
            crate::common::stdout(&o),
            stderr(&o)
        );
    }
}

/// Each mode, with fleet, the runtime opt-ins and the monitors on and off: the objects each
/// combination asks for, and none it does not; every pod locked down.
#[test]
fn template_matrix_renders_what_the_values_ask_for() {
    if helm().is_none() {
        return;
    }
    for mode in ["cronjob", "exporter", "both"] {
        for fleet in [false, true] {
            for runtime in [false, true] {
                for monitors in [false, true] {
                    let mut sets = vec![format!("mode={mode}")];
                    if fleet {
                        sets.extend([
                            "fleet.kubeconfigSecret=fleet-kubeconfig".to_string(),
                            "fleet.contexts={east,west}".to_string(),
                        ]);
                    }
                    if runtime {
                        sets.extend([
                            "rbac.optIn.proxyMetrics=true".to_string(),
                            "rbac.optIn.identityMetrics=true".to_string(),
                        ]);
                    }
                    if monitors {
                        sets.extend(
                            [
                                "exporter.serviceMonitor.enabled=true",
                                "exporter.podMonitor.enabled=true",
                                "prometheusRule.enabled=true",
                                "grafanaDashboard.enabled=true",
                                "exporter.webConfig.secret=meshcert-web",
                                "exporter.webConfig.tls=true",
                                "exporter.monitor.tlsConfig.serverName=meshcert.meshcert.svc",
                                "exporter.monitor.basicAuth.username.name=meshcert-scrape",
                                "exporter.monitor.basicAuth.username.key=username",
                                "exporter.monitor.basicAuth.password.name=meshcert-scrape",
                                "exporter.monitor.basicAuth.password.key=password",
                            ]
                            .map(String::from),
                        );
                    }
                    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
                    let objects = render(&sets).unwrap();
                    matrix_case(mode, fleet, runtime, monitors, &objects, &sets);
                }
            }
        }
    }
}

fn matrix_case(
    mode: &str,
    fleet: bool,
    runtime: bool,
    monitors: bool,
    objects: &[Value],
    sets: &[&str],
) {
    let names = kinds(objects);
    let has = |k: &str| names.contains(k);
    let cronjob = mode != "exporter";
    let exporter = mode != "cronjob";
    assert_eq!(has("CronJob/meshcert"), cronjob, "{sets:?}: {names:?}");
    for k in [
        "Deployment/meshcert",
        "Service/meshcert",
        "NetworkPolicy/meshcert",
    ] {
        assert_eq!(has(k), exporter, "{sets:?}: {k} in {names:?}");
    }
    for k in [
        "ClusterRole/meshcert-proxy-metrics",
        "Role/meshcert-identity-metrics",
    ] {
        assert_eq!(has(k), runtime, "{sets:?}: {k} in {names:?}");
    }
    for k in ["ServiceMonitor/meshcert", "PodMonitor/meshcert"] {
        assert_eq!(has(k), monitors && exporter, "{sets:?}: {k} in {names:?}");
    }
    assert_eq!(has("PrometheusRule/meshcert"), monitors, "{sets:?}");
    assert_eq!(has("ConfigMap/meshcert-dashboard"), monitors, "{sets:?}");
    if let Some(dashboard) = objects
        .iter()
        .find(|o| o["metadata"]["name"] == "meshcert-dashboard")
    {
        // Grafana's sidecar loads it by its label; it is deploy/grafana/meshcert.json.
        assert_eq!(dashboard["metadata"]["labels"]["grafana_dashboard"], "1");
        let shipped: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("deploy/grafana/meshcert.json")).unwrap(),
        )
        .unwrap();
        let carried: Value =
            serde_json::from_str(dashboard["data"]["meshcert.json"].as_str().unwrap()).unwrap();
        assert_eq!(carried, shipped);
    }
    for pod in pod_specs(objects) {
        assert_eq!(pod["serviceAccountName"], "meshcert");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{sets:?}");
        let c = &pod["containers"][0];
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{sets:?}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{sets:?}");
        assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
        assert!(c["resources"]["limits"]["memory"].is_string(), "{sets:?}");
        let args = args(pod);
        let mounted = pod["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v["secret"]["secretName"] == "fleet-kubeconfig");
        assert_eq!(mounted, fleet, "{sets:?}: {pod}");
        assert_eq!(
            args.contains(&"--kubeconfig=/etc/meshcert/kubeconfig/kubeconfig".to_string())
                && args.contains(&"--context=east".to_string())
                && args.contains(&"--context=west".to_string()),
            fleet,
            "{sets:?}: {args:?}"
        );
    }
    if let Some(d) = find(objects, "Deployment") {
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        let scheme = if monitors { "HTTPS" } else { "HTTP" };
        assert_eq!(c["readinessProbe"]["httpGet"]["scheme"], scheme);
        assert_eq!(
            args(&d["spec"]["template"]["spec"])
                .contains(&"--web.config.file=/etc/meshcert/web/web-config.yml".to_string()),
            monitors
        );
    }
    for kind in ["ServiceMonitor", "PodMonitor"] {
        if let Some(m) = find(objects, kind) {
            let endpoint = m["spec"]["endpoints"]
                .get(0)
                .or(m["spec"]["podMetricsEndpoints"].get(0))
                .unwrap();
            assert_eq!(endpoint["scheme"], "https", "{kind}");
            assert_eq!(endpoint["tlsConfig"]["serverName"], "meshcert.meshcert.svc");
            assert_eq!(endpoint["basicAuth"]["password"]["key"], "password");
            assert_eq!(endpoint["port"], "metrics");
        }
    }
}

#[test]
fn the_values_schema_refuses_misspelt_and_mistyped_keys() {
    if helm().is_none() {
        return;
    }
    let refused = [
        ("mdoe=exporter", "mdoe"),
        ("exporter.serviceMonitor.enable=true", "enable"),
        ("rbac.optin.proxyMetrics=true", "optin"),
        ("cronjob.shedule=@daily", "shedule"),
        (
            "prometheusRule.thresholds.trustAnchorWarnDays=30",
            "trustAnchorWarnDays",
        ),
        ("policy.fail_on=warning", "fail_on"),
        ("mode=daemonset", "/mode"),
        ("exporter.port=metrics", "/exporter/port"),
        ("rbac.create=yes", "/rbac/create"),
        (
            "prometheusRule.thresholds.trustAnchorWarningDays=soon",
            "trustAnchorWarningDays",
        ),
        ("cronjob.failOn=never", "/cronjob/failOn"),
    ];
    for (set, named) in refused {
        let (ok, _, err) = helm_template(&["--set", set]).unwrap();
        assert!(!ok, "helm accepted --set {set}");
        assert!(
            err.contains(named),
            "--set {set}: the error does not name {named}: {err}"
        );
    }
    // A misspelling in a values file, as users write them, is refused the same way.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("values.yaml");
    std::fs::write(
        &file,
        "mode: exporter\nexporter:\n  networkPolicy:\n    prometheusNamepsace: obs\n",
    )
    .unwrap();
    let (ok, _, err) = helm_template(&["-f", file.to_str().unwrap()]).unwrap();
    assert!(!ok && err.contains("prometheusNamepsace"), "{err}");
}

/// With no values, the chart grants exactly deploy/base's RBAC: no opt-in, nothing more.
#[test]
fn the_default_values_grant_only_deploy_base() {
    let Some(rendered) = render(&[]) else { return };
    let rbac_kinds = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];
    let mut granted: Vec<Value> = rendered
        .into_iter()
        .filter(|o| rbac_kinds.contains(&o["kind"].as_str().unwrap()))
        .collect();
    let text = std::fs::read_to_string(root().join("deploy/base/rbac.yaml")).unwrap();
    let mut base = objects(&text);
    let key = |o: &Value| {
        format!(
            "{}/{}/{}",
            o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
        )
    };
    granted.sort_by_key(key);
    base.sort_by_key(key);
    assert_eq!(granted, base);
    // deploy/base is what tests/it/live/requests.rs holds to the reads: nothing in it may be
    // the opt-in pods/proxy.
    assert!(
        base.iter()
            .flat_map(|o| o["rules"].as_array().into_iter().flatten())
            .all(|r| !r["resources"].to_string().contains("pods/proxy"))
    );
}

/// The policy values become a file meshcert itself reads.
#[test]
fn the_policy_values_render_a_file_meshcert_reads() {
    let Some(objects) = render(&[
        "policy.fail-on=warning",
        "policy.margins.issuer=33%",
        "policy.levels.l5d-identity-data-plane-proxies-certs-match-ca=off",
        "mode=both",
    ]) else {
        return;
    };
    let cm = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "meshcert-policy")
        .expect("the policy ConfigMap");
    let toml = cm["data"]["meshcert.toml"].as_str().unwrap();
    for pod in pod_specs(&objects) {
        assert!(args(pod).contains(&"--config=/etc/meshcert/policy/meshcert.toml".to_string()));
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("meshcert.toml");
    std::fs::write(&file, toml).unwrap();
    let o = meshcert(&[
        "check",
        "--from",
        fixture("dataplane-stale").to_str().unwrap(),
        "--config",
        file.to_str().unwrap(),
        "--at",
        AT,
        "-o",
        "json",
    ]);
    assert!(o.status.code() != Some(2), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    // `off` leaves the check out; the issuer's margin is 33% of its lifetime.
    let ids: Vec<&str> = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&"l5d-identity-data-plane-proxies-certs-match-ca"),
        "{ids:?}"
    );
    assert_eq!(
        crate::common::check_result(&report, "l5d-identity-issuer-cert-not-expiring-soon")["description"],
        "issuer cert is valid for at least 33% of lifetime"
    );
    // A policy key the policy file does not have is refused by the schema, named.
    let Some((ok, _, err)) = helm_template(&["--set", "policy.margins.anchors=30d"]) else {
        return;
    };
    assert!(!ok && err.contains("anchors"), "{err}");
}

/// The PrometheusRule's rules, with the thresholds set in values, through promtool: checked,
/// and each moved threshold moves when its alert fires. The default ones pass
/// deploy/prometheus/rules.test.yaml.
#[test]
fn promtool_runs_the_prometheus_rules_with_the_values_thresholds() {
    let Some(objects) = render(&[
        "prometheusRule.enabled=true",
        "prometheusRule.thresholds.trustAnchorWarningDays=90",
        "prometheusRule.thresholds.issuerCriticalHours=48",
    ]) else {
        return;
    };
    let rule = find(&objects, "PrometheusRule").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, serde_json::to_string_pretty(&rule["spec"]).unwrap()).unwrap();
    let Some((ok, out)) = promtool(&["check", "rules", rules.to_str().unwrap()], None) else {
        return;
    };
    assert!(ok, "{out}");
    // 80 days left on the anchor: the warning fires at 90 days. 40 hours left on the issuer:
    // critical at 48 hours.
    let test = format!(
        "rule_files: [{}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'meshcert_certificate_expiry_timestamp_seconds{{role=\"trust-anchor\",namespace=\"linkerd\",object=\"ConfigMap/linkerd-identity-trust-roots\",key=\"ca-bundle.crt\",subject=\"CN=root\",serial=\"1\"}}'\n        values: '{}x5'\n      - series: 'meshcert_certificate_expiry_timestamp_seconds{{role=\"issuer\",namespace=\"linkerd\",object=\"Secret/linkerd-identity-issuer\",key=\"crt.pem\",subject=\"CN=identity\",serial=\"2\"}}'\n        values: '{}x5'\n    alert_rule_test:\n      - eval_time: 1m\n        alertname: LinkerdTrustAnchorExpiresSoon\n        exp_alerts:\n          - exp_labels: {{severity: warning, namespace: linkerd, object: ConfigMap/linkerd-identity-trust-roots, key: ca-bundle.crt, subject: CN=root, serial: \"1\"}}\n            exp_annotations: {{summary: \"Linkerd trust anchor CN=root expires in 79d 23h 59m 0s\", description: \"Trust anchor CN=root (serial 1, ca-bundle.crt of ConfigMap/linkerd-identity-trust-roots) expires within 90 days. Start the rotation: `meshcert rotation`.\"}}\n      - eval_time: 1m\n        alertname: LinkerdIdentityIssuerExpiresSoon\n        exp_alerts:\n          - exp_labels: {{severity: critical, namespace: linkerd, object: Secret/linkerd-identity-issuer, key: crt.pem, subject: CN=identity, serial: \"2\"}}\n            exp_annotations: {{summary: \"Linkerd identity issuer CN=identity expires in 1d 15h 59m 0s\", description: \"crt.pem of Secret/linkerd-identity-issuer: when the issuer expires, the identity service can no longer issue proxy certificates.\"}}\n",
        rules.display(),
        80 * 86400,
        40 * 3600
    );
    let test_file = tmp.path().join("moved.test.yaml");
    std::fs::write(&test_file, &test).unwrap();
    let (ok, out) = promtool(&["test", "rules", test_file.to_str().unwrap()], None).unwrap();
    assert!(ok, "{out}");
    // The same series with the default thresholds (60 days, 24 hours): neither fires.
    let defaults = render(&["prometheusRule.enabled=true"]).unwrap();
    let default_rules = tmp.path().join("default.yaml");
    let rule = find(&defaults, "PrometheusRule").unwrap();
    std::fs::write(
        &default_rules,
        serde_json::to_string_pretty(&rule["spec"]).unwrap(),
    )
    .unwrap();
    let quiet: String = test
        .replace(
            &rules.display().to_string(),
            &default_rules.display().to_string(),
        )
        .lines()
        .filter(|l| !l.contains("exp_labels") && !l.contains("exp_annotations"))
        .map(|l| format!("{}\n", l.replace("exp_alerts:", "exp_alerts: []")))
        .collect();
    assert_eq!(quiet.matches("exp_alerts: []").count(), 2);
    let quiet_file = tmp.path().join("quiet.test.yaml");
    std::fs::write(&quiet_file, quiet).unwrap();
    let (ok, out) = promtool(&["test", "rules", quiet_file.to_str().unwrap()], None).unwrap();
    assert!(ok, "{out}");
    // The default PrometheusRule passes every unit test of deploy/prometheus/rules.test.yaml.
    std::fs::copy(
        root().join("deploy/prometheus/rules.test.yaml"),
        tmp.path().join("rules.test.yaml"),
    )
    .unwrap();
    std::fs::copy(&default_rules, tmp.path().join("rules.yaml")).unwrap();
    let test = tmp.path().join("rules.test.yaml");
    let (ok, out) = promtool(&["test", "rules", test.to_str().unwrap()], None).unwrap();
    assert!(ok, "{out}");
}

/// Moving the exporter's port moves everything that names it: the container, the Service, and
/// the prometheus.io annotation a Prometheus without the Operator scrapes by.
#[test]
fn the_exporter_port_is_named_everywhere_it_is_used() {
    let Some(objects) = render(&["mode=exporter", "exporter.port=9500"]) else {
        return;
    };
    let deployment = find(&objects, "Deployment").unwrap();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["ports"][0]["containerPort"], 9500);
    assert!(
        args(&deployment["spec"]["template"]["spec"])
            .contains(&"--listen=0.0.0.0:9500".to_string())
    );
    let service = find(&objects, "Service").unwrap();
    assert_eq!(service["spec"]["ports"][0]["port"], 9500);
    assert_eq!(
        service["metadata"]["annotations"]["prometheus.io/port"],
        "9500"
    );
    // Without the annotations, none is left behind.
    let plain = render(&[
        "mode=exporter",
        "exporter.service.prometheusAnnotations=false",
    ])
    .unwrap();
    assert!(find(&plain, "Service").unwrap()["metadata"]["annotations"].is_null());
}
