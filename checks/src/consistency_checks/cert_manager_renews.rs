use crate::cert_manager::{Management, Renewal, duration, issuer_management, renewal};
use crate::check::{
    Category, Check, CheckMeta, Context, Input, MarginSpec, Outcome, Problem, Severity,
};
use crate::snapshot::Snapshot;

/// When cert-manager manages the issuer, its Certificate renews it at a stated point, inside its
/// lifetime, and no later than the issuer margin the user asked for.
pub struct CertManagerRenewsIssuer;

static META: CheckMeta = CheckMeta {
    id: "meshcert-cert-manager-renews-issuer",
    category: Category::MeshcertConsistency,
    description: "cert-manager renews the issuer before the expiry margin",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-cert-manager-renews-issuer.md"),
};

impl Check for CertManagerRenewsIssuer {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn applies(&self, snap: &Snapshot) -> bool {
        !matches!(issuer_management(snap), Management::No)
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        let (object, c) = match super::issuer_certificate(snap.snapshot()) {
            Ok(found) => found,
            Err(outcome) => return *outcome,
        };
        let mut problems = Vec::new();
        let mut problem = |message: String| problems.push(Problem::in_object(&object, message));
        let lifetime = duration(c).map_err(|e| problem(format!("{object}: {e}")));
        match renewal(c) {
            Err(e) => problem(format!("{object}: {e}")),
            Ok(Renewal::Default) => problem(format!(
                "{object} sets no spec.renewBefore: cert-manager renews when a third of the lifetime remains; state when with renewBefore"
            )),
            Ok(Renewal::Percentage(_)) => {}
            Ok(Renewal::Before(before)) => {
                if let Ok(lifetime) = lifetime
                    && before >= lifetime
                {
                    problem(format!(
                        "{object}: spec.renewBefore {} is not shorter than spec.duration {}: cert-manager cannot renew before the margin and renews on every reconcile",
                        c.renew_before.as_deref().unwrap_or_default(),
                        c.duration.as_deref().unwrap_or("(default 2160h)")
                    ));
                }
                if cx.issuer_margin_set
                    && let MarginSpec::Fixed(margin) = cx.margins.issuer
                    && margin.delta() > before
                {
                    problem(format!(
                        "{object} renews the issuer {} before it expires, inside the issuer margin of {margin} in force: \"issuer cert is valid for at least {margin}\" warns before every renewal",
                        crate::check::Margin::from_delta(before)
                    ));
                }
            }
        }
        Outcome::of_problems(problems, Default::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert_manager::testutil::{managed, writes_issuer};
    use crate::identity_checks::testutil::{cx, error_of};

    #[test]
    fn renewal_settings_are_checked() {
        assert!(matches!(
            CertManagerRenewsIssuer
                .run(&crate::check::Input::new(&managed(writes_issuer())), &cx()),
            Outcome::Pass(_)
        ));
        let mut c = writes_issuer();
        c.renew_before = None;
        assert_eq!(
            error_of(CertManagerRenewsIssuer.run(&crate::check::Input::new(&managed(c)), &cx())),
            "Certificate linkerd/issuer-cert sets no spec.renewBefore: cert-manager renews when a third of the lifetime remains; state when with renewBefore"
        );
        let mut c = writes_issuer();
        c.renew_before = Some("72h".into());
        assert_eq!(
            error_of(CertManagerRenewsIssuer.run(&crate::check::Input::new(&managed(c)), &cx())),
            "Certificate linkerd/issuer-cert: spec.renewBefore 72h is not shorter than spec.duration 48h0m0s: cert-manager cannot renew before the margin and renews on every reconcile"
        );
        let mut c = writes_issuer();
        c.duration = Some("2 days".into());
        assert_eq!(
            error_of(CertManagerRenewsIssuer.run(&crate::check::Input::new(&managed(c)), &cx())),
            "Certificate linkerd/issuer-cert: spec.duration: invalid duration \"2 days\": unknown unit \" days\""
        );
        // The user's own issuer margin longer than renewBefore.
        let mut strict = cx();
        strict.issuer_margin_set = true;
        strict.margins.issuer = "30d".parse().unwrap();
        assert_eq!(
            error_of(CertManagerRenewsIssuer.run(
                &crate::check::Input::new(&managed(writes_issuer())),
                &strict
            )),
            "Certificate linkerd/issuer-cert renews the issuer 25 hours before it expires, inside the issuer margin of 30 days in force: \"issuer cert is valid for at least 30 days\" warns before every renewal"
        );
        let mut c = writes_issuer();
        c.renew_before = None;
        c.renew_before_percentage = Some("40".into());
        assert!(matches!(
            CertManagerRenewsIssuer.run(&crate::check::Input::new(&managed(c.clone())), &cx()),
            Outcome::Pass(_)
        ));
        c.renew_before_percentage = Some("100".into());
        assert_eq!(
            error_of(CertManagerRenewsIssuer.run(&crate::check::Input::new(&managed(c)), &cx())),
            "Certificate linkerd/issuer-cert: spec.renewBeforePercentage \"100\" is not a whole number from 1 to 99"
        );
    }

    #[test]
    fn skips_when_cert_manager_does_not_manage_the_issuer() {
        let (anchor, issuer) = crate::identity_checks::testutil::healthy_pair();
        let snap = crate::identity_checks::testutil::installed(&anchor.pem, &issuer);
        assert_eq!(
            CertManagerRenewsIssuer.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Skip("the issuer is not managed by cert-manager (no Certificate in namespace linkerd writes Secret linkerd-identity-issuer)".into())
        );
    }
}
