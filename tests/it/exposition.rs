//! How `meshcert serve` hands its metrics out: gzip and OpenMetrics by negotiation, and TLS and
//! basic auth from an exporter-toolkit web config file, scraped by a real Prometheus.

use std::time::{Duration, Instant};

use crate::common::{meshcert, serial};
use crate::programs;

/// A GET with `headers`: the status line's code, the response headers (lower-cased names) and
/// the raw body.
fn raw_get(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let code = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (code, headers, raw[split + 4..].to_vec())
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
    out
}

#[test]
fn metrics_come_gzipped_and_as_openmetrics_when_asked() {
    let serve = programs::serve_expiring_soon(&[]);
    let plain = serve.metrics_after(1);
    let header = |h: &[(String, String)], name: &str| {
        h.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    // Prometheus 2's Accept, and gzip.
    let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (code, h, body) = raw_get(
        &serve.addr,
        "/metrics",
        &[("Accept", accept), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(code, 200);
    assert_eq!(header(&h, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&h, "content-type").as_deref(),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let om = gunzip(&body);
    assert!(om.ends_with("\n# EOF\n"), "{om}");
    assert!(
        om.contains("\n# TYPE meshcert_rounds counter\nmeshcert_rounds_total "),
        "{om}"
    );
    assert!(om.contains("\n# TYPE meshcert_cluster_up gauge\n"));
    assert!(
        body.len() * 3 < om.len(),
        "gzip saves: {} of {}",
        body.len(),
        om.len()
    );
    // The text format, plain and gzipped, passes promtool.
    let (code, h, body) = raw_get(
        &serve.addr,
        "/metrics",
        &[("Accept-Encoding", "gzip, deflate")],
    );
    assert_eq!(code, 200);
    assert_eq!(
        header(&h, "content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = gunzip(&body);
    assert!(!text.contains("# EOF"));
    for form in [&text, &plain] {
        let Some((ok, said)) = programs::promtool(&["check", "metrics"], Some(form)) else {
            return;
        };
        assert!(ok, "{said}");
    }
    // Without Accept-Encoding, no gzip.
    let (_, h, body) = raw_get(&serve.addr, "/metrics", &[]);
    assert_eq!(header(&h, "content-encoding"), None);
    assert!(String::from_utf8(body).unwrap().starts_with("# HELP "));
}

/// A CA and a server certificate for 127.0.0.1, written into `dir`: (ca.crt, server.crt, server.key).
fn tls_files(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "meshcert test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = server.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("ca.crt"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("server.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

/// `curl` over HTTPS with the test CA: (status, body).
fn curl(dir: &std::path::Path, url: &str, user: Option<&str>) -> (u16, String) {
    let mut c = std::process::Command::new("curl");
    c.args(["-sS", "--cacert"]).arg(dir.join("ca.crt"));
    if let Some(u) = user {
        c.args(["-u", u]);
    }
    let out = c.args(["-w", "\n%{http_code}", url]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap_or(0), body.to_string())
}

#[test]
fn tls_and_basic_auth_from_a_web_config_file_with_a_real_prometheus() {
    let _serial = serial();
    if programs::require("prometheus", "prometheus").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    tls_files(tmp.path());
    let hash = bcrypt::hash("scrape-me", 4).unwrap();
    let web = tmp.path().join("web.yml");
    std::fs::write(
        &web,
        format!("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: {hash}\n"),
    )
    .unwrap();
    let serve = programs::serve_expiring_soon(&["--web.config.file", web.to_str().unwrap()]);
    assert!(serve.running.stderr().contains(&format!(
        "serving https://{}/metrics (basic auth)",
        serve.addr
    )));
    let url = |path: &str| format!("https://{}{path}", serve.addr);
    // Plain HTTP gets no metrics.
    assert!(programs::http(&serve.addr, "GET", "/metrics", None).map_or(true, |a| a.status != 200));
    // The probes need no user; the metrics do.
    let deadline = Instant::now() + Duration::from_secs(30);
    while curl(tmp.path(), &url("/readyz"), None).0 != 200 {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(curl(tmp.path(), &url("/healthz"), None).0, 200);
    assert_eq!(curl(tmp.path(), &url("/metrics"), None).0, 401);
    assert_eq!(
        curl(tmp.path(), &url("/metrics"), Some("prometheus:wrong")).0,
        401
    );
    assert_eq!(
        curl(tmp.path(), &url("/metrics"), Some("someone:scrape-me")).0,
        401
    );
    let (code, body) = curl(tmp.path(), &url("/metrics"), Some("prometheus:scrape-me"));
    assert_eq!(code, 200);
    assert!(body.contains("meshcert_cluster_up 1"), "{body}");

    // A real Prometheus, over TLS with basic auth.
    let job = format!(
        "    scheme: https\n    tls_config:\n      ca_file: {}\n    basic_auth:\n      username: prometheus\n      password: scrape-me\n",
        tmp.path().join("ca.crt").display()
    );
    let (_prometheus, prom) = programs::prometheus_scraping(tmp.path(), &serve.addr, &job).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = programs::query(&prom, r#"up{job="meshcert"}"#);
        if up.first().is_some_and(|s| s["value"][1] == "1")
            && !programs::query(&prom, "meshcert_cluster_up").is_empty()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus could not scrape over TLS with basic auth: {}",
            programs::get(&prom, "/api/v1/targets").body
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_bad_web_config_stops_serve_before_it_listens() {
    let tmp = tempfile::tempdir().unwrap();
    let web = tmp.path().join("web.yml");
    std::fs::write(
        &web,
        "basic_auth_users:\n  prometheus: hunter2-in-plain-text\n",
    )
    .unwrap();
    let out = meshcert(&[
        "serve",
        "--from",
        "fixtures/healthy",
        "--web.config.file",
        web.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the password of \"prometheus\" is not a bcrypt hash"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
