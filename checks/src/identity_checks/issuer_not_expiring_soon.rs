use crate::check::{Category, Check, CheckMeta, Context, Input, MarginRole, Outcome, Severity};
use crate::rules::expiring_problem;

/// The issuer certificate does not expire within the margin.
pub struct IssuerNotExpiringSoon;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-issuer-cert-not-expiring-soon",
    category: Category::LinkerdIdentity,
    description: "issuer cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    margin: Some(MarginRole::Issuer),
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-issuer-cert-not-expiring-soon.md"),
};

impl Check for IssuerNotExpiringSoon {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// The margin in force, and where it came from when cert-manager's renewal point set it.
    fn description(&self, input: &Input<'_>, cx: &Context) -> String {
        let (margin, from) = input.issuer_margin(cx);
        let text = META.description_with_margin(&margin);
        match from {
            Some(from) => format!("{text} ({from})"),
            None => text,
        }
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        super::issuer_leaf(snap, |c| {
            expiring_problem(c, cx.at, snap.issuer_margin(cx).0)
                .map(|p| format!("issuer certificate {p}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn issuer_inside_the_margin_warns() {
        let (anchor, _) = healthy_pair();
        let mut spec = Spec::ca("identity", 2);
        spec.not_after = "2026-12-12T12:00:00Z";
        let issuer = signed(spec, p256(), &anchor);
        let snap = installed(&anchor.pem, &issuer);
        assert_eq!(
            error_of(IssuerNotExpiringSoon.run(&crate::check::Input::new(&snap), &cx())),
            "issuer certificate will expire on 2026-12-12T12:00:00Z"
        );
        let mut short = cx();
        short.margins.issuer = "48h".parse().unwrap();
        assert!(matches!(
            IssuerNotExpiringSoon.run(&crate::check::Input::new(&snap), &short),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn under_cert_manager_the_margin_is_renew_before() {
        use crate::cert_manager::testutil::writes_issuer;
        use crate::snapshot::*;
        let (anchor, _) = healthy_pair();
        let mut spec = Spec::ca("identity", 2);
        spec.not_before = "2026-11-21T12:00:00Z";
        spec.not_after = "2026-11-24T00:00:00Z"; // 60 hours; cx() evaluates at 2026-11-22T12:00Z
        let issuer = signed(spec, p256(), &anchor);
        let mut snap = installed(&anchor.pem, &issuer);
        assert!(matches!(
            IssuerNotExpiringSoon.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Fail { .. }
        ));
        snap.insert(
            ObjectRef::new(Kind::Certificate, "linkerd", "linkerd-identity-issuer"),
            ObjectState::Present {
                object: Object::Certificate(Box::new(writes_issuer())),
                from: "t".into(),
            },
        );
        // 36 hours left, renewBefore 25h: cert-manager has not renewed yet, and need not.
        assert!(matches!(
            IssuerNotExpiringSoon.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
        assert_eq!(
            IssuerNotExpiringSoon.description(&crate::check::Input::new(&snap), &cx()),
            "issuer cert is valid for at least 25 hours (cert-manager's renewBefore)"
        );
        // 12 hours later a renewal is overdue.
        let mut later = cx();
        later.at += chrono::TimeDelta::hours(12);
        assert_eq!(
            error_of(IssuerNotExpiringSoon.run(&crate::check::Input::new(&snap), &later)),
            "issuer certificate will expire on 2026-11-24T00:00:00Z"
        );
    }
}
