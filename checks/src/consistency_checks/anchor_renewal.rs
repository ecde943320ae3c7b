use chrono::{DateTime, Utc};

use crate::cert::format_time;
use crate::cert_manager::{Management, Renewal, duration, renewal};
use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::details::{Details, RenewalDetail};
use crate::margin::MarginRole;
use crate::snapshot::{Certificate, ObjectRef, Snapshot};
use crate::trust_manager::{anchor_management, distribution};

/// cert-manager would renew the trust anchor by itself (Linkerd's guide sets `renewBefore:
/// 7320h` of `8760h`: 60 days after issuance). A new anchor needs every workload restarted and a
/// new issuer; the identity service refuses an issuer its loaded anchors do not verify. So an
/// unattended renewal is an outage on a timer: warn before it, and where the Certificate is set
/// up for one.
pub struct TrustAnchorNotRenewedUnattended;

static META: CheckMeta = CheckMeta {
    id: "meshcert-trust-anchor-not-renewed-unattended",
    category: Category::MeshcertConsistency,
    description: "trust anchor is not renewed unattended",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-trust-anchor-not-renewed-unattended.md"),
};

/// When cert-manager renews the anchor that `secret` holds, written by Certificate `object`:
/// its `status.renewalTime`, else the anchor's notAfter less the Certificate's renewal margin.
/// `Err` says why neither is known.
pub fn renewal_instant(
    snap: &Snapshot,
    object: &ObjectRef,
    c: &Certificate,
    secret: &ObjectRef,
) -> Result<RenewalDetail, String> {
    let anchor = crate::trust_manager::secret_anchor(snap, secret);
    let detail = |at: DateTime<Utc>, basis: String| RenewalDetail {
        certificate: object.to_string(),
        secret: secret.to_string(),
        renewal_time: format_time(at),
        basis,
        rotation_policy: c.rotation_policy.clone(),
        sha256_fingerprint: anchor.as_ref().map(|a| a.facts.sha256_fingerprint.clone()),
    };
    if let Some(text) = &c.renewal_time {
        return DateTime::parse_from_rfc3339(text)
            .map(|t| {
                detail(
                    t.with_timezone(&Utc),
                    format!("{object} status.renewalTime"),
                )
            })
            .map_err(|e| format!("{object}: status.renewalTime {text:?} is not a time: {e}"));
    }
    let Some(anchor) = &anchor else {
        return Err(format!(
            "{object} has no status.renewalTime, and no certificate was read from {secret}"
        ));
    };
    let margin = renewal(c)?.margin();
    let (nb, na) = (anchor.facts.not_before, anchor.facts.not_after);
    Ok(detail(
        na - margin.for_validity(nb, na),
        format!("the anchor's notAfter less the renewal margin of {object} ({margin})"),
    ))
}

/// What an unattended renewal costs under `policy` (`spec.privateKey.rotationPolicy`).
fn cost(policy: Option<&str>) -> &'static str {
    match policy {
        Some("Never") => {
            "it keeps the key, so proxies keep verifying, but the trust bundle changes under every workload"
        }
        _ => {
            "a new key: a new trust anchor, which every proxy must trust (all workloads restarted) before an issuer signed by it is deployed, and which the identity service refuses until then"
        }
    }
}

impl Check for TrustAnchorNotRenewedUnattended {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// Only where trust-manager distributes the trust roots, as Linkerd's guide sets it up.
    fn applies(&self, snap: &Snapshot) -> bool {
        distribution(snap).is_some()
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let (secret, object, c) = match anchor_management(snap) {
            None => {
                let forbidden = crate::trust_manager::source_secrets(snap)
                    .into_iter()
                    .find_map(|s| match snap.get(&s) {
                        Some(crate::snapshot::ObjectState::Forbidden(why)) => {
                            Some(format!("cannot read {s}: {why}"))
                        }
                        _ => None,
                    });
                if let Some(why) = forbidden {
                    return Outcome::Skip(why);
                }
                return Outcome::Skip(format!(
                    "cert-manager does not manage the trust anchor (no Certificate in namespace {} writes a source Secret of the trust bundle)",
                    snap.trust_namespace
                ));
            }
            Some((_, Management::Unknown(why))) => return Outcome::Skip(why),
            Some((
                _,
                Management::Yes {
                    certificate: Err(why),
                    ..
                },
            )) => return Outcome::Skip(why),
            Some((
                secret,
                Management::Yes {
                    object,
                    certificate: Ok(c),
                },
            )) => (secret, object, c),
            Some((_, Management::No)) => unreachable!("anchor_management omits unmanaged Secrets"),
        };
        let mut problems = Vec::new();
        let mut problem = |message: String| problems.push(Problem::in_object(&object, message));
        let policy = c.rotation_policy.as_deref();
        if policy.is_none() {
            problem(format!(
                "{object} sets no spec.privateKey.rotationPolicy: cert-manager 1.18 changed its default from Never to Always, so whether a renewal is a new anchor (a rotation) depends on the cert-manager version; state it"
            ));
        }
        match (renewal(c), duration(c)) {
            (Err(e), _) | (_, Err(e)) => problem(format!("{object}: {e}")),
            (Ok(Renewal::Before(before)), Ok(lifetime)) if before * 2 > lifetime => {
                problem(format!(
                    "{object}: spec.renewBefore {} is more than half of spec.duration {}: cert-manager re-issues the anchor {} days after issuance, unattended",
                    c.renew_before.as_deref().unwrap_or_default(),
                    c.duration.as_deref().unwrap_or("(default 2160h)"),
                    (lifetime - before).num_days()
                ));
            }
            (Ok(Renewal::Percentage(p)), Ok(lifetime)) if p > 50 => problem(format!(
                "{object}: spec.renewBeforePercentage {p} is more than half: cert-manager re-issues the anchor {} days after issuance, unattended",
                (lifetime - lifetime * i32::from(p) / 100).num_days()
            )),
            _ => {}
        }
        let renewal = match renewal_instant(snap, &object, c, &secret) {
            Ok(r) => Some(r),
            Err(why) => {
                problem(why);
                None
            }
        };
        if let Some(r) = &renewal
            && let Ok(at) = DateTime::parse_from_rfc3339(&r.renewal_time)
        {
            let at = at.with_timezone(&Utc);
            let margin = cx.margins.get(MarginRole::TrustAnchors);
            let window = match margin {
                crate::margin::MarginSpec::Fixed(m) => m.delta(),
                // A share of a lifetime has no lifetime here: linkerd's 60 days.
                crate::margin::MarginSpec::Lifetime(_) => crate::margin::Margin::default().delta(),
            };
            if at - cx.at < window {
                let when = if at <= cx.at {
                    format!("was due at {} (overdue)", r.renewal_time)
                } else {
                    format!(
                        "is due at {} (in {} days)",
                        r.renewal_time,
                        (at - cx.at).num_days()
                    )
                };
                problem(format!(
                    "cert-manager's unattended renewal of the trust anchor in {secret} {when}, from {}: {}. Rotate on your own schedule before then (`meshcert rotation` gives the steps, starting with cmctl renew), or move the renewal later (spec.renewBefore)",
                    r.basis,
                    cost(policy)
                ));
            }
        }
        let details = Details {
            renewal,
            ..Default::default()
        };
        Outcome::of_problems(problems, details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::{Spec, p256, self_signed};
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair};
    use crate::snapshot::Object;
    use crate::trust_manager::testutil::*;

    fn run(snap: &Snapshot) -> Outcome {
        TrustAnchorNotRenewedUnattended.run(&Input::new(snap), &cx())
    }

    #[test]
    fn an_attended_anchor_passes_and_its_renewal_instant_is_in_the_details() {
        let (anchor, issuer) = healthy_pair();
        let snap = guide(&anchor, &issuer);
        let Outcome::Pass(details) = run(&snap) else {
            panic!("{:?}", run(&snap))
        };
        let r = details.renewal.unwrap();
        // No status.renewalTime: the anchor's notAfter (2035-01-01) less renewBefore (30 days).
        assert_eq!(r.renewal_time, "2034-12-02T00:00:00Z");
        assert_eq!(
            r.certificate,
            "Certificate cert-manager/linkerd-trust-anchor"
        );
        assert_eq!(
            r.basis,
            "the anchor's notAfter less the renewal margin of Certificate cert-manager/linkerd-trust-anchor (30 days)"
        );
        assert_eq!(
            r.sha256_fingerprint.as_deref(),
            Some(anchor.cert.facts.sha256_fingerprint.as_str())
        );
    }

    #[test]
    fn the_guides_certificate_warns_with_the_instant_and_what_it_takes() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = guide(&anchor, &issuer);
        let guide_certificate = Certificate {
            duration: Some("8760h0m0s".into()),
            renew_before: Some("7320h0m0s".into()),
            renewal_time: Some("2026-11-30T00:00:00Z".into()),
            ..attended()
        };
        put(
            &mut snap,
            anchor_certificate(),
            Object::Certificate(Box::new(guide_certificate)),
        );
        let e = error_of(run(&snap));
        assert_eq!(
            e,
            "2 problems:\n\t* Certificate cert-manager/linkerd-trust-anchor: spec.renewBefore 7320h0m0s is more than half of spec.duration 8760h0m0s: cert-manager re-issues the anchor 60 days after issuance, unattended\n\t* cert-manager's unattended renewal of the trust anchor in Secret cert-manager/linkerd-trust-anchor is due at 2026-11-30T00:00:00Z (in 7 days), from Certificate cert-manager/linkerd-trust-anchor status.renewalTime: a new key: a new trust anchor, which every proxy must trust (all workloads restarted) before an issuer signed by it is deployed, and which the identity service refuses until then. Rotate on your own schedule before then (`meshcert rotation` gives the steps, starting with cmctl renew), or move the renewal later (spec.renewBefore)"
        );
    }

    #[test]
    fn an_unset_rotation_policy_and_an_overdue_renewal_warn() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = guide(&anchor, &issuer);
        let c = Certificate {
            rotation_policy: None,
            renewal_time: Some("2026-11-01T00:00:00Z".into()),
            ..attended()
        };
        put(
            &mut snap,
            anchor_certificate(),
            Object::Certificate(Box::new(c)),
        );
        let e = error_of(run(&snap));
        assert!(e.contains("sets no spec.privateKey.rotationPolicy: cert-manager 1.18 changed its default from Never to Always"), "{e}");
        assert!(
            e.contains("was due at 2026-11-01T00:00:00Z (overdue)"),
            "{e}"
        );
    }

    #[test]
    fn skipped_where_cert_manager_does_not_write_the_anchor() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = Snapshot::new("linkerd");
        for (o, s) in guide(&anchor, &issuer).objects() {
            if *o != anchor_certificate() {
                snap.insert(o.clone(), s.clone());
            }
        }
        // The Secrets are plain: no Certificate writes them.
        put(&mut snap, anchor_secret(), secret(&anchor.pem, false));
        let other = self_signed(Spec::ca("x", 9), p256());
        put(&mut snap, previous_secret(), secret(&other.pem, false));
        let Outcome::Skip(why) = run(&snap) else {
            panic!()
        };
        assert_eq!(
            why,
            "cert-manager does not manage the trust anchor (no Certificate in namespace cert-manager writes a source Secret of the trust bundle)"
        );
    }
}
