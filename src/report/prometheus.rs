//! `-o prometheus`: the Prometheus text exposition format (version 0.0.4), for a Pushgateway or a
//! node-exporter textfile collector. Every series carries a `cluster` label when several clusters
//! are checked.
//!
//! - `meshcert_check_result{category,check,result}`: 1 for the check's current result, 0 for the
//!   other results (so every series exists on every run);
//! - `meshcert_certificate_expiry_timestamp_seconds{role,namespace,object,key,subject,subject_cn,issuer_cn,serial,fingerprint}`:
//!   notAfter of every certificate read (trust anchors, issuer, webhook and API-service certificates,
//!   caBundle certificates), one series per certificate of a bundle;
//!   `meshcert_certificate_not_before_timestamp_seconds` (notBefore) and
//!   `meshcert_certificate_expired` (1 when expired at the evaluation instant), with the same labels;
//! - `meshcert_build_info{version}`: 1;
//! - `meshcert_data_plane_stale_proxies`: meshed pods without the current trust bundle;
//! - `meshcert_last_run_timestamp_seconds`, `meshcert_run_success`;
//! - `meshcert_cluster_up`: 1 when the cluster (or the files) could be read, 0 when not;
//! - `meshcert_rotation_stage{stage}`: 1 for the trust-anchor rotation's stage (`meshcert
//!   rotation`'s names), 0 for the others; `meshcert_rotation_new_anchor_ambiguous`: 1 when which
//!   anchor is new could not be told (only where the rotation could be assessed);
//! - `meshcert_identity_loaded_issuer_expiry_timestamp_seconds{namespace,pod}`: when the issuer
//!   each identity pod has loaded expires (the evaluation instant plus its
//!   `issuer_cert_ttl_seconds`), beside the stored issuer's
//!   `meshcert_certificate_expiry_timestamp_seconds{role="issuer"}`;
//! - `meshcert_proxy_leaf_expiry_{earliest,latest}_timestamp_seconds` and
//!   `meshcert_proxy_leaves{state}` (`read`, `expired`, `past-renewal`, `unreadable`): the sampled
//!   proxies' leaf certificates (only where they were read);
//! - `meshcert_trust_anchor_renewal_timestamp_seconds{certificate,secret}`: when cert-manager
//!   renews the trust anchor unattended (only where it manages the anchor trust-manager bundles);
//! - `meshcert_link_trusted{link,target,by}`: 1 when both sides of a multicluster Link accept the
//!   certificates the other's issuer signs, 0 when one does not; `by` is `roots` (the trust roots
//!   proxies get) or `proxies` (the bundles running proxies carry). A Link not compared has no
//!   series.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use meshcert_checks::details::CertRole;
use meshcert_checks::report::Report;

use super::run::{ClusterOutcome, Run};

const RESULTS: [&str; 4] = ["success", "warning", "error", "skipped"];

/// A label value as the exposition format writes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A series' labels: `cluster` first where several clusters are read, then `pairs`.
pub(crate) fn labels(cluster: Option<&str>, pairs: &[(&str, &str)]) -> String {
    let all = cluster
        .map(|c| ("cluster", c))
        .into_iter()
        .chain(pairs.iter().copied());
    let inner: Vec<String> = all.map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if inner.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", inner.join(","))
    }
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

/// A cluster that could not be read has `meshcert_run_success` 0, `meshcert_cluster_up` 0 and no
/// other series.
pub fn write(run: &Run, out: &mut impl std::io::Write) -> std::io::Result<()> {
    out.write_all(render_with_up(run, |c| c.outcome.is_ok()).as_bytes())
}

/// `render`, with `up` saying which clusters the latest read reached (the exporter keeps a
/// cluster's last readable report when a later round cannot read it).
pub fn render_with_up(run: &Run, up: impl Fn(&ClusterOutcome) -> bool) -> String {
    let reports: Vec<_> = run.reports().collect();
    let mut out = String::new();
    header(
        &mut out,
        "meshcert_build_info",
        "The meshcert that wrote these series: 1, labelled with its version.",
    );
    let _ = writeln!(
        out,
        "meshcert_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    header(
        &mut out,
        "meshcert_check_result",
        "Result of a meshcert check: 1 for the current result, 0 for the others.",
    );
    for (cluster, r) in &reports {
        for c in r.results() {
            let category = r
                .categories
                .iter()
                .find(|cat| cat.checks.iter().any(|x| x.id == c.id))
                .map_or("", |cat| cat.name);
            for result in RESULTS {
                let value = u8::from(c.result.as_str() == result);
                let l = labels(
                    *cluster,
                    &[("category", category), ("check", c.id), ("result", result)],
                );
                let _ = writeln!(out, "meshcert_check_result{l} {value}");
            }
        }
    }
    certificate_expiries(&mut out, &reports);
    header(
        &mut out,
        "meshcert_data_plane_stale_proxies",
        "Meshed pods whose proxy does not have the current trust bundle.",
    );
    for (cluster, r) in &reports {
        if let Some(dp) = r.results().find_map(|c| c.details.data_plane.as_ref()) {
            let _ = writeln!(
                out,
                "meshcert_data_plane_stale_proxies{} {}",
                labels(*cluster, &[]),
                dp.stale_pods.len()
            );
        }
    }
    header(
        &mut out,
        "meshcert_last_run_timestamp_seconds",
        "When the run evaluated the certificates, in seconds since the epoch.",
    );
    for (cluster, r) in &reports {
        let _ = writeln!(
            out,
            "meshcert_last_run_timestamp_seconds{} {}",
            labels(*cluster, &[]),
            r.evaluated_at.timestamp()
        );
    }
    header(
        &mut out,
        "meshcert_run_success",
        "1 when no check failed the run, 0 otherwise.",
    );
    for (cluster, r) in &reports {
        let _ = writeln!(
            out,
            "meshcert_run_success{} {}",
            labels(*cluster, &[]),
            u8::from(r.success)
        );
    }
    for (cluster, _) in run.unreadable() {
        let label = run.per_cluster.then_some(cluster);
        let _ = writeln!(out, "meshcert_run_success{} 0", labels(label, &[]));
    }
    rotation_families(&mut out, run);
    runtime_families(&mut out, &reports);
    renewal_family(&mut out, &reports);
    link_family(&mut out, &reports);
    header(
        &mut out,
        "meshcert_cluster_up",
        "1 when the latest read of the cluster succeeded, 0 when it could not be read.",
    );
    for c in &run.clusters {
        let label = run.per_cluster.then(|| c.label());
        let _ = writeln!(
            out,
            "meshcert_cluster_up{} {}",
            labels(label, &[]),
            u8::from(up(c))
        );
    }
    out
}

/// The certificate families: every certificate the run read (each one of a bundle, not only the
/// first), once per role, place and fingerprint, with the same labels in each family:
/// `meshcert_certificate_expiry_timestamp_seconds` (notAfter),
/// `meshcert_certificate_not_before_timestamp_seconds` and `meshcert_certificate_expired` (1 when
/// notAfter is before the evaluation instant), as the x509-certificate-exporter's
/// `x509_cert_not_after`, `x509_cert_not_before` and `x509_cert_expired` are.
fn certificate_expiries(out: &mut String, reports: &[(Option<&str>, &Report)]) {
    let mut samples = Vec::new();
    for (cluster, r) in reports {
        let mut seen = BTreeSet::new();
        for c in r.results() {
            for d in &c.details.certificates {
                // Prometheus series name an anchor's role whether or not it signed the issuer.
                let role = match d.role {
                    CertRole::SigningTrustAnchor => CertRole::TrustAnchor.as_str(),
                    other => other.as_str(),
                };
                if !seen.insert((role, d.source.clone(), d.facts.sha256_fingerprint.clone())) {
                    continue;
                }
                let l = labels(
                    *cluster,
                    &[
                        ("role", role),
                        ("namespace", &d.namespace),
                        ("object", &d.object),
                        ("key", &d.key),
                        ("subject", &d.facts.subject),
                        ("subject_cn", &d.facts.common_name),
                        ("issuer_cn", &d.facts.issuer_common_name),
                        ("serial", &d.facts.serial),
                        ("fingerprint", &d.facts.sha256_fingerprint),
                    ],
                );
                samples.push((
                    l,
                    [
                        d.facts.not_after.timestamp(),
                        d.facts.not_before.timestamp(),
                        i64::from(d.facts.not_after < r.evaluated_at),
                    ],
                ));
            }
        }
    }
    for (i, (name, help)) in CERTIFICATE_FAMILIES.iter().enumerate() {
        header(out, name, help);
        for (l, values) in &samples {
            let _ = writeln!(out, "{name}{l} {}", values[i]);
        }
    }
}

/// The certificate families, in the order of each sample's values.
const CERTIFICATE_FAMILIES: [(&str, &str); 3] = [
    (
        "meshcert_certificate_expiry_timestamp_seconds",
        "notAfter of a certificate meshcert read, in seconds since the epoch.",
    ),
    (
        "meshcert_certificate_not_before_timestamp_seconds",
        "notBefore of a certificate meshcert read, in seconds since the epoch.",
    ),
    (
        "meshcert_certificate_expired",
        "1 when a certificate meshcert read had expired at the evaluation instant, 0 otherwise.",
    ),
];

/// A family's header and samples, only when it has samples: the runtime families exist only
/// where the evidence was read (a Pushgateway drops a family without samples anyway).
fn family(out: &mut String, name: &str, help: &str, samples: &[String]) {
    if samples.is_empty() {
        return;
    }
    header(out, name, help);
    for s in samples {
        let _ = writeln!(out, "{s}");
    }
}

/// The runtime evidence: the identity pods' loaded issuers and the proxies' leaf expiries.
fn runtime_families(out: &mut String, reports: &[(Option<&str>, &Report)]) {
    use meshcert_checks::details::{LeafDistribution, RuntimeDetail};
    let seconds = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.timestamp())
            .ok()
    };
    fn runtime(r: &Report) -> impl Iterator<Item = &RuntimeDetail> {
        r.results().filter_map(|c| c.details.runtime.as_ref())
    }
    let mut loaded = Vec::new();
    for (cluster, r) in reports {
        for l in runtime(r).flat_map(|d| &d.loaded_issuers) {
            if let Some(t) = seconds(&l.loaded_not_after) {
                let labels = labels(*cluster, &[("namespace", &l.namespace), ("pod", &l.pod)]);
                loaded.push(format!(
                    "meshcert_identity_loaded_issuer_expiry_timestamp_seconds{labels} {t}"
                ));
            }
        }
    }
    family(
        out,
        "meshcert_identity_loaded_issuer_expiry_timestamp_seconds",
        "notAfter of the issuer an identity pod has loaded (the evaluation instant plus its issuer_cert_ttl_seconds), in seconds since the epoch.",
        &loaded,
    );
    let leaves: Vec<(Option<&str>, &LeafDistribution)> = reports
        .iter()
        .filter_map(|(cluster, r)| {
            runtime(r)
                .find_map(|d| d.proxy_leaves.as_ref())
                .map(|d| (*cluster, d))
        })
        .collect();
    type Bound = fn(&LeafDistribution) -> &Option<String>;
    let bounds: [(&str, Bound); 2] = [
        ("earliest", |d| &d.earliest_not_after),
        ("latest", |d| &d.latest_not_after),
    ];
    for (which, pick) in bounds {
        let name = format!("meshcert_proxy_leaf_expiry_{which}_timestamp_seconds");
        let samples: Vec<String> = leaves
            .iter()
            .filter_map(|(cluster, d)| {
                let t = pick(d).as_deref().and_then(seconds)?;
                Some(format!("{name}{} {t}", labels(*cluster, &[])))
            })
            .collect();
        family(
            out,
            &name,
            &format!(
                "The {which} notAfter of the sampled proxies' leaf certificates, in seconds since the epoch."
            ),
            &samples,
        );
    }
    let counts: Vec<String> = leaves
        .iter()
        .flat_map(|(cluster, d)| {
            [
                ("read", d.read),
                ("expired", d.expired.len()),
                ("past-renewal", d.past_renewal.len()),
                ("unreadable", d.unreadable.len()),
            ]
            .map(|(state, n)| {
                format!(
                    "meshcert_proxy_leaves{} {n}",
                    labels(*cluster, &[("state", state)])
                )
            })
        })
        .collect();
    family(
        out,
        "meshcert_proxy_leaves",
        "Sampled proxies by the state of their leaf certificate: read, expired, past-renewal, unreadable.",
        &counts,
    );
}

/// Each Link's verdict, by the roots and by the running proxies.
fn link_family(out: &mut String, reports: &[(Option<&str>, &Report)]) {
    let mut samples = Vec::new();
    for (cluster, r) in reports {
        for c in r.results() {
            let by = match c.id {
                "meshcert-multicluster-issuers-trusted" => "roots",
                "meshcert-multicluster-rotation-safe" => "proxies",
                _ => continue,
            };
            for l in &c.details.links {
                let Some(trusted) = l.trusted else { continue };
                let labels = labels(
                    *cluster,
                    &[("link", &l.link), ("target", &l.target), ("by", by)],
                );
                samples.push(format!(
                    "meshcert_link_trusted{labels} {}",
                    u8::from(trusted)
                ));
            }
        }
    }
    family(
        out,
        "meshcert_link_trusted",
        "1 when both sides of a multicluster Link accept the certificates the other side's issuer signs (by the trust roots, or by the running proxies' bundles), 0 when one side does not.",
        &samples,
    );
}

/// When cert-manager renews the trust anchor by itself, per cluster where it does.
fn renewal_family(out: &mut String, reports: &[(Option<&str>, &Report)]) {
    let samples: Vec<String> = reports
        .iter()
        .flat_map(|(cluster, r)| {
            r.results()
                .filter_map(|c| c.details.renewal.as_ref())
                .filter_map(move |d| {
                    let t = chrono::DateTime::parse_from_rfc3339(&d.renewal_time).ok()?;
                    let labels = labels(
                        *cluster,
                        &[("certificate", &d.certificate), ("secret", &d.secret)],
                    );
                    Some(format!(
                        "meshcert_trust_anchor_renewal_timestamp_seconds{labels} {}",
                        t.timestamp()
                    ))
                })
        })
        .collect();
    family(
        out,
        "meshcert_trust_anchor_renewal_timestamp_seconds",
        "When cert-manager renews the trust anchor unattended (its Certificate's status.renewalTime, else notAfter less the renewal margin), in seconds since the epoch.",
        &samples,
    );
}

/// The rotation stage and whether the new anchor was ambiguous, for the clusters assessed.
fn rotation_families(out: &mut String, run: &Run) {
    header(
        out,
        "meshcert_rotation_stage",
        "Stage of the trust-anchor rotation: 1 for the current stage, 0 for the others.",
    );
    let assessed: Vec<_> = run
        .clusters
        .iter()
        .filter_map(|c| Some((run.per_cluster.then(|| c.label()), c.rotation.as_ref()?)))
        .collect();
    for (cluster, r) in &assessed {
        for stage in meshcert_checks::rotation::STAGES {
            let _ = writeln!(
                out,
                "meshcert_rotation_stage{} {}",
                labels(*cluster, &[("stage", stage.as_str())]),
                u8::from(stage == r.stage)
            );
        }
    }
    header(
        out,
        "meshcert_rotation_new_anchor_ambiguous",
        "1 when the evidence did not tell which bundled anchor is the new one.",
    );
    for (cluster, r) in &assessed {
        let _ = writeln!(
            out,
            "meshcert_rotation_new_anchor_ambiguous{} {}",
            labels(*cluster, &[]),
            u8::from(r.new_anchor_ambiguous)
        );
    }
}
