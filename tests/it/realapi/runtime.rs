//! The runtime checks through the real API server: `pods/proxy` relayed by kube-apiserver itself
//! to a pod's port. The server dials the pod's IP and refuses loopback ones, so the "pods" here
//! are the test's own metrics servers on this machine's non-loopback address, written into the
//! pods' status (no kubelet runs to write it). Without the opt-in RBAC the server answers 403 and
//! the checks skip; with it, the stale issuer and the expired leaves are caught, live and from
//! the kubectl dump alike.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, TcpListener};

use serde_json::{Value, json};

use super::{cluster, meshcert_live};
use crate::common::{AT, check_json_from, check_result, meshcert, root};

const SERVICE_ACCOUNT: &str = "system:serviceaccount:meshcert:meshcert";

/// A global-unicast IPv4 address of this machine (the API server refuses to proxy to others).
fn host_address() -> Option<Ipv4Addr> {
    let out = std::process::Command::new("ip")
        .args(["-o", "-4", "addr", "show", "scope", "global"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let cidr = l.split_whitespace().skip_while(|w| *w != "inet").nth(1)?;
        cidr.split('/').next()?.parse().ok()
    })
}

/// Serves `body` as `/metrics` on `ip:port` until the test ends, counting requests.
fn metrics_server(
    ip: Ipv4Addr,
    port: u16,
    body: String,
) -> Option<std::sync::Arc<std::sync::atomic::AtomicUsize>> {
    let listener = TcpListener::bind((ip, port)).ok()?;
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            // The request line and headers, up to the blank line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut stream = &stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Some(served)
}

fn runtime_results(v: &Value) -> Vec<Value> {
    [
        "meshcert-identity-loaded-current-issuer",
        "meshcert-proxies-leaf-certs-valid",
        "meshcert-proxies-leaf-certs-renewed",
    ]
    .iter()
    .map(|id| check_result(v, id).clone())
    .collect()
}

/// Waits until the API server's authorizer answers `want` for `get pods/proxy` in `ns`.
fn settle(c: &super::Cluster, ns: &str, want: &str) {
    for _ in 0..200 {
        let o = c.kubectl(
            &[
                "auth",
                "can-i",
                "get",
                "pods",
                "--subresource=proxy",
                "-n",
                ns,
                "--as",
                SERVICE_ACCOUNT,
            ],
            None,
        );
        if String::from_utf8_lossy(&o.stdout).trim() == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the authorizer never answered {want} for pods/proxy in {ns}");
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn the_real_server_relays_pods_proxy_and_refuses_it_without_the_opt_in_rbac() {
    let Some((c, _lock)) = cluster() else { return };
    let Some(ip) = host_address() else {
        eprintln!("skipped: this machine has no global IPv4 address for the API server to dial");
        return;
    };
    let at = chrono::DateTime::parse_from_rfc3339(AT).unwrap().to_utc();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cluster");
    std::fs::create_dir(&dir).unwrap();
    // The runtime scenario of the fake-server tests: its objects, pods and (for the fake) files.
    crate::live::runtime::scenario(
        &dir,
        chrono::TimeDelta::days(30),
        "apiVersion: v1\nkind: List\nitems: []\n",
    );
    let stored = crate::live::runtime::stored_issuer_not_after();
    let ttl = (stored - chrono::TimeDelta::days(30) - at).num_seconds();
    let (Some(identity), Some(proxies)) = (
        metrics_server(
            ip,
            9990,
            format!("# TYPE issuer_cert_ttl_seconds gauge\nissuer_cert_ttl_seconds {ttl}\n"),
        ),
        metrics_server(
            ip,
            4191,
            format!(
                "# TYPE identity_cert_expiration_timestamp_seconds gauge\nidentity_cert_expiration_timestamp_seconds {}\n",
                (at - chrono::TimeDelta::hours(1)).timestamp()
            ),
        ),
    ) else {
        eprintln!("skipped: ports 9990 and 4191 of {ip} are taken");
        return;
    };
    let _applied = c.load(&dir);
    // What a kubelet would write: Running, at the test's address.
    let pods: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pods.json")).unwrap()).unwrap();
    for p in pods["items"].as_array().unwrap() {
        let (ns, name) = (
            p["metadata"]["namespace"].as_str().unwrap(),
            p["metadata"]["name"].as_str().unwrap(),
        );
        let status = json!({"status": {"phase": "Running", "podIP": ip.to_string(), "podIPs": [{"ip": ip.to_string()}]}});
        c.kubectl_ok(&[
            "patch",
            "pod",
            name,
            "-n",
            ns,
            "--subresource=status",
            "--type=merge",
            "-p",
            &status.to_string(),
        ]);
    }

    // deploy/base alone: the server refuses pods/proxy (a real 403), the checks skip naming it.
    let k = c.meshcert_kubeconfig(tmp.path());
    let refused = json(&meshcert_live(
        &k,
        &["check", "-o", "json", "--proxy-metrics", "all"],
    ));
    for r in runtime_results(&refused) {
        assert_eq!(r["result"], "skipped", "{r}");
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains("forbidden") && reason.contains("pods/proxy"),
            "{r}"
        );
    }
    assert_eq!(identity.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(proxies.load(std::sync::atomic::Ordering::SeqCst), 0);

    // With the opt-in Role and ClusterRole: through the server to the ports.
    let opt_in: Vec<String> = ["identity-metrics.yaml", "proxy-metrics.yaml"]
        .iter()
        .map(|f| std::fs::read_to_string(root().join("deploy/base/opt-in").join(f)).unwrap())
        .collect();
    for yaml in &opt_in {
        c.apply_rbac(yaml);
    }
    settle(c, "linkerd", "yes");
    settle(c, "emojivoto", "yes");
    let live = meshcert_live(&k, &["check", "-o", "json", "--proxy-metrics", "all"]);
    let docs: Vec<Value> = opt_in
        .iter()
        .flat_map(|y| serde_saphyr::from_multiple::<Value>(y).unwrap())
        .filter(|d| d.is_object())
        .collect();
    c.delete(&docs);
    settle(c, "linkerd", "no");
    assert_eq!(
        live.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let live = json(&live);
    let loaded = check_result(&live, "meshcert-identity-loaded-current-issuer");
    assert_eq!(loaded["result"], "error", "{loaded}");
    assert!(
        loaded["error"]
            .as_str()
            .unwrap()
            .contains("has loaded an issuer that expires at"),
        "{loaded}"
    );
    let valid = check_result(&live, "meshcert-proxies-leaf-certs-valid");
    assert_eq!(valid["result"], "error", "{valid}");
    assert_eq!(
        valid["details"]["runtime"]["proxyLeaves"]["expired"]
            .as_array()
            .unwrap()
            .len(),
        6,
        "{valid}"
    );
    assert!(identity.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert!(proxies.load(std::sync::atomic::Ordering::SeqCst) >= 6);

    // The dump recipe, through the real kubectl and server (as admin), gives the same verdicts.
    let script = String::from_utf8(meshcert(&["dump-commands"]).stdout).unwrap();
    let dump_dir = tmp.path().join("dump");
    std::fs::create_dir(&dump_dir).unwrap();
    let dumped = check_json_from(&crate::kubectl_recipe::dump(&script, &dump_dir, &c.admin));
    let dumped = json(&dumped);
    let verdicts = |v: &Value| -> Vec<(Value, Value)> {
        runtime_results(v)
            .into_iter()
            .map(|r| (r["result"].clone(), r["error"].clone()))
            .collect()
    };
    assert_eq!(verdicts(&dumped), verdicts(&live));
}
