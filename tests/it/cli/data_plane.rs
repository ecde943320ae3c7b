//! The data-plane check: current, stale and unreadable proxy bundles, `-n`, long lists.

use super::*;

#[test]
fn current_proxies_pass_and_control_plane_and_unmeshed_pods_are_not_compared() {
    let report = json_of(&check_from("dataplane-current", &["-o", "json"]));
    let dp = &result_of(&report, DP)["details"]["dataPlane"];
    assert_eq!(dp["checkedPods"], 3, "{dp}");
    assert_eq!(dp["skippedControlPlanePods"], 3);
    assert_eq!(
        dp["currentAnchors"][0]["commonName"],
        "root.linkerd.cluster.local"
    );
}

#[test]
fn stale_pods_are_listed_as_linkerd_lists_them_with_their_workloads() {
    let out = check_from("dataplane-stale", &["-o", "json"]);
    // linkerd's check only warns; meshcert's consistency check fails the run, because these
    // proxies cannot verify certificates from the current issuer.
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(results(&report)[DP], "warning");
    assert_eq!(results(&report)[C_PROXIES], "error");
    let linkerds_only = check_from("dataplane-stale", &["--skip", C_PROXIES]);
    assert_eq!(
        linkerds_only.status.code(),
        Some(0),
        "a warning does not fail the run"
    );
    let dp = result_of(&report, DP);
    let error = dp["error"].as_str().unwrap();
    let web = dp["details"]["dataPlane"]["stalePods"][1]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(web.starts_with("web-"), "{web}");
    assert!(
        error.starts_with(&format!(
            "Some pods do not have the current trust bundle and must be restarted:\n\t* books/db-0\n\t* emojivoto/{web}\nRestart them:\n\t* kubectl -n books rollout restart sts/db (1 pod)\n\t* kubectl -n emojivoto rollout restart deploy/web (1 pod)\nTheir proxies' trust anchors:\n\t* 2 pods trust old only; not in linkerd-identity-trust-roots: root.linkerd.cluster.local (sha256 "
        )),
        "{error}"
    );
    // The control-plane pod with a literal old bundle is not reported.
    assert!(!error.contains("linkerd-tap-probe"), "{error}");
    let stale = &dp["details"]["dataPlane"]["stalePods"];
    assert_eq!(stale[0]["nativeSidecar"], true);
    assert_eq!(stale[0]["workload"], "sts/db");
    assert_eq!(stale[1]["nativeSidecar"], false);
    assert_eq!(
        check_from("dataplane-stale", &["--fail-on", "warning"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn namespace_flag_scopes_the_check_and_drops_the_namespace_from_the_list() {
    let report = json_of(&check_from(
        "dataplane-stale",
        &["-n", "emojivoto", "-o", "json"],
    ));
    let dp = result_of(&report, DP);
    let error = dp["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "Some pods do not have the current trust bundle and must be restarted:\n\t* web-"
        ),
        "{error}"
    );
    assert!(
        !error.contains("db-0") && !error.contains("emojivoto/"),
        "{error}"
    );
    assert_eq!(dp["details"]["dataPlane"]["checkedPods"], 3);
    let report = json_of(&check_from(
        "dataplane-stale",
        &["-n", "other", "-o", "json"],
    ));
    assert_eq!(result_of(&report, DP)["result"], "success");
}

#[test]
fn rotation_reports_only_the_pod_on_the_old_anchor_alone() {
    let report = json_of(&check_from("dataplane-rotation", &["-o", "json"]));
    let dp = result_of(&report, DP);
    let stale = dp["details"]["dataPlane"]["stalePods"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{dp}");
    assert!(stale[0]["name"].as_str().unwrap().starts_with("emoji-"));
    // The pod that trusts the old anchor alone rejects the new issuer's certificates; the pod
    // with both anchors (in another order) does not.
    let untrusting = result_of(&report, C_PROXIES)["error"].as_str().unwrap();
    assert!(
        untrusting.starts_with("Some proxies do not trust 3 root-2026.linkerd.cluster.local")
            && untrusting.contains("\n\t* emojivoto/emoji-")
            && untrusting.matches("\n\t* emojivoto/").count() == 1,
        "{untrusting}"
    );
    let bundle = &dp["details"]["dataPlane"]["staleBundles"][0];
    assert_eq!(bundle["trusts"], "old only");
    assert_eq!(
        bundle["missingAnchors"][0]["commonName"],
        "root-2026.linkerd.cluster.local"
    );
    assert_eq!(
        dp["details"]["dataPlane"]["checkedPods"], 3,
        "the reordered CRLF bundle was compared and matched"
    );
}

#[test]
fn unreadable_bundles_are_listed_separately_with_the_reason() {
    let report = json_of(&check_from("dataplane-unparseable", &["-o", "json"]));
    let dp = result_of(&report, DP);
    let error = dp["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "Some pods have a trust bundle that cannot be read:\n\t* emojivoto/node-agent-"
        ),
        "{error}"
    );
    assert!(error.ends_with(": not a PEM certificate"), "{error}");
    assert_eq!(
        dp["details"]["dataPlane"]["unreadablePods"][0]["reason"],
        "not a PEM certificate"
    );
}

#[test]
fn json_problems_name_the_object_and_key_of_each_problem() {
    // Data plane: one problem per pod and per workload, under linkerd's headings.
    let report = json_of(&check_from("dataplane-stale", &["-o", "json"]));
    let dp = result_of(&report, DP);
    let problems = dp["problems"].as_array().unwrap();
    let stale_heading = "Some pods do not have the current trust bundle and must be restarted:";
    assert_eq!(problems[0]["heading"], stale_heading, "{dp}");
    assert_eq!(problems[0]["object"], "Pod books/db-0");
    assert_eq!(problems[0]["message"], "books/db-0");
    let restarts: Vec<&serde_json::Value> = problems
        .iter()
        .filter(|p| p["heading"] == "Restart them:")
        .collect();
    assert_eq!(restarts[0]["object"], "StatefulSet books/db", "{dp}");
    assert_eq!(
        restarts[0]["message"],
        "kubectl -n books rollout restart sts/db (1 pod)"
    );
    // Every listed problem is one `\t* ` line of the error, in order.
    let listed: Vec<String> = problems
        .iter()
        .map(|p| format!("\t* {}", p["message"].as_str().unwrap()))
        .collect();
    let lines: Vec<&str> = dp["error"]
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("\t* "))
        .collect();
    assert_eq!(lines, listed);

    // Identity: the key that does not match is named by object and key.
    let report = json_of(&check_from("issuer-key-mismatch", &["-o", "json"]));
    let config = result_of(&report, CONFIG);
    let problem = &config["problems"][0];
    assert_eq!(problem["object"], "Secret linkerd/linkerd-identity-issuer");
    assert_eq!(problem["key"], "key.pem");
    assert_eq!(problem["message"], config["error"], "{config}");
    assert!(problem.get("heading").is_none());
    // A passing check has no problems.
    let healthy = json_of(&check_from("healthy", &["-o", "json"]));
    assert!(result_of(&healthy, CONFIG).get("problems").is_none());
}
