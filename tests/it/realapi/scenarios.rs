//! Every fixture scenario, put into the real API server with kubectl and read by meshcert as
//! its ServiceAccount: the live report equals the offline report of the same objects, with no
//! 403 anywhere; and README's dump recipe through the real kubectl gives the same report.

use super::{cluster, first_difference, meshcert_live, report};
use crate::common::{check_json_from, fixture, meshcert, scenarios};

#[test]
fn every_scenario_live_as_the_service_account_equals_offline() {
    let Some((c, _lock)) = cluster() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = c.meshcert_kubeconfig(tmp.path());
    let scenarios = scenarios();
    assert!(scenarios.len() >= 40, "{scenarios:?}");
    for scenario in &scenarios {
        let dir = fixture(scenario);
        let _applied = c.load(&dir);
        let offline = check_json_from(&dir);
        let live = meshcert_live(&kubeconfig, &["check", "-o", "json"]);
        let stderr = String::from_utf8_lossy(&live.stderr);
        let stdout = String::from_utf8_lossy(&live.stdout);
        let denied: Vec<&str> = stderr
            .lines()
            .chain(stdout.lines())
            .filter(|l| l.contains("forbidden") || l.contains("403"))
            .collect();
        assert!(
            denied.is_empty(),
            "{scenario}: meshcert met a 403 with deploy/base's RBAC:\n{}",
            denied.join("\n")
        );
        assert_eq!(
            live.status.code(),
            offline.status.code(),
            "{scenario}: {stderr}"
        );
        let (got, expected) = (report(&live, "live"), report(&offline, "offline"));
        assert!(
            got == expected,
            "{scenario}: the live report differs from the offline one: {}",
            first_difference(&got, &expected)
        );
    }
}

#[test]
fn the_dump_recipe_through_kubectl_against_the_real_server_gives_the_live_report() {
    let Some((c, _lock)) = cluster() else { return };
    let script = String::from_utf8(meshcert(&["dump-commands"]).stdout).unwrap();
    for scenario in ["viz-tap-expired", "dataplane-stale", "cert-manager-stalled"] {
        let _applied = c.load(&fixture(scenario));
        let tmp = tempfile::tempdir().unwrap();
        let dumped = check_json_from(&crate::kubectl_recipe::dump(&script, tmp.path(), &c.admin));
        let kubeconfig = c.meshcert_kubeconfig(tmp.path());
        let live = meshcert_live(&kubeconfig, &["check", "-o", "json"]);
        assert_eq!(dumped.status.code(), live.status.code(), "{scenario}");
        let (got, expected) = (report(&dumped, "dump"), report(&live, "live"));
        assert!(
            got == expected,
            "{scenario}: the dump's report differs from the live one: {}",
            first_difference(&got, &expected)
        );
        // And both say what the fixture says.
        let offline = report(&check_json_from(&fixture(scenario)), "offline");
        assert!(
            got == offline,
            "{scenario}: {}",
            first_difference(&got, &offline)
        );
    }
}
