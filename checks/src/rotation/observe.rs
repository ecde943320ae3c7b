//! What a rotation is judged from: the trust bundle, every anchor seen, the anchor that signed
//! the issuer, and each meshed proxy's anchors and age.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::ProxyCounts;
use super::anchor::fingerprint;
use crate::cert::Cert;
use crate::data_plane::{
    BUNDLE_KEY, TRUST_ROOTS, WorkloadRestart, pods_and_restarts, scoped_pods, trust_roots,
};
use crate::identity::IdentityMaterial;
use crate::pem::decode_bundle_lenient;
use crate::scope::Scope;
use crate::snapshot::{DataPlane, Kind, ObjectRef, PodSummary, Snapshot};
use crate::verify::signer_among;

/// The meshed proxies, against the bundle's anchors, its newest one and the issuer's.
pub(super) struct Proxies<'a> {
    pub counts: ProxyCounts,
    /// Fingerprint → how many compared proxies trust it.
    pub trusted_by: BTreeMap<String, usize>,
    pub lacking_signer: Vec<&'a PodSummary>,
    /// The workloads to restart for the proxies lacking the issuer's anchor.
    pub lacking_signer_workloads: Vec<WorkloadRestart>,
    pub lacking_new: Vec<&'a PodSummary>,
    /// Proxies holding an anchor the bundle no longer has.
    pub carrying_removed: Vec<&'a PodSummary>,
    /// Proxies holding an anchor other than the newest.
    pub carrying_old: Vec<&'a PodSummary>,
    /// Pods created before the issuer's notBefore, or at an unknown time.
    pub before_issuer: Vec<&'a PodSummary>,
    /// A proxy lacking the issuer's anchor holds one the bundle no longer has.
    pub lacking_signer_hold_removed: bool,
}

/// cert-manager and trust-manager as Linkerd's automatic-rotation guide sets them up: the
/// rotation's steps are `cmctl renew` and Secret copies instead of `step` and `linkerd upgrade`.
#[derive(Debug, Clone)]
pub(super) struct Automation {
    /// The Certificate that writes the anchor, and its Secret.
    pub anchor_certificate: ObjectRef,
    pub anchor_secret: ObjectRef,
    /// The fingerprint of the anchor that Secret holds, when it was read.
    pub anchor_in_secret: Option<String>,
    /// The bundle's copy of the previous anchor (the guide's `linkerd-previous-anchor`).
    pub previous_secret: Option<ObjectRef>,
    /// The Certificate that writes the issuer, when cert-manager manages it.
    pub issuer_certificate: Option<ObjectRef>,
}

impl Automation {
    fn of(snap: &Snapshot) -> Option<Automation> {
        use crate::cert_manager::Management;
        let (anchor_secret, Management::Yes { object, .. }) =
            crate::trust_manager::anchor_management(snap)?
        else {
            return None;
        };
        let previous_secret = crate::trust_manager::source_secrets(snap)
            .into_iter()
            .find(|s| *s != anchor_secret);
        let issuer_certificate = match crate::cert_manager::issuer_management(snap) {
            Management::Yes { object, .. } => Some(object),
            _ => None,
        };
        let anchor_in_secret =
            crate::trust_manager::secret_anchor(snap, &anchor_secret).map(|c| fingerprint(&c));
        Some(Automation {
            anchor_certificate: object,
            anchor_secret,
            anchor_in_secret,
            previous_secret,
            issuer_certificate,
        })
    }
}

/// Everything the assessment reads, gathered once.
pub(super) struct Facts<'a> {
    pub ns: &'a str,
    pub data_plane: &'a DataPlane,
    pub issuer: Cert,
    /// The issuer Secret's scheme (`linkerd.io/tls`, or external).
    pub scheme: String,
    /// The bundle proxies get when they start, and where it was read.
    pub bundle: Vec<Cert>,
    pub bundle_source: String,
    /// Every anchor seen (bundle, linkerd-config, proxies' bundles), by fingerprint.
    pub known: BTreeMap<String, Cert>,
    pub in_bundle: BTreeSet<String>,
    /// The fingerprint of the bundle's new anchor, as the evidence judges it.
    pub newest: String,
    /// Why that anchor is read as the new one, and whether the evidence was sure.
    pub judgement: super::evidence::Judgement,
    /// The anchor that signed the issuer.
    pub signer: Cert,
    pub proxies: Proxies<'a>,
    /// What is running: which issuer the identity pods have loaded.
    pub runtime: &'a crate::runtime::Runtime,
    /// cert-manager renews the anchor and trust-manager bundles it, when they do.
    pub automation: Option<Automation>,
}

impl Facts<'_> {
    pub fn signer_fp(&self) -> String {
        fingerprint(&self.signer)
    }

    pub fn newest_cert(&self) -> &Cert {
        &self.known[&self.newest]
    }

    /// The bundle's anchors other than the newest.
    pub fn olds(&self) -> impl Iterator<Item = &Cert> {
        self.bundle.iter().filter(|c| fingerprint(c) != self.newest)
    }

    /// The workloads of `pods`, to restart.
    pub fn restarts(&self, pods: &[&PodSummary]) -> Vec<WorkloadRestart> {
        pods_and_restarts(self.data_plane, pods).1
    }
}

/// The bundle proxies get when they start (the trust-roots ConfigMap, else linkerd-config's
/// anchors), and where it was read.
fn bundle(snap: &Snapshot, id: &IdentityMaterial) -> Result<(Vec<Cert>, String), String> {
    let ns = snap.linkerd_namespace.as_str();
    let roots_ref = ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS);
    let (bundle, source) = match (trust_roots(snap), &id.anchors) {
        (Some(roots), _) => (roots?, format!("key {BUNDLE_KEY} of {roots_ref}")),
        (None, Ok(a)) => (a.value.clone(), a.origin.to_string()),
        (None, Err(why)) => return Err(format!("{roots_ref} not found, and {why}")),
    };
    if bundle.is_empty() {
        return Err(format!("the trust bundle ({source}) holds no certificate"));
    }
    Ok((bundle, source))
}

/// Each meshed proxy against the bundle, its newest anchor and the issuer's signer.
/// `parsed`: each distinct proxy bundle as fingerprints (`None` when it cannot be read).
fn proxies<'a>(
    snap: &'a Snapshot,
    scope: &Scope,
    parsed: &[Option<BTreeSet<String>>],
    in_bundle: &BTreeSet<String>,
    newest: &str,
    signer: &str,
    issued: DateTime<Utc>,
) -> Proxies<'a> {
    let scoped = scoped_pods(snap, scope);
    let mut seen = Proxies {
        counts: ProxyCounts {
            control_plane: scoped.control_plane,
            not_comparable: scoped.not_comparable,
            ..Default::default()
        },
        trusted_by: BTreeMap::new(),
        lacking_signer: Vec::new(),
        lacking_signer_workloads: Vec::new(),
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
    let (lacking_refs, lacking_workloads) =
        pods_and_restarts(&snap.data_plane, &seen.lacking_signer);
    seen.counts.lacking_issuer_anchor = lacking_refs;
    seen.lacking_signer_workloads = lacking_workloads;
    seen
}

/// Each distinct bundle of the compared proxies, with how many carry it.
fn proxy_sets<'p>(
    snap: &Snapshot,
    scope: &Scope,
    parsed: &'p [Option<BTreeSet<String>>],
) -> Vec<(&'p BTreeSet<String>, usize)> {
    let mut pods = vec![0usize; parsed.len()];
    for &(_, id) in &scoped_pods(snap, scope).compared {
        pods[id as usize] += 1;
    }
    parsed
        .iter()
        .zip(pods)
        .filter_map(|(set, n)| Some((set.as_ref()?, n)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The fingerprint in `bundle` that `stated` names: a whole SHA-256 fingerprint or a prefix of at
/// least 8 hex digits, colons allowed, any case.
fn stated_anchor(bundle: &[Cert], stated: &str) -> Result<String, String> {
    let want: String = stated
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    if want.len() < 8 || !want.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "--new-anchor {stated}: expected a SHA-256 fingerprint (at least 8 hex digits) or a PEM file"
        ));
    }
    let matching: Vec<String> = bundle
        .iter()
        .map(fingerprint)
        .filter(|f| f.starts_with(&want))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "--new-anchor {stated} is not an anchor of the bundle, which holds {}",
            bundle
                .iter()
                .map(|c| crate::data_plane::AnchorRef::of(c).short())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Err(format!(
            "--new-anchor {stated} names more than one anchor of the bundle: give more digits"
        )),
    }
}

/// Gathers the facts of `snap`; the error says why the rotation cannot be assessed. `stated`:
/// the new anchor as `--new-anchor` gives it (a fingerprint or its prefix).
pub(super) fn observe<'a>(
    snap: &'a Snapshot,
    scope: &Scope,
    stated: Option<&str>,
) -> Result<Facts<'a>, String> {
    if snap.identity_files().is_some() {
        return Err(
            "a rotation is assessed on a cluster or its manifests, not on PEM files".into(),
        );
    }
    let id = IdentityMaterial::derive(snap);
    let chain = id.issuer.as_ref().map_err(|why| {
        format!("cannot read the issuer certificate: {why} (`meshcert check` says more)")
    })?;
    let issuer = chain.value.leaf();
    let top = chain.value.top();
    let (bundle, bundle_source) = bundle(snap, &id)?;
    if let Some(why) = &snap.data_plane_unavailable {
        return Err(why.clone());
    }

    // Every anchor seen: the bundle's, linkerd-config's, and the proxies'.
    let mut known: BTreeMap<String, Cert> = BTreeMap::new();
    for c in bundle
        .iter()
        .chain(id.anchors.iter().flat_map(|a| a.value.iter()))
    {
        known.entry(fingerprint(c)).or_insert_with(|| c.clone());
    }
    let parsed: Vec<Option<BTreeSet<String>>> = snap
        .data_plane
        .bundles
        .iter()
        .map(|text| {
            decode_bundle_lenient(text).ok().map(|certs| {
                certs
                    .into_iter()
                    .map(|c| {
                        let f = fingerprint(&c);
                        known.entry(f.clone()).or_insert(c);
                        f
                    })
                    .collect()
            })
        })
        .collect();
    let in_bundle: BTreeSet<String> = bundle.iter().map(fingerprint).collect();
    let Some(signer) = signer_among(top, known.values()).cloned() else {
        return Err(format!(
            "the issuer certificate {} is signed by none of the anchors in the bundle, linkerd-config or the proxies' bundles (`meshcert check` says more)",
            issuer.label()
        ));
    };
    let stated = stated.map(|s| stated_anchor(&bundle, s)).transpose()?;
    let judgement = super::evidence::judge(
        &bundle,
        &proxy_sets(snap, scope, &parsed),
        issuer,
        &fingerprint(&signer),
        stated.as_deref(),
    );
    let newest = judgement.newest.clone();
    let proxies = proxies(
        snap,
        scope,
        &parsed,
        &in_bundle,
        &newest,
        &fingerprint(&signer),
        issuer.facts.not_before,
    );
    Ok(Facts {
        ns: snap.linkerd_namespace.as_str(),
        data_plane: &snap.data_plane,
        issuer: issuer.clone(),
        scheme: id.scheme.clone().unwrap_or_default(),
        bundle,
        bundle_source,
        known,
        in_bundle,
        newest,
        judgement,
        signer,
        proxies,
        runtime: &snap.runtime,
        automation: Automation::of(snap),
    })
}
