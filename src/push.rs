//! `--push-gateway URL`: pushes the metrics to a Prometheus Pushgateway, job `meshcert`, one
//! group per cluster (`PUT <url>/metrics/job/meshcert/cluster/<context>`; without a cluster, as
//! for files, `PUT <url>/metrics/job/meshcert`). A PUT replaces the group's previous metrics.
//!
//! A grouping-key value is a URL path segment, and the Pushgateway splits the path on `/` before
//! it unescapes it: `%2F` does not keep a `/` in a value (EKS contexts are ARNs such as
//! `arn:aws:eks:eu-west-1:123456789012:cluster/prod`). Its documented form for such values, and
//! for the empty one, is `cluster@base64/<base64url>`; every other value is percent-escaped.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;

pub fn group_url(gateway: &str, cluster: Option<&str>) -> String {
    let base = gateway.trim_end_matches('/');
    match cluster {
        Some(c) => format!(
            "{base}/metrics/job/meshcert/{}",
            grouping_label("cluster", c)
        ),
        None => format!("{base}/metrics/job/meshcert"),
    }
}

pub fn push(gateway: &str, cluster: Option<&str>, metrics: Vec<u8>) -> anyhow::Result<()> {
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

/// `name/value` as a grouping-key path: base64url (`name@base64/…`) when the value holds a `/` or
/// is empty, percent-escaped otherwise.
fn grouping_label(name: &str, value: &str) -> String {
    use base64::Engine as _;
    if value.is_empty() {
        // The Pushgateway's spelling of the empty value: one padding character.
        format!("{name}@base64/=")
    } else if value.contains('/') {
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value);
        format!("{name}@base64/{encoded}")
    } else {
        format!("{name}/{}", percent_escape(value))
    }
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
            group_url("http://pg:9091", Some("gke_proj_europe-west1-b_prod 1")),
            "http://pg:9091/metrics/job/meshcert/cluster/gke_proj_europe-west1-b_prod%201"
        );
        // A `/` cannot be escaped into a path segment: base64url, as the Pushgateway specifies.
        assert_eq!(
            group_url(
                "http://pg:9091",
                Some("arn:aws:eks:eu-west-1:123456789012:cluster/prod")
            ),
            "http://pg:9091/metrics/job/meshcert/cluster@base64/YXJuOmF3czpla3M6ZXUtd2VzdC0xOjEyMzQ1Njc4OTAxMjpjbHVzdGVyL3Byb2Q"
        );
        assert_eq!(
            group_url("http://pg:9091", Some("")),
            "http://pg:9091/metrics/job/meshcert/cluster@base64/="
        );
    }
}
