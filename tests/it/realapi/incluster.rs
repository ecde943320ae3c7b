//! In-cluster mode against the real API server: no kubeconfig, a real TokenRequest token of
//! meshcert's ServiceAccount and the server's CA in /var/run/secrets/kubernetes.io/serviceaccount,
//! and KUBERNETES_SERVICE_HOST/PORT, as the kubelet gives a pod. The folder is emulated in a
//! private mount namespace (a tmpfs over /run, which /var/run points to), so nothing on the
//! machine changes.

use std::process::{Command, Output};

use super::{cluster, report};
use crate::common::{AT, check_json_from, fixture};

/// Runs `meshcert args` as a pod of the cluster would, or `None` when this machine cannot
/// make a mount namespace.
pub(super) fn in_pod(dir: &std::path::Path, server: &str, args: &[&str]) -> Option<Output> {
    let (host, port) = server
        .trim_start_matches("https://")
        .rsplit_once(':')
        .unwrap();
    let script = format!(
        "set -e; mount -t tmpfs tmpfs /run; sa=/var/run/secrets/kubernetes.io/serviceaccount; \
         mkdir -p $sa; cp '{d}/token' '{d}/ca.crt' '{d}/namespace' $sa/; exec \"$0\" \"$@\"",
        d = dir.display()
    );
    let bin = assert_cmd::cargo::cargo_bin("meshcert");
    for unshare in [
        &["--mount"][..],
        &["--user", "--map-root-user", "--mount"][..],
    ] {
        let o = Command::new("unshare")
            .args(unshare)
            .args(["sh", "-c", &script])
            .arg(&bin)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", "/nonexistent")
            .env("KUBERNETES_SERVICE_HOST", host)
            .env("KUBERNETES_SERVICE_PORT", port)
            .output()
            .ok()?;
        let stderr = String::from_utf8_lossy(&o.stderr);
        if stderr.contains("unshare failed") || stderr.contains("mount: ") && !o.status.success() {
            continue;
        }
        return Some(o);
    }
    None
}

#[test]
fn in_cluster_with_a_projected_token_reads_as_the_service_account() {
    let Some((c, _lock)) = cluster() else { return };
    let scenario = fixture("viz-tap-expired");
    let _applied = c.load(&scenario);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("token"), c.token()).unwrap();
    std::fs::write(tmp.path().join("ca.crt"), c.ca_pem()).unwrap();
    std::fs::write(tmp.path().join("namespace"), "meshcert").unwrap();
    let Some(o) = in_pod(
        tmp.path(),
        &c.server,
        &["check", "--at", AT, "-o", "json", "--timeout", "30s"],
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "in CI, unshare must make a mount namespace (run as root)"
        );
        eprintln!("no mount namespace here: the in-cluster test is skipped");
        return;
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    let offline = check_json_from(&scenario);
    assert_eq!(o.status.code(), offline.status.code(), "{stderr}");
    let source: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        source["source"],
        format!("cluster: in-cluster ({})", c.server),
        "{stderr}"
    );
    assert_eq!(report(&o, "in-cluster"), report(&offline, "offline"));

    // A token the server does not accept is a clear error, not a verdict.
    std::fs::write(tmp.path().join("token"), "not-a-token").unwrap();
    let o = in_pod(
        tmp.path(),
        &c.server,
        &["check", "--at", AT, "--timeout", "10s"],
    )
    .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "meshcert: error: the API server {} (context in-cluster) does not accept the credentials: 401 Unauthorized",
            c.server
        )),
        "{stderr}"
    );
}
