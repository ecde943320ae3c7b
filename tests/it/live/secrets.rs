//! No live output, log or snapshot carries private key material.

use super::*;

#[test]
fn snapshots_hold_no_private_key_material() {
    let tmp = tempfile::tempdir().unwrap();
    let (_api, k) = serve(&fixture("healthy"), tmp.path());
    let out_dir = tmp.path().join("snap");
    let snap = snapshot_to(&k, &out_dir);
    assert_eq!(snap.status.code(), Some(0), "{}", stderr(&snap));
    let written: String = ["objects.yaml", "pods.json"]
        .iter()
        .map(|f| std::fs::read_to_string(out_dir.join(f)).unwrap())
        .collect();
    // The healthy scenario's issuer key is fixtures/pem/healthy/issuer.key.
    let key = std::fs::read_to_string(fixture("pem/healthy/issuer.key")).unwrap();
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    assert!(
        written.contains(&b64(&std::fs::read_to_string(fixture(
            "pem/healthy/issuer.crt"
        ))
        .unwrap())),
        "certificates are kept"
    );
    assert!(!written.contains("PRIVATE KEY"));
    assert!(
        !written.contains(&b64(&key)[..40]),
        "the Secret's base64 of the key"
    );
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!written.contains(line), "a line of the key's PEM body");
    }
    // The markers decode to no key either.
    for token in written.split(['"', ' ', '\n']).filter(|t| t.len() > 40) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(token) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("PRIVATE KEY"), "{text}");
            for line in key.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(line));
            }
        }
    }
}

/// trust-manager's sources hold the trust anchor's key (as cert-manager writes them, and as a
/// plain copy of that Secret does): meshcert reads them live and keeps their certificate only.
#[test]
fn the_trust_anchors_key_in_trust_managers_sources_never_leaves_the_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let (_api, k) = serve(&fixture("trust-manager-attended"), tmp.path());
    let out_dir = tmp.path().join("snap");
    let snap = snapshot_to(&k, &out_dir);
    assert_eq!(snap.status.code(), Some(0), "{}", stderr(&snap));
    let written = std::fs::read_to_string(out_dir.join("objects.yaml")).unwrap();
    assert!(
        written.contains("linkerd-previous-anchor") && written.contains("tls.crt"),
        "the sources' certificates are kept: {written}"
    );
    let forms = crate::fake_api::key_material();
    for form in &forms {
        assert!(
            !written.contains(form.as_str()),
            "key material in the snapshot"
        );
    }
    let check = crate::common::meshcert(&[
        "check",
        "--from",
        out_dir.to_str().unwrap(),
        "--at",
        AT,
        "-o",
        "json",
    ]);
    let live = live(&k, &["-o", "json"]);
    for out in [&check, &live] {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
        for form in &forms {
            assert!(!text.contains(form.as_str()), "key material in an output");
        }
    }
    // The snapshot gives the live verdicts.
    assert_eq!(check.status.code(), live.status.code());
}

#[test]
fn no_live_output_log_or_snapshot_contains_private_key_material() {
    let forms = fake_api::key_material();
    let tmp = tempfile::tempdir().unwrap();
    let a = FakeApi::serve(&[&fixture("healthy")]);
    let b = FakeApi::serve(&[&fixture("issuer-key-mismatch")]);
    let k = kubeconfig(tmp.path(), &[("a", Some(&a)), ("b", Some(&b))]);
    let k = k.to_str().unwrap();
    let mut texts = Vec::new();
    for format in ["table", "short", "json", "junit", "prometheus"] {
        for contexts in [vec!["--context", "b"], vec!["--all-contexts"]] {
            let mut args = vec!["check", "--kubeconfig", k, "--at", AT, "-v", "-o", format];
            args.extend(contexts);
            let out = meshcert(&args);
            texts.push(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            ));
        }
    }
    for format in ["table", "json"] {
        let out = meshcert(&[
            "rotation",
            "--at",
            AT,
            "--kubeconfig",
            k,
            "--all-contexts",
            "-v",
            "-o",
            format,
        ]);
        texts.push(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        ));
    }
    let snap_dir = tmp.path().join("snap");
    let out = meshcert(&[
        "snapshot",
        "--kubeconfig",
        k,
        "--context",
        "b",
        "-v",
        "--out",
        snap_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    texts.push(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    ));
    for file in ["objects.yaml", "pods.json"] {
        texts.push(std::fs::read_to_string(snap_dir.join(file)).unwrap());
    }
    assert!(
        texts.iter().any(|t| t
            .contains("meshcert: GET /api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer")),
        "-v logs the requests"
    );
    for text in &texts {
        fake_api::assert_no_key_material(text, &forms);
    }
}
