//! The webhook and API-service checks' messages and their CI gate.

use super::*;

#[test]
fn webhook_warnings_gate_ci_with_fail_on_warning() {
    assert_eq!(
        check_from("sp-validator-expiring", &[]).status.code(),
        Some(0)
    );
    let out = check_from(
        "sp-validator-expiring",
        &["--fail-on", "warning", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["success"], false);
    // A margin shorter than the 10 days left clears it.
    assert_eq!(
        check_from(
            "sp-validator-expiring",
            &["--fail-on", "warning", "--min-validity", "7d"]
        )
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn webhook_failures_name_object_key_certificate_and_problem() {
    let report = json_of(&check_from("viz-tap-expired", &["-o", "json"]));
    let tap = result_of(&report, TAP_VALID);
    assert_eq!(
        tap["error"],
        "certificate 301 tap.linkerd-viz.svc (notAfter 2026-11-01T00:00:00Z) in key tls.crt of Secret linkerd-viz/tap-k8s-tls is not valid anymore. Expired on 2026-11-01T00:00:00Z"
    );
    assert_eq!(
        tap["hint"],
        "https://linkerd.io/2/checks/#l5d-tap-cert-valid"
    );
    let certs = tap["details"]["certificates"].as_array().unwrap();
    assert_eq!(certs[0]["role"], "serving");
    assert_eq!(certs[0]["dnsNames"][0], "tap.linkerd-viz.svc");
    assert_eq!(certs[1]["role"], "ca-bundle");
    assert_eq!(
        certs[1]["source"],
        "spec.caBundle of APIService v1alpha1.tap.linkerd.io"
    );
    assert_eq!(result_of(&report, JI_VALID)["result"], "success");

    let report = json_of(&check_from("proxy-injector-wrong-dns", &["-o", "json"]));
    let err = result_of(&report, PI_VALID)["error"].as_str().unwrap();
    assert!(err.contains("is not valid for DNS name linkerd-proxy-injector.linkerd.svc (SANs: linkerd-proxy-injector.default.svc)"), "{err}");
    assert!(
        err.contains(
            "certificate 113 linkerd-proxy-injector.default.svc (notAfter 2125-01-01T00:00:00Z)"
        ),
        "{err}"
    );

    let report = json_of(&check_from("policy-validator-other-ca", &["-o", "json"]));
    let err = result_of(&report, PV_VALID)["error"].as_str().unwrap();
    assert!(err.contains("is not signed by any certificate in webhooks[0].clientConfig.caBundle of ValidatingWebhookConfiguration linkerd-policy-validator-webhook-config"), "{err}");

    assert_eq!(
        result_in("proxy-injector-expired", PI_VALID)["error"],
        "anchors not within their validity period (webhooks[0].clientConfig.caBundle of MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config):\n\t* 111 linkerd-proxy-injector.linkerd.svc not valid anymore. Expired on 2026-01-01T00:00:00Z"
    );

    assert_eq!(
        result_in("policy-validator-absent", PV_VALID)["reason"],
        "policy-validator not installed"
    );

    assert_eq!(
        result_in("legacy-secrets", SP_VALID)["details"]["certificates"][0]["source"],
        "key crt.pem of Secret linkerd/linkerd-sp-validator-tls"
    );
}

#[test]
fn a_webhook_secret_cert_manager_writes_is_judged_at_its_certificates_renewal_point() {
    // 24-hour certificates: 18 hours left is before cert-manager's renewal point (no warning,
    // where linkerd's 60 days would warn); 4 hours left is past it.
    let report = json_of(&check_from(
        "webhooks-cert-manager-renewing",
        &["-o", "json"],
    ));
    let pi = result_of(&report, "l5d-proxy-injector-webhook-cert-not-expiring-soon");
    assert_eq!(pi["result"], "success", "{pi}");
    assert_eq!(
        pi["description"],
        "proxy-injector cert is valid for at least 8 hours (cert-manager's renewBefore)"
    );
    let sp = result_of(&report, "l5d-sp-validator-webhook-cert-not-expiring-soon");
    assert_eq!(sp["result"], "warning", "{sp}");
    assert_eq!(
        sp["error"],
        "certificate 212 linkerd-sp-validator.linkerd.svc (notAfter 2026-11-22T16:00:00Z) in key tls.crt of Secret linkerd/linkerd-sp-validator-k8s-tls will expire on 2026-11-22T16:00:00Z"
    );
    // A margin the user sets wins over cert-manager's, and the description says it plainly.
    let report = json_of(&meshcert_with_env(
        &[
            "check",
            "--from",
            "fixtures/webhooks-cert-manager-renewing",
            "--at",
            AT,
            "-o",
            "json",
        ],
        &[("MESHCERT_MARGIN_WEBHOOKS", "30d")],
    ));
    let pi = result_of(&report, "l5d-proxy-injector-webhook-cert-not-expiring-soon");
    assert_eq!(pi["result"], "warning", "{pi}");
    assert_eq!(
        pi["description"],
        "proxy-injector cert is valid for at least 30 days"
    );
}
