use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::identity::{LINKERD_CONFIG, parse_values};
use crate::multicluster::links;
use crate::snapshot::Fetched;

/// A Link's `gatewayIdentity` is an identity of the target's trust domain:
/// `<sa>.<ns>.serviceaccount.identity.<target control plane>.<trust domain>` (linkerd2#9044:
/// the cluster's name or domain is not the trust domain).
pub struct GatewayIdentityInTrustDomain;

static META: CheckMeta = CheckMeta {
    id: "meshcert-multicluster-gateway-identity",
    category: Category::LinkerdMulticluster,
    description: "gateway identity is in the target's trust domain",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-multicluster-gateway-identity.md"),
};

/// The trust domain of the control plane in `ns` of `snap` (`identityTrustDomain`, default
/// `cluster.local`), or why it cannot be read.
fn trust_domain(snap: &crate::snapshot::Snapshot, ns: &str) -> Result<String, String> {
    let Fetched::Present(cm) = snap.config_map(ns, LINKERD_CONFIG) else {
        return Err(format!("ConfigMap {ns}/{LINKERD_CONFIG} was not read"));
    };
    let values = cm
        .data
        .get("values")
        .ok_or_else(|| format!("ConfigMap {ns}/{LINKERD_CONFIG} has no values"))
        .and_then(|v| parse_values(v).map_err(|e| e.to_string()))?;
    Ok(values
        .get("identityTrustDomain")
        .and_then(|v| v.as_str())
        .unwrap_or("cluster.local")
        .to_string())
}

impl Check for GatewayIdentityInTrustDomain {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, input: &Input<'_>, _cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let views = links(snap, input.peers());
        if views.is_empty() {
            return Outcome::Skip(super::no_links(snap));
        }
        let (mut problems, mut unknown, mut judged) = (Vec::new(), Vec::new(), 0);
        for v in &views {
            let Some(identity) = v.link.gateway_identity.as_deref() else {
                continue;
            };
            let Some(peer) = v.target else {
                unknown.push(super::not_in_run(v));
                continue;
            };
            let ns = v
                .link
                .target_linkerd_namespace
                .as_deref()
                .unwrap_or("linkerd");
            let domain = match trust_domain(peer.snapshot, ns) {
                Ok(d) => d,
                Err(why) => {
                    unknown.push(format!("{}: {why}", v.target_name));
                    continue;
                }
            };
            judged += 1;
            let suffix = format!(".serviceaccount.identity.{ns}.{domain}");
            let parts: Vec<&str> = identity
                .strip_suffix(&suffix)
                .map(|head| head.split('.').collect())
                .unwrap_or_default();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                problems.push(Problem::in_object(
                    &v.object,
                    format!(
                        "{}: spec.gatewayIdentity {identity} is not an identity of {}'s trust domain {domain} (control plane {ns}): expected <service account>.<namespace>{suffix}, such as linkerd-gateway.linkerd-multicluster{suffix}; the proxies refuse the gateway's certificate",
                        v.object, v.target_name
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Outcome::of_problems(problems, Default::default());
        }
        if !unknown.is_empty() {
            return Outcome::Skip(format!("not compared: {}", unknown.join("; ")));
        }
        if judged == 0 {
            return Outcome::Skip("no Link names a gateway identity".into());
        }
        Outcome::Pass(Default::default())
    }
}
