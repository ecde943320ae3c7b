//! `-o html` rendered by a real headless Chromium: every scenario, one cluster and several; the
//! rendered DOM holds every check of the JSON report of the same run and a timeline row for each
//! of its certificates; the verdict and exit code agree with the JSON; input cannot inject markup.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{AT, meshcert, scenarios, serial};
use crate::fake_api::{FakeApi, kubeconfig};

/// Headless Chromium run on `page` with `args`; `None` (a skip) outside CI without Chromium.
fn chromium(args: &[&str], page: &Path) -> Option<Output> {
    let chromium = crate::programs::require("chromium", "chromium")?;
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out)
}

/// Headless Chromium's rendered DOM of `page`.
fn dump_dom(page: &Path) -> Option<String> {
    let out = chromium(&["--dump-dom"], page)?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A screenshot of `page`; its size in bytes.
fn screenshot(page: &Path, png: &Path) -> u64 {
    let shot = format!("--screenshot={}", png.display());
    chromium(
        &["--hide-scrollbars", "--window-size=1300,1600", &shot],
        page,
    )
    .unwrap();
    std::fs::metadata(png).map(|m| m.len()).unwrap_or(0)
}

/// Undoes the DOM serializer's escapes.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in the tag text `tag`.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// A certificate as the timeline files it: its roles and the places it was read.
type Filed = (BTreeSet<String>, BTreeSet<String>);

/// The timeline rows of a DOM, by fingerprint. One row per certificate: a fingerprint twice
/// fails the test.
fn timeline_rows(dom: &str) -> BTreeMap<String, Filed> {
    let mut rows = BTreeMap::new();
    for rest in dom.split("<g class=\"cert-row").skip(1) {
        let tag = &rest[..rest.find('>').unwrap()];
        let split = |v: String, sep: &str| -> BTreeSet<String> {
            v.split(sep).map(str::to_string).collect()
        };
        let fingerprint = attr(tag, "data-fingerprint").unwrap();
        let filed = (
            split(attr(tag, "data-roles").unwrap(), " "),
            split(attr(tag, "data-sources").unwrap(), " | "),
        );
        assert!(
            rows.insert(fingerprint.clone(), filed).is_none(),
            "two rows for {fingerprint}"
        );
    }
    rows
}

/// Every certificate a JSON report names, by fingerprint: its roles (an anchor that signed the
/// issuer is a trust anchor) and every place it was read.
fn json_certificates(report: &serde_json::Value) -> BTreeMap<String, Filed> {
    let mut out: BTreeMap<String, Filed> = BTreeMap::new();
    for category in report["categories"].as_array().into_iter().flatten() {
        for check in category["checks"].as_array().unwrap() {
            for c in check["details"]["certificates"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let role = match c["role"].as_str().unwrap() {
                    "signing-trust-anchor" => "trust-anchor",
                    other => other,
                };
                let entry = out
                    .entry(c["sha256Fingerprint"].as_str().unwrap().to_string())
                    .or_default();
                entry.0.insert(role.to_string());
                entry.1.insert(c["source"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

fn descriptions(report: &serde_json::Value) -> Vec<String> {
    report["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().unwrap().iter())
        .map(|c| c["description"].as_str().unwrap().to_string())
        .collect()
}

/// The page holds nothing that runs or loads: no script, no external resource, links only to
/// hints and its own anchors. Tags are what the page's markup opens (text `<` is escaped).
fn assert_self_contained(page: &str, what: &str) {
    let lower = page.to_ascii_lowercase();
    for css in ["@import", "url(http", "url(//", "javascript:"] {
        assert!(!lower.contains(css), "{what}: the page holds {css}");
    }
    for tag in lower.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            ![
                "script",
                "link",
                "img",
                "iframe",
                "object",
                "embed",
                "image",
                "use",
                "foreignobject",
                "base",
                "form"
            ]
            .contains(&name.as_str()),
            "{what}: a <{name}> element"
        );
        assert!(
            !tag.contains(" src=") && !tag.contains(" on"),
            "{what}: <{tag}>"
        );
        if let Some(i) = tag.find(" href=\"") {
            let url = &tag[i + 7..];
            let url = &url[..url.find('"').unwrap()];
            assert!(
                url.starts_with('#') || url.starts_with("https://linkerd.io/"),
                "{what}: link to {url}"
            );
        }
    }
}

fn run_html_and_json(
    args: &[&str],
    dir: &Path,
    name: &str,
) -> (Output, std::path::PathBuf, serde_json::Value, Output) {
    let page = dir.join(format!("{name}.html"));
    let mut html_args = args.to_vec();
    let report_arg = format!("html={}", page.display());
    html_args.extend(["--report", &report_arg, "-o", "json"]);
    let out = meshcert(&html_args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    // -o html to stdout is the same page as --report html=PATH.
    let mut stdout_args = args.to_vec();
    stdout_args.extend(["-o", "html"]);
    let direct = meshcert(&stdout_args);
    (out, page, report, direct)
}

#[test]
fn every_scenario_renders_in_chromium_with_every_check_and_certificate() {
    let _serial = serial();
    if crate::programs::require("chromium", "chromium").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for scenario in scenarios() {
        let dir = format!("fixtures/{scenario}");
        let (out, page, report, direct) = run_html_and_json(
            &["check", "--from", &dir, "--at", AT],
            tmp.path(),
            &scenario,
        );
        let source = std::fs::read_to_string(&page).unwrap();
        assert_eq!(
            direct.stdout,
            source.as_bytes(),
            "{scenario}: -o html and --report html differ"
        );
        assert_eq!(direct.status.code(), out.status.code());
        assert_self_contained(&source, &scenario);
        let dom = dump_dom(&page).unwrap();
        // The verdict and exit code of the page are the JSON's and the process's.
        let header = &dom[dom.find("<header").unwrap()..];
        let header = &header[..header.find('>').unwrap()];
        let verdict = if report["success"] == true {
            "pass"
        } else {
            "fail"
        };
        assert_eq!(
            attr(header, "data-verdict").as_deref(),
            Some(verdict),
            "{scenario}"
        );
        assert_eq!(
            attr(header, "data-exit-code"),
            out.status.code().map(|c| c.to_string()),
            "{scenario}"
        );
        let text = unescape(&dom);
        for d in descriptions(&report) {
            assert!(text.contains(&d), "{scenario}: no {d:?} on the page");
        }
        assert_eq!(
            timeline_rows(&dom),
            json_certificates(&report),
            "{scenario}: timeline rows"
        );
    }
}

#[test]
fn several_clusters_get_a_summary_and_a_section_each() {
    let _serial = serial();
    if crate::programs::require("chromium", "chromium").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let prod = FakeApi::serve(&[&crate::common::fixture("healthy")]);
    let staging = FakeApi::serve(&[&crate::common::fixture("rotation-bundle-deployed")]);
    let k = kubeconfig(
        tmp.path(),
        &[
            ("prod", Some(&prod)),
            ("staging", Some(&staging)),
            ("lab", None),
        ],
    );
    let (out, page, report, _) = run_html_and_json(
        &[
            "check",
            "--kubeconfig",
            k.to_str().unwrap(),
            "--all-contexts",
            "--at",
            AT,
        ],
        tmp.path(),
        "clusters",
    );
    assert_eq!(out.status.code(), Some(2), "lab cannot be read");
    let source = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&source, "clusters");
    let dom = dump_dom(&page).unwrap();
    assert!(dom.contains("data-exit-code=\"2\""));
    assert!(dom.contains("data-verdict=\"fail\""));
    // The summary first, then one section per cluster, in the JSON's order.
    let summary = dom.find("class=\"summary\"").unwrap();
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 3);
    let mut last = summary;
    for (i, c) in clusters.iter().enumerate() {
        let at = dom.find(&format!("id=\"cluster-{i}\"")).unwrap();
        assert!(at > last, "section {i} out of order");
        last = at;
        let section_end = dom[at..].find("</section>").unwrap() + at;
        let section = &dom[at..section_end];
        let name = c["context"].as_str().unwrap();
        assert!(section.contains(&format!("cluster {name}")), "{section}");
        if c.get("error").is_some() {
            assert!(section.contains("could not be read"), "{section}");
        } else {
            assert_eq!(timeline_rows(section), json_certificates(c), "{name}");
            for d in descriptions(c) {
                assert!(unescape(section).contains(&d), "{name}: {d}");
            }
        }
    }
    // staging is mid-rotation: the stage and next step are shown, as `meshcert rotation` gives them.
    let staging_at = dom.find("id=\"cluster-1\"").unwrap();
    let staging_section = &dom[staging_at..];
    assert!(
        staging_section.contains("data-stage=\"bundle-deployed\""),
        "no rotation block"
    );
    assert!(staging_section.contains("next: step 2 of 6"));
    assert!(
        !dom[..staging_at].contains("data-stage="),
        "prod is not rotating"
    );
    let png = tmp.path().join("clusters.png");
    assert!(screenshot(&page, &png) > 10_000);
}

/// A certificate whose CN and SANs hold markup, quotes and ampersands: the page shows them as
/// text and no markup of theirs is live.
#[test]
fn markup_in_certificates_stays_text() {
    if crate::programs::require("chromium", "chromium").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let evil = r#"<script>alert("pwned")</script><img src=x onerror=alert(1)> & 'q'"#;
    let anchor_key = rcgen::KeyPair::generate().unwrap();
    let mut anchor = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    anchor.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    anchor
        .distinguished_name
        .push(rcgen::DnType::CommonName, evil);
    // Expiring inside the 60-day margin at AT: the anchor's CN lands in an error message too.
    anchor.not_before = time::macros::datetime!(2026-01-01 0:00 UTC);
    anchor.not_after = time::macros::datetime!(2026-12-22 0:00 UTC);
    let anchor_cert = anchor.self_signed(&anchor_key).unwrap();
    let issuer_key = rcgen::KeyPair::generate().unwrap();
    let mut issuer = rcgen::CertificateParams::new(vec![
        "a\"b&c<d>.example".to_string(),
        "x'y.example".to_string(),
    ])
    .unwrap();
    issuer.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    issuer
        .distinguished_name
        .push(rcgen::DnType::CommonName, evil);
    issuer.not_before = time::macros::datetime!(2026-01-01 0:00 UTC);
    issuer.not_after = time::macros::datetime!(2026-12-20 0:00 UTC);
    let ca = rcgen::Issuer::from_params(&anchor, &anchor_key);
    let issuer_cert = issuer.signed_by(&issuer_key, &ca).unwrap();
    let write = |name: &str, text: String| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (a, c, k) = (
        write("ca.crt", anchor_cert.pem()),
        write("issuer.crt", issuer_cert.pem()),
        write("issuer.key", issuer_key.serialize_pem()),
    );
    let args = [
        "check",
        "--trust-anchors",
        &a,
        "--issuer-cert",
        &c,
        "--issuer-key",
        &k,
        "--at",
        AT,
    ];
    let (_, page, report, _) = run_html_and_json(&args, tmp.path(), "evil");
    assert!(
        serde_json::to_string(&report)
            .unwrap()
            .contains("<script>alert")
    );
    let source = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&source, "evil");
    assert!(source.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"));
    assert!(source.contains("a&quot;b&amp;c&lt;d&gt;.example"));
    let dom = dump_dom(&page).unwrap();
    // Chromium parsed no element out of them: no script, no img; their text is on the page.
    assert!(!dom.to_ascii_lowercase().contains("<script"), "live script");
    assert!(!dom.to_ascii_lowercase().contains("<img"), "live img");
    let text = unescape(&dom);
    assert!(text.contains(evil), "the CN is shown as text");
    assert!(
        text.contains("a\"b&c<d>.example"),
        "the SAN is shown as text"
    );
    // The private key never reaches the page.
    let key_line = issuer_key
        .serialize_pem()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(!source.contains(&key_line));
}

/// Linked clusters: the link matrix, rendered by Chromium, has a cell per Link whose glyph is
/// the JSON's verdict both ways (√ trusted by roots and proxies, × not, ? not compared).
#[test]
fn the_link_matrix_shows_each_links_verdict_as_the_json_has_it() {
    let _serial = serial();
    if crate::programs::require("chromium", "chromium").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for scenario in ["triple", "issuer-ahead", "broken"] {
        let dir = format!("fixtures/multicluster/{scenario}");
        let (_, page, report, _) =
            run_html_and_json(&["check", "--from", &dir, "--at", AT], tmp.path(), scenario);
        let dom = dump_dom(&page).unwrap();
        let matrix = &dom[dom.find("<table class=\"links\"").expect("the matrix")..];
        let matrix = &matrix[..matrix.find("</table>").unwrap()];
        let mut cells = 0;
        for c in report["clusters"].as_array().unwrap() {
            let source = c["context"].as_str().unwrap();
            // The verdict per target, from the two checks' details.
            let mut verdicts: std::collections::BTreeMap<String, Option<bool>> = Default::default();
            for cat in c["categories"].as_array().unwrap() {
                for check in cat["checks"].as_array().unwrap() {
                    for l in check["details"]["links"].as_array().into_iter().flatten() {
                        let t = l["target"].as_str().unwrap().to_string();
                        let v = l["trusted"].as_bool();
                        let e = verdicts.entry(t).or_insert(v);
                        *e = match (*e, v) {
                            (Some(false), _) | (_, Some(false)) => Some(false),
                            (Some(true), Some(true)) => Some(true),
                            _ => None,
                        };
                    }
                }
            }
            for (target, v) in verdicts {
                let (class, glyph) = match v {
                    Some(true) => ("ok", "√"),
                    Some(false) => ("error", "×"),
                    None => ("unknown", "?"),
                };
                let cell = format!(
                    "<td class=\"link {class}\" data-source=\"{source}\" data-target=\"{target}\""
                );
                let at = matrix
                    .find(&cell)
                    .unwrap_or_else(|| panic!("{scenario}: no {cell} in {matrix}"));
                let rest = &matrix[at..];
                let content = &rest[rest.find('>').unwrap() + 1..rest.find("</td>").unwrap()];
                assert_eq!(content, glyph, "{scenario}: {source} → {target}");
                cells += 1;
            }
        }
        // A check that could not compare every Link is skipped, without per-Link details
        // (broken: east's Link to north is not in the run); the others have a cell each.
        assert!(cells >= 1, "{scenario}");
    }
}
