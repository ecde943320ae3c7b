//! What is running, as a source gathered it: the identity controller's issuer Events, the
//! issuer its pods have loaded (their `issuer_cert_ttl_seconds` gauge), and the leaf
//! certificates the proxies hold (their `identity_cert_expiration_timestamp_seconds` gauge).
//! Stored objects cannot show these; a source reads them through the API server's `pods/proxy`
//! subresource (live) or from the files `meshcert dump-commands` writes (offline).

use chrono::{DateTime, Utc};

use crate::workload::Workload;

/// The label that names a control-plane pod's component (`identity`, `destination`, …).
pub const COMPONENT_LABEL: &str = "linkerd.io/control-plane-component";
/// The identity controller's Deployment: its Events are recorded on it.
pub const IDENTITY_DEPLOYMENT: &str = "linkerd-identity";
/// The identity container's admin port (`ident-admin`), which serves `/metrics`.
pub const IDENTITY_ADMIN_PORT: u16 = 9990;
/// The proxy's admin port, which serves `/metrics`.
pub const PROXY_ADMIN_PORT: u16 = 4191;
/// Seconds until the issuer the identity controller has loaded expires.
pub const ISSUER_TTL_METRIC: &str = "issuer_cert_ttl_seconds";
/// When the proxy's current leaf certificate expires, in seconds since the epoch.
pub const LEAF_EXPIRY_METRIC: &str = "identity_cert_expiration_timestamp_seconds";
/// The Event reasons the identity controller records on issuer updates.
pub const ISSUER_UPDATED: &str = "IssuerUpdated";
pub const ISSUER_UPDATE_SKIPPED: &str = "IssuerUpdateSkipped";
pub const ISSUER_VALIDATION_FAILED: &str = "IssuerValidationFailed";

/// What a source gathered of one kind of runtime evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum Gathered<T> {
    /// Not read, and why (an offline input without the files, `--proxy-metrics off`).
    NotGathered(String),
    /// The API server refused: why, and the permission that would allow it.
    Forbidden(String),
    Got(T),
}

impl<T> Default for Gathered<T> {
    fn default() -> Self {
        Gathered::NotGathered("the input holds no runtime evidence".to_string())
    }
}

/// One Event the identity controller recorded about its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerEvent {
    pub reason: String,
    pub message: String,
    /// When it last happened (the latest of its timestamps), when it says.
    pub at: Option<DateTime<Utc>>,
}

/// One pod's metrics, scraped: the gauge's value, or why it could not be had.
#[derive(Debug, Clone, PartialEq)]
pub struct Scrape {
    pub namespace: String,
    pub pod: String,
    pub workload: Workload,
    pub value: Result<f64, String>,
}

/// The proxies sampled, and how many Running meshed pods they were chosen from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxySample {
    pub running: usize,
    pub scrapes: Vec<Scrape>,
    /// Namespaces whose proxies could not be read for lack of permission, with why.
    pub forbidden: Vec<(String, String)>,
}

/// The runtime evidence of a Snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runtime {
    /// The Events on the identity Deployment.
    pub events: Gathered<Vec<IssuerEvent>>,
    /// Each Running identity pod's `issuer_cert_ttl_seconds`.
    pub identity: Gathered<Vec<Scrape>>,
    /// Proxies' `identity_cert_expiration_timestamp_seconds`.
    pub proxies: Gathered<ProxySample>,
}

/// The first sample of the gauge `name` in a Prometheus text exposition, or why there is none.
/// A body that is not an exposition (an HTML error page, a truncated answer) has no sample.
pub fn gauge(text: &str, name: &str) -> Result<f64, String> {
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let rest = match rest.as_bytes().first() {
            Some(b' ') => rest,
            Some(b'{') => match rest.find('}') {
                Some(end) => &rest[end + 1..],
                None => return Err(format!("a malformed {name} sample: {line:.80}")),
            },
            _ => continue,
        };
        let value = rest.split_whitespace().next().unwrap_or("");
        return match value {
            "+Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            v => v
                .parse::<f64>()
                .map_err(|_| format!("{name} has a value that is not a number: {v:.40}")),
        };
    }
    Err(format!("the metrics hold no {name} sample"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_are_read_with_or_without_labels_and_garbage_is_named() {
        let text = "# HELP issuer_cert_ttl_seconds x\n# TYPE issuer_cert_ttl_seconds gauge\nissuer_cert_ttl_seconds_other 1\nissuer_cert_ttl_seconds 86399.5\n";
        assert_eq!(gauge(text, ISSUER_TTL_METRIC), Ok(86399.5));
        let labelled = "identity_cert_expiration_timestamp_seconds{a=\"}\"} 1.7e9\n";
        // A label value holding `}` is not a case the proxy writes; the first `}` ends the set.
        assert!(gauge(labelled, LEAF_EXPIRY_METRIC).is_err());
        assert_eq!(
            gauge(
                "identity_cert_expiration_timestamp_seconds{x=\"1\"} 1700000000\n",
                LEAF_EXPIRY_METRIC
            ),
            Ok(1.7e9)
        );
        assert_eq!(
            gauge("<html>502 Bad Gateway</html>", ISSUER_TTL_METRIC),
            Err("the metrics hold no issuer_cert_ttl_seconds sample".to_string())
        );
        assert_eq!(
            gauge("issuer_cert_ttl_seconds soon\n", ISSUER_TTL_METRIC),
            Err("issuer_cert_ttl_seconds has a value that is not a number: soon".to_string())
        );
    }
}
