use crate::cert_manager::{Management, issuer_management};
use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Severity};
use crate::snapshot::Snapshot;

/// When cert-manager manages the issuer, its Certificate exists and is Ready: a Certificate that
/// is not Ready is not being renewed.
pub struct CertManagerIssuerReady;

static META: CheckMeta = CheckMeta {
    id: "meshcert-cert-manager-issuer-ready",
    category: Category::MeshcertConsistency,
    description: "cert-manager's Certificate for the issuer is Ready",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-cert-manager-issuer-ready.md"),
};

impl Check for CertManagerIssuerReady {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn applies(&self, snap: &Snapshot) -> bool {
        !matches!(issuer_management(snap), Management::No)
    }

    fn run(&self, snap: &Input<'_>, _: &Context) -> Outcome {
        let (object, c) = match super::issuer_certificate(snap.snapshot()) {
            Ok(found) => found,
            Err(outcome) => return *outcome,
        };
        let fail = |error: String| Outcome::Fail {
            error: crate::check::Problem::in_object(&object, error).into(),
            details: Default::default(),
        };
        match &c.ready {
            None => fail(format!(
                "{object} has no Ready condition: cert-manager has not processed it (is cert-manager running?)"
            )),
            Some(cond) if cond.status == "True" => Outcome::Pass(Default::default()),
            Some(cond) => {
                let mut why = format!("{object} is not Ready (status {}", cond.status);
                if let Some(r) = &cond.reason {
                    why.push_str(&format!(", reason {r}"));
                }
                why.push(')');
                if let Some(m) = &cond.message {
                    why.push_str(&format!(": {m}"));
                }
                fail(format!("{why}; cert-manager is not renewing the issuer"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert_manager::testutil::{managed, writes_issuer};
    use crate::identity_checks::testutil::{cx, error_of};
    use crate::snapshot::Condition;

    #[test]
    fn ready_passes_anything_else_fails_with_the_reason() {
        assert!(matches!(
            CertManagerIssuerReady.run(&crate::check::Input::new(&managed(writes_issuer())), &cx()),
            Outcome::Pass(_)
        ));
        let mut c = writes_issuer();
        c.ready = Some(Condition {
            status: "False".into(),
            reason: Some("Failed".into()),
            message: Some("issuer linkerd-trust-anchor not found".into()),
        });
        assert_eq!(
            error_of(CertManagerIssuerReady.run(&crate::check::Input::new(&managed(c)), &cx())),
            "Certificate linkerd/issuer-cert is not Ready (status False, reason Failed): issuer linkerd-trust-anchor not found; cert-manager is not renewing the issuer"
        );
        let mut c = writes_issuer();
        c.ready = None;
        assert!(
            error_of(CertManagerIssuerReady.run(&crate::check::Input::new(&managed(c)), &cx()))
                .starts_with("Certificate linkerd/issuer-cert has no Ready condition")
        );
    }
}
