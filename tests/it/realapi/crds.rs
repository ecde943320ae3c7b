//! What a real cluster serves or not: cert-manager's Certificate CRD (read through discovery
//! as on a cluster with cert-manager; without it, "not installed" and no error), and the tap
//! APIService of viz with no service behind it, as when viz is down.

use serde_json::Value;

use super::{Cluster, cluster, fixture_objects, meshcert_live, report};
use crate::common::{check_json_from, check_result, fixture};

/// The CRD is deleted for the guard's life, and installed again after.
struct WithoutCertManager<'a>(&'a Cluster);

impl<'a> WithoutCertManager<'a> {
    fn new(c: &'a Cluster) -> Self {
        c.kubectl_ok(&[
            "delete",
            "crd",
            "certificates.cert-manager.io",
            "--wait=true",
            "--timeout=60s",
        ]);
        // Until discovery no longer lists it.
        for _ in 0..200 {
            if !c
                .kubectl(&["get", "--raw", "/apis/cert-manager.io/v1"], None)
                .status
                .success()
            {
                return WithoutCertManager(c);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("cert-manager.io/v1 still served after its CRD was deleted");
    }
}

impl Drop for WithoutCertManager<'_> {
    fn drop(&mut self) {
        self.0.install_certificate_crd();
    }
}

const CERT_MANAGER_CHECKS: [&str; 2] = [
    "meshcert-cert-manager-issuer-ready",
    "meshcert-cert-manager-renews-issuer",
];

fn verbose_run(c: &Cluster, dir: &std::path::Path) -> (Value, String, Option<i32>) {
    let kubeconfig = c.meshcert_kubeconfig(dir);
    let o = meshcert_live(&kubeconfig, &["check", "-o", "json", "--verbose"]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    (report(&o, "live"), stderr, o.status.code())
}

#[test]
fn without_cert_managers_crd_it_is_not_installed_and_no_certificate_is_read() {
    let Some((c, _lock)) = cluster() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let _no_crd = WithoutCertManager::new(c);

    // Not managed: no Certificate read, no error, the offline report.
    let _applied = c.load(&fixture("healthy"));
    let (live, stderr, code) = verbose_run(c, tmp.path());
    let offline = report(&check_json_from(&fixture("healthy")), "offline");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(stderr.contains("GET /apis/cert-manager.io/v1 "), "{stderr}");
    assert!(
        !stderr.contains("/certificates/"),
        "no Certificate read: {stderr}"
    );
    // The cert-manager checks apply only where cert-manager manages the issuer: none here,
    // live as offline.
    for id in CERT_MANAGER_CHECKS {
        assert!(!live.to_string().contains(id), "{live}");
    }
    assert_eq!(live, offline);
    drop(_applied);

    // An issuer Secret that cert-manager wrote, with cert-manager gone: it will not be renewed.
    let (namespaces, objects) = fixture_objects(&fixture("cert-manager-renewing"));
    let objects: Vec<Value> = objects
        .into_iter()
        .filter(|o| o["kind"] != "Certificate")
        .collect();
    let _applied = c.load_objects(namespaces, objects);
    let (live, stderr, code) = verbose_run(c, tmp.path());
    assert_eq!(code, Some(1), "{stderr}");
    let ready = check_result(&live, "meshcert-cert-manager-issuer-ready");
    assert_eq!(ready["result"], "error", "{ready}");
    assert!(
        ready["error"].as_str().unwrap().ends_with(
            "but cert-manager is not installed (the API server serves no cert-manager.io/v1 Certificates): cert-manager will not renew the issuer"
        ),
        "{ready}"
    );
}

#[test]
fn with_the_crd_certificates_are_read_through_discovery() {
    let Some((c, _lock)) = cluster() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let scenario = fixture("cert-manager-stalled");
    let _applied = c.load(&scenario);
    let (live, stderr, _) = verbose_run(c, tmp.path());
    assert!(stderr.contains("GET /apis/cert-manager.io/v1 "), "{stderr}");
    assert!(
        stderr.contains("GET /apis/cert-manager.io/v1/namespaces/linkerd/certificates/"),
        "{stderr}"
    );
    assert_eq!(live, report(&check_json_from(&scenario), "offline"));
    assert_eq!(
        check_result(&live, "meshcert-cert-manager-issuer-ready")["result"],
        "error"
    );
}

#[test]
fn the_tap_api_service_with_no_service_behind_it_is_still_read() {
    let Some((c, _lock)) = cluster() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let scenario = fixture("viz-tap-expired");
    let _applied = c.load(&scenario);
    // The aggregator finds no service: the APIService is unavailable, as when viz is down.
    let mut available = String::new();
    for _ in 0..100 {
        available = c.kubectl_ok(&[
            "get",
            "apiservice",
            "v1alpha1.tap.linkerd.io",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Available\")].status}",
        ]);
        if available == "False" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(available, "False");
    let (live, stderr, code) = verbose_run(c, tmp.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("GET /apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.tap.linkerd.io"),
        "{stderr}"
    );
    let offline = report(&check_json_from(&scenario), "offline");
    assert_eq!(live, offline);
    assert_eq!(check_result(&live, "l5d-tap-cert-valid")["result"], "error");
}

#[test]
fn the_deploy_manifests_are_accepted_by_the_real_api_server() {
    let Some((c, _lock)) = cluster() else { return };
    let root = crate::common::root().join("deploy");
    // The ServiceMonitor needs the Prometheus Operator's CRD, which this cluster does not have.
    for file in [
        "base/namespace.yaml",
        "base/serviceaccount.yaml",
        "base/rbac.yaml",
        "cronjob.yaml",
        "exporter/deployment.yaml",
        "exporter/service.yaml",
        "exporter/networkpolicy.yaml",
    ] {
        let path = root.join(file);
        c.kubectl_ok(&[
            "apply",
            "--server-side",
            "--dry-run=server",
            "-f",
            path.to_str().unwrap(),
        ]);
    }
}
