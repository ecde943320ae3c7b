use crate::cert::Cert;
use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::identity::IdentityMaterial;
use crate::multicluster::{LinkView, Peer, links};
use crate::snapshot::{BundleRef, Snapshot};

use super::{issuer_chain, not_in_run, verifies};

/// For each Link A→B among the run's clusters, B's issuer verifies against the roots A's
/// proxies get (A's `linkerd-identity-trust-roots`), and A's against B's: a proxy of one side
/// accepts the certificates the other side's issuer signs (its workloads', its gateway's).
pub struct LinkedIssuersTrusted;

static TRUSTED: CheckMeta = CheckMeta {
    id: "meshcert-multicluster-issuers-trusted",
    category: Category::LinkerdMulticluster,
    description: "linked clusters trust each other's issuers",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-multicluster-issuers-trusted.md"),
};

/// The same, against what each side's running proxies carry: during a rotation the roots
/// change before every proxy is restarted, so a proxy may still hold only the old anchor while
/// the other side's issuer already comes from the new one. Set differences are judged by what
/// each issuer needs; the description says where each side's rotation stands.
pub struct LinkedRotationSafe;

static ROTATION: CheckMeta = CheckMeta {
    id: "meshcert-multicluster-rotation-safe",
    category: Category::LinkerdMulticluster,
    description: "linked clusters are mid-rotation safely",
    severity: Severity::Error,
    fatal: false,
    margin: None,
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-multicluster-rotation-safe.md"),
};

/// The name this cluster's results go under in the run.
fn own_name(snap: &Snapshot, peers: &[Peer<'_>]) -> String {
    peers
        .iter()
        .find(|p| std::ptr::eq(p.snapshot, snap))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "this cluster".into())
}

/// One side of a pair.
struct Side<'a> {
    name: String,
    snap: &'a Snapshot,
    id: IdentityMaterial,
}

/// A Link with both of its sides (this one first).
type Pair<'a> = (LinkView<'a>, Side<'a>, Side<'a>);

/// Each Link whose target is in the run, as a pair, and the Links whose target is not; or why
/// none can be judged (the skip reason).
fn pairs<'a>(input: &Input<'a>) -> Result<(Vec<Pair<'a>>, Vec<LinkView<'a>>), String> {
    let snap = input.snapshot();
    let views = links(snap, input.peers());
    if views.is_empty() {
        return Err(super::no_links(snap));
    }
    let (linked, outside): (Vec<LinkView<'a>>, Vec<LinkView<'a>>) =
        views.into_iter().partition(|v| v.target.is_some());
    if linked.is_empty() {
        let unknown: Vec<String> = outside.iter().map(not_in_run).collect();
        return Err(format!("not compared: {}", unknown.join("; ")));
    }
    let me = own_name(snap, input.peers());
    let pairs = linked
        .into_iter()
        .filter_map(|v| {
            let peer = v.target?;
            let a = Side {
                name: me.clone(),
                snap,
                id: IdentityMaterial::derive(snap),
            };
            let b = Side {
                name: peer.name.clone(),
                snap: peer.snapshot,
                id: IdentityMaterial::derive(peer.snapshot),
            };
            Some((v, a, b))
        })
        .collect();
    Ok((pairs, outside))
}

/// What is wrong with `to` trusting the issuer of `from` through the roots `to`'s proxies get.
fn roots_problem(from: &Side<'_>, to: &Side<'_>, at: chrono::DateTime<chrono::Utc>) -> Judged {
    let chain = issuer_chain(&from.id)
        .map_err(|why| format!("{}: the issuer cannot be read: {why}", from.name))?;
    let roots = match crate::data_plane::trust_roots(to.snap) {
        Some(Ok(r)) => r,
        Some(Err(why)) => return Err(format!("{}: {why}", to.name)),
        None => {
            return Err(format!(
                "{}: ConfigMap {}/{} not found",
                to.name,
                to.snap.linkerd_namespace,
                crate::data_plane::TRUST_ROOTS
            ));
        }
    };
    Ok(verifies(chain, &roots, at).err().map(|e| {
        Problem::new(format!(
            "the trust roots of {} ({}) do not verify the issuer of {} ({}): {e}; proxies of {} reject the certificates of {}'s workloads and gateway",
            to.name,
            roots.iter().map(Cert::fingerprinted_label).collect::<Vec<_>>().join(", "),
            from.name,
            chain.leaf().fingerprinted_label(),
            to.name,
            from.name
        ))
    }))
}

/// A pair's direction judged: a problem or none, or why it cannot be judged.
type Judged = Result<Option<Problem>, String>;

/// Each Link judged both ways (`to` then back) by `judge`, with the Links whose target is not in
/// the run, as the check's outcome: the problems, else a skip naming what could not be judged,
/// else a pass; each Link's verdict in the details.
fn outcome(input: &Input<'_>, judge: impl Fn(&Side<'_>, &Side<'_>) -> Judged) -> Outcome {
    let (pairs, outside) = match pairs(input) {
        Ok(p) => p,
        Err(why) => return Outcome::Skip(why),
    };
    let mut judged: Vec<Judged> = outside.iter().map(|v| Err(not_in_run(v))).collect();
    let mut details = crate::details::Details::default();
    for v in &outside {
        details.links.push(crate::details::LinkDetail {
            link: format!("{}/{}", v.object.namespace, v.object.name),
            target: v.target_name.clone(),
            trusted: None,
            reason: Some(not_in_run(v)),
        });
    }
    for (v, a, b) in &pairs {
        let both = [judge(b, a), judge(a, b)];
        let trusted = if both.iter().any(|j| matches!(j, Ok(Some(_)))) {
            Some(false)
        } else if both.iter().all(|j| matches!(j, Ok(None))) {
            Some(true)
        } else {
            None
        };
        details.links.push(crate::details::LinkDetail {
            link: format!("{}/{}", v.object.namespace, v.object.name),
            target: v.target_name.clone(),
            trusted,
            // Why it is not trusted (the first rejection), else why it was not compared.
            reason: both
                .iter()
                .find_map(|j| match j {
                    Ok(Some(p)) => Some(p.message.clone()),
                    _ => None,
                })
                .or_else(|| both.iter().find_map(|j| j.as_ref().err().cloned())),
        });
        judged.extend(both);
    }
    let mut problems = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for j in judged {
        match j {
            Ok(p) => problems.extend(p),
            Err(why) if !unknown.contains(&why) => unknown.push(why),
            Err(_) => {}
        }
    }
    if problems.is_empty() && !unknown.is_empty() {
        return Outcome::Skip(format!("not compared: {}", unknown.join("; ")));
    }
    Outcome::of_problems(problems, details)
}

impl Check for LinkedIssuersTrusted {
    fn meta(&self) -> &'static CheckMeta {
        &TRUSTED
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        outcome(input, |from, to| roots_problem(from, to, cx.at))
    }
}

/// The pods of `to` whose proxies' bundles do not verify the issuer of `from`, grouped by bundle.
fn proxies_problem(from: &Side<'_>, to: &Side<'_>, at: chrono::DateTime<chrono::Utc>) -> Judged {
    let chain = issuer_chain(&from.id)
        .map_err(|why| format!("{}: the issuer cannot be read: {why}", from.name))?;
    if let Some(why) = &to.snap.data_plane_unavailable {
        return Err(format!("{}: {why}", to.name));
    }
    let dp = &to.snap.data_plane;
    let parsed: Vec<Option<Vec<Cert>>> = dp
        .bundles
        .iter()
        .map(|b| crate::pem::decode_bundle_lenient(b).ok())
        .collect();
    let mut rejecting: Vec<String> = Vec::new();
    let mut holds: Vec<String> = Vec::new();
    for pod in &dp.pods {
        let BundleRef::Value(id) = pod.bundle else {
            continue;
        };
        let Some(Some(bundle)) = parsed.get(id as usize) else {
            continue;
        };
        if verifies(chain, bundle, at).is_err() {
            let ns = dp
                .namespaces
                .get(pod.namespace as usize)
                .map(String::as_str)
                .unwrap_or("");
            rejecting.push(format!("{ns}/{}", pod.name));
            for c in bundle {
                let l = c.fingerprinted_label();
                if !holds.contains(&l) {
                    holds.push(l);
                }
            }
        }
    }
    if rejecting.is_empty() {
        return Ok(None);
    }
    let n = rejecting.len();
    rejecting.truncate(10);
    Ok(Some(Problem::new(format!(
        "{n} proxies of {} trust only {}, which does not verify the issuer of {} ({}): they reject its workloads' and gateway's certificates until restarted ({}{})",
        to.name,
        holds.join(", "),
        from.name,
        chain.leaf().fingerprinted_label(),
        rejecting.join(", "),
        if n > 10 { ", …" } else { "" }
    ))))
}

/// Where each side's rotation stands, when either is under way.
fn stages(input: &Input<'_>, cx: &Context) -> Vec<String> {
    let Ok((pairs, _)) = pairs(input) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for (_, a, b) in &pairs {
        for side in [a, b] {
            let Ok(r) = crate::rotation::assess(side.snap, &cx.scope, cx.at, None) else {
                continue;
            };
            let text = match r.procedure_step {
                Some(step) if r.stage.in_progress() => {
                    format!("{}: {}, next step {step}", side.name, r.stage.as_str())
                }
                _ => format!("{}: {}", side.name, r.stage.as_str()),
            };
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    let any = out
        .iter()
        .any(|t| !t.ends_with(": before") && !t.ends_with(": done"));
    if any { out } else { Vec::new() }
}

impl Check for LinkedRotationSafe {
    fn meta(&self) -> &'static CheckMeta {
        &ROTATION
    }

    fn description(&self, input: &Input<'_>, cx: &Context) -> String {
        let stages = stages(input, cx);
        if stages.is_empty() {
            ROTATION.description.to_string()
        } else {
            format!("{} (rotation: {})", ROTATION.description, stages.join("; "))
        }
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        outcome(input, |from, to| proxies_problem(from, to, cx.at))
    }
}
