//! Paging against the real API server: about 2,000 meshed pods read with a small page size,
//! every page followed; and a real `410 Expired` (etcd compacted past the list's revision
//! between two pages), after which meshcert lists again from the start, as client-go's pager
//! does, and the verdict is complete.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::{Cluster, cluster, report, token_kubeconfig};
use crate::common::{check_json_from, check_result, fixture};

const PODS: usize = 2000;
/// Every 97th pod carries another bundle than the trust roots: stale.
const STALE_EVERY: usize = 97;

fn trust_roots(scenario: &str) -> String {
    let (_, objects) = super::fixture_objects(&fixture(scenario));
    objects
        .iter()
        .find(|o| o["metadata"]["name"] == "linkerd-identity-trust-roots")
        .and_then(|o| o["data"]["ca-bundle.crt"].as_str())
        .unwrap()
        .to_string()
}

/// `PODS` meshed pods over four namespaces, some of them stale.
fn pods() -> Vec<Value> {
    let current = trust_roots("healthy");
    let other = trust_roots("two-anchors");
    assert_ne!(current, other);
    (0..PODS)
        .map(|i| {
            let bundle = if i % STALE_EVERY == 0 {
                &other
            } else {
                &current
            };
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("web-{i:04}"), "namespace": format!("fleet-{}", i % 4),
                             "labels": {"linkerd.io/control-plane-ns": "linkerd", "app": "web"}},
                "spec": {"containers": [
                    {"name": "app", "image": "registry.example/web:1"},
                    {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:edge-26.8.3",
                     "env": [{"name": "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", "value": bundle}]}
                ]}
            })
        })
        .collect()
}

/// The healthy scenario plus the pods, as files for an offline run.
fn offline_copy(dir: &Path, pods: &[Value]) {
    for entry in std::fs::read_dir(fixture("healthy")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let list = json!({"apiVersion": "v1", "kind": "PodList", "items": pods});
    std::fs::write(dir.join("pods.json"), list.to_string()).unwrap();
}

/// Creates the pods, four kubectl processes at once; they stay until the guard drops.
struct Fleet<'a> {
    cluster: &'a Cluster,
    pods: Vec<Value>,
}

impl<'a> Fleet<'a> {
    fn create(cluster: &'a Cluster, pods: Vec<Value>) -> Fleet<'a> {
        let namespaces: Vec<Value> = (0..4)
            .map(|i| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("fleet-{i}")}}))
            .collect();
        cluster.apply(&namespaces);
        std::thread::scope(|s| {
            for part in pods.chunks(PODS.div_ceil(4)) {
                s.spawn(move || cluster.apply(part));
            }
        });
        Fleet { cluster, pods }
    }
}

impl Drop for Fleet<'_> {
    fn drop(&mut self) {
        std::thread::scope(|s| {
            for part in self.pods.chunks(PODS.div_ceil(4)) {
                let c = self.cluster;
                s.spawn(move || c.delete(part));
            }
        });
    }
}

fn pod_list_requests(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.starts_with("meshcert: GET /api/v1/pods?"))
        .count()
}

#[test]
fn two_thousand_pods_in_small_pages_give_the_offline_verdict_and_a_real_410_relists() {
    let Some((c, _lock)) = cluster() else { return };
    let _healthy = c.load(&fixture("healthy"));
    let pods = pods();
    let stale = pods.len().div_ceil(STALE_EVERY);
    let _fleet = Fleet::create(c, pods.clone());
    let tmp = tempfile::tempdir().unwrap();
    offline_copy(tmp.path(), &pods);
    let offline = check_json_from(tmp.path());
    let expected = report(&offline, "offline");
    let dp = check_result(&expected, "l5d-identity-data-plane-proxies-certs-match-ca");
    assert_eq!(dp["details"]["dataPlane"]["checkedPods"], PODS, "{dp}");
    assert_eq!(
        dp["details"]["dataPlane"]["stalePods"]
            .as_array()
            .unwrap()
            .len(),
        stale
    );

    // Every page followed: 2,000 pods in pages of 150 are 14 requests.
    let kubeconfig = c.meshcert_kubeconfig(tmp.path());
    let live = super::meshcert_live(
        &kubeconfig,
        &["check", "-o", "json", "--page-size", "150", "--verbose"],
    );
    let stderr = String::from_utf8_lossy(&live.stderr);
    assert_eq!(pod_list_requests(&stderr), PODS.div_ceil(150), "{stderr}");
    assert_eq!(live.status.code(), offline.status.code(), "{stderr}");
    assert_eq!(report(&live, "live"), expected);

    // A real 410: etcd compacted past the list's revision just before the first continued page.
    let relay = Relay::start(c);
    let relayed = tmp.path().join("relayed.kubeconfig");
    token_kubeconfig(&relayed, &relay.url, b"", &c.token());
    let live = super::meshcert_live(
        &relayed,
        &["check", "-o", "json", "--page-size", "150", "--verbose"],
    );
    let stderr = String::from_utf8_lossy(&live.stderr);
    assert_eq!(relay.compactions.load(Ordering::SeqCst), 1);
    assert!(
        stderr.contains("the continue token expired after 1 pages (410: The provided continue parameter is too old"),
        "{stderr}"
    );
    // The first page, then the expired request, then the whole list again.
    assert_eq!(
        pod_list_requests(&stderr),
        2 + PODS.div_ceil(150),
        "{stderr}"
    );
    assert_eq!(live.status.code(), offline.status.code(), "{stderr}");
    assert_eq!(report(&live, "live through the relay"), expected);
}

/// A plain-HTTP relay to the real API server's TLS port that compacts etcd (after one write, so
/// that the compaction passes every revision handed out so far) the first time a request with a
/// continue token goes through.
struct Relay {
    url: String,
    compactions: Arc<AtomicUsize>,
}

impl Relay {
    fn start(c: &Cluster) -> Relay {
        let upstream: SocketAddr = c.server.trim_start_matches("https://").parse().unwrap();
        let ca = c.ca_pem();
        let etcd = c.etcd.clone();
        let compactions = Arc::new(AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = compactions.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(relay(listener, upstream, ca, etcd, count));
        });
        Relay { url, compactions }
    }
}

async fn relay(
    listener: std::net::TcpListener,
    upstream: SocketAddr,
    ca: Vec<u8>,
    etcd: String,
    compactions: Arc<AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            return;
        };
        let (connector, etcd, compactions) = (connector.clone(), etcd.clone(), compactions.clone());
        tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(upstream).await.unwrap();
            let name = rustls::pki_types::ServerName::IpAddress(upstream.ip().into());
            let tls = connector.connect(name, tcp).await.unwrap();
            let (mut from_client, mut to_client) = tokio::io::split(inbound);
            let (mut from_server, mut to_server) = tokio::io::split(tls);
            let up = async {
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    let n = from_client.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        let _ = to_server.shutdown().await;
                        return;
                    }
                    let chunk = &buf[..n];
                    if chunk.windows(9).any(|w| w == b"continue=")
                        && compactions
                            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                            .is_ok()
                    {
                        let etcd = etcd.clone();
                        tokio::task::spawn_blocking(move || compact_after_a_write(&etcd))
                            .await
                            .unwrap();
                    }
                    if to_server.write_all(chunk).await.is_err() {
                        return;
                    }
                }
            };
            let down = async {
                let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                let _ = to_client.shutdown().await;
            };
            tokio::join!(up, down);
        });
    }
}

/// Writes one key (outside the API server's prefix), then compacts at the new revision.
fn compact_after_a_write(etcd: &str) {
    let post = |path: &str, body: String| -> Value {
        let out = std::process::Command::new("curl")
            .args(["-fsS", "-X", "POST", "-d", &body, &format!("{etcd}{path}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // base64("meshcert-test/bump"), base64("1")
    let put = post(
        "/v3/kv/put",
        r#"{"key":"bWVzaGNlcnQtdGVzdC9idW1w","value":"MQ=="}"#.to_string(),
    );
    let revision = put["header"]["revision"].as_str().unwrap().to_string();
    post(
        "/v3/kv/compaction",
        json!({"revision": revision, "physical": true}).to_string(),
    );
}
