//! The table, short and JSON layouts, colour, `meshcert checks` and `explain`, and README's copies of them.

use super::*;

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
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = check_from("healthy", &[]);
    assert!(
        !stdout(&plain).contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let coloured = check_from("healthy", &["--color", "always"]);
    assert!(stdout(&coloured).contains("\x1b["), "{}", stdout(&coloured));
    assert_eq!(marks(&stdout(&plain)).len(), 24);
    let never = meshcert_with_env(
        &["check", "--from", "fixtures/healthy", "--at", AT],
        &[("NO_COLOR", "1")],
    );
    assert!(!stdout(&never).contains('\x1b'));
}

#[test]
fn checks_table_is_the_registry() {
    insta::assert_snapshot!(stdout(&meshcert(&["checks"])));
}

#[test]
fn checks_lists_the_registry_and_explain_prints_a_page() {
    let out = meshcert(&["checks", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list = json_of(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), meshcert_checks::registry::ALL.len());
    assert_eq!(list.len(), 39);
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
    assert_eq!(list[29]["id"], C_PROXIES);
    assert_eq!(list[29]["category"], "meshcert-consistency");
    assert_eq!(list[29]["hint"], format!("`meshcert explain {C_PROXIES}`"));
    let page = meshcert(&["explain", C_PROXIES]);
    assert_eq!(page.status.code(), Some(0));
    assert!(stdout(&page).starts_with(&format!("# {C_PROXIES}\n")));
    let unknown = meshcert(&["explain", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown check id \"nope\""));
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
