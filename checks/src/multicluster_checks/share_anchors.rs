use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::multicluster::{CredentialsError, config_anchors, linkerd_share, links};

/// linkerd's "clusters share trust anchors": for each Link, the target's `linkerd-config`
/// anchors equal the local ones (as many, each equal to a local one), with linkerd's lines.
pub struct ClustersShareAnchors;

static META: CheckMeta = CheckMeta {
    id: "l5d-multicluster-clusters-share-anchors",
    category: Category::LinkerdMulticluster,
    description: "clusters share trust anchors",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../../docs/l5d-multicluster-clusters-share-anchors.md"),
};

impl Check for ClustersShareAnchors {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, input: &Input<'_>, _cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let views = links(snap, input.peers());
        if views.is_empty() {
            return Outcome::Skip(super::no_links(snap));
        }
        let local = match config_anchors(snap, &snap.linkerd_namespace) {
            Ok(Ok(anchors)) => anchors,
            Ok(Err(e)) | Err(e) => {
                return Outcome::Fail {
                    error: Problem::new(format!("Cannot parse source trust anchors: {e}")).into(),
                    details: Default::default(),
                };
            }
        };
        let (mut errors, mut unknown) = (Vec::new(), Vec::new());
        for v in &views {
            let secret = v.secret_label();
            let target = &v.target_name;
            let line = match &v.credentials {
                Err(CredentialsError::Unnamed) => Some(format!(
                    "* secret: [{secret}]: resource name may not be empty"
                )),
                Err(CredentialsError::Secret(e)) => Some(format!("* secret: [{secret}]: {e}")),
                Err(CredentialsError::NoConfig(e)) => Some(format!(
                    "* secret: [{secret}]: could not parse config secret: {e}"
                )),
                Err(CredentialsError::Unparseable(e)) => Some(format!(
                    "* secret: [{secret}] cluster: [{target}]: unable to parse api config: {e}"
                )),
                Ok(_) => match v.target {
                    None => {
                        unknown.push(super::not_in_run(v));
                        None
                    }
                    Some(peer) => {
                        let ns = v
                            .link
                            .target_linkerd_namespace
                            .as_deref()
                            .unwrap_or("linkerd");
                        match config_anchors(peer.snapshot, ns) {
                            Err(e) => Some(format!("* {target}: unable to fetch anchors: {e}")),
                            Ok(Err(_)) => Some(format!("* {target}: cannot parse trust anchors")),
                            Ok(Ok(remote)) if !linkerd_share(&local, &remote) => {
                                Some(format!("* {target}"))
                            }
                            Ok(Ok(_)) => None,
                        }
                    }
                },
            };
            errors.extend(line);
        }
        if !errors.is_empty() {
            return Outcome::Fail {
                error: Problem::new(format!(
                    "Problematic clusters:\n    {}",
                    errors.join("\n    ")
                ))
                .into(),
                details: Default::default(),
            };
        }
        if !unknown.is_empty() {
            return Outcome::Skip(format!("not compared: {}", unknown.join("; ")));
        }
        Outcome::Pass(Default::default())
    }
}
