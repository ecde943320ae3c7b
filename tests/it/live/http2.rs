//! HTTP/2 to the API server: every request of a cluster on one connection, counted by the
//! server, with the same report as HTTP/1.1 and as offline; HTTP/1.1 where the server offers only
//! that, and with `--http1`.

use super::{json, stderr};
use crate::common::{AT, check_json_from, fixture, meshcert, report, serial};
use crate::fake_api::{Auth, FakeApi, kubeconfig};

fn check(kubeconfig: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "check",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--at",
        AT,
        "--timeout",
        "20s",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    meshcert(&args)
}

#[test]
fn a_whole_run_is_one_http2_connection_per_cluster() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    // Three clusters over TLS (token, client certificate), each its own server.
    let scenarios = ["healthy", "dataplane-stale", "viz-tap-expired"];
    let servers = [
        FakeApi::serve_tls(&[&fixture(scenarios[0])], Auth::Token("t0k3n".into())),
        FakeApi::serve_tls(&[&fixture(scenarios[1])], Auth::ClientCert),
        FakeApi::serve_tls(&[&fixture(scenarios[2])], Auth::Token("other".into())),
    ];
    let k = kubeconfig(
        tmp.path(),
        &[
            ("a", Some(&servers[0])),
            ("b", Some(&servers[1])),
            ("c", Some(&servers[2])),
        ],
    );
    for (i, scenario) in scenarios.iter().enumerate() {
        let o = check(&k, &["--context", ["a", "b", "c"][i]]);
        let offline = check_json_from(&fixture(scenario));
        assert_eq!(o.status.code(), offline.status.code(), "{}", stderr(&o));
        assert_eq!(report(&o, "h2"), report(&offline, "offline"), "{scenario}");
    }
    for (i, s) in servers.iter().enumerate() {
        let requests = s.requests().len();
        assert!(requests > 5, "{i}: {requests} requests");
        assert_eq!(
            s.connections(),
            1,
            "cluster {i}: one connection for the whole run"
        );
        assert_eq!(
            s.http2_requests(),
            requests,
            "cluster {i}: every request over h2"
        );
    }
    // All three in one run, read at once: still one connection each.
    let before: Vec<usize> = servers.iter().map(FakeApi::connections).collect();
    let o = check(&k, &["--all-contexts"]);
    let v = json(&o);
    assert_eq!(
        v["clusters"].as_array().map(Vec::len),
        Some(3),
        "{}",
        stderr(&o)
    );
    for (i, s) in servers.iter().enumerate() {
        assert_eq!(
            s.connections() - before[i],
            1,
            "cluster {i} in the fleet run"
        );
    }
}

#[test]
fn http1_where_the_server_offers_only_that_and_with_the_flag() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let offline = check_json_from(&fixture("dataplane-stale"));
    // A server that speaks HTTP/1.1 only: the same report, no h2 request.
    let old = FakeApi::serve_tls_http1(&[&fixture("dataplane-stale")], Auth::Token("t".into()));
    let k = kubeconfig(tmp.path(), &[("old", Some(&old))]);
    let o = check(&k, &[]);
    assert_eq!(o.status.code(), offline.status.code(), "{}", stderr(&o));
    assert_eq!(report(&o, "h1 server"), report(&offline, "offline"));
    assert_eq!(old.http2_requests(), 0);
    assert!(old.requests().len() > 5);
    // --http1 against a server that offers h2: HTTP/1.1 all the same.
    let new = FakeApi::serve_tls(&[&fixture("dataplane-stale")], Auth::Token("t".into()));
    let k = kubeconfig(tmp.path(), &[("new", Some(&new))]);
    let o = check(&k, &["--http1"]);
    assert_eq!(
        report(&o, "--http1"),
        report(&offline, "offline"),
        "{}",
        stderr(&o)
    );
    assert_eq!(new.http2_requests(), 0);
    assert!(new.requests().len() > 5);
    // And without the flag, the same server is read over h2.
    let o = check(&k, &[]);
    assert_eq!(report(&o, "h2"), report(&offline, "offline"));
    assert!(new.http2_requests() > 5);
}

/// A server whose certificate the kubeconfig's CA did not sign: a clear error at once, over
/// HTTP/2 as over HTTP/1.1, not retries until the deadline.
#[test]
fn a_server_certificate_from_another_ca_is_refused_at_once() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let server = FakeApi::serve_tls(&[&fixture("healthy")], Auth::Token("t".into()));
    let other = FakeApi::serve_tls(&[&fixture("healthy")], Auth::Token("t".into()));
    let k = kubeconfig(tmp.path(), &[("a", Some(&server))]);
    // The CA of another server.
    let text = std::fs::read_to_string(&k).unwrap();
    let k2 = kubeconfig(tmp.path(), &[("b", Some(&other))]);
    let other_text = std::fs::read_to_string(&k2).unwrap();
    let ca = |t: &str| {
        t.split("certificate-authority-data")
            .nth(1)
            .unwrap()
            .split('"')
            .find(|s| s.len() > 100)
            .unwrap()
            .to_string()
    };
    let wrong = tmp.path().join("wrong.kubeconfig");
    std::fs::write(&wrong, text.replace(&ca(&text), &ca(&other_text))).unwrap();
    for extra in [&[][..], &["--http1"][..]] {
        let started = std::time::Instant::now();
        let o = check(&wrong, extra);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains("certificate"), "{extra:?}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{extra:?}: took {:?} (the timeout is 20 s): {err}",
            started.elapsed()
        );
    }
    assert_eq!(server.requests().len(), 0);
}

/// The kubeconfig's other settings reach the HTTP/2 connection: an exec plugin's token and
/// `tls-server-name` (the name the server's certificate is checked against).
#[test]
fn exec_plugins_and_tls_server_name_apply_over_http2() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let server = FakeApi::serve_tls(&[&fixture("healthy")], Auth::Token("from-exec".into()));
    let k = kubeconfig(tmp.path(), &[("a", Some(&server))]);
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&k).unwrap()).unwrap();
    let plugin = tmp.path().join("credential.sh");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"from-exec\"}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    config["users"][0]["user"] = serde_json::json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": plugin,
        "interactiveMode": "Never",
    }});
    // The server's certificate names localhost and 127.0.0.1.
    config["clusters"][0]["cluster"]["tls-server-name"] = serde_json::json!("localhost");
    let exec = tmp.path().join("exec.kubeconfig");
    std::fs::write(&exec, config.to_string()).unwrap();
    let o = check(&exec, &[]);
    let offline = check_json_from(&fixture("healthy"));
    assert_eq!(
        report(&o, "exec"),
        report(&offline, "offline"),
        "{}",
        stderr(&o)
    );
    assert_eq!(server.connections(), 1);
    assert_eq!(server.http2_requests(), server.requests().len());
    // A name the certificate does not hold: refused, so the setting is in use.
    config["clusters"][0]["cluster"]["tls-server-name"] = serde_json::json!("elsewhere.example");
    std::fs::write(&exec, config.to_string()).unwrap();
    let o = check(&exec, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("certificate"), "{}", stderr(&o));
}
