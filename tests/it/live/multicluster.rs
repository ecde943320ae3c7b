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
