//! The fleet benchmark: `meshcert check --all-contexts` over N kubeconfig contexts behind a fake
//! API server that takes DELAY to answer every request (the test suite's fake server, with an
//! added per-request delay). Reading a cluster waits on the network, so 48 clusters should take
//! about as long as one, not 48 times as long.
//!
//!   cargo bench --bench fleet -- [DELAY_MS] [N ...]     defaults: 300 ms; 1 and 48 contexts
//!
//! Prints the wall time of each run (median of three), with the default --parallel (64) and with
//! --parallel 4 (meshcert's old fixed limit) for comparison.

#[path = "../tests/it/fake_api/mod.rs"]
mod fake_api;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The median wall time of three runs; `parallel`: `--parallel`, or meshcert's default.
fn run(binary: &str, kubeconfig: &Path, contexts: usize, parallel: Option<&str>) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let started = Instant::now();
            let mut command = Command::new(binary);
            command
                .args(["check", "--kubeconfig"])
                .arg(kubeconfig)
                .args(["--at", "2026-11-22T12:00:00Z", "-o", "short"])
                .env("HOME", "/nonexistent")
                .env_remove("KUBECONFIG");
            if contexts > 1 {
                command.arg("--all-contexts");
            }
            if let Some(n) = parallel {
                command.args(["--parallel", n]);
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
    let delay = Duration::from_millis(args.first().and_then(|a| a.parse().ok()).unwrap_or(300));
    let counts: Vec<usize> = if args.len() > 1 {
        args[1..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![1, 48]
    };
    let binary = env!("CARGO_BIN_EXE_meshcert");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy");
    let api = fake_api::FakeApi::serve(&[&fixture]);
    api.fault_with_delay("/", 200, usize::MAX, delay);
    let dir = std::env::temp_dir().join(format!("meshcert-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "fleet: {} ms per API request, {} cores",
        delay.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut one = None;
    for n in counts {
        let names: Vec<String> = (0..n).map(|i| format!("cluster-{i:02}")).collect();
        let servers: Vec<(&str, Option<&fake_api::FakeApi>)> = names
            .iter()
            .map(|name| (name.as_str(), Some(&api)))
            .collect();
        let kubeconfig = fake_api::kubeconfig(&dir, &servers);
        let t = run(binary, &kubeconfig, n, None);
        let ratio = one.map_or(String::new(), |o: Duration| {
            format!(" ({:.2}× one cluster)", t.as_secs_f64() / o.as_secs_f64())
        });
        println!(
            "{n:>3} clusters, default --parallel: {:.2} s{ratio}",
            t.as_secs_f64()
        );
        if n > 4 {
            let slow = run(binary, &kubeconfig, n, Some("4"));
            println!(
                "{n:>3} clusters, --parallel 4:       {:.2} s",
                slow.as_secs_f64()
            );
        }
        one.get_or_insert(t);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
