use crate::check::{
    Category, Check, CheckMeta, Context, Details, Failure, Input, Outcome, Severity,
};
use crate::data_plane::{DataPlaneDetail, pods_and_restarts, scoped_pods};
use crate::snapshot::PodSummary;

/// Every meshed proxy trusts the anchor that signed the current issuer; a proxy that does not
/// rejects the certificates the identity service issues, and loses mTLS.
pub struct ProxiesTrustIssuerAnchor;

static META: CheckMeta = CheckMeta {
    id: "meshcert-proxies-trust-issuer-anchor",
    category: Category::MeshcertConsistency,
    description: "proxies trust the anchor that signed the current issuer",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-proxies-trust-issuer-anchor.md"),
};

impl Check for ProxiesTrustIssuerAnchor {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, cx: &Context) -> Outcome {
        if let Some(why) = &snap.snapshot().data_plane_unavailable {
            return Outcome::Skip(why.clone());
        }
        let anchor = match super::signing_anchor(snap, cx.at) {
            Ok(a) => a,
            Err(why) => return Outcome::Skip(why),
        };
        let fingerprint = &anchor.facts.sha256_fingerprint;
        let dp = &snap.snapshot().data_plane;
        // Each distinct bundle (decoded once per run): does it hold the issuer's anchor?
        let trusts: Vec<Option<bool>> = snap
            .proxy_bundles()
            .iter()
            .map(|b| {
                b.as_ref().ok().map(|certs| {
                    certs
                        .iter()
                        .any(|c| &c.facts.sha256_fingerprint == fingerprint)
                })
            })
            .collect();
        let scoped = scoped_pods(snap.snapshot(), &cx.scope);
        let lacking: Vec<&PodSummary> = scoped
            .compared
            .iter()
            .filter(|(_, id)| trusts[*id as usize] == Some(false))
            .map(|(p, _)| *p)
            .collect();
        let (stale_pods, workloads) = pods_and_restarts(dp, &lacking);
        let detail = DataPlaneDetail {
            checked_pods: scoped.compared.len(),
            stale_pods,
            workloads,
            ..Default::default()
        };
        if lacking.is_empty() {
            return Outcome::Pass(Details {
                data_plane: Some(detail),
                ..Details::default()
            });
        }
        let pods = crate::data_plane::pod_problems(
            &cx.scope,
            detail
                .stale_pods
                .iter()
                .map(|p| (p.namespace.as_str(), p.name.as_str(), None)),
        );
        let header = format!(
            "Some proxies do not trust {}, the anchor that signed the current issuer, and reject the certificates the identity service issues:",
            super::anchor_label(anchor)
        );
        let error =
            crate::data_plane::restart_sections(Failure::titled(header, pods), &detail.workloads);
        Outcome::Fail {
            error,
            details: Details {
                data_plane: Some(detail),
                ..Details::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::consistency_checks::testutil::with_pods;
    use crate::identity_checks::testutil::{cx, error_of};

    #[test]
    fn a_proxy_without_the_issuers_anchor_is_the_outage_and_is_listed() {
        let old = self_signed(Spec::ca("old", 1), p256());
        let new = self_signed(Spec::ca("new", 2), p256());
        let issuer = signed(Spec::ca("identity", 3), p256(), &new);
        let bundle = format!("{}{}", new.pem, old.pem);
        let snap = with_pods(
            &bundle,
            &issuer,
            &bundle,
            &[
                ("app", "a", &bundle),
                ("app", "b", &old.pem),
                ("linkerd", "cp", &old.pem),
            ],
        );
        let err = error_of(ProxiesTrustIssuerAnchor.run(&crate::check::Input::new(&snap), &cx()));
        assert!(
            err.starts_with("Some proxies do not trust 2 new (sha256 "),
            "{err}"
        );
        assert!(err.ends_with("the anchor that signed the current issuer, and reject the certificates the identity service issues:\n\t* app/b\nRestart them:\n\t* kubectl -n app rollout restart deploy/b (1 pod)"), "{err}");
        // `-n app`: only that namespace, and the pods named as linkerd names them there.
        let mut scoped = cx();
        scoped.scope.data_plane_namespace = Some("app".into());
        let err = error_of(ProxiesTrustIssuerAnchor.run(&crate::check::Input::new(&snap), &scoped));
        assert!(err.contains(":\n\t* b\nRestart them:"), "{err}");
        scoped.scope.data_plane_namespace = Some("other".into());
        assert!(matches!(
            ProxiesTrustIssuerAnchor.run(&crate::check::Input::new(&snap), &scoped),
            Outcome::Pass(_)
        ));
        // Before the new issuer is deployed (issuer from the old anchor), the same proxies are fine.
        let old_issuer = signed(Spec::ca("identity", 4), p256(), &old);
        let snap = with_pods(
            &bundle,
            &old_issuer,
            &bundle,
            &[("app", "a", &bundle), ("app", "b", &old.pem)],
        );
        assert!(matches!(
            ProxiesTrustIssuerAnchor.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
    }
}
