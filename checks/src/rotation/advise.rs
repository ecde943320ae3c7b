//! What to do at each stage: the summary, the exact next commands and the steps refused, one
//! function per stage.

use chrono::{DateTime, Utc};

use super::anchor::{fingerprint, label};
use super::observe::{Automation, Facts};
use super::{NextStep, Refusal, Stage};
use crate::cert::{Cert, format_time};
use crate::data_plane::{TRUST_ROOTS, WorkloadRestart};
use crate::identity::SCHEME_LINKERD;

/// A stage's advice.
pub(super) struct Advice {
    pub summary: String,
    pub next_steps: Vec<NextStep>,
    pub refused: Vec<Refusal>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `N pods in M workloads`.
fn pods_in(pods: usize, workloads: usize) -> String {
    format!(
        "{} in {}",
        plural(pods, "pod", "pods"),
        plural(workloads, "workload", "workloads")
    )
}

/// The verb for `n` subjects: `agree(1, "does", "do")` is `does`.
fn agree<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A step restarting `workloads`; none when there is nothing to restart. Pods without a
/// controller have no command: the description names them, to recreate from their manifests.
fn restart_step(description: String, workloads: &[WorkloadRestart]) -> Option<NextStep> {
    let bare: Vec<String> = workloads
        .iter()
        .filter(|w| w.command.is_none())
        .map(|w| format!("{}/{}", w.namespace, w.name))
        .collect();
    let description = if bare.is_empty() {
        description
    } else {
        format!(
            "{description}. Recreate from their manifests the pods no controller restarts (the proxy injector gives a new pod the current bundle): {}",
            bare.join(", ")
        )
    };
    (!workloads.is_empty()).then(|| NextStep {
        description,
        commands: workloads.iter().filter_map(|w| w.command.clone()).collect(),
    })
}

/// `expires on X (in N days)`, or what is wrong with `c`'s validity at `at`.
fn validity(c: &Cert, at: DateTime<Utc>) -> Result<String, String> {
    match crate::rules::validity_problem(c, at) {
        Some(problem) => Err(problem),
        None => Ok(format!(
            "expires on {} (in {} days)",
            format_time(c.facts.not_after),
            (c.facts.not_after - at).num_days()
        )),
    }
}

/// The commands every stage may print, for this control plane's namespace.
struct Commands {
    /// linkerd's CLI needs -L for a control plane outside `linkerd`.
    upgrade: String,
    events: String,
}

impl Commands {
    fn of(ns: &str) -> Commands {
        Commands {
            upgrade: if ns == "linkerd" {
                "linkerd upgrade".to_string()
            } else {
                format!("linkerd upgrade -L {ns}")
            },
            events: format!("kubectl get events --field-selector reason=IssuerUpdated -n {ns}"),
        }
    }
}

const RERUN: &str = "then run `meshcert rotation` again";

/// `cmctl renew` of Certificate `c`.
fn cmctl_renew(c: &crate::snapshot::ObjectRef) -> String {
    format!("cmctl renew -n {} {}", c.namespace, c.name)
}

/// Where the guide's recipe keeps the previous anchor, or how to add it.
fn previous_of(a: &Automation) -> Result<&crate::snapshot::ObjectRef, String> {
    a.previous_secret.as_ref().ok_or_else(|| {
        format!(
            "the trust bundle takes no second Secret to keep the current anchor in while {} is renewed: add the guide's source (Secret {}/{}, key tls.crt) to it first",
            a.anchor_certificate,
            a.anchor_secret.namespace,
            crate::trust_manager::PREVIOUS_ANCHOR_SECRET
        )
    })
}

/// Step 1 where cert-manager renews the anchor and trust-manager bundles it.
fn automated_step_one(a: &Automation, f: &Facts<'_>) -> NextStep {
    let ns = f.ns;
    if let Some(fp) = &a.anchor_in_secret
        && !f.in_bundle.contains(fp)
    {
        // cert-manager renewed it already: copying it now would drop the anchor in use.
        return NextStep {
            description: format!(
                "Step 1 is half done: cert-manager has already renewed the anchor ({} holds sha256 {}…, which the trust roots lack). Do not copy it over the previous anchor; wait until trust-manager has bundled it with the one in use (`meshcert explain meshcert-trust-manager-distributes-bundle`), then run `meshcert rotation` again",
                a.anchor_secret,
                &fp[..16]
            ),
            commands: vec![format!(
                "kubectl -n {ns} get cm {TRUST_ROOTS} -o jsonpath='{{.data.ca-bundle\\.crt}}' | grep -c 'BEGIN CERTIFICATE'"
            )],
        };
    }
    match previous_of(a) {
        Ok(previous) => NextStep {
            description: format!(
                "Step 1: keep the current anchor in {previous} (a plain copy: its certificate, no cert-manager annotations), have cert-manager issue a new anchor ({}), and check that trust-manager has written both into the trust roots",
                a.anchor_certificate
            ),
            commands: vec![
                crate::trust_manager::copy_command(&a.anchor_secret, previous),
                cmctl_renew(&a.anchor_certificate),
                format!(
                    "kubectl -n {ns} get cm {TRUST_ROOTS} -o jsonpath='{{.data.ca-bundle\\.crt}}' | grep -c 'BEGIN CERTIFICATE'"
                ),
            ],
        },
        Err(why) => NextStep {
            description: format!("Step 1: {why}"),
            commands: Vec::new(),
        },
    }
}

fn old_labels(f: &Facts<'_>) -> String {
    f.olds().map(label).collect::<Vec<_>>().join(", ")
}

/// The issuer's anchor is not trusted everywhere (issuer ahead of proxies, or an anchor removed
/// too early).
fn dangerous(stage: Stage, f: &Facts<'_>, cmd: &Commands) -> Advice {
    let (mut next_steps, mut refused) = (Vec::new(), Vec::new());
    let signer = &f.signer;
    let upgrade = &cmd.upgrade;
    let lacking = &f.proxies.lacking_signer;
    let workloads = &f.proxies.lacking_signer_workloads;
    let n = lacking.len();
    let who = pods_in(n, workloads.len());
    let summary;
    if !f.in_bundle.contains(&f.signer_fp()) {
        summary = format!(
            "The issuer is signed by {}, which the bundle no longer holds: every proxy that starts from now on rejects the certificates the identity service issues.",
            label(signer)
        );
        next_steps.push(match f.automation.as_ref().and_then(|a| a.previous_secret.as_ref()) {
            Some(previous) => NextStep {
                description: format!(
                    "Put {} back into the bundle before any workload restarts: write its certificate (ca-old.crt) into {previous}, which trust-manager bundles with the new anchor",
                    label(signer)
                ),
                commands: vec![format!(
                    "kubectl -n {} create secret generic {} --from-file=tls.crt=./ca-old.crt --dry-run=client -o yaml | kubectl apply -f -",
                    previous.namespace, previous.name
                )],
            },
            None => NextStep {
                description: format!(
                    "Put {} back into the bundle, with the new anchor, before any workload restarts (bundle.crt: both anchors, as in step 1)",
                    label(signer)
                ),
                commands: vec![format!(
                    "{upgrade} --identity-trust-anchors-file=./bundle.crt | kubectl apply -f -"
                )],
            },
        });
        refused.push(Refusal {
            step: "restarting meshed workloads".into(),
            reason: format!(
                "a restarted proxy gets the current bundle, without {}, and rejects every certificate the issuer signs",
                label(signer)
            ),
        });
        return Advice {
            summary,
            next_steps,
            refused,
        };
    }
    let removed = stage == Stage::OldAnchorRemovedTooEarly;
    summary = if removed {
        format!(
            "{who} {} only anchors the bundle no longer holds, not {}, which signed the current issuer: {} the certificates the identity service now issues.",
            agree(n, "trusts", "trust"),
            label(signer),
            agree(n, "its proxy rejects", "their proxies reject")
        )
    } else {
        format!(
            "The issuer is signed by {}, which {who} {} not trust yet: {} every certificate the identity service now issues.",
            label(signer),
            agree(n, "does", "do"),
            agree(n, "its proxy rejects", "their proxies reject")
        )
    };
    next_steps.extend(restart_step(
        format!(
            "Restart at once the workloads whose proxies lack {} ({who}): restarted proxies get the current bundle, which holds it",
            label(signer)
        ),
        workloads,
    ));
    if !removed {
        next_steps.push(NextStep {
            description: "Or roll back: deploy the previous issuer again (signed by an anchor every proxy trusts)".into(),
            commands: vec![format!(
                "{upgrade} --identity-issuer-certificate-file=./issuer-old.crt --identity-issuer-key-file=./issuer-old.key | kubectl apply -f -"
            )],
        });
    }
    refused.push(Refusal {
        step: "any further step of the procedure".into(),
        reason: format!(
            "{who} cannot verify certificates from the current issuer; mend that first"
        ),
    });
    Advice {
        summary,
        next_steps,
        refused,
    }
}

/// One anchor, trusted by every proxy, and it signed the issuer.
fn before(f: &Facts<'_>, cmd: &Commands, at: DateTime<Utc>) -> Advice {
    let signer = &f.signer;
    let ns = f.ns;
    let expiry = match validity(signer, at) {
        Ok(expiry) => format!("It {expiry}."),
        Err(problem) => format!(
            "It is {problem}: proxies cannot verify each other now, and this procedure (which keeps the mesh up) no longer applies; Linkerd's guide to replacing expired certificates does."
        ),
    };
    let roots = format!(
        "kubectl -n {ns} get cm {TRUST_ROOTS} -o jsonpath='{{.data.ca-bundle\\.crt}}' > original-trust.crt"
    );
    let step_one = f.automation.as_ref().map(|a| automated_step_one(a, f));
    Advice {
        summary: format!(
            "One trust anchor, {}, signs the issuer and every proxy trusts it: no rotation is in progress (a finished rotation looks the same). {expiry}",
            label(signer)
        ),
        next_steps: vec![step_one.unwrap_or_else(|| NextStep {
            description: "Step 1: create a new trust anchor, bundle it with the current one and deploy the bundle".into(),
            commands: vec![
                format!(
                    "step certificate create {} ca-new.crt ca-new.key --profile root-ca --no-password --insecure --not-after=87600h",
                    signer.facts.common_name
                ),
                roots,
                "step certificate bundle ca-new.crt original-trust.crt bundle.crt".into(),
                format!(
                    "{} --identity-trust-anchors-file=./bundle.crt | kubectl apply -f -",
                    cmd.upgrade
                ),
            ],
        })],
        refused: vec![Refusal {
            step: "deploying an issuer signed by a new anchor".into(),
            reason: "no proxy trusts a new anchor yet: every proxy would reject the certificates it signs (bundle and restart first, steps 1 and 2)".into(),
        }],
    }
}

/// The bundle holds only the issuer's anchor; some proxies still carry a removed one.
fn done(f: &Facts<'_>) -> Advice {
    let carrying = &f.proxies.carrying_removed;
    let workloads = f.restarts(carrying);
    let n = carrying.len();
    let who = pods_in(n, workloads.len());
    Advice {
        summary: format!(
            "The bundle holds only {}, which signs the issuer and every proxy trusts. {who} still {} the removed anchor, which signs nothing in use.",
            label(&f.signer),
            agree(n, "carries", "carry")
        ),
        next_steps: restart_step(
            format!(
                "Optional: restart the workloads whose proxies still carry the removed anchor ({who})"
            ),
            &workloads,
        )
        .into_iter()
        .collect(),
        refused: Vec::new(),
    }
}

/// The new anchor is bundled; some proxies do not trust it yet.
fn bundle_deployed(f: &Facts<'_>) -> Advice {
    let lacking = &f.proxies.lacking_new;
    let workloads = f.restarts(lacking);
    let n = lacking.len();
    let who = pods_in(n, workloads.len());
    let do_ = agree(n, "does", "do");
    let new_cert = f.newest_cert();
    Advice {
        summary: format!(
            "The bundle holds the new anchor {} and the old {}; the issuer is still signed by {}. {who} {do_} not trust the new anchor yet.",
            label(new_cert),
            old_labels(f),
            label(&f.signer)
        ),
        next_steps: restart_step(
            format!("Step 2: restart the workloads whose proxies do not trust the new anchor yet ({who}); {RERUN}"),
            &workloads,
        )
        .into_iter()
        .collect(),
        refused: vec![Refusal {
            step: format!(
                "deploying an issuer signed by the new anchor {}",
                label(new_cert)
            ),
            reason: format!("{who} {do_} not trust it yet and would reject every certificate it signs"),
        }],
    }
}

/// Every proxy trusts the new anchor; the issuer still comes from the old one.
fn workloads_restarted(f: &Facts<'_>, cmd: &Commands, at: DateTime<Utc>) -> Advice {
    let (mut next_steps, mut refused) = (Vec::new(), Vec::new());
    let new_cert = f.newest_cert();
    let summary = format!(
        "Every proxy trusts the new anchor {}; the issuer is still signed by the old {}.",
        label(new_cert),
        label(&f.signer)
    );
    if let Err(problem) = validity(new_cert, at) {
        next_steps.push(NextStep {
            description: format!(
                "First replace the new anchor {}: it is {problem}. Create one valid now and bundle it with the old one (step 1), then restart (step 2)",
                label(new_cert)
            ),
            commands: Vec::new(),
        });
        refused.push(Refusal {
            step: format!("issuing an issuer from the new anchor {}", label(new_cert)),
            reason: format!("it is {problem}; the issuer would not verify"),
        });
    } else if let Some(issuer) = f
        .automation
        .as_ref()
        .and_then(|a| Some((a, a.issuer_certificate.as_ref()?)))
    {
        let (a, certificate) = issuer;
        next_steps.push(NextStep {
            description: format!(
                "Step 3: have cert-manager re-issue the issuer ({certificate}): its CA Issuer signs with {}, which now holds the new anchor",
                a.anchor_secret
            ),
            commands: vec![cmctl_renew(certificate)],
        });
        next_steps.push(NextStep {
            description: "Step 4: check that the identity service loaded it".into(),
            commands: vec![cmd.events.clone()],
        });
    } else {
        next_steps.push(NextStep {
            description: "Step 3: issue a new issuer certificate from the new anchor (ca-new.crt and ca-new.key of step 1)".into(),
            commands: vec![format!(
                "step certificate create {} issuer-new.crt issuer-new.key --profile intermediate-ca --not-after 8760h --no-password --insecure --ca ca-new.crt --ca-key ca-new.key",
                f.issuer.facts.common_name
            )],
        });
        let scheme = &f.scheme;
        next_steps.push(if scheme.is_empty() || scheme == SCHEME_LINKERD {
            NextStep {
                description: "Deploy it".into(),
                commands: vec![format!(
                    "{} --identity-issuer-certificate-file=./issuer-new.crt --identity-issuer-key-file=./issuer-new.key | kubectl apply -f -",
                    cmd.upgrade
                )],
            }
        } else {
            NextStep {
                description: format!(
                    "The issuer is external ({scheme}): have its issuer (cert-manager: the CA Secret of its Issuer) sign it with the new anchor instead, and renew it"
                ),
                commands: Vec::new(),
            }
        });
        next_steps.push(NextStep {
            description: "Step 4: check that the identity service loaded it".into(),
            commands: vec![cmd.events.clone()],
        });
    }
    refused.push(Refusal {
        step: format!("removing the old anchor {} from the bundle", label(&f.signer)),
        reason: "it signed the current issuer: every proxy would reject the certificates the identity service issues".into(),
    });
    Advice {
        summary,
        next_steps,
        refused,
    }
}

/// The issuer comes from the new anchor; pods created before it remain.
fn issuer_deployed(f: &Facts<'_>, cmd: &Commands, at: DateTime<Utc>) -> Advice {
    use crate::runtime_checks::Loaded;
    let before = &f.proxies.before_issuer;
    let workloads = f.restarts(before);
    let n = before.len();
    let who = pods_in(n, workloads.len());
    let old_in_bundle = old_labels(f);
    // Step 4, judged from what the identity pods report where meshcert could read it.
    let step4 = match crate::runtime_checks::loaded(f.runtime, f.issuer.facts.not_after, at) {
        Loaded::Current(pods) => NextStep {
            description: format!(
                "Step 4: done: the identity service has loaded the new issuer (issuer_cert_ttl_seconds of {})",
                pods.join(", ")
            ),
            commands: Vec::new(),
        },
        Loaded::Stale(pods) => NextStep {
            description: format!(
                "Step 4: the identity service has not loaded the new issuer ({} still signs with another one): restart it, and do not go on before it has",
                pods.join(", ")
            ),
            commands: vec![format!(
                "kubectl -n {} rollout restart deploy/linkerd-identity",
                f.ns
            )],
        },
        // Why not is in the runtime check's skip reason; the advice stays the same either way.
        Loaded::Unknown(_) => NextStep {
            description: "Step 4: confirm the identity service loaded the new issuer (meshcert could not read which issuer it has loaded: `meshcert explain meshcert-identity-loaded-current-issuer`)".into(),
            commands: vec![cmd.events.clone()],
        },
    };
    let mut next_steps = vec![step4];
    next_steps.extend(restart_step(
        format!("Step 5: restart the workloads started before the new issuer ({who}); {RERUN}"),
        &workloads,
    ));
    Advice {
        summary: format!(
            "The issuer is signed by the new anchor {} and every proxy trusts it; {who} {} created before the issuer (notBefore {}) and may still present certificates that chain to the old {old_in_bundle}.",
            label(f.newest_cert()),
            agree(n, "was", "were"),
            format_time(f.issuer.facts.not_before)
        ),
        next_steps,
        refused: vec![Refusal {
            step: format!("removing the old anchor {old_in_bundle} from the bundle"),
            reason: format!(
                "{who} may still present certificates that chain to it; proxies would reject them"
            ),
        }],
    }
}

/// The old anchor is still bundled, but nothing in use chains to it.
fn old_anchor_unused(f: &Facts<'_>, cmd: &Commands) -> Advice {
    let carrying = &f.proxies.carrying_old;
    let workloads = f.restarts(carrying);
    let who = pods_in(carrying.len(), workloads.len());
    let automated = f.automation.as_ref().and_then(|a| {
        let previous = a.previous_secret.as_ref()?;
        Some(NextStep {
            description: format!(
                "Step 6: copy the new anchor over the old one in {previous} (a plain copy), so that trust-manager bundles the new anchor alone"
            ),
            commands: vec![crate::trust_manager::copy_command(
                &a.anchor_secret,
                previous,
            )],
        })
    });
    let mut next_steps = vec![automated.unwrap_or_else(|| NextStep {
        description:
            "Step 6: deploy a bundle of the new anchor alone (ca-new.crt of step 1)".into(),
        commands: vec![format!(
            "{} --identity-trust-anchors-file=./ca-new.crt | kubectl apply -f -",
            cmd.upgrade
        )],
    })];
    next_steps.extend(restart_step(
        format!("Then restart the workloads whose proxies still carry the old anchor ({who})"),
        &workloads,
    ));
    Advice {
        summary: format!(
            "The issuer is signed by the new anchor {}, every proxy trusts it, and every pod started after the issuer: the old {} signs nothing in use.",
            label(f.newest_cert()),
            old_labels(f)
        ),
        next_steps,
        refused: Vec::new(),
    }
}

/// The advice for `stage`; when which anchor is new was ambiguous, first how to settle it.
pub(super) fn advise(stage: Stage, f: &Facts<'_>, at: DateTime<Utc>) -> Advice {
    let mut advice = advise_stage(stage, f, at);
    if f.judgement.ambiguous {
        advice.next_steps.insert(
            0,
            NextStep {
                description: format!(
                    "Which anchor is new is ambiguous, so this advice reads {} (which signed the issuer) as the old one. If it is the new one, say so with `meshcert rotation --new-anchor {}` (or --new-anchor ca-new.crt) and follow that advice instead",
                    label(&f.signer),
                    &f.signer_fp()[..16]
                ),
                commands: Vec::new(),
            },
        );
    }
    advice
}

fn advise_stage(stage: Stage, f: &Facts<'_>, at: DateTime<Utc>) -> Advice {
    let cmd = Commands::of(f.ns);
    match stage {
        Stage::IssuerAheadOfProxies | Stage::OldAnchorRemovedTooEarly => dangerous(stage, f, &cmd),
        Stage::Before => before(f, &cmd, at),
        Stage::Done => done(f),
        Stage::BundleDeployed => bundle_deployed(f),
        Stage::WorkloadsRestarted => workloads_restarted(f, &cmd, at),
        Stage::IssuerDeployed => issuer_deployed(f, &cmd, at),
        Stage::OldAnchorUnused => old_anchor_unused(f, &cmd),
    }
}

/// The anchors, newest first, as the report lists them.
pub(super) fn anchors(f: &Facts<'_>) -> Vec<super::AnchorState> {
    let mut list: Vec<&Cert> = f.known.values().collect();
    list.sort_by_key(|c| (std::cmp::Reverse(c.facts.not_before), fingerprint(c)));
    let only_one = list.len() == 1;
    let signer = f.signer_fp();
    list.into_iter()
        .map(|c| super::AnchorState {
            common_name: c.facts.common_name.clone(),
            sha256_fingerprint: fingerprint(c),
            not_before: format_time(c.facts.not_before),
            not_after: format_time(c.facts.not_after),
            role: if only_one {
                "current"
            } else if fingerprint(c) == f.newest {
                "new"
            } else {
                "old"
            },
            in_bundle: f.in_bundle.contains(&fingerprint(c)),
            signed_issuer: fingerprint(c) == signer,
            trusted_by_proxies: f
                .proxies
                .trusted_by
                .get(&fingerprint(c))
                .copied()
                .unwrap_or(0),
        })
        .collect()
}
