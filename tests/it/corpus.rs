//! The bad-input corpus: hostile or broken input, each with its expected outcome. meshcert must
//! end with exit 2 and a message naming the file and the problem, or with a check error naming the
//! object and key; never a panic, never a hang, never a message that copies the input, and always
//! within the documented memory bound (every run here is limited to 1 GiB of address space).

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;

const AT: &str = "2026-11-22T12:00:00Z";
/// The documented bound: 1 GiB of address space, in KiB for `ulimit -v`.
const MEMORY_BOUND_KIB: u64 = 1 << 20;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs meshcert under the memory bound.
fn meshcert(args: &[&str]) -> Output {
    let bin = crate::common::bin();
    let mut command = std::process::Command::new("bash");
    command
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_BOUND_KIB}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .current_dir(root());
    let out = crate::common::clean_env(&mut command).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert!(
        out.status.code().is_some(),
        "killed by a signal (out of memory, stack overflow?): {err}"
    );
    assert!(
        err.len() < 4096,
        "an error message of {} bytes: does it copy the input?",
        err.len()
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
    fn path(&self) -> &str {
        self.0.path().to_str().unwrap()
    }
}

/// Runs `check --from` on the files, with the healthy scenario's other objects alongside when
/// `with_healthy` (the bad file then replaces one of them by name).
fn check(dir: &Dir, extra: &[&str]) -> Output {
    let mut args = vec!["check", "--from", dir.path(), "--at", AT, "-o", "json"];
    args.extend_from_slice(extra);
    meshcert(&args)
}

/// `meshcert check --from fixtures/healthy` with more flags.
fn check_healthy(extra: &[&str]) -> Output {
    let mut args = vec!["check", "--from", "fixtures/healthy", "--at", AT];
    args.extend_from_slice(extra);
    meshcert(&args)
}

fn expect_exit_2(out: &Output, file: &str, problem: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    let err = stderr(out);
    assert!(
        err.contains(file) && err.contains(problem),
        "expected {file:?} and {problem:?} in: {err}"
    );
}

/// The first check error of the report.
fn config_error(out: &Output) -> String {
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)));
    report["categories"][0]["checks"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The healthy scenario with the issuer Secret's `key` replaced by `value` (raw bytes).
fn issuer_secret_with(key: &str, value: &[u8]) -> Dir {
    let dir = Dir::new();
    let yaml =
        std::fs::read_to_string(root().join("fixtures/healthy/linkerd-identity.yaml")).unwrap();
    let line = yaml
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap()
        .to_string();
    let indent = &line[..line.len() - line.trim_start().len()];
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    dir.write(
        "identity.yaml",
        yaml.replace(&line, &format!("{indent}{key}: {b64}")),
    );
    dir
}

fn healthy_cert() -> String {
    std::fs::read_to_string(root().join("fixtures/pem/healthy/issuer.crt")).unwrap()
}

#[test]
fn truncated_and_interleaved_pem_fail_the_config_check_naming_object_and_key() {
    let cert = healthy_cert();
    let truncated = &cert[..cert.len() / 2];
    let out = check(&issuer_secret_with("crt.pem", truncated.as_bytes()), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        config_error(&out),
        "could not parse issuer certificate from key crt.pem of Secret linkerd/linkerd-identity-issuer: not a PEM certificate"
    );
    let interleaved = format!("-----BEGIN CERTIFICATE-----\n{cert}-----END CERTIFICATE-----\n");
    let out = check(&issuer_secret_with("crt.pem", interleaved.as_bytes()), &[]);
    assert!(config_error(&out).starts_with("could not parse issuer certificate from key crt.pem of Secret linkerd/linkerd-identity-issuer"), "{}", config_error(&out));
}

#[test]
fn garbage_der_and_wrong_key_blocks_are_named() {
    let garbage =
        "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZSBkZXIgYnl0ZXM=\n-----END CERTIFICATE-----\n";
    let out = check(&issuer_secret_with("crt.pem", garbage.as_bytes()), &[]);
    assert!(
        config_error(&out).contains(
            "crt.pem of Secret linkerd/linkerd-identity-issuer: x509: malformed certificate"
        ),
        "{}",
        config_error(&out)
    );
    let public = "-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZQ==\n-----END PUBLIC KEY-----\n";
    let out = check(&issuer_secret_with("key.pem", public.as_bytes()), &[]);
    assert_eq!(
        config_error(&out),
        "could not parse issuer private key from key key.pem of Secret linkerd/linkerd-identity-issuer: unsupported block type: 'PUBLIC KEY'"
    );
    let out = check(
        &issuer_secret_with("key.pem", &[0xff, 0xfe, 0x00, 0x01]),
        &[],
    );
    assert!(
        config_error(&out)
            .ends_with("key.pem of Secret linkerd/linkerd-identity-issuer: not PEM-encoded"),
        "{}",
        config_error(&out)
    );
}

#[test]
fn non_base64_secret_data_fails_only_the_check_that_reads_it() {
    let dir = issuer_secret_with("crt.pem", b"x");
    let text = std::fs::read_to_string(dir.0.path().join("identity.yaml")).unwrap();
    dir.write(
        "identity.yaml",
        text.replace("crt.pem: eA==", "crt.pem: \"%%% not base64 %%%\""),
    );
    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        config_error(&out).starts_with(
            "key crt.pem of Secret linkerd/linkerd-identity-issuer is not valid base64"
        ),
        "{}",
        config_error(&out)
    );
}

#[test]
fn non_utf8_input_is_refused_naming_the_file() {
    let dir = Dir::new();
    dir.write("binary.yaml", [b'k', b'i', 0xff, 0xfe, b'\n']);
    expect_exit_2(&check(&dir, &[]), "binary.yaml", "not UTF-8 text");
    // Invalid UTF-8 after the first 64 KiB: the YAML parser refuses it.
    let dir = Dir::new();
    let mut late = format!("# {}\n", "x".repeat(70_000)).into_bytes();
    late.extend_from_slice(b"kind: ConfigMap\nmetadata: {name: \xff\xfe}\n");
    dir.write("late.yaml", late);
    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("late.yaml"), "{}", stderr(&out));
    let dir = Dir::new();
    dir.write("nul.json", b"{\"kind\": \"Secret\0\"}");
    expect_exit_2(&check(&dir, &[]), "nul.json", "NUL byte");
}

#[test]
fn a_yaml_alias_bomb_stops_at_the_budget() {
    let mut lol = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names: Vec<char> = ('a'..='j').collect();
    for w in names.windows(2) {
        let (prev, next) = (w[0], w[1]);
        let refs = vec![format!("*{prev}"); 9].join(", ");
        lol.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    let dir = Dir::new();
    dir.write(
        "bomb.yaml",
        format!(
            "kind: ConfigMap\nmetadata: {{name: x, namespace: linkerd}}\ndata:\n{}",
            lol.lines().map(|l| format!("  {l}\n")).collect::<String>()
        ),
    );
    expect_exit_2(&check(&dir, &[]), "bomb.yaml", "budget breached");
}

#[test]
fn deep_nesting_is_refused_without_a_stack_overflow() {
    let dir = Dir::new();
    dir.write(
        "deep.yaml",
        format!(
            "kind: ConfigMap\nmetadata: {{name: x}}\ndata: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    expect_exit_2(&check(&dir, &[]), "deep.yaml", "recursion limit exceeded");
    let dir = Dir::new();
    dir.write(
        "deep.json",
        format!(
            "{{\"kind\":\"ConfigMap\",\"data\":{}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    expect_exit_2(&check(&dir, &[]), "deep.json", "recursion limit exceeded");
    let dir = Dir::new();
    dir.write(
        "deepitems.json",
        format!(
            "{{\"items\":[{{\"kind\":\"Secret\",\"data\":{}{}}}]}}",
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        ),
    );
    expect_exit_2(
        &check(&dir, &[]),
        "deepitems.json",
        "recursion limit exceeded",
    );
}

#[test]
fn duplicate_keys_are_refused() {
    let dir = Dir::new();
    dir.write(
        "dup.yaml",
        "kind: ConfigMap\nkind: Secret\nmetadata: {name: x}\n",
    );
    expect_exit_2(&check(&dir, &[]), "dup.yaml", "duplicate mapping key");
    let dir = Dir::new();
    dir.write(
        "dup.json",
        r#"{"kind": "ConfigMap", "kind": "Secret", "metadata": {"name": "x"}}"#,
    );
    expect_exit_2(&check(&dir, &[]), "dup.json", "duplicate field `kind`");
}

#[test]
fn objects_without_kind_are_ignored_and_without_metadata_refused() {
    let dir = Dir::new();
    dir.write("nokind.yaml", "metadata: {name: x}\ndata: {a: b}\n");
    let out = check(&dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "nothing read: the identity checks fail: {}",
        stderr(&out)
    );
    assert_eq!(
        config_error(&out),
        "ConfigMap linkerd/linkerd-config not found"
    );
    let dir = Dir::new();
    dir.write("nometa.yaml", "kind: Secret\ndata: {a: b}\n");
    expect_exit_2(
        &check(&dir, &[]),
        "nometa.yaml",
        "a Secret without metadata.name",
    );
}

/// A self-signed certificate with `sans` DNS names and a serial of `serial_len` bytes, as PEM.
fn odd_certificate(sans: usize, serial_len: usize) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let names: Vec<String> = (0..sans).map(|i| format!("n{i}.example.com")).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&vec![0x7f; serial_len]));
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn certificates_with_thousands_of_sans_or_a_huge_serial_are_checked() {
    let dir = Dir::new();
    let pem = |name: &str, content: &str| dir.write(name, content).to_str().unwrap().to_string();
    let many = pem("many-sans.crt", &odd_certificate(5000, 8));
    let huge = pem("huge-serial.crt", &odd_certificate(1, 64));
    let issuer = root().join("fixtures/pem/healthy/issuer.crt");
    let key = root().join("fixtures/pem/healthy/issuer.key");
    for anchors in [&many, &huge] {
        let out = meshcert(&[
            "check",
            "--trust-anchors",
            anchors,
            "--issuer-cert",
            issuer.to_str().unwrap(),
            "--issuer-key",
            key.to_str().unwrap(),
            "--at",
            AT,
            "-o",
            "json",
        ]);
        assert!(matches!(out.status.code(), Some(1)), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let signed = &report["categories"][0]["checks"][7];
        assert_eq!(
            signed["result"], "error",
            "the issuer does not chain to this anchor: {signed}"
        );
    }
}

#[test]
fn a_50_mb_single_line_file_is_read_or_refused_without_copying_it() {
    let dir = Dir::new();
    let big = "a".repeat(50 << 20);
    dir.write("line.json", format!("{{\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"x\",\"namespace\":\"other\"}},\"data\":{{\"big\":\"{big}\"}}}}"));
    let out = check(&dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "read; the identity objects are missing: {}",
        stderr(&out)
    );
    assert_eq!(
        config_error(&out),
        "ConfigMap linkerd/linkerd-config not found"
    );
    let dir = Dir::new();
    dir.write("line.yaml", format!("kind: Secret\nmetadata: \"{big}\"\n"));
    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line.yaml"),
        "{}",
        &stderr(&out)[..200.min(stderr(&out).len())]
    );
}

#[test]
fn empty_files() {
    let dir = Dir::new();
    dir.write("empty.yaml", "");
    let out = check(&dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an empty YAML stream holds nothing: {}",
        stderr(&out)
    );
    assert_eq!(
        config_error(&out),
        "ConfigMap linkerd/linkerd-config not found"
    );
    let dir = Dir::new();
    dir.write("empty.json", "");
    expect_exit_2(&check(&dir, &[]), "empty.json", "empty document");
}

#[test]
fn a_directory_loop_through_a_symlink_is_read_once() {
    let dir = Dir::new();
    std::fs::create_dir(dir.0.path().join("sub")).unwrap();
    std::fs::copy(
        root().join("fixtures/healthy/linkerd-identity.yaml"),
        dir.0.path().join("sub/identity.yaml"),
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/healthy/webhooks.yaml"),
        dir.0.path().join("sub/webhooks.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.0.path(), dir.0.path().join("sub/loop")).unwrap();
    let out = meshcert(&["check", "--from", dir.path(), "--at", AT, "-o", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Status check results are √\n"
    );
}

#[test]
fn input_limits_fail_fast_naming_the_flag() {
    let out = check_healthy(&["--max-input-bytes", "1KiB"]);
    expect_exit_2(&out, "fixtures/healthy", "--max-input-bytes");
    let out = check_healthy(&["--max-objects", "3"]);
    expect_exit_2(&out, "more than 3 objects", "--max-objects");
    let out = check_healthy(&["--max-input-bytes", "lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "error: invalid value 'lots' for '--max-input-bytes <SIZE>': invalid size \"lots\""
        ),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    // Raised, the same input passes.
    let out = check_healthy(&["--max-objects", "100", "-o", "short"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Every input under fuzz/regressions/<target>/ (crashes the fuzzers found, and seeds) is fed to
/// the target's entry point on every test run; a panic fails the test.
#[test]
fn fuzz_regression_inputs_do_not_panic() {
    type Target = fn(&[u8]);
    let targets: [(&str, Target); 5] = [
        ("pem", meshcert_checks::fuzzing::pem),
        ("certificate", meshcert_checks::fuzzing::certificate),
        ("private_key", meshcert_checks::fuzzing::private_key),
        ("manifests", meshcert::fuzzing::manifests),
        ("pipeline", meshcert::fuzzing::pipeline),
    ];
    let mut ran = 0;
    for (name, target) in targets {
        let dir = root().join("fuzz/regressions").join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(
                result.is_ok(),
                "fuzz target {name} panics on {}",
                path.display()
            );
            ran += 1;
        }
    }
    assert!(ran >= 10, "the regression inputs are there: {ran}");
}
