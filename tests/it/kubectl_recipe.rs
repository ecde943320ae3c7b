//! README's offline recipe, `meshcert dump-commands`, run through a real kubectl against the
//! fake API server (tests/it/fake_api) serving each fixture scenario: the report from the dump
//! must equal the report from the fixture and the one from reading the cluster live. So what
//! meshcert parses is kubectl's own output (Lists of several names, empty answers for absent
//! objects, typed lists of a real API server), not an imitation of it.
//!
//! kubectl is on this project's machines (`.ci/run` installs Debian's `kubernetes-client` when
//! it is missing); without it the test fails under CI and is skipped elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{
    check_json_from, check_live, first_difference, fixture, meshcert, report, root, scenarios,
    serial,
};
use crate::fake_api::{FakeApi, kubeconfig};

fn kubectl_present() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the recipe in `dir` against the cluster of `kubeconfig`; returns the dump folder.
pub fn dump(script: &str, dir: &Path, kubeconfig: &Path) -> PathBuf {
    let path = dir.join("dump.sh");
    std::fs::write(&path, script).unwrap();
    let out = Command::new("sh")
        .arg(&path)
        .current_dir(dir)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", dir)
        .env_remove("KUBECTL")
        .env_remove("MESHCERT_DUMP")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the recipe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("meshcert-dump")
}

#[test]
fn the_dump_recipe_through_a_real_kubectl_gives_the_fixture_and_live_reports() {
    let _serial = serial();
    if !kubectl_present() {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is required in CI (apt-get install kubernetes-client)"
        );
        eprintln!("kubectl not found: the recipe test is skipped");
        return;
    }
    let script = String::from_utf8(meshcert(&["dump-commands"]).stdout).unwrap();
    let scenarios = scenarios();
    assert!(scenarios.len() >= 25, "{scenarios:?}");
    for scenario in &scenarios {
        let fixture = fixture(scenario);
        let tmp = tempfile::tempdir().unwrap();
        let api = FakeApi::serve(&[&fixture]);
        let k = kubeconfig(tmp.path(), &[("fake", Some(&api))]);
        let dumped = dump(&script, tmp.path(), &k);

        let from_fixture = check_json_from(&fixture);
        let from_dump = check_json_from(&dumped);
        let live = check_live(&k, &["-o", "json"]);
        assert_eq!(
            from_dump.status.code(),
            from_fixture.status.code(),
            "{scenario}: {}",
            String::from_utf8_lossy(&from_dump.stderr)
        );
        let expected = report(&from_fixture, "fixture");
        let (got_dump, got_live) = (report(&from_dump, "dump"), report(&live, "live"));
        assert!(
            got_dump == expected,
            "{scenario}: the report from kubectl's dump differs from the fixture's: {}",
            first_difference(&got_dump, &expected)
        );
        assert!(
            got_live == expected,
            "{scenario}: the live report differs from the fixture's: {}",
            first_difference(&got_live, &expected)
        );
    }
}

#[test]
fn the_readme_recipe_is_what_dump_commands_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let script = String::from_utf8(meshcert(&["dump-commands"]).stdout).unwrap();
    assert!(
        readme.contains(&script),
        "README.md must show `meshcert dump-commands` output verbatim:\n{script}"
    );
}
