//! The rotation across linked clusters: each cluster's next step of Linkerd's procedure, held
//! where it would break a linked cluster. A cluster deploys an issuer from its new anchor
//! (step 3) only once every cluster linked to it trusts that anchor in its bundle and in every
//! proxy; it removes an old anchor (step 6) only once no linked cluster's issuer still chains to
//! it.

use serde::Serialize;

use super::{AnchorState, Rotation};
use crate::multicluster::{Peer, links};

/// One cluster's place in the fleet's rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetStep {
    pub cluster: String,
    /// The step of the procedure it would take next (1–6), when one applies.
    pub next_step: Option<u8>,
    /// Why it must wait for a linked cluster, when it must.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// The clusters it is linked with (either way).
    pub linked: Vec<String>,
    /// What the fleet changes in the step (step 1: bundle the anchor a linked cluster already
    /// bundled, rather than a new one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn short(a: &AnchorState) -> String {
    format!(
        "{} (sha256 {}…)",
        a.common_name,
        &a.sha256_fingerprint[..16]
    )
}

/// Whether `r`'s cluster trusts the anchor `fp` everywhere: in its bundle and in every proxy
/// compared.
fn trusts_everywhere(r: &Rotation, fp: &str) -> bool {
    r.anchors.iter().any(|a| {
        a.sha256_fingerprint == fp && a.in_bundle && a.trusted_by_proxies >= r.proxies.compared
    })
}

/// The plan for `clusters` (each with its assessment), linked as their Links say (`peers` are
/// the same clusters, for finding each Link's target).
pub fn plan(clusters: &[(&Peer<'_>, &Rotation)]) -> Vec<FleetStep> {
    let peers: Vec<Peer<'_>> = clusters
        .iter()
        .map(|(p, _)| Peer {
            name: p.name.clone(),
            server: p.server.clone(),
            snapshot: p.snapshot,
        })
        .collect();
    // Who is linked with whom, either way.
    let mut edges: Vec<(String, String)> = Vec::new();
    for p in &peers {
        for v in links(p.snapshot, &peers) {
            if let Some(t) = v.target {
                edges.push((p.name.clone(), t.name.clone()));
            }
        }
    }
    let linked = |name: &str| -> Vec<String> {
        let mut out: Vec<String> = edges
            .iter()
            .filter_map(|(a, b)| {
                if a == name {
                    Some(b.clone())
                } else if b == name {
                    Some(a.clone())
                } else {
                    None
                }
            })
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let rotation_of = |name: &str| {
        clusters
            .iter()
            .find(|(p, _)| p.name == name)
            .map(|(_, r)| *r)
    };
    clusters
        .iter()
        .map(|(p, r)| {
            let others = linked(&p.name);
            let mut holds: Vec<String> = Vec::new();
            match r.procedure_step {
                Some(3) => {
                    if let Some(new) = r.anchors.iter().find(|a| a.role == "new") {
                        for o in &others {
                            let Some(or) = rotation_of(o) else { continue };
                            if !trusts_everywhere(or, &new.sha256_fingerprint) {
                                holds.push(format!(
                                    "{o} does not trust the new anchor {} everywhere yet (it is at stage {}): bundle it there and restart its workloads first, or {o}'s proxies reject the certificates {}'s new issuer signs",
                                    short(new),
                                    or.stage.as_str(),
                                    p.name
                                ));
                            }
                        }
                    }
                }
                Some(6) => {
                    for old in r.anchors.iter().filter(|a| a.role == "old" && a.in_bundle) {
                        for o in &others {
                            let Some(or) = rotation_of(o) else { continue };
                            if or.issuer.signed_by == old.sha256_fingerprint {
                                holds.push(format!(
                                    "{o}'s issuer is still signed by the old anchor {}: {}'s proxies need it to accept {o}'s certificates; remove it after {o}'s issuer comes from the new anchor",
                                    short(old),
                                    p.name
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
            // Step 1 on a cluster whose linked clusters have bundled a new anchor: that one.
            let note = (r.procedure_step == Some(1))
                .then(|| {
                    others.iter().find_map(|o| {
                        let or = rotation_of(o)?;
                        let new = or.anchors.iter().find(|a| a.role == "new")?;
                        Some(format!(
                            "bundle the new anchor {o} has bundled, {}, not another one: the linked clusters' issuers must end up on one anchor every side trusts",
                            short(new)
                        ))
                    })
                })
                .flatten();
            FleetStep {
                cluster: p.name.clone(),
                next_step: r.procedure_step,
                hold: (!holds.is_empty()).then(|| holds.join("; ")),
                linked: others,
                note,
            }
        })
        .collect()
}
