//! "identity service has loaded the current issuer": each Running identity pod's loaded issuer
//! (the evaluation instant plus its `issuer_cert_ttl_seconds`) against the issuer Secret's
//! notAfter, and the identity controller's issuer Events.

use chrono::{DateTime, TimeDelta, Utc};

use crate::cert::format_time;
use crate::check::{
    Category, Check, CheckMeta, Context, Details, Failure, Input, Outcome, Problem, Severity,
};
use crate::details::{IssuerEventDetail, LoadedIssuer, RuntimeDetail};
use crate::identity::ISSUER_SECRET;
use crate::runtime::{
    Gathered, ISSUER_UPDATE_SKIPPED, ISSUER_UPDATED, ISSUER_VALIDATION_FAILED, IssuerEvent,
};

pub struct IdentityLoadedCurrentIssuer;

static META: CheckMeta = CheckMeta {
    id: "meshcert-identity-loaded-current-issuer",
    category: Category::MeshcertRuntime,
    description: "identity service has loaded the current issuer",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-identity-loaded-current-issuer.md"),
};

/// How far the loaded issuer's expiry may be from the stored one's and still be the same
/// certificate: the scrape's delay and the clocks' skew. Issuers are renewed hours apart.
pub const TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// How many Events a report shows.
const EVENTS_SHOWN: usize = 3;

/// The issuer Events newest first (those without a time last).
fn newest_first(events: &[IssuerEvent]) -> Vec<&IssuerEvent> {
    let mut out: Vec<&IssuerEvent> = events
        .iter()
        .filter(|e| {
            [
                ISSUER_UPDATED,
                ISSUER_UPDATE_SKIPPED,
                ISSUER_VALIDATION_FAILED,
            ]
            .contains(&e.reason.as_str())
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    out
}

/// The refusals newer than the latest `IssuerUpdated`: the identity service kept its old
/// issuer, or found at a CSR that the one it has no longer verifies.
fn refusals_since_update<'a>(events: &[&'a IssuerEvent]) -> Vec<&'a IssuerEvent> {
    let updated = events
        .iter()
        .filter(|e| e.reason == ISSUER_UPDATED)
        .filter_map(|e| e.at)
        .max();
    events
        .iter()
        .copied()
        .filter(|e| e.reason != ISSUER_UPDATED)
        .filter(|e| match (e.at, updated) {
            (Some(at), Some(updated)) => at > updated,
            _ => true,
        })
        .collect()
}

fn event_text(e: &IssuerEvent) -> String {
    match e.at {
        Some(at) => format!("{} at {}: {}", e.reason, format_time(at), e.message),
        None => format!("{}: {}", e.reason, e.message),
    }
}

/// "latest issuer Events: …", or what their absence means.
fn events_summary(events: &Gathered<Vec<IssuerEvent>>, newest: &[&IssuerEvent]) -> String {
    match events {
        Gathered::Got(_) if newest.is_empty() => {
            "no issuer Events (Events expire, after 1 hour by default: their absence proves nothing)"
                .to_string()
        }
        Gathered::Got(_) => format!(
            "latest issuer Events: {}",
            newest
                .iter()
                .take(EVENTS_SHOWN)
                .map(|e| event_text(e))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Gathered::NotGathered(_) | Gathered::Forbidden(_) => {
            "the issuer Events were not read".to_string()
        }
    }
}

impl Check for IdentityLoadedCurrentIssuer {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let ns = snap.linkerd_namespace.as_str();
        let runtime = &snap.runtime;
        let newest = match &runtime.events {
            Gathered::Got(events) => newest_first(events),
            _ => Vec::new(),
        };
        let summary = events_summary(&runtime.events, &newest);
        let mut problems: Vec<Problem> = refusals_since_update(&newest)
            .into_iter()
            .map(|e| {
                Problem::named(
                    "Deployment",
                    ns,
                    crate::runtime::IDENTITY_DEPLOYMENT,
                    format!(
                        "the identity service refused an issuer update and kept its old issuer: {}",
                        event_text(e)
                    ),
                )
            })
            .collect();
        let mut detail = RuntimeDetail {
            issuer_events: newest
                .iter()
                .map(|e| IssuerEventDetail {
                    reason: e.reason.clone(),
                    message: e.message.clone(),
                    at: e.at.map(format_time),
                })
                .collect(),
            ..RuntimeDetail::default()
        };
        let stored = input
            .identity()
            .issuer
            .as_ref()
            .map(|c| c.value.leaf().facts.not_after);
        let unjudged = match (&runtime.identity, &stored) {
            (Gathered::Got(scrapes), Ok(stored)) if !scrapes.is_empty() => {
                for s in scrapes {
                    match judge(s, *stored, cx.at) {
                        Judged::Loaded {
                            loaded,
                            ttl,
                            current,
                        } => {
                            detail.loaded_issuers.push(LoadedIssuer {
                                namespace: s.namespace.clone(),
                                pod: s.pod.clone(),
                                ttl_seconds: ttl.round() as i64,
                                loaded_not_after: format_time(loaded),
                                stored_not_after: format_time(*stored),
                                current,
                            });
                            if !current {
                                problems.push(stale(s, loaded, *stored, ns, &summary));
                            }
                        }
                        Judged::NotANumber(ttl) => problems.push(Problem::named(
                            "Pod",
                            &s.namespace,
                            &s.pod,
                            format!(
                                "pod {}/{} reports {} {ttl}",
                                s.namespace,
                                s.pod,
                                crate::runtime::ISSUER_TTL_METRIC
                            ),
                        )),
                        Judged::Unreadable(why) => problems.push(Problem::named(
                            "Pod",
                            &s.namespace,
                            &s.pod,
                            format!(
                                "cannot read which issuer pod {}/{} has loaded: {why}",
                                s.namespace, s.pod
                            ),
                        )),
                    }
                }
                None
            }
            (Gathered::Got(_), Ok(_)) => Some(format!(
                "no Running identity pod in namespace {ns} to ask which issuer it has loaded"
            )),
            (Gathered::Got(_), Err(why)) => Some(format!(
                "the stored issuer certificate cannot be read: {why}"
            )),
            (other, _) => super::not_gathered("the identity pods' metrics", other),
        };
        // What was not read of the Events, said beside why the check cannot judge.
        let unjudged =
            unjudged.map(
                |why| match super::not_gathered("the issuer Events", &runtime.events) {
                    Some(events) if !matches!(runtime.events, Gathered::NotGathered(_)) => {
                        format!("{why}; {events}")
                    }
                    _ => why,
                },
            );
        let details = Details {
            runtime: Some(detail),
            ..Details::default()
        };
        match (problems.is_empty(), unjudged) {
            (false, _) => Outcome::Fail {
                error: Failure::problems(problems),
                details,
            },
            (true, Some(why)) => Outcome::Skip(why),
            (true, None) => Outcome::Pass(details),
        }
    }
}

/// Whether the identity pods have loaded the issuer that expires at `stored`, as far as the
/// runtime evidence tells (for `meshcert rotation`'s step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Every Running identity pod has loaded it (their names).
    Current(Vec<String>),
    /// These pods have loaded another issuer.
    Stale(Vec<String>),
    /// The evidence does not tell, and why.
    Unknown(String),
}

pub fn loaded(
    runtime: &crate::runtime::Runtime,
    stored: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Loaded {
    let scrapes = match &runtime.identity {
        Gathered::Got(scrapes) if !scrapes.is_empty() => scrapes,
        Gathered::Got(_) => return Loaded::Unknown("no Running identity pod was found".into()),
        other => {
            return Loaded::Unknown(
                super::not_gathered("the identity pods' metrics", other).unwrap_or_default(),
            );
        }
    };
    let (mut current, mut stale) = (Vec::new(), Vec::new());
    for s in scrapes {
        match judge(s, stored, at) {
            Judged::Loaded { current: true, .. } => current.push(s.pod.clone()),
            Judged::Loaded { current: false, .. } => stale.push(s.pod.clone()),
            Judged::NotANumber(_) | Judged::Unreadable(_) => {
                return Loaded::Unknown(format!("the metrics of pod {} could not be read", s.pod));
            }
        }
    }
    if stale.is_empty() {
        Loaded::Current(current)
    } else {
        Loaded::Stale(stale)
    }
}

/// What one identity pod's gauge says of the issuer it has loaded, against the stored one's
/// notAfter: the one rule of the check and of `meshcert rotation`'s step 4.
enum Judged {
    Loaded {
        loaded: DateTime<Utc>,
        ttl: f64,
        /// The same certificate, within [`TOLERANCE`].
        current: bool,
    },
    NotANumber(f64),
    Unreadable(String),
}

fn judge(s: &crate::runtime::Scrape, stored: DateTime<Utc>, at: DateTime<Utc>) -> Judged {
    match &s.value {
        Ok(ttl) if ttl.is_finite() => {
            let loaded = loaded_not_after(at, *ttl);
            Judged::Loaded {
                loaded,
                ttl: *ttl,
                current: (loaded - stored).abs() <= TOLERANCE,
            }
        }
        Ok(ttl) => Judged::NotANumber(*ttl),
        Err(why) => Judged::Unreadable(why.clone()),
    }
}

/// When the loaded issuer expires: the evaluation instant plus its TTL (whole milliseconds).
fn loaded_not_after(at: DateTime<Utc>, ttl_seconds: f64) -> DateTime<Utc> {
    let millis = (ttl_seconds * 1000.0).clamp(-1e15, 1e15) as i64;
    at + TimeDelta::milliseconds(millis)
}

fn stale(
    scrape: &crate::runtime::Scrape,
    loaded: DateTime<Utc>,
    stored: DateTime<Utc>,
    ns: &str,
    events: &str,
) -> Problem {
    let what = if loaded < stored {
        "the identity service is signing with a stale issuer"
    } else {
        "the identity service is signing with an issuer that outlives the stored one (the Secret was replaced by an older certificate?)"
    };
    let (pod_ns, pod) = (&scrape.namespace, &scrape.pod);
    Problem::named(
        "Pod",
        pod_ns,
        pod,
        format!(
            "pod {pod_ns}/{pod} has loaded an issuer that expires at {}, but Secret {ns}/{ISSUER_SECRET} holds one that expires at {}: {what}; restart the identity Deployment (kubectl -n {ns} rollout restart deploy/linkerd-identity); {events}",
            format_time(loaded),
            format_time(stored)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity_checks::testutil::{cx, healthy_pair, installed};
    use crate::runtime::{Gathered, IssuerEvent};
    use crate::runtime_checks::test_support::{at, scrape};

    fn run(snap: &crate::snapshot::Snapshot, at: DateTime<Utc>) -> Outcome {
        let cx = Context { at, ..cx() };
        IdentityLoadedCurrentIssuer.run(&Input::new(snap), &cx)
    }

    fn event(reason: &str, when: &str, message: &str) -> IssuerEvent {
        IssuerEvent {
            reason: reason.into(),
            message: message.into(),
            at: Some(at(when)),
        }
    }

    #[test]
    fn a_pod_that_loaded_the_stored_issuer_passes_and_a_stale_one_is_named() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let stored = Input::new(&snap)
            .identity()
            .issuer
            .as_ref()
            .unwrap()
            .value
            .leaf()
            .facts
            .not_after;
        let now = stored - TimeDelta::days(10);
        let ttl = (stored - now).num_seconds() as f64;
        snap.runtime.identity = Gathered::Got(vec![scrape(
            "linkerd",
            "identity-a",
            "linkerd-identity",
            Ok(ttl - 30.0),
        )]);
        snap.runtime.events = Gathered::Got(vec![]);
        let Outcome::Pass(details) = run(&snap, now) else {
            panic!("should pass")
        };
        let loaded = &details.runtime.unwrap().loaded_issuers[0];
        assert!(loaded.current);
        assert_eq!(loaded.pod, "identity-a");

        // identity-b still holds the issuer before the renewal: expires 20 days earlier.
        snap.runtime.identity = Gathered::Got(vec![
            scrape("linkerd", "identity-a", "linkerd-identity", Ok(ttl)),
            scrape(
                "linkerd",
                "identity-b",
                "linkerd-identity",
                Ok(ttl - 20.0 * 86400.0),
            ),
        ]);
        snap.runtime.events = Gathered::Got(vec![event(
            ISSUER_UPDATED,
            "2020-01-01T00:00:00Z",
            "Updated identity issuer",
        )]);
        let error = crate::identity_checks::testutil::error_of(run(&snap, now));
        assert!(
            error.starts_with("pod linkerd/identity-b has loaded an issuer that expires at "),
            "{error}"
        );
        assert!(
            error.contains(&format!(
                "holds one that expires at {}",
                format_time(stored)
            )),
            "{error}"
        );
        assert!(
            error.contains(&format_time(stored - TimeDelta::days(20))),
            "{error}"
        );
        assert!(error.contains("stale issuer"), "{error}");
        assert!(error.contains("latest issuer Events: IssuerUpdated at 2020-01-01T00:00:00Z: Updated identity issuer"), "{error}");
        assert!(!error.contains("identity-a"), "{error}");
    }

    #[test]
    fn a_refused_update_newer_than_the_last_update_fails_with_its_message() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        snap.runtime.identity = Gathered::Forbidden("no pods/proxy".into());
        snap.runtime.events = Gathered::Got(vec![
            event(
                ISSUER_UPDATED,
                "2026-01-01T00:00:00Z",
                "Updated identity issuer",
            ),
            event(
                ISSUER_UPDATE_SKIPPED,
                "2026-01-02T00:00:00Z",
                "Skipping issuer update as certs could not be read from disk",
            ),
        ]);
        let error =
            crate::identity_checks::testutil::error_of(run(&snap, at("2026-01-03T00:00:00Z")));
        assert!(error.contains("refused an issuer update and kept its old issuer: IssuerUpdateSkipped at 2026-01-02T00:00:00Z: Skipping issuer update"), "{error}");

        // An update after the refusal settles it; without metrics the check cannot judge.
        snap.runtime.events = Gathered::Got(vec![
            event(ISSUER_UPDATE_SKIPPED, "2026-01-01T00:00:00Z", "skipped"),
            event(
                ISSUER_UPDATED,
                "2026-01-02T00:00:00Z",
                "Updated identity issuer",
            ),
        ]);
        let Outcome::Skip(why) = run(&snap, at("2026-01-03T00:00:00Z")) else {
            panic!("should skip")
        };
        assert_eq!(
            why,
            "the identity pods' metrics may not be read: no pods/proxy"
        );
    }

    #[test]
    fn nothing_gathered_skips_and_an_unreadable_pod_fails() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let Outcome::Skip(why) = run(&snap, at("2026-01-03T00:00:00Z")) else {
            panic!()
        };
        assert_eq!(
            why,
            "the identity pods' metrics were not read: the input holds no runtime evidence"
        );
        snap.runtime.identity = Gathered::Got(vec![]);
        let Outcome::Skip(why) = run(&snap, at("2026-01-03T00:00:00Z")) else {
            panic!()
        };
        assert!(
            why.starts_with("no Running identity pod in namespace linkerd"),
            "{why}"
        );
        snap.runtime.identity = Gathered::Got(vec![scrape(
            "linkerd",
            "identity-a",
            "linkerd-identity",
            Err("GET …: gave up after 3 attempts"),
        )]);
        let error =
            crate::identity_checks::testutil::error_of(run(&snap, at("2026-01-03T00:00:00Z")));
        assert_eq!(
            error,
            "cannot read which issuer pod linkerd/identity-a has loaded: GET …: gave up after 3 attempts"
        );
    }
}
