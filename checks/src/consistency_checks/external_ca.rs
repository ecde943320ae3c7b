use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::data_plane::TRUST_ROOTS;
use crate::identity::{LINKERD_CONFIG, parse_values};
use crate::snapshot::{Fetched, Kind, ObjectRef};

/// When trust-manager writes the trust-roots ConfigMap, Linkerd is installed with
/// `identity.externalCA=true`, so that Helm does not write the same ConfigMap.
pub struct ExternalCaForTrustManager;

static META: CheckMeta = CheckMeta {
    id: "meshcert-external-ca-for-trust-manager",
    category: Category::MeshcertConsistency,
    description: "Linkerd is installed for an external CA where trust-manager writes the trust roots",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-external-ca-for-trust-manager.md"),
};

impl Check for ExternalCaForTrustManager {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, input: &Input<'_>, _cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let ns = snap.linkerd_namespace.as_str();
        let roots = ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS);
        let bundle = match snap.config_map(ns, TRUST_ROOTS) {
            Fetched::Present(cm) => cm.written_by_bundle.clone(),
            Fetched::Forbidden(why) => return Outcome::Skip(format!("cannot read {roots}: {why}")),
            Fetched::Missing => return Outcome::Skip(format!("{roots} not found")),
        };
        let Some((label, bundle)) = bundle else {
            return Outcome::Skip(format!(
                "trust-manager does not write {roots} (it carries no {} label)",
                crate::snapshot::BUNDLE_LABELS.join(" or ")
            ));
        };
        let config = ObjectRef::new(Kind::ConfigMap, ns, LINKERD_CONFIG);
        let values = match snap.config_map(ns, LINKERD_CONFIG) {
            Fetched::Present(cm) => cm.data.get("values").and_then(|v| parse_values(v).ok()),
            _ => None,
        };
        let Some(values) = values else {
            return Outcome::Skip(format!(
                "the values of {config} cannot be read (see \"certificate config is valid\")"
            ));
        };
        let external = values
            .get("identity")
            .and_then(|i| i.get("externalCA"))
            .and_then(|e| e.as_bool())
            .unwrap_or(false);
        if external {
            return Outcome::Pass(Default::default());
        }
        let kind = if label.starts_with("trust-manager.io") {
            "ClusterBundle"
        } else {
            "Bundle"
        };
        Outcome::Fail {
            error: Problem::at(
                &crate::snapshot::Origin::Field {
                    object: config,
                    key: "values".into(),
                    field: "identity.externalCA".into(),
                },
                format!(
                    "trust-manager's {kind} {bundle} writes {roots} ({label}), but Linkerd is installed without identity.externalCA=true: Helm writes the same ConfigMap, and each upgrade puts its own trust anchors back over trust-manager's; upgrade Linkerd with --set identity.externalCA=true"
                ),
            )
            .into(),
            details: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair, installed};
    use crate::snapshot::{ConfigMap, Object, ObjectState};

    /// Puts the trust-roots ConfigMap in, labelled by trust-manager with `label` when given.
    fn roots(snap: &mut crate::snapshot::Snapshot, label: Option<&str>) {
        let mut cm = ConfigMap {
            written_by_bundle: label.map(|l| (l.into(), "linkerd-identity-trust-roots".into())),
            ..ConfigMap::default()
        };
        cm.data.insert("ca-bundle.crt".into(), "-".into());
        snap.insert(
            ObjectRef::new(Kind::ConfigMap, "linkerd", TRUST_ROOTS),
            ObjectState::Present {
                object: Object::ConfigMap(cm),
                from: "test".into(),
            },
        );
    }

    #[test]
    fn a_bundle_written_trust_root_needs_external_ca() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let run = |snap: &crate::snapshot::Snapshot| {
            ExternalCaForTrustManager.run(&Input::new(snap), &cx())
        };
        let Outcome::Skip(why) = run(&snap) else {
            panic!()
        };
        assert_eq!(
            why,
            "ConfigMap linkerd/linkerd-identity-trust-roots not found"
        );
        roots(&mut snap, None);
        let Outcome::Skip(why) = run(&snap) else {
            panic!()
        };
        assert!(
            why.starts_with(
                "trust-manager does not write ConfigMap linkerd/linkerd-identity-trust-roots"
            ),
            "{why}"
        );
        roots(&mut snap, Some("trust-manager.io/bundle"));
        assert_eq!(
            error_of(run(&snap)),
            "trust-manager's ClusterBundle linkerd-identity-trust-roots writes ConfigMap linkerd/linkerd-identity-trust-roots (trust-manager.io/bundle), but Linkerd is installed without identity.externalCA=true: Helm writes the same ConfigMap, and each upgrade puts its own trust anchors back over trust-manager's; upgrade Linkerd with --set identity.externalCA=true"
        );
        // Installed for an external CA: nothing to fight over.
        let values = crate::identity_checks::testutil::values(&anchor.pem, "kubernetes.io/tls")
            .replace("identity:\n", "identity:\n  externalCA: true\n");
        let mut external = crate::identity_checks::testutil::snapshot(Some(values), None);
        roots(&mut external, Some("trust.cert-manager.io/bundle"));
        assert!(matches!(run(&external), Outcome::Pass(_)));
    }
}
