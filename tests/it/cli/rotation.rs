//! `meshcert rotation` over the rotation scenarios.

use super::*;

#[test]
fn rotation_names_the_stage_the_next_commands_and_what_it_refuses() {
    let cases = [
        RotationCase {
            scenario: "rotation-before",
            stage: "before",
            step: Some(1),
            // The one anchor is the bundle's newest.
            proxies: [0, 4, 0],
            commands: &[
                "step certificate bundle ca-new.crt original-trust.crt bundle.crt",
                "linkerd upgrade --identity-trust-anchors-file=./bundle.crt | kubectl apply -f -",
            ],
            refused: &["deploying an issuer signed by a new anchor"],
        },
        RotationCase {
            scenario: "rotation-bundle-deployed",
            stage: "bundle-deployed",
            step: Some(2),
            proxies: [2, 0, 2],
            commands: &[DB, EMOJI],
            refused: &["deploying an issuer signed by the new anchor root-2026"],
        },
        RotationCase {
            scenario: "rotation-restarted",
            stage: "workloads-restarted",
            step: Some(3),
            proxies: [0, 0, 4],
            commands: &[
                "linkerd upgrade --identity-issuer-certificate-file=./issuer-new.crt --identity-issuer-key-file=./issuer-new.key | kubectl apply -f -",
                EVENTS,
            ],
            refused: &["removing the old anchor root-2025"],
        },
        RotationCase {
            scenario: "rotation-issuer-deployed",
            stage: "issuer-deployed",
            step: Some(5),
            proxies: [0, 0, 4],
            commands: &[EVENTS, DB, EMOJI],
            refused: &["removing the old anchor root-2025"],
        },
        RotationCase {
            scenario: "rotation-old-anchor-unused",
            stage: "old-anchor-unused",
            step: Some(6),
            proxies: [0, 0, 4],
            commands: &[
                "linkerd upgrade --identity-trust-anchors-file=./ca-new.crt | kubectl apply -f -",
                DB,
                EMOJI,
                WEB,
            ],
            refused: &[],
        },
        RotationCase {
            scenario: "rotation-done",
            stage: "done",
            step: None,
            proxies: [0, 2, 2],
            commands: &[DB, EMOJI],
            refused: &[],
        },
        RotationCase {
            scenario: "rotation-issuer-ahead",
            stage: "issuer-ahead-of-proxies",
            step: None,
            proxies: [2, 0, 2],
            commands: &[DB, EMOJI],
            refused: &["any further step of the procedure"],
        },
        RotationCase {
            scenario: "rotation-anchor-removed-early",
            stage: "old-anchor-removed-too-early",
            step: None,
            proxies: [1, 2, 1],
            commands: &[EMOJI],
            refused: &["any further step of the procedure"],
        },
    ];
    for case in cases {
        let name = case.scenario;
        let out = rotation_from(name, &["-o", "json"]);
        let dangerous = case.stage.contains("too-early") || case.stage.contains("ahead");
        assert_eq!(
            out.status.code(),
            Some(i32::from(dangerous)),
            "{name}: {}",
            stderr(&out)
        );
        let r = json_of(&out);
        assert_eq!(r["stage"], case.stage, "{name}");
        assert_eq!(r["dangerous"], dangerous, "{name}");
        assert_eq!(r["procedureStep"].as_u64(), case.step, "{name}");
        let p = &r["proxies"];
        let counts = [&p["oldOnly"], &p["newOnly"], &p["both"]].map(|v| v.as_u64().unwrap());
        assert_eq!(counts, case.proxies, "{name}: old only, new only, both");
        assert_eq!(p["controlPlane"], 3, "{name}");
        let commands: Vec<&str> = r["nextSteps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["commands"].as_array().unwrap())
            .map(|c| c.as_str().unwrap())
            .collect();
        for c in case.commands {
            assert!(commands.contains(c), "{name}: {c} not in {commands:#?}");
        }
        // Restarts are listed only for workloads that need them.
        let restarts: Vec<&&str> = commands
            .iter()
            .filter(|c| c.contains("rollout restart"))
            .collect();
        let expected_restarts = case
            .commands
            .iter()
            .filter(|c| c.contains("rollout restart"))
            .count();
        assert_eq!(restarts.len(), expected_restarts, "{name}: {restarts:?}");
        let refused: Vec<&str> = r["refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["step"].as_str().unwrap())
            .collect();
        assert_eq!(refused.len(), case.refused.len(), "{name}: {refused:?}");
        for (got, want) in refused.iter().zip(case.refused) {
            assert!(got.starts_with(want), "{name}: {got}");
        }
        // The anchors: CN, fingerprint, notAfter, and which one signed the issuer.
        let anchors = r["anchors"].as_array().unwrap();
        let signer: Vec<&Value> = anchors
            .iter()
            .filter(|a| a["signedIssuer"] == true)
            .collect();
        assert_eq!(signer.len(), 1, "{name}");
        assert_eq!(
            r["issuer"]["signedBy"], signer[0]["sha256Fingerprint"],
            "{name}"
        );
        for a in anchors {
            assert!(
                a["commonName"].as_str().unwrap().starts_with("root-202"),
                "{name}"
            );
            assert_eq!(a["notAfter"], "2125-01-01T00:00:00Z", "{name}");
        }

        // The table says the same.
        let table = rotation_from(name, &[]);
        assert_eq!(table.status.code(), out.status.code(), "{name} table");
        let text = stdout(&table);
        let step = case
            .step
            .map_or(String::new(), |s| format!(" (next: step {s} of 6)"));
        assert!(
            text.contains(&format!("\nstage: {}{step}\n", case.stage)),
            "{name}:\n{text}"
        );
        assert!(
            text.contains(r["summary"].as_str().unwrap()),
            "{name}:\n{text}"
        );
        for c in &commands {
            assert!(
                text.contains(&format!("    {c}\n")),
                "{name}: {c} not in\n{text}"
            );
        }
        for f in r["refused"].as_array().unwrap() {
            let line = format!(
                "  × {}: {}\n",
                f["step"].as_str().unwrap(),
                f["reason"].as_str().unwrap()
            );
            assert!(text.contains(&line), "{name}: {line} not in\n{text}");
        }
        for a in anchors {
            let fp = &a["sha256Fingerprint"].as_str().unwrap()[..16];
            assert!(text.contains(fp), "{name}: anchor {fp} not in\n{text}");
        }
    }
}

#[test]
fn rotation_explains_why_it_cannot_assess() {
    // No issuer: exit 2 and the reason, on stderr.
    let out = rotation_from("missing-issuer-secret", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot assess the rotation: cannot read the issuer certificate"),
        "{}",
        stderr(&out)
    );
    // The issuer signed by no anchor anyone has.
    let out = rotation_from("issuer-other-root", &["-o", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let r = json_of(&out);
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("is signed by none of the anchors"),
        "{r}"
    );
    assert_eq!(r["source"], "manifests: fixtures/issuer-other-root");
}

/// `rotation --from fixtures/<scenario> -o json`, parsed, with its exit code.
fn rotation_json(scenario: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["-o", "json"];
    args.extend_from_slice(extra);
    let out = rotation_from(scenario, &args);
    let code = out.status.code();
    (code, json_of(&out))
}

#[test]
fn equal_not_before_and_one_cn_still_give_every_stage() {
    for (suffix, stage) in [
        ("before", "before"),
        ("bundle-deployed", "bundle-deployed"),
        ("restarted", "workloads-restarted"),
        ("issuer-deployed", "issuer-deployed"),
        ("old-anchor-unused", "old-anchor-unused"),
        ("done", "done"),
        ("issuer-ahead", "issuer-ahead-of-proxies"),
        ("anchor-removed-early", "old-anchor-removed-too-early"),
    ] {
        let name = format!("rotation-equal-{suffix}");
        let (code, r) = rotation_json(&name, &[]);
        assert_eq!(r["stage"], stage, "{name}: {}", r["newAnchorBasis"]);
        assert_eq!(r["newAnchorAmbiguous"], false, "{name}");
        assert_eq!(code, Some(i32::from(r["dangerous"] == true)), "{name}");
        let basis = r["newAnchorBasis"].as_str().unwrap();
        // Equal notBefore says nothing; the proxies or the bundle order decide.
        assert!(
            basis == "the bundle holds one anchor"
                || basis.contains("by the proxies' bundles")
                || basis.contains("by bundle order"),
            "{name}: {basis}"
        );
        assert!(!basis.contains("by notBefore"), "{name}: {basis}");
        // Both anchors carry the same CN: the table tells them apart by fingerprint.
        let table = stdout(&rotation_from(&name, &[]));
        assert!(
            table.contains(&format!("\nnew anchor: {basis}\n")),
            "{name}:\n{table}"
        );
    }
    // Where the proxies tell, they decide over a hand-made bundle order (old first).
    let (_, r) = rotation_json("rotation-old-first-bundle-deployed", &[]);
    assert_eq!(r["stage"], "bundle-deployed");
    assert!(
        r["newAnchorBasis"]
            .as_str()
            .unwrap()
            .contains("by the proxies' bundles: 2 proxies trust"),
        "{}",
        r["newAnchorBasis"]
    );
}

#[test]
fn contradicting_evidence_is_ambiguous_and_the_advice_removes_no_anchor() {
    for name in [
        "rotation-inverted-restarted",
        "rotation-inverted-issuer-deployed",
    ] {
        let (code, r) = rotation_json(name, &[]);
        assert_eq!(code, Some(0), "{name}");
        assert_eq!(r["newAnchorAmbiguous"], true, "{name}");
        let basis = r["newAnchorBasis"].as_str().unwrap();
        assert!(
            basis.starts_with("ambiguous: the evidence disagrees: bundle order names"),
            "{basis}"
        );
        assert!(basis.contains("notBefore names"), "{basis}");
        // The conservative reading: the issuer's anchor is the old one.
        assert_eq!(r["stage"], "workloads-restarted", "{name}");
        let steps = r["nextSteps"].as_array().unwrap();
        assert!(
            steps[0]["description"]
                .as_str()
                .unwrap()
                .starts_with("Which anchor is new is ambiguous"),
            "{name}"
        );
        let commands = serde_json::to_string(steps).unwrap();
        assert!(
            !commands.contains("--identity-trust-anchors-file"),
            "{name}: {commands}"
        );
        let refused = serde_json::to_string(&r["refused"]).unwrap();
        assert!(
            refused.contains("removing the old anchor"),
            "{name}: {refused}"
        );
        let table = stdout(&rotation_from(name, &[]));
        assert!(table.contains("\nnew anchor: ambiguous: "), "{table}");
    }
}

#[test]
fn new_anchor_states_which_anchor_is_new() {
    // The new anchor is the first of the bundle (written new first).
    let roots = std::fs::read_to_string(
        crate::common::fixture("rotation-inverted-issuer-deployed").join("linkerd-identity.yaml"),
    )
    .unwrap();
    let begin = roots.find("-----BEGIN CERTIFICATE-----").unwrap();
    let end = roots[begin..].find("-----END CERTIFICATE-----").unwrap() + begin + 25;
    let pem: String = roots[begin..end]
        .lines()
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca-new.crt");
    std::fs::write(&file, &pem).unwrap();
    let (code, r) = rotation_json(
        "rotation-inverted-issuer-deployed",
        &["--new-anchor", file.to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
    assert_eq!(r["stage"], "issuer-deployed");
    assert_eq!(r["newAnchorBasis"], "stated with --new-anchor");
    assert_eq!(r["newAnchorAmbiguous"], false);
    let new_fp = r["anchors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "new")
        .unwrap()["sha256Fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    // The same by fingerprint prefix, with colons and upper case.
    let prefix: String = new_fp[..12].to_ascii_uppercase();
    let colons = format!("{}:{}:{}", &prefix[..4], &prefix[4..8], &prefix[8..]);
    let (_, by_fp) = rotation_json(
        "rotation-inverted-issuer-deployed",
        &["--new-anchor", &colons],
    );
    assert_eq!(by_fp["stage"], "issuer-deployed");
    // Stating the other anchor: the issuer is read as from the old one.
    let old_fp = r["anchors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "old")
        .unwrap()["sha256Fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, other) = rotation_json(
        "rotation-inverted-issuer-deployed",
        &["--new-anchor", &old_fp],
    );
    assert_eq!(other["stage"], "workloads-restarted");
    // Not an anchor of the bundle, or not a fingerprint: exit 2 with the reason.
    for bad in ["deadbeefdeadbeef", "xyz"] {
        let out = rotation_from("rotation-inverted-issuer-deployed", &["--new-anchor", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains(&format!("--new-anchor {bad}")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn fail_on_in_progress_fails_mid_rotation_only() {
    for (scenario, code) in [
        ("rotation-before", 0),
        ("rotation-restarted", 1),
        ("rotation-issuer-deployed", 1),
        ("rotation-done", 0),
        ("rotation-issuer-ahead", 1),
    ] {
        let out = rotation_from(scenario, &["--fail-on", "in-progress"]);
        assert_eq!(out.status.code(), Some(code), "{scenario}");
    }
    assert_eq!(
        rotation_from("rotation-restarted", &[]).status.code(),
        Some(0)
    );
}

#[test]
fn the_rotation_stage_is_a_metric() {
    let out = check_from("rotation-restarted", &["-o", "prometheus"]);
    let text = stdout(&out);
    assert!(
        text.contains("meshcert_rotation_stage{stage=\"workloads-restarted\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("meshcert_rotation_stage{stage=\"before\"} 0\n"));
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("meshcert_rotation_stage{"))
            .count(),
        8
    );
    assert!(text.contains("meshcert_rotation_new_anchor_ambiguous 0\n"));
    let ambiguous = stdout(&check_from(
        "rotation-inverted-restarted",
        &["-o", "prometheus"],
    ));
    assert!(ambiguous.contains("meshcert_rotation_new_anchor_ambiguous 1\n"));
}
