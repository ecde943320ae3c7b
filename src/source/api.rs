//! Requests to the API server: one GET within the run's deadline, with its retries and the way
//! it gives up; the path of a LIST. Shared by the live source's readers (objects, pods, Links,
//! runtime metrics, a linked cluster's objects).

use std::time::Duration;

use anyhow::anyhow;
use kube::Client;
use tokio::time::Instant;

/// A connected cluster.
pub struct Cluster {
    pub client: Client,
    pub server: String,
    pub context: String,
}

/// What a GET found.
pub(super) enum Fetched {
    Found(String),
    NotFound,
    Forbidden(String),
    /// 410 Gone: the continue token of a list has expired (etcd compacted past it).
    Expired(String),
    /// The server kept failing on this object until the deadline (see [`GiveUp::Unavailable`]).
    Unavailable(String),
}

/// A persistent error answer for one object is that object's state, as a 403 is.
pub(super) fn unavailable_as_data(found: Result<Fetched, GiveUp>) -> Result<Fetched, GiveUp> {
    match found {
        Err(GiveUp::Unavailable(why)) => Ok(Fetched::Unavailable(why)),
        other => other,
    }
}

/// Why a GET gave up.
pub(super) enum GiveUp {
    Unreachable(String),
    Failed(String),
    /// The server kept answering with an error (5xx, 429) until the deadline: like a 403, this
    /// object cannot be read, and the rest of the cluster still can.
    Unavailable(String),
}

/// Only a connection that could not be made (refused, no route, no DNS answer, a TLS handshake
/// that failed): a connection dropped mid-answer, or one that timed out, is retried. Read from
/// the error's types, not its text: hyper's client says whether it failed connecting, and the
/// operating system's error says whether it timed out.
fn is_connect_error(e: &kube::Error) -> bool {
    let mut connect = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(client) = s.downcast_ref::<hyper_util::client::legacy::Error>() {
            connect |= client.is_connect();
        }
        // The HTTP/2 connection's own (transport.rs).
        connect |= s.is::<super::transport::ConnectFailed>();
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::TimedOut => return false,
                std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable => connect = true,
                _ => {}
            }
        }
        source = s.source();
    }
    connect
}

/// An error with its causes (`a: b: c`), each said once: hyper's connect error says only
/// "client error (Connect)", its causes why (refused, a certificate the CA did not sign).
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// The most one answer may hold: a page of 500 pods is about 5 MB.
pub const MAX_RESPONSE_BYTES: usize = 256 << 20;

enum Body {
    Text(String),
    TooLarge,
}

/// Sends `request` and reads the answer, refusing one larger than [`MAX_RESPONSE_BYTES`].
async fn read_capped(
    client: &Client,
    request: http::Request<Vec<u8>>,
) -> Result<Body, kube::Error> {
    use futures::AsyncReadExt as _;
    let stream = client.request_stream(request).await?;
    let mut bytes = Vec::new();
    let read = stream
        .take(MAX_RESPONSE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .await;
    if let Err(e) = read {
        return Err(kube::Error::Service(Box::new(e)));
    }
    if bytes.len() > MAX_RESPONSE_BYTES {
        return Ok(Body::TooLarge);
    }
    String::from_utf8(bytes)
        .map(Body::Text)
        .map_err(kube::Error::FromUtf8)
}

/// A `Status` object in a 200 answer (a misbehaving server or proxy): its code and message.
fn status_in(text: &str) -> Option<(u16, String)> {
    if text.len() > 64 << 10 || !text.contains("\"Status\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("kind")?.as_str()? != "Status" {
        return None;
    }
    let code = v.get("code").and_then(|c| c.as_u64()).unwrap_or(500) as u16;
    let message = v
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("")
        .to_string();
    Some((code, message))
}

/// GETs `path` (with query), retrying 429, 5xx and timeouts with backoff until `deadline`.
pub(super) async fn get(
    cluster: &Cluster,
    path: &str,
    deadline: Instant,
    verbose: bool,
) -> Result<Fetched, GiveUp> {
    get_with(cluster, path, deadline, verbose, true).await
}

/// [`get`]; with `retry_answers` false, an error answer (5xx, 429) is final at once: a pod's port
/// relayed by `pods/proxy` that answers 503 is not coming back within a run.
pub(super) async fn get_with(
    cluster: &Cluster,
    path: &str,
    deadline: Instant,
    verbose: bool,
    retry_answers: bool,
) -> Result<Fetched, GiveUp> {
    let mut delay = Duration::from_millis(100);
    let mut attempt = 0;
    // Whether the latest failure was an answer (5xx, 429) rather than no answer at all.
    let mut answered;
    loop {
        answered = false;
        attempt += 1;
        if verbose {
            crate::elog!("meshcert: GET {path} (attempt {attempt})");
        }
        let request = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| GiveUp::Failed(format!("GET {path}: {e}")))?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let retry_reason = match tokio::time::timeout(
            remaining,
            read_capped(&cluster.client, request),
        )
        .await
        {
            Err(_) => "no answer before the deadline (--timeout)".to_string(),
            Ok(Ok(Body::TooLarge)) => {
                return Err(GiveUp::Failed(format!(
                    "GET {path}: the answer is larger than {MAX_RESPONSE_BYTES} bytes; refusing it"
                )));
            }
            Ok(Ok(Body::Text(text))) => match status_in(&text) {
                None => return Ok(Fetched::Found(text)),
                Some((404, _)) => return Ok(Fetched::NotFound),
                Some((403, message)) => return Ok(Fetched::Forbidden(message)),
                Some((410, message)) => return Ok(Fetched::Expired(message)),
                Some((code, message)) if code == 429 || code >= 500 => {
                    answered = true;
                    format!("{code} {message} (in a 200 answer)")
                }
                Some((code, message)) => {
                    return Err(GiveUp::Failed(format!(
                        "GET {path}: the API server answered 200 with a Status {code}: {message}"
                    )));
                }
            },
            Ok(Err(kube::Error::Api(status))) => match status.code {
                404 => return Ok(Fetched::NotFound),
                403 => return Ok(Fetched::Forbidden(status.message.clone())),
                410 => return Ok(Fetched::Expired(status.message.clone())),
                401 => {
                    return Err(GiveUp::Failed(format!(
                        "the API server {} (context {}) does not accept the credentials: 401 {} (GET {path}); the token or client certificate is expired, revoked or for another cluster",
                        cluster.server, cluster.context, status.message
                    )));
                }
                429 | 500..=599 => {
                    answered = true;
                    format!("{} {}", status.code, status.message)
                }
                code => {
                    return Err(GiveUp::Failed(format!(
                        "GET {path}: {code} {}: {}",
                        status.reason, status.message
                    )));
                }
            },
            Ok(Err(e)) if is_connect_error(&e) => {
                return Err(GiveUp::Unreachable(with_causes(&e)));
            }
            Ok(Err(e)) => e.to_string(),
        };
        if Instant::now() + delay >= deadline || (answered && !retry_answers) {
            let why = format!(
                "GET {path}: gave up after {attempt} attempts within --timeout: {retry_reason}"
            );
            return Err(if answered {
                GiveUp::Unavailable(why)
            } else {
                GiveUp::Failed(why)
            });
        }
        if verbose {
            crate::elog!("meshcert: GET {path}: {retry_reason}; retrying in {delay:?}");
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The path of a LIST, built by kube's request builder (selector, page size, continue token).
pub(super) fn list_path(
    collection: String,
    params: &kube::core::params::ListParams,
) -> anyhow::Result<String> {
    kube::core::Request::new(collection)
        .list(params)
        // kube's serializer leaves an empty first pair (`?&labelSelector=…`); drop it.
        .map(|r| r.uri().to_string().replacen("?&", "?", 1))
        .map_err(|e| anyhow!("cannot build a list request: {e}"))
}

/// A GET's giving up as the run's error.
pub(super) fn give_up(cluster: &Cluster, e: GiveUp) -> anyhow::Error {
    match e {
        GiveUp::Unreachable(why) => unreachable(cluster, &why),
        GiveUp::Failed(why) | GiveUp::Unavailable(why) => anyhow!("{why}"),
    }
}

fn unreachable(cluster: &Cluster, why: &str) -> anyhow::Error {
    anyhow!(
        "cannot reach the API server {} (context {}): {why}",
        cluster.server,
        cluster.context
    )
}
