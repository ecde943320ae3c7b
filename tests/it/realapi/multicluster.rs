//! A cluster's Links on the real API server (the Link CRD installed): listed and their
//! credentials Secrets read as meshcert's ServiceAccount (with the opt-in Role of
//! deploy/base/opt-in/multicluster.yaml), the same report as offline and through the dump
//! recipe; the target, not in the run (and not followed), is "not compared" everywhere.

use super::{cluster, first_difference, meshcert_live, report};
use crate::common::{check_json_from, fixture, meshcert};

#[test]
fn a_clusters_links_live_as_the_service_account_through_the_dump_and_offline_agree() {
    let Some((c, _lock)) = cluster() else { return };
    let script = String::from_utf8(meshcert(&["dump-commands"]).stdout).unwrap();
    for scenario in ["shared", "broken"] {
        let dir = fixture(&format!("multicluster/{scenario}/east"));
        let _applied = c.load(&dir);
        let tmp = tempfile::tempdir().unwrap();
        let kubeconfig = c.meshcert_kubeconfig(tmp.path());
        // Offline, a target outside the run cannot be reached; live it would be, through the
        // Link's credentials (tests/it/live/multicluster.rs): left alone here to compare alike.
        let live = meshcert_live(&kubeconfig, &["check", "-o", "json", "--no-follow-links"]);
        let stdout = String::from_utf8_lossy(&live.stdout);
        assert!(!stdout.contains("forbidden"), "{scenario}: {stdout}");
        let offline = check_json_from(&dir);
        assert_eq!(live.status.code(), offline.status.code(), "{scenario}");
        let (got, expected) = (report(&live, "live"), report(&offline, "offline"));
        assert!(
            got == expected,
            "{scenario}: live differs from offline: {}",
            first_difference(&got, &expected)
        );
        let share = crate::common::check_result(&got, "l5d-multicluster-clusters-share-anchors");
        let wanted = if scenario == "broken" {
            "error"
        } else {
            "skipped"
        };
        assert_eq!(share["result"], wanted, "{scenario}: {share}");
        let dumped = check_json_from(&crate::kubectl_recipe::dump(&script, tmp.path(), &c.admin));
        let from_dump = report(&dumped, "dump");
        assert!(
            from_dump == got,
            "{scenario}: the dump differs from live: {}",
            first_difference(&from_dump, &got)
        );
    }
}
