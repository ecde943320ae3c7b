//! `meshcert rotation`: where a cluster stands in Linkerd's manual trust-anchor rotation, and
//! what to do next.
//!
//! The procedure ("manually rotating control plane TLS credentials"): (1) bundle a new anchor
//! with the old one and deploy the bundle; (2) restart every meshed workload; (3) issue a new
//! issuer from the new anchor and deploy it; (4) check the `IssuerUpdated` event; (5) restart the
//! workloads again; (6) remove the old anchor from the bundle and restart once more.
//!
//! What can be observed: the bundle (`linkerd-identity-trust-roots`), the anchor that signed the
//! issuer, the anchors each meshed proxy trusts, and when each pod was created. "New" is the
//! most recent anchor (latest notBefore) of the bundle; every other anchor is "old". A pod created
//! before the current issuer's notBefore may still present a certificate from the previous issuer.
//! Before a rotation and after a finished one look the same (one anchor, trusted by all).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cert::{Cert, format_time};
use crate::data_plane::{
    AnchorRef, BUNDLE_KEY, PodRef, TRUST_ROOTS, WorkloadRestart, pods_and_restarts, scoped_pods,
    trust_roots,
};
use crate::identity::SCHEME_LINKERD;
use crate::pem::decode_bundle_lenient;
use crate::snapshot::{Kind, ObjectRef, PodSummary, Snapshot};
use crate::verify::signer_among;

/// Where the cluster stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// One anchor, trusted by every proxy: no rotation in progress.
    Before,
    /// The bundle holds a new anchor; some proxies do not trust it yet.
    BundleDeployed,
    /// Every proxy trusts the new anchor; the issuer still comes from the old one.
    WorkloadsRestarted,
    /// The issuer comes from the new anchor; pods created before it remain.
    IssuerDeployed,
    /// The old anchor is still bundled but nothing in use chains to it.
    OldAnchorUnused,
    /// The old anchor is out of the bundle; some proxies still carry it until restarted.
    Done,
    /// Dangerous: the issuer is signed by an anchor some proxies do not trust.
    IssuerAheadOfProxies,
    /// Dangerous: an anchor left the bundle while a proxy (or the issuer) still needs it.
    OldAnchorRemovedTooEarly,
}

/// JSON names the stage as the table does.
impl Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Before => "before",
            Stage::BundleDeployed => "bundle-deployed",
            Stage::WorkloadsRestarted => "workloads-restarted",
            Stage::IssuerDeployed => "issuer-deployed",
            Stage::OldAnchorUnused => "old-anchor-unused",
            Stage::Done => "done",
            Stage::IssuerAheadOfProxies => "issuer-ahead-of-proxies",
            Stage::OldAnchorRemovedTooEarly => "old-anchor-removed-too-early",
        }
    }

    /// The state would break (or is breaking) mTLS.
    pub fn is_dangerous(self) -> bool {
        matches!(
            self,
            Stage::IssuerAheadOfProxies | Stage::OldAnchorRemovedTooEarly
        )
    }

    /// The step of the procedure to do next (1–6), if the procedure is under way or can start.
    pub fn next_procedure_step(self) -> Option<u8> {
        match self {
            Stage::Before => Some(1),
            Stage::BundleDeployed => Some(2),
            Stage::WorkloadsRestarted => Some(3),
            Stage::IssuerDeployed => Some(5),
            Stage::OldAnchorUnused => Some(6),
            Stage::Done | Stage::IssuerAheadOfProxies | Stage::OldAnchorRemovedTooEarly => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Stage::Before => "before a rotation: one trust anchor, trusted by every proxy",
            Stage::BundleDeployed => "new anchor bundled and deployed; workloads not all restarted",
            Stage::WorkloadsRestarted => {
                "every proxy trusts the new anchor; the issuer still comes from the old one"
            }
            Stage::IssuerDeployed => {
                "issuer from the new anchor deployed; workloads started before it not all restarted"
            }
            Stage::OldAnchorUnused => "old anchor still bundled, but nothing in use chains to it",
            Stage::Done => "old anchor removed from the bundle; the rotation is done",
            Stage::IssuerAheadOfProxies => {
                "DANGER: the issuer is signed by an anchor some proxies do not trust"
            }
            Stage::OldAnchorRemovedTooEarly => {
                "DANGER: an anchor was removed from the bundle while it is still needed"
            }
        }
    }
}

/// One trust anchor seen in the bundle, the issuer's chain or a proxy's bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorState {
    pub common_name: String,
    pub sha256_fingerprint: String,
    pub not_before: String,
    pub not_after: String,
    /// `new` (the most recent anchor of the bundle), `old`, or `current` when it is the only one.
    pub role: &'static str,
    pub in_bundle: bool,
    pub signed_issuer: bool,
    /// How many compared proxies trust it.
    pub trusted_by_proxies: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerState {
    pub common_name: String,
    pub sha256_fingerprint: String,
    pub not_before: String,
    pub not_after: String,
    /// The fingerprint of the anchor that signed it.
    pub signed_by: String,
    pub scheme: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyCounts {
    /// Proxies whose bundle was compared.
    pub compared: usize,
    pub old_only: usize,
    pub new_only: usize,
    pub both: usize,
    /// Bundles that hold no certificate.
    pub neither: usize,
    pub unreadable: usize,
    /// Proxies reading their bundle through `valueFrom`.
    pub not_comparable: usize,
    pub control_plane: usize,
    /// Proxies that do not trust the anchor that signed the issuer (they reject its certificates).
    pub lacking_issuer_anchor: Vec<PodRef>,
    /// Pods created before the issuer's notBefore (or at an unknown time): they may present a
    /// certificate from the previous issuer until restarted.
    pub created_before_issuer: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    pub description: String,
    pub commands: Vec<String>,
}

/// A step meshcert will not suggest now, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub step: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotation {
    pub stage: Stage,
    pub dangerous: bool,
    /// The step of Linkerd's procedure to do next (1–6), when one applies.
    pub procedure_step: Option<u8>,
    pub title: &'static str,
    pub summary: String,
    /// Where the bundle was read.
    pub bundle_source: String,
    pub anchors: Vec<AnchorState>,
    pub issuer: IssuerState,
    pub proxies: ProxyCounts,
    pub next_steps: Vec<NextStep>,
    pub refused: Vec<Refusal>,
}

fn label(c: &Cert) -> String {
    AnchorRef::of(c).short()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `N pods in M workloads`.
fn pods_in(pods: usize, workloads: usize) -> String {
    format!(
        "{} in {}",
        plural(pods, "pod", "pods"),
        plural(workloads, "workload", "workloads")
    )
}

/// The verb for `n` subjects: `agree(1, "does", "do")` is `does`.
fn agree<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A step restarting `workloads`; none when there is nothing to restart.
fn restart_step(description: String, workloads: &[WorkloadRestart]) -> Option<NextStep> {
    (!workloads.is_empty()).then(|| NextStep {
        description,
        commands: workloads.iter().map(|w| w.command.clone()).collect(),
    })
}

/// `expires on X (in N days)`, or what is wrong with `c`'s validity at `at`.
fn validity(c: &Cert, at: DateTime<Utc>) -> Result<String, String> {
    match crate::rules::validity_problem(c, at) {
        Some(problem) => Err(problem),
        None => Ok(format!(
            "expires on {} (in {} days)",
            format_time(c.facts.not_after),
            (c.facts.not_after - at).num_days()
        )),
    }
}

/// The meshed proxies, against the bundle's anchors, its newest one and the issuer's.
struct Observed<'a> {
    counts: ProxyCounts,
    /// Fingerprint → how many compared proxies trust it.
    trusted_by: BTreeMap<String, usize>,
    lacking_signer: Vec<&'a PodSummary>,
    lacking_new: Vec<&'a PodSummary>,
    /// Proxies holding an anchor the bundle no longer has.
    carrying_removed: Vec<&'a PodSummary>,
    /// Proxies holding an anchor other than the newest.
    carrying_old: Vec<&'a PodSummary>,
    /// Pods created before the issuer's notBefore, or at an unknown time.
    before_issuer: Vec<&'a PodSummary>,
    /// A proxy lacking the issuer's anchor holds one the bundle no longer has.
    lacking_signer_hold_removed: bool,
}

/// `parsed`: each distinct proxy bundle as fingerprints (`None` when it cannot be read).
fn observe<'a>(
    snap: &'a Snapshot,
    parsed: &[Option<BTreeSet<String>>],
    in_bundle: &BTreeSet<String>,
    newest: &str,
    signer: &str,
    issued: DateTime<Utc>,
) -> Observed<'a> {
    let scoped = scoped_pods(snap);
    let mut seen = Observed {
        counts: ProxyCounts {
            control_plane: scoped.control_plane,
            not_comparable: scoped.not_comparable,
            ..Default::default()
        },
        trusted_by: BTreeMap::new(),
        lacking_signer: Vec::new(),
        lacking_new: Vec::new(),
        carrying_removed: Vec::new(),
        carrying_old: Vec::new(),
        before_issuer: Vec::new(),
        lacking_signer_hold_removed: false,
    };
    let counts = &mut seen.counts;
    for &(pod, bundle_id) in &scoped.compared {
        if pod.created.is_none_or(|c| c < issued) {
            seen.before_issuer.push(pod);
        }
        let Some(set) = &parsed[bundle_id as usize] else {
            counts.unreadable += 1;
            continue;
        };
        counts.compared += 1;
        for f in set {
            *seen.trusted_by.entry(f.clone()).or_default() += 1;
        }
        let has_new = set.contains(newest);
        let has_old = set.iter().any(|f| f != newest);
        match (has_new, has_old) {
            (true, true) => counts.both += 1,
            (true, false) => counts.new_only += 1,
            (false, true) => counts.old_only += 1,
            (false, false) => counts.neither += 1,
        }
        if !has_new {
            seen.lacking_new.push(pod);
        }
        if has_old {
            seen.carrying_old.push(pod);
        }
        let holds_removed = set.iter().any(|f| !in_bundle.contains(f));
        if holds_removed {
            seen.carrying_removed.push(pod);
        }
        if !set.contains(signer) {
            seen.lacking_signer.push(pod);
            seen.lacking_signer_hold_removed |= holds_removed;
        }
    }
    counts.created_before_issuer = seen.before_issuer.len();
    seen
}

/// Assesses the rotation in `snap` at `at`; the error says why it cannot be assessed.
pub fn assess(snap: &Snapshot, at: DateTime<Utc>) -> Result<Rotation, String> {
    if snap.identity_files().is_some() {
        return Err(
            "a rotation is assessed on a cluster or its manifests, not on PEM files".into(),
        );
    }
    let ns = snap.linkerd_namespace.as_str();
    let id = snap.identity();
    let chain = id.issuer.as_ref().map_err(|why| {
        format!("cannot read the issuer certificate: {why} (`meshcert check` says more)")
    })?;
    let issuer = &chain.value[0];
    let top = chain.value.last().unwrap_or(issuer);

    // The bundle the proxies get when they start; linkerd-config's anchors without it.
    let roots_ref = ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS);
    let (bundle, bundle_source): (Vec<Cert>, String) = match (trust_roots(snap), &id.anchors) {
        (Some(roots), _) => (roots?, format!("key {BUNDLE_KEY} of {roots_ref}")),
        (None, Ok(a)) => (a.value.clone(), a.origin.to_string()),
        (None, Err(why)) => return Err(format!("{roots_ref} not found, and {why}")),
    };
    if bundle.is_empty() {
        return Err(format!(
            "the trust bundle ({bundle_source}) holds no certificate"
        ));
    }
    if let Some(why) = &snap.data_plane_unavailable {
        return Err(why.clone());
    }

    // Every anchor seen: the bundle's, linkerd-config's, and the proxies'.
    let mut known: BTreeMap<String, Cert> = BTreeMap::new();
    let fp = |c: &Cert| c.facts.sha256_fingerprint.clone();
    for c in bundle
        .iter()
        .chain(id.anchors.iter().flat_map(|a| a.value.iter()))
    {
        known.entry(fp(c)).or_insert_with(|| c.clone());
    }
    let dp = &snap.data_plane;
    let parsed: Vec<Option<BTreeSet<String>>> = dp
        .bundles
        .iter()
        .map(|text| {
            decode_bundle_lenient(text).ok().map(|certs| {
                certs
                    .into_iter()
                    .map(|c| {
                        let f = fp(&c);
                        known.entry(f.clone()).or_insert(c);
                        f
                    })
                    .collect()
            })
        })
        .collect();
    let in_bundle: BTreeSet<String> = bundle.iter().map(fp).collect();
    let newest = bundle
        .iter()
        .max_by_key(|c| (c.facts.not_before, fp(c)))
        .map(fp)
        .unwrap_or_default();
    let Some(signer) = signer_among(top, known.values()).cloned() else {
        return Err(format!(
            "the issuer certificate {} is signed by none of the anchors in the bundle, linkerd-config or the proxies' bundles (`meshcert check` says more)",
            issuer.label()
        ));
    };
    let signer_fp = fp(&signer);
    let seen = observe(
        snap,
        &parsed,
        &in_bundle,
        &newest,
        &signer_fp,
        issuer.facts.not_before,
    );
    let Observed {
        counts: mut proxies,
        trusted_by,
        lacking_signer,
        lacking_new,
        carrying_removed,
        carrying_old,
        before_issuer,
        lacking_signer_hold_removed,
    } = seen;
    let (lacking_refs, lacking_workloads) = pods_and_restarts(dp, &lacking_signer);
    proxies.lacking_issuer_anchor = lacking_refs;

    let anchors: Vec<AnchorState> = {
        let mut list: Vec<&Cert> = known.values().collect();
        list.sort_by_key(|c| (std::cmp::Reverse(c.facts.not_before), fp(c)));
        let only_one = list.len() == 1;
        list.into_iter()
            .map(|c| AnchorState {
                common_name: c.facts.common_name.clone(),
                sha256_fingerprint: fp(c),
                not_before: format_time(c.facts.not_before),
                not_after: format_time(c.facts.not_after),
                role: if only_one {
                    "current"
                } else if fp(c) == newest {
                    "new"
                } else {
                    "old"
                },
                in_bundle: in_bundle.contains(&fp(c)),
                signed_issuer: c.facts.sha256_fingerprint == signer_fp,
                trusted_by_proxies: trusted_by.get(&fp(c)).copied().unwrap_or(0),
            })
            .collect()
    };
    let scheme = id.scheme.clone().unwrap_or_default();
    let issuer_state = IssuerState {
        common_name: issuer.facts.common_name.clone(),
        sha256_fingerprint: fp(issuer),
        not_before: format_time(issuer.facts.not_before),
        not_after: format_time(issuer.facts.not_after),
        signed_by: signer_fp.clone(),
        scheme: scheme.clone(),
    };
    let new_cert = &known[&newest];
    let old_labels = || -> String {
        let olds: Vec<String> = bundle
            .iter()
            .filter(|c| fp(c) != newest)
            .map(label)
            .collect();
        olds.join(", ")
    };

    // linkerd's CLI needs -L for a control plane outside `linkerd`.
    let upgrade = if ns == "linkerd" {
        "linkerd upgrade".to_string()
    } else {
        format!("linkerd upgrade -L {ns}")
    };
    let events = format!("kubectl get events --field-selector reason=IssuerUpdated -n {ns}");
    let rerun = "then run `meshcert rotation` again";

    let mut next_steps = Vec::new();
    let mut refused = Vec::new();
    let stage;
    let summary;
    if !lacking_signer.is_empty() || !in_bundle.contains(&signer_fp) {
        let removed = !in_bundle.contains(&signer_fp) || lacking_signer_hold_removed;
        stage = if removed {
            Stage::OldAnchorRemovedTooEarly
        } else {
            Stage::IssuerAheadOfProxies
        };
        let n = lacking_signer.len();
        let who = pods_in(n, lacking_workloads.len());
        if !in_bundle.contains(&signer_fp) {
            summary = format!(
                "The issuer is signed by {}, which the bundle no longer holds: every proxy that starts from now on rejects the certificates the identity service issues.",
                label(&signer)
            );
            next_steps.push(NextStep {
                description: format!(
                    "Put {} back into the bundle, with the new anchor, before any workload restarts (bundle.crt: both anchors, as in step 1)",
                    label(&signer)
                ),
                commands: vec![format!(
                    "{upgrade} --identity-trust-anchors-file=./bundle.crt | kubectl apply -f -"
                )],
            });
            refused.push(Refusal {
                step: "restarting meshed workloads".into(),
                reason: format!(
                    "a restarted proxy gets the current bundle, without {}, and rejects every certificate the issuer signs",
                    label(&signer)
                ),
            });
        } else {
            summary = if removed {
                format!(
                    "{who} {} only anchors the bundle no longer holds, not {}, which signed the current issuer: {} the certificates the identity service now issues.",
                    agree(n, "trusts", "trust"),
                    label(&signer),
                    agree(n, "its proxy rejects", "their proxies reject")
                )
            } else {
                format!(
                    "The issuer is signed by {}, which {who} {} not trust yet: {} every certificate the identity service now issues.",
                    label(&signer),
                    agree(n, "does", "do"),
                    agree(n, "its proxy rejects", "their proxies reject")
                )
            };
            next_steps.extend(restart_step(
                format!(
                    "Restart at once the workloads whose proxies lack {} ({who}): restarted proxies get the current bundle, which holds it",
                    label(&signer)
                ),
                &lacking_workloads,
            ));
            if !removed {
                next_steps.push(NextStep {
                    description: "Or roll back: deploy the previous issuer again (signed by an anchor every proxy trusts)".into(),
                    commands: vec![format!(
                        "{upgrade} --identity-issuer-certificate-file=./issuer-old.crt --identity-issuer-key-file=./issuer-old.key | kubectl apply -f -"
                    )],
                });
            }
            refused.push(Refusal {
                step: "any further step of the procedure".into(),
                reason: format!(
                    "{who} cannot verify certificates from the current issuer; mend that first"
                ),
            });
        }
    } else if in_bundle.len() == 1 {
        // One anchor, trusted by every proxy, and it signed the issuer.
        if carrying_removed.is_empty() {
            stage = Stage::Before;
            let expiry = match validity(&signer, at) {
                Ok(expiry) => format!("It {expiry}."),
                Err(problem) => format!(
                    "It is {problem}: proxies cannot verify each other now, and this procedure (which keeps the mesh up) no longer applies; Linkerd's guide to replacing expired certificates does."
                ),
            };
            summary = format!(
                "One trust anchor, {}, signs the issuer and every proxy trusts it: no rotation is in progress (a finished rotation looks the same). {expiry}",
                label(&signer)
            );
            let roots = format!(
                "kubectl -n {ns} get cm {TRUST_ROOTS} -o jsonpath='{{.data.ca-bundle\\.crt}}' > original-trust.crt"
            );
            next_steps.push(NextStep {
                description: "Step 1: create a new trust anchor, bundle it with the current one and deploy the bundle".into(),
                commands: vec![
                    format!(
                        "step certificate create {} ca-new.crt ca-new.key --profile root-ca --no-password --insecure --not-after=87600h",
                        signer.facts.common_name
                    ),
                    roots,
                    "step certificate bundle ca-new.crt original-trust.crt bundle.crt".into(),
                    format!("{upgrade} --identity-trust-anchors-file=./bundle.crt | kubectl apply -f -"),
                ],
            });
            refused.push(Refusal {
                step: "deploying an issuer signed by a new anchor".into(),
                reason: "no proxy trusts a new anchor yet: every proxy would reject the certificates it signs (bundle and restart first, steps 1 and 2)".into(),
            });
        } else {
            stage = Stage::Done;
            let (_, workloads) = pods_and_restarts(dp, &carrying_removed);
            let n = carrying_removed.len();
            let who = pods_in(n, workloads.len());
            summary = format!(
                "The bundle holds only {}, which signs the issuer and every proxy trusts. {who} still {} the removed anchor, which signs nothing in use.",
                label(&signer),
                agree(n, "carries", "carry")
            );
            next_steps.extend(restart_step(
                format!("Optional: restart the workloads whose proxies still carry the removed anchor ({who})"),
                &workloads,
            ));
        }
    } else if signer_fp != newest {
        // The issuer still comes from an old anchor.
        if !lacking_new.is_empty() {
            stage = Stage::BundleDeployed;
            let (_, workloads) = pods_and_restarts(dp, &lacking_new);
            let n = lacking_new.len();
            let who = pods_in(n, workloads.len());
            let do_ = agree(n, "does", "do");
            summary = format!(
                "The bundle holds the new anchor {} and the old {}; the issuer is still signed by {}. {who} {do_} not trust the new anchor yet.",
                label(new_cert),
                old_labels(),
                label(&signer)
            );
            next_steps.extend(restart_step(
                format!("Step 2: restart the workloads whose proxies do not trust the new anchor yet ({who}); {rerun}"),
                &workloads,
            ));
            refused.push(Refusal {
                step: format!(
                    "deploying an issuer signed by the new anchor {}",
                    label(new_cert)
                ),
                reason: format!(
                    "{who} {do_} not trust it yet and would reject every certificate it signs"
                ),
            });
        } else {
            stage = Stage::WorkloadsRestarted;
            summary = format!(
                "Every proxy trusts the new anchor {}; the issuer is still signed by the old {}.",
                label(new_cert),
                label(&signer)
            );
            if let Err(problem) = validity(new_cert, at) {
                next_steps.push(NextStep {
                    description: format!(
                        "First replace the new anchor {}: it is {problem}. Create one valid now and bundle it with the old one (step 1), then restart (step 2)",
                        label(new_cert)
                    ),
                    commands: Vec::new(),
                });
                refused.push(Refusal {
                    step: format!("issuing an issuer from the new anchor {}", label(new_cert)),
                    reason: format!("it is {problem}; the issuer would not verify"),
                });
            } else {
                next_steps.push(NextStep {
                    description: "Step 3: issue a new issuer certificate from the new anchor (ca-new.crt and ca-new.key of step 1)".into(),
                    commands: vec![format!(
                        "step certificate create {} issuer-new.crt issuer-new.key --profile intermediate-ca --not-after 8760h --no-password --insecure --ca ca-new.crt --ca-key ca-new.key",
                        issuer.facts.common_name
                    )],
                });
                next_steps.push(if scheme.is_empty() || scheme == SCHEME_LINKERD {
                    NextStep {
                        description: "Deploy it".into(),
                        commands: vec![format!(
                            "{upgrade} --identity-issuer-certificate-file=./issuer-new.crt --identity-issuer-key-file=./issuer-new.key | kubectl apply -f -"
                        )],
                    }
                } else {
                    NextStep {
                        description: format!(
                            "The issuer is external ({scheme}): have its issuer (cert-manager: the CA Secret of its Issuer) sign it with the new anchor instead, and renew it"
                        ),
                        commands: Vec::new(),
                    }
                });
                next_steps.push(NextStep {
                    description: "Step 4: check that the identity service loaded it".into(),
                    commands: vec![events.clone()],
                });
            }
            refused.push(Refusal {
                step: format!("removing the old anchor {} from the bundle", label(&signer)),
                reason: "it signed the current issuer: every proxy would reject the certificates the identity service issues".into(),
            });
        }
    } else {
        // The issuer comes from the new anchor; the old one is still bundled.
        let old_in_bundle = old_labels();
        if !before_issuer.is_empty() {
            stage = Stage::IssuerDeployed;
            let (_, workloads) = pods_and_restarts(dp, &before_issuer);
            let n = before_issuer.len();
            let who = pods_in(n, workloads.len());
            summary = format!(
                "The issuer is signed by the new anchor {} and every proxy trusts it; {who} {} created before the issuer (notBefore {}) and may still present certificates that chain to the old {old_in_bundle}.",
                label(new_cert),
                agree(n, "was", "were"),
                format_time(issuer.facts.not_before)
            );
            next_steps.push(NextStep {
                description: "Step 4: confirm the identity service loaded the new issuer".into(),
                commands: vec![events.clone()],
            });
            next_steps.extend(restart_step(
                format!(
                    "Step 5: restart the workloads started before the new issuer ({who}); {rerun}"
                ),
                &workloads,
            ));
            refused.push(Refusal {
                step: format!("removing the old anchor {old_in_bundle} from the bundle"),
                reason: format!("{who} may still present certificates that chain to it; proxies would reject them"),
            });
        } else {
            stage = Stage::OldAnchorUnused;
            let (_, workloads) = pods_and_restarts(dp, &carrying_old);
            let who = pods_in(carrying_old.len(), workloads.len());
            summary = format!(
                "The issuer is signed by the new anchor {}, every proxy trusts it, and every pod started after the issuer: the old {old_in_bundle} signs nothing in use.",
                label(new_cert)
            );
            next_steps.push(NextStep {
                description:
                    "Step 6: deploy a bundle of the new anchor alone (ca-new.crt of step 1)".into(),
                commands: vec![format!(
                    "{upgrade} --identity-trust-anchors-file=./ca-new.crt | kubectl apply -f -"
                )],
            });
            next_steps.extend(restart_step(
                format!(
                    "Then restart the workloads whose proxies still carry the old anchor ({who})"
                ),
                &workloads,
            ));
        }
    }

    Ok(Rotation {
        stage,
        dangerous: stage.is_dangerous(),
        procedure_step: stage.next_procedure_step(),
        title: stage.title(),
        summary,
        bundle_source,
        anchors,
        issuer: issuer_state,
        proxies,
        next_steps,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::consistency_checks::testutil::with_pods;

    /// An old and a newer anchor, and an issuer from each.
    fn pki() -> (Made, Made, Made, Made) {
        let old = self_signed(Spec::ca("root-old", 1), p256());
        let mut spec = Spec::ca("root-new", 2);
        spec.not_before = "2026-10-01T00:00:00Z";
        let new = self_signed(spec, p256());
        let from_old = signed(Spec::ca("identity", 3), p256(), &old);
        let from_new = signed(Spec::ca("identity", 4), p256(), &new);
        (old, new, from_old, from_new)
    }

    #[test]
    fn pods_of_unknown_age_may_still_hold_the_old_issuers_certificates() {
        let (old, new, _, from_new) = pki();
        let both = format!("{}{}", new.pem, old.pem);
        let snap = with_pods(&both, &from_new, &both, &[("app", "web", &both)]);
        let r = assess(&snap, crate::identity_checks::testutil::cx().at).unwrap();
        assert_eq!(r.stage, Stage::IssuerDeployed);
        assert_eq!(r.proxies.created_before_issuer, 1);
        assert_eq!(r.refused.len(), 1);
        assert!(
            r.refused[0]
                .step
                .starts_with("removing the old anchor root-old")
        );
    }

    #[test]
    fn anchors_are_judged_at_the_evaluation_instant() {
        let (old, new, from_old, _) = pki();
        let at = crate::identity_checks::testutil::cx().at; // 2026-11-22T12:00:00Z
        // One anchor: the time it has left, or that the zero-downtime procedure is over.
        let snap = with_pods(&old.pem, &from_old, &old.pem, &[("app", "web", &old.pem)]);
        let r = assess(&snap, at).unwrap();
        assert!(
            r.summary
                .ends_with("It expires on 2035-01-01T00:00:00Z (in 2961 days)."),
            "{}",
            r.summary
        );
        let later = DateTime::parse_from_rfc3339("2035-06-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let r = assess(&snap, later).unwrap();
        assert!(
            r.summary.contains("It is not valid anymore. Expired on 2035-01-01T00:00:00Z: proxies cannot verify each other now"),
            "{}",
            r.summary
        );
        // Every proxy trusts both, but the new anchor is not valid yet: no issuer from it.
        let both = format!("{}{}", new.pem, old.pem);
        let snap = with_pods(&both, &from_old, &both, &[("app", "web", &both)]);
        let before_new = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let r = assess(&snap, before_new).unwrap();
        assert_eq!(r.stage, Stage::WorkloadsRestarted);
        assert!(
            r.next_steps.iter().all(|s| s.commands.is_empty()),
            "{:?}",
            r.next_steps
        );
        assert!(
            r.next_steps[0]
                .description
                .starts_with("First replace the new anchor root-new")
        );
        assert_eq!(
            r.refused[0].reason,
            "it is not valid before: 2026-10-01T00:00:00Z; the issuer would not verify"
        );
        // Once it is valid, step 3.
        let r = assess(&snap, at).unwrap();
        assert!(r.next_steps[0].description.starts_with("Step 3"));
        assert_eq!(r.refused.len(), 1, "only the old anchor's removal");
    }

    #[test]
    fn an_external_issuer_is_not_deployed_with_linkerd_upgrade() {
        use crate::identity_checks::testutil::{snapshot, values};
        let (old, new, from_old, _) = pki();
        let both = format!("{}{}", new.pem, old.pem);
        let mut snap = with_pods(&both, &from_old, &both, &[("app", "web", &both)]);
        let external = snapshot(
            Some(values(&both, "kubernetes.io/tls")),
            Some(vec![
                ("ca.crt", both.clone()),
                ("tls.crt", from_old.pem.clone()),
                ("tls.key", from_old.key_pem()),
            ]),
        );
        for (key, state) in external.objects() {
            snap.insert(key.clone(), state.clone());
        }
        let r = assess(&snap, crate::identity_checks::testutil::cx().at).unwrap();
        assert_eq!(r.stage, Stage::WorkloadsRestarted);
        assert_eq!(r.issuer.scheme, "kubernetes.io/tls");
        let commands: Vec<&String> = r.next_steps.iter().flat_map(|s| &s.commands).collect();
        assert!(
            commands
                .iter()
                .all(|c| !c.contains("--identity-issuer-certificate-file")),
            "{commands:?}"
        );
        assert!(
            r.next_steps[1]
                .description
                .starts_with("The issuer is external (kubernetes.io/tls)")
        );
    }

    #[test]
    fn an_issuer_whose_anchor_left_the_bundle_is_dangerous_and_restarts_are_refused() {
        let (old, new, from_old, _) = pki();
        let both = format!("{}{}", new.pem, old.pem);
        // linkerd-config still has the old anchor; the proxies' bundle has only the new one.
        let snap = with_pods(&old.pem, &from_old, &new.pem, &[("app", "web", &both)]);
        let r = assess(&snap, crate::identity_checks::testutil::cx().at).unwrap();
        assert_eq!(r.stage, Stage::OldAnchorRemovedTooEarly);
        assert!(r.dangerous);
        assert!(
            r.summary.contains("which the bundle no longer holds"),
            "{}",
            r.summary
        );
        assert_eq!(r.refused[0].step, "restarting meshed workloads");
        let signer = r.anchors.iter().find(|a| a.signed_issuer).unwrap();
        assert_eq!(signer.common_name, "root-old");
        assert!(!signer.in_bundle);
    }
}
