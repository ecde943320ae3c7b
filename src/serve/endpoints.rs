//! The HTTP side of `meshcert serve`: the three endpoints, content negotiation, basic auth, and
//! the bounds every connection lives within.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;

/// What the server hands out: the latest metrics text, whether a round has completed, and when
/// the latest one started.
#[derive(Default)]
pub(super) struct Published {
    /// The latest round's metrics, in every form served.
    pub(super) metrics: Arc<crate::exposition::Encoded>,
    pub(super) ready: bool,
    pub(super) last_started: Option<Instant>,
    /// No round started for this long: `/healthz` fails.
    pub(super) stale_after: Duration,
}

/// How long a new connection may stay silent before its first byte (a scraper sends its request
/// at once).
pub const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// File descriptors kept for the rounds, whatever the scrapers do.
const RESERVED_FOR_ROUNDS: u64 = 64;
/// How long one connection may stay open (keep-alive included).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);

/// How many connections may be open at once: the file descriptors the process may open, less
/// [`RESERVED_FOR_ROUNDS`] so that rounds can always read the clusters, between 4 and 4096.
pub fn connection_limit() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .unwrap_or(1024);
    soft.saturating_sub(RESERVED_FOR_ROUNDS).clamp(4, 4096) as usize
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
/// The request's header `name`, if it is text.
fn header(headers: &http::HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn answer(
    published: &Mutex<Published>,
    method: &Method,
    path: &str,
    headers: &http::HeaderMap,
) -> Response<Full<Bytes>> {
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
    let (metrics, ready, stalled) = {
        let p = published.lock().unwrap_or_else(|e| e.into_inner());
        let stalled = p
            .last_started
            .map(|t| t.elapsed())
            .filter(|since| *since > p.stale_after);
        (p.metrics.clone(), p.ready, stalled)
    };
    match path {
        "/healthz" => match stalled {
            None => text(StatusCode::OK, "ok\n", PLAIN),
            Some(since) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "no round has started for {}s (more than 2 × --interval + --timeout)\n",
                    since.as_secs()
                ),
                PLAIN,
            ),
        },
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
        _ => {
            let chosen = metrics.choose(
                header(headers, http::header::ACCEPT),
                header(headers, http::header::ACCEPT_ENCODING),
            );
            let mut r = text(StatusCode::OK, chosen.body, chosen.content_type);
            let h = r.headers_mut();
            h.insert(
                http::header::VARY,
                http::HeaderValue::from_static("Accept, Accept-Encoding"),
            );
            if chosen.gzip {
                h.insert(
                    http::header::CONTENT_ENCODING,
                    http::HeaderValue::from_static("gzip"),
                );
            }
            r
        }
    }
}

/// Serves one connection: one request, its headers within [`HEADER_TIMEOUT`], the whole within
/// [`CONNECTION_LIFETIME`]; `/metrics` behind basic auth when `users` is set.
pub(super) async fn connection<I>(
    io: I,
    published: Arc<Mutex<Published>>,
    users: Option<Arc<crate::web_config::Users>>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let (published, users) = (published.clone(), users.clone());
        async move {
            if let Some(users) = users
                && req.uri().path() == "/metrics"
                && !users
                    .allows(header(req.headers(), http::header::AUTHORIZATION))
                    .await
            {
                let mut r = text(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized\n",
                    "text/plain; charset=utf-8",
                );
                r.headers_mut().insert(
                    http::header::WWW_AUTHENTICATE,
                    http::HeaderValue::from_static("Basic realm=\"meshcert\""),
                );
                return Ok::<_, Infallible>(r);
            }
            Ok(answer(
                &published,
                req.method(),
                req.uri().path(),
                req.headers(),
            ))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // One request per connection: nothing idles after its response.
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(false);
    let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = tokio::time::sleep(CONNECTION_LIFETIME) => {
            // Closed once the response in flight (if any) is written.
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(HEADER_TIMEOUT, connection).await;
        }
    }
}
