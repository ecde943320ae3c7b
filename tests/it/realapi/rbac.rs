//! Least privilege, both ways, against the real authorizer: with deploy/base/rbac.yaml as
//! shipped no read is refused (the scenario tests run under it); with any single permission
//! taken away (one verb on one resource, or one resource name), generated from the file, the
//! run meets a real 403 and reports it as documented: the run completes, the checks that needed
//! the object say it is forbidden and name it, and every other check says what it said before.

use serde_json::{Value, json};

use super::{cluster, meshcert_live, report};
use crate::common::rbac::{Atom, atoms};
use crate::common::{fixture, root};
use meshcert_checks::reads::components;

fn rule_of(a: &Atom) -> Value {
    let mut rule = json!({"apiGroups": [a.group], "resources": [a.resource], "verbs": [a.verb]});
    if let Some(name) = &a.name {
        rule["resourceNames"] = json!([name]);
    }
    rule
}

/// The file with every rule written out one permission per rule, less `removed`.
fn without(docs: &[Value], all: &[Atom], removed: usize) -> Vec<Value> {
    let mut docs = docs.to_vec();
    for (i, d) in docs.iter_mut().enumerate() {
        if d["kind"] == "Role" || d["kind"] == "ClusterRole" {
            let rules: Vec<Value> = all
                .iter()
                .enumerate()
                .filter(|(j, a)| a.doc == i && *j != removed)
                .map(|(_, a)| rule_of(a))
                .collect();
            d["rules"] = json!(rules);
        }
    }
    docs
}

const SERVICE_ACCOUNT: &str = "system:serviceaccount:meshcert:meshcert";

/// Waits until the authorizer answers `allowed` for `atom` as meshcert's ServiceAccount: it
/// reads RBAC objects through a cache, a moment behind their writes.
fn settle(c: &super::Cluster, docs: &[Value], atom: &Atom, allowed: bool) {
    let resource = match (atom.group.as_str(), &atom.name) {
        ("", Some(n)) => format!("{}/{n}", atom.resource),
        ("", None) => atom.resource.clone(),
        (g, Some(n)) => format!("{}.{g}/{n}", atom.resource),
        (g, None) => format!("{}.{g}", atom.resource),
    };
    let mut args = vec![
        "auth",
        "can-i",
        atom.verb.as_str(),
        resource.as_str(),
        "--as",
        SERVICE_ACCOUNT,
    ];
    let namespace = docs[atom.doc]["metadata"]["namespace"].as_str();
    if let Some(ns) = namespace {
        args.extend(["-n", ns]);
    }
    let want = if allowed { "yes" } else { "no" };
    for _ in 0..100 {
        let o = c.kubectl(&args, None);
        if String::from_utf8_lossy(&o.stdout).trim() == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{atom:?}: the authorizer never answered {want}");
}

fn checks(report: &Value) -> Vec<Value> {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["checks"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn each_permission_of_deploy_base_taken_away_meets_a_real_403_reported_where_it_belongs() {
    let Some((c, _lock)) = cluster() else { return };
    let shipped = std::fs::read_to_string(root().join("deploy/base/rbac.yaml")).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple::<Value>(&shipped)
        .unwrap()
        .into_iter()
        .filter(Value::is_object)
        .collect();
    let all = atoms(&docs);
    assert!(all.len() >= 20, "{all:?}");
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = c.meshcert_kubeconfig(tmp.path());
    let run = || meshcert_live(&kubeconfig, &["check", "-o", "json"]);
    let everything = without(&docs, &all, usize::MAX);

    for (i, atom) in all.iter().enumerate() {
        // A scenario that reads what the permission allows: viz and jaeger installed for the
        // named reads; an issuer that cert-manager manages for Certificates.
        let scenario = match (atom.verb.as_str(), atom.resource.as_str()) {
            // The extensions' webhook Certificates, in their namespaces.
            (_, "certificates")
                if docs[atom.doc]["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|ns| ns != "linkerd") =>
            {
                "viz-cert-manager-renewing"
            }
            (_, "certificates") => "cert-manager-renewing",
            // trust-manager's bundles, and the control plane's namespace their selector matches.
            (_, "bundles" | "clusterbundles") | ("get", "namespaces") => {
                "trust-manager-external-ca"
            }
            _ => "viz-tap-expired",
        };
        let _applied = c.load(&fixture(scenario));
        // A legacy Secret is read only when the current one does not exist.
        let legacy_of = components().into_iter().find(|comp| {
            comp.legacy_secret.is_some() && comp.legacy_secret == atom.name.as_deref()
        });
        let namespace = docs[atom.doc]["metadata"]["namespace"]
            .as_str()
            .unwrap_or("");
        if let Some(comp) = legacy_of {
            c.kubectl_ok(&["delete", "secret", "-n", namespace, comp.secret]);
        }
        // What the same objects give with every permission (the file written one permission
        // per rule allows what it allows as shipped): no 403.
        c.apply(&everything);
        for a in &all {
            settle(c, &docs, a, true);
        }
        let baseline = run();
        assert!(
            !String::from_utf8_lossy(&baseline.stdout).contains("forbidden"),
            "{atom:?}: {}",
            String::from_utf8_lossy(&baseline.stdout)
        );
        let expected = report(&baseline, "with every permission");

        c.apply(&without(&docs, &all, i));
        settle(c, &docs, atom, false);
        let o = run();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{atom:?}: the run must complete: {stderr}"
        );
        let got = report(&o, &format!("{atom:?}"));
        let got_checks = checks(&got);
        let changed: Vec<Value> = got_checks
            .iter()
            .filter(|g| !checks(&expected).contains(g))
            .cloned()
            .collect();
        // Checks that are in a report only where trust-manager's bundle was read leave it when
        // the bundle may not be read (its check names the 403); no other check leaves.
        let gone: Vec<Value> = checks(&expected)
            .into_iter()
            .filter(|e| !got_checks.iter().any(|g| g["id"] == e["id"]))
            .map(|e| e["id"].clone())
            .collect();
        let only_trust_managers = gone.iter().all(|id| {
            [
                "meshcert-previous-anchor-plain-copy",
                "meshcert-trust-anchor-not-renewed-unattended",
            ]
            .contains(&id.as_str().unwrap_or_default())
        });
        // Without listing namespaces, the extensions are not found and their checks leave too
        // (documented below).
        let listing_namespaces = atom.verb == "list" && atom.resource == "namespaces";
        assert!(
            gone.is_empty()
                || listing_namespaces
                || (only_trust_managers && atom.resource.ends_with("bundles")),
            "{atom:?}: checks left the report: {gone:?}"
        );
        match (atom.verb.as_str(), atom.resource.as_str()) {
            ("list", "namespaces") => {
                // Documented: a warning naming the rule, and the extensions are not found.
                assert!(
                    stderr.contains("cannot list namespaces to find the viz and jaeger extensions")
                        && stderr.contains("forbidden"),
                    "{stderr}"
                );
            }
            ("list", "events") => {
                // The runtime check that reads them says so (its reason is left out of `report`'s
                // comparisons, so it is read from the document as printed).
                let raw: Value = serde_json::from_slice(&o.stdout).unwrap();
                let r =
                    crate::common::check_result(&raw, "meshcert-identity-loaded-current-issuer");
                let reason = r["reason"].as_str().unwrap_or_default();
                assert!(
                    r["result"] == "skipped"
                        && reason.contains("the issuer Events may not be read: forbidden")
                        && reason.contains("resources: [\"events\"], verbs: [\"list\"]"),
                    "{atom:?}: {r}"
                );
                assert!(changed.is_empty(), "{atom:?}: {changed:?}");
            }
            ("list", "pods") => {
                // The data-plane check fails with the reason; the ones that need the proxies'
                // bundles skip with it.
                assert!(
                    changed
                        .iter()
                        .any(|c| c["id"] == "l5d-identity-data-plane-proxies-certs-match-ca"),
                    "{changed:?}"
                );
                for check in &changed {
                    let text = check.to_string();
                    assert!(
                        text.contains("cannot list meshed pods: forbidden")
                            && text.contains("resources: [\\\"pods\\\"], verbs: [\\\"list\\\"]"),
                        "{atom:?}: {text}"
                    );
                }
            }
            _ => {
                // A grant by any name: the object the scenario reads.
                let name = atom
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("Certificate {namespace}/"));
                // The checks that needed the object name it as forbidden; the ones that build on
                // them are skipped, pointing at one of those; nothing else changes.
                let (naming, rest): (Vec<&Value>, Vec<&Value>) = changed.iter().partition(|c| {
                    let text = c.to_string();
                    text.contains("forbidden") && text.contains(&name)
                });
                assert!(
                    !naming.is_empty(),
                    "{atom:?}: no check named the forbidden object: {changed:?}"
                );
                for check in rest {
                    let reason = check["reason"].as_str().unwrap_or_default();
                    assert!(
                        check["result"] == "skipped"
                            && naming.iter().any(|n| {
                                reason.contains(&format!(
                                    "(see \"{}\")",
                                    n["description"].as_str().unwrap()
                                ))
                            }),
                        "{atom:?}: {} changed, neither naming the forbidden object nor skipped because of a check that does: {check}",
                        check["id"]
                    );
                }
                // The message names the object and the rule that would allow the read.
                let needs = format!("resources: [\\\"{}\\\"]", atom.resource);
                assert!(
                    changed.iter().any(|c| c.to_string().contains(&needs)),
                    "{atom:?}: no message names the rule: {changed:?}"
                );
            }
        }
    }
    c.apply_rbac(&shipped);
}
