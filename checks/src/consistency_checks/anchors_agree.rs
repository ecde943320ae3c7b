use std::collections::BTreeSet;

use crate::cert::Cert;
use crate::check::{
    Category, Check, CheckMeta, Context, Details, Failure, Input, Outcome, Problem, Severity,
};
use crate::data_plane::{BUNDLE_KEY, TRUST_ROOTS};
use crate::identity::{ISSUER_SECRET, LINKERD_CONFIG, config_anchors_origin, parse_values};
use crate::pem::decode_bundle_lenient;
use crate::snapshot::{Fetched, Kind, ObjectRef, Origin, SecretValue, Snapshot};

/// linkerd-config's `identityTrustAnchorsPEM`, ConfigMap `linkerd-identity-trust-roots` and the
/// issuer Secret's `ca.crt` hold the same trust anchors (linkerd reads each in different places).
pub struct TrustAnchorsAgree;

static META: CheckMeta = CheckMeta {
    id: "meshcert-trust-anchors-agree",
    category: Category::MeshcertConsistency,
    description: "trust anchors agree across linkerd-config, linkerd-identity-trust-roots and the issuer secret",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-trust-anchors-agree.md"),
};

/// The readable anchor sources: (where, its certificates).
fn sources(snap: &Snapshot) -> Vec<(Origin, Vec<Cert>)> {
    let ns = snap.linkerd_namespace.as_str();
    let mut out = Vec::new();
    if let Fetched::Present(cm) = snap.config_map(ns, LINKERD_CONFIG)
        && let Some(values) = cm.data.get("values")
        && let Ok(v) = parse_values(values)
        && let Some(Ok(certs)) = v
            .get("identityTrustAnchorsPEM")
            .and_then(|p| p.as_str())
            .map(decode_bundle_lenient)
    {
        out.push((config_anchors_origin(ns), certs));
    }
    if let Fetched::Present(cm) = snap.config_map(ns, TRUST_ROOTS)
        && let Some(Ok(certs)) = cm.data.get(BUNDLE_KEY).map(|t| decode_bundle_lenient(t))
    {
        out.push((
            Origin::Key {
                object: ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS),
                key: BUNDLE_KEY.into(),
            },
            certs,
        ));
    }
    if let Fetched::Present(secret) = snap.secret(ns, ISSUER_SECRET)
        && let Some(SecretValue::Bytes(b)) = secret.data.get("ca.crt")
        && let Ok(Ok(certs)) = std::str::from_utf8(b.expose()).map(decode_bundle_lenient)
    {
        out.push((
            Origin::Key {
                object: ObjectRef::new(Kind::Secret, ns, ISSUER_SECRET),
                key: "ca.crt".into(),
            },
            certs,
        ));
    }
    out
}

/// The anchor sources meshcert was not allowed to read, for the skip reason: `; Secret
/// linkerd/linkerd-identity-issuer is forbidden`.
fn forbidden(snap: &Snapshot) -> String {
    let ns = snap.linkerd_namespace.as_str();
    let objects = [
        (
            ObjectRef::new(Kind::ConfigMap, ns, LINKERD_CONFIG),
            matches!(snap.config_map(ns, LINKERD_CONFIG), Fetched::Forbidden(_)),
        ),
        (
            ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS),
            matches!(snap.config_map(ns, TRUST_ROOTS), Fetched::Forbidden(_)),
        ),
        (
            ObjectRef::new(Kind::Secret, ns, ISSUER_SECRET),
            matches!(snap.secret(ns, ISSUER_SECRET), Fetched::Forbidden(_)),
        ),
    ];
    objects
        .iter()
        .filter(|(_, denied)| *denied)
        .map(|(o, _)| format!("; {o} is forbidden"))
        .collect()
}

impl Check for TrustAnchorsAgree {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, snap: &Input<'_>, _cx: &Context) -> Outcome {
        let sources = sources(snap.snapshot());
        if sources.len() < 2 {
            return Outcome::Skip(format!(
                "{} readable anchor bundle(s): nothing to compare{}",
                sources.len(),
                forbidden(snap.snapshot())
            ));
        }
        let set = |certs: &[Cert]| -> BTreeSet<String> {
            certs
                .iter()
                .map(|c| c.facts.sha256_fingerprint.clone())
                .collect()
        };
        let mut details = Details::default();
        for (origin, certs) in &sources {
            details.certificates.extend(certs.iter().map(|c| {
                crate::check::CertDetail::new(
                    crate::details::CertRole::TrustAnchor,
                    origin,
                    &c.facts,
                    None,
                )
            }));
        }
        let first = set(&sources[0].1);
        if sources.iter().all(|(_, certs)| set(certs) == first) {
            return Outcome::Pass(details);
        }
        let listed = sources
            .iter()
            .map(|(origin, certs)| {
                let names: Vec<String> = certs.iter().map(super::anchor_label).collect();
                Problem::at(origin, format!("{origin}: {}", names.join(", ")))
            })
            .collect();
        Outcome::Fail {
            error: Failure::titled("The trust anchors differ:", listed),
            details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::consistency_checks::testutil::with_pods;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair};

    #[test]
    fn the_same_anchors_everywhere_pass_and_a_difference_names_each_source() {
        let (anchor, issuer) = healthy_pair();
        let snap = with_pods(&anchor.pem, &issuer, &anchor.pem, &[]);
        assert!(matches!(
            TrustAnchorsAgree.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
        let extra = self_signed(Spec::ca("old.linkerd.cluster.local", 9), p256());
        let snap = with_pods(
            &anchor.pem,
            &issuer,
            &format!("{}{}", extra.pem, anchor.pem),
            &[],
        );
        let err = error_of(TrustAnchorsAgree.run(&crate::check::Input::new(&snap), &cx()));
        assert!(err.starts_with("The trust anchors differ:\n\t* field identityTrustAnchorsPEM in key values of ConfigMap linkerd/linkerd-config: 1 root.linkerd.cluster.local (sha256 "), "{err}");
        assert!(err.contains("\n\t* key ca-bundle.crt of ConfigMap linkerd/linkerd-identity-trust-roots: 9 old.linkerd.cluster.local (sha256 "), "{err}");
    }

    #[test]
    fn an_external_issuers_ca_crt_and_linkerd_2_9_global_values_are_sources_too() {
        use crate::identity_checks::testutil::{snapshot, values};
        let (anchor, issuer) = healthy_pair();
        let other = self_signed(Spec::ca("other.linkerd.cluster.local", 7), p256());
        let external = |ca_crt: &str| {
            snapshot(
                Some(values(&anchor.pem, "kubernetes.io/tls")),
                Some(vec![
                    ("ca.crt", ca_crt.to_string()),
                    ("tls.crt", issuer.pem.clone()),
                    ("tls.key", issuer.key_pem()),
                ]),
            )
        };
        assert!(matches!(
            TrustAnchorsAgree.run(&crate::check::Input::new(&external(&anchor.pem)), &cx()),
            Outcome::Pass(_)
        ));
        let err = error_of(
            TrustAnchorsAgree.run(&crate::check::Input::new(&external(&other.pem)), &cx()),
        );
        assert!(
            err.contains(
                "\n\t* key ca.crt of Secret linkerd/linkerd-identity-issuer: 7 other.linkerd.cluster.local (sha256 "
            ),
            "{err}"
        );

        // Linkerd 2.9 kept the values under `global:`.
        let global: String = values(&anchor.pem, "linkerd.io/tls")
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect();
        let mut snap = with_pods(&anchor.pem, &issuer, &other.pem, &[]);
        let mut cm = crate::snapshot::ConfigMap::default();
        cm.data
            .insert("values".into(), format!("global:\n{global}"));
        snap.insert(
            ObjectRef::new(Kind::ConfigMap, "linkerd", LINKERD_CONFIG),
            crate::snapshot::ObjectState::Present {
                object: crate::snapshot::Object::ConfigMap(cm),
                from: "t".into(),
            },
        );
        let err = error_of(TrustAnchorsAgree.run(&crate::check::Input::new(&snap), &cx()));
        assert!(
            err.contains("* field identityTrustAnchorsPEM in key values of ConfigMap linkerd/linkerd-config: 1 root.linkerd.cluster.local"),
            "{err}"
        );
    }

    #[test]
    fn one_source_is_nothing_to_compare_and_a_forbidden_one_is_named() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = crate::identity_checks::testutil::installed(&anchor.pem, &issuer);
        let reason =
            |snap: &Snapshot| match TrustAnchorsAgree.run(&crate::check::Input::new(snap), &cx()) {
                Outcome::Skip(reason) => reason,
                other => panic!("{other:?}"),
            };
        assert_eq!(
            reason(&snap),
            "1 readable anchor bundle(s): nothing to compare"
        );
        snap.insert(
            ObjectRef::new(Kind::ConfigMap, "linkerd", TRUST_ROOTS),
            crate::snapshot::ObjectState::Forbidden("forbidden (no)".into()),
        );
        assert_eq!(
            reason(&snap),
            "1 readable anchor bundle(s): nothing to compare; ConfigMap linkerd/linkerd-identity-trust-roots is forbidden"
        );
    }
}
