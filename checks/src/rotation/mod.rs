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
//! bundled anchor the evidence names (`evidence.rs`: the proxies' bundles, bundle order, the
//! issuer, notBefore, or `--new-anchor`); every other anchor is "old". A pod created
//! before the current issuer's notBefore may still present a certificate from the previous issuer.
//! Before a rotation and after a finished one look the same (one anchor, trusted by all).

mod advise;
mod anchor;
mod classify;
mod evidence;
pub mod fleet;
mod observe;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cert::format_time;
use crate::data_plane::PodRef;
use crate::scope::Scope;
use crate::snapshot::Snapshot;

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

    /// A rotation is under way (or left unfinished): every stage but before and done.
    pub fn in_progress(self) -> bool {
        !matches!(self, Stage::Before | Stage::Done)
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
    /// Why the anchor called new is read as new (proxies' bundles, bundle order, the issuer,
    /// notBefore, or `--new-anchor`), or why that is ambiguous.
    pub new_anchor_basis: String,
    /// The evidence did not settle which anchor is new; the advice is the conservative one.
    pub new_anchor_ambiguous: bool,
    /// Where the bundle was read.
    pub bundle_source: String,
    pub anchors: Vec<AnchorState>,
    pub issuer: IssuerState,
    pub proxies: ProxyCounts,
    pub next_steps: Vec<NextStep>,
    pub refused: Vec<Refusal>,
}

/// Every stage, in the procedure's order (for series that exist on every run).
pub const STAGES: [Stage; 8] = [
    Stage::Before,
    Stage::BundleDeployed,
    Stage::WorkloadsRestarted,
    Stage::IssuerDeployed,
    Stage::OldAnchorUnused,
    Stage::Done,
    Stage::IssuerAheadOfProxies,
    Stage::OldAnchorRemovedTooEarly,
];

/// Assesses the rotation in `snap` (within `scope`) at `at`: observe the facts, classify the
/// stage, advise on it. `new_anchor` states which bundled anchor is new (a SHA-256 fingerprint
/// or its prefix) instead of judging it from the evidence. The error says why the rotation
/// cannot be assessed.
pub fn assess(
    snap: &Snapshot,
    scope: &Scope,
    at: DateTime<Utc>,
    new_anchor: Option<&str>,
) -> Result<Rotation, String> {
    let facts = observe::observe(snap, scope, new_anchor)?;
    let stage = classify::classify(&classify::Signals::of(&facts));
    let advice = advise::advise(stage, &facts, at);
    let issuer = &facts.issuer;
    Ok(Rotation {
        stage,
        dangerous: stage.is_dangerous(),
        procedure_step: stage.next_procedure_step(),
        title: stage.title(),
        summary: advice.summary,
        new_anchor_basis: facts.judgement.basis.clone(),
        new_anchor_ambiguous: facts.judgement.ambiguous,
        bundle_source: facts.bundle_source.clone(),
        anchors: advise::anchors(&facts),
        issuer: IssuerState {
            common_name: issuer.facts.common_name.clone(),
            sha256_fingerprint: issuer.facts.sha256_fingerprint.clone(),
            not_before: format_time(issuer.facts.not_before),
            not_after: format_time(issuer.facts.not_after),
            signed_by: facts.signer_fp(),
            scheme: facts.scheme.clone(),
        },
        proxies: facts.proxies.counts.clone(),
        next_steps: advice.next_steps,
        refused: advice.refused,
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
    fn a_pod_without_a_controller_is_named_apart_from_the_commands() {
        let (old, new, from_old, _) = pki();
        let both = format!("{}{}", new.pem, old.pem);
        let mut snap = with_pods(&both, &from_old, &both, &[("app", "web", &old.pem)]);
        snap.data_plane.pods[0].workload = crate::snapshot::Workload {
            kind: "Pod".into(),
            name: "web".into(),
        };
        let at = crate::identity_checks::testutil::cx().at;
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
        assert_eq!(r.stage, Stage::BundleDeployed);
        let step = &r.next_steps[0];
        assert!(step.commands.is_empty(), "{:?}", step.commands);
        assert!(
            step.description
                .ends_with("Recreate from their manifests the pods no controller restarts (the proxy injector gives a new pod the current bundle): app/web"),
            "{}",
            step.description
        );
    }

    #[test]
    fn pods_of_unknown_age_may_still_hold_the_old_issuers_certificates() {
        let (old, new, _, from_new) = pki();
        let both = format!("{}{}", new.pem, old.pem);
        let snap = with_pods(&both, &from_new, &both, &[("app", "web", &both)]);
        let r = assess(
            &snap,
            &Scope::default(),
            crate::identity_checks::testutil::cx().at,
            None,
        )
        .unwrap();
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
    fn an_old_anchor_near_its_expiry_keeps_linkerds_warning_and_gets_meshcerts_note() {
        let mut spec = Spec::ca("root-old", 1);
        spec.not_after = "2026-12-20T00:00:00Z";
        let old = self_signed(spec, p256());
        let mut spec = Spec::ca("root-new", 2);
        spec.not_before = "2026-10-01T00:00:00Z";
        let new = self_signed(spec, p256());
        let from_old = signed(Spec::ca("identity", 3), p256(), &old);
        let both = format!("{}{}", new.pem, old.pem);
        let cx = crate::identity_checks::testutil::cx();
        let margin_check = |snap: &Snapshot| {
            let report = crate::report::run(snap, &cx, crate::registry::ALL);
            report
                .results()
                .find(|r| r.id == "l5d-identity-trustAnchors-not-expiring-soon")
                .unwrap()
                .clone()
        };
        // Mid-rotation (every proxy restarted onto both anchors; the issuer still from the old).
        let snap = with_pods(&both, &from_old, &both, &[("app", "web", &both)]);
        let r = margin_check(&snap);
        assert_eq!(r.result, crate::report::Status::Warning);
        assert_eq!(
            r.error.as_deref(),
            Some("Anchors expiring soon:\n\t* 1 root-old will expire on 2026-12-20T00:00:00Z")
        );
        let noted: Vec<_> = r
            .details
            .certificates
            .iter()
            .filter_map(|d| d.note.as_deref().map(|n| (d.facts.common_name.as_str(), n)))
            .collect();
        assert_eq!(
            noted,
            [(
                "root-old",
                "superseded by the new anchor root-new: the rotation in progress removes it from the bundle at step 6; remove it then (`meshcert rotation`) rather than renewing it"
            )]
        );
        // No rotation: the same warning, no note.
        let alone = with_pods(&old.pem, &from_old, &old.pem, &[("app", "web", &old.pem)]);
        let r = margin_check(&alone);
        assert_eq!(r.result, crate::report::Status::Warning);
        assert!(r.details.certificates.iter().all(|d| d.note.is_none()));
    }

    #[test]
    fn step_four_is_judged_from_what_the_identity_pods_have_loaded() {
        use crate::runtime::{Gathered, Scrape};
        let (old, new, _, from_new) = pki();
        let both = format!("{}{}", new.pem, old.pem);
        let mut snap = with_pods(&both, &from_new, &both, &[("app", "web", &both)]);
        let at = crate::identity_checks::testutil::cx().at;
        let not_after = assess(&snap, &Scope::default(), at, None)
            .unwrap()
            .issuer
            .not_after;
        let not_after = DateTime::parse_from_rfc3339(&not_after).unwrap().to_utc();
        let step4 = |snap: &Snapshot| {
            let r = assess(snap, &Scope::default(), at, None).unwrap();
            assert_eq!(r.stage, Stage::IssuerDeployed);
            r.next_steps[0].clone()
        };
        // No evidence: the reader is told how to confirm it.
        let unknown = step4(&snap);
        assert!(unknown.description.starts_with(
            "Step 4: confirm the identity service loaded the new issuer (meshcert could not read"
        ));
        assert_eq!(
            unknown.commands,
            ["kubectl get events --field-selector reason=IssuerUpdated -n linkerd"]
        );
        let pod = |ttl: i64| Scrape {
            namespace: "linkerd".into(),
            pod: "linkerd-identity-a".into(),
            workload: crate::workload::Workload {
                kind: "Deployment".into(),
                name: "linkerd-identity".into(),
            },
            value: Ok(ttl as f64),
        };
        // The pod has loaded it: done.
        snap.runtime.identity = Gathered::Got(vec![pod((not_after - at).num_seconds())]);
        let done = step4(&snap);
        assert_eq!(
            done.description,
            "Step 4: done: the identity service has loaded the new issuer (issuer_cert_ttl_seconds of linkerd-identity-a)"
        );
        assert!(done.commands.is_empty());
        // It still holds the old one: restart it.
        snap.runtime.identity = Gathered::Got(vec![pod((not_after - at).num_seconds() - 86400)]);
        let stale = step4(&snap);
        assert!(
            stale.description.contains(
                "has not loaded the new issuer (linkerd-identity-a still signs with another one)"
            ),
            "{}",
            stale.description
        );
        assert_eq!(
            stale.commands,
            ["kubectl -n linkerd rollout restart deploy/linkerd-identity"]
        );
    }

    #[test]
    fn anchors_are_judged_at_the_evaluation_instant() {
        let (old, new, from_old, _) = pki();
        let at = crate::identity_checks::testutil::cx().at; // 2026-11-22T12:00:00Z
        // One anchor: the time it has left, or that the zero-downtime procedure is over.
        let snap = with_pods(&old.pem, &from_old, &old.pem, &[("app", "web", &old.pem)]);
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
        assert!(
            r.summary
                .ends_with("It expires on 2035-01-01T00:00:00Z (in 2961 days)."),
            "{}",
            r.summary
        );
        let later = DateTime::parse_from_rfc3339("2035-06-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let r = assess(&snap, &Scope::default(), later, None).unwrap();
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
        let r = assess(&snap, &Scope::default(), before_new, None).unwrap();
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
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
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
        let r = assess(
            &snap,
            &Scope::default(),
            crate::identity_checks::testutil::cx().at,
            None,
        )
        .unwrap();
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
        let r = assess(
            &snap,
            &Scope::default(),
            crate::identity_checks::testutil::cx().at,
            None,
        )
        .unwrap();
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

    /// `snap` with Linkerd's automatic-rotation guide around it: the Bundle, the labelled
    /// namespace, the anchor's Certificate, and its Secret holding `current`, the copy `previous`;
    /// the issuer written by cert-manager when `issuer_managed`.
    fn automated(
        mut snap: Snapshot,
        current: &Made,
        previous: &Made,
        issuer_managed: bool,
    ) -> Snapshot {
        use crate::snapshot::{Kind, Object, ObjectRef};
        use crate::trust_manager::testutil::*;
        let (a, i) = crate::identity_checks::testutil::healthy_pair();
        for (o, state) in guide(&a, &i).objects() {
            if matches!(o.kind, Kind::Bundle | Kind::Namespace) || o.namespace == "cert-manager" {
                snap.insert(o.clone(), state.clone());
            }
        }
        put(&mut snap, anchor_secret(), secret(&current.pem, true));
        put(&mut snap, previous_secret(), secret(&previous.pem, false));
        if issuer_managed {
            put(
                &mut snap,
                ObjectRef::new(Kind::Certificate, "linkerd", "linkerd-identity-issuer"),
                Object::Certificate(Box::new(crate::cert_manager::testutil::writes_issuer())),
            );
        }
        snap
    }

    #[test]
    fn with_cert_manager_and_trust_manager_the_steps_are_cmctl_renew_and_plain_copies() {
        let (old, new, from_old, from_new) = pki();
        let at = crate::identity_checks::testutil::cx().at;
        // Before: copy the anchor, renew it, check the bundle.
        let snap = automated(
            with_pods(&old.pem, &from_old, &old.pem, &[("app", "web", &old.pem)]),
            &old,
            &old,
            true,
        );
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
        assert_eq!(r.stage, Stage::Before);
        let commands = &r.next_steps[0].commands;
        assert!(
            commands[0].starts_with(
                "kubectl -n cert-manager get secret linkerd-trust-anchor -o json | jq"
            ),
            "{commands:?}"
        );
        assert_eq!(
            commands[1],
            "cmctl renew -n cert-manager linkerd-trust-anchor"
        );
        // Every proxy trusts both: step 3 is cert-manager re-issuing the issuer.
        let both = format!("{}{}", new.pem, old.pem);
        let snap = automated(
            with_pods(&both, &from_old, &both, &[("app", "web", &both)]),
            &new,
            &old,
            true,
        );
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
        assert_eq!(r.stage, Stage::WorkloadsRestarted);
        assert_eq!(
            r.next_steps[0].commands,
            vec!["cmctl renew -n linkerd linkerd-identity-issuer".to_string()]
        );
        assert!(r.next_steps[0].description.starts_with("Step 3: have cert-manager re-issue the issuer (Certificate linkerd/linkerd-identity-issuer)"));
        // Nothing in use chains to the old anchor: step 6 copies the new one over it.
        let mut snap = automated(
            with_pods(&both, &from_new, &both, &[("app", "web", &both)]),
            &new,
            &old,
            true,
        );
        snap.data_plane.pods[0].created = Some(
            chrono::DateTime::parse_from_rfc3339("2026-11-22T11:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
        assert_eq!(r.stage, Stage::OldAnchorUnused);
        assert!(r.next_steps[0].description.starts_with("Step 6: copy the new anchor over the old one in Secret cert-manager/linkerd-previous-anchor"));
        assert!(r.next_steps[0].commands[0].contains("name: \"linkerd-previous-anchor\""));
        // "previous-anchor Secret is a plain copy" says the same.
        let cx = crate::identity_checks::testutil::cx();
        let outcome = crate::check::Check::run(
            &crate::consistency_checks::PreviousAnchorPlainCopy,
            &crate::check::Input::new(&snap),
            &cx,
        );
        let crate::check::Outcome::Fail { error, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            error
                .text()
                .starts_with("the rotation is done but for its last step"),
            "{}",
            error.text()
        );
    }

    #[test]
    fn an_anchor_cert_manager_renewed_before_trust_manager_bundled_it_is_not_copied() {
        let (old, new, from_old, _) = pki();
        let snap = automated(
            with_pods(&old.pem, &from_old, &old.pem, &[("app", "web", &old.pem)]),
            &new,
            &old,
            true,
        );
        let at = crate::identity_checks::testutil::cx().at;
        let r = assess(&snap, &Scope::default(), at, None).unwrap();
        let step = &r.next_steps[0];
        assert!(
            step.description
                .starts_with("Step 1 is half done: cert-manager has already renewed the anchor"),
            "{}",
            step.description
        );
        assert!(
            !step.commands.iter().any(|c| c.contains("kubectl apply")),
            "{:?}",
            step.commands
        );
    }
}
