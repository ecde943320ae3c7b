//! CLI tests over fixtures/: every scenario's verdicts in every format, exit codes, the exact
//! layouts, malformed input, and that no private key material reaches any output.
//! Every run pins the evaluation instant with --at.

use crate::fake_api;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const AT: &str = "2026-11-22T12:00:00Z";

const CONFIG: &str = "l5d-identity-cert-config-valid";
const A_CRYPTO: &str = "l5d-identity-trustAnchors-use-supported-crypto";
const A_TIME: &str = "l5d-identity-trustAnchors-are-time-valid";
const A_SOON: &str = "l5d-identity-trustAnchors-not-expiring-soon";
const I_CRYPTO: &str = "l5d-identity-issuer-cert-uses-supported-crypto";
const I_TIME: &str = "l5d-identity-issuer-cert-is-time-valid";
const I_SOON: &str = "l5d-identity-issuer-cert-not-expiring-soon";
const I_SIGNED: &str = "l5d-identity-issuer-cert-issued-by-trust-anchor";
const PI_VALID: &str = "l5d-proxy-injector-webhook-cert-valid";
const PI_SOON: &str = "l5d-proxy-injector-webhook-cert-not-expiring-soon";
const SP_VALID: &str = "l5d-sp-validator-webhook-cert-valid";
const SP_SOON: &str = "l5d-sp-validator-webhook-cert-not-expiring-soon";
const PV_VALID: &str = "l5d-policy-validator-webhook-cert-valid";
const PV_SOON: &str = "l5d-policy-validator-webhook-cert-not-expiring-soon";
const TAP_VALID: &str = "l5d-tap-cert-valid";
const TAP_SOON: &str = "l5d-tap-cert-not-expiring-soon";
const TI_VALID: &str = "l5d-tap-injector-webhook-cert-valid";
const TI_SOON: &str = "l5d-tap-injector-webhook-cert-not-expiring-soon";
const JI_VALID: &str = "l5d-jaeger-injector-webhook-cert-valid";
const JI_SOON: &str = "l5d-jaeger-injector-webhook-cert-not-expiring-soon";
const DP: &str = "l5d-identity-data-plane-proxies-certs-match-ca";
const C_AGREE: &str = "meshcert-trust-anchors-agree";
const C_CA: &str = "meshcert-issuer-cert-is-ca";
const C_EXPIRY: &str = "meshcert-issuer-cert-expires-before-anchor";
const C_PROXIES: &str = "meshcert-proxies-trust-issuer-anchor";
const CM_READY: &str = "meshcert-cert-manager-issuer-ready";
const CM_RENEWS: &str = "meshcert-cert-manager-renews-issuer";

const IDENTITY_IDS: [&str; 8] = [
    CONFIG, A_CRYPTO, A_TIME, A_SOON, I_CRYPTO, I_TIME, I_SOON, I_SIGNED,
];
const WEBHOOK_IDS: [&str; 6] = [PI_VALID, PI_SOON, SP_VALID, SP_SOON, PV_VALID, PV_SOON];
const VIZ_IDS: [&str; 4] = [TAP_VALID, TAP_SOON, TI_VALID, TI_SOON];
const JAEGER_IDS: [&str; 2] = [JI_VALID, JI_SOON];
const CONSISTENCY_IDS: [&str; 4] = [C_AGREE, C_CA, C_EXPIRY, C_PROXIES];
/// Only where cert-manager manages the issuer.
const CERT_MANAGER_IDS: [&str; 2] = [CM_READY, CM_RENEWS];

fn meshcert(args: &[&str]) -> Output {
    meshcert_with_env(args, &[])
}

/// `meshcert` with these environment variables set as well.
fn meshcert_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::cargo_bin("meshcert")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn check_from(scenario: &str, extra: &[&str]) -> Output {
    let path = format!("fixtures/{scenario}");
    let mut args = vec!["check", "--from", path.as_str(), "--at", AT];
    args.extend_from_slice(extra);
    meshcert(&args)
}

/// `meshcert check` on the PEM files of `fixtures/pem/<dir>/`, as JSON.
fn check_pem_json(dir: &str) -> Output {
    let file = |name: &str| format!("fixtures/pem/{dir}/{name}");
    let (anchors, cert, key) = (file("ca.crt"), file("issuer.crt"), file("issuer.key"));
    meshcert(&[
        "check",
        "--trust-anchors",
        &anchors,
        "--issuer-cert",
        &cert,
        "--issuer-key",
        &key,
        "--at",
        AT,
        "-o",
        "json",
    ])
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// id → result, from `-o json`.
fn results(report: &Value) -> BTreeMap<String, String> {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// description → mark, from `-o table` or `-o short`.
fn marks(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let (mark, rest) = l.split_once(' ')?;
            ["√", "‼", "×", "-"]
                .contains(&mark)
                .then(|| (rest.to_string(), mark.to_string()))
        })
        .collect()
}

fn mark_of(result: &str) -> &'static str {
    match result {
        "success" => "√",
        "warning" => "‼",
        "error" => "×",
        "skipped" => "-",
        other => panic!("unknown result {other}"),
    }
}

/// Expected non-success results per scenario (everything else succeeds) and the exit code.
/// A fixture scenario: its non-success results as (check id, result), its exit code, and the
/// extensions it installs (their categories appear only then).
struct Scenario {
    name: &'static str,
    non_success: Vec<(&'static str, &'static str)>,
    code: i32,
    /// Optional parts present: the viz and jaeger extensions, cert-manager managing the issuer.
    extensions: &'static [&'static str],
}

fn sc(name: &'static str, non_success: Vec<(&'static str, &'static str)>, code: i32) -> Scenario {
    Scenario {
        name,
        non_success,
        code,
        extensions: &[],
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        // linkerd-identity
        sc("healthy", vec![], 0),
        sc("rsa4096-anchor", vec![], 0),
        sc("external-issuer", vec![], 0),
        sc("two-anchors", vec![], 0),
        sc(
            "expired-anchor",
            vec![
                (A_TIME, "error"),
                (A_SOON, "warning"),
                (I_SIGNED, "error"),
                (C_EXPIRY, "warning"),
            ],
            1,
        ),
        sc(
            "anchor-not-yet-valid",
            vec![(A_TIME, "error"), (I_SIGNED, "error")],
            1,
        ),
        sc(
            "expiring-soon",
            vec![(A_SOON, "warning"), (I_SOON, "warning")],
            0,
        ),
        sc(
            "issuer-other-root",
            vec![
                (I_SIGNED, "error"),
                (C_EXPIRY, "skipped"),
                (C_PROXIES, "skipped"),
            ],
            1,
        ),
        sc("rsa-issuer", vec![(I_CRYPTO, "error")], 1),
        sc(
            "p384-anchor",
            vec![(A_CRYPTO, "error"), (I_CRYPTO, "error")],
            1,
        ),
        sc("issuer-key-mismatch", vec![(CONFIG, "error")], 1),
        sc(
            "missing-issuer-secret",
            vec![
                (CONFIG, "error"),
                (I_CRYPTO, "skipped"),
                (I_TIME, "skipped"),
                (I_SOON, "skipped"),
                (I_SIGNED, "skipped"),
                (C_CA, "skipped"),
                (C_EXPIRY, "skipped"),
                (C_PROXIES, "skipped"),
            ],
            1,
        ),
        sc("anchors-disagree", vec![(C_AGREE, "warning")], 0),
        sc("issuer-not-ca", vec![(C_CA, "error")], 1),
        // linkerd's checks all pass; the proxies' certificates would not verify.
        sc("anchor-pathlen-zero", vec![(C_CA, "error")], 1),
        sc("anchor-name-constraints", vec![(I_SIGNED, "error")], 1),
        sc(
            "issuer-critical-aki",
            vec![
                (CONFIG, "error"),
                (I_CRYPTO, "skipped"),
                (I_TIME, "skipped"),
                (I_SOON, "skipped"),
                (I_SIGNED, "skipped"),
                (C_CA, "skipped"),
                (C_EXPIRY, "skipped"),
                (C_PROXIES, "skipped"),
            ],
            1,
        ),
        // cert-manager manages the 48-hour issuer: the issuer margin is its renewal point.
        Scenario {
            extensions: &["cert-manager"],
            ..sc("cert-manager-renewing", vec![], 0)
        },
        Scenario {
            extensions: &["cert-manager"],
            ..sc(
                "cert-manager-stalled",
                vec![
                    (I_SOON, "warning"),
                    (CM_READY, "error"),
                    (CM_RENEWS, "warning"),
                ],
                1,
            )
        },
        // Each stage of a trust-anchor rotation (`meshcert rotation` below says which).
        sc("rotation-before", vec![], 0),
        sc("rotation-bundle-deployed", vec![(DP, "warning")], 0),
        sc("rotation-restarted", vec![], 0),
        sc("rotation-issuer-deployed", vec![], 0),
        sc("rotation-old-anchor-unused", vec![], 0),
        sc("rotation-done", vec![(DP, "warning")], 0),
        sc(
            "rotation-issuer-ahead",
            vec![(DP, "warning"), (C_PROXIES, "error")],
            1,
        ),
        sc(
            "rotation-anchor-removed-early",
            vec![(DP, "warning"), (C_PROXIES, "error")],
            1,
        ),
        // linkerd-webhooks-and-apisvc-tls and the extensions
        sc("webhooks-cert-manager", vec![], 0),
        sc(
            "proxy-injector-expired",
            vec![(PI_VALID, "error"), (PI_SOON, "warning")],
            1,
        ),
        sc("sp-validator-expiring", vec![(SP_SOON, "warning")], 0),
        sc("policy-validator-other-ca", vec![(PV_VALID, "error")], 1),
        sc("proxy-injector-wrong-dns", vec![(PI_VALID, "error")], 1),
        sc("legacy-secrets", vec![], 0),
        sc(
            "policy-validator-absent",
            vec![(PV_VALID, "skipped"), (PV_SOON, "skipped")],
            0,
        ),
        Scenario {
            extensions: &["viz", "jaeger"],
            ..sc(
                "viz-tap-expired",
                vec![(TAP_VALID, "error"), (TAP_SOON, "warning")],
                1,
            )
        },
        Scenario {
            extensions: &["viz"],
            ..sc(
                "tap-injector-expired",
                vec![(TI_VALID, "error"), (TI_SOON, "warning")],
                1,
            )
        },
    ]
}

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
        let mut ids: Vec<&str> = IDENTITY_IDS.iter().chain(&WEBHOOK_IDS).copied().collect();
        ids.push(DP);
        ids.extend(CONSISTENCY_IDS);
        if extensions.contains(&"viz") {
            ids.extend(VIZ_IDS);
        }
        if extensions.contains(&"jaeger") {
            ids.extend(JAEGER_IDS);
        }
        if extensions.contains(&"cert-manager") {
            ids.extend(CERT_MANAGER_IDS);
        }
        let mut expected: BTreeMap<String, String> = ids
            .iter()
            .map(|id| (id.to_string(), "success".to_string()))
            .collect();
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

fn rotation_from(scenario: &str, extra: &[&str]) -> Output {
    let dir = format!("fixtures/{scenario}");
    let mut args = vec!["rotation", "--from", &dir, "--at", AT];
    args.extend(extra);
    meshcert(&args)
}

/// One rotation scenario: its stage, the step to do next, the proxies (old only, new only,
/// both), the restart commands it must list, and what it must refuse.
struct RotationCase {
    scenario: &'static str,
    stage: &'static str,
    step: Option<u64>,
    proxies: [u64; 3],
    commands: &'static [&'static str],
    refused: &'static [&'static str],
}

const EMOJI: &str = "kubectl -n emojivoto rollout restart deploy/emoji";
const WEB: &str = "kubectl -n emojivoto rollout restart deploy/web";
const DB: &str = "kubectl -n books rollout restart sts/db";
const EVENTS: &str = "kubectl get events --field-selector reason=IssuerUpdated -n linkerd";

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

/// The SHA-256 fingerprint of a scenario's (first) trust anchor, from the JSON details.
fn anchor_fingerprint(scenario: &str) -> String {
    let report = json_of(&check_from(scenario, &["-o", "json"]));
    let anchors = &report["categories"][0]["checks"][2]["details"]["certificates"];
    assert_eq!(anchors[0]["role"], "trust-anchor");
    anchors[0]["sha256Fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
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
fn table_layout_is_linkerds() {
    let out = check_from("expired-anchor", &["--color", "never"]);
    // The anchor's fingerprint changes when the fixtures are regenerated.
    let anchor = &anchor_fingerprint("expired-anchor")[..16];
    insta::assert_snapshot!(stdout(&out).replace(anchor, "{anchor}"));
    assert_eq!(stderr(&out), "");
}

#[test]
fn the_readme_shows_what_the_demo_command_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (_, after) = readme
        .split_once("cargo run -- check --from fixtures/healthy\n")
        .expect("the demo command");
    let (_, block) = after
        .split_once("The first prints:\n\n```\n")
        .expect("its output");
    let (shown, _) = block.split_once("```").unwrap();
    // The demo runs on today's clock; the healthy scenario gives this output at any instant
    // until 2124, so the pinned instant stands for it.
    let out = check_from("healthy", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), shown);
}

#[test]
fn short_output_of_a_green_run_is_only_the_footer() {
    let out = check_from("healthy", &["-o", "short"]);
    assert_eq!(stdout(&out), "Status check results are √\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn short_output_keeps_category_header_and_trailing_blank_line() {
    let out = check_from("expiring-soon", &["-o", "short"]);
    assert_eq!(
        stdout(&out),
        "linkerd-identity
----------------
‼ trust anchors are valid for at least 60 days
    Anchors expiring soon:
\t* 1 root.linkerd.cluster.local will expire on 2026-12-22T12:00:00Z
    see https://linkerd.io/2/checks/#l5d-identity-trustAnchors-not-expiring-soon for hints
‼ issuer cert is valid for at least 60 days
    issuer certificate will expire on 2026-12-12T12:00:00Z
    see https://linkerd.io/2/checks/#l5d-identity-issuer-cert-not-expiring-soon for hints

Status check results are √
"
    );
}

#[test]
fn skipped_checks_are_shown_with_their_reason_in_the_table_and_json() {
    let out = check_from("missing-issuer-secret", &[]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "× certificate config is valid\n    Secret linkerd/linkerd-identity-issuer not found\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("- issuer cert is within its validity period\n    skipped: the issuer certificate could not be read (see \"certificate config is valid\")\n"),
        "{text}"
    );
    let report = json_of(&check_from("missing-issuer-secret", &["-o", "json"]));
    let skipped = &report["categories"][0]["checks"][5];
    assert_eq!(skipped["id"], I_TIME);
    assert_eq!(skipped["result"], "skipped");
    assert!(
        skipped["reason"]
            .as_str()
            .unwrap()
            .contains("certificate config is valid")
    );
    assert!(skipped.get("hint").is_none() && skipped.get("error").is_none());
}

#[test]
fn json_shape_and_details() {
    let report = json_of(&check_from("healthy", &["-o", "json"]));
    assert_eq!(report["success"], true);
    assert_eq!(report["source"], "manifests: fixtures/healthy");
    assert_eq!(report["categories"][0]["categoryName"], "linkerd-identity");
    let checks = report["categories"][0]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 8);
    for c in checks {
        assert!(c.get("error").is_none() && c.get("hint").is_none(), "{c}");
    }
    let config = &checks[0]["details"]["issuerKey"];
    assert_eq!(config["algorithm"], "ECDSA P-256");
    assert_eq!(config["matchesCertificate"], true);
    let signed = &checks[7]["details"]["certificates"];
    assert_eq!(signed[0]["role"], "issuer");
    assert_eq!(signed[0]["commonName"], "identity.linkerd.cluster.local");
    assert_eq!(signed[0]["notAfter"], "2124-12-31T00:00:00Z");
    assert_eq!(signed[1]["role"], "signing-trust-anchor");
    assert_eq!(signed[1]["keyAlgorithm"], "ECDSA P-256");
    assert_eq!(signed[1]["sha256Fingerprint"].as_str().unwrap().len(), 64);

    let failing = json_of(&check_from("rsa-issuer", &["-o", "json"]));
    let c = &failing["categories"][0]["checks"][4];
    assert_eq!(
        c["error"],
        "issuer certificate must use ECDSA for public key algorithm, instead RSA was used"
    );
    assert_eq!(
        c["hint"],
        "https://linkerd.io/2/checks/#l5d-identity-issuer-cert-uses-supported-crypto"
    );
    assert_eq!(c["details"]["certificates"][0]["keyAlgorithm"], "RSA 2048");
    assert_eq!(c["details"]["certificates"][0]["problem"], c["error"]);
}

#[test]
fn fail_on_warning_turns_warnings_into_a_failing_run() {
    let out = check_from("expiring-soon", &["--fail-on", "warning", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["success"], false);
    let table = check_from("expiring-soon", &["--fail-on", "warning"]);
    assert_eq!(table.status.code(), Some(1));
    assert!(stdout(&table).ends_with("Status check results are ×\n"));
    // Nothing to warn about: still green.
    assert_eq!(
        check_from("healthy", &["--fail-on", "warning"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn min_validity_sets_the_margin_and_the_descriptions() {
    let out = check_from("expiring-soon", &["--min-validity", "7d", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json_of(&out);
    assert!(
        results(&report).values().all(|r| r == "success"),
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

#[test]
fn pem_file_form_checks_files_before_install() {
    let out = check_pem_json("healthy");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report = json_of(&out);
    assert!(results(&report).values().all(|r| r == "success"));
    assert_eq!(
        report["categories"][0]["checks"][7]["details"]["certificates"][0]["source"],
        "file fixtures/pem/healthy/issuer.crt"
    );

    let out = check_pem_json("ec-parameters");
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    let err = report["categories"][0]["checks"][0]["error"]
        .as_str()
        .unwrap();
    assert!(err.starts_with("could not parse issuer private key from file fixtures/pem/ec-parameters/issuer.key: unsupported block type: 'EC PARAMETERS'"), "{err}");
    assert!(err.contains("openssl ecparam -genkey -noout"), "{err}");
    // The certificate checks still ran.
    assert_eq!(results(&report)[I_SIGNED], "success");
}

#[test]
fn pem_file_form_needs_all_three_files_and_excludes_from() {
    let out = meshcert(&["check", "--trust-anchors", "fixtures/pem/healthy/ca.crt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--issuer-cert"));
    let out = meshcert(&[
        "check",
        "--from",
        "fixtures/healthy",
        "--trust-anchors",
        "a",
        "--issuer-cert",
        "b",
        "--issuer-key",
        "c",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = meshcert(&[
        "check",
        "--trust-anchors",
        "nope.crt",
        "--issuer-cert",
        "b",
        "--issuer-key",
        "c",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the trust anchors file nope.crt"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn linkerd_namespace_selects_the_control_plane() {
    let out = check_from("healthy", &["-L", "linkerd-other", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(
        report["categories"][0]["checks"][0]["error"],
        "ConfigMap linkerd-other/linkerd-config not found"
    );
}

#[test]
fn stdin_and_multiple_inputs() {
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy/linkerd-identity.yaml"),
    )
    .unwrap();
    let out = Command::cargo_bin("meshcert")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "--from",
            "-",
            "--from",
            "fixtures/healthy/webhooks.yaml",
            "--at",
            AT,
            "-o",
            "short",
        ])
        .write_stdin(yaml)
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "Status check results are √\n",
        "{}",
        stderr(&out)
    );
    // Two scenarios holding the same objects with different contents: refused, naming both files.
    let out = meshcert(&[
        "check",
        "--from",
        "fixtures/healthy",
        "--from",
        "fixtures/two-anchors",
        "--at",
        AT,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("ConfigMap linkerd/linkerd-config appears twice with different contents"),
        "{err}"
    );
    assert!(
        err.contains("fixtures/healthy/linkerd-identity.yaml")
            && err.contains("fixtures/two-anchors/linkerd-install.yaml"),
        "{err}"
    );
    // The same file twice is fine.
    let out = meshcert(&[
        "check",
        "--from",
        "fixtures/healthy",
        "--from",
        "fixtures/healthy/linkerd-identity.yaml",
        "--at",
        AT,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Writes `files` into a temporary directory and runs `check --from` on it.
fn check_files(files: &[(&str, &[u8])], extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().to_str().unwrap().to_string();
    let mut args = vec!["check", "--from", path.as_str(), "--at", AT];
    args.extend_from_slice(extra);
    meshcert(&args)
}

fn healthy_yaml() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy/linkerd-identity.yaml"),
    )
    .unwrap()
}

fn healthy_webhooks_yaml() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy/webhooks.yaml"),
    )
    .unwrap()
}

#[test]
fn directories_are_read_recursively_and_other_files_and_kinds_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(dir.path().join("a/b/dump.yml"), healthy_yaml()).unwrap();
    std::fs::write(dir.path().join("a/webhooks.yaml"), healthy_webhooks_yaml()).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a manifest: [").unwrap();
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "kind: Deployment\nmetadata:\n  name: web\n---\n",
    )
    .unwrap();
    let out = meshcert(&[
        "check",
        "--from",
        dir.path().to_str().unwrap(),
        "--at",
        AT,
        "-o",
        "short",
    ]);
    assert_eq!(
        stdout(&out),
        "Status check results are √\n",
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_input_exits_2_naming_the_file() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("syntax.yaml", b"kind: ConfigMap\nmetadata: [unclosed\n".to_vec(), "syntax.yaml: invalid YAML"),
        ("binary.yaml", vec![0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0, 1, 2], "binary.yaml: not UTF-8 text"),
        ("trunc.json", b"{\"kind\": \"List\", \"items\": [".to_vec(), "trunc.json: invalid JSON"),
        ("noname.yaml", b"kind: Secret\nmetadata:\n  namespace: linkerd\n".to_vec(), "noname.yaml: a Secret without metadata.name"),
        (
            "baddata.yaml",
            b"kind: ConfigMap\nmetadata:\n  name: linkerd-config\n  namespace: linkerd\ndata:\n  values: [1, 2]\n".to_vec(),
            "baddata.yaml: ConfigMap linkerd/linkerd-config: data.values is not a string",
        ),
    ];
    for (name, content, expected) in cases {
        let out = check_files(&[(name, &content)], &[]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(stdout(&out), "", "{name}");
    }
    let out = meshcert(&["check", "--from", "fixtures/does-not-exist", "--at", AT]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read fixtures/does-not-exist"));
}

#[test]
fn bad_values_inside_objects_fail_the_check_that_reads_them() {
    // A Secret value that is not base64: the config check names the object and key; the others run.
    let yaml = healthy_yaml();
    let key_line = yaml
        .lines()
        .find(|l| l.trim_start().starts_with("key.pem:"))
        .unwrap()
        .to_string();
    let broken = yaml.replace(&key_line, "    key.pem: \"not*base64!\"");
    let out = check_files(&[("dump.yaml", broken.as_bytes())], &["-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    let err = report["categories"][0]["checks"][0]["error"]
        .as_str()
        .unwrap();
    assert!(
        err.starts_with(
            "key key.pem of Secret linkerd/linkerd-identity-issuer is not valid base64"
        ),
        "{err}"
    );
    assert_eq!(results(&report)[I_SIGNED], "success");

    // Garbage inside the anchor PEM: the config check says so; anchor checks are skipped.
    let garbage = yaml.replacen(
        "-----BEGIN CERTIFICATE-----\n        MII",
        "-----BEGIN CERTIFICATE-----\n        !!!MII",
        1,
    );
    assert_ne!(garbage, yaml);
    let out = check_files(&[("dump.yaml", garbage.as_bytes())], &["-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(
        report["categories"][0]["checks"][0]["error"],
        "could not parse trust anchors from field identityTrustAnchorsPEM in key values of ConfigMap linkerd/linkerd-config: not a PEM certificate"
    );
    assert_eq!(results(&report)[A_TIME], "skipped");
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = check_from("healthy", &[]);
    assert!(
        !stdout(&plain).contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let coloured = check_from("healthy", &["--color", "always"]);
    assert!(stdout(&coloured).contains("\x1b["), "{}", stdout(&coloured));
    assert_eq!(marks(&stdout(&plain)).len(), 19);
    let never = Command::cargo_bin("meshcert")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["check", "--from", "fixtures/healthy", "--at", AT])
        .output()
        .unwrap();
    assert!(!stdout(&never).contains('\x1b'));
}

#[test]
fn checks_table_is_the_registry() {
    insta::assert_snapshot!(stdout(&meshcert(&["checks"])));
}

/// README's table of checks (## The checks) lists the registry: every check, in order, with its
/// category, description, id and severity.
#[test]
fn readme_check_table_is_the_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split_once("## The checks")
        .expect("README has a checks section")
        .1;
    let mut category = String::new();
    let mut rows = Vec::new();
    for line in section
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
    {
        let Some(row) = line.strip_prefix('|') else {
            break;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // A cell may add a note in parentheses: "(when installed)", "(meshcert's own)".
        if !cells[0].is_empty() {
            category = cells[0].split('`').nth(1).unwrap_or(cells[0]).to_string();
        }
        let description = match cells[1].rfind(" (") {
            Some(i) if cells[1].ends_with(')') => &cells[1][..i],
            _ => cells[1],
        };
        rows.push(serde_json::json!({
            "category": category,
            "description": description,
            "id": cells[2].trim_matches('`'),
            "severity": cells[3],
        }));
    }
    let list = json_of(&meshcert(&["checks", "-o", "json"]));
    let registry: Vec<Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            serde_json::json!({
                "category": c["category"], "description": c["description"],
                "id": c["id"], "severity": c["severity"],
            })
        })
        .collect();
    assert_eq!(
        rows, registry,
        "README's check table and the registry differ"
    );
}

#[test]
fn checks_lists_the_registry_and_explain_prints_a_page() {
    let out = meshcert(&["checks", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list = json_of(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 27);
    assert_eq!(list[0]["id"], CONFIG);
    assert_eq!(list[0]["category"], "linkerd-identity");
    assert_eq!(list[0]["severity"], "error");
    assert_eq!(list[3]["severity"], "warning");
    assert_eq!(
        list[7]["hint"],
        "https://linkerd.io/2/checks/#l5d-identity-issuer-cert-issued-by-trust-anchor"
    );

    let table = stdout(&meshcert(&["checks"]));
    assert!(table.lines().next().unwrap().starts_with("ID"), "{table}");
    assert!(table.contains("l5d-identity-trustAnchors-not-expiring-soon"));
    assert!(
        table.lines().all(|l| !l.ends_with(' ')),
        "no trailing spaces"
    );

    let page = meshcert(&["explain", A_TIME]);
    assert_eq!(page.status.code(), Some(0));
    assert!(stdout(&page).starts_with("# l5d-identity-trustAnchors-are-time-valid\n"));
    // meshcert's own checks point at their own page, which `explain` prints.
    assert_eq!(list[24]["id"], C_PROXIES);
    assert_eq!(list[24]["category"], "meshcert-consistency");
    assert_eq!(list[24]["hint"], format!("`meshcert explain {C_PROXIES}`"));
    let page = meshcert(&["explain", C_PROXIES]);
    assert_eq!(page.status.code(), Some(0));
    assert!(stdout(&page).starts_with(&format!("# {C_PROXIES}\n")));
    let unknown = meshcert(&["explain", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown check id \"nope\""));
}

#[test]
fn no_input_and_bad_flags_exit_2() {
    let out = meshcert(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no kubeconfig found"),
        "{}",
        stderr(&out)
    );
    for args in [
        vec!["check", "--from", "fixtures/healthy", "--at", "yesterday"],
        vec![
            "check",
            "--from",
            "fixtures/healthy",
            "--min-validity",
            "10w",
        ],
        vec!["check", "--from", "fixtures/healthy", "-o", "wide"],
        vec!["check", "--from", "fixtures/healthy", "--fail-on", "never"],
    ] {
        let out = meshcert(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
}

// --- Secrets stay secret ---

#[test]
fn no_output_contains_private_key_material() {
    let forms = fake_api::key_material();
    // The detector sees the keys as the fixtures store them: PEM files and base64 Secret data.
    let key_file = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pem/healthy/issuer.key"),
    )
    .unwrap();
    assert!(forms.iter().any(|f| key_file.contains(f.as_str())));
    assert!(forms.iter().any(|f| healthy_yaml().contains(f.as_str())));
    let mut outputs = Vec::new();
    for Scenario { name: scenario, .. } in scenarios() {
        for format in ["table", "short", "json", "junit", "prometheus"] {
            outputs.push(check_from(scenario, &["-o", format]));
        }
        for format in ["table", "json"] {
            outputs.push(rotation_from(scenario, &["-o", format]));
        }
    }
    for dir in ["healthy", "ec-parameters"] {
        let p = |f: &str| format!("fixtures/pem/{dir}/{f}");
        let (a, c, k) = (p("ca.crt"), p("issuer.crt"), p("issuer.key"));
        for format in ["table", "json"] {
            outputs.push(meshcert(&[
                "check",
                "--trust-anchors",
                &a,
                "--issuer-cert",
                &c,
                "--issuer-key",
                &k,
                "--at",
                AT,
                "-o",
                format,
            ]));
        }
    }
    // Errors about malformed keys and YAML near key data.
    let yaml = healthy_yaml();
    let key_line = yaml
        .lines()
        .find(|l| l.trim_start().starts_with("key.pem:"))
        .unwrap()
        .to_string();
    outputs.push(check_files(
        &[(
            "k.yaml",
            yaml.replace(&key_line, &format!("{key_line}!")).as_bytes(),
        )],
        &["-o", "json"],
    ));
    outputs.push(check_files(
        &[(
            "k.yaml",
            format!("{yaml}\n  bad: \"unclosed {key_line}").as_bytes(),
        )],
        &[],
    ));
    let key = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pem/healthy/issuer.key"),
    )
    .unwrap();
    let truncated = format!("{}\n-----END EC PRIVATE KEY-----\n", &key[..key.len() / 2]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.key"), &truncated).unwrap();
    outputs.push(meshcert(&[
        "check",
        "--trust-anchors",
        "fixtures/pem/healthy/ca.crt",
        "--issuer-cert",
        "fixtures/pem/healthy/issuer.crt",
        "--issuer-key",
        dir.path().join("bad.key").to_str().unwrap(),
        "--at",
        AT,
    ]));
    // --report files of every format.
    let reports = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for format in ["table", "short", "json", "junit", "prometheus"] {
        let path = reports.path().join(format);
        outputs.push(check_from(
            "issuer-key-mismatch",
            &["--report", &format!("{format}={}", path.display())],
        ));
        written.push(path);
    }
    let mut texts: Vec<String> = outputs
        .iter()
        .map(|o| format!("{}{}", stdout(o), stderr(o)))
        .collect();
    texts.extend(written.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    for all in &texts {
        fake_api::assert_no_key_material(all, &forms);
    }
}

// --- Webhooks and extensions ---

fn category_names(report: &Value) -> Vec<String> {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["categoryName"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn extension_categories_appear_only_when_installed() {
    let core = [
        "linkerd-identity",
        "linkerd-webhooks-and-apisvc-tls",
        "linkerd-identity-data-plane",
    ];
    let own = ["meshcert-consistency"];
    let report = json_of(&check_from("healthy", &["-o", "json"]));
    assert_eq!(category_names(&report), [&core[..], &own].concat());
    let report = json_of(&check_from("viz-tap-expired", &["-o", "json"]));
    assert_eq!(
        category_names(&report),
        [&core[..], &["linkerd-viz", "linkerd-jaeger"], &own].concat()
    );
    let report = json_of(&check_from("tap-injector-expired", &["-o", "json"]));
    assert_eq!(
        category_names(&report),
        [&core[..], &["linkerd-viz"], &own].concat()
    );
    // The PEM-file form has only identity material.
    let out = check_pem_json("healthy");
    assert_eq!(category_names(&json_of(&out)), ["linkerd-identity"]);
}

#[test]
fn extension_namespace_flags_override_discovery() {
    // Jaeger said to be in linkerd-jaeger, where the healthy scenario has nothing: its checks fail.
    let out = check_from(
        "healthy",
        &["--jaeger-namespace", "linkerd-jaeger", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert!(category_names(&report).contains(&"linkerd-jaeger".to_string()));
    let err = result_of(&report, JI_VALID)["error"].as_str().unwrap();
    assert!(
        err.contains("* Secret linkerd-jaeger/jaeger-injector-k8s-tls not found"),
        "{err}"
    );
    // Viz moved: the certificates are for tap.linkerd-viz.svc, not tap.elsewhere.svc.
    let report = json_of(&check_from(
        "tap-injector-expired",
        &["--viz-namespace", "elsewhere", "-o", "json"],
    ));
    let err = result_of(&report, TAP_VALID)["error"].as_str().unwrap();
    assert!(
        err.contains("Secret elsewhere/tap-k8s-tls not found"),
        "{err}"
    );
}

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

/// One check's JSON result from a run of `meshcert check --from fixtures/<scenario>`.
fn result_in(scenario: &str, id: &str) -> Value {
    result_of(&json_of(&check_from(scenario, &["-o", "json"])), id).clone()
}

fn result_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
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

// --- Data plane ---

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

/// `check` of the healthy scenario plus the manifests in `from`, in `format`.
fn check_healthy_with(from: &str, format: &str) -> Output {
    meshcert(&[
        "check",
        "--from",
        "fixtures/healthy",
        "--from",
        from,
        "--at",
        AT,
        "-o",
        format,
    ])
}

/// A minimal meshed pod as JSON.
fn minimal_pod(ns: &str, name: &str, bundle: &str) -> Value {
    serde_json::json!({
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"linkerd.io/control-plane-ns": "linkerd"}},
        "spec": {"containers": [{"name": "linkerd-proxy", "env": [{"name": "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", "value": bundle}]}]}
    })
}

#[test]
fn long_lists_are_summarised_in_the_table_and_complete_in_json() {
    let pods: Vec<Value> = (0..25)
        .map(|i| minimal_pod("apps", &format!("p-{i:02}"), "garbage"))
        .collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": pods});
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pods.json"), list.to_string()).unwrap();
    let from = dir.path().to_str().unwrap();
    let table = stdout(&check_healthy_with(from, "short"));
    assert!(table.contains("\t* apps/p-19: unexpected text in the bundle: not a PEM certificate\n\t… and 5 more (-o json lists them all)\n"), "{table}");
    assert!(!table.contains("p-20"), "{table}");
    let report = json_of(&check_healthy_with(from, "json"));
    let dp = result_of(&report, DP);
    assert_eq!(
        dp["details"]["dataPlane"]["unreadablePods"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
    assert!(dp["error"].as_str().unwrap().contains("apps/p-24"));
}

#[test]
fn json_and_yaml_lists_and_single_pods_read_alike() {
    let root = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pem/healthy/ca.crt"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stale = minimal_pod(
        "apps",
        "a-1",
        "-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n",
    );
    std::fs::write(dir.path().join("one.json"), stale.to_string()).unwrap();
    std::fs::write(
        dir.path().join("ok.json"),
        minimal_pod("apps", "b-1", &root).to_string(),
    )
    .unwrap();
    let yaml = format!(
        "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata:\n    name: c-1\n    namespace: apps\n    labels:\n      linkerd.io/control-plane-ns: linkerd\n  spec:\n    initContainers:\n    - name: linkerd-proxy\n      env:\n      - name: LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS\n        value: {}\n",
        serde_json::to_string("garbage").unwrap()
    );
    std::fs::write(dir.path().join("list.yaml"), yaml).unwrap();
    let from = dir.path().to_str().unwrap();
    let report = json_of(&check_healthy_with(from, "json"));
    let dp = &result_of(&report, DP)["details"]["dataPlane"];
    assert_eq!(dp["checkedPods"], 3, "{dp}");
    let unreadable: Vec<&str> = dp["unreadablePods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(unreadable, ["a-1", "c-1"], "{dp}");
}

// --- Machine outputs: JUnit and Prometheus ---

/// Counts the elements named `name` in a well-formed XML document (panics if it is not).
fn xml_elements(xml: &str) -> BTreeMap<String, usize> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = BTreeMap::new();
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{xml}"))
        {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                *counts
                    .entry(String::from_utf8(e.name().as_ref().to_vec()).unwrap())
                    .or_insert(0) += 1;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    counts
}

#[test]
fn junit_reports_failures_warnings_and_skips_as_ci_systems_expect() {
    let healthy = stdout(&check_from("healthy", &["-o", "junit"]));
    assert!(healthy.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"meshcert\" tests=\"19\" failures=\"0\""), "{healthy}");
    let counts = xml_elements(&healthy);
    assert_eq!((counts["testsuite"], counts["testcase"]), (4, 19));
    assert!(!counts.contains_key("failure"));

    let out = check_from("expired-anchor", &["-o", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    assert_eq!(
        xml_elements(&xml)["failure"],
        2,
        "two errors; the warning passes with system-out"
    );
    assert!(xml.contains("<failure type=\"error\" message=\"Invalid anchors:\">Invalid anchors:\n\t* 1 root.linkerd.cluster.local not valid anymore. Expired on 2026-01-01T00:00:00Z\nsee https://linkerd.io/2/checks/#l5d-identity-trustAnchors-are-time-valid for hints</failure>"), "{xml}");
    assert!(xml.contains("<testcase classname=\"linkerd-identity\" name=\"trust anchors are valid for at least 60 days\" file=\"l5d-identity-trustAnchors-not-expiring-soon\">\n      <system-out>warning: Anchors expiring soon:"), "{xml}");
    // The x509 error quotes: escaped.
    assert!(
        xml.contains("x509: certificate has expired or is not yet valid: current time 2026-11-22T12:00:00Z is after 2026-01-01T00:00:00Z - Current Time"),
        "{xml}"
    );

    let xml = stdout(&check_from(
        "expiring-soon",
        &["-o", "junit", "--fail-on", "warning"],
    ));
    let counts = xml_elements(&xml);
    assert_eq!(counts["failure"], 2);
    assert!(xml.contains("<failure type=\"warning\""), "{xml}");

    let xml = stdout(&check_from("missing-issuer-secret", &["-o", "junit"]));
    assert_eq!(xml_elements(&xml)["skipped"], 7);
    assert!(xml.contains("skipped=\"7\""));
}

/// One sample of the Prometheus text format.
struct Sample {
    metric: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the Prometheus text exposition format (0.0.4) strictly: `# HELP`/`# TYPE` lines before
/// a metric's samples, metric and label names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label values in double
/// quotes with `\\`, `\"` and `\n` escapes, a float value, an optional timestamp.
fn scrape(text: &str) -> Vec<Sample> {
    fn name(s: &str) -> Option<(&str, &str)> {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(s.len());
        let first = s.chars().next()?;
        (end > 0 && !first.is_ascii_digit()).then(|| (&s[..end], &s[end..]))
    }
    let mut typed = std::collections::HashSet::new();
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fail = |why: &str| -> ! { panic!("line {}: {why}: {line:?}", n + 1) };
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(m), Some(_)) => {
                    assert!(name(m).is_some_and(|(_, r)| r.is_empty()), "bad HELP")
                }
                (Some("TYPE"), Some(m), Some(t)) => {
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                        "bad TYPE {t}"
                    );
                    assert!(typed.insert(m.to_string()), "TYPE twice for {m}");
                }
                _ => fail("unknown comment"),
            }
            continue;
        }
        let Some((metric, mut rest)) = name(line) else {
            fail("no metric name")
        };
        assert!(typed.contains(metric), "sample before TYPE of {metric}");
        let mut labels = BTreeMap::new();
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            loop {
                if let Some(r) = rest.strip_prefix('}') {
                    rest = r;
                    break;
                }
                let Some((key, r)) = name(rest) else {
                    fail("bad label name")
                };
                let Some(r) = r.strip_prefix("=\"") else {
                    fail("expected =\"")
                };
                let mut value = String::new();
                let mut chars = r.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, '\\')) => value.push('\\'),
                            Some((_, '"')) => value.push('"'),
                            Some((_, 'n')) => value.push('\n'),
                            _ => fail("bad escape"),
                        },
                        Some((i, '"')) => break i,
                        Some((_, c)) => value.push(c),
                        None => fail("unterminated label value"),
                    }
                };
                assert!(
                    labels.insert(key.to_string(), value).is_none(),
                    "label {key} twice"
                );
                rest = &r[end + 1..];
                rest = rest.strip_prefix(',').unwrap_or(rest);
            }
        }
        let mut fields = rest.split_whitespace();
        let value = fields
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| fail("bad value"));
        if let Some(ts) = fields.next() {
            assert!(ts.parse::<i64>().is_ok(), "bad timestamp");
        }
        assert!(
            fields.next().is_none() && rest.starts_with(' '),
            "trailing text"
        );
        samples.push(Sample {
            metric: metric.to_string(),
            labels,
            value,
        });
    }
    samples
}

fn sample<'a>(s: &'a [Sample], metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    s.iter().find(|x| {
        x.metric == metric
            && labels
                .iter()
                .all(|(k, v)| x.labels.get(*k).map(String::as_str) == Some(*v))
    })
}

fn gauge(s: &Sample) -> f64 {
    s.value
}

#[test]
fn prometheus_exposition_parses_and_carries_results_and_expiries() {
    let text = stdout(&check_from("expiring-soon", &["-o", "prometheus"]));
    for metric in [
        "meshcert_check_result",
        "meshcert_certificate_expiry_timestamp_seconds",
        "meshcert_data_plane_stale_proxies",
        "meshcert_last_run_timestamp_seconds",
        "meshcert_run_success",
    ] {
        assert!(
            text.contains(&format!("# HELP {metric} "))
                && text.contains(&format!("# TYPE {metric} gauge")),
            "{metric}"
        );
    }
    let s = scrape(&text);
    let soon = [("check", A_SOON), ("category", "linkerd-identity")];
    assert_eq!(
        gauge(
            sample(
                &s,
                "meshcert_check_result",
                &[soon[0], soon[1], ("result", "warning")]
            )
            .unwrap()
        ),
        1.0
    );
    assert_eq!(
        gauge(
            sample(
                &s,
                "meshcert_check_result",
                &[soon[0], ("result", "success")]
            )
            .unwrap()
        ),
        0.0
    );
    assert_eq!(
        s.iter()
            .filter(|x| x.metric == "meshcert_check_result")
            .count(),
        19 * 4
    );
    let anchor = sample(
        &s,
        "meshcert_certificate_expiry_timestamp_seconds",
        &[("role", "trust-anchor")],
    )
    .unwrap();
    assert_eq!(gauge(anchor), 1_797_940_800.0, "2026-12-22T12:00:00Z");
    assert_eq!(anchor.labels["namespace"], "linkerd");
    assert_eq!(anchor.labels["object"], "ConfigMap/linkerd-config");
    assert_eq!(anchor.labels["key"], "values:identityTrustAnchorsPEM");
    assert_eq!(anchor.labels["subject"], "CN=root.linkerd.cluster.local");
    assert_eq!(anchor.labels["serial"], "1");
    let issuer = sample(
        &s,
        "meshcert_certificate_expiry_timestamp_seconds",
        &[("role", "issuer")],
    )
    .unwrap();
    assert_eq!(issuer.labels["object"], "Secret/linkerd-identity-issuer");
    for role in ["serving", "ca-bundle"] {
        assert!(
            sample(
                &s,
                "meshcert_certificate_expiry_timestamp_seconds",
                &[("role", role)]
            )
            .is_some(),
            "{role}"
        );
    }
    assert_eq!(gauge(sample(&s, "meshcert_run_success", &[]).unwrap()), 1.0);
    assert_eq!(
        gauge(sample(&s, "meshcert_last_run_timestamp_seconds", &[]).unwrap()),
        1_795_348_800.0,
        "the --at instant"
    );
    assert_eq!(
        gauge(sample(&s, "meshcert_data_plane_stale_proxies", &[]).unwrap()),
        0.0
    );

    let s = scrape(&stdout(&check_from("healthy", &["-o", "prometheus"])));
    assert_eq!(gauge(sample(&s, "meshcert_run_success", &[]).unwrap()), 1.0);
    assert!(
        s.iter()
            .filter(|x| x.metric == "meshcert_check_result" && x.value == 1.0)
            .all(|x| x.labels["result"] == "success")
    );
    let s = scrape(&stdout(&check_from(
        "dataplane-stale",
        &["-o", "prometheus"],
    )));
    assert_eq!(
        gauge(sample(&s, "meshcert_data_plane_stale_proxies", &[]).unwrap()),
        2.0
    );
    let s = scrape(&stdout(&check_from(
        "expired-anchor",
        &["-o", "prometheus"],
    )));
    assert_eq!(gauge(sample(&s, "meshcert_run_success", &[]).unwrap()), 0.0);
    assert_eq!(
        gauge(
            sample(
                &s,
                "meshcert_check_result",
                &[("check", A_TIME), ("result", "error")]
            )
            .unwrap()
        ),
        1.0
    );
}

#[test]
fn one_run_writes_extra_reports_identical_to_their_own_runs() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("out.xml");
    let prom = dir.path().join("metrics.prom");
    let json = dir.path().join("report.json");
    let out = check_from(
        "expired-anchor",
        &[
            "--report",
            &format!("junit={}", junit.display()),
            "--report",
            &format!("prometheus={}", prom.display()),
            "--report",
            &format!("json={}", json.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("linkerd-identity\n"),
        "the table still goes to stdout"
    );
    for (file, format) in [(&junit, "junit"), (&prom, "prometheus"), (&json, "json")] {
        let written = std::fs::read_to_string(file).unwrap();
        assert_eq!(
            written,
            stdout(&check_from("expired-anchor", &["-o", format])),
            "{format}"
        );
    }
    for bad in ["xml=a", "junit=", "junit"] {
        let out = check_from("healthy", &["--report", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn metrics_are_pushed_to_a_pushgateway() {
    let (url, seen) = fake_api::fake_pushgateway();
    let out = check_from("healthy", &["--push-gateway", &url, "-o", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pushes = seen.lock().unwrap().clone();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].0, "PUT /metrics/job/meshcert HTTP/1.1");
    assert_eq!(
        pushes[0].1,
        stdout(&check_from("healthy", &["-o", "prometheus"]))
    );
    // An unreachable gateway is an error after the report is printed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = check_from(
        "healthy",
        &[
            "--push-gateway",
            &format!("http://127.0.0.1:{port}"),
            "-o",
            "short",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "Status check results are √\n");
    assert!(
        stderr(&out).contains("cannot push metrics to http://127.0.0.1:"),
        "{}",
        stderr(&out)
    );
}

// --- Policy ---

fn policy_file(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[test]
fn a_policy_file_changes_margins_and_levels() {
    // expiring-soon: the anchor has 30 days left, the issuer 20.
    let f = policy_file(
        "[margins]\nissuer = \"10d\"\n[levels]\nl5d-identity-trustAnchors-not-expiring-soon = \"error\"\n",
    );
    let out = check_from(
        "expiring-soon",
        &["--config", f.path().to_str().unwrap(), "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the anchor warning is now an error"
    );
    let report = json_of(&out);
    assert_eq!(results(&report)[A_SOON], "error");
    assert_eq!(results(&report)[I_SOON], "success");
    assert_eq!(
        result_of(&report, I_SOON)["description"],
        "issuer cert is valid for at least 10 days"
    );
    assert_eq!(
        result_of(&report, A_SOON)["description"],
        "trust anchors are valid for at least 60 days"
    );

    // A share of the lifetime: 1% of two years is about a week.
    let out = check_from("expiring-soon", &["--min-validity", "1%", "-o", "json"]);
    let report = json_of(&out);
    assert_eq!(results(&report)[A_SOON], "success");
    assert_eq!(
        result_of(&report, A_SOON)["description"],
        "trust anchors are valid for at least 1% of lifetime"
    );
    assert_eq!(
        results(&json_of(&check_from(
            "expiring-soon",
            &["--min-validity", "33%", "-o", "json"]
        )))[A_SOON],
        "warning"
    );

    // Turned off: absent from the report.
    let f = policy_file("[levels]\nl5d-identity-data-plane-proxies-certs-match-ca = \"off\"\n");
    let report = json_of(&check_from(
        "dataplane-stale",
        &["--config", f.path().to_str().unwrap(), "-o", "json"],
    ));
    assert!(!results(&report).contains_key(DP));
}

#[test]
fn skip_only_and_environment_variables() {
    let report = json_of(&check_from(
        "expired-anchor",
        &["--skip", A_TIME, "--skip", I_SIGNED, "-o", "json"],
    ));
    assert!(!results(&report).contains_key(A_TIME) && !results(&report).contains_key(I_SIGNED));
    let report = json_of(&check_from(
        "expired-anchor",
        &["--only", "linkerd-webhooks-and-apisvc-tls", "-o", "json"],
    ));
    assert_eq!(category_names(&report), ["linkerd-webhooks-and-apisvc-tls"]);
    let out = meshcert_with_env(
        &[
            "check",
            "--from",
            "fixtures/expiring-soon",
            "--at",
            AT,
            "-o",
            "json",
        ],
        &[
            ("MESHCERT_FAIL_ON", "warning"),
            ("MESHCERT_MARGIN_ISSUER", "5d"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "MESHCERT_FAIL_ON=warning fails on the anchor warning"
    );
    assert_eq!(
        results(&json_of(&out))[I_SOON],
        "success",
        "MESHCERT_MARGIN_ISSUER=5d"
    );
    let out = check_from("healthy", &["--skip", "l5d-nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--skip: unknown check id \"l5d-nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn meshcert_toml_in_the_working_directory_is_read_and_a_bad_one_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("meshcert.toml"), "fail-on = \"warning\"\n").unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/expiring-soon");
    let run = |d: &Path| {
        Command::cargo_bin("meshcert")
            .unwrap()
            .current_dir(d)
            .args([
                "check",
                "--from",
                fixture.to_str().unwrap(),
                "--at",
                AT,
                "-o",
                "short",
            ])
            .output()
            .unwrap()
    };
    assert_eq!(run(dir.path()).status.code(), Some(1));
    std::fs::write(
        dir.path().join("meshcert.toml"),
        "[margins]\nissuer = \"1d\"\nanchors = \"1d\"\n",
    )
    .unwrap();
    let out = run(dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("meshcert.toml") && err.contains("unknown field `anchors`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn the_exposition_parser_rejects_what_prometheus_rejects() {
    let ok = "# TYPE m gauge\nm{a=\"x=\\\"y\\\", z\"} 1\n";
    assert_eq!(scrape(ok)[0].labels["a"], "x=\"y\", z");
    for bad in [
        "m 1\n",
        "# TYPE m gauge\nm{a=x} 1\n",
        "# TYPE m gauge\nm{a=\"x} 1\n",
        "# TYPE m gauge\nm one\n",
        "# TYPE m meter\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| scrape(bad)).is_err(),
            "{bad:?} should not parse"
        );
    }
}
