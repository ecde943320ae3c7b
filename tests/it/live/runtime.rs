//! The runtime checks: the issuer the identity pods have loaded, their issuer Events, and the
//! proxies' leaf certificates, read live through the fake API's `pods/proxy` and offline from the
//! files `meshcert dump-commands` writes; the same verdicts both ways, skipped (never passed)
//! without permission or evidence.

use std::path::Path;

use super::*;
use crate::common::stderr as text_of;

/// The pinned evaluation instant.
fn at_instant() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(AT).unwrap().to_utc()
}

/// The healthy issuer's notAfter (fixtures/README.md: the usual pair is valid until 2124).
pub(crate) fn stored_issuer_not_after() -> chrono::DateTime<chrono::Utc> {
    let o = check_json_from(&fixture("dataplane-current"));
    let v = json(&o);
    let certs = result(&v, "l5d-identity-issuer-cert-is-time-valid")["details"]["certificates"]
        .as_array()
        .unwrap()
        .clone();
    let issuer = certs.iter().find(|c| c["role"] == "issuer").unwrap();
    chrono::DateTime::parse_from_rfc3339(issuer["notAfter"].as_str().unwrap())
        .unwrap()
        .to_utc()
}

const IDENTITY_POD: &str = "linkerd-identity-llsxgzghdk-kf2c5";

/// `dataplane-current` with runtime evidence: the identity pod labelled as linkerd labels it,
/// its metrics saying it has loaded an issuer `stale_by` older than the stored one, its Events,
/// and the proxies' leaf expiries (`web-…-cn42c` expired an hour ago, the rest fresh).
pub(crate) fn scenario(dir: &Path, stale_by: chrono::TimeDelta, events: &str) {
    let at = chrono::DateTime::parse_from_rfc3339(AT).unwrap().to_utc();
    for f in ["linkerd-identity.yaml", "webhooks.yaml"] {
        std::fs::copy(fixture("dataplane-current").join(f), dir.join(f)).unwrap();
    }
    let mut pods: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("dataplane-current").join("pods.json")).unwrap(),
    )
    .unwrap();
    for p in pods["items"].as_array_mut().unwrap() {
        if p["metadata"]["name"] == IDENTITY_POD {
            p["metadata"]["labels"]["linkerd.io/control-plane-component"] = "identity".into();
        }
    }
    std::fs::write(dir.join("pods.json"), pods.to_string()).unwrap();
    std::fs::write(dir.join("linkerd-identity-events.yaml"), events).unwrap();
    let metrics = dir.join("metrics");
    std::fs::create_dir_all(&metrics).unwrap();
    let ttl = (stored_issuer_not_after() - stale_by - at).num_seconds();
    std::fs::write(
        metrics.join(format!("linkerd_{IDENTITY_POD}_9990.metrics")),
        format!("# HELP issuer_cert_ttl_seconds The remaining seconds until the issuer certificate expires\n# TYPE issuer_cert_ttl_seconds gauge\nissuer_cert_ttl_seconds {ttl}\n"),
    )
    .unwrap();
    let leaf = |pod: &str, ns: &str, expires: chrono::DateTime<chrono::Utc>| {
        std::fs::write(
            metrics.join(format!("{ns}_{pod}_4191.metrics")),
            format!("# TYPE identity_cert_expiration_timestamp_seconds gauge\nidentity_cert_expiration_timestamp_seconds {}\nrequest_total 3\n", expires.timestamp()),
        )
        .unwrap();
    };
    leaf(
        "web-mdchm8xsl4-cn42c",
        "emojivoto",
        at - chrono::TimeDelta::hours(1),
    );
    leaf(
        "web-mdchm8xsl4-kf2c5",
        "emojivoto",
        at + chrono::TimeDelta::hours(20),
    );
    leaf("db-0", "books", at + chrono::TimeDelta::hours(2));
    for pod in [
        "linkerd-destination-7zkbcxlnzq-cn42c",
        IDENTITY_POD,
        "linkerd-proxy-injector-6qc5kmvkvv-9hlw9",
    ] {
        leaf(pod, "linkerd", at + chrono::TimeDelta::hours(23));
    }
}

/// A folder holding [`scenario`], in a temporary folder that lives as long as the first value.
fn scenario_dir(
    stale_by: chrono::TimeDelta,
    events: &str,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cluster");
    std::fs::create_dir(&dir).unwrap();
    scenario(&dir, stale_by, events);
    (tmp, dir)
}

/// Events of none.
const NO_EVENTS: &str = "apiVersion: v1\nkind: List\nitems: []\n";

const EVENTS: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Event\n  metadata: {name: linkerd-identity.1, namespace: linkerd}\n  involvedObject: {kind: Deployment, name: linkerd-identity, namespace: linkerd}\n  reason: IssuerUpdated\n  type: Normal\n  message: Updated identity issuer\n  lastTimestamp: '2026-11-20T10:00:00Z'\n- apiVersion: v1\n  kind: Event\n  metadata: {name: linkerd-identity.2, namespace: linkerd}\n  involvedObject: {kind: Deployment, name: linkerd-identity, namespace: linkerd}\n  reason: IssuerUpdateSkipped\n  type: Warning\n  message: 'Skipping issuer update as certs could not be read from disk: x509: certificate signed by unknown authority'\n  lastTimestamp: '2026-11-21T10:00:00Z'\n- apiVersion: v1\n  kind: Event\n  metadata: {name: web.1, namespace: linkerd}\n  involvedObject: {kind: Pod, name: web, namespace: linkerd}\n  reason: IssuerUpdateSkipped\n  message: not the identity controller's\n";

const RUNTIME_IDS: [&str; 3] = [
    "meshcert-identity-loaded-current-issuer",
    "meshcert-proxies-leaf-certs-valid",
    "meshcert-proxies-leaf-certs-renewed",
];

fn runtime_results(v: &Value) -> Vec<Value> {
    RUNTIME_IDS.iter().map(|id| result(v, id).clone()).collect()
}

#[test]
fn a_stale_issuer_a_refused_update_and_expired_leaves_are_caught_live_and_offline_alike() {
    let _serial = serial();
    let (tmp, dir) = scenario_dir(chrono::TimeDelta::days(30), EVENTS);
    let offline = check_json_from(&dir);
    assert_eq!(offline.status.code(), Some(1), "{}", text_of(&offline));
    let offline = json(&offline);
    let loaded = result(&offline, RUNTIME_IDS[0]);
    assert_eq!(loaded["result"], "error", "{loaded}");
    let error = loaded["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "pod linkerd/{IDENTITY_POD} has loaded an issuer that expires at "
        )),
        "{error}"
    );
    let stored = stored_issuer_not_after();
    let shown = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert!(error.contains(&shown(stored)), "{error}");
    assert!(
        error.contains(&shown(stored - chrono::TimeDelta::days(30))),
        "{error}"
    );
    assert!(
        error.contains("the identity service refused an issuer update and kept its old issuer: IssuerUpdateSkipped at 2026-11-21T10:00:00Z: Skipping issuer update as certs could not be read from disk"),
        "{error}"
    );
    assert!(!error.contains("not the identity controller's"), "{error}");
    let loaded_detail = &loaded["details"]["runtime"]["loadedIssuers"][0];
    assert_eq!(loaded_detail["pod"], IDENTITY_POD);
    assert_eq!(loaded_detail["current"], false);

    let valid = result(&offline, RUNTIME_IDS[1]);
    assert_eq!(valid["result"], "error", "{valid}");
    assert_eq!(
        valid["error"],
        "Some proxies hold an expired leaf certificate and cannot take part in mTLS:\n\t* emojivoto/web-mdchm8xsl4-cn42c (deploy/web): expired at 2026-11-22T11:00:00Z\nRestart them once the identity service is reachable:\n\t* kubectl -n emojivoto rollout restart deploy/web (1 pod)"
    );
    let leaves = &valid["details"]["runtime"]["proxyLeaves"];
    assert_eq!(leaves["read"], 6);
    assert_eq!(leaves["earliestNotAfter"], "2026-11-22T11:00:00Z");
    let renewed = result(&offline, RUNTIME_IDS[2]);
    assert_eq!(renewed["result"], "warning", "{renewed}");
    assert!(
        renewed["error"]
            .as_str()
            .unwrap()
            .contains("books/db-0 (sts/db): expires at 2026-11-22T14:00:00Z")
    );

    // The metrics: the loaded issuer's expiry per pod, and the sampled leaves.
    let metrics = String::from_utf8(
        meshcert(&[
            "check",
            "--from",
            dir.to_str().unwrap(),
            "--at",
            AT,
            "-o",
            "prometheus",
        ])
        .stdout,
    )
    .unwrap();
    let line = |l: String| assert!(metrics.lines().any(|m| m == l), "{l} not in\n{metrics}");
    line(format!(
        "meshcert_identity_loaded_issuer_expiry_timestamp_seconds{{namespace=\"linkerd\",pod=\"{IDENTITY_POD}\"}} {}",
        (stored - chrono::TimeDelta::days(30)).timestamp()
    ));
    line(format!(
        "meshcert_proxy_leaf_expiry_earliest_timestamp_seconds {}",
        (at_instant() - chrono::TimeDelta::hours(1)).timestamp()
    ));
    for (state, n) in [
        ("read", 6),
        ("expired", 1),
        ("past-renewal", 1),
        ("unreadable", 0),
    ] {
        line(format!("meshcert_proxy_leaves{{state=\"{state}\"}} {n}"));
    }

    // The page's timeline marks, on the issuer's row, where the loaded issuer expires.
    let page = String::from_utf8(
        meshcert(&[
            "check",
            "--from",
            dir.to_str().unwrap(),
            "--at",
            AT,
            "-o",
            "html",
        ])
        .stdout,
    )
    .unwrap();
    let mark = format!("<line class=\"loaded-issuer stale\" data-pod=\"{IDENTITY_POD}\"");
    assert!(page.contains(&mark), "{page}");
    assert!(page.contains(&format!(
        "<title>issuer loaded by pod linkerd/{IDENTITY_POD}: expires {} (stale; the stored issuer expires {})</title>",
        shown(stored - chrono::TimeDelta::days(30)),
        shown(stored)
    )));

    // Live, through pods/proxy: the same results.
    let (api, k) = serve(&dir, tmp.path());
    let online = live(&k, &["-o", "json", "--proxy-metrics", "all"]);
    assert_eq!(online.status.code(), Some(1), "{}", text_of(&online));
    assert_eq!(runtime_results(&json(&online)), runtime_results(&offline));
    let requests = api.requests();
    assert!(
        requests.iter().any(|r| r
            == &format!("GET /api/v1/namespaces/linkerd/pods/{IDENTITY_POD}:9990/proxy/metrics")),
        "{requests:#?}"
    );
    assert!(requests.iter().any(|r| r.starts_with(
        "GET /api/v1/namespaces/linkerd/events?fieldSelector=involvedObject.name%3Dlinkerd-identity"
    )));

    // A snapshot keeps the evidence: checked offline, the same results.
    let snap_dir = tmp.path().join("snapshot");
    let snap = snapshot_to(&k, &snap_dir);
    assert_eq!(snap.status.code(), Some(0), "{}", text_of(&snap));
    let from_snapshot = json(&check_json_from(&snap_dir));
    assert_eq!(runtime_results(&from_snapshot), runtime_results(&offline));
}

#[test]
fn the_current_issuer_passes_and_forbidden_or_absent_evidence_skips() {
    let _serial = serial();
    // Loaded 2 minutes "off" (scrape delay): the same issuer.
    let (tmp, dir) = scenario_dir(chrono::TimeDelta::minutes(2), NO_EVENTS);
    let offline = json(&check_json_from(&dir));
    assert_eq!(result(&offline, RUNTIME_IDS[0])["result"], "success");

    // No permission for pods/proxy anywhere: every runtime check skipped, naming it.
    let (api, k) = serve(&dir, tmp.path());
    for ns in ["linkerd", "emojivoto", "books"] {
        api.fault(&format!("/api/v1/namespaces/{ns}/pods/"), 403, usize::MAX);
    }
    let online = json(&live(&k, &["-o", "json"]));
    for id in RUNTIME_IDS {
        let r = result(&online, id);
        assert_eq!(r["result"], "skipped", "{r}");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("resources: [\"pods/proxy\"], verbs: [\"get\"]"),
            "{r}"
        );
    }
    // The rest of the report is the offline one.
    let mut rest = online.clone();
    let mut expected = offline.clone();
    for v in [&mut rest, &mut expected] {
        // (`success` too: offline, the expired leaf fails the run.)
        v.as_object_mut().unwrap().remove("source");
        v.as_object_mut().unwrap().remove("success");
        for c in v["categories"].as_array_mut().unwrap() {
            c["checks"]
                .as_array_mut()
                .unwrap()
                .retain(|x| !RUNTIME_IDS.contains(&x["id"].as_str().unwrap()));
        }
    }
    assert!(
        rest == expected,
        "{}",
        crate::common::first_difference(&rest, &expected)
    );

    // --proxy-metrics off; a dump without the files.
    let online = json(&live(&k, &["-o", "json", "--proxy-metrics", "off"]));
    assert_eq!(
        result(&online, RUNTIME_IDS[1])["reason"],
        "the proxies' metrics were not read: --proxy-metrics off"
    );
    let bare = json(&check_json_from(&fixture("dataplane-current")));
    assert_eq!(
        result(&bare, RUNTIME_IDS[0])["reason"],
        "the identity pods' metrics were not read: the input holds no identity metrics (a dump by `meshcert dump-commands` has them where permitted)"
    );
    assert_eq!(result(&bare, RUNTIME_IDS[1])["result"], "skipped");
}

#[test]
fn a_metrics_endpoint_that_answers_garbage_or_nothing_is_named_and_nothing_else_is_lost() {
    let _serial = serial();
    let (tmp, dir) = scenario_dir(chrono::TimeDelta::zero(), NO_EVENTS);
    std::fs::write(
        dir.join("metrics")
            .join(format!("linkerd_{IDENTITY_POD}_9990.metrics")),
        "<html><body>502 Bad Gateway</body></html>\n",
    )
    .unwrap();
    let (api, k) = serve(&dir, tmp.path());
    // One proxy's port never answers in time.
    api.fault_with_delay(
        "/api/v1/namespaces/emojivoto/pods/web-mdchm8xsl4-kf2c5:4191/",
        200,
        usize::MAX,
        std::time::Duration::from_secs(30),
    );
    let online = live(&k, &["-o", "json", "--proxy-metrics", "all"]);
    let v = json(&online);
    let loaded = result(&v, RUNTIME_IDS[0]);
    assert_eq!(loaded["result"], "error");
    assert!(
        loaded["error"].as_str().unwrap().starts_with(&format!(
            "cannot read which issuer pod linkerd/{IDENTITY_POD} has loaded: GET /api/v1/namespaces/linkerd/pods/{IDENTITY_POD}:9990/proxy/metrics: the metrics hold no issuer_cert_ttl_seconds sample"
        )),
        "{loaded}"
    );
    // The slow proxy is listed as unreadable; the expired one is still caught.
    let valid = result(&v, RUNTIME_IDS[1]);
    assert_eq!(valid["result"], "error", "{valid}");
    let unreadable = valid["details"]["runtime"]["proxyLeaves"]["unreadable"]
        .as_array()
        .unwrap();
    assert_eq!(unreadable.len(), 1, "{valid}");
    assert_eq!(unreadable[0]["name"], "web-mdchm8xsl4-kf2c5");
    // Everything stored was still read and judged.
    assert_eq!(
        result(&v, "l5d-identity-issuer-cert-is-time-valid")["result"],
        "success"
    );
    assert_eq!(
        result(&v, "l5d-identity-data-plane-proxies-certs-match-ca")["result"],
        "success"
    );
}
