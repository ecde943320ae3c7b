//! The HTTP connection to an API server: HTTP/2, negotiated by ALPN, with every request of a
//! cluster multiplexed on one connection, as client-go does; HTTP/1.1 where the server does not
//! offer h2 (or with `--http1`).
//!
//! kube-rs builds its client on hyper-util's pool with an HTTP/1.1-only connector (kube-rs#1923),
//! and that pool opens a connection for every request in flight. Here the kubeconfig's
//! settings reach the connection through kube's own parts: its rustls configuration (CA, client
//! certificate, exec plugins' certificates, `insecure-skip-tls-verify`), `tls-server-name`, its
//! auth layer (token, token file, exec and auth-provider plugins, basic auth, refreshed as kube
//! refreshes them), its base-URI and extra-header layers. A kubeconfig with `proxy-url` keeps
//! kube's own client (HTTP/1.1, and its error where the proxy is not supported), as before.
//!
//! The first request of a cluster connects, with every other request waiting for that
//! connection: when ALPN chose h2, they all share it (a closed one is replaced by the next
//! request); when the server chose HTTP/1.1, that connection is dropped and hyper-util's pool
//! serves the cluster from then on, one request per connection at a time.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::{Connection as _, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kube::client::{Body, ClientBuilder, ConfigExt as _};
use kube::{Client, Config};
use tower::{BoxError, Service, ServiceBuilder, ServiceExt as _};

/// Which HTTP versions a client may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Http {
    /// HTTP/2 where the server offers it (ALPN), else HTTP/1.1.
    #[default]
    Negotiate,
    /// HTTP/1.1 only (`--http1`: servers behind proxies that break h2).
    Http1,
}

/// A kube client for `config`, speaking `http`.
pub fn client(config: Config, http: Http) -> anyhow::Result<Client> {
    if http == Http::Http1 || config.proxy_url.is_some() {
        return Ok(Client::try_from(config)?);
    }
    let connector = connector(&config)?;
    let connection = OneConnection {
        shared: Arc::new(Shared {
            connector: connector.clone(),
            pool: hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .build(connector),
            state: tokio::sync::Mutex::new(State::New),
            connect_timeout: config.connect_timeout.unwrap_or(Duration::from_secs(30)),
        }),
    };
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .service(connection);
    Ok(ClientBuilder::new(service, config.default_namespace.clone()).build())
}

/// TLS as kube configures it, offering h2 and HTTP/1.1 by ALPN (plain HTTP for http:// servers).
fn connector(config: &Config) -> anyhow::Result<HttpsConnector<HttpConnector>> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(config.connect_timeout);
    let builder = HttpsConnectorBuilder::new()
        .with_tls_config(config.rustls_client_config()?)
        .https_or_http();
    let builder = match &config.tls_server_name {
        Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(
            name.clone()
                .try_into()
                .map_err(|_| anyhow::anyhow!("tls-server-name {name:?} is not a server name"))?,
        )),
        None => builder,
    };
    Ok(builder.enable_all_versions().wrap_connector(http))
}

/// A connection that could not be made (refused, unreachable, a TLS handshake that failed, a
/// connect timeout), told apart from a failed request as hyper-util's pool tells it
/// (`is_connect`): the API requests give up on the first, and retry the second.
#[derive(Debug)]
pub struct ConnectFailed(BoxError);

impl std::fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("client error (Connect)")
    }
}

impl std::error::Error for ConnectFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// How the cluster is reached once the first connection has told.
enum State {
    /// Not connected yet (or the h2 connection closed).
    New,
    /// Every request on this HTTP/2 connection.
    Http2(hyper::client::conn::http2::SendRequest<Body>),
    /// The server chose HTTP/1.1: hyper-util's pool.
    Http1,
}

struct Shared {
    connector: HttpsConnector<HttpConnector>,
    pool: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Body>,
    state: tokio::sync::Mutex<State>,
    connect_timeout: Duration,
}

/// The innermost service of the client: one connection per cluster.
#[derive(Clone)]
struct OneConnection {
    shared: Arc<Shared>,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Incoming>, BoxError>> + Send>>;

impl Service<Request<Body>> for OneConnection {
    type Response = Response<Incoming>;
    type Error = BoxError;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Answer {
        let shared = self.shared.clone();
        Box::pin(async move {
            match shared.http2(request.uri().clone()).await? {
                Some(sender) => {
                    let mut sender = sender;
                    sender.ready().await?;
                    Ok(sender.send_request(request).await?)
                }
                None => Ok(shared.pool.request(request).await?),
            }
        })
    }
}

impl Shared {
    /// The cluster's HTTP/2 connection, connecting when there is none; `None` when the server
    /// speaks HTTP/1.1. Requests wait here while the first one connects.
    async fn http2(
        &self,
        uri: http::Uri,
    ) -> Result<Option<hyper::client::conn::http2::SendRequest<Body>>, BoxError> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Http2(sender) if !sender.is_closed() => return Ok(Some(sender.clone())),
            State::Http1 => return Ok(None),
            _ => {}
        }
        if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
            // Plain http:// has no ALPN: HTTP/1.1, as client-go speaks it there.
            *state = State::Http1;
            return Ok(None);
        }
        let mut connector = self.connector.clone();
        let io = tokio::time::timeout(self.connect_timeout, async {
            connector.ready().await?;
            connector.call(uri).await
        })
        .await
        .map_err(|_| ConnectFailed(std::io::Error::from(std::io::ErrorKind::TimedOut).into()))?
        .map_err(ConnectFailed)?;
        if !io.connected().is_negotiated_h2() {
            // HTTP/1.1 (or plain http://): the pool opens its own connections.
            *state = State::Http1;
            return Ok(None);
        }
        // The keep-alive pings need hyper's timer (without one, hyper panics when it arms them).
        let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .adaptive_window(true)
            .keep_alive_interval(Duration::from_secs(30))
            .handshake(io)
            .await?;
        tokio::spawn(connection);
        *state = State::Http2(sender.clone());
        Ok(Some(sender))
    }
}
