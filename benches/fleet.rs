//! The fleet benchmark: `meshcert check --all-contexts` over N clusters, each its own fake API
//! server (the test suite's, over TLS with a token, offering HTTP/2 as kube-apiserver does) RTT
//! away: each connection's TCP and TLS handshakes take a round trip each, and every request one.
//! Reading a cluster waits on the network, so 48 clusters should take about as long as one; and
//! with HTTP/2 every cluster is one connection, counted by the servers.
//!
//!   cargo bench --bench fleet -- [RTT_MS] [N ...]     defaults: 300 ms; 1, 48 and 50 clusters
//!
//! Prints the wall time of each run (median of three) with HTTP/2 and with `--http1`, the ratio
//! to one cluster, and the connections the servers accepted during one run.

#[path = "../tests/it/fake_api/mod.rs"]
mod fake_api;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The median wall time of three runs over the first `contexts` clusters, with `extra` flags.
fn run(binary: &str, kubeconfig: &Path, contexts: usize, extra: &[&str]) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let started = Instant::now();
            let mut command = Command::new(binary);
            command
                .args(["check", "--kubeconfig"])
                .arg(kubeconfig)
                .args(["--at", "2026-11-22T12:00:00Z", "-o", "short"])
                .args(extra)
                .env("HOME", "/nonexistent")
                .env_remove("KUBECONFIG");
            if contexts > 1 {
                command.arg("--all-contexts");
            }
            let out = command.output().expect("meshcert runs");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            started.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rtt = Duration::from_millis(args.first().and_then(|a| a.parse().ok()).unwrap_or(300));
    let counts: Vec<usize> = if args.len() > 1 {
        args[1..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![1, 48, 50]
    };
    let binary = env!("CARGO_BIN_EXE_meshcert");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy");
    let most = counts.iter().copied().max().unwrap_or(1);
    let servers: Vec<fake_api::FakeApi> = (0..most)
        .map(|i| {
            let api =
                fake_api::FakeApi::serve_tls(&[&fixture], fake_api::Auth::Token(format!("t{i}")));
            api.set_round_trip(rtt);
            api
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("meshcert-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "fleet: each cluster its own server, {} ms round trip, {} cores",
        rtt.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut one: Option<Duration> = None;
    for n in counts {
        let names: Vec<String> = (0..n).map(|i| format!("cluster-{i:02}")).collect();
        let entries: Vec<(&str, Option<&fake_api::FakeApi>)> = names
            .iter()
            .zip(&servers)
            .map(|(name, api)| (name.as_str(), Some(api)))
            .collect();
        let kubeconfig = fake_api::kubeconfig(&dir, &entries);
        let before: usize = servers.iter().map(fake_api::FakeApi::connections).sum();
        let t = run(binary, &kubeconfig, n, &[]);
        let connections = servers
            .iter()
            .map(fake_api::FakeApi::connections)
            .sum::<usize>()
            - before;
        let ratio = one.map_or(String::new(), |o| {
            format!(" ({:.2}x one cluster)", t.as_secs_f64() / o.as_secs_f64())
        });
        println!(
            "{n:>3} clusters, HTTP/2:  {:.2} s{ratio}; {} connections in 3 runs ({} a run)",
            t.as_secs_f64(),
            connections,
            connections / 3
        );
        // The targets: at most 1.2 times one cluster's time; one connection per cluster.
        if let Some(o) = one {
            let x = t.as_secs_f64() / o.as_secs_f64();
            println!(
                "    target: at most 1.2x one cluster: {}",
                if x <= 1.2 { "met" } else { "missed" }
            );
        }
        println!(
            "    target: {n} connections a run: {}",
            if connections == 3 * n {
                "met"
            } else {
                "missed"
            }
        );
        let before: usize = servers.iter().map(fake_api::FakeApi::connections).sum();
        let h1 = run(binary, &kubeconfig, n, &["--http1"]);
        let connections = servers
            .iter()
            .map(fake_api::FakeApi::connections)
            .sum::<usize>()
            - before;
        println!(
            "{n:>3} clusters, --http1: {:.2} s; {} connections a run",
            h1.as_secs_f64(),
            connections / 3
        );
        one.get_or_insert(t);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
