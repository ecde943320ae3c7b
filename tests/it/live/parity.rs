//! A live run, an offline run of the same objects and a snapshot of them give the same report (and the same rotation assessment).

use super::*;
use crate::common::without_runtime_skip_reasons;

#[test]
fn every_offline_scenario_gives_the_same_json_live() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 25, "{scenarios:?}");
    for scenario in scenarios {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(&scenario), tmp.path());
        let offline = check_json_from(&fixture(&scenario));
        let online = live(&k, &["-o", "json"]);
        assert_eq!(
            online.status.code(),
            offline.status.code(),
            "{scenario}: {}",
            stderr(&online)
        );
        let (mut a, mut b) = (json(&offline), json(&online));
        assert!(
            b["source"]
                .as_str()
                .unwrap()
                .starts_with("cluster: fake (http://127.0.0.1:"),
            "{}",
            b["source"]
        );
        a.as_object_mut().unwrap().remove("source");
        b.as_object_mut().unwrap().remove("source");
        without_runtime_skip_reasons(&mut a);
        without_runtime_skip_reasons(&mut b);
        assert_eq!(a, b, "{scenario}: live and offline reports differ");
    }
}

#[test]
fn the_scope_flags_give_the_same_report_live_and_offline() {
    // `-n` and the extensions' namespaces are the run's, not the cluster's: a live run and an
    // offline run of the same objects, scoped alike, agree (and the scope changes the verdict).
    for (scenario, flags) in [
        ("dataplane-stale", &["-n", "emojivoto"][..]),
        ("dataplane-stale", &["-n", "other"][..]),
        (
            "tap-injector-expired",
            &["--viz-namespace", "elsewhere"][..],
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(scenario), tmp.path());
        let dir = fixture(scenario);
        let offline = check_json_from_with(&dir, flags);
        let mut live_args = vec!["-o", "json"];
        live_args.extend_from_slice(flags);
        let online = live(&k, &live_args);
        assert_eq!(
            online.status.code(),
            offline.status.code(),
            "{scenario} {flags:?}"
        );
        let (mut a, mut b) = (json(&offline), json(&online));
        a.as_object_mut().unwrap().remove("source");
        b.as_object_mut().unwrap().remove("source");
        without_runtime_skip_reasons(&mut a);
        without_runtime_skip_reasons(&mut b);
        assert_eq!(
            a, b,
            "{scenario} {flags:?}: live and offline reports differ"
        );
        let unscoped = json(&check_json_from(&dir));
        assert_ne!(
            a["categories"], unscoped["categories"],
            "{scenario} {flags:?} changed nothing"
        );
    }
}

#[test]
fn rotation_live_gives_the_offline_assessment_and_reads_many_clusters() {
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("source");
        v
    };
    for scenario in [
        "rotation-bundle-deployed",
        "rotation-issuer-deployed",
        "rotation-done",
        "rotation-anchor-removed-early",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(scenario), tmp.path());
        let online = rotation_json("--kubeconfig", &k);
        let offline = rotation_json("--from", &fixture(scenario));
        assert_eq!(online.status.code(), offline.status.code(), "{scenario}");
        assert_eq!(strip(json(&online)), strip(json(&offline)), "{scenario}");
    }
    // Through a snapshot: pods keep their creation time, so the stage survives.
    let tmp = tempfile::tempdir().unwrap();
    let (_api, k) = serve(&fixture("rotation-issuer-deployed"), tmp.path());
    let snap = tmp.path().join("snap");
    let k = k.to_str().unwrap();
    let written = snapshot_to(Path::new(k), &snap);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let online = rotation_json("--kubeconfig", Path::new(k));
    let offline = rotation_json("--from", &snap);
    assert_eq!(strip(json(&offline)), strip(json(&online)));
    assert_eq!(json(&offline)["stage"], "issuer-deployed");

    // Several contexts: one section each; an unreachable one is an error entry and exit 2.
    let tmp = tempfile::tempdir().unwrap();
    let (_apis, k) = prod_staging_lab(tmp.path(), "rotation-issuer-ahead");
    let k = k.to_str().unwrap();
    let out = meshcert(&[
        "rotation",
        "--at",
        AT,
        "--kubeconfig",
        k,
        "--all-contexts",
        "--timeout",
        "5s",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let clusters = json(&out)["clusters"].as_array().unwrap().clone();
    let by_context: std::collections::BTreeMap<&str, &Value> = clusters
        .iter()
        .map(|c| (c["context"].as_str().unwrap(), c))
        .collect();
    assert_eq!(by_context["prod"]["stage"], "before");
    assert_eq!(by_context["staging"]["stage"], "issuer-ahead-of-proxies");
    assert!(
        by_context["lab"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot reach the API server"),
        "{}",
        by_context["lab"]
    );
    let out = meshcert(&[
        "rotation",
        "--at",
        AT,
        "--kubeconfig",
        k,
        "--context",
        "prod",
        "--context",
        "staging",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the dangerous cluster fails the run"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("=== cluster prod ===\n\ntrust-anchor rotation\n"),
        "{text}"
    );
    assert!(text.contains("=== cluster staging ===\n"), "{text}");
    assert!(text.contains("stage: issuer-ahead-of-proxies\n"), "{text}");
}

#[test]
fn a_snapshot_checked_offline_gives_the_live_report() {
    for scenario in [
        "healthy",
        "issuer-key-mismatch",
        "missing-issuer-secret",
        "external-issuer",
        "legacy-secrets",
        "policy-validator-absent",
        "viz-tap-expired",
        "dataplane-stale",
        "dataplane-rotation",
        "dataplane-unparseable",
        "cert-manager-renewing",
        "cert-manager-stalled",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (_api, k) = serve(&fixture(scenario), tmp.path());
        let out_dir = tmp.path().join("snap");
        let snap = snapshot_to(&k, &out_dir);
        assert_eq!(snap.status.code(), Some(0), "{scenario}: {}", stderr(&snap));
        assert!(
            stderr(&snap).contains("meshcert: wrote "),
            "{}",
            stderr(&snap)
        );
        let online = json(&live(&k, &["-o", "json"]));
        let offline = json(&meshcert(&[
            "check",
            "--from",
            out_dir.to_str().unwrap(),
            "--at",
            AT,
            "-o",
            "json",
        ]));
        let strip = |mut v: Value| {
            v.as_object_mut().unwrap().remove("source");
            without_runtime_skip_reasons(&mut v);
            v
        };
        assert_eq!(
            strip(offline),
            strip(online),
            "{scenario}: the snapshot's report differs from the live one"
        );
    }
}
