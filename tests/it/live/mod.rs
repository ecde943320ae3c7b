//! The live source against a fake API server on 127.0.0.1 (tests/it/fake_api): the same verdicts as
//! offline, pagination, RBAC failures as data, retries, deadlines, TLS, and the exact set of
//! requests a run makes. Every run pins --at.

use crate::fake_api;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{
    AT, check_json_from, check_json_from_with, check_live as live, check_result as result, fixture,
    meshcert, root, scenarios, serial,
};
use crate::fake_api::{Auth, FakeApi, kubeconfig};
use serde_json::Value;

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `meshcert snapshot` of the cluster in the kubeconfig, written to `out`.
fn snapshot_to(kubeconfig: &Path, out: &Path) -> Output {
    meshcert(&[
        "snapshot",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// Serves `dir` over HTTP and returns the server and a kubeconfig for it.
fn serve(dir: &Path, tmp: &Path) -> (FakeApi, PathBuf) {
    let api = FakeApi::serve(&[dir]);
    let k = kubeconfig(tmp, &[("fake", Some(&api))]);
    (api, k)
}

/// Three contexts: `prod` (the healthy scenario), `staging` (`scenario`) and `lab` (down); the
/// servers' handles come back for tests that inspect their requests.
fn prod_staging_lab(tmp: &Path, scenario: &str) -> ([FakeApi; 2], PathBuf) {
    let prod = FakeApi::serve(&[&fixture("healthy")]);
    let staging = FakeApi::serve(&[&fixture(scenario)]);
    let k = kubeconfig(
        tmp,
        &[
            ("prod", Some(&prod)),
            ("staging", Some(&staging)),
            ("lab", None),
        ],
    );
    ([prod, staging], k)
}

/// `meshcert rotation --at AT -o json` reading `flag path` (`--kubeconfig` or `--from`).
fn rotation_json(flag: &str, path: &Path) -> Output {
    meshcert(&[
        "rotation",
        "--at",
        AT,
        flag,
        path.to_str().unwrap(),
        "-o",
        "json",
    ])
}

mod clusters;
mod failures;
mod http2;
mod multicluster;
mod parity;
mod requests;
pub(crate) mod runtime;
mod secrets;
