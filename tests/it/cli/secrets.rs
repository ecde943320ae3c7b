//! No output of any command or format carries private key material.

use super::*;

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
    let (yaml, key_line) = healthy_yaml_and_key_line();
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
