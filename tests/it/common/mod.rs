//! Helpers shared by the integration tests: the repository root, fixtures, the pinned instant,
//! and meshcert run with a clean environment (no KUBECONFIG, no usable HOME).

#![allow(dead_code)]

pub mod rbac;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// Held by the tests that measure wall time and by the ones that load both cores (building Go,
/// running kubectl): in one test binary they would otherwise run side by side, and a timing
/// assertion would measure the neighbours.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The instant every test evaluates at.
pub const AT: &str = "2026-11-22T12:00:00Z";

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// The environment every test runs meshcert in, whoever starts it: no kubeconfig reachable
/// (KUBECONFIG unset, HOME pointing nowhere) and NO_COLOR unset, so that a developer's or CI's
/// own settings never change an output. Tests add what they test on top.
pub fn clean_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env_remove("KUBECONFIG")
        .env_remove("NO_COLOR")
        .env("HOME", "/nonexistent")
}

/// meshcert's binary.
pub fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("meshcert")
}

/// Runs meshcert from the repository root in the [`clean_env`].
pub fn meshcert(args: &[&str]) -> Output {
    meshcert_in(root(), args, &[], None)
}

/// [`meshcert`] with these environment variables set as well.
pub fn meshcert_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    meshcert_in(root(), args, env, None)
}

/// [`meshcert`] from `dir`, with `env` set as well and `stdin` fed to it.
pub fn meshcert_in(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
) -> Output {
    let mut cmd = std::process::Command::new(bin());
    clean_env(&mut cmd)
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(args);
    let mut cmd = Command::from_std(cmd);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    cmd.output().unwrap()
}

/// A run's standard output; meshcert writes UTF-8.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A run's standard error; meshcert writes UTF-8.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// `meshcert check --from DIR -o json` at the pinned instant.
pub fn check_json_from(dir: &Path) -> Output {
    check_json_from_with(dir, &[])
}

/// `check_json_from` with `extra` flags.
pub fn check_json_from_with(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--from",
        dir.to_str().unwrap(),
        "--at",
        AT,
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    meshcert(&args)
}

/// `meshcert check` of the cluster of `kubeconfig` at the pinned instant, with `extra` flags.
pub fn check_live(kubeconfig: &Path, extra: &[&str]) -> Output {
    let k = kubeconfig.to_str().unwrap();
    let mut args = vec!["check", "--kubeconfig", k, "--at", AT, "--timeout", "10s"];
    args.extend_from_slice(extra);
    meshcert(&args)
}

/// The fixture scenarios of `meshcert check --from` (every folder but the PEM-file form).
pub fn scenarios() -> Vec<String> {
    let mut scenarios: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            ![
                "pem",
                "generate",
                "screenshots",
                "multicluster",
                "README.md",
            ]
            .contains(&n.as_str())
        })
        .collect();
    scenarios.sort();
    scenarios
}

/// One check's entry, by id, in a JSON report.
pub fn check_result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

/// A JSON report without its `source` (which names the input).
pub fn report(o: &Output, what: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    v.as_object_mut().unwrap().remove("source");
    without_runtime_skip_reasons(&mut v);
    v
}

/// The runtime checks skip for want of evidence in different words for a fixture (no metrics
/// files) and a server holding its objects (nothing answers on the pods' ports): the same
/// verdict, from inputs that differ. Their reasons are left out of comparisons; the runtime
/// tests (tests/it/live/runtime.rs) compare them where both sides hold the same evidence.
pub fn without_runtime_skip_reasons(report: &mut serde_json::Value) {
    for category in report["categories"].as_array_mut().into_iter().flatten() {
        if category["categoryName"] != "meshcert-runtime" {
            continue;
        }
        for check in category["checks"].as_array_mut().into_iter().flatten() {
            if check["result"] == "skipped" {
                check["reason"] = serde_json::json!("(not compared)");
            }
        }
    }
}

/// The first check whose result differs between two reports, for a readable failure.
pub fn first_difference(a: &serde_json::Value, b: &serde_json::Value) -> String {
    let checks = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["categories"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["checks"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let (ca, cb) = (checks(a), checks(b));
    for (x, y) in ca.iter().zip(&cb) {
        if x != y {
            return format!("{}:\n  got:      {x}\n  expected: {y}", x["id"]);
        }
    }
    if ca.len() != cb.len() {
        return format!("{} checks against {}", ca.len(), cb.len());
    }
    format!("outside the checks:\n  got:      {a}\n  expected: {b}")
}
