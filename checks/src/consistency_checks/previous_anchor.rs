use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::rotation::Stage;
use crate::snapshot::{Fetched, Snapshot};
use crate::trust_manager::{
    ANCHOR_SECRET, PREVIOUS_ANCHOR_SECRET, copy_command, distribution, secret_text, source_secrets,
};

/// The guide's `linkerd-previous-anchor` Secret is a plain copy of the anchor (no cert-manager
/// annotations, which make cert-manager's cainjector treat it as its own), and once a rotation
/// is done it holds the current anchor again, so that the bundle drops the old one.
pub struct PreviousAnchorPlainCopy;

static META: CheckMeta = CheckMeta {
    id: "meshcert-previous-anchor-plain-copy",
    category: Category::MeshcertConsistency,
    description: "previous-anchor Secret is a plain copy",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-previous-anchor-plain-copy.md"),
};

impl Check for PreviousAnchorPlainCopy {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    /// Only where trust-manager distributes the trust roots, as Linkerd's guide sets it up.
    fn applies(&self, snap: &Snapshot) -> bool {
        distribution(snap).is_some()
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let Some(d) = distribution(snap) else {
            return Outcome::Skip("trust-manager does not distribute the trust bundle".into());
        };
        let secrets = source_secrets(snap);
        let Some(previous) = secrets.iter().find(|s| s.name == PREVIOUS_ANCHOR_SECRET) else {
            return Outcome::Skip(format!(
                "{} takes no Secret {PREVIOUS_ANCHOR_SECRET} (the guide's copy of the anchor)",
                d.object
            ));
        };
        let secret = match snap.secret(&previous.namespace, &previous.name) {
            Fetched::Present(s) => s,
            Fetched::Forbidden(why) => {
                return Outcome::Skip(format!("cannot read {previous}: {why}"));
            }
            Fetched::Missing => {
                return Outcome::Skip(format!(
                    "{previous} was not read (see \"trust bundle is distributed by trust-manager as Linkerd expects\")"
                ));
            }
        };
        let anchor = secrets
            .iter()
            .find(|s| s.name == ANCHOR_SECRET)
            .or_else(|| secrets.iter().find(|s| s.name != PREVIOUS_ANCHOR_SECRET))
            .cloned();
        let mut problems = Vec::new();
        if !secret.cert_manager_annotations.is_empty() {
            let names: Vec<&str> = secret
                .cert_manager_annotations
                .keys()
                .map(String::as_str)
                .collect();
            problems.push(Problem::in_object(
                previous,
                format!(
                    "{previous} carries cert-manager's annotations ({}), copied from the anchor's Secret: cert-manager's cainjector and controllers take it for a Secret of theirs and fail on it; copy only its certificate{}",
                    names.join(", "),
                    anchor
                        .as_ref()
                        .map(|a| format!(": {}", copy_command(a, previous)))
                        .unwrap_or_default()
                ),
            ));
        }
        if let Some(anchor) = &anchor
            && let (Some(current), Some(copy)) =
                (secret_text(snap, anchor), secret_text(snap, previous))
            && current.trim_ascii() != copy.trim_ascii()
        {
            // Different during a rotation, on purpose; once nothing in use chains to the old
            // anchor, the copy brings the bundle back to the current anchor alone.
            if let Ok(r) = crate::rotation::assess(snap, &cx.scope, cx.at, None)
                && r.stage == Stage::OldAnchorUnused
            {
                problems.push(Problem::in_object(
                    previous,
                    format!(
                        "the rotation is done but for its last step: nothing in use chains to the old anchor in {previous}, which {} still bundles; copy the current anchor over it, then restart the workloads (`meshcert rotation`): {}",
                        d.object,
                        copy_command(anchor, previous)
                    ),
                ));
            }
        }
        Outcome::of_problems(problems, Default::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity_checks::testutil::{cx, error_of, healthy_pair};
    use crate::trust_manager::testutil::*;

    fn run(snap: &Snapshot) -> Outcome {
        PreviousAnchorPlainCopy.run(&Input::new(snap), &cx())
    }

    #[test]
    fn a_plain_copy_passes_and_a_copy_with_cert_managers_annotations_warns() {
        let (anchor, issuer) = healthy_pair();
        let mut snap = guide(&anchor, &issuer);
        assert!(PreviousAnchorPlainCopy.applies(&snap));
        assert!(matches!(run(&snap), Outcome::Pass(_)));
        put(&mut snap, previous_secret(), secret(&anchor.pem, true));
        let e = error_of(run(&snap));
        assert!(
            e.starts_with("Secret cert-manager/linkerd-previous-anchor carries cert-manager's annotations (cert-manager.io/certificate-name), copied from the anchor's Secret")
                && e.ends_with("kubectl -n cert-manager get secret linkerd-trust-anchor -o json | jq '{apiVersion, kind, type, data: {\"tls.crt\": .data[\"tls.crt\"]}, metadata: {name: \"linkerd-previous-anchor\", namespace: .metadata.namespace}}' | kubectl apply -f -"),
            "{e}"
        );
    }

    #[test]
    fn only_where_trust_manager_distributes_and_skipped_without_the_copy() {
        let (anchor, issuer) = healthy_pair();
        let plain = crate::identity_checks::testutil::installed(&anchor.pem, &issuer);
        assert!(!PreviousAnchorPlainCopy.applies(&plain));
        let mut snap = Snapshot::new("linkerd");
        for (o, s) in guide(&anchor, &issuer).objects() {
            if *o != previous_secret() {
                snap.insert(o.clone(), s.clone());
            }
        }
        let Outcome::Skip(why) = run(&snap) else {
            panic!()
        };
        assert!(
            why.starts_with("Secret cert-manager/linkerd-previous-anchor was not read"),
            "{why}"
        );
    }
}
