use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};
use crate::rules::validity_problem;

/// The issuer certificate is within its validity period at the evaluation instant.
pub struct IssuerIsTimeValid;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-issuer-cert-is-time-valid",
    category: Category::LinkerdIdentity,
    description: "issuer cert is within its validity period",
    severity: Severity::Error,
    fatal: true,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-identity-issuer-cert-is-time-valid.md"),
};

impl Check for IssuerIsTimeValid {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        super::issuer_leaf(snap, |c| {
            validity_problem(c, cx.at).map(|p| format!("issuer certificate is {p}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::*;

    #[test]
    fn expired_and_future_issuers_fail_with_linkerd_words() {
        let (anchor, _) = healthy_pair();
        let mut spec = Spec::ca("identity", 2);
        spec.not_before = "1989-01-01T01:00:51Z";
        spec.not_after = "1990-01-01T01:01:11Z";
        let expired = signed(spec, p256(), &anchor);
        assert_eq!(
            error_of(IssuerIsTimeValid.run(
                &crate::check::Input::new(&installed(&anchor.pem, &expired)),
                &cx()
            )),
            "issuer certificate is not valid anymore. Expired on 1990-01-01T01:01:11Z"
        );
        let mut spec = Spec::ca("identity", 3);
        spec.not_before = "2100-01-01T01:00:51Z";
        spec.not_after = "2101-01-01T01:01:11Z";
        let future = signed(spec, p256(), &anchor);
        assert_eq!(
            error_of(IssuerIsTimeValid.run(
                &crate::check::Input::new(&installed(&anchor.pem, &future)),
                &cx()
            )),
            "issuer certificate is not valid before: 2100-01-01T01:00:51Z"
        );
    }
}
