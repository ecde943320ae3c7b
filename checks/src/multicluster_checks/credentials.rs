use chrono::{DateTime, TimeDelta, Utc};

use crate::check::{Category, Check, CheckMeta, Context, Input, Outcome, Problem, Severity};
use crate::margin::{MarginRole, MarginSpec};
use crate::multicluster::links;
use crate::snapshot::TokenExpiry;

/// A Link's credentials outlive the margin: the CA and client certificates its kubeconfig
/// embeds, and its token's `exp` when it has one. Expired credentials stop mirroring silently.
pub struct LinkCredentialsNotExpiring;

static META: CheckMeta = CheckMeta {
    id: "meshcert-multicluster-credentials-not-expiring",
    category: Category::LinkerdMulticluster,
    description: "link credentials are valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    margin: Some(MarginRole::Webhooks),
    linkerd_hint: false,
    docs: include_str!("../../docs/meshcert-multicluster-credentials-not-expiring.md"),
};

fn left(at: DateTime<Utc>, until: DateTime<Utc>) -> String {
    if until <= at {
        format!("expired at {}", crate::cert::format_time(until))
    } else {
        format!(
            "expires at {} (in {} days)",
            crate::cert::format_time(until),
            (until - at).num_days()
        )
    }
}

impl Check for LinkCredentialsNotExpiring {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let views = links(snap, input.peers());
        if views.is_empty() {
            return Outcome::Skip(super::no_links(snap));
        }
        let margin = cx.margins.get(MarginRole::Webhooks);
        let mut problems = Vec::new();
        let mut read = 0;
        for v in &views {
            let Ok(k) = &v.credentials else {
                continue;
            };
            read += 1;
            let secret = v.secret.as_ref().expect("credentials come from a Secret");
            for (what, pem) in [
                ("certificate-authority-data", &k.ca),
                ("client-certificate-data", &k.client_certificate),
            ] {
                let Some(pem) = pem else { continue };
                match crate::pem::decode_bundle_lenient(&String::from_utf8_lossy(pem)) {
                    Ok(certs) => {
                        for c in certs {
                            let (nb, na) = (c.facts.not_before, c.facts.not_after);
                            if na - margin.for_validity(nb, na) < cx.at {
                                problems.push(Problem::in_object(
                                    secret,
                                    format!(
                                        "{secret} (Link {}/{} to {}): {what} {} {}",
                                        v.object.namespace,
                                        v.object.name,
                                        v.target_name,
                                        c.fingerprinted_label(),
                                        left(cx.at, na)
                                    ),
                                ));
                            }
                        }
                    }
                    Err(e) => problems.push(Problem::in_object(
                        secret,
                        format!("{secret}: {what} of its kubeconfig is not PEM: {e}"),
                    )),
                }
            }
            if let TokenExpiry::Expires(exp) = k.token
                && let Some(until) = DateTime::from_timestamp(exp, 0)
            {
                let window = match margin {
                    MarginSpec::Fixed(m) => m.delta(),
                    MarginSpec::Lifetime(_) => TimeDelta::days(60),
                };
                if until - window < cx.at {
                    problems.push(Problem::in_object(
                        secret,
                        format!(
                            "{secret} (Link {}/{} to {}): the service-account token {}; recreate the link's credentials (linkerd multicluster link)",
                            v.object.namespace,
                            v.object.name,
                            v.target_name,
                            left(cx.at, until)
                        ),
                    ));
                }
            }
        }
        if read == 0 {
            return Outcome::Skip(
                "no Link's credentials could be read (see \"clusters share trust anchors\")".into(),
            );
        }
        Outcome::of_problems(problems, Default::default())
    }
}
