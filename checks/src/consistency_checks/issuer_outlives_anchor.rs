use crate::cert::format_time;
use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};

/// The issuer certificate expires no later than the trust anchor that signed it: an issuer that
/// outlives its anchor stops working when the anchor expires.
pub struct IssuerExpiresBeforeAnchor;

static META: CheckMeta = CheckMeta {
    id: "meshcert-issuer-cert-expires-before-anchor",
    category: Category::MeshcertConsistency,
    description: "issuer cert expires before the trust anchor that signed it",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-issuer-cert-expires-before-anchor.md"),
};

impl Check for IssuerExpiresBeforeAnchor {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        let anchor = match super::signing_anchor(snap, cx.at) {
            Ok(a) => a,
            Err(why) => return Outcome::Skip(why),
        };
        crate::identity_checks::issuer_leaf(snap, |issuer| {
            (issuer.facts.not_after > anchor.facts.not_after).then(|| {
                format!(
                    "issuer certificate {} (notAfter {}) outlives the trust anchor that signed it, {}, which expires on {}: the issuer stops working then",
                    issuer.label(),
                    format_time(issuer.facts.not_after),
                    super::anchor_label(anchor),
                    format_time(anchor.facts.not_after)
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair, installed};

    #[test]
    fn an_issuer_outliving_its_anchor_warns_even_after_the_anchor_expired() {
        let (anchor, issuer) = healthy_pair();
        assert!(matches!(
            IssuerExpiresBeforeAnchor.run(
                &crate::check::Input::new(&installed(&anchor.pem, &issuer)),
                &cx()
            ),
            Outcome::Pass(_)
        ));
        let mut spec = Spec::ca("root", 1);
        spec.not_after = "2026-01-01T00:00:00Z";
        let short = self_signed(spec, p256());
        let mut spec = Spec::ca("identity", 2);
        spec.not_after = "2028-01-01T00:00:00Z";
        let long = signed(spec, p256(), &short);
        let err = error_of(IssuerExpiresBeforeAnchor.run(
            &crate::check::Input::new(&installed(&short.pem, &long)),
            &cx(),
        ));
        assert!(err.starts_with("issuer certificate 2 identity (notAfter 2028-01-01T00:00:00Z) outlives the trust anchor that signed it, 1 root (sha256 "), "{err}");
        assert!(
            err.ends_with(
                "…), which expires on 2026-01-01T00:00:00Z: the issuer stops working then"
            ),
            "{err}"
        );
        // Signed by no anchor of the bundle: nothing to compare with.
        let other = self_signed(Spec::ca("other", 3), p256());
        assert!(matches!(
            IssuerExpiresBeforeAnchor.run(
                &crate::check::Input::new(&installed(&other.pem, &long)),
                &cx()
            ),
            Outcome::Skip(_)
        ));
    }
}
