use crate::check::{Category, Check, CheckMeta, Context, Input, MarginRole, Outcome, Severity};
use crate::rules::expiring_problem;

/// No trust anchor expires within the margin (60 days unless `--min-validity` says otherwise).
pub struct TrustAnchorsNotExpiringSoon;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-trustAnchors-not-expiring-soon",
    category: Category::LinkerdIdentity,
    description: "trust anchors are valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    margin: Some(MarginRole::TrustAnchors),
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-trustAnchors-not-expiring-soon.md"),
};

impl Check for TrustAnchorsNotExpiringSoon {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        super::each_anchor(snap, "Anchors expiring soon", |c| {
            expiring_problem(c, cx.at, cx.margins.get(MarginRole::TrustAnchors))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn anchor_inside_the_margin_is_listed_and_a_shorter_margin_clears_it() {
        let mut spec = Spec::ca("soon", 5);
        spec.not_after = "2026-12-22T12:00:00Z";
        let anchor = self_signed(spec, p256());
        let issuer = signed(Spec::ca("issuer", 6), p256(), &anchor);
        let snap = installed(&anchor.pem, &issuer);
        assert_eq!(
            error_of(TrustAnchorsNotExpiringSoon.run(&crate::check::Input::new(&snap), &cx())),
            "Anchors expiring soon:\n\t* 5 soon will expire on 2026-12-22T12:00:00Z"
        );
        let mut short = cx();
        short.margins.trust_anchors = "30d".parse().unwrap();
        assert!(matches!(
            TrustAnchorsNotExpiringSoon.run(&crate::check::Input::new(&snap), &short),
            Outcome::Pass(_)
        ));
        assert_eq!(
            META.description_with(&short),
            "trust anchors are valid for at least 30 days"
        );
        assert_eq!(
            META.description_with(&cx()),
            "trust anchors are valid for at least 60 days"
        );
    }
}
