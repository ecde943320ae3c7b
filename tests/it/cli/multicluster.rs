//! Linked clusters, offline: `--from fixtures/multicluster/<scenario>` holds one dump per cluster
//! (`east/`, `west/`), each with a Link to the other. linkerd's verdict for "clusters share
//! trust anchors", and meshcert's on whether traffic between them is trusted, on both sides.

use super::*;

const SHARE: &str = "l5d-multicluster-clusters-share-anchors";
const ISSUERS: &str = "meshcert-multicluster-issuers-trusted";
const ROTATION: &str = "meshcert-multicluster-rotation-safe";
const GATEWAY: &str = "meshcert-multicluster-gateway-identity";
const CREDENTIALS: &str = "meshcert-multicluster-credentials-not-expiring";

/// The JSON report of the clusters of `fixtures/multicluster/<scenario>`.
fn fleet(scenario: &str, extra: &[&str]) -> (Output, Value) {
    let path = format!("fixtures/multicluster/{scenario}");
    let mut args = vec!["check", "--from", path.as_str(), "--at", AT, "-o", "json"];
    args.extend_from_slice(extra);
    let out = meshcert(&args);
    let json = json_of(&out);
    (out, json)
}

/// `meshcert check -o json` of the clusters whose dumps are `dirs`, one folder each.
fn check_dumps(dirs: &[&std::path::Path]) -> Output {
    let mut args = vec!["check".to_string()];
    for d in dirs {
        args.extend(["--from".to_string(), d.to_str().unwrap().to_string()]);
    }
    args.extend(["--at", AT, "-o", "json"].map(String::from));
    meshcert(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The multicluster checks of cluster `name`: id → (result, the whole entry).
fn multicluster_of(report: &Value, name: &str) -> BTreeMap<String, (String, Value)> {
    let cluster = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["context"] == name)
        .unwrap_or_else(|| panic!("no cluster {name} in {report}"));
    cluster["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["categoryName"] == "linkerd-multicluster")
        .flat_map(|c| c["checks"].as_array().unwrap().clone())
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                (c["result"].as_str().unwrap().to_string(), c),
            )
        })
        .collect()
}

fn results(checks: &BTreeMap<String, (String, Value)>) -> BTreeMap<&str, &str> {
    checks
        .iter()
        .map(|(id, (r, _))| (id.as_str(), r.as_str()))
        .collect()
}

#[test]
fn one_anchor_on_both_sides_passes_everywhere() {
    let (out, report) = fleet("shared", &[]);
    assert_eq!(out.status.code(), Some(0));
    for name in ["east", "west"] {
        let checks = multicluster_of(&report, name);
        assert_eq!(
            results(&checks),
            [
                (SHARE, "success"),
                (ISSUERS, "success"),
                (ROTATION, "success"),
                (GATEWAY, "success"),
                (CREDENTIALS, "success"),
            ]
            .into(),
            "{name}"
        );
    }
}

#[test]
fn a_staged_rotation_fails_linkerds_set_equality_but_traffic_is_trusted_both_ways() {
    let (out, report) = fleet("staged", &[]);
    assert_eq!(out.status.code(), Some(1));
    for (name, other) in [("east", "west"), ("west", "east")] {
        let checks = multicluster_of(&report, name);
        assert_eq!(checks[SHARE].0, "error", "{name}");
        assert_eq!(
            checks[SHARE].1["error"],
            format!("Problematic clusters:\n    * {other}")
        );
        assert_eq!(checks[ISSUERS].0, "success", "{name}");
        assert_eq!(checks[ROTATION].0, "success", "{name}");
    }
    // The note says where each side's rotation stands.
    let east = multicluster_of(&report, "east");
    assert_eq!(
        east[ROTATION].1["description"],
        "linked clusters are mid-rotation safely (rotation: east: workloads-restarted, next step 3; west: before)"
    );
}

#[test]
fn equal_sets_pass_linkerd_while_an_issuer_is_ahead_of_the_other_sides_proxies() {
    let (out, report) = fleet("issuer-ahead", &[]);
    assert_eq!(out.status.code(), Some(1));
    for name in ["east", "west"] {
        let checks = multicluster_of(&report, name);
        assert_eq!(checks[SHARE].0, "success", "{name}: linkerd's verdict");
        assert_eq!(checks[ISSUERS].0, "success", "{name}: the roots agree");
        assert_eq!(checks[ROTATION].0, "error", "{name}");
        let error = checks[ROTATION].1["error"].as_str().unwrap().to_string();
        assert!(
            error.starts_with("2 proxies of west trust only 1 root.linkerd.cluster.local")
                && error.contains(
                    "which does not verify the issuer of east (14 identity.linkerd.cluster.local"
                )
                && error.contains("emojivoto/web-"),
            "{name}: {error}"
        );
    }
}

#[test]
fn a_wrong_gateway_domain_missing_credentials_and_expired_credentials_are_named() {
    let (out, report) = fleet("broken", &[]);
    assert_eq!(out.status.code(), Some(1));
    let east = multicluster_of(&report, "east");
    assert_eq!(
        east[SHARE].1["error"],
        "Problematic clusters:\n    * secret: [linkerd-multicluster/cluster-credentials-north]: secrets \"cluster-credentials-north\" not found"
    );
    let gateway = east[GATEWAY].1["error"].as_str().unwrap();
    assert!(
        gateway.starts_with("Link linkerd-multicluster/west: spec.gatewayIdentity linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.west.cluster.local is not an identity of west's trust domain cluster.local"),
        "{gateway}"
    );
    let west = multicluster_of(&report, "west");
    assert_eq!(west[CREDENTIALS].0, "warning");
    let credentials = west[CREDENTIALS].1["error"].as_str().unwrap();
    assert!(
        credentials.contains("certificate-authority-data 900 east-apiserver-ca")
            && credentials.contains("expired at 2026-11-01T00:00:00Z")
            && credentials.contains("the service-account token expired at"),
        "{credentials}"
    );
    // No token, key or kubeconfig in any output.
    for format in ["json", "table", "junit", "prometheus"] {
        let out = meshcert(&[
            "check",
            "--from",
            "fixtures/multicluster/broken",
            "--at",
            AT,
            "-o",
            format,
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("eyJ"),
            "{format}: a JWT segment in the output"
        );
        assert!(!text.contains("kubeconfig:"), "{format}");
    }
}

#[test]
fn a_single_clusters_links_are_not_compared_without_their_targets() {
    let out = check_from("multicluster/staged/east", &["-o", "json"]);
    let report = json_of(&out);
    let share = crate::common::check_result(&report, SHARE);
    assert_eq!(share["result"], "skipped");
    assert_eq!(
        share["reason"],
        "not compared: west (Link linkerd-multicluster/west) is not among the run's clusters: read it too (--context, or its dump with --from)"
    );
    // Naming the two dumps gives the pair.
    let both = check_dumps(&[
        std::path::Path::new("fixtures/multicluster/staged/east"),
        std::path::Path::new("fixtures/multicluster/staged/west"),
    ]);
    let report = json_of(&both);
    assert_eq!(multicluster_of(&report, "east")[SHARE].0, "error");
}

#[test]
fn roots_written_by_trust_manager_are_what_counts_not_linkerd_config() {
    // East's linkerd-config still holds the anchor it was installed with; trust-manager writes
    // the same roots on both sides. linkerd fails it (linkerd2#11668); traffic is trusted.
    let (_, report) = fleet("trust-manager", &[]);
    let east = multicluster_of(&report, "east");
    assert_eq!(east[SHARE].1["error"], "Problematic clusters:\n    * west");
    assert_eq!(east[ISSUERS].0, "success");
    assert_eq!(east[ROTATION].0, "success");
}

#[test]
fn three_clusters_each_pair_judged_and_the_distrusting_one_named() {
    let (out, report) = fleet("triple", &[]);
    assert_eq!(out.status.code(), Some(1));
    let east = multicluster_of(&report, "east");
    assert_eq!(east[ISSUERS].0, "success");
    assert_eq!(east[ROTATION].0, "success");
    let north = multicluster_of(&report, "north");
    assert_eq!(north[ISSUERS].0, "error");
    let error = north[ISSUERS].1["error"].as_str().unwrap();
    assert!(
        error.starts_with("the trust roots of west (1 root.linkerd.cluster.local")
            && error
                .contains("do not verify the issuer of north (22 identity.linkerd.cluster.local"),
        "{error}"
    );
    // Each Link's verdict, in the details.
    let links = north[ISSUERS].1["details"]["links"]
        .as_array()
        .unwrap()
        .clone();
    let verdict = |target: &str| {
        links
            .iter()
            .find(|l| l["target"] == target)
            .map(|l| l["trusted"].clone())
            .unwrap()
    };
    assert_eq!(verdict("east"), Value::Bool(true));
    assert_eq!(verdict("west"), Value::Bool(false));
}

#[test]
fn the_links_verdicts_are_series_and_a_matrix() {
    let path = "fixtures/multicluster/issuer-ahead";
    let prom = stdout(&meshcert(&[
        "check",
        "--from",
        path,
        "--at",
        AT,
        "-o",
        "prometheus",
    ]));
    for line in [
        "meshcert_link_trusted{cluster=\"east\",link=\"linkerd-multicluster/west\",target=\"west\",by=\"roots\"} 1\n",
        "meshcert_link_trusted{cluster=\"east\",link=\"linkerd-multicluster/west\",target=\"west\",by=\"proxies\"} 0\n",
        "meshcert_link_trusted{cluster=\"west\",link=\"linkerd-multicluster/east\",target=\"east\",by=\"proxies\"} 0\n",
    ] {
        assert!(prom.contains(line), "{line} not in {prom}");
    }
    let html = stdout(&meshcert(&[
        "check", "--from", path, "--at", AT, "-o", "html",
    ]));
    assert!(html.contains("<h2>Linked clusters</h2>"), "{html}");
    assert!(
        html.contains("<td class=\"link error\" data-source=\"east\" data-target=\"west\""),
        "{html}"
    );
    let shared = stdout(&meshcert(&[
        "check",
        "--from",
        "fixtures/multicluster/shared",
        "--at",
        AT,
        "-o",
        "html",
    ]));
    assert!(shared.contains("<td class=\"link ok\" data-source=\"east\" data-target=\"west\""));
}

/// `meshcert rotation` over linked clusters: the order across the fleet, in the table and in
/// JSON. No cluster deploys an issuer from a new anchor its linked clusters do not trust
/// everywhere, none removes an anchor a linked cluster's issuer needs, and a cluster starting
/// bundles the anchor its links already bundled.
#[test]
fn the_rotation_is_ordered_across_linked_clusters() {
    let run = |scenario: &str, format: &str| {
        meshcert(&[
            "rotation",
            "--from",
            &format!("fixtures/multicluster/{scenario}"),
            "--at",
            AT,
            "-o",
            format,
        ])
    };
    let json = json_of(&run("staged", "json"));
    let fleet = json["fleet"].as_array().unwrap();
    let east = fleet.iter().find(|f| f["cluster"] == "east").unwrap();
    assert_eq!(east["nextStep"], 3);
    assert!(
        east["hold"]
            .as_str()
            .unwrap()
            .starts_with("west does not trust the new anchor root.linkerd.cluster.local"),
        "{east}"
    );
    let west = fleet.iter().find(|f| f["cluster"] == "west").unwrap();
    assert_eq!(west["nextStep"], 1);
    assert!(west.get("hold").is_none(), "{west}");
    assert!(
        west["note"]
            .as_str()
            .unwrap()
            .starts_with("bundle the new anchor east has bundled"),
        "{west}"
    );
    let table = stdout(&run("issuer-ahead", "table"));
    assert!(
        table.contains("  east: hold step 6 (linked with west): west's issuer is still signed by the old anchor"),
        "{table}"
    );
    // One cluster alone, or clusters not linked: no fleet section.
    let one = json_of(&meshcert(&[
        "rotation",
        "--from",
        "fixtures/multicluster/staged/east",
        "--at",
        AT,
        "-o",
        "json",
    ]));
    assert!(one.get("fleet").is_none());
}

/// Copies cluster `name` of `scenario` into `to`, its credentials Secret changed by `change`.
fn with_changed_credentials(
    scenario: &str,
    name: &str,
    to: &std::path::Path,
    change: impl Fn(&mut Value),
) {
    let from = std::path::Path::new("fixtures/multicluster")
        .join(scenario)
        .join(name);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if file != "linkerd-identity.yaml" {
            std::fs::copy(&path, to.join(&file)).unwrap();
            continue;
        }
        let mut items = crate::fake_api::documents(&path);
        for o in &mut items {
            if o["kind"] == "Secret"
                && o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("cluster-credentials-"))
            {
                change(o);
            }
        }
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        std::fs::write(to.join("linkerd-identity.json"), list.to_string()).unwrap();
    }
}

#[test]
fn malformed_credentials_get_linkerds_lines_and_never_leak() {
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let east = tmp.path().join("east");
    let west = tmp.path().join("west");
    // East's kubeconfig is not a kubeconfig (a token in it must not be quoted back).
    with_changed_credentials("shared", "east", &east, |o| {
        o["data"]["kubeconfig"] = serde_json::json!(
            base64::engine::general_purpose::STANDARD
                .encode("token: s3cr3t-t0ken-value\n  - [unbalanced")
        );
    });
    // West's Secret has no kubeconfig key at all.
    with_changed_credentials("shared", "west", &west, |o| {
        o["data"].as_object_mut().unwrap().remove("kubeconfig");
    });
    let out = check_dumps(&[&east, &west]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!text.contains("s3cr3t-t0ken-value"), "{text}");
    let report = json_of(&out);
    let east_share = &multicluster_of(&report, "east")[SHARE].1["error"];
    assert!(
        east_share
            .as_str()
            .unwrap()
            .starts_with("Problematic clusters:\n    * secret: [linkerd-multicluster/cluster-credentials-west] cluster: [west]: unable to parse api config: "),
        "{east_share}"
    );
    assert_eq!(
        multicluster_of(&report, "west")[SHARE].1["error"],
        "Problematic clusters:\n    * secret: [linkerd-multicluster/cluster-credentials-east]: could not parse config secret: secret should contain target cluster name as annotation multicluster.linkerd.io/cluster-name"
    );
}

/// Dumps in folders named otherwise than the Links' targets find each other by the API server
/// they record (`cluster-server`, which the dump recipe writes) and the credentials name.
#[test]
fn dumps_find_their_links_targets_by_the_recorded_api_server() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (name, folder) in [("east", "prod-eu"), ("west", "prod-us")] {
        let to = tmp.path().join(folder);
        std::fs::create_dir_all(&to).unwrap();
        let from = std::path::Path::new("fixtures/multicluster/staged").join(name);
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
        std::fs::write(
            to.join("cluster-server"),
            format!("https://{name}.example:6443\n"),
        )
        .unwrap();
        dirs.push(to);
    }
    let out = check_dumps(&[&dirs[0], &dirs[1]]);
    let report = json_of(&out);
    let eu = multicluster_of(&report, "prod-eu");
    assert_eq!(eu[SHARE].1["error"], "Problematic clusters:\n    * west");
    assert_eq!(eu[ISSUERS].0, "success");
    // Without the recorded servers, the folders' names do not match the targets: not compared.
    for d in &dirs {
        std::fs::remove_file(d.join("cluster-server")).unwrap();
    }
    let out = check_dumps(&[&dirs[0], &dirs[1]]);
    let report = json_of(&out);
    assert_eq!(multicluster_of(&report, "prod-eu")[SHARE].0, "skipped");
}
