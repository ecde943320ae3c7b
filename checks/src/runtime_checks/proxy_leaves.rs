//! "meshed proxies hold valid leaf certificates" and "meshed proxies have renewed their leaf
//! certificates": each sampled proxy's `identity_cert_expiration_timestamp_seconds` against the
//! evaluation instant and the leaf lifetime the identity service issues.

use chrono::{DateTime, TimeDelta, Utc};

use crate::cert::format_time;
use crate::check::{
    Category, Check, CheckMeta, Context, Details, Failure, Input, Outcome, Problem, Severity,
};
use crate::data_plane::workload_label;
use crate::details::{LeafDistribution, ProxyLeaf, RuntimeDetail, UnreadablePod};
use crate::identity::{LINKERD_CONFIG, parse_values};
use crate::runtime::{Gathered, ProxySample};
use crate::snapshot::{Fetched, Snapshot};

pub struct ProxiesLeafCertsValid;
pub struct ProxiesLeafCertsRenewed;

static VALID: CheckMeta = CheckMeta {
    id: "meshcert-proxies-leaf-certs-valid",
    category: Category::MeshcertRuntime,
    description: "meshed proxies hold valid leaf certificates",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-proxies-leaf-certs-valid.md"),
};

static RENEWED: CheckMeta = CheckMeta {
    id: "meshcert-proxies-leaf-certs-renewed",
    category: Category::MeshcertRuntime,
    description: "meshed proxies have renewed their leaf certificates",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-proxies-leaf-certs-renewed.md"),
};

/// The leaf lifetime the identity service issues unless configured (`DefaultIssuanceLifetime`).
pub const DEFAULT_ISSUANCE_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// A proxy renews its leaf once this share of its lifetime (in percent) has passed; one with
/// less than the rest left is past its renewal point.
pub const RENEWAL_POINT_PERCENT: i32 = 70;
/// The histogram's bounds, in hours from the evaluation instant.
pub const BUCKET_HOURS: [u32; 6] = [1, 6, 12, 24, 48, 168];

/// The leaf lifetime linkerd-config states (`identity.issuer.issuanceLifetime`), else 24 hours.
pub fn issuance_lifetime(snap: &Snapshot) -> TimeDelta {
    let ns = snap.linkerd_namespace.as_str();
    let Fetched::Present(cm) = snap.config_map(ns, LINKERD_CONFIG) else {
        return DEFAULT_ISSUANCE_LIFETIME;
    };
    cm.data
        .get("values")
        .and_then(|v| parse_values(v).ok())
        .and_then(|v| {
            v.get("identity")?
                .get("issuer")?
                .get("issuanceLifetime")?
                .as_str()
                .map(String::from)
        })
        .and_then(|text| crate::units::go_duration_nanos(&text).ok())
        .filter(|n| *n > 0)
        .map_or(DEFAULT_ISSUANCE_LIFETIME, |n| {
            TimeDelta::nanoseconds(n.min(i64::MAX as u64) as i64)
        })
}

/// What the sample says, at `at`, for a leaf lifetime of `lifetime`.
pub fn distribution(
    sample: &ProxySample,
    at: DateTime<Utc>,
    lifetime: TimeDelta,
) -> LeafDistribution {
    let renew_left = lifetime * (100 - RENEWAL_POINT_PERCENT) / 100;
    let mut d = LeafDistribution {
        running_pods: sample.running,
        forbidden_namespaces: sample.forbidden.iter().map(|(ns, _)| ns.clone()).collect(),
        expiring_within_hours: BUCKET_HOURS.iter().map(|h| (*h, 0)).collect(),
        ..LeafDistribution::default()
    };
    let mut expiries = Vec::new();
    for s in &sample.scrapes {
        let not_after = match &s.value {
            Ok(v) if v.is_finite() && v.abs() < 1e12 => {
                DateTime::from_timestamp_millis((v * 1000.0) as i64)
            }
            _ => None,
        };
        let Some(not_after) = not_after else {
            d.unreadable.push(UnreadablePod {
                namespace: s.namespace.clone(),
                name: s.pod.clone(),
                reason: match &s.value {
                    Err(why) => why.clone(),
                    Ok(v) => format!("{} is {v}", crate::runtime::LEAF_EXPIRY_METRIC),
                },
            });
            continue;
        };
        expiries.push(not_after);
        let leaf = ProxyLeaf {
            namespace: s.namespace.clone(),
            pod: s.pod.clone(),
            workload: workload_label(&s.workload),
            not_after: format_time(not_after),
        };
        let left = not_after - at;
        for (hours, n) in d.expiring_within_hours.iter_mut() {
            if left <= TimeDelta::hours(i64::from(*hours)) {
                *n += 1;
            }
        }
        if left <= TimeDelta::zero() {
            d.expired.push(leaf);
        } else if left < renew_left {
            d.past_renewal.push(leaf);
        }
    }
    d.read = expiries.len();
    // In pod order, whatever order they were read in.
    let by_pod = |l: &ProxyLeaf| (l.namespace.clone(), l.pod.clone());
    d.expired.sort_by_key(by_pod);
    d.past_renewal.sort_by_key(by_pod);
    d.unreadable
        .sort_by_key(|u| (u.namespace.clone(), u.name.clone()));
    d.earliest_not_after = expiries.iter().min().map(|t| format_time(*t));
    d.latest_not_after = expiries.iter().max().map(|t| format_time(*t));
    d
}

/// The distribution of the snapshot's sample, or why the checks cannot judge.
fn judged(input: &Input<'_>, cx: &Context) -> Result<LeafDistribution, String> {
    let snap = input.snapshot();
    let sample = match &snap.runtime.proxies {
        Gathered::Got(sample) => sample,
        other => {
            return Err(super::not_gathered("the proxies' metrics", other).unwrap_or_default());
        }
    };
    let d = distribution(sample, cx.at, issuance_lifetime(snap));
    if d.read > 0 {
        return Ok(d);
    }
    Err(if let Some(first) = d.unreadable.first() {
        format!(
            "none of the {} sampled proxies' metrics could be read (pod {}/{}: {})",
            d.unreadable.len(),
            first.namespace,
            first.name,
            first.reason
        )
    } else if let Some((ns, why)) = sample.forbidden.first() {
        format!("the proxies' metrics may not be read (namespace {ns}: {why})")
    } else {
        "no Running meshed pod in scope to ask for its leaf certificate".to_string()
    })
}

/// The leaves listed, then the restart commands for their workloads.
fn failure(heading: &str, leaves: &[ProxyLeaf], verb: &str) -> Failure {
    let problems = leaves
        .iter()
        .map(|l| {
            Problem::named(
                "Pod",
                &l.namespace,
                &l.pod,
                format!(
                    "{}/{} ({}): {verb} {}",
                    l.namespace, l.pod, l.workload, l.not_after
                ),
            )
        })
        .collect();
    let mut restarts: Vec<(String, String)> = leaves
        .iter()
        .map(|l| (l.namespace.clone(), l.workload.clone()))
        .collect();
    restarts.sort();
    restarts.dedup();
    let commands = restarts
        .into_iter()
        .map(|(ns, workload)| {
            let pods = leaves
                .iter()
                .filter(|l| l.namespace == ns && l.workload == workload)
                .count();
            let plural = if pods == 1 { "" } else { "s" };
            Problem::new(if workload.starts_with("pod/") {
                format!("{ns}/{workload} ({pods} pod{plural}; recreate it from its manifest)")
            } else {
                format!("kubectl -n {ns} rollout restart {workload} ({pods} pod{plural})")
            })
        })
        .collect();
    Failure::titled(heading, problems).then(
        "Restart them once the identity service is reachable:",
        commands,
    )
}

/// Both checks: the sample's distribution, failing with the leaves `pick` takes from it.
fn leaves_outcome(
    input: &Input<'_>,
    cx: &Context,
    pick: fn(&LeafDistribution) -> &[ProxyLeaf],
    heading: &str,
    verb: &str,
) -> Outcome {
    let d = match judged(input, cx) {
        Ok(d) => d,
        Err(why) => return Outcome::Skip(why),
    };
    let failure = (!pick(&d).is_empty()).then(|| failure(heading, pick(&d), verb));
    let details = Details {
        runtime: Some(RuntimeDetail {
            proxy_leaves: Some(d),
            ..RuntimeDetail::default()
        }),
        ..Details::default()
    };
    match failure {
        Some(error) => Outcome::Fail { error, details },
        None => Outcome::Pass(details),
    }
}

impl Check for ProxiesLeafCertsValid {
    fn meta(&self) -> &'static CheckMeta {
        &VALID
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        leaves_outcome(
            input,
            cx,
            |d| &d.expired,
            "Some proxies hold an expired leaf certificate and cannot take part in mTLS:",
            "expired at",
        )
    }
}

impl Check for ProxiesLeafCertsRenewed {
    fn meta(&self) -> &'static CheckMeta {
        &RENEWED
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        leaves_outcome(
            input,
            cx,
            |d| &d.past_renewal,
            "Some proxies have not renewed their leaf certificate (past its renewal point; can they reach the identity service?):",
            "expires at",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair, installed};
    use crate::runtime_checks::test_support::{at, scrape};

    fn sample(scrapes: Vec<crate::runtime::Scrape>) -> Gathered<ProxySample> {
        Gathered::Got(ProxySample {
            running: scrapes.len(),
            scrapes,
            forbidden: vec![],
        })
    }

    #[test]
    fn expired_leaves_fail_late_renewals_warn_and_fresh_ones_pass() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let now = at("2026-06-01T12:00:00Z");
        let ts = |t: DateTime<Utc>| t.timestamp() as f64;
        snap.runtime.proxies = sample(vec![
            scrape("app", "web-1", "web", Ok(ts(now + TimeDelta::hours(20)))),
            scrape("app", "web-2", "web", Ok(ts(now - TimeDelta::hours(1)))),
            scrape("app", "db-1", "db", Ok(ts(now + TimeDelta::hours(2)))),
            scrape("app", "api-1", "api", Err("GET …: 503")),
        ]);
        let cx = Context { at: now, ..cx() };
        let input = Input::new(&snap);
        let error = error_of(ProxiesLeafCertsValid.run(&input, &cx));
        assert_eq!(
            error,
            "Some proxies hold an expired leaf certificate and cannot take part in mTLS:\n\t* app/web-2 (deploy/web): expired at 2026-06-01T11:00:00Z\nRestart them once the identity service is reachable:\n\t* kubectl -n app rollout restart deploy/web (1 pod)"
        );
        let error = error_of(ProxiesLeafCertsRenewed.run(&input, &cx));
        assert!(
            error.contains("app/db-1 (deploy/db): expires at 2026-06-01T14:00:00Z"),
            "{error}"
        );
        assert!(!error.contains("web-1"), "{error}");
        let Outcome::Fail { details, .. } = ProxiesLeafCertsValid.run(&input, &cx) else {
            panic!()
        };
        let d = details.runtime.unwrap().proxy_leaves.unwrap();
        assert_eq!((d.read, d.unreadable.len()), (3, 1));
        assert_eq!(
            d.earliest_not_after.as_deref(),
            Some("2026-06-01T11:00:00Z")
        );
        assert_eq!(d.expiring_within_hours[0], (1, 1));
        assert_eq!(d.expiring_within_hours[3], (24, 3));

        snap.runtime.proxies = sample(vec![scrape(
            "app",
            "web-1",
            "web",
            Ok(ts(now + TimeDelta::hours(20))),
        )]);
        let input = Input::new(&snap);
        assert!(matches!(
            ProxiesLeafCertsValid.run(&input, &cx),
            Outcome::Pass(_)
        ));
        assert!(matches!(
            ProxiesLeafCertsRenewed.run(&input, &cx),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn without_evidence_the_checks_skip_never_pass() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let cx = cx();
        let skip = |snap: &Snapshot| match ProxiesLeafCertsValid.run(&Input::new(snap), &cx) {
            Outcome::Skip(why) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            skip(&snap),
            "the proxies' metrics were not read: the input holds no runtime evidence"
        );
        snap.runtime.proxies = Gathered::Forbidden("forbidden (x); meshcert needs y".into());
        assert_eq!(
            skip(&snap),
            "the proxies' metrics may not be read: forbidden (x); meshcert needs y"
        );
        snap.runtime.proxies = sample(vec![scrape("app", "web-1", "web", Err("timed out"))]);
        assert_eq!(
            skip(&snap),
            "none of the 1 sampled proxies' metrics could be read (pod app/web-1: timed out)"
        );
        snap.runtime.proxies = sample(vec![]);
        assert_eq!(
            skip(&snap),
            "no Running meshed pod in scope to ask for its leaf certificate"
        );
    }
}
