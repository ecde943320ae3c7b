//! Every fixture scenario's verdicts, and the rules that decide them (margins, the evaluation instant, Go's chain verification).

use super::*;

#[test]
fn every_scenario_gives_its_verdicts_in_json_table_and_short() {
    for Scenario {
        name: scenario,
        non_success,
        code,
        extensions,
    } in scenarios()
    {
        let json_run = check_from(scenario, &["-o", "json"]);
        assert_eq!(
            json_run.status.code(),
            Some(code),
            "{scenario}: {}",
            stderr(&json_run)
        );
        let report = json_of(&json_run);
        let (ids, found) = applicable(scenario);
        assert_eq!(
            found, extensions,
            "{scenario}: the optional parts meshcert finds"
        );
        let mut expected: BTreeMap<String, String> = ids
            .iter()
            .map(|id| (id.to_string(), "success".to_string()))
            .collect();
        // No fixture holds runtime evidence (metrics, Events): those checks skip, never pass.
        for c in meshcert_checks::registry::ALL {
            if c.meta().category == meshcert_checks::check::Category::MeshcertRuntime
                && ids.contains(&c.meta().id)
            {
                expected.insert(c.meta().id.to_string(), "skipped".to_string());
            }
        }
        // Only the trust-manager scenarios have trust-manager write the trust roots.
        if !scenario.starts_with("trust-manager") {
            for id in [EXTERNAL_CA, TM_BUNDLE]
                .into_iter()
                .filter(|id| ids.contains(id))
            {
                expected.insert(id.to_string(), "skipped".to_string());
            }
        }
        for (id, result) in &non_success {
            expected.insert(id.to_string(), result.to_string());
        }
        assert_eq!(results(&report), expected, "{scenario}");
        assert_eq!(report["success"], code == 0, "{scenario}");
        assert_eq!(report["evaluatedAt"], AT);

        // The table shows the same verdict for every check, by description.
        let descriptions: BTreeMap<String, String> = report["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["checks"].as_array().unwrap())
            .map(|c| {
                (
                    c["description"].as_str().unwrap().to_string(),
                    mark_of(c["result"].as_str().unwrap()).to_string(),
                )
            })
            .collect();
        let table = check_from(scenario, &[]);
        assert_eq!(table.status.code(), Some(code), "{scenario} table");
        assert_eq!(marks(&stdout(&table)), descriptions, "{scenario} table");

        // Short shows exactly the warnings and errors.
        let short = check_from(scenario, &["-o", "short"]);
        assert_eq!(short.status.code(), Some(code), "{scenario} short");
        let problems: BTreeMap<_, _> = descriptions
            .into_iter()
            .filter(|(_, m)| m == "‼" || m == "×")
            .collect();
        assert_eq!(marks(&stdout(&short)), problems, "{scenario} short");
    }
}

#[test]
fn under_cert_manager_the_issuer_margin_is_renew_before_unless_the_user_sets_one() {
    let report = json_of(&check_from("cert-manager-renewing", &["-o", "json"]));
    let soon = result_of(&report, I_SOON);
    assert_eq!(
        soon["description"],
        "issuer cert is valid for at least 25 hours (cert-manager's renewBefore)"
    );
    assert_eq!(soon["result"], "success");
    // The user's own margin wins, and the renewal check says it cannot be met.
    for (flags, env) in [
        (vec!["--min-validity", "60d"], None),
        (vec![], Some(("MESHCERT_MARGIN_ISSUER", "60d"))),
    ] {
        let mut args = vec![
            "check",
            "--from",
            "fixtures/cert-manager-renewing",
            "--at",
            AT,
            "-o",
            "json",
        ];
        args.extend(&flags);
        let out = meshcert_with_env(&args, env.as_slice());
        let report = json_of(&out);
        let soon = result_of(&report, I_SOON);
        assert_eq!(
            soon["description"],
            "issuer cert is valid for at least 60 days"
        );
        assert_eq!(soon["result"], "warning", "{flags:?} {env:?}");
        assert_eq!(
            result_of(&report, CM_RENEWS)["error"],
            "Certificate linkerd/linkerd-identity-issuer renews the issuer 25 hours before it expires, inside the issuer margin of 60 days in force: \"issuer cert is valid for at least 60 days\" warns before every renewal"
        );
    }
    // A stalled Certificate: named by the Secret's annotation, not Ready, no renewBefore.
    let report = json_of(&check_from("cert-manager-stalled", &["-o", "json"]));
    assert_eq!(
        result_of(&report, CM_READY)["error"],
        "Certificate linkerd/linkerd-identity-issuer-cert is not Ready (status False, reason DoesNotExist): Issuer linkerd/linkerd-trust-anchor does not exist; cert-manager is not renewing the issuer"
    );
    assert_eq!(
        result_of(&report, I_SOON)["description"],
        "issuer cert is valid for at least 33% of lifetime (cert-manager's default renewal)"
    );
    // Without cert-manager the two checks are not in the report at all.
    let report = json_of(&check_from("healthy", &["-o", "json"]));
    assert!(
        results(&report)
            .keys()
            .all(|id| !id.contains("cert-manager"))
    );
}

#[test]
fn chain_verification_speaks_go() {
    // An enterprise root that permits only corp.example: Go applies it to the issuer's SAN.
    assert_eq!(
        result_in("anchor-name-constraints", I_SIGNED)["error"],
        "x509: a root or intermediate certificate is not authorized to sign for this name: DNS name \"identity.linkerd.cluster.local\" is not permitted by any constraint"
    );
    // A certificate Go's ParseCertificate refuses cannot be read at all.
    assert_eq!(
        result_in("issuer-critical-aki", CONFIG)["error"],
        "could not parse issuer certificate from key crt.pem of Secret linkerd/linkerd-identity-issuer: x509: authority key identifier incorrectly marked critical"
    );
}

#[test]
fn min_validity_sets_the_margin_and_the_descriptions() {
    let out = check_from("expiring-soon", &["--min-validity", "7d", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json_of(&out);
    // Everything passes; the runtime checks have no evidence in a fixture, and trust-manager does
    // not write its trust roots: those skip.
    assert!(
        results(&report).iter().all(|(id, r)| r
            == if id.starts_with("meshcert-identity-loaded")
                || id.starts_with("meshcert-proxies-leaf")
                || id == EXTERNAL_CA
                || id == TM_BUNDLE
            {
                "skipped"
            } else {
                "success"
            }),
        "{report}"
    );
    let checks = report["categories"][0]["checks"].as_array().unwrap();
    assert_eq!(
        checks[3]["description"],
        "trust anchors are valid for at least 7 days"
    );
    assert_eq!(
        checks[6]["description"],
        "issuer cert is valid for at least 7 days"
    );
    // 25 days: the anchor (30 days left) passes, the issuer (20 days left) warns.
    let report = json_of(&check_from(
        "expiring-soon",
        &["--min-validity", "25d", "-o", "json"],
    ));
    assert_eq!(results(&report)[A_SOON], "success");
    assert_eq!(results(&report)[I_SOON], "warning");
    // 480h = exactly the issuer's 20 days left: not warned (linkerd's boundary); one hour more is.
    let report = json_of(&check_from(
        "expiring-soon",
        &["--min-validity", "480h", "-o", "json"],
    ));
    assert_eq!(results(&report)[I_SOON], "success");
    assert_eq!(
        report["categories"][0]["checks"][6]["description"],
        "issuer cert is valid for at least 20 days"
    );
    let report = json_of(&check_from(
        "expiring-soon",
        &["--min-validity", "481h", "-o", "json"],
    ));
    assert_eq!(results(&report)[I_SOON], "warning");
    assert_eq!(
        report["categories"][0]["checks"][6]["description"],
        "issuer cert is valid for at least 481 hours"
    );
}

#[test]
fn evaluation_instant_decides_validity() {
    // Before the anchor expired, the expired-anchor scenario only warns.
    let out = meshcert(&[
        "check",
        "--from",
        "fixtures/expired-anchor",
        "--at",
        "2025-12-01T00:00:00Z",
        "-o",
        "json",
    ]);
    let r = results(&json_of(&out));
    assert_eq!(r[A_TIME], "success");
    assert_eq!(r[A_SOON], "warning");
    assert_eq!(r[I_SIGNED], "success");
    assert_eq!(out.status.code(), Some(0));
    // Far in the future the healthy demo expires too.
    let out = meshcert(&[
        "check",
        "--from",
        "fixtures/healthy",
        "--at",
        "2200-01-01T00:00:00Z",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(results(&json_of(&out))[A_TIME], "error");
}
