//! The exporter and the CLI under the conditions an attacker or an unlucky operator creates:
//! a stderr that cannot be written, a stdout whose reader has gone, slow and idle connections
//! under a low file limit, a kubeconfig or policy file with a secret next to a syntax error,
//! SIGHUP. Each test reproduced its defect before the fix.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{AT, fixture, meshcert, root};
use crate::programs::{free_port, get, series_value};

use crate::common::{bin, clean_env};

/// Kills and reaps on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `/metrics` on `addr` once `pred` holds of it.
fn metrics_until(addr: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
    crate::programs::poll(addr, "/metrics", what, |a| a.status == 200 && pred(&a.body)).body
}

fn rounds(text: &str) -> f64 {
    series_value(text, "meshcert_rounds_total").unwrap_or(0.0)
}

/// A copy of a fixture that the test can take away, so that every later round fails and logs.
fn vanishing_fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(fixture("healthy")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    tmp
}

/// `meshcert serve` of `from` on `addr` every `interval`, after `wrapper` (a program and its
/// arguments that run meshcert, such as prlimit), stdin and stdout closed.
fn serve_command_in(
    wrapper: &[&str],
    from: &std::path::Path,
    addr: &str,
    interval: &str,
) -> Command {
    let mut c = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(bin());
            c
        }
        None => Command::new(bin()),
    };
    clean_env(&mut c)
        .current_dir(root())
        .args([
            "serve",
            "--listen",
            addr,
            "--interval",
            interval,
            "--at",
            AT,
            "--from",
        ])
        .arg(from)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    c
}

fn serve_command(from: &std::path::Path, addr: &str) -> Command {
    serve_command_in(&[], from, addr, "1s")
}

#[test]
fn a_closed_stderr_neither_stops_the_rounds_nor_hides_that_the_cluster_is_down() {
    let fixture = vanishing_fixture();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Killed(
        serve_command(fixture.path(), &addr)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.contains("serving http://"), "{first}");
    // The reader goes away: every later log line meets a broken pipe.
    drop(err);
    metrics_until(&addr, "a first round", |m| rounds(m) >= 1.0);
    // Now every round fails and logs an error.
    std::fs::remove_dir_all(fixture.path()).unwrap();
    let before = rounds(&get(&addr, "/metrics").body);
    let text = metrics_until(&addr, "rounds after the broken stderr", |m| {
        rounds(m) >= before + 5.0 && series_value(m, "meshcert_cluster_up") == Some(0.0)
    });
    assert!(
        series_value(&text, "meshcert_round_errors_total{reason=\"unreadable\"}").unwrap() >= 5.0
    );
    assert_eq!(get(&addr, "/healthz").status, 200);
    assert!(child.0.try_wait().unwrap().is_none(), "the exporter exited");
}

#[test]
fn serve_with_stderr_on_a_full_disk_starts_and_runs() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let fixture = vanishing_fixture();
    let addr = format!("127.0.0.1:{}", free_port());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut child = Killed(
        serve_command(fixture.path(), &addr)
            .stderr(full)
            .spawn()
            .unwrap(),
    );
    metrics_until(&addr, "rounds with stderr on /dev/full", |m| {
        rounds(m) >= 3.0
    });
    assert!(child.0.try_wait().unwrap().is_none(), "serve exited");
}

#[test]
fn a_closed_stdout_ends_the_output_quietly_with_the_runs_status() {
    for (scenario, status) in [("healthy", 0), ("expired-anchor", 1)] {
        let mut child = clean_env(&mut Command::new(bin()))
            .current_dir(root())
            .args(["check", "--at", AT, "-o", "json", "--from"])
            .arg(fixture(scenario))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The only reader of its stdout goes before it writes: its first write meets EPIPE.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let code = child.wait().unwrap().code();
        assert_eq!(code, Some(status), "{scenario}: {stderr}");
        assert_eq!(stderr, "", "{scenario}");
    }
}

/// Reads from `stream` until the server closes it; how long that took.
fn closed_within(mut stream: TcpStream, limit: Duration) -> Duration {
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return started.elapsed(),
            Err(e) => panic!("still open after {:?}: {e}", started.elapsed()),
        }
    }
}

#[test]
fn slow_and_idle_connections_are_closed_and_a_low_file_limit_leaves_room_for_scrapes() {
    let _serial = crate::common::serial();
    let addr = format!("127.0.0.1:{}", free_port());
    // 128 files at most, as in the report.
    let mut command = serve_command_in(
        &["prlimit", "--nofile=128:128", "--"],
        &fixture("healthy"),
        &addr,
        "1s",
    );
    command.stderr(Stdio::null());
    let Ok(child) = command.spawn() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "prlimit (util-linux) is required in CI"
        );
        return;
    };
    let _child = Killed(child);
    metrics_until(&addr, "a first round", |m| rounds(m) >= 1.0);

    // A client trickling its headers is cut off after the header timeout.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let took = closed_within(slow, Duration::from_secs(15));
    assert!(
        took < Duration::from_secs(8),
        "a slow client held on for {took:?}"
    );

    // 200 idle connections against a limit of 128 files: scrapes are still answered, rounds
    // still run, and the idle ones are closed.
    let idle: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    let before = rounds(&get(&addr, "/metrics").body);
    let started = Instant::now();
    let text = metrics_until(&addr, "rounds beside 200 idle connections", |m| {
        rounds(m) >= before + 2.0
    });
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(
        series_value(&text, "meshcert_cluster_up"),
        Some(1.0),
        "no false alarm"
    );
    let took = closed_within(idle.into_iter().next().unwrap(), Duration::from_secs(15));
    assert!(
        took < Duration::from_secs(8),
        "an idle connection held on for {took:?}"
    );
}

#[test]
fn sighup_starts_a_round_at_once_and_does_not_stop_the_exporter() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut command = serve_command_in(&[], &fixture("healthy"), &addr, "1h");
    command.stderr(Stdio::null());
    let mut child = Killed(command.spawn().unwrap());
    metrics_until(&addr, "the first round", |m| rounds(m) == 1.0);
    for n in 2..=3 {
        let status = Command::new("kill")
            .args(["-HUP", &child.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        metrics_until(&addr, "a round on SIGHUP", |m| rounds(m) == n as f64);
    }
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "SIGHUP stopped the exporter"
    );
}

/// A kubeconfig whose YAML error sits next to a token and a key.
const TOKEN: &str = "s3cr3t-t0ken-abcdefghijklmnopqrstuvwxyz";
const KEY_START: &str = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t";

fn broken_kubeconfig(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {TOKEN}\n    client-key-data: {KEY_START}\n    : [unclosed\ncontexts: []\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_kubeconfig_error_names_file_line_and_column_and_never_quotes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let k = broken_kubeconfig(tmp.path());
    let k = k.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--kubeconfig", k],
        vec!["check", "--kubeconfig", k, "--all-contexts"],
        vec!["check", "--kubeconfig", k, "-o", "json"],
        vec!["rotation", "--kubeconfig", k],
        vec!["snapshot", "--kubeconfig", k, "--out", "/nonexistent/out"],
    ];
    for args in runs {
        let o = meshcert(&args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}: {all}");
        assert!(
            !all.contains(TOKEN) && !all.contains(KEY_START) && !all.contains("s3cr3t"),
            "{args:?}: {all}"
        );
        assert!(
            all.contains(&format!("kubeconfig {k} is not valid YAML at line "))
                && all.contains(", column "),
            "{args:?}: {all}"
        );
    }
    // serve says it every round, the same way.
    let mut command = Command::new(bin());
    let addr = format!("127.0.0.1:{}", free_port());
    clean_env(&mut command)
        .current_dir(root())
        .env("KUBECONFIG", k)
        .args(["serve", "--listen", &addr, "--interval", "1s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = Killed(command.spawn().unwrap());
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let mut text = String::new();
    for _ in 0..4 {
        if err.read_line(&mut text).unwrap_or(0) == 0 {
            break;
        }
    }
    assert!(!text.contains(TOKEN) && !text.contains(KEY_START), "{text}");
    assert!(text.contains("is not valid YAML at line "), "{text}");
}

#[test]
fn a_policy_file_error_names_line_and_column_and_never_quotes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("meshcert.toml");
    std::fs::write(
        &path,
        format!("# {TOKEN}\nfail_on = \"warning\"\nskip = [\"{TOKEN}\"\n"),
    )
    .unwrap();
    let o = meshcert(&[
        "check",
        "--from",
        fixture("healthy").to_str().unwrap(),
        "--config",
        path.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "meshcert: error: {}: line 3, column ",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_missing_kubeconfig_is_named_once_with_its_cause_once() {
    let o = meshcert(&["check", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "meshcert: error: cannot read kubeconfig /nonexistent/kubeconfig: No such file or directory (os error 2)\n"
    );
}
