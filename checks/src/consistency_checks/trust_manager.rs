use crate::check::{
    Category, Check, CheckMeta, Context, Failure, Input, Outcome, Problem, Severity,
};
use crate::data_plane::{BUNDLE_KEY, TRUST_ROOTS};
use crate::snapshot::{Fetched, Kind, Object, ObjectRef, Snapshot, TrustBundle};
use crate::trust_manager::{SourceText, named_sources, source_text};

/// trust-manager distributes the trust bundle the way Linkerd's guide sets it up: a `Bundle` or
/// `ClusterBundle` named after the trust-roots ConfigMap, writing its `ca-bundle.crt` key into
/// the control plane's namespace, and `Synced`.
pub struct TrustManagerDistributesBundle;

static META: CheckMeta = CheckMeta {
    id: "meshcert-trust-manager-distributes-bundle",
    category: Category::MeshcertConsistency,
    description: "trust bundle is distributed by trust-manager as Linkerd expects",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-trust-manager-distributes-bundle.md"),
};

fn bundle_of<'a>(snap: &'a Snapshot, kind: Kind) -> Fetched<'a, TrustBundle> {
    snap.fetch(&ObjectRef::cluster(kind, TRUST_ROOTS), |o| match o {
        Object::TrustBundle(b) => Some(b),
        _ => None,
    })
}

/// `k=v, k2=v2`.
fn labels_text<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let all: Vec<String> = labels
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

/// What the sources of `bundle` say: the problems (a source that does not exist; the trust-roots
/// ConfigMap holding other certificates than the sources), and what could not be verified (a
/// source meshcert may not read, one of another kind), for the description.
pub(crate) fn source_findings(
    snap: &Snapshot,
    object: &ObjectRef,
    bundle: &TrustBundle,
) -> (Vec<Problem>, Vec<String>) {
    let trust_ns = snap.trust_namespace.as_str();
    let ns = snap.linkerd_namespace.as_str();
    let (mut problems, mut unverified) = (Vec::new(), Vec::new());
    let named = named_sources(bundle, trust_ns);
    let others: Vec<&str> = bundle
        .sources
        .iter()
        .filter(|s| {
            !named
                .iter()
                .any(|n| s.name.as_deref() == Some(n.object.name.as_str()))
        })
        .map(|s| s.kind.as_str())
        .collect();
    if !others.is_empty() {
        unverified.push(format!(
            "the ConfigMap's certificates against its {} sources",
            others.join(", ")
        ));
    }
    // Whether anything of the trust namespace was read: without it (a dump without the opt-in,
    // or no RBAC there), a source that is not in the snapshot is unknown, not missing.
    let trust_ns_read = snap
        .objects()
        .any(|(o, _)| o.namespace == trust_ns && o.kind != Kind::Namespace);
    let mut wanted: Vec<(crate::cert::Cert, ObjectRef)> = Vec::new();
    let mut complete = others.is_empty();
    for source in &named {
        let what = &source.object;
        match source_text(snap, source) {
            SourceText::Text(text) => match crate::pem::decode_certificates(text) {
                Ok(certs) if !certs.is_empty() => {
                    wanted.extend(certs.into_iter().map(|c| (c, what.clone())))
                }
                Ok(_) => {
                    complete = false;
                    problems.push(Problem::in_object(
                        what,
                        format!("{what}, a source of {object}, holds no PEM certificate"),
                    ));
                }
                Err(e) => {
                    complete = false;
                    problems.push(Problem::in_object(
                        what,
                        format!("{what}, a source of {object}, is not a PEM certificate: {e}"),
                    ));
                }
            },
            SourceText::Missing(_) if !trust_ns_read && snap.get(what).is_none() => {
                complete = false;
                unverified.push(format!(
                    "its sources (nothing of namespace {trust_ns} was read: grant deploy/base/opt-in/trust-namespace.yaml, or --trust-namespace)"
                ));
            }
            SourceText::Missing(why) => {
                complete = false;
                problems.push(Problem::in_object(
                    what,
                    format!(
                        "{why}: trust-manager cannot build {object} (it reads its sources in its trust namespace {trust_ns} only)"
                    ),
                ));
            }
            SourceText::Unknown(why) => {
                complete = false;
                unverified.push(why);
            }
        }
    }
    unverified.dedup();
    if !complete {
        return (problems, unverified);
    }
    let Fetched::Present(cm) = snap.config_map(ns, TRUST_ROOTS) else {
        return (problems, unverified);
    };
    let roots = ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS);
    let Some(text) = cm.data.get(BUNDLE_KEY) else {
        return (problems, unverified);
    };
    let held = match crate::pem::decode_bundle_lenient(text) {
        Ok(held) => held,
        // "certificate config is valid" names what is wrong with it.
        Err(_) => return (problems, unverified),
    };
    for (cert, source) in &wanted {
        if !held.iter().any(|h| h.der() == cert.der()) {
            problems.push(Problem::in_object(
                &roots,
                format!(
                    "{roots} lacks {} of {source}: trust-manager has not written its sources' certificates there",
                    cert.fingerprinted_label()
                ),
            ));
        }
    }
    for cert in &held {
        if !wanted.iter().any(|(w, _)| w.der() == cert.der()) {
            problems.push(Problem::in_object(
                &roots,
                format!(
                    "{roots} holds {}, which none of the sources of {object} has: written by another hand (Helm without identity.externalCA?), and trust-manager will overwrite it",
                    cert.fingerprinted_label()
                ),
            ));
        }
    }
    (problems, unverified)
}

/// What is wrong with `bundle` (read as `object`) for the control plane in `ns`.
fn problems(snap: &Snapshot, object: &ObjectRef, bundle: &TrustBundle, ns: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    if !bundle.target_keys.iter().any(|k| k == BUNDLE_KEY) {
        let what = if bundle.target_keys.is_empty() {
            "writes no ConfigMap (no spec.target.configMap)".to_string()
        } else {
            format!(
                "writes key {} of the ConfigMap",
                bundle.target_keys.join(", ")
            )
        };
        out.push(Problem::in_object(
            object,
            format!(
                "{object} {what}, but the proxies read {BUNDLE_KEY} of ConfigMap {ns}/{TRUST_ROOTS}"
            ),
        ));
    }
    let namespace = ObjectRef::cluster(Kind::Namespace, ns);
    let labels = snap.fetch(&namespace, |o| match o {
        Object::Namespace(n) => Some(&n.labels),
        _ => None,
    });
    if let Fetched::Forbidden(why) = labels {
        out.push(Problem::in_object(
            &namespace,
            format!("cannot read {namespace} to match the namespaceSelector of {object}: {why}"),
        ));
    }
    if let (Some(selector), Fetched::Present(labels)) = (&bundle.namespace_selector, labels)
        && selector.matches(labels) == Some(false)
    {
        let wanted: Vec<String> = selector
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push(Problem::in_object(
            object,
            format!(
                "the namespaceSelector of {object} ({}) does not select namespace {ns} (labels: {}): trust-manager never writes ConfigMap {TRUST_ROOTS} there; label it: kubectl label namespace {ns} {}",
                labels_text(&selector.match_labels),
                labels_text(labels),
                wanted.join(" ")
            ),
        ));
    }
    match &bundle.synced {
        Some(c) if c.status == "True" => {}
        Some(c) => out.push(Problem::in_object(
            object,
            format!(
                "{object} is not Synced (status {}{}{}): the ConfigMap may lag its sources",
                c.status,
                c.reason
                    .as_deref()
                    .map(|r| format!(", {r}"))
                    .unwrap_or_default(),
                c.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
        )),
        None => out.push(Problem::in_object(
            object,
            format!("{object} has no Synced condition: trust-manager has not reconciled it"),
        )),
    }
    out.extend(source_findings(snap, object, bundle).0);
    out
}

impl Check for TrustManagerDistributesBundle {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// States what could not be verified (sources meshcert may not read).
    fn description(&self, input: &Input<'_>, _cx: &Context) -> String {
        let snap = input.snapshot();
        let unverified = crate::trust_manager::distribution(snap)
            .map(|d| source_findings(snap, &d.object, d.bundle).1)
            .unwrap_or_default();
        if unverified.is_empty() {
            META.description.to_string()
        } else {
            format!(
                "{} (not verified: {})",
                META.description,
                unverified.join("; ")
            )
        }
    }

    fn run(&self, input: &Input<'_>, _cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let ns = snap.linkerd_namespace.as_str();
        let label = match snap.config_map(ns, TRUST_ROOTS) {
            Fetched::Present(cm) => cm.written_by_bundle.clone(),
            _ => None,
        };
        let mut forbidden: Vec<String> = Vec::new();
        // The ClusterBundle first: trust-manager is moving to it, and migrates a Bundle into one.
        for kind in [Kind::ClusterBundle, Kind::Bundle] {
            let object = ObjectRef::cluster(kind, TRUST_ROOTS);
            match bundle_of(snap, kind) {
                Fetched::Present(bundle) => {
                    let mut found = problems(snap, &object, bundle, ns);
                    // A ClusterBundle meshcert may not read may be the one trust-manager uses.
                    for why in &forbidden {
                        found.push(Problem::new(why.clone()));
                    }
                    return if found.is_empty() {
                        Outcome::Pass(Default::default())
                    } else {
                        Outcome::Fail {
                            error: Failure::problems(found),
                            details: Default::default(),
                        }
                    };
                }
                Fetched::Forbidden(why) => forbidden.push(format!("cannot read {object}: {why}")),
                Fetched::Missing => {}
            }
        }
        let roots = ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS);
        match label {
            // trust-manager writes the ConfigMap, from a bundle meshcert did not find.
            Some((label, name)) => Outcome::Fail {
                error: Problem::in_object(
                    &roots,
                    if name == TRUST_ROOTS {
                        format!("{roots} carries {label}: {name}, but neither Bundle nor ClusterBundle {name} was found{}", forbidden.first().map(|f| format!(" ({f})")).unwrap_or_default())
                    } else {
                        format!("{roots} is written by trust-manager's bundle {name} ({label}); Linkerd's guide names it {TRUST_ROOTS}, after the ConfigMap, and meshcert reads it by that name")
                    },
                )
                .into(),
                details: Default::default(),
            },
            None if !forbidden.is_empty() => Outcome::Skip(forbidden.join("; ")),
            None => Outcome::Skip(format!(
                "trust-manager does not distribute the trust bundle (no Bundle or ClusterBundle {TRUST_ROOTS})"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair, installed};
    use crate::snapshot::{Condition, Namespace, ObjectState, Selector};

    fn put(snap: &mut Snapshot, object: ObjectRef, o: Object) {
        snap.insert(
            object,
            ObjectState::Present {
                object: o,
                from: "test".into(),
            },
        );
    }

    fn docs_bundle() -> TrustBundle {
        TrustBundle {
            sources: vec![],
            target_keys: vec!["ca-bundle.crt".into()],
            namespace_selector: Some(Selector {
                match_labels: [(
                    "linkerd.io/is-control-plane".to_string(),
                    "true".to_string(),
                )]
                .into(),
                has_expressions: false,
            }),
            synced: Some(Condition {
                status: "True".into(),
                reason: Some("Synced".into()),
                message: None,
            }),
        }
    }

    #[test]
    fn the_guides_bundle_passes_and_each_way_of_breaking_it_is_named() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = installed(&anchor.pem, &issuer);
        let run = |snap: &Snapshot| TrustManagerDistributesBundle.run(&Input::new(snap), &cx());
        let Outcome::Skip(why) = run(&snap) else {
            panic!()
        };
        assert_eq!(
            why,
            "trust-manager does not distribute the trust bundle (no Bundle or ClusterBundle linkerd-identity-trust-roots)"
        );
        let ns = ObjectRef::cluster(Kind::Namespace, "linkerd");
        let labelled = Namespace {
            labels: [(
                "linkerd.io/is-control-plane".to_string(),
                "true".to_string(),
            )]
            .into(),
        };
        put(&mut snap, ns.clone(), Object::Namespace(labelled));
        let bundle = ObjectRef::cluster(Kind::Bundle, TRUST_ROOTS);
        put(
            &mut snap,
            bundle.clone(),
            Object::TrustBundle(docs_bundle()),
        );
        assert!(matches!(run(&snap), Outcome::Pass(_)));
        // Unlabelled namespace, another key, not Synced.
        put(&mut snap, ns, Object::Namespace(Namespace::default()));
        let broken = TrustBundle {
            target_keys: vec!["trust-bundle.pem".into()],
            synced: Some(Condition {
                status: "False".into(),
                reason: Some("SourceNotFound".into()),
                message: Some("Bundle source was not found: failed to get Secret cert-manager/linkerd-previous-anchor".into()),
            }),
            ..docs_bundle()
        };
        put(&mut snap, bundle, Object::TrustBundle(broken));
        assert_eq!(
            error_of(run(&snap)),
            "3 problems:\n\t* Bundle linkerd-identity-trust-roots writes key trust-bundle.pem of the ConfigMap, but the proxies read ca-bundle.crt of ConfigMap linkerd/linkerd-identity-trust-roots\n\t* the namespaceSelector of Bundle linkerd-identity-trust-roots (linkerd.io/is-control-plane=true) does not select namespace linkerd (labels: none): trust-manager never writes ConfigMap linkerd-identity-trust-roots there; label it: kubectl label namespace linkerd linkerd.io/is-control-plane=true\n\t* Bundle linkerd-identity-trust-roots is not Synced (status False, SourceNotFound: Bundle source was not found: failed to get Secret cert-manager/linkerd-previous-anchor): the ConfigMap may lag its sources"
        );
    }
}

#[cfg(test)]
mod source_tests {
    use super::*;
    use crate::cert::testutil::{Spec, p256, self_signed};
    use crate::check::Input;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair};
    use crate::snapshot::{ConfigMap, ObjectState};
    use crate::trust_manager::testutil::*;

    fn run(snap: &Snapshot) -> (Outcome, String) {
        let input = Input::new(snap);
        (
            TrustManagerDistributesBundle.run(&input, &cx()),
            TrustManagerDistributesBundle.description(&input, &cx()),
        )
    }

    #[test]
    fn the_guides_sources_and_trust_roots_agree() {
        let (anchor, issuer) = healthy_pair();
        let (outcome, description) = run(&guide(&anchor, &issuer));
        assert!(matches!(outcome, Outcome::Pass(_)), "{outcome:?}");
        assert_eq!(description, META.description);
    }

    #[test]
    fn a_source_that_does_not_exist_in_the_trust_namespace_is_named() {
        let (anchor, issuer) = healthy_pair();
        let snap = guide(&anchor, &issuer);
        // Created in the control plane's namespace instead (trust-manager#120).
        let mut moved = Snapshot::new("linkerd");
        for (o, s) in snap.objects() {
            if *o != previous_secret() {
                moved.insert(o.clone(), s.clone());
            }
        }
        put(
            &mut moved,
            ObjectRef::new(Kind::Secret, "linkerd", "linkerd-previous-anchor"),
            secret(&anchor.pem, false),
        );
        assert_eq!(
            error_of(run(&moved).0),
            "Secret cert-manager/linkerd-previous-anchor does not exist: trust-manager cannot build Bundle linkerd-identity-trust-roots (it reads its sources in its trust namespace cert-manager only)"
        );
    }

    #[test]
    fn trust_roots_that_lag_or_hold_more_than_the_sources_fail() {
        let (anchor, issuer) = healthy_pair();
        let renewed = self_signed(Spec::ca("root.linkerd.cluster.local", 7), p256());
        let mut snap = guide(&anchor, &issuer);
        // cert-manager renewed the anchor; trust-manager has not written it.
        put(&mut snap, anchor_secret(), secret(&renewed.pem, true));
        let lacks = error_of(run(&snap).0);
        assert!(
            lacks.starts_with("ConfigMap linkerd/linkerd-identity-trust-roots lacks 7 root.linkerd.cluster.local (sha256 ")
                && lacks.ends_with("of Secret cert-manager/linkerd-trust-anchor: trust-manager has not written its sources' certificates there"),
            "{lacks}"
        );
        // Both sources hold the renewed anchor; the ConfigMap still the old one too.
        put(&mut snap, previous_secret(), secret(&renewed.pem, false));
        let mut cm = ConfigMap::default();
        cm.data
            .insert(BUNDLE_KEY.into(), format!("{}{}", anchor.pem, renewed.pem));
        put(
            &mut snap,
            ObjectRef::new(Kind::ConfigMap, "linkerd", TRUST_ROOTS),
            Object::ConfigMap(cm),
        );
        let extra = error_of(run(&snap).0);
        assert!(
            extra.starts_with(
                "ConfigMap linkerd/linkerd-identity-trust-roots holds 1 root.linkerd.cluster.local"
            ) && extra
                .contains("which none of the sources of Bundle linkerd-identity-trust-roots has"),
            "{extra}"
        );
    }

    #[test]
    fn sources_meshcert_may_not_read_are_stated_unverified_not_passed_silently() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = guide(&anchor, &issuer);
        snap.insert(
            previous_secret(),
            ObjectState::Forbidden("forbidden (secrets is forbidden)".into()),
        );
        let (outcome, description) = run(&snap);
        assert!(matches!(outcome, Outcome::Pass(_)), "{outcome:?}");
        assert_eq!(
            description,
            "trust bundle is distributed by trust-manager as Linkerd expects (not verified: cannot read Secret cert-manager/linkerd-previous-anchor: forbidden (secrets is forbidden))"
        );
        // Nothing of the trust namespace read at all (a dump without it): unknown, not missing.
        let mut bare = Snapshot::new("linkerd");
        for (o, s) in snap.objects() {
            if o.namespace != "cert-manager" {
                bare.insert(o.clone(), s.clone());
            }
        }
        let (outcome, description) = run(&bare);
        assert!(matches!(outcome, Outcome::Pass(_)), "{outcome:?}");
        assert_eq!(
            description,
            "trust bundle is distributed by trust-manager as Linkerd expects (not verified: its sources (nothing of namespace cert-manager was read: grant deploy/base/opt-in/trust-namespace.yaml, or --trust-namespace))"
        );
    }
}
