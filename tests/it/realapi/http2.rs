//! One connection per cluster against the real kube-apiserver, counted on the server's side of a
//! TCP relay (TLS and ALPN pass through it untouched): a whole run is one HTTP/2 connection.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{cluster, meshcert_live, report, token_kubeconfig};
use crate::common::{check_json_from, fixture};

/// Forwards every TCP connection to `upstream` and counts them.
fn counting_relay(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let accepted = count.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            accepted.fetch_add(1, Ordering::SeqCst);
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let pipe = |mut from: TcpStream, mut to: TcpStream| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(Shutdown::Write);
                });
            };
            pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
            pipe(server, client);
        }
    });
    (addr, count)
}

#[test]
fn a_run_against_the_real_server_is_one_connection() {
    let Some((c, _lock)) = cluster() else { return };
    let scenario = fixture("dataplane-stale");
    let _applied = c.load(&scenario);
    let upstream = c.server.trim_start_matches("https://").to_string();
    let (relay, connections) = counting_relay(upstream);
    let tmp = tempfile::tempdir().unwrap();
    let k = tmp.path().join("relayed.kubeconfig");
    token_kubeconfig(&k, &format!("https://{relay}"), &c.ca_pem(), &c.token());
    let o = meshcert_live(&k, &["check", "-o", "json", "--verbose"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let offline = check_json_from(&scenario);
    assert_eq!(o.status.code(), offline.status.code(), "{stderr}");
    assert_eq!(report(&o, "through the relay"), report(&offline, "offline"));
    let requests = stderr.lines().filter(|l| l.contains("GET ")).count();
    assert!(requests > 5, "{requests} requests logged:\n{stderr}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "{requests} requests, one connection"
    );
}
