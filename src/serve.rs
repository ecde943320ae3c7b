//! `meshcert serve`: the exporter. A round reads the inputs and runs the checks, exactly as
//! `meshcert check` does, every `--interval`; `GET /metrics` serves the families of
//! `-o prometheus` from the latest rounds, plus the exporter's own:
//!
//! - `meshcert_cluster_up` (also in `-o prometheus`): 1 when the latest round read the cluster, 0
//!   when it could not; a cluster's other series stay those of the last round that read it;
//! - `meshcert_run_duration_seconds`: how long the latest round took;
//! - `meshcert_rounds_total`: rounds completed since the exporter started.
//!
//! `GET /healthz` answers 200 while the process runs, `GET /readyz` 200 once a first round has
//! completed (503 before). Nothing else is served. Rounds run one after the other on their own
//! thread, so they never overlap and a slow cluster never holds a scrape; a round's failure is
//! logged and retried at the next round, never fatal. SIGTERM or SIGINT stops the server at once.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use meshcert_checks::check::Context;

use crate::ExitStatus;
use crate::cli::ServeArgs;
use crate::report::run::{ClusterOutcome, Run};

/// What the server hands out: the latest metrics text, and whether a round has completed.
#[derive(Default)]
struct Published {
    metrics: Arc<String>,
    ready: bool,
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
}

impl Rounds {
    fn new() -> Self {
        Rounds {
            good: BTreeMap::new(),
            up: BTreeMap::new(),
            never_read: BTreeMap::new(),
            per_cluster: false,
            completed: 0,
        }
    }

    /// Takes in one round's run; returns the clusters it could not read, with why.
    fn absorb(&mut self, run: Run) -> Vec<(String, String)> {
        self.per_cluster = run.per_cluster;
        let mut failed = Vec::new();
        for cluster in run.clusters {
            let label = cluster.label().to_string();
            match &cluster.outcome {
                Ok(_) => {
                    self.up.insert(label.clone(), true);
                    self.never_read.remove(&label);
                    self.good.insert(label, cluster);
                }
                Err(why) => {
                    failed.push((label.clone(), why.clone()));
                    self.up.insert(label.clone(), false);
                    if !self.good.contains_key(&label) {
                        self.never_read.insert(label, cluster);
                    }
                }
            }
        }
        self.completed += 1;
        failed
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
        out
    }
}

/// One round: read and check as `meshcert check` would. Whatever stops the whole round (an
/// unreadable kubeconfig, the one cluster down, a missing file) is that cluster's failure.
fn round(args: &ServeArgs, base: &Context, last_labels: &[String]) -> Run {
    let cx = Context {
        at: args.audit.at.unwrap_or_else(chrono::Utc::now),
        ..base.clone()
    };
    let result =
        crate::check_request(&args.audit).and_then(|request| crate::collect(&request, &cx, true));
    match result {
        Ok(run) => run,
        Err(e) => {
            let why = format!("{e:#}");
            let labels: Vec<Option<String>> = if last_labels.is_empty() {
                vec![None]
            } else {
                last_labels
                    .iter()
                    .map(|l| (!l.is_empty()).then(|| l.clone()))
                    .collect()
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
                fail_on: cx.fail_on,
            }
        }
    }
}

/// Runs rounds until `stop` says so (or is dropped), publishing each one's metrics.
fn rounds(args: &ServeArgs, cx: &Context, published: &Mutex<Published>, stop: mpsc::Receiver<()>) {
    let mut state = Rounds::new();
    loop {
        let started = Instant::now();
        let labels: Vec<String> = state.up.keys().cloned().collect();
        let run = round(args, cx, &labels);
        for (cluster, why) in state.absorb(run) {
            let which = if cluster.is_empty() {
                String::new()
            } else {
                format!(" cluster {cluster}:")
            };
            eprintln!(
                "meshcert serve: round {}:{which} could not be read (keeping the last good series): {why}",
                state.completed
            );
        }
        let metrics = Arc::new(state.render(cx.fail_on, started.elapsed()));
        {
            let mut p = published.lock().unwrap_or_else(|e| e.into_inner());
            p.metrics = metrics;
            p.ready = true;
        }
        let next = args.interval.saturating_sub(started.elapsed());
        match stop.recv_timeout(next) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn text(
    status: StatusCode,
    body: impl Into<Bytes>,
    content_type: &'static str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// The three endpoints; everything else is 404, and other methods than GET and HEAD 405.
fn answer(published: &Mutex<Published>, method: &Method, path: &str) -> Response<Full<Bytes>> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if !matches!(path, "/metrics" | "/healthz" | "/readyz") {
        return text(StatusCode::NOT_FOUND, "not found\n", PLAIN);
    }
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed\n",
            PLAIN,
        );
        r.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    let (metrics, ready) = {
        let p = published.lock().unwrap_or_else(|e| e.into_inner());
        (p.metrics.clone(), p.ready)
    };
    match path {
        "/healthz" => text(StatusCode::OK, "ok\n", PLAIN),
        "/readyz" if ready => text(StatusCode::OK, "ready\n", PLAIN),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no round has completed yet\n",
            PLAIN,
        ),
        _ if !ready => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no round has completed yet\n",
            PLAIN,
        ),
        _ => text(
            StatusCode::OK,
            Bytes::from(metrics.as_bytes().to_vec()),
            "text/plain; version=0.0.4; charset=utf-8",
        ),
    }
}

/// `meshcert serve`.
pub fn serve(args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    // Bad flags, an unreadable policy file or missing inputs stop it before it listens.
    let cx = crate::settings_of(&args.audit)?;
    crate::check_request(&args.audit)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Before anything else: from here on SIGTERM stops the server instead of killing it.
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("cannot listen for SIGTERM")?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let bound = listener.local_addr()?;
        eprintln!(
            "meshcert serve: serving http://{bound}/metrics, a round every {:?}",
            args.interval
        );
        let published = Arc::new(Mutex::new(Published::default()));
        let (stop_tx, stop_rx) = mpsc::channel();
        {
            let published = published.clone();
            let args = args.clone();
            std::thread::Builder::new()
                .name("meshcert-rounds".into())
                .spawn(move || rounds(&args, &cx, &published, stop_rx))
                .context("cannot start the rounds thread")?;
        }
        loop {
            tokio::select! {
                _ = terminate.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let published = published.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let response = answer(&published, req.method(), req.uri().path());
                            async move { Ok::<_, Infallible>(response) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
        // The rounds thread ends at its next wait; a round in flight is abandoned with the process.
        let _ = stop_tx.send(());
        eprintln!("meshcert serve: stopping");
        Ok(ExitStatus::Success)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshcert_checks::check::FailOn;

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
        assert!(state.absorb(run(vec![good("a"), unreadable("b")])).len() == 1);
        let first = state.render(FailOn::Error, Duration::from_millis(5));
        assert!(
            first.contains("meshcert_cluster_up{cluster=\"a\"} 1\n"),
            "{first}"
        );
        assert!(first.contains("meshcert_cluster_up{cluster=\"b\"} 0\n"));
        assert!(first.contains("meshcert_run_success{cluster=\"b\"} 0\n"));
        assert!(first.contains("meshcert_rounds_total 1\n"));

        // a goes down: its check series stay, its up gauge drops.
        state.absorb(run(vec![unreadable("a"), good("b")]));
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
    fn only_the_three_paths_are_served() {
        let published = Mutex::new(Published::default());
        let status = |m: Method, p: &str| answer(&published, &m, p).status();
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
