//! A fake Kubernetes API server on 127.0.0.1 for the live-source tests.
//!
//! It serves the objects of a fixture folder at their API paths (core, admissionregistration.k8s.io/v1,
//! apiregistration.k8s.io/v1), lists namespaces and pods honouring `labelSelector` (existence of a
//! label key), `limit` and `continue`, answers a missing object with a 404 `Status`, and can be
//! told to answer a status code (a number of times, or always) or to be slow for chosen paths. It
//! records every request. Over HTTPS it requires a bearer token or a client certificate.

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, StreamBody};
use hyper::body::Frame;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

mod answers;
use answers::{collection_kind, discovery, not_found};

/// An answer to give instead of the object, for requests (path and query) starting with `prefix`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub prefix: String,
    pub status: u16,
    /// How many times (then answer normally); `usize::MAX` for always.
    pub times: usize,
    pub delay: Duration,
    /// Answer this body (with `status`) instead of the object.
    pub body: Option<String>,
    /// Break the connection off after sending `body`.
    pub truncate: bool,
}

/// The HTTP versions a TLS fake server offers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Versions {
    Both,
    Http1,
}

#[derive(Clone)]
pub enum Auth {
    None,
    Token(String),
    ClientCert,
}

#[derive(Default)]
struct Store {
    /// Whether cert-manager's CRDs are served (discovery, Certificate lists).
    cert_manager: bool,
    objects: HashMap<String, Value>,
    /// What each pod's port answers at `/metrics` through `pods/proxy`, from the fixture's
    /// `metrics/<ns>_<pod>_<port>.metrics` files (the layout `meshcert dump-commands` writes).
    metrics: HashMap<String, String>,
    namespaces: Vec<Value>,
    pods: Vec<Value>,
}

struct State {
    store: Store,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<String>>,
    token: Option<String>,
    /// Connections accepted so far (TCP, before TLS), as a server would count them.
    connections: std::sync::atomic::AtomicUsize,
    /// Requests that came over HTTP/2.
    http2_requests: std::sync::atomic::AtomicUsize,
    /// A network round trip, in milliseconds ([`FakeApi::set_round_trip`]).
    round_trip_ms: std::sync::atomic::AtomicU64,
}

pub struct FakeApi {
    pub url: String,
    state: Arc<State>,
    ca_pem: Option<String>,
    client_cert: Option<(String, String)>,
    token: Option<String>,
}

fn path_of(obj: &Value) -> Option<String> {
    let kind = obj["kind"].as_str()?;
    let name = obj["metadata"]["name"].as_str()?;
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default");
    Some(match kind {
        "ConfigMap" => format!("/api/v1/namespaces/{ns}/configmaps/{name}"),
        "Secret" => format!("/api/v1/namespaces/{ns}/secrets/{name}"),
        "Namespace" => format!("/api/v1/namespaces/{name}"),
        "MutatingWebhookConfiguration" => {
            format!("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}")
        }
        "ValidatingWebhookConfiguration" => {
            format!("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{name}")
        }
        "APIService" => format!("/apis/apiregistration.k8s.io/v1/apiservices/{name}"),
        "Certificate" => format!("/apis/cert-manager.io/v1/namespaces/{ns}/certificates/{name}"),
        "Event" => format!("/api/v1/namespaces/{ns}/events/{name}"),
        "Bundle" => format!("/apis/trust.cert-manager.io/v1alpha1/bundles/{name}"),
        "ClusterBundle" => format!("/apis/trust-manager.io/v1alpha2/clusterbundles/{name}"),
        // Served at the version it was written in.
        "Link" => format!(
            "/apis/{}/namespaces/{ns}/links/{name}",
            obj["apiVersion"]
                .as_str()
                .unwrap_or("multicluster.linkerd.io/v1alpha3")
        ),
        _ => return None,
    })
}

pub fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let docs: Vec<Value> = if path.extension().is_some_and(|e| e == "json") {
        vec![serde_json::from_str(&text).unwrap()]
    } else {
        serde_saphyr::from_multiple(&text).unwrap()
    };
    let mut out = Vec::new();
    for doc in docs {
        match doc.get("items").and_then(Value::as_array) {
            Some(items) => out.extend(items.iter().cloned()),
            None => out.push(doc),
        }
    }
    out
}

/// An object as the API server stores it: with a uid, a resourceVersion, `managedFields`, and
/// (for objects that `kubectl apply` made) the last-applied-configuration annotation, which
/// repeats the whole object, Secret data included. A pod is a controller's: `managedFields` of
/// kube-controller-manager, and no annotation.
fn as_stored(mut obj: Value) -> Value {
    if !obj["metadata"].is_object() {
        return obj;
    }
    let pod = obj["kind"] == "Pod";
    let applied = obj.to_string();
    let (uid, version, managed_by, fields) = if pod {
        (
            "6f1c2d3e-0000-4000-8000-000000000002",
            "4243",
            "kube-controller-manager",
            json!({"f:metadata": {"f:labels": {".": {}}}}),
        )
    } else {
        (
            "6f1c2d3e-0000-4000-8000-000000000001",
            "4242",
            "kubectl-client-side-apply",
            json!({"f:metadata": {"f:annotations": {".": {},
                "f:kubectl.kubernetes.io/last-applied-configuration": {}}}}),
        )
    };
    let meta = obj["metadata"].as_object_mut().unwrap();
    meta.entry("uid").or_insert(json!(uid));
    meta.entry("resourceVersion").or_insert(json!(version));
    meta.entry("creationTimestamp")
        .or_insert(json!("2025-01-01T00:00:00Z"));
    meta.entry("managedFields").or_insert(json!([{
        "manager": managed_by, "operation": "Update", "apiVersion": "v1",
        "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields
    }]));
    if pod {
        return obj;
    }
    let annotations = meta.entry("annotations").or_insert(json!({}));
    if let Some(a) = annotations.as_object_mut() {
        a.entry("kubectl.kubernetes.io/last-applied-configuration")
            .or_insert(json!(applied));
    }
    obj
}

fn load(dirs: &[&Path]) -> Store {
    let mut store = Store {
        cert_manager: true,
        ..Store::default()
    };
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            files.push(p);
        } else if let Some(stem) = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".metrics"))
            && let [ns, pod, port] = stem.split('_').collect::<Vec<_>>().as_slice()
        {
            store.metrics.insert(
                format!("/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/metrics"),
                std::fs::read_to_string(&p).unwrap(),
            );
        }
    }
    files.sort();
    for f in files {
        for obj in documents(&f).into_iter().map(as_stored) {
            match obj["kind"].as_str() {
                Some("Pod") => store.pods.push(obj),
                Some("Namespace") => {
                    store.objects.insert(path_of(&obj).unwrap(), obj.clone());
                    store.namespaces.push(obj);
                }
                _ => {
                    if let Some(p) = path_of(&obj) {
                        store.objects.insert(p, obj);
                    }
                }
            }
        }
    }
    store
}

type Body = BoxBody<Bytes, std::io::Error>;

fn full(text: String) -> Body {
    Full::new(Bytes::from(text))
        .map_err(|never| match never {})
        .boxed()
}

/// A body that sends `text` and then breaks off (the connection is aborted mid-answer).
fn broken(text: String) -> Body {
    let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
        Ok(Frame::data(Bytes::from(text))),
        Err(std::io::Error::other("cut off")),
    ];
    StreamBody::new(futures::stream::iter(frames)).boxed()
}

fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code});
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(full(body.to_string()))
        .unwrap()
}

fn ok(body: Value) -> Response<Body> {
    Response::builder()
        .header("content-type", "application/json")
        .body(full(body.to_string()))
        .unwrap()
}

fn query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = v
                .replace("%2F", "/")
                .replace("%2f", "/")
                .replace("%3D", "=");
            (k.to_string(), v)
        })
        .collect()
}

/// A label selector of one requirement: a key that exists, or `key=value`.
fn has_label(obj: &Value, selector: &str) -> bool {
    let labels = &obj["metadata"]["labels"];
    match selector.split_once('=') {
        Some((key, value)) => labels.get(key).and_then(Value::as_str) == Some(value),
        None => labels.get(selector).is_some(),
    }
}

/// A page of a list of `kind`, its items in the API server's order: by namespace, then name
/// (etcd's key order), whatever order the files held them in.
fn in_key_order_page(mut items: Vec<&Value>, q: &HashMap<String, String>, kind: &str) -> Value {
    let key = |o: &Value| {
        let m = &o["metadata"];
        (
            m["namespace"].as_str().unwrap_or("").to_string(),
            m["name"].as_str().unwrap_or("").to_string(),
        )
    };
    items.sort_by_key(|o| key(o));
    let mut list = page(items, q);
    list["kind"] = json!(kind);
    list
}

/// A page of `items` as the API server pages a list: the continue token is the next offset.
/// Like the real server, the list says its kind (`PodList`) and the items do not say theirs.
fn page(items: Vec<&Value>, q: &HashMap<String, String>) -> Value {
    let start: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(items.len());
    let next = if end < items.len() {
        end.to_string()
    } else {
        String::new()
    };
    let kind = items
        .first()
        .and_then(|i| i["kind"].as_str())
        .map(|k| format!("{k}List"))
        .unwrap_or_else(|| "List".to_string());
    let api_version = items
        .first()
        .and_then(|i| i["apiVersion"].as_str())
        .unwrap_or("v1")
        .to_string();
    let items: Vec<Value> = items[start.min(items.len())..end]
        .iter()
        .map(|i| {
            let mut i = (*i).clone();
            if let Some(o) = i.as_object_mut() {
                o.remove("kind");
                o.remove("apiVersion");
            }
            i
        })
        .collect();
    let mut metadata = json!({"resourceVersion": "1"});
    if !next.is_empty() {
        metadata["continue"] = json!(next);
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "items": items})
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    let q = req.uri().query().unwrap_or("").to_string();
    if req.version() == hyper::Version::HTTP_2 {
        state
            .http2_requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    state.requests.lock().unwrap().push(if q.is_empty() {
        format!("GET {path}")
    } else {
        format!("GET {path}?{q}")
    });
    if let Some(token) = &state.token {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if given != format!("Bearer {token}") {
            return Ok(status(401, "Unauthorized", "Unauthorized"));
        }
    }
    if req.method() != hyper::Method::GET {
        return Ok(status(405, "MethodNotAllowed", "meshcert only reads"));
    }
    let fault = {
        let mut faults = state.faults.lock().unwrap();
        let found = faults.iter_mut().find(|f| {
            let full = if q.is_empty() {
                path.clone()
            } else {
                format!("{path}?{q}")
            };
            full.starts_with(&f.prefix) && f.times > 0
        });
        found.map(|f| {
            if f.times != usize::MAX {
                f.times -= 1;
            }
            f.clone()
        })
    };
    if let Some(f) = fault {
        tokio::time::sleep(f.delay).await;
        if let Some(body) = f.body {
            let response = Response::builder()
                .status(f.status)
                .header("content-type", "application/json");
            let body = if f.truncate { broken(body) } else { full(body) };
            return Ok(response.body(body).unwrap());
        }
        if f.status != 200 {
            let (reason, message) = match f.status {
                403 => ("Forbidden", format!("injected 403 for {path}")),
                410 => (
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".to_string(),
                ),
                429 => ("TooManyRequests", format!("injected 429 for {path}")),
                code => ("InternalError", format!("injected {code} for {path}")),
            };
            return Ok(status(f.status, reason, &message));
        }
    }
    let q = query(&q);
    let selector = q.get("labelSelector").cloned();
    let store = &state.store;
    if path == "/api/v1/namespaces" {
        let items = store
            .namespaces
            .iter()
            .filter(|n| selector.as_ref().is_none_or(|s| has_label(n, s)))
            .collect();
        return Ok(ok(in_key_order_page(items, &q, "NamespaceList")));
    }
    let pods_ns = path
        .strip_prefix("/api/v1/namespaces/")
        .and_then(|r| r.strip_suffix("/pods"));
    if path == "/api/v1/pods" || pods_ns.is_some() {
        let items = store
            .pods
            .iter()
            .filter(|p| pods_ns.is_none_or(|ns| p["metadata"]["namespace"] == ns))
            .filter(|p| selector.as_ref().is_none_or(|s| has_label(p, s)))
            .collect();
        return Ok(ok(in_key_order_page(items, &q, "PodList")));
    }
    if let Some(doc) = discovery(&path, store) {
        return Ok(ok(doc));
    }
    // pods/proxy: a pod's port, as the API server relays it.
    if path.contains("/pods/") && path.ends_with("/proxy/metrics") {
        return Ok(match store.metrics.get(&path) {
            Some(text) => Response::builder()
                .status(200)
                .header("content-type", "text/plain; version=0.0.4")
                .body(full(text.clone()))
                .unwrap(),
            // What the API server says when nothing listens on the pod's port.
            None => status(
                503,
                "ServiceUnavailable",
                "error trying to reach service: dial tcp 10.0.0.1:4191: connect: connection refused",
            ),
        });
    }
    if let Some(obj) = store.objects.get(&path) {
        return Ok(ok(obj.clone()));
    }
    // A namespace that holds objects exists, as on a real server, whether or not the fixture
    // wrote its Namespace object.
    if let Some(ns) = path
        .strip_prefix("/api/v1/namespaces/")
        .filter(|ns| !ns.contains('/'))
        && (store.pods.iter().any(|p| p["metadata"]["namespace"] == ns)
            || store
                .objects
                .values()
                .any(|o| o["metadata"]["namespace"] == ns))
    {
        return Ok(ok(as_stored(
            json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        )));
    }
    // A collection (kubectl lists, e.g. a namespace's Certificates): the objects just below it,
    // an empty list when there are none.
    if let Some(list_kind) = collection_kind(&path, store) {
        let prefix = format!("{path}/");
        let mut items: Vec<&Value> = store
            .objects
            .iter()
            .filter(|(p, _)| {
                p.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('/'))
            })
            .filter(|(_, o)| selector.as_ref().is_none_or(|s| has_label(o, s)))
            .map(|(_, o)| o)
            .collect();
        items.sort_by_key(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string());
        let custom = list_kind == "LinkList";
        let full: Vec<Value> = items.iter().map(|o| (*o).clone()).collect();
        let mut list = page(items, &q);
        list["kind"] = json!(list_kind);
        // A custom resource's list, as the real server serves it: each item keeps its kind and
        // apiVersion, and the list's metadata has an (empty) continue.
        if custom {
            if let Some(items) = list["items"].as_array_mut() {
                for item in items.iter_mut() {
                    let name = item["metadata"]["name"].clone();
                    if let Some(o) = full.iter().find(|o| o["metadata"]["name"] == name) {
                        item["kind"] = o["kind"].clone();
                        item["apiVersion"] = o["apiVersion"].clone();
                    }
                }
            }
            if list["metadata"].get("continue").is_none() {
                list["metadata"]["continue"] = json!("");
            }
            list["apiVersion"] = json!(
                path.split('/')
                    .skip(2)
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("/")
            );
        }
        return Ok(ok(list));
    }
    Ok(not_found(&path))
}

struct Tls {
    config: Arc<tokio_rustls::rustls::ServerConfig>,
    ca_pem: String,
    client: Option<(String, String)>,
}

fn tls(auth: &Auth) -> Tls {
    use tokio_rustls::rustls;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fake-apiserver-ca");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let mut server_params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server_params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    let chain = vec![server_cert.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let (config, client) = match auth {
        Auth::ClientCert => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca_cert.der().clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            let client_key = rcgen::KeyPair::generate().unwrap();
            let mut client_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            client_params
                .distinguished_name
                .push(rcgen::DnType::CommonName, "meshcert");
            client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();
            let config = builder
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)
                .unwrap();
            (
                config,
                Some((client_cert.pem(), client_key.serialize_pem())),
            )
        }
        _ => (
            builder
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap(),
            None,
        ),
    };
    Tls {
        config: Arc::new(config),
        ca_pem: ca_cert.pem(),
        client,
    }
}

impl FakeApi {
    /// Serves the objects under `dirs` over plain HTTP.
    pub fn serve(dirs: &[&Path]) -> FakeApi {
        Self::start(dirs, Auth::None, None)
    }

    /// Serves the objects under `dirs` over HTTPS, requiring `auth`, offering HTTP/2 and
    /// HTTP/1.1 by ALPN as kube-apiserver does.
    pub fn serve_tls(dirs: &[&Path], auth: Auth) -> FakeApi {
        Self::start(dirs, auth, Some(Versions::Both))
    }

    /// [`FakeApi::serve_tls`] offering HTTP/1.1 only (a server behind a proxy that speaks no h2).
    pub fn serve_tls_http1(dirs: &[&Path], auth: Auth) -> FakeApi {
        Self::start(dirs, auth, Some(Versions::Http1))
    }

    /// Puts the server `rtt` away: each connection's set-up (TCP and TLS handshakes) and each
    /// request take that many round trips.
    pub fn set_round_trip(&self, rtt: Duration) {
        self.state
            .round_trip_ms
            .store(rtt.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
        self.fault_with_delay("/", 200, usize::MAX, rtt);
    }

    /// The requests that came over HTTP/2 so far.
    pub fn http2_requests(&self) -> usize {
        self.state
            .http2_requests
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    fn start(dirs: &[&Path], auth: Auth, tls_versions: Option<Versions>) -> FakeApi {
        let https = tls_versions.is_some();
        let token = match &auth {
            Auth::Token(t) => Some(t.clone()),
            _ => None,
        };
        let state = Arc::new(State {
            store: load(dirs),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            token: token.clone(),
            connections: Default::default(),
            http2_requests: Default::default(),
            round_trip_ms: Default::default(),
        });
        let http1_only = tls_versions == Some(Versions::Http1);
        let tls = https.then(|| {
            let mut t = tls(&auth);
            Arc::get_mut(&mut t.config).unwrap().alpn_protocols = if http1_only {
                vec![b"http/1.1".to_vec()]
            } else {
                vec![b"h2".to_vec(), b"http/1.1".to_vec()]
            };
            t
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let acceptor = tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
        let serve_state = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    serve_state
                        .connections
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let state = serve_state.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        // A far server: TCP's and TLS's handshakes take a round trip each.
                        let rtt = state
                            .round_trip_ms
                            .load(std::sync::atomic::Ordering::SeqCst);
                        if rtt > 0 {
                            tokio::time::sleep(Duration::from_millis(2 * rtt)).await;
                        }
                        let service =
                            hyper::service::service_fn(move |req| handle(state.clone(), req));
                        // HTTP/2 when the client asks for it (ALPN, or its preface), as
                        // kube-apiserver answers; HTTP/1.1 only where that is all it offers.
                        let mut http = hyper_util::server::conn::auto::Builder::new(
                            hyper_util::rt::TokioExecutor::new(),
                        );
                        if http1_only {
                            http = http.http1_only();
                        }
                        match acceptor {
                            Some(acceptor) => {
                                if let Ok(tls) = acceptor.accept(stream).await {
                                    let _ = http.serve_connection(TokioIo::new(tls), service).await;
                                }
                            }
                            None => {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                    });
                }
            });
        });
        let scheme = if https { "https" } else { "http" };
        FakeApi {
            url: format!("{scheme}://{addr}"),
            state,
            ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
            client_cert: tls.and_then(|t| t.client),
            token,
        }
    }

    pub fn fault(&self, prefix: &str, status: u16, times: usize) {
        self.fault_with_delay(prefix, status, times, Duration::ZERO);
    }

    pub fn fault_with_delay(&self, prefix: &str, status: u16, times: usize, delay: Duration) {
        self.push_fault(Fault {
            prefix: prefix.to_string(),
            status,
            times,
            delay,
            body: None,
            truncate: false,
        });
    }

    /// Answers `body` with `status` for paths under `prefix`, `times` times.
    pub fn answer(&self, prefix: &str, status: u16, times: usize, body: &str, truncate: bool) {
        let body = Some(body.to_string());
        self.push_fault(Fault {
            prefix: prefix.to_string(),
            status,
            times,
            delay: Duration::ZERO,
            body,
            truncate,
        });
    }

    fn push_fault(&self, fault: Fault) {
        self.state.faults.lock().unwrap().push(fault);
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.requests.lock().unwrap().clone()
    }

    /// This server as a kubeconfig cluster + user entry, named `name`.
    fn entries(&self, name: &str) -> (Value, Value) {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let mut cluster = json!({"server": self.url});
        if let Some(ca) = &self.ca_pem {
            cluster["certificate-authority-data"] = json!(b64(ca));
        }
        let mut user = json!({});
        if let Some(t) = &self.token {
            user["token"] = json!(t);
        }
        if let Some((cert, key)) = &self.client_cert {
            user["client-certificate-data"] = json!(b64(cert));
            user["client-key-data"] = json!(b64(key));
        }
        (
            json!({"name": name, "cluster": cluster}),
            json!({"name": name, "user": user}),
        )
    }
}

/// Writes a kubeconfig with one context per `(name, server)`; the first is current. A `None`
/// server is a cluster nobody listens on.
pub fn kubeconfig(dir: &Path, servers: &[(&str, Option<&FakeApi>)]) -> PathBuf {
    let (mut clusters, mut users, mut contexts) = (Vec::new(), Vec::new(), Vec::new());
    for (name, server) in servers {
        let (cluster, user) = match server {
            Some(api) => api.entries(name),
            None => {
                // A port that was free a moment ago: connections are refused.
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                (
                    json!({"name": name, "cluster": {"server": format!("http://127.0.0.1:{port}")}}),
                    json!({"name": name, "user": {}}),
                )
            }
        };
        clusters.push(cluster);
        users.push(user);
        contexts.push(json!({"name": name, "context": {"cluster": name, "user": name}}));
    }
    let config = json!({"apiVersion": "v1", "kind": "Config", "clusters": clusters, "users": users,
                        "contexts": contexts, "current-context": servers[0].0});
    let path = dir.join("kubeconfig");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

/// Every textual form of every private key in the fixtures: the PEM body lines, the base64 of the
/// whole PEM (as Secret data holds it), the DER in hex and in one-line base64.
pub fn key_material() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut pems = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            // Keys stored as PEM files, or base64 in Secret data / JSON strings, or stringData.
            for candidate in text.split(['"', ' ', '\n']).filter(|s| s.len() > 40) {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(candidate)
                    && let Ok(decoded) = String::from_utf8(bytes)
                    && decoded.contains("PRIVATE KEY-----")
                {
                    pems.push(decoded);
                }
            }
            if text.contains("PRIVATE KEY-----") {
                pems.push(text.replace("\\n", "\n"));
            }
        }
    }
    let mut forms = Vec::new();
    for pem in pems {
        let body: Vec<&str> = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| !l.contains("PRIVATE KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        if body.is_empty() {
            continue;
        }
        forms.extend(body.iter().filter(|l| l.len() >= 16).map(|l| l.to_string()));
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.concat())
            .unwrap();
        forms.push(der.iter().map(|b| format!("{b:02x}")).collect::<String>()[..64].to_string());
        forms.push(
            base64::engine::general_purpose::STANDARD.encode(pem.as_bytes())[..40].to_string(),
        );
    }
    assert!(forms.len() > 20, "the fixtures hold keys: {}", forms.len());
    forms
}

/// Fails if `text` holds a PEM key header or any form of a fixture key.
pub fn assert_no_key_material(text: &str, forms: &[String]) {
    assert!(
        !text.contains("PRIVATE KEY-----"),
        "a PEM key header leaked:\n{text}"
    );
    for form in forms {
        assert!(
            !text.contains(form.as_str()),
            "key material leaked ({form}):\n{text}"
        );
    }
}
