//! Every pair of rotation stages, on both sides of a Link: linkerd's verdict (equal anchor
//! sets in linkerd-config) and meshcert's (each side's issuer anchor in the other side's roots,
//! and in every proxy's bundle there), against an independent rule of set membership.

use crate::cert::testutil::{Made, Spec, p256, self_signed, signed};
use crate::consistency_checks::testutil::with_pods;
use crate::identity_checks::testutil::cx;
use crate::multicluster::Peer;
use crate::snapshot::{
    Kind, Link, Object, ObjectRef, ObjectState, RemoteKubeconfig, Secret, Snapshot,
};

/// One side: its roots (linkerd-config and the trust roots alike), its issuer's anchor, and the
/// bundle its proxies carry; `true` in a set means the new anchor, `false` the old.
struct Stage {
    name: &'static str,
    roots: &'static [bool],
    issuer_from_new: bool,
    pods: &'static [bool],
}

const STAGES: [Stage; 6] = [
    Stage {
        name: "before",
        roots: &[false],
        issuer_from_new: false,
        pods: &[false],
    },
    Stage {
        name: "bundle-deployed",
        roots: &[true, false],
        issuer_from_new: false,
        pods: &[false],
    },
    Stage {
        name: "workloads-restarted",
        roots: &[true, false],
        issuer_from_new: false,
        pods: &[true, false],
    },
    Stage {
        name: "issuer-deployed",
        roots: &[true, false],
        issuer_from_new: true,
        pods: &[true, false],
    },
    Stage {
        name: "done-pods-stale",
        roots: &[true],
        issuer_from_new: true,
        pods: &[true, false],
    },
    Stage {
        name: "done",
        roots: &[true],
        issuer_from_new: true,
        pods: &[true],
    },
];

fn pem(set: &[bool], old: &Made, new: &Made) -> String {
    set.iter()
        .map(|n| if *n { new.pem.clone() } else { old.pem.clone() })
        .collect()
}

/// `stage`'s snapshot, with a Link to the cluster at `target_server`.
fn cluster(
    stage: &Stage,
    old: &Made,
    new: &Made,
    issuers: &(Made, Made),
    target_server: &str,
) -> Snapshot {
    let roots = pem(stage.roots, old, new);
    let issuer = if stage.issuer_from_new {
        &issuers.1
    } else {
        &issuers.0
    };
    let pods = pem(stage.pods, old, new);
    let mut snap = with_pods(&roots, issuer, &roots, &[("app", "web", &pods)]);
    let link = ObjectRef::new(Kind::Link, "linkerd-multicluster", "target");
    snap.insert(
        link,
        ObjectState::Present {
            object: Object::Link(Link {
                target_cluster_name: Some("target".into()),
                credentials_secret: Some("cluster-credentials-target".into()),
                ..Default::default()
            }),
            from: "test".into(),
        },
    );
    snap.insert(
        ObjectRef::new(
            Kind::Secret,
            "linkerd-multicluster",
            "cluster-credentials-target",
        ),
        ObjectState::Present {
            object: Object::Secret(Secret {
                kubeconfig: Some(Ok(RemoteKubeconfig {
                    server: Some(target_server.into()),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            from: "test".into(),
        },
    );
    snap
}

#[test]
fn every_pair_of_rotation_stages_gets_linkerds_verdict_and_the_trust_it_really_has() {
    let old = self_signed(Spec::ca("root-old", 1), p256());
    let mut spec = Spec::ca("root-new", 2);
    spec.not_before = "2026-10-01T00:00:00Z";
    let new = self_signed(spec, p256());
    let issuers = (
        signed(Spec::ca("identity", 3), p256(), &old),
        signed(Spec::ca("identity", 4), p256(), &new),
    );
    let cx = cx();
    let mut pairs = 0;
    for a in &STAGES {
        for b in &STAGES {
            let sa = cluster(a, &old, &new, &issuers, "https://b");
            let sb = cluster(b, &old, &new, &issuers, "https://a");
            let peers = [
                Peer {
                    name: "a".into(),
                    server: Some("https://a".into()),
                    snapshot: &sa,
                },
                Peer {
                    name: "b".into(),
                    server: Some("https://b".into()),
                    snapshot: &sb,
                },
            ];
            let report = crate::report::run_among(&sa, &peers, &cx, crate::registry::ALL);
            let result = |id: &str| {
                report
                    .results()
                    .find(|r| r.id == id)
                    .map(|r| r.result.as_str())
                    .unwrap()
            };
            let label = format!("a {} → b {}", a.name, b.name);
            // linkerd: the same anchors, as many.
            let mut ra = a.roots.to_vec();
            let mut rb = b.roots.to_vec();
            ra.sort();
            rb.sort();
            let share = if ra == rb { "success" } else { "error" };
            assert_eq!(
                result("l5d-multicluster-clusters-share-anchors"),
                share,
                "{label}"
            );
            // meshcert: each issuer's anchor among the other side's roots, and its proxies'.
            let roots_ok =
                a.roots.contains(&b.issuer_from_new) && b.roots.contains(&a.issuer_from_new);
            let proxies_ok =
                a.pods.contains(&b.issuer_from_new) && b.pods.contains(&a.issuer_from_new);
            let verdict = |ok: bool| if ok { "success" } else { "error" };
            assert_eq!(
                result("meshcert-multicluster-issuers-trusted"),
                verdict(roots_ok),
                "{label}"
            );
            assert_eq!(
                result("meshcert-multicluster-rotation-safe"),
                verdict(proxies_ok),
                "{label}"
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 36);
}
