//! CLI tests over fixtures/: every scenario's verdicts in every format, exit codes, the exact
//! layouts, malformed input, and that no private key material reaches any output.
//! Every run pins the evaluation instant with --at.

use crate::common::check_result as result_of;
use crate::common::{stderr, stdout};
use crate::fake_api;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

const AT: &str = "2026-11-22T12:00:00Z";

const CONFIG: &str = "l5d-identity-cert-config-valid";
const A_CRYPTO: &str = "l5d-identity-trustAnchors-use-supported-crypto";
const A_TIME: &str = "l5d-identity-trustAnchors-are-time-valid";
const A_SOON: &str = "l5d-identity-trustAnchors-not-expiring-soon";
const I_CRYPTO: &str = "l5d-identity-issuer-cert-uses-supported-crypto";
const I_TIME: &str = "l5d-identity-issuer-cert-is-time-valid";
const I_SOON: &str = "l5d-identity-issuer-cert-not-expiring-soon";
const I_SIGNED: &str = "l5d-identity-issuer-cert-issued-by-trust-anchor";
const PI_VALID: &str = "l5d-proxy-injector-webhook-cert-valid";
const PI_SOON: &str = "l5d-proxy-injector-webhook-cert-not-expiring-soon";
const SP_VALID: &str = "l5d-sp-validator-webhook-cert-valid";
const SP_SOON: &str = "l5d-sp-validator-webhook-cert-not-expiring-soon";
const PV_VALID: &str = "l5d-policy-validator-webhook-cert-valid";
const PV_SOON: &str = "l5d-policy-validator-webhook-cert-not-expiring-soon";
const TAP_VALID: &str = "l5d-tap-cert-valid";
const TAP_SOON: &str = "l5d-tap-cert-not-expiring-soon";
const TI_VALID: &str = "l5d-tap-injector-webhook-cert-valid";
const TI_SOON: &str = "l5d-tap-injector-webhook-cert-not-expiring-soon";
const JI_VALID: &str = "l5d-jaeger-injector-webhook-cert-valid";
const DP: &str = "l5d-identity-data-plane-proxies-certs-match-ca";
const C_AGREE: &str = "meshcert-trust-anchors-agree";
const EXTERNAL_CA: &str = "meshcert-external-ca-for-trust-manager";
const TM_BUNDLE: &str = "meshcert-trust-manager-distributes-bundle";
const TM_COPY: &str = "meshcert-previous-anchor-plain-copy";
const TM_RENEWAL: &str = "meshcert-trust-anchor-not-renewed-unattended";
const C_CA: &str = "meshcert-issuer-cert-is-ca";
const C_EXPIRY: &str = "meshcert-issuer-cert-expires-before-anchor";
const C_PROXIES: &str = "meshcert-proxies-trust-issuer-anchor";
const CM_READY: &str = "meshcert-cert-manager-issuer-ready";
const CM_RENEWS: &str = "meshcert-cert-manager-renews-issuer";

/// The checks a report of `scenario` holds, as the runner decides: every registry check whose
/// category applies to the scenario's Snapshot (`Category::applies`) and that applies itself
/// (the cert-manager checks only where cert-manager manages the issuer); and which of the
/// optional parts were found (`viz`, `jaeger`, `cert-manager`).
fn applicable(scenario: &str) -> (Vec<&'static str>, Vec<&'static str>) {
    use meshcert::source::{Request, Scope, Source};
    use meshcert_checks::check::Category;
    let request = Request {
        source: Source::Manifests(vec![crate::common::fixture(scenario)]),
        scope: Scope {
            linkerd_namespace: "linkerd".into(),
            ..Scope::default()
        },
        limits: meshcert::source::Limits::default(),
    };
    let snapshot = request.load_offline(None).unwrap().snapshot;
    let scope = request.scope.checks_scope();
    let ids = meshcert_checks::registry::ALL
        .iter()
        .filter(|c| c.meta().category.applies(&snapshot, &scope) && c.applies(&snapshot))
        .map(|c| c.meta().id)
        .collect();
    let mut found = Vec::new();
    if Category::LinkerdViz.applies(&snapshot, &scope) {
        found.push("viz");
    }
    if Category::LinkerdJaeger.applies(&snapshot, &scope) {
        found.push("jaeger");
    }
    if meshcert_checks::registry::find(CM_READY).is_some_and(|c| c.applies(&snapshot)) {
        found.push("cert-manager");
    }
    (ids, found)
}

use crate::common::{meshcert, meshcert_with_env};

fn check_from(scenario: &str, extra: &[&str]) -> Output {
    let path = format!("fixtures/{scenario}");
    let mut args = vec!["check", "--from", path.as_str(), "--at", AT];
    args.extend_from_slice(extra);
    meshcert(&args)
}

/// `meshcert check` on the PEM files of `fixtures/pem/<dir>/`, as JSON.
fn check_pem_json(dir: &str) -> Output {
    let file = |name: &str| format!("fixtures/pem/{dir}/{name}");
    let (anchors, cert, key) = (file("ca.crt"), file("issuer.crt"), file("issuer.key"));
    meshcert(&[
        "check",
        "--trust-anchors",
        &anchors,
        "--issuer-cert",
        &cert,
        "--issuer-key",
        &key,
        "--at",
        AT,
        "-o",
        "json",
    ])
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// id → result, from `-o json`.
fn results(report: &Value) -> BTreeMap<String, String> {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap())
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// description → mark, from `-o table` or `-o short`.
fn marks(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let (mark, rest) = l.split_once(' ')?;
            ["√", "‼", "×", "-"]
                .contains(&mark)
                .then(|| (rest.to_string(), mark.to_string()))
        })
        .collect()
}

fn mark_of(result: &str) -> &'static str {
    match result {
        "success" => "√",
        "warning" => "‼",
        "error" => "×",
        "skipped" => "-",
        other => panic!("unknown result {other}"),
    }
}

/// Expected non-success results per scenario (everything else succeeds) and the exit code.
/// A fixture scenario: its non-success results as (check id, result), its exit code, and the
/// extensions it installs (their categories appear only then).
struct Scenario {
    name: &'static str,
    non_success: Vec<(&'static str, &'static str)>,
    code: i32,
    /// Optional parts present: the viz and jaeger extensions, cert-manager managing the issuer.
    extensions: &'static [&'static str],
}

/// A trust-manager scenario: the issuer is cert-manager's too.
fn tm(name: &'static str, non_success: Vec<(&'static str, &'static str)>, code: i32) -> Scenario {
    Scenario {
        extensions: &["cert-manager"],
        ..sc(name, non_success, code)
    }
}

fn sc(name: &'static str, non_success: Vec<(&'static str, &'static str)>, code: i32) -> Scenario {
    Scenario {
        name,
        non_success,
        code,
        extensions: &[],
    }
}

/// An issuer linkerd cannot read: its config check fails and every check that needs it is skipped.
fn issuer_unreadable() -> Vec<(&'static str, &'static str)> {
    vec![
        (CONFIG, "error"),
        (I_CRYPTO, "skipped"),
        (I_TIME, "skipped"),
        (I_SOON, "skipped"),
        (I_SIGNED, "skipped"),
        (C_CA, "skipped"),
        (C_EXPIRY, "skipped"),
        (C_PROXIES, "skipped"),
    ]
}

fn scenarios() -> Vec<Scenario> {
    vec![
        // linkerd-identity
        sc("healthy", vec![], 0),
        sc("rsa4096-anchor", vec![], 0),
        sc("external-issuer", vec![], 0),
        sc("two-anchors", vec![], 0),
        sc(
            "expired-anchor",
            vec![
                (A_TIME, "error"),
                (A_SOON, "warning"),
                (I_SIGNED, "error"),
                (C_EXPIRY, "warning"),
            ],
            1,
        ),
        sc(
            "anchor-not-yet-valid",
            vec![(A_TIME, "error"), (I_SIGNED, "error")],
            1,
        ),
        sc(
            "expiring-soon",
            vec![(A_SOON, "warning"), (I_SOON, "warning")],
            0,
        ),
        sc(
            "issuer-other-root",
            vec![
                (I_SIGNED, "error"),
                (C_EXPIRY, "skipped"),
                (C_PROXIES, "skipped"),
            ],
            1,
        ),
        sc("rsa-issuer", vec![(I_CRYPTO, "error")], 1),
        sc(
            "p384-anchor",
            vec![(A_CRYPTO, "error"), (I_CRYPTO, "error")],
            1,
        ),
        sc("issuer-key-mismatch", vec![(CONFIG, "error")], 1),
        sc("missing-issuer-secret", issuer_unreadable(), 1),
        sc("anchors-disagree", vec![(C_AGREE, "warning")], 0),
        sc("issuer-not-ca", vec![(C_CA, "error")], 1),
        // linkerd's checks all pass; the proxies' certificates would not verify.
        sc("anchor-pathlen-zero", vec![(C_CA, "error")], 1),
        sc("anchor-name-constraints", vec![(I_SIGNED, "error")], 1),
        sc("issuer-critical-aki", issuer_unreadable(), 1),
        // cert-manager manages the 48-hour issuer: the issuer margin is its renewal point.
        Scenario {
            extensions: &["cert-manager"],
            ..sc("cert-manager-renewing", vec![], 0)
        },
        Scenario {
            extensions: &["cert-manager"],
            ..sc(
                "cert-manager-stalled",
                vec![
                    (I_SOON, "warning"),
                    (CM_READY, "error"),
                    (CM_RENEWS, "warning"),
                ],
                1,
            )
        },
        // Each stage of a trust-anchor rotation (`meshcert rotation` below says which).
        sc("rotation-before", vec![], 0),
        sc("rotation-bundle-deployed", vec![(DP, "warning")], 0),
        sc("rotation-restarted", vec![], 0),
        sc("rotation-issuer-deployed", vec![], 0),
        sc("rotation-old-anchor-unused", vec![], 0),
        sc("rotation-done", vec![(DP, "warning")], 0),
        sc(
            "rotation-issuer-ahead",
            vec![(DP, "warning"), (C_PROXIES, "error")],
            1,
        ),
        sc(
            "rotation-anchor-removed-early",
            vec![(DP, "warning"), (C_PROXIES, "error")],
            1,
        ),
        // linkerd-webhooks-and-apisvc-tls and the extensions
        // Linkerd's automatic-rotation guide (cert-manager writes the issuer and the anchor,
        // trust-manager the trust roots), and each way of breaking it.
        tm(
            "trust-manager-external-ca",
            vec![(TM_RENEWAL, "warning")],
            0,
        ),
        tm("trust-manager-attended", vec![], 0),
        tm(
            "trust-manager-bundle-broken",
            vec![(TM_BUNDLE, "error"), (TM_COPY, "skipped")],
            1,
        ),
        tm("trust-manager-helm-ca", vec![(EXTERNAL_CA, "warning")], 0),
        tm(
            "trust-manager-previous-annotated",
            vec![(TM_COPY, "warning")],
            0,
        ),
        tm("trust-manager-roots-lag", vec![(TM_BUNDLE, "error")], 1),
        tm(
            "trust-manager-renewal-unset-policy",
            vec![(TM_RENEWAL, "warning")],
            0,
        ),
        sc("webhooks-cert-manager", vec![], 0),
        sc(
            "webhooks-cert-manager-renewing",
            vec![(SP_SOON, "warning")],
            0,
        ),
        sc(
            "proxy-injector-expired",
            vec![(PI_VALID, "error"), (PI_SOON, "warning")],
            1,
        ),
        sc("sp-validator-expiring", vec![(SP_SOON, "warning")], 0),
        sc("policy-validator-other-ca", vec![(PV_VALID, "error")], 1),
        sc("proxy-injector-wrong-dns", vec![(PI_VALID, "error")], 1),
        sc("legacy-secrets", vec![], 0),
        sc(
            "policy-validator-absent",
            vec![(PV_VALID, "skipped"), (PV_SOON, "skipped")],
            0,
        ),
        // cert-manager's webhook recipe for the extensions' 24-hour certificates: no warning.
        Scenario {
            extensions: &["viz", "jaeger"],
            ..sc("viz-cert-manager-renewing", vec![], 0)
        },
        Scenario {
            extensions: &["viz", "jaeger"],
            ..sc(
                "viz-tap-expired",
                vec![(TAP_VALID, "error"), (TAP_SOON, "warning")],
                1,
            )
        },
        Scenario {
            extensions: &["viz"],
            ..sc(
                "tap-injector-expired",
                vec![(TI_VALID, "error"), (TI_SOON, "warning")],
                1,
            )
        },
    ]
}

fn rotation_from(scenario: &str, extra: &[&str]) -> Output {
    let dir = format!("fixtures/{scenario}");
    let mut args = vec!["rotation", "--from", &dir, "--at", AT];
    args.extend(extra);
    meshcert(&args)
}

/// One rotation scenario: its stage, the step to do next, the proxies (old only, new only,
/// both), the restart commands it must list, and what it must refuse.
struct RotationCase {
    scenario: &'static str,
    stage: &'static str,
    step: Option<u64>,
    proxies: [u64; 3],
    commands: &'static [&'static str],
    refused: &'static [&'static str],
}

const EMOJI: &str = "kubectl -n emojivoto rollout restart deploy/emoji";
const WEB: &str = "kubectl -n emojivoto rollout restart deploy/web";
const DB: &str = "kubectl -n books rollout restart sts/db";
const EVENTS: &str = "kubectl get events --field-selector reason=IssuerUpdated -n linkerd";

/// The SHA-256 fingerprint of a scenario's (first) trust anchor, from the JSON details.
fn anchor_fingerprint(scenario: &str) -> String {
    let report = json_of(&check_from(scenario, &["-o", "json"]));
    let anchors = &report["categories"][0]["checks"][2]["details"]["certificates"];
    assert_eq!(anchors[0]["role"], "trust-anchor");
    anchors[0]["sha256Fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Writes `files` into a temporary directory and runs `check --from` on it.
fn check_files(files: &[(&str, &[u8])], extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().to_str().unwrap().to_string();
    let mut args = vec!["check", "--from", path.as_str(), "--at", AT];
    args.extend_from_slice(extra);
    meshcert(&args)
}

fn healthy_yaml() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy/linkerd-identity.yaml"),
    )
    .unwrap()
}

/// The healthy identity manifests and their `key.pem:` line (the issuer key's data).
fn healthy_yaml_and_key_line() -> (String, String) {
    let yaml = healthy_yaml();
    let key_line = yaml
        .lines()
        .find(|l| l.trim_start().starts_with("key.pem:"))
        .unwrap()
        .to_string();
    (yaml, key_line)
}

fn healthy_webhooks_yaml() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/healthy/webhooks.yaml"),
    )
    .unwrap()
}

// --- Secrets stay secret ---
// --- Webhooks and extensions ---
fn category_names(report: &Value) -> Vec<String> {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["categoryName"].as_str().unwrap().to_string())
        .collect()
}

/// One check's JSON result from a run of `meshcert check --from fixtures/<scenario>`.
fn result_in(scenario: &str, id: &str) -> Value {
    result_of(&json_of(&check_from(scenario, &["-o", "json"])), id).clone()
}

// --- Data plane ---
/// `check` of the healthy scenario plus the manifests in `from`, in `format`.
fn check_healthy_with(from: &str, format: &str) -> Output {
    // The healthy fixture's files, and `from`: one cluster (several folders would be several
    // clusters' dumps).
    let mut files: Vec<String> = std::fs::read_dir("fixtures/healthy")
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .collect();
    files.sort();
    let mut args: Vec<&str> = vec!["check"];
    for f in &files {
        args.extend(["--from", f.as_str()]);
    }
    args.extend(["--from", from, "--at", AT, "-o", format]);
    meshcert(&args)
}

/// A minimal meshed pod as JSON.
fn minimal_pod(ns: &str, name: &str, bundle: &str) -> Value {
    serde_json::json!({
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"linkerd.io/control-plane-ns": "linkerd"}},
        "spec": {"containers": [{"name": "linkerd-proxy", "env": [{"name": "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", "value": bundle}]}]}
    })
}

// --- Machine outputs: JUnit and Prometheus ---
/// Counts the elements named `name` in a well-formed XML document (panics if it is not).
fn xml_elements(xml: &str) -> BTreeMap<String, usize> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = BTreeMap::new();
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{xml}"))
        {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                *counts
                    .entry(String::from_utf8(e.name().as_ref().to_vec()).unwrap())
                    .or_insert(0) += 1;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    counts
}

/// One sample of the Prometheus text format.
struct Sample {
    metric: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the Prometheus text exposition format (0.0.4) strictly: `# HELP`/`# TYPE` lines before
/// a metric's samples, metric and label names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label values in double
/// quotes with `\\`, `\"` and `\n` escapes, a float value, an optional timestamp.
fn scrape(text: &str) -> Vec<Sample> {
    fn name(s: &str) -> Option<(&str, &str)> {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(s.len());
        let first = s.chars().next()?;
        (end > 0 && !first.is_ascii_digit()).then(|| (&s[..end], &s[end..]))
    }
    let mut typed = std::collections::HashSet::new();
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fail = |why: &str| -> ! { panic!("line {}: {why}: {line:?}", n + 1) };
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(m), Some(_)) => {
                    assert!(name(m).is_some_and(|(_, r)| r.is_empty()), "bad HELP")
                }
                (Some("TYPE"), Some(m), Some(t)) => {
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                        "bad TYPE {t}"
                    );
                    assert!(typed.insert(m.to_string()), "TYPE twice for {m}");
                }
                _ => fail("unknown comment"),
            }
            continue;
        }
        let Some((metric, mut rest)) = name(line) else {
            fail("no metric name")
        };
        assert!(typed.contains(metric), "sample before TYPE of {metric}");
        let mut labels = BTreeMap::new();
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            loop {
                if let Some(r) = rest.strip_prefix('}') {
                    rest = r;
                    break;
                }
                let Some((key, r)) = name(rest) else {
                    fail("bad label name")
                };
                let Some(r) = r.strip_prefix("=\"") else {
                    fail("expected =\"")
                };
                let mut value = String::new();
                let mut chars = r.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, '\\')) => value.push('\\'),
                            Some((_, '"')) => value.push('"'),
                            Some((_, 'n')) => value.push('\n'),
                            _ => fail("bad escape"),
                        },
                        Some((i, '"')) => break i,
                        Some((_, c)) => value.push(c),
                        None => fail("unterminated label value"),
                    }
                };
                assert!(
                    labels.insert(key.to_string(), value).is_none(),
                    "label {key} twice"
                );
                rest = &r[end + 1..];
                rest = rest.strip_prefix(',').unwrap_or(rest);
            }
        }
        let mut fields = rest.split_whitespace();
        let value = fields
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| fail("bad value"));
        if let Some(ts) = fields.next() {
            assert!(ts.parse::<i64>().is_ok(), "bad timestamp");
        }
        assert!(
            fields.next().is_none() && rest.starts_with(' '),
            "trailing text"
        );
        samples.push(Sample {
            metric: metric.to_string(),
            labels,
            value,
        });
    }
    samples
}

fn sample<'a>(s: &'a [Sample], metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    s.iter().find(|x| {
        x.metric == metric
            && labels
                .iter()
                .all(|(k, v)| x.labels.get(*k).map(String::as_str) == Some(*v))
    })
}

fn gauge(s: &Sample) -> f64 {
    s.value
}

// --- Policy ---
fn policy_file(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

mod ci_outputs;
mod data_plane;
mod inputs;
mod layout;
mod multicluster;
mod rotation;
mod scenarios;
mod secrets;
mod shell;
mod webhooks;
