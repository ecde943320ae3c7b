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
