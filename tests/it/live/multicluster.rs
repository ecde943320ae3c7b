//! Linked clusters live: two fake API servers, one per cluster, read in one run. Each cluster's
//! Links are listed in the multicluster extension's namespace and their credentials Secrets
//! read; the report equals the offline report of the two dumps.

use super::*;

#[test]
fn two_linked_clusters_read_live_give_the_offline_verdicts() {
    for scenario in ["staged", "issuer-ahead", "broken"] {
        let dir = root().join("fixtures/multicluster").join(scenario);
        let east = FakeApi::serve(&[&dir.join("east")]);
        let west = FakeApi::serve(&[&dir.join("west")]);
        let tmp = tempfile::tempdir().unwrap();
        let k = kubeconfig(tmp.path(), &[("east", Some(&east)), ("west", Some(&west))]);
        let online = live(
            &k,
            &["--context", "east", "--context", "west", "-o", "json"],
        );
        let offline = check_json_from(&dir);
        assert_eq!(
            online.status.code(),
            offline.status.code(),
            "{scenario}: {}",
            stderr(&online)
        );
        let normalise = |mut v: Value| {
            for c in v["clusters"].as_array_mut().unwrap() {
                c.as_object_mut().unwrap().remove("source");
                crate::common::without_runtime_skip_reasons(c);
            }
            v
        };
        let (a, b) = (normalise(json(&offline)), normalise(json(&online)));
        assert_eq!(a, b, "{scenario}: live and offline reports differ");
        // The Links were listed, and each credentials Secret read by name.
        let requests = east.requests();
        assert!(
            requests.iter().any(|r| r.starts_with(
                "GET /apis/multicluster.linkerd.io/v1alpha3/namespaces/linkerd-multicluster/links"
            )),
            "{requests:#?}"
        );
        assert!(
            requests.iter().any(|r| r.starts_with(
                "GET /api/v1/namespaces/linkerd-multicluster/secrets/cluster-credentials-west"
            )),
            "{requests:#?}"
        );
        // No token in any output.
        let text = String::from_utf8_lossy(&online.stdout);
        assert!(!text.contains("eyJ"), "{scenario}");
    }
}

/// Writes `dir`'s objects into `to`, with the credentials Secret of the Link to `target`
/// holding `kubeconfig` (as `linkerd multicluster link` writes it for a reachable target).
fn with_credentials(dir: &Path, to: &Path, target: &str, kubeconfig: &str) {
    use base64::Engine as _;
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name != "linkerd-identity.yaml" {
            std::fs::copy(&path, to.join(&name)).unwrap();
            continue;
        }
        let mut items = crate::fake_api::documents(&path);
        for o in &mut items {
            if o["kind"] == "Secret"
                && o["metadata"]["name"] == format!("cluster-credentials-{target}").as_str()
            {
                o["data"]["kubeconfig"] =
                    serde_json::json!(base64::engine::general_purpose::STANDARD.encode(kubeconfig));
            }
        }
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        std::fs::write(to.join("linkerd-identity.json"), list.to_string()).unwrap();
    }
}

/// One cluster read, as `linkerd multicluster check` reads it: its Link's credentials reach the
/// target, whose linkerd-config gives linkerd's verdict; its pods are not read there, so the
/// checks that need them say so rather than pass. `--no-follow-links` leaves the target alone.
#[test]
fn a_links_target_outside_the_run_is_reached_through_its_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = root().join("fixtures/multicluster/staged");
    let west = FakeApi::serve(&[&dir.join("west")]);
    let west_only = tmp.path().join("west-only");
    std::fs::create_dir_all(&west_only).unwrap();
    let west_config =
        std::fs::read_to_string(kubeconfig(&west_only, &[("west", Some(&west))])).unwrap();
    let east_dir = tmp.path().join("east");
    with_credentials(&dir.join("east"), &east_dir, "west", &west_config);
    let east = FakeApi::serve(&[&east_dir]);
    let k = kubeconfig(tmp.path(), &[("east", Some(&east))]);
    let online = live(&k, &["-o", "json"]);
    let report = json(&online);
    let share = result(&report, "l5d-multicluster-clusters-share-anchors");
    assert_eq!(share["result"], "error", "{share}");
    assert_eq!(share["error"], "Problematic clusters:\n    * west");
    // Reached: west's linkerd-config was read through the credentials.
    assert!(
        west.requests()
            .iter()
            .any(|r| r.starts_with("GET /api/v1/namespaces/linkerd/configmaps/linkerd-config")),
        "{:#?}",
        west.requests()
    );
    // Its issuer verifies against east's roots and east's against west's; its pods were not read.
    let issuers = result(&report, "meshcert-multicluster-issuers-trusted");
    assert_eq!(issuers["result"], "success", "{issuers}");
    let rotation = result(&report, "meshcert-multicluster-rotation-safe");
    assert_eq!(rotation["result"], "skipped", "{rotation}");
    assert!(
        rotation["reason"]
            .as_str()
            .unwrap()
            .contains("the pods of west were not read"),
        "{rotation}"
    );
    // Without following: not compared.
    let alone = json(&live(&k, &["-o", "json", "--no-follow-links"]));
    assert_eq!(
        result(&alone, "l5d-multicluster-clusters-share-anchors")["result"],
        "skipped"
    );
    // An unreachable target: linkerd's "unable to fetch anchors", naming it.
    let dead_dir = tmp.path().join("dead");
    std::fs::create_dir_all(&dead_dir).unwrap();
    let dead = std::fs::read_to_string(kubeconfig(&dead_dir, &[("west", None)])).unwrap();
    let east_dead = tmp.path().join("east-dead");
    with_credentials(&dir.join("east"), &east_dead, "west", &dead);
    let east2 = FakeApi::serve(&[&east_dead]);
    let k2 = kubeconfig(&dead_dir, &[("east", Some(&east2))]);
    let report = json(&live(&k2, &["-o", "json"]));
    let share = result(&report, "l5d-multicluster-clusters-share-anchors");
    let error = share["error"].as_str().unwrap();
    assert!(
        error.starts_with("Problematic clusters:\n    * west: unable to fetch anchors: "),
        "{error}"
    );
}

/// Snapshots of two linked clusters, each naming its cluster (`cluster-name`), checked together
/// offline give the live verdicts, and hold no token.
#[test]
fn snapshots_of_linked_clusters_name_their_clusters_and_give_the_live_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = root().join("fixtures/multicluster/issuer-ahead");
    let mut snapshots = Vec::new();
    let mut apis = Vec::new();
    for name in ["east", "west"] {
        let api = FakeApi::serve(&[&dir.join(name)]);
        let home = tmp.path().join(format!("{name}-config"));
        std::fs::create_dir_all(&home).unwrap();
        let k = kubeconfig(&home, &[(name, Some(&api))]);
        // Each alone: the other is outside the run and its credentials point nowhere.
        let out = tmp.path().join(format!("snapshot-of-{name}"));
        let written = meshcert(&[
            "snapshot",
            "--kubeconfig",
            k.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-follow-links",
        ]);
        assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
        assert_eq!(
            std::fs::read_to_string(out.join("cluster-name")).unwrap(),
            format!("{name}\n")
        );
        let objects = std::fs::read_to_string(out.join("objects.yaml")).unwrap();
        assert!(objects.contains("kind: Link"), "{objects}");
        // The credentials keep a stand-in token carrying the expiry only.
        use base64::Engine as _;
        let docs = crate::fake_api::documents(&out.join("objects.yaml"));
        let secret = docs
            .iter()
            .find(|d| {
                d["kind"] == "Secret"
                    && d["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .starts_with("cluster-credentials-")
            })
            .expect("the credentials Secret");
        let kubeconfig = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(secret["data"]["kubeconfig"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert!(kubeconfig.contains(".redacted-by-meshcert"), "{kubeconfig}");
        assert!(
            !kubeconfig.contains("c2lnbmF0dXJl"),
            "the token's signature: {kubeconfig}"
        );
        assert!(!objects.contains("c2lnbmF0dXJl"));
        snapshots.push(out);
        apis.push(api);
    }
    let from_snapshots = meshcert(&[
        "check",
        "--from",
        snapshots[0].to_str().unwrap(),
        "--from",
        snapshots[1].to_str().unwrap(),
        "--at",
        AT,
        "-o",
        "json",
    ]);
    let offline = check_json_from(&dir);
    assert_eq!(from_snapshots.status.code(), offline.status.code());
    let normalise = |mut v: Value| {
        for c in v["clusters"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("source");
            crate::common::without_runtime_skip_reasons(c);
        }
        v
    };
    assert_eq!(normalise(json(&from_snapshots)), normalise(json(&offline)));
}

/// A cluster that serves only an older Link version: the Links are listed at the newest version
/// it serves (a 404 for the newer ones), and give the same verdicts.
#[test]
fn links_of_an_older_version_are_listed_where_the_newer_one_is_not_served() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = root().join("fixtures/multicluster/staged");
    let east_dir = tmp.path().join("east");
    std::fs::create_dir_all(&east_dir).unwrap();
    for entry in std::fs::read_dir(dir.join("east")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().replace(
            "multicluster.linkerd.io/v1alpha3",
            "multicluster.linkerd.io/v1alpha2",
        );
        std::fs::write(east_dir.join(path.file_name().unwrap()), text).unwrap();
    }
    let east = FakeApi::serve(&[&east_dir]);
    east.fault("/apis/multicluster.linkerd.io/v1alpha3/", 404, usize::MAX);
    let west = FakeApi::serve(&[&dir.join("west")]);
    let k = kubeconfig(tmp.path(), &[("east", Some(&east)), ("west", Some(&west))]);
    let report = json(&live(
        &k,
        &["--context", "east", "--context", "west", "-o", "json"],
    ));
    let east_report = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["context"] == "east")
        .unwrap();
    let share = result(east_report, "l5d-multicluster-clusters-share-anchors");
    assert_eq!(
        share["error"], "Problematic clusters:\n    * west",
        "{share}"
    );
    assert!(
        east.requests().iter().any(|r| r.starts_with(
            "GET /apis/multicluster.linkerd.io/v1alpha2/namespaces/linkerd-multicluster/links"
        )),
        "{:#?}",
        east.requests()
    );
}
