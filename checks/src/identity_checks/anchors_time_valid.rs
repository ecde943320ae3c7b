use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};
use crate::rules::validity_problem;

/// Every trust anchor is within its validity period at the evaluation instant.
pub struct TrustAnchorsAreTimeValid;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-trustAnchors-are-time-valid",
    category: Category::LinkerdIdentity,
    description: "trust anchors are within their validity period",
    severity: Severity::Error,
    fatal: true,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-trustAnchors-are-time-valid.md"),
};

impl Check for TrustAnchorsAreTimeValid {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        super::each_anchor(snap, "Invalid anchors", |c| validity_problem(c, cx.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn expired_and_not_yet_valid_anchors_are_listed_as_linkerd_lists_them() {
        let (anchor, issuer) = healthy_pair();
        assert!(matches!(
            TrustAnchorsAreTimeValid.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
        let mut old = Spec::ca("identity.linkerd.cluster.local", 1);
        old.not_before = "1989-01-01T01:00:51Z";
        old.not_after = "1990-01-01T01:01:11Z";
        let old = self_signed(old, p256());
        let mut future = Spec::ca("future", 2);
        future.not_before = "2100-01-01T01:00:51Z";
        future.not_after = "2101-01-01T01:01:11Z";
        let future = self_signed(future, p256());
        let bundle = format!("{}{}{}", old.pem, anchor.pem, future.pem);
        assert_eq!(
            error_of(TrustAnchorsAreTimeValid.run(
                &crate::check::Input::new(&installed(&bundle, &issuer)),
                &cx()
            )),
            "Invalid anchors:\n\t* 1 identity.linkerd.cluster.local not valid anymore. Expired on 1990-01-01T01:01:11Z\n\t* 2 future not valid before: 2100-01-01T01:00:51Z"
        );
    }
}
