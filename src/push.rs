//! `--push-gateway URL`: pushes the metrics to a Prometheus Pushgateway, job `meshcert`, one
//! group per cluster (`PUT <url>/metrics/job/meshcert/cluster/<context>`; without a cluster, as
//! for files, `PUT <url>/metrics/job/meshcert`). A PUT replaces the group's previous metrics.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;

pub fn group_url(gateway: &str, cluster: Option<&str>) -> String {
    let base = gateway.trim_end_matches('/');
    match cluster {
        Some(c) => format!("{base}/metrics/job/meshcert/cluster/{}", percent_escape(c)),
        None => format!("{base}/metrics/job/meshcert"),
    }
}

pub fn push(gateway: &str, cluster: Option<&str>, metrics: String) -> anyhow::Result<()> {
    let url = group_url(gateway, cluster);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("--push-gateway {gateway}: expected an http:// or https:// URL");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .context("cannot load the system's root certificates")?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);
        let request = http::Request::put(url.as_str())
            .header("content-type", "text/plain; version=0.0.4")
            .body(Full::new(bytes::Bytes::from(metrics)))
            .with_context(|| format!("invalid --push-gateway URL {url}"))?;
        let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
            .await
            .map_err(|_| anyhow!("cannot push metrics to {url}: no answer within 30s"))?
            .with_context(|| format!("cannot push metrics to {url}"))?;
        let status = response.status();
        if !status.is_success() {
            let body = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            bail!(
                "cannot push metrics to {url}: {status}: {}",
                String::from_utf8_lossy(&body).trim()
            );
        }
        Ok(())
    })
}

/// Percent-escapes a grouping-key value for a URL path segment.
fn percent_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_key_is_the_cluster() {
        assert_eq!(
            group_url("http://pg:9091/", None),
            "http://pg:9091/metrics/job/meshcert"
        );
        assert_eq!(
            group_url("http://pg:9091", Some("prod/eu 1")),
            "http://pg:9091/metrics/job/meshcert/cluster/prod%2Feu%201"
        );
    }
}
