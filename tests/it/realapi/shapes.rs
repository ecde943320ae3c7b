//! The fake API server (tests/it/fake_api) stays for what a real one cannot do on demand (429,
//! 500s, latency, cut connections), so it must answer as the real one does. Every request
//! meshcert makes is sent to both, serving the same scenario, and the answers' shapes are
//! compared: status codes, list and item kinds, metadata fields, pagination and Status bodies.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{Value, json};

use super::{Cluster, cluster};
use crate::common::{check_live, fixture};
use crate::fake_api::{FakeApi, kubeconfig};
use crate::programs;

/// What of an answer must agree between the two servers.
fn shape(status: u16, body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let keys = |o: &Value| -> Option<BTreeSet<String>> {
        o.as_object().map(|m| m.keys().cloned().collect())
    };
    // Fields a server fills in per object that meshcert never reads, and the annotation only a
    // client-side apply leaves.
    let volatile = [
        "generation",
        "annotations",
        "labels",
        "ownerReferences",
        "generateName",
    ];
    let object_meta = |o: &Value| -> Option<BTreeSet<String>> {
        keys(&o["metadata"]).map(|k| {
            k.into_iter()
                .filter(|f| !volatile.contains(&f.as_str()))
                .collect()
        })
    };
    let items = v["items"].as_array();
    let mut out = json!({
        "status": status,
        "json": v.is_object(),
        "kind": v["kind"],
        "apiVersion": v["apiVersion"],
    });
    match items {
        Some(items) => {
            out["items"] = json!(
                items
                    .iter()
                    .map(|i| format!(
                        "{}/{}",
                        i["metadata"]["namespace"].as_str().unwrap_or(""),
                        i["metadata"]["name"].as_str().unwrap_or("")
                    ))
                    .collect::<Vec<_>>()
            );
            out["itemKinds"] = json!(
                items
                    .iter()
                    .map(|i| i.get("kind").is_some())
                    .collect::<BTreeSet<_>>()
            );
            out["itemMetadata"] = json!(items.iter().map(object_meta).collect::<BTreeSet<_>>());
            out["listMetadata"] = json!(keys(&v["metadata"]));
        }
        None if v["kind"] == "Status" => {
            out["statusFields"] = json!(keys(&v));
            for field in ["status", "reason", "code", "message", "details"] {
                out[field] = v[field].clone();
            }
        }
        None => out["metadata"] = json!(object_meta(&v)),
    }
    out
}

/// GET `path` from the real server with `token`: status and body.
fn real_get(c: &Cluster, token: &str, path: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(c.dir.join("ca.crt"))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-w", "\n%{http_code}"])
        .arg(format!("{}{path}", c.server))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap(), body.to_string())
}

fn fake_get(api: &FakeApi, path: &str) -> (u16, String) {
    let a = programs::get(api.url.trim_start_matches("http://"), path);
    (a.status, a.body)
}

/// Pages of a LIST, following each server's own continue tokens.
fn walk(mut get: impl FnMut(&str) -> (u16, String), first: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let (status, body) = get(&path);
        pages.push(shape(status, &body));
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        match v["metadata"]["continue"].as_str().filter(|t| !t.is_empty()) {
            Some(token) if pages.len() < 50 => {
                let token = programs::percent_encode(token);
                path = format!("{first}&continue={token}");
            }
            _ => return pages,
        }
    }
}

#[test]
fn the_fake_api_answers_every_request_of_meshcert_as_the_real_server_does() {
    let Some((c, _lock)) = cluster() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let token = c.token();
    let mut compared = 0;
    for scenario in [
        "viz-tap-expired",
        "legacy-secrets",
        "dataplane-stale",
        "cert-manager-stalled",
        // Links listed, a credentials Secret read and one missing.
        "multicluster/broken/east",
    ] {
        let dir = fixture(scenario);
        let _applied = c.load(&dir);
        let api = FakeApi::serve(&[&dir]);
        let k = kubeconfig(tmp.path(), &[("fake", Some(&api))]);
        check_live(&k, &["--page-size", "2", "--no-follow-links"]);
        let mut requests: Vec<String> = api
            .requests()
            .into_iter()
            .map(|r| r.strip_prefix("GET ").unwrap().to_string())
            .collect();
        // And what a missing object and a missing Certificate look like (names meshcert's
        // ServiceAccount may read).
        requests.push("/api/v1/namespaces/linkerd/secrets/linkerd-proxy-injector-tls".into());
        requests.push("/apis/cert-manager.io/v1/namespaces/linkerd/certificates/no-such".into());
        requests.sort();
        requests.dedup();
        for path in &requests {
            if path.contains("continue=") {
                continue; // each server's own tokens, walked below
            }
            // pods/proxy relays to a pod's own port: the real server dials the pod's IP (and
            // refuses loopback ones), and no pod runs here. The fake's answers for it are what a
            // port that answers, or nothing listening, gives (tests/it/live/runtime.rs).
            if path.contains("/proxy/") {
                continue;
            }
            let (real, fake) = if path.contains("limit=") {
                (
                    walk(|p| real_get(c, &token, p), path),
                    walk(|p| fake_get(&api, p), path),
                )
            } else {
                let (rs, rb) = real_get(c, &token, path);
                let (fs, fb) = fake_get(&api, path);
                (vec![shape(rs, &rb)], vec![shape(fs, &fb)])
            };
            assert_eq!(
                fake, real,
                "{scenario}: GET {path}: the fake answers otherwise"
            );
            compared += 1;
        }
    }
    assert!(compared >= 30, "{compared}");
}
