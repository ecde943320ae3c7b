//! The real programs a user runs next to meshcert (Prometheus, promtool, the Pushgateway), and
//! `meshcert serve` itself, each started on 127.0.0.1 by the test and stopped when dropped; and a
//! small HTTP/1.1 GET for talking to them. A missing program fails the test under CI (`.ci/run`
//! installs the Debian packages) and skips it with a notice elsewhere.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The program's path, or `None` (a skip) outside CI when it is not installed.
pub fn require(program: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is required in CI (apt-get install {package})"
        );
        eprintln!("{program} not found: test skipped (apt-get install {package})");
    }
    found
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (and reaped) when dropped.
pub struct Running {
    pub child: Child,
    /// Everything it wrote to stderr so far.
    pub stderr: Arc<Mutex<String>>,
}

impl Running {
    pub fn spawn(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Running { child, stderr }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until `pred` holds of its stderr.
    pub fn wait_stderr(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.stderr();
            if pred(&text) {
                return text;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited ({status}) before {what}:\n{text}");
            }
            assert!(Instant::now() < deadline, "no {what} within 30s:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// `method path` on `addr` (host:port) with an optional body; `Connection: close`, chunked
/// bodies decoded.
pub fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    Ok(Answer { status, body })
}

pub fn get(addr: &str, path: &str) -> Answer {
    http(addr, "GET", path, None).unwrap_or_else(|e| panic!("GET {addr}{path}: {e}"))
}

/// Polls `GET path` until `pred` holds of the answer.
pub fn poll(addr: &str, path: &str, what: &str, pred: impl Fn(&Answer) -> bool) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(a) = http(addr, "GET", path, None)
            && pred(&a)
        {
            return a;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} from {addr}{path} within 60s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `meshcert serve --listen 127.0.0.1:0 <args>`, once it listens; `addr` is where.
pub struct Serve {
    pub running: Running,
    pub addr: String,
}

pub fn serve(args: &[&str]) -> Serve {
    let mut command = Command::new(crate::common::bin());
    crate::common::clean_env(&mut command)
        .current_dir(crate::common::root())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args);
    let mut running = Running::spawn(command);
    let text = running.wait_stderr("listening line", |t| t.contains(", a round every"));
    let addr = text
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    Serve { running, addr }
}

/// [`serve`] of the expiring-soon scenario at the pinned instant, a round a second, with `extra`.
pub fn serve_expiring_soon(extra: &[&str]) -> Serve {
    let mut args = vec![
        "--from",
        "fixtures/expiring-soon",
        "--at",
        crate::common::AT,
        "--interval",
        "1s",
    ];
    args.extend_from_slice(extra);
    serve(&args)
}

impl Serve {
    /// `/metrics` once at least `rounds` rounds have completed.
    pub fn metrics_after(&self, rounds: u64) -> String {
        poll(&self.addr, "/metrics", "metrics", |a| {
            a.status == 200
                && series_value(&a.body, "meshcert_rounds_total").unwrap_or(0.0) >= rounds as f64
        })
        .body
    }

    pub fn pid(&self) -> u32 {
        self.running.child.id()
    }
}

/// The value of the first series whose name and labels are exactly `series`.
pub fn series_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// The Pushgateway (Debian `prometheus-pushgateway`) on a free port.
pub fn pushgateway() -> Option<(Running, String)> {
    let program = require("prometheus-pushgateway", "prometheus-pushgateway")?;
    let addr = format!("127.0.0.1:{}", free_port());
    let mut command = Command::new(program);
    // Debian's build persists to /var/lib/prometheus by default: keep each test's gateway fresh.
    command
        .arg(format!("--web.listen-address={addr}"))
        .arg("--persistence.file=");
    let running = Running::spawn(command);
    poll(&addr, "/-/ready", "readiness", |a| a.status == 200);
    Some((running, addr))
}

/// The groups a Pushgateway holds (`/api/v1/metrics`): each with its grouping `labels` and, by
/// metric name, its families.
pub fn pushgateway_groups(addr: &str) -> Vec<serde_json::Value> {
    let body = get(addr, "/api/v1/metrics").body;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["data"].as_array().cloned().unwrap_or_default()
}

/// The value of a group's one-series family `name`, as the Pushgateway gives it.
pub fn group_value(group: &serde_json::Value, name: &str) -> String {
    group[name]["metrics"][0]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {group}"))
        .to_string()
}

/// Prometheus (Debian `prometheus`) scraping `target` every second, its data in `dir`.
pub fn prometheus(dir: &Path, target: &str) -> Option<(Running, String)> {
    prometheus_scraping(dir, target, "")
}

/// [`prometheus`] with more of the scrape config (indented as the job's keys): `scheme`,
/// `tls_config`, `basic_auth`.
pub fn prometheus_scraping(dir: &Path, target: &str, job: &str) -> Option<(Running, String)> {
    let program = require("prometheus", "prometheus")?;
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: meshcert\n{job}    static_configs:\n      - targets: ['{target}']\n",
            crate::common::root().join("deploy/prometheus/rules.yaml").display()
        ),
    )
    .unwrap();
    Some(start_prometheus(program, dir, &config))
}

/// Prometheus started with the configuration file `config`, its data in `dir`, once ready.
fn start_prometheus(program: PathBuf, dir: &Path, config: &Path) -> (Running, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut command = Command::new(program);
    command
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"));
    let running = Running::spawn(command);
    poll(&addr, "/-/ready", "readiness", |a| a.status == 200);
    (running, addr)
}

/// Prometheus with the configuration `config` (written as JSON, which is YAML), its data in `dir`.
pub fn prometheus_with(dir: &Path, config: &serde_json::Value) -> Option<(Running, String)> {
    let program = require("prometheus", "prometheus")?;
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("prometheus.yml");
    std::fs::write(&file, serde_json::to_string_pretty(config).unwrap()).unwrap();
    Some(start_prometheus(program, dir, &file))
}

/// `promtool <args>` with `input` on stdin: (success, stdout + stderr).
pub fn promtool(args: &[&str], input: Option<&str>) -> Option<(bool, String)> {
    let program = require("promtool", "prometheus")?;
    let mut child = Command::new(program)
        .current_dir(crate::common::root())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.unwrap_or("").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// `text` with every byte but the unreserved ones percent-encoded (a query parameter's value).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A PromQL instant query against Prometheus's HTTP API: the result vector.
pub fn query(prometheus: &str, promql: &str) -> Vec<serde_json::Value> {
    let encoded = percent_encode(promql);
    let answer = get(prometheus, &format!("/api/v1/query?query={encoded}"));
    let v: serde_json::Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|e| panic!("{promql}: {e}: {}", answer.body));
    assert_eq!(v["status"], "success", "{promql}: {}", answer.body);
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// The real helm, built from its Go module pinned in tests/helm (`tests/helm/build`, cached per
/// machine), or `None` (a skip) outside CI when Go is missing.
pub fn helm() -> Option<PathBuf> {
    static HELM: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    HELM.get_or_init(|| {
        let built = Command::new(crate::common::root().join("tests/helm/build"))
            .stderr(Stdio::inherit())
            .output();
        match built {
            Ok(o) if o.status.success() => Some(PathBuf::from(
                String::from_utf8(o.stdout).unwrap().trim().to_string(),
            )),
            other => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "helm is required in CI (tests/helm/build needs Go): {other:?}"
                );
                eprintln!("helm cannot be built here (tests/helm/build needs Go): test skipped");
                None
            }
        }
    })
    .clone()
}

/// `helm template meshcert charts/meshcert -n meshcert <args>`: (success, stdout, stderr).
pub fn helm_template(args: &[&str]) -> Option<(bool, String, String)> {
    helm_template_release("meshcert", args)
}

/// [`helm_template`] of release `release`.
pub fn helm_template_release(release: &str, args: &[&str]) -> Option<(bool, String, String)> {
    let helm = helm()?;
    let chart = crate::common::root().join("charts/meshcert");
    let o = Command::new(helm)
        .args(["template", release])
        .arg(&chart)
        .args(["--namespace", "meshcert"])
        .args(args)
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("meshcert-helm-home"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("meshcert-helm-home"),
        )
        .env(
            "HELM_DATA_HOME",
            std::env::temp_dir().join("meshcert-helm-home"),
        )
        .output()
        .unwrap();
    Some((
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}
