//! `meshcert serve`: the exporter. A round reads the inputs and runs the checks, exactly as
//! `meshcert check` does, every `--interval`; `GET /metrics` serves the families of
//! `-o prometheus` from the latest rounds, plus the exporter's own:
//!
//! - `meshcert_cluster_up` (also in `-o prometheus`): 1 when the latest round read the cluster, 0
//!   when it could not; a cluster's other series stay those of the last round that read it;
//! - `meshcert_run_duration_seconds`: how long the latest round took;
//! - `meshcert_rounds_total`: rounds completed since the exporter started.
//!
//! - `meshcert_read_errors_total{cluster,reason}`: reads of a cluster (or of the files) that
//!   failed, per source (the `cluster` label where several are read, as in every family) and
//!   reason: `unauthorized`, `forbidden`, `timeout`, `tls`, `unreachable`, `input` (a file or
//!   kubeconfig that cannot be read or parsed), `exhausted`, `other`;
//! - `meshcert_round_errors_total{reason}`: rounds that went wrong, by reason: `panic` (the round
//!   crashed; it is abandoned and the next one runs), `unreadable` (a cluster could not be read),
//!   `exhausted` (the exporter itself ran out of file descriptors: the cluster's `up` is left
//!   as it was, since the cluster is not at fault).
//!
//! `GET /healthz` answers 200 while rounds keep starting, and 503 once none has started for
//! 2 × `--interval` + `--timeout` (a stuck process, for a liveness probe to restart);
//! `GET /readyz` 200 once a first round has completed (503 before). Nothing else is served.
//! Rounds run one after the other on their own thread, so they never overlap and a slow cluster
//! never holds a scrape; a round's failure is logged and retried at the next round, never fatal.
//! SIGTERM or SIGINT stops the server at once; SIGHUP starts a round at once.
//!
//! Connections are bounded: a new one must send its first byte within [`FIRST_BYTE_TIMEOUT`](endpoints::FIRST_BYTE_TIMEOUT)
//! and its headers within [`HEADER_TIMEOUT`](endpoints::HEADER_TIMEOUT); it serves one request (no keep-alive) and lives
//! at most [`CONNECTION_LIFETIME`](endpoints::CONNECTION_LIFETIME); at most [`connection_limit`](endpoints::connection_limit) are open at once (the rest wait
//! in the listen backlog), which keeps descriptors for the rounds; and a failed accept (EMFILE)
//! backs off instead of spinning. Logging never fails a round: a
//! closed stderr drops the lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
#[cfg(test)]
use http::{Method, StatusCode};

mod endpoints;

#[cfg(test)]
use self::endpoints::answer;
use self::endpoints::{
    FIRST_BYTE_TIMEOUT, HEADER_TIMEOUT, Published, connection, connection_limit,
};
use crate::cli::ServeArgs;
use crate::pipeline::Plan;
use crate::report::run::{ClusterOutcome, ExitStatus, Run};

/// What the serving side tells the rounds thread.
enum Signal {
    Stop,
    /// SIGHUP: a round now.
    Now,
}

/// Why rounds went wrong, counted for `meshcert_round_errors_total`.
const ERROR_REASONS: [&str; 3] = ["panic", "unreadable", "exhausted"];

/// Why a read failed, from its error's words, for `meshcert_read_errors_total`.
fn read_error_reason(why: &str) -> &'static str {
    let lower = why.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if exhausted(why) {
        "exhausted"
    } else if has(&["401", "does not accept the credentials", "unauthorized"]) {
        "unauthorized"
    } else if has(&["403", "forbidden"]) {
        "forbidden"
    } else if has(&["deadline", "timed out", "timeout"]) {
        "timeout"
    } else if has(&["certificate", "tls", "handshake"]) {
        "tls"
    } else if has(&[
        "cannot reach",
        "connection refused",
        "did not answer",
        "dns error",
        "unreachable",
        "no route",
    ]) {
        "unreachable"
    } else if has(&[
        "no such file",
        "kubeconfig",
        "cannot read",
        "cannot parse",
        "not found",
    ]) {
        "input"
    } else {
        "other"
    }
}

/// Whether a cluster's error is the exporter's own lack of file descriptors.
fn exhausted(why: &str) -> bool {
    why.contains("Too many open files") || why.contains("os error 24")
}

/// What the rounds remember between them.
struct Rounds {
    /// Each cluster's latest readable outcome, by label ("" for files or the one cluster).
    good: BTreeMap<String, ClusterOutcome>,
    /// Whether each cluster the exporter has met was read by the latest round that tried it.
    up: BTreeMap<String, bool>,
    /// Why a cluster never read so far could not be read.
    never_read: BTreeMap<String, ClusterOutcome>,
    per_cluster: bool,
    completed: u64,
    /// `meshcert_round_errors_total`, by reason.
    errors: BTreeMap<&'static str, u64>,
    /// `meshcert_read_errors_total`, by cluster label and reason.
    read_errors: BTreeMap<(String, &'static str), u64>,
}

/// What one round changed: clusters that could not be read (with why), and clusters readable
/// again after a round that could not read them.
#[derive(Debug, Default)]
struct Absorbed {
    failed: Vec<(String, String)>,
    recovered: Vec<String>,
}

impl Rounds {
    fn new() -> Self {
        Rounds {
            good: BTreeMap::new(),
            up: BTreeMap::new(),
            never_read: BTreeMap::new(),
            per_cluster: false,
            completed: 0,
            errors: ERROR_REASONS.iter().map(|r| (*r, 0)).collect(),
            read_errors: BTreeMap::new(),
        }
    }

    fn count(&mut self, reason: &'static str) {
        *self.errors.entry(reason).or_default() += 1;
    }

    /// Takes in one round's run: what it could not read, and what it can read again.
    fn absorb(&mut self, run: Run) -> Absorbed {
        self.per_cluster = run.per_cluster;
        let mut absorbed = Absorbed::default();
        for cluster in run.clusters {
            let label = cluster.label().to_string();
            if let Err(why) = &cluster.outcome {
                *self
                    .read_errors
                    .entry((label.clone(), read_error_reason(why)))
                    .or_default() += 1;
            }
            match &cluster.outcome {
                Ok(_) => {
                    if self.up.insert(label.clone(), true) == Some(false) {
                        absorbed.recovered.push(label.clone());
                    }
                    self.never_read.remove(&label);
                    self.good.insert(label, cluster);
                }
                Err(why) if exhausted(why) => {
                    // The exporter's own fault: the cluster's state is left as it was.
                    self.count("exhausted");
                    absorbed.failed.push((label, why.clone()));
                }
                Err(why) => {
                    self.count("unreadable");
                    absorbed.failed.push((label.clone(), why.clone()));
                    self.up.insert(label.clone(), false);
                    if !self.good.contains_key(&label) {
                        self.never_read.insert(label, cluster);
                    }
                }
            }
        }
        self.completed += 1;
        absorbed
    }

    /// Every cluster's series: the last readable report of each, and the unreadable ones.
    fn render(&self, fail_on: meshcert_checks::check::FailOn, took: Duration) -> String {
        let run = Run {
            clusters: self
                .good
                .values()
                .chain(self.never_read.values())
                .cloned()
                .collect(),
            per_cluster: self.per_cluster,
            fail_on,
        };
        let mut out = crate::report::prometheus::render_with_up(&run, |c| {
            self.up.get(c.label()).copied().unwrap_or(false)
        });
        let _ = write!(
            out,
            "# HELP meshcert_run_duration_seconds How long the latest round took.\n# TYPE meshcert_run_duration_seconds gauge\nmeshcert_run_duration_seconds {:.6}\n",
            took.as_secs_f64()
        );
        let _ = write!(
            out,
            "# HELP meshcert_rounds_total Rounds completed since the exporter started.\n# TYPE meshcert_rounds_total counter\nmeshcert_rounds_total {}\n",
            self.completed
        );
        out.push_str(
            "# HELP meshcert_round_errors_total Rounds that went wrong, by reason: panic (the round crashed and was abandoned), unreadable (a cluster could not be read), exhausted (the exporter ran out of file descriptors).\n# TYPE meshcert_round_errors_total counter\n",
        );
        for (reason, n) in &self.errors {
            let _ = writeln!(
                out,
                "meshcert_round_errors_total{{reason=\"{reason}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP meshcert_read_errors_total Reads of a cluster (or of the files) that failed, by reason.\n# TYPE meshcert_read_errors_total counter\n",
        );
        for ((label, reason), n) in &self.read_errors {
            let cluster = self.per_cluster.then_some(label.as_str());
            let _ = writeln!(
                out,
                "meshcert_read_errors_total{} {n}",
                crate::report::prometheus::labels(cluster, &[("reason", reason)])
            );
        }
        out
    }
}

/// One round: read and check as `meshcert check` would. Whatever stops the whole round (an
/// unreadable kubeconfig, the one cluster down, a missing file) is that cluster's failure, under
/// the label it had when it was last read.
fn round(args: &ServeArgs, plan: &Plan, last_labels: &[String]) -> Run {
    let at = args.audit.at.unwrap_or_else(chrono::Utc::now);
    let last = |i: usize| {
        last_labels
            .get(i)
            .map(|l| (!l.is_empty()).then(|| l.clone()))
    };
    match plan.run(Some(at), true) {
        Ok(mut run) => {
            // The one cluster, unreadable: its label as when it was read, not a guess at it.
            if let ([one], [_]) = (run.clusters.as_mut_slice(), last_labels)
                && one.outcome.is_err()
                && !run.per_cluster
            {
                one.context = last(0).flatten().or(one.context.take());
            }
            run
        }
        Err(e) => {
            let why = format!("{e:#}");
            let labels: Vec<Option<String>> = if last_labels.is_empty() {
                plan.request.expected_labels()
            } else {
                (0..last_labels.len()).filter_map(last).collect()
            };
            Run {
                per_cluster: labels.len() > 1,
                clusters: labels
                    .into_iter()
                    .map(|context| ClusterOutcome {
                        context,
                        source: None,
                        outcome: Err(why.clone()),
                        rotation: None,
                    })
                    .collect(),
                fail_on: plan.cx.fail_on,
            }
        }
    }
}

/// The message of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

/// Runs rounds until told to stop (or the sender is dropped), publishing each one's metrics. A
/// round that panics is caught, logged and counted; the next one runs as usual.
fn rounds(
    interval: Duration,
    fail_on: meshcert_checks::check::FailOn,
    round: impl Fn(&[String]) -> Run,
    published: &Mutex<Published>,
    signals: mpsc::Receiver<Signal>,
) {
    let mut state = Rounds::new();
    loop {
        let started = Instant::now();
        published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last_started = Some(started);
        let labels: Vec<String> = state.up.keys().cloned().collect();
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| round(&labels)));
        match attempt {
            Ok(run) => {
                let absorbed = state.absorb(run);
                for (cluster, why) in absorbed.failed {
                    let which = if cluster.is_empty() {
                        String::new()
                    } else {
                        format!(" cluster {cluster}:")
                    };
                    crate::elog!(
                        "meshcert serve: round {}:{which} could not be read (keeping the last good series): {why}",
                        state.completed
                    );
                }
                for cluster in absorbed.recovered {
                    let which = if cluster.is_empty() {
                        "the cluster".to_string()
                    } else {
                        format!("cluster {cluster}")
                    };
                    crate::elog!(
                        "meshcert serve: round {}: {which} is readable again",
                        state.completed
                    );
                }
            }
            Err(payload) => {
                state.count("panic");
                crate::elog!(
                    "meshcert serve: a round crashed ({}); the next round runs at its time",
                    panic_message(payload.as_ref())
                );
            }
        }
        let text = state.render(fail_on, started.elapsed());
        let metrics = Arc::new(crate::exposition::Encoded::new(&text));
        {
            let mut p = published.lock().unwrap_or_else(|e| e.into_inner());
            p.metrics = metrics;
            p.ready = state.completed > 0;
        }
        let next = interval.saturating_sub(started.elapsed());
        match signals.recv_timeout(next) {
            Err(RecvTimeoutError::Timeout) | Ok(Signal::Now) => {}
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// `meshcert serve`.
pub fn serve(args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    // Bad flags, an unreadable policy file or missing inputs stop it before it listens.
    let plan = Plan::of(&args.audit)?;
    let web = match &args.web_config_file {
        Some(path) => crate::web_config::load(path)?,
        None => crate::web_config::WebConfig::default(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Before anything else: from here on SIGTERM stops the server instead of killing it.
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("cannot listen for SIGTERM")?;
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("cannot listen for SIGHUP")?;
        let listener = tokio::net::TcpListener::bind(args.listen.as_str())
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let bound = listener.local_addr()?;
        crate::elog!(
            "meshcert serve: serving {}://{bound}/metrics{}, a round every {:?}",
            if web.tls.is_some() { "https" } else { "http" },
            if web.users.is_some() {
                " (basic auth)"
            } else {
                ""
            },
            args.interval
        );
        let published = Arc::new(Mutex::new(Published {
            stale_after: args.interval * 2 + args.audit.cluster.timeout,
            ..Published::default()
        }));
        let (signal_tx, signal_rx) = mpsc::channel();
        {
            let published = published.clone();
            let args = args.clone();
            std::thread::Builder::new()
                .name("meshcert-rounds".into())
                .spawn(move || {
                    let one = |labels: &[String]| round(&args, &plan, labels);
                    rounds(args.interval, plan.cx.fail_on, one, &published, signal_rx)
                })
                .context("cannot start the rounds thread")?;
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(connection_limit()));
        let mut last_accept_error: Option<Instant> = None;
        loop {
            // A free connection slot first (the rest wait in the listen backlog), then a client.
            let next = async {
                let permit = permits.clone().acquire_owned().await;
                (permit, listener.accept().await)
            };
            let (permit, accepted) = tokio::select! {
                _ = terminate.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = hangup.recv() => {
                    let _ = signal_tx.send(Signal::Now);
                    continue;
                }
                next = next => next,
            };
            let Ok(permit) = permit else { break };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and the like: wait for descriptors to come back, say so once a minute.
                    if last_accept_error.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        crate::elog!(
                            "meshcert serve: cannot accept a connection ({e}); backing off"
                        );
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (published, web) = (published.clone(), web.clone());
            tokio::spawn(async move {
                // A connection that says nothing gives its slot back at once.
                if tokio::time::timeout(FIRST_BYTE_TIMEOUT, stream.readable())
                    .await
                    .is_err()
                {
                    return;
                }
                match &web.tls {
                    None => connection(stream, published, web.users.clone()).await,
                    Some(acceptor) => {
                        let Ok(Ok(tls)) =
                            tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await
                        else {
                            return;
                        };
                        connection(tls, published, web.users.clone()).await
                    }
                }
                drop(permit);
            });
        }

        // The rounds thread ends at its next wait; a round in flight is abandoned with the process.
        let _ = signal_tx.send(Signal::Stop);
        crate::elog!("meshcert serve: stopping");
        Ok(ExitStatus::Success)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshcert_checks::check::{Context, FailOn};

    fn unreadable(context: &str) -> ClusterOutcome {
        ClusterOutcome {
            context: Some(context.into()),
            source: None,
            outcome: Err("connection refused".into()),
            rotation: None,
        }
    }

    #[test]
    fn a_failed_round_keeps_the_last_good_series_and_marks_the_cluster_down() {
        let report = meshcert_checks::report::run(
            &meshcert_checks::snapshot::Snapshot::new("linkerd"),
            &Context::new(chrono::DateTime::UNIX_EPOCH),
            meshcert_checks::registry::ALL,
        );
        let good = |context: &str| ClusterOutcome {
            context: Some(context.into()),
            source: Some("cluster".into()),
            outcome: Ok(report.clone()),
            rotation: None,
        };
        let run = |clusters| Run {
            clusters,
            per_cluster: true,
            fail_on: FailOn::Error,
        };
        let mut state = Rounds::new();
        assert_eq!(
            state
                .absorb(run(vec![good("a"), unreadable("b")]))
                .failed
                .len(),
            1
        );
        let first = state.render(FailOn::Error, Duration::from_millis(5));
        assert!(
            first.contains("meshcert_cluster_up{cluster=\"a\"} 1\n"),
            "{first}"
        );
        assert!(first.contains("meshcert_cluster_up{cluster=\"b\"} 0\n"));
        assert!(first.contains("meshcert_run_success{cluster=\"b\"} 0\n"));
        assert!(first.contains("meshcert_rounds_total 1\n"));

        // a goes down: its check series stay, its up gauge drops; b is back, and said so.
        let absorbed = state.absorb(run(vec![unreadable("a"), good("b")]));
        assert_eq!(absorbed.recovered, vec!["b".to_string()]);
        let second = state.render(FailOn::Error, Duration::from_millis(5));
        assert!(
            second.contains("meshcert_cluster_up{cluster=\"a\"} 0\n"),
            "{second}"
        );
        assert!(second.contains("meshcert_cluster_up{cluster=\"b\"} 1\n"));
        let a_checks = |text: &str| {
            text.lines()
                .filter(|l| l.starts_with("meshcert_check_result{cluster=\"a\""))
                .count()
        };
        assert!(a_checks(&second) > 0);
        assert_eq!(a_checks(&first), a_checks(&second));
        assert!(second.contains("meshcert_rounds_total 2\n"));
    }

    #[test]
    fn the_exporters_own_lack_of_descriptors_leaves_the_cluster_up() {
        let mut state = Rounds::new();
        let report = meshcert_checks::report::run(
            &meshcert_checks::snapshot::Snapshot::new("linkerd"),
            &Context::new(chrono::DateTime::UNIX_EPOCH),
            meshcert_checks::registry::ALL,
        );
        let run = |outcome| Run {
            clusters: vec![ClusterOutcome {
                context: Some("a".into()),
                source: None,
                outcome,
                rotation: None,
            }],
            per_cluster: true,
            fail_on: FailOn::Error,
        };
        state.absorb(run(Ok(report)));
        state.absorb(run(Err(
            "cannot reach the API server: Too many open files (os error 24)".into(),
        )));
        let text = state.render(FailOn::Error, Duration::ZERO);
        assert!(
            text.contains("meshcert_cluster_up{cluster=\"a\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("meshcert_round_errors_total{reason=\"exhausted\"} 1\n"));
        assert!(text.contains("meshcert_round_errors_total{reason=\"unreadable\"} 0\n"));
        assert!(
            text.contains("meshcert_read_errors_total{cluster=\"a\",reason=\"exhausted\"} 1\n")
        );
    }

    #[test]
    fn read_errors_are_counted_per_cluster_and_reason() {
        let mut state = Rounds::new();
        let run = |clusters: Vec<(&str, &str)>| Run {
            clusters: clusters
                .into_iter()
                .map(|(c, why)| ClusterOutcome {
                    context: Some(c.into()),
                    source: None,
                    outcome: Err(why.into()),
                    rotation: None,
                })
                .collect(),
            per_cluster: true,
            fail_on: FailOn::Error,
        };
        let unauthorized = "the API server https://b:6443 (context b) does not accept the credentials: 401 Unauthorized (GET /api/v1/namespaces); the token or client certificate is expired, revoked or for another cluster";
        let timeout = "cannot reach the API server https://a:6443 (context a): no answer before the deadline (--timeout)";
        state.absorb(run(vec![("a", timeout), ("b", unauthorized)]));
        state.absorb(run(vec![("a", timeout)]));
        state.absorb(run(vec![(
            "a",
            "cannot reach the API server https://a:6443 (context a): connection refused",
        )]));
        let text = state.render(FailOn::Error, Duration::ZERO);
        for line in [
            "# TYPE meshcert_read_errors_total counter\n",
            "meshcert_read_errors_total{cluster=\"a\",reason=\"timeout\"} 2\n",
            "meshcert_read_errors_total{cluster=\"a\",reason=\"unreachable\"} 1\n",
            "meshcert_read_errors_total{cluster=\"b\",reason=\"unauthorized\"} 1\n",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
        assert_eq!(
            read_error_reason("GET /api/v1/namespaces/linkerd/secrets: 403 Forbidden"),
            "forbidden"
        );
        assert_eq!(
            read_error_reason("invalid peer certificate: UnknownIssuer"),
            "tls"
        );
        assert_eq!(
            read_error_reason("cannot read kubeconfig /nope: No such file or directory"),
            "input"
        );
        assert_eq!(read_error_reason("something else"), "other");
    }

    #[test]
    fn a_round_that_panics_is_counted_and_the_next_one_runs() {
        let published = Arc::new(Mutex::new(Published {
            stale_after: Duration::from_secs(60),
            ..Published::default()
        }));
        let (tx, rx) = mpsc::channel();
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let thread = {
            let (published, calls) = (published.clone(), calls.clone());
            std::thread::spawn(move || {
                let one = |_: &[String]| {
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        panic!("boom");
                    }
                    Run {
                        clusters: vec![unreadable("a")],
                        per_cluster: true,
                        fail_on: FailOn::Error,
                    }
                };
                rounds(
                    Duration::from_millis(20),
                    FailOn::Error,
                    one,
                    &published,
                    rx,
                )
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let metrics = loop {
            let text =
                String::from_utf8_lossy(published.lock().unwrap().metrics.text()).into_owned();
            if text.contains("meshcert_rounds_total 2\n") {
                break text;
            }
            assert!(
                Instant::now() < deadline,
                "rounds stopped after the panic: {text}"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        tx.send(Signal::Stop).unwrap();
        thread.join().unwrap();
        assert!(
            metrics.contains("meshcert_round_errors_total{reason=\"panic\"} 1\n"),
            "{metrics}"
        );
        assert!(published.lock().unwrap().ready);
    }

    #[test]
    fn healthz_fails_when_no_round_has_started_for_too_long() {
        let published = Mutex::new(Published {
            stale_after: Duration::from_secs(5),
            last_started: Some(Instant::now()),
            ..Published::default()
        });
        let healthz = |p: &Mutex<Published>| {
            answer(p, &Method::GET, "/healthz", &http::HeaderMap::new()).status()
        };
        assert_eq!(healthz(&published), StatusCode::OK);
        published.lock().unwrap().last_started = Instant::now().checked_sub(Duration::from_secs(6));
        assert_eq!(healthz(&published), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn only_the_three_paths_are_served() {
        let published = Mutex::new(Published::default());
        let status =
            |m: Method, p: &str| answer(&published, &m, p, &http::HeaderMap::new()).status();
        assert_eq!(status(Method::GET, "/healthz"), StatusCode::OK);
        assert_eq!(
            status(Method::GET, "/readyz"),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(Method::GET, "/metrics"),
            StatusCode::SERVICE_UNAVAILABLE
        );
        published.lock().unwrap().ready = true;
        assert_eq!(status(Method::GET, "/readyz"), StatusCode::OK);
        assert_eq!(status(Method::GET, "/metrics"), StatusCode::OK);
        for path in [
            "/",
            "/metrics/",
            "/debug/pprof/",
            "/favicon.ico",
            "/../etc/passwd",
        ] {
            assert_eq!(status(Method::GET, path), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(
            status(Method::POST, "/metrics"),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
