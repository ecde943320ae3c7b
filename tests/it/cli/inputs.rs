//! What meshcert reads offline: PEM files, manifests from files, directories and stdin, extension namespaces, and bad input.

use super::*;

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
    // clap names exactly the two files missing.
    assert!(
        stderr(&out).starts_with(
            "error: the following required arguments were not provided:\n  --issuer-key <FILE>\n  --issuer-cert <FILE>\n"
        ),
        "{}",
        stderr(&out)
    );
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
    let out = crate::common::meshcert_in(
        crate::common::root(),
        &[
            "check",
            "--from",
            "-",
            "--from",
            "fixtures/healthy/webhooks.yaml",
            "--at",
            AT,
            "-o",
            "short",
        ],
        &[],
        Some(yaml.as_bytes()),
    );
    assert_eq!(
        stdout(&out),
        "Status check results are √\n",
        "{}",
        stderr(&out)
    );
    // Two scenarios' files holding the same objects with different contents: refused, naming
    // both files. (Two folders are two clusters' dumps: see cli::multicluster.)
    let two_anchors: Vec<String> = std::fs::read_dir("fixtures/two-anchors")
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .collect();
    let mut args = vec![
        "check",
        "--from",
        "fixtures/healthy/linkerd-identity.yaml",
        "--at",
        AT,
    ];
    for f in &two_anchors {
        args.extend(["--from", f.as_str()]);
    }
    let out = meshcert(&args);
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
    let (yaml, key_line) = healthy_yaml_and_key_line();
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

#[test]
fn extension_categories_appear_only_when_installed() {
    let core = [
        "linkerd-identity",
        "linkerd-webhooks-and-apisvc-tls",
        "linkerd-identity-data-plane",
    ];
    let own = ["meshcert-consistency", "meshcert-runtime"];
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

/// `--trust-namespace` says where trust-manager's sources are: elsewhere, the guide's Secrets in
/// `cert-manager` are not its sources, and the check says what it could not verify.
#[test]
fn the_trust_namespace_is_where_trust_managers_sources_are_looked_for() {
    let default = result_in(
        "trust-manager-attended",
        "meshcert-trust-manager-distributes-bundle",
    );
    assert_eq!(default["result"], "success");
    assert_eq!(
        default["description"],
        "trust bundle is distributed by trust-manager as Linkerd expects"
    );
    let other = json_of(&check_from(
        "trust-manager-attended",
        &["--trust-namespace", "trust", "-o", "json"],
    ));
    let check = other["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .find(|c| c["id"] == "meshcert-trust-manager-distributes-bundle")
        .unwrap()
        .clone();
    assert_eq!(
        check["description"],
        "trust bundle is distributed by trust-manager as Linkerd expects (not verified: its sources (nothing of namespace trust was read: grant deploy/base/opt-in/trust-namespace.yaml, or --trust-namespace))"
    );
    let script = stdout(&meshcert(&["dump-commands", "--trust-namespace", "trust"]));
    assert!(
        script.contains(
            "$kubectl get secret -n 'trust' linkerd-trust-anchor linkerd-previous-anchor"
        ),
        "{script}"
    );
}
