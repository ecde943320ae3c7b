//! Which bundled anchor is the new one, judged from everything the cluster shows, and how sure
//! the judgement is.
//!
//! The evidence, strongest first:
//! - **Stated**: `--new-anchor` names it; nothing else is weighed.
//! - **The proxies' bundles are history.** A proxy carrying some of the bundle's anchors but not
//!   all started before the others were bundled: the anchors it lacks are newer than the ones it
//!   holds. When proxies say so consistently, that decides.
//! - Circumstantial, weighed together when the proxies are silent (every proxy trusts every
//!   anchor): **bundle order** (Linkerd's procedure writes `step certificate bundle ca-new.crt
//!   ca-old.crt`: new first); **the issuer**: an anchor whose notBefore is after the current
//!   issuer's was created after that issuer was issued from another anchor, so it is the newer;
//!   **notBefore**, when the anchors' differ by more than a day (pre-generated anchors and anchors
//!   minted together have equal or misleading ones).
//!
//! When the evidence disagrees, the judgement is ambiguous and the reading is the one whose next
//! step cannot break the mesh: the anchor that signed the issuer is read as the old one. Its next
//! step is to issue a new issuer from `ca-new.crt` (harmless if the issuer already came from it:
//! every proxy trusts both anchors) and it never advises removing an anchor; the other reading
//! would advise deploying a bundle without the issuer's anchor, which breaks the mesh if wrong.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;

use super::anchor::{fingerprint, label};
use crate::cert::Cert;

/// Which anchor is new, why, and whether the evidence allowed a sure answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Judgement {
    pub newest: String,
    pub basis: String,
    pub ambiguous: bool,
}

fn name_of(bundle: &[Cert], f: &str) -> String {
    bundle
        .iter()
        .find(|c| fingerprint(c) == f)
        .map(label)
        .unwrap_or_default()
}

/// What one kind of evidence says: the anchor it names as new, in words, or nothing.
struct Says {
    what: &'static str,
    newest: Option<String>,
    why: String,
}

/// notBefore closer than this says nothing (anchors minted by one script, minutes apart).
const SAME_TIME: TimeDelta = TimeDelta::days(1);

/// The proxies' bundles: anchors a proxy lacks are newer than those it holds. `proxy_sets`:
/// each distinct proxy bundle (as fingerprints) and how many proxies carry it.
fn proxies(
    bundle: &[Cert],
    proxy_sets: &[(&BTreeSet<String>, usize)],
) -> Result<Option<Says>, String> {
    let in_bundle: BTreeSet<String> = bundle.iter().map(fingerprint).collect();
    let mut older: BTreeSet<String> = BTreeSet::new();
    let mut newer: BTreeMap<String, usize> = BTreeMap::new();
    let mut partial = 0;
    for &(set, pods) in proxy_sets {
        let held: BTreeSet<String> = set.intersection(&in_bundle).cloned().collect();
        if held.is_empty() || held.len() == in_bundle.len() {
            continue;
        }
        partial += pods;
        older.extend(held.iter().cloned());
        for f in in_bundle.difference(&held) {
            *newer.entry(f.clone()).or_default() += 1;
        }
    }
    if partial == 0 {
        return Ok(None);
    }
    let contradicted: Vec<&String> = newer.keys().filter(|f| older.contains(*f)).collect();
    if !contradicted.is_empty() {
        return Err(format!(
            "the proxies' bundles disagree ({partial} proxies trust different subsets of the bundle)"
        ));
    }
    let never_older: Vec<&String> = in_bundle.iter().filter(|f| !older.contains(*f)).collect();
    match never_older.as_slice() {
        [one] => {
            let c = bundle.iter().find(|c| fingerprint(c) == **one).unwrap();
            Ok(Some(Says {
                what: "proxies' bundles",
                newest: Some((*one).clone()),
                why: format!(
                    "{partial} {} the bundle's other anchors but not {}, so it joined the bundle after they started",
                    if partial == 1 {
                        "proxy trusts"
                    } else {
                        "proxies trust"
                    },
                    label(c)
                ),
            }))
        }
        _ => Ok(None),
    }
}

/// Bundle order: Linkerd's procedure puts the new anchor first.
fn order(bundle: &[Cert]) -> Says {
    Says {
        what: "bundle order",
        newest: bundle.first().map(fingerprint),
        why: "first in the bundle, as `step certificate bundle ca-new.crt ca-old.crt` writes the new one".into(),
    }
}

/// The issuer: an anchor created after the current issuer (from another anchor) is the newer.
fn issuer(bundle: &[Cert], issuer: &Cert, signer: &str) -> Says {
    let later: Vec<&Cert> = bundle
        .iter()
        .filter(|c| fingerprint(c) != signer && c.facts.not_before > issuer.facts.not_before)
        .collect();
    match later.as_slice() {
        [one] => Says {
            what: "the issuer",
            newest: Some(fingerprint(one)),
            why: format!(
                "its notBefore is later than that of the current issuer, {}, which another anchor signed",
                crate::cert::format_time(issuer.facts.not_before)
            ),
        },
        _ => Says {
            what: "the issuer",
            newest: None,
            why: String::new(),
        },
    }
}

/// notBefore: the latest, when it stands a day or more apart from every other.
fn not_before(bundle: &[Cert]) -> Says {
    let mut by_time: Vec<&Cert> = bundle.iter().collect();
    by_time.sort_by_key(|c| std::cmp::Reverse(c.facts.not_before));
    let silent = Says {
        what: "notBefore",
        newest: None,
        why: String::new(),
    };
    match by_time.as_slice() {
        [latest, next, ..] if latest.facts.not_before - next.facts.not_before >= SAME_TIME => {
            Says {
                what: "notBefore",
                newest: Some(fingerprint(latest)),
                why: format!(
                    "the latest notBefore, {}",
                    crate::cert::format_time(latest.facts.not_before)
                ),
            }
        }
        _ => silent,
    }
}

/// Judges which anchor of `bundle` is new. `proxy_sets`: each distinct bundle of the compared
/// proxies (as fingerprints), with how many carry it; `signer`: the fingerprint of the anchor that signed the issuer; `stated`: the
/// fingerprint `--new-anchor` gave, already checked to be in the bundle.
pub(super) fn judge(
    bundle: &[Cert],
    proxy_sets: &[(&BTreeSet<String>, usize)],
    issuer_cert: &Cert,
    signer: &str,
    stated: Option<&str>,
) -> Judgement {
    let sure = |newest: String, basis: String| Judgement {
        newest,
        basis,
        ambiguous: false,
    };
    if let Some(f) = stated {
        return sure(f.to_string(), "stated with --new-anchor".into());
    }
    if let [one] = bundle {
        return sure(fingerprint(one), "the bundle holds one anchor".into());
    }
    let from_proxies = proxies(bundle, proxy_sets);
    if let Ok(Some(says)) = &from_proxies {
        return sure(
            says.newest.clone().unwrap_or_default(),
            format!(
                "{}, by the {}: {}",
                name_of(bundle, says.newest.as_deref().unwrap_or_default()),
                says.what,
                says.why
            ),
        );
    }
    let circumstantial = [
        order(bundle),
        issuer(bundle, issuer_cert, signer),
        not_before(bundle),
    ];
    let speaking: Vec<&Says> = circumstantial
        .iter()
        .filter(|s| s.newest.is_some())
        .collect();
    let named: BTreeSet<&String> = speaking.iter().filter_map(|s| s.newest.as_ref()).collect();
    let silent: Vec<&str> = circumstantial
        .iter()
        .filter(|s| s.newest.is_none())
        .map(|s| s.what)
        .collect();
    let proxies_note = match &from_proxies {
        Err(why) => format!("; {why}"),
        _ => "; every proxy trusts every bundled anchor, so the proxies do not tell".to_string(),
    };
    let silent_note = if silent.is_empty() {
        String::new()
    } else {
        format!("; {} silent", silent.join(" and "))
    };
    let name = |f: &str| name_of(bundle, f);
    if named.len() == 1 && from_proxies.is_ok() {
        let newest = (*named.iter().next().unwrap()).clone();
        let reasons: Vec<String> = speaking
            .iter()
            .map(|s| format!("{} ({})", s.what, s.why))
            .collect();
        return sure(
            newest.clone(),
            format!("{}, by {}{silent_note}", name(&newest), reasons.join(", ")),
        );
    }
    // Ambiguous: read the issuer's anchor as the old one (the first other bundled anchor as new).
    let newest = bundle
        .iter()
        .map(fingerprint)
        .find(|f| f != signer)
        .unwrap_or_else(|| bundle.first().map(fingerprint).unwrap_or_default());
    let disagreement: Vec<String> = speaking
        .iter()
        .map(|s| {
            format!(
                "{} names {} ({})",
                s.what,
                name(s.newest.as_deref().unwrap_or_default()),
                s.why
            )
        })
        .collect();
    let said = if disagreement.is_empty() {
        "no evidence tells the anchors apart".to_string()
    } else if named.len() > 1 {
        format!("the evidence disagrees: {}", disagreement.join("; "))
    } else {
        disagreement.join("; ")
    };
    Judgement {
        newest,
        basis: format!(
            "ambiguous: {said}{proxies_note}{silent_note}. Read conservatively: the anchor that signed the issuer as the old one, so no step removes an anchor; state which is new with --new-anchor"
        ),
        ambiguous: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;

    fn anchor(cn: &'static str, serial: u64, not_before: &'static str) -> Cert {
        let mut spec = Spec::ca(cn, serial);
        spec.not_before = not_before;
        let made = self_signed(spec, p256());
        crate::pem::decode_certificates(made.pem.as_bytes())
            .unwrap()
            .remove(0)
    }

    fn set(certs: &[&Cert]) -> BTreeSet<String> {
        certs.iter().map(|c| fingerprint(c)).collect()
    }

    /// `judge` with one proxy per bundle in `proxies`.
    fn judge1(
        bundle: &[Cert],
        proxies: &[BTreeSet<String>],
        issuer: &Cert,
        signer: &str,
        stated: Option<&str>,
    ) -> Judgement {
        let sets: Vec<(&BTreeSet<String>, usize)> = proxies.iter().map(|s| (s, 1)).collect();
        judge(bundle, &sets, issuer, signer, stated)
    }

    #[test]
    fn each_kind_of_evidence_and_its_absence() {
        let old = anchor("root", 1, "2025-01-01T00:00:00Z");
        let new = anchor("root", 2, "2025-01-01T00:00:00Z");
        let later = anchor("root", 3, "2026-10-01T00:00:00Z");
        let issuer = anchor("identity", 9, "2025-06-01T00:00:00Z");
        let (o, n, l) = (fingerprint(&old), fingerprint(&new), fingerprint(&later));
        let both = set(&[&old, &new]);

        // Proxies: one trusts only the old anchor, whatever the bundle order says.
        let j = judge1(
            &[old.clone(), new.clone()],
            &[set(&[&old]), both.clone()],
            &issuer,
            &o,
            None,
        );
        assert_eq!((j.newest.as_str(), j.ambiguous), (n.as_str(), false));
        assert!(
            j.basis
                .contains(", by the proxies' bundles: 1 proxy trusts"),
            "{}",
            j.basis
        );

        // Equal notBefore, proxies silent: bundle order decides (new first).
        let j = judge1(
            &[new.clone(), old.clone()],
            std::slice::from_ref(&both),
            &issuer,
            &o,
            None,
        );
        assert_eq!(
            (j.newest.as_str(), j.ambiguous),
            (n.as_str(), false),
            "{}",
            j.basis
        );
        assert!(j.basis.contains("bundle order"));
        assert!(j.basis.contains("notBefore silent"), "{}", j.basis);

        // Inverted notBefore (the new anchor pre-generated earlier) against bundle order:
        // ambiguous, and the issuer's anchor is read as the old one.
        let j = judge1(
            &[new.clone(), later.clone()],
            &[set(&[&new, &later])],
            &issuer,
            &l,
            None,
        );
        assert!(j.ambiguous, "{}", j.basis);
        assert_eq!(j.newest, n);
        assert!(
            j.basis.starts_with("ambiguous: the evidence disagrees"),
            "{}",
            j.basis
        );

        // The issuer predates an anchor signed by another: that anchor is newer.
        let j = judge1(
            &[later.clone(), old.clone()],
            &[set(&[&later, &old])],
            &issuer,
            &o,
            None,
        );
        assert_eq!(
            (j.newest.as_str(), j.ambiguous),
            (l.as_str(), false),
            "{}",
            j.basis
        );
        assert!(
            j.basis.contains("the issuer (its notBefore is later"),
            "{}",
            j.basis
        );

        // Stated outright.
        let j = judge1(&[new.clone(), old.clone()], &[], &issuer, &o, Some(&o));
        assert_eq!(
            (j.newest.as_str(), j.basis.as_str()),
            (o.as_str(), "stated with --new-anchor")
        );

        // Proxies that contradict each other do not decide.
        let j = judge1(
            &[new.clone(), old.clone()],
            &[set(&[&old]), set(&[&new])],
            &issuer,
            &o,
            None,
        );
        assert!(j.ambiguous, "{}", j.basis);
        assert!(j.basis.contains("proxies' bundles disagree"), "{}", j.basis);
    }
}
