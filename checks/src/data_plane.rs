//! Category `linkerd-identity-data-plane`: "data plane proxies certificate match CA".
//!
//! linkerd compares each meshed proxy's `LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS` with ConfigMap
//! `linkerd-identity-trust-roots` key `ca-bundle.crt` as trimmed strings. meshcert compares the
//! certificates (by SHA-256 fingerprint) as sets, so order, line endings and blank lines do not
//! matter; lists pods whose bundle cannot be read separately; and tells the operator what to
//! restart and, during a rotation, which anchors the stale proxies trust.

use std::collections::{BTreeMap, BTreeSet};

use crate::cert::Cert;
use crate::check::{
    Category, Check, CheckMeta, Context, Details, Failure, Input, Outcome, Problem, Severity,
};
use crate::pem::decode_bundle_lenient;
use crate::scope::Scope;
use crate::snapshot::{BundleRef, Fetched, Kind, ObjectRef, PodSummary, Snapshot, Workload};

pub const TRUST_ROOTS: &str = "linkerd-identity-trust-roots";
pub const BUNDLE_KEY: &str = "ca-bundle.crt";

pub use crate::details::{
    AnchorRef, DataPlaneDetail, PodRef, StaleBundle, UnreadablePod, WorkloadRestart,
};

fn short_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Deployment" => "deploy",
        "StatefulSet" => "sts",
        "DaemonSet" => "ds",
        _ => return None,
    })
}

pub(crate) fn workload_label(w: &Workload) -> String {
    match short_kind(&w.kind) {
        Some(k) => format!("{k}/{}", w.name),
        None => format!("{}/{}", w.kind.to_ascii_lowercase(), w.name),
    }
}

fn restart_command(ns: &str, w: &Workload, pods: &[&PodRef]) -> Option<String> {
    match short_kind(&w.kind) {
        Some(k) => Some(format!("kubectl -n {ns} rollout restart {k}/{}", w.name)),
        None if w.kind == "Pod" => None,
        None => {
            let names: Vec<&str> = pods.iter().map(|p| p.name.as_str()).collect();
            Some(format!(
                "kubectl -n {ns} delete pod {}  # owned by {} {}, which recreates them",
                names.join(" "),
                w.kind,
                w.name
            ))
        }
    }
}

/// The meshed pods the data-plane checks compare: in scope (`-n`), outside the control-plane
/// namespace, with a literal bundle; and how many were left out, and why.
pub(crate) struct Scoped<'a> {
    /// Each pod with its bundle id.
    pub compared: Vec<(&'a PodSummary, u32)>,
    pub control_plane: usize,
    pub not_comparable: usize,
}

pub(crate) fn scoped_pods<'a>(snap: &'a Snapshot, scope: &Scope) -> Scoped<'a> {
    let dp = &snap.data_plane;
    let scope = scope.data_plane_namespace.as_deref();
    let mut out = Scoped {
        compared: Vec::new(),
        control_plane: 0,
        not_comparable: 0,
    };
    for pod in &dp.pods {
        let pod_ns = dp.namespace(pod);
        if scope.is_some_and(|s| s != pod_ns) {
            continue;
        }
        if pod_ns == snap.linkerd_namespace {
            out.control_plane += 1;
            continue;
        }
        match pod.bundle {
            BundleRef::Value(id) => out.compared.push((pod, id)),
            BundleRef::Reference => out.not_comparable += 1,
        }
    }
    out
}

/// The pods sorted by namespace and name, and their workloads with the command that restarts each.
pub(crate) fn pods_and_restarts(
    dp: &crate::snapshot::DataPlane,
    pods: &[&PodSummary],
) -> (Vec<PodRef>, Vec<WorkloadRestart>) {
    let mut pods: Vec<&PodSummary> = pods.to_vec();
    pods.sort_by(|a, b| (dp.namespace(a), &a.name).cmp(&(dp.namespace(b), &b.name)));
    let refs: Vec<PodRef> = pods
        .iter()
        .map(|pod| PodRef {
            namespace: dp.namespace(pod).to_string(),
            name: pod.name.clone(),
            workload: workload_label(&pod.workload),
            native_sidecar: pod.native_sidecar,
        })
        .collect();
    let mut by_workload: BTreeMap<(String, Workload), Vec<usize>> = BTreeMap::new();
    for (i, pod) in pods.iter().enumerate() {
        by_workload
            .entry((dp.namespace(pod).to_string(), pod.workload.clone()))
            .or_default()
            .push(i);
    }
    let workloads = by_workload
        .iter()
        .map(|((pod_ns, w), members)| {
            let members: Vec<&PodRef> = members.iter().map(|&i| &refs[i]).collect();
            WorkloadRestart {
                namespace: pod_ns.clone(),
                kind: w.kind.clone(),
                name: w.name.clone(),
                pods: members.len(),
                command: restart_command(pod_ns, w, &members),
            }
        })
        .collect();
    (refs, workloads)
}

/// `<command> (N pods)` for each workload a command restarts, listed under "Restart them:".
pub(crate) fn restarts(workloads: &[WorkloadRestart]) -> Vec<Problem> {
    workloads
        .iter()
        .filter_map(|w| {
            let command = w.command.as_ref()?;
            Some(Problem::named(
                &w.kind,
                &w.namespace,
                &w.name,
                format!(
                    "{command} ({} pod{})",
                    w.pods,
                    if w.pods == 1 { "" } else { "s" }
                ),
            ))
        })
        .collect()
}

/// The heading of the pods no controller restarts.
pub(crate) const RECREATE: &str = "Recreate them from their manifests (no controller restarts them; the proxy injector gives the new pod the current bundle):";

/// The pods without a controller among `workloads`, as `ns/name`, listed under [`RECREATE`].
pub(crate) fn recreations(workloads: &[WorkloadRestart]) -> Vec<Problem> {
    workloads
        .iter()
        .filter(|w| w.command.is_none())
        .map(|w| {
            Problem::named(
                &w.kind,
                &w.namespace,
                &w.name,
                format!("{}/{}", w.namespace, w.name),
            )
        })
        .collect()
}

/// "Restart them:" and "Recreate them …", each when it lists something.
pub(crate) fn restart_sections(mut failure: Failure, workloads: &[WorkloadRestart]) -> Failure {
    let (restart, recreate) = (restarts(workloads), recreations(workloads));
    if !restart.is_empty() {
        failure = failure.then("Restart them:", restart);
    }
    if !recreate.is_empty() {
        failure = failure.then(RECREATE, recreate);
    }
    failure
}

/// One problem per pod: its name as the report prints it (`ns/name`, or `name` under `-n`), and
/// `why` after a colon when given.
pub(crate) fn pod_problems<'a>(
    scope: &Scope,
    pods: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Vec<Problem> {
    pods.into_iter()
        .map(|(namespace, name, why)| {
            let shown = scope.pod_name(namespace, name);
            let message = match why {
                Some(why) => format!("{shown}: {why}"),
                None => shown,
            };
            Problem::named("Pod", namespace, name, message)
        })
        .collect()
}

/// What a distinct proxy bundle is, once parsed.
enum Parsed {
    Current,
    Stale(BTreeSet<String>),
    Unreadable(String),
}

pub struct ProxiesCertsMatchCa;

static META: CheckMeta = CheckMeta {
    id: "l5d-identity-data-plane-proxies-certs-match-ca",
    category: Category::LinkerdIdentityDataPlane,
    description: "data plane proxies certificate match CA",
    severity: Severity::Warning,
    fatal: false,
    margin: None,
    linkerd_hint: true,
    docs: include_str!("../docs/l5d-identity-data-plane-proxies-certs-match-ca.md"),
};

/// The current trust bundle (ConfigMap `linkerd-identity-trust-roots`, key `ca-bundle.crt`), the
/// one a proxy gets when it starts; `None` when the ConfigMap does not exist.
pub(crate) fn trust_roots(snap: &Snapshot) -> Option<Result<Vec<Cert>, String>> {
    let ns = snap.linkerd_namespace.as_str();
    let roots_ref = ObjectRef::new(Kind::ConfigMap, ns, TRUST_ROOTS);
    match snap.config_map(ns, TRUST_ROOTS) {
        Fetched::Present(cm) => Some(match cm.data.get(BUNDLE_KEY) {
            Some(text) => decode_bundle_lenient(text)
                .map_err(|e| format!("could not parse key {BUNDLE_KEY} of {roots_ref}: {e}")),
            None => Err(format!("key {BUNDLE_KEY} needs to exist in {roots_ref}")),
        }),
        Fetched::Missing => None,
        Fetched::Forbidden(why) => Some(Err(format!("cannot read {roots_ref}: {why}"))),
    }
}

/// The bundle proxies should carry, or why it cannot be compared with.
fn current_bundle(snap: &Snapshot) -> Result<Vec<Cert>, String> {
    if let Some(why) = &snap.data_plane_unavailable {
        return Err(why.clone());
    }
    trust_roots(snap).unwrap_or_else(|| {
        Err(format!(
            "{} not found",
            ObjectRef::new(Kind::ConfigMap, &snap.linkerd_namespace, TRUST_ROOTS)
        ))
    })
}

/// Each distinct proxy bundle, parsed once however many pods carry it, against the current
/// bundle's fingerprints; every anchor met is added to `anchors`.
fn parse_bundles(
    decoded: &[Result<Vec<crate::cert::Cert>, String>],
    current_set: &BTreeSet<String>,
    anchors: &mut BTreeMap<String, AnchorRef>,
) -> Vec<Parsed> {
    decoded
        .iter()
        .map(|bundle| match bundle {
            Err(e) => Parsed::Unreadable(e.clone()),
            Ok(certs) => {
                let set: BTreeSet<String> = certs
                    .iter()
                    .map(|c| c.facts.sha256_fingerprint.clone())
                    .collect();
                for c in certs {
                    anchors
                        .entry(c.facts.sha256_fingerprint.clone())
                        .or_insert_with(|| AnchorRef::of(c));
                }
                if set == *current_set {
                    Parsed::Current
                } else {
                    Parsed::Stale(set)
                }
            }
        })
        .collect()
}

/// The stale bundles, most carried first: how many pods carry each, which anchors it trusts
/// that the current bundle lacks, and which it misses.
fn stale_bundles(
    stale: &[(&PodSummary, u32)],
    parsed: &[Parsed],
    current_set: &BTreeSet<String>,
    newest: &str,
    anchors: &BTreeMap<String, AnchorRef>,
) -> Vec<StaleBundle> {
    let mut bundles = Vec::new();
    let mut by_bundle: BTreeMap<u32, usize> = BTreeMap::new();
    for (_, bundle) in stale {
        *by_bundle.entry(*bundle).or_default() += 1;
    }
    for (id, pods) in by_bundle {
        let Parsed::Stale(set) = &parsed[id as usize] else {
            continue;
        };
        let old: Vec<AnchorRef> = set
            .difference(current_set)
            .map(|f| anchors[f].clone())
            .collect();
        let missing: Vec<AnchorRef> = current_set
            .difference(set)
            .map(|f| anchors[f].clone())
            .collect();
        let trusts = match (set.contains(newest), set.iter().any(|f| *f != newest)) {
            (true, true) => "both",
            (true, false) => "new only",
            (false, _) => "old only",
        };
        bundles.push(StaleBundle {
            pods,
            trusts,
            old_anchors: old,
            missing_anchors: missing,
        });
    }
    // Most carried first; equal counts by the anchors themselves (which, with the current
    // bundle, name the stale bundle), never by the order the pods were read in: an API server
    // lists pods by namespace and name, a file in any order, and both must give one report.
    let fingerprints = |anchors: &[AnchorRef]| -> Vec<String> {
        anchors
            .iter()
            .map(|a| a.sha256_fingerprint.clone())
            .collect()
    };
    bundles.sort_by_cached_key(|b| {
        (
            std::cmp::Reverse(b.pods),
            fingerprints(&b.old_anchors),
            fingerprints(&b.missing_anchors),
        )
    });
    bundles
}

/// linkerd's message for stale pods, then meshcert's: unreadable bundles, what to restart, and
/// what the stale proxies trust.
fn failure_message(scope: &Scope, detail: &DataPlaneDetail) -> Failure {
    let mut failure = Failure::default();
    if !detail.stale_pods.is_empty() {
        failure = failure.then(
            "Some pods do not have the current trust bundle and must be restarted:",
            pod_problems(
                scope,
                detail
                    .stale_pods
                    .iter()
                    .map(|p| (p.namespace.as_str(), p.name.as_str(), None)),
            ),
        );
    }
    if !detail.unreadable_pods.is_empty() {
        failure = failure.then(
            "Some pods have a trust bundle that cannot be read:",
            pod_problems(
                scope,
                detail.unreadable_pods.iter().map(|p| {
                    (
                        p.namespace.as_str(),
                        p.name.as_str(),
                        Some(p.reason.as_str()),
                    )
                }),
            ),
        );
    }
    failure = restart_sections(failure, &detail.workloads);
    if !detail.stale_bundles.is_empty() {
        let describe = |a: &[AnchorRef]| {
            a.iter()
                .map(AnchorRef::short)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let items = detail
            .stale_bundles
            .iter()
            .map(|b| {
                let (noun, verb) = if b.pods == 1 {
                    ("pod", "trusts")
                } else {
                    ("pods", "trust")
                };
                let mut s = format!("{} {noun} {verb} {}", b.pods, b.trusts);
                if !b.old_anchors.is_empty() {
                    s.push_str(&format!(
                        "; not in {TRUST_ROOTS}: {}",
                        describe(&b.old_anchors)
                    ));
                }
                if !b.missing_anchors.is_empty() {
                    s.push_str(&format!("; missing: {}", describe(&b.missing_anchors)));
                }
                Problem::new(s)
            })
            .collect();
        failure = failure.then("Their proxies' trust anchors:", items);
    }
    failure
}

impl Check for ProxiesCertsMatchCa {
    fn meta(&self) -> &'static CheckMeta {
        &META
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let current = match current_bundle(snap) {
            Ok(c) => c,
            Err(error) => {
                return Outcome::Fail {
                    error: error.into(),
                    details: Details::default(),
                };
            }
        };
        let current_set: BTreeSet<String> = current
            .iter()
            .map(|c| c.facts.sha256_fingerprint.clone())
            .collect();
        let newest = current
            .iter()
            .max_by_key(|c| (c.facts.not_before, c.facts.sha256_fingerprint.clone()))
            .map(|c| c.facts.sha256_fingerprint.clone())
            .unwrap_or_default();
        let mut anchors: BTreeMap<String, AnchorRef> = current
            .iter()
            .map(|c| (c.facts.sha256_fingerprint.clone(), AnchorRef::of(c)))
            .collect();

        let dp = &snap.data_plane;
        let parsed = parse_bundles(input.proxy_bundles(), &current_set, &mut anchors);

        let mut detail = DataPlaneDetail {
            current_anchors: current.iter().map(AnchorRef::of).collect(),
            ..Default::default()
        };
        let scoped = scoped_pods(snap, &cx.scope);
        detail.skipped_control_plane_pods = scoped.control_plane;
        detail.not_comparable_pods = scoped.not_comparable;
        detail.checked_pods = scoped.compared.len();
        let mut stale: Vec<(&PodSummary, u32)> = Vec::new();
        for &(pod, id) in &scoped.compared {
            match &parsed[id as usize] {
                Parsed::Current => {}
                Parsed::Stale(_) => stale.push((pod, id)),
                Parsed::Unreadable(reason) => detail.unreadable_pods.push(UnreadablePod {
                    namespace: dp.namespace(pod).to_string(),
                    name: pod.name.clone(),
                    reason: reason.clone(),
                }),
            }
        }
        if stale.is_empty() && detail.unreadable_pods.is_empty() {
            return Outcome::Pass(Details {
                data_plane: Some(detail),
                ..Details::default()
            });
        }

        stale.sort_by(|a, b| (dp.namespace(a.0), &a.0.name).cmp(&(dp.namespace(b.0), &b.0.name)));
        detail
            .unreadable_pods
            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let stale_pods: Vec<&PodSummary> = stale.iter().map(|(p, _)| *p).collect();
        (detail.stale_pods, detail.workloads) = pods_and_restarts(dp, &stale_pods);
        detail.stale_bundles = stale_bundles(&stale, &parsed, &current_set, &newest, &anchors);
        Outcome::Fail {
            error: failure_message(&cx.scope, &detail),
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
    use crate::identity_checks::testutil::{cx, error_of};
    use crate::snapshot::*;

    fn deploy(name: &str) -> Workload {
        Workload {
            kind: "Deployment".into(),
            name: name.into(),
        }
    }

    /// A snapshot with the trust roots `roots` and pods `(ns, name, workload, bundle)`.
    fn mesh(roots: &str, pods: &[(&str, &str, Workload, Option<&str>)]) -> Snapshot {
        let mut snap = Snapshot::new("linkerd");
        let mut cm = ConfigMap::default();
        cm.data.insert(BUNDLE_KEY.into(), roots.to_string());
        snap.insert(
            ObjectRef::new(Kind::ConfigMap, "linkerd", TRUST_ROOTS),
            ObjectState::Present {
                object: Object::ConfigMap(cm),
                from: "t".into(),
            },
        );
        for (ns, name, workload, bundle) in pods {
            let namespace = snap.data_plane.namespace_id(ns);
            let bundle = match bundle {
                Some(b) => BundleRef::Value(snap.data_plane.bundle_id(b)),
                None => BundleRef::Reference,
            };
            snap.data_plane.pods.push(PodSummary {
                namespace,
                name: name.to_string(),
                workload: workload.clone(),
                bundle,
                native_sidecar: false,
                created: None,
                running: true,
                component: None,
            });
        }
        snap
    }

    #[test]
    fn matching_sets_pass_whatever_the_order_and_line_endings() {
        let a = self_signed(Spec::ca("old", 1), p256()).pem;
        let b = self_signed(Spec::ca("new", 2), p256()).pem;
        let roots = format!("{b}{a}");
        let reordered = format!("{}\r\n\r\n{}", a.replace('\n', "\r\n"), b);
        let snap = mesh(
            &roots,
            &[
                ("app", "web-1", deploy("web"), Some(&roots)),
                ("app", "web-2", deploy("web"), Some(&reordered)),
            ],
        );
        let Outcome::Pass(d) = ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &cx())
        else {
            panic!()
        };
        assert_eq!(d.data_plane.unwrap().checked_pods, 2);
        assert_eq!(
            snap.data_plane.bundles.len(),
            2,
            "two distinct strings, parsed once each"
        );
    }

    fn newer(cn: &'static str, serial: u64) -> String {
        let mut spec = Spec::ca(cn, serial);
        spec.not_before = "2026-06-01T00:00:00Z";
        self_signed(spec, p256()).pem
    }

    #[test]
    fn the_report_does_not_depend_on_the_order_pods_are_read_in() {
        // An API server lists pods by namespace and name; a file holds them in any order.
        let old = self_signed(Spec::ca("old", 1), p256()).pem;
        let new = newer("new", 2);
        let roots = new.clone();
        let both = format!("{new}{old}");
        let pods = [
            ("emojivoto", "emoji-1", deploy("emoji"), Some(old.as_str())),
            ("books", "db-3", deploy("db"), Some(both.as_str())),
        ];
        let forward = mesh(&roots, &pods);
        let mut reversed_pods = pods.clone();
        reversed_pods.reverse();
        let reversed = mesh(&roots, &reversed_pods);
        let run = |snap: &Snapshot| ProxiesCertsMatchCa.run(&crate::check::Input::new(snap), &cx());
        let (a, b) = (run(&forward), run(&reversed));
        let Outcome::Fail { details, .. } = &a else {
            panic!("{a:?}")
        };
        assert_eq!(details.data_plane.as_ref().unwrap().stale_bundles.len(), 2);
        assert_eq!(a, b);
    }

    #[test]
    fn stale_pods_are_listed_grouped_and_classified() {
        let old = self_signed(Spec::ca("old", 1), p256()).pem;
        let new = newer("new", 2);
        let roots = format!("{new}{old}");
        let snap = mesh(
            &roots,
            &[
                ("emojivoto", "web-5d8f9-a", deploy("web"), Some(&old)),
                ("emojivoto", "web-5d8f9-b", deploy("web"), Some(&old)),
                ("emojivoto", "vote-1", deploy("voting"), Some(&roots)),
                (
                    "linkerd",
                    "linkerd-destination-1",
                    deploy("linkerd-destination"),
                    None,
                ),
                (
                    "books",
                    "db-0",
                    Workload {
                        kind: "StatefulSet".into(),
                        name: "db".into(),
                    },
                    None,
                ),
            ],
        );
        let err = error_of(ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &cx()));
        let expected_start = "Some pods do not have the current trust bundle and must be restarted:\n\t* emojivoto/web-5d8f9-a\n\t* emojivoto/web-5d8f9-b\nRestart them:\n\t* kubectl -n emojivoto rollout restart deploy/web (2 pods)\nTheir proxies' trust anchors:\n\t* 2 pods trust old only; missing: new (sha256 ";
        assert!(err.starts_with(expected_start), "{err}");
        let Outcome::Fail { details, .. } =
            ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &cx())
        else {
            panic!()
        };
        let d = details.data_plane.unwrap();
        assert_eq!(
            (
                d.checked_pods,
                d.skipped_control_plane_pods,
                d.not_comparable_pods
            ),
            (3, 1, 1)
        );
        assert_eq!(d.stale_bundles[0].trusts, "old only");
        assert_eq!(d.stale_bundles[0].missing_anchors[0].common_name, "new");
    }

    #[test]
    fn after_rotation_pods_with_both_anchors_are_stale_and_say_so() {
        let old = self_signed(Spec::ca("old", 1), p256()).pem;
        let new = newer("new", 2);
        let both = format!("{new}{old}");
        let snap = mesh(
            &new,
            &[
                ("app", "a-1", deploy("a"), Some(&both)),
                ("app", "b-1", deploy("b"), Some(&new)),
            ],
        );
        let Outcome::Fail { error, details } =
            ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &cx())
        else {
            panic!()
        };
        // Typed: each section's problems name their pod or workload.
        let sections = error.sections();
        assert_eq!(
            sections[0].heading.as_deref(),
            Some("Some pods do not have the current trust bundle and must be restarted:")
        );
        assert_eq!(
            sections[0].problems[0].object.as_deref(),
            Some("Pod app/a-1")
        );
        assert_eq!(sections[0].problems[0].message, "app/a-1");
        assert_eq!(sections[1].heading.as_deref(), Some("Restart them:"));
        assert_eq!(
            sections[1].problems[0].object.as_deref(),
            Some("Deployment app/a")
        );
        let error = error.text();
        assert!(
            error.contains(
                "\t* 1 pod trusts both; not in linkerd-identity-trust-roots: old (sha256 "
            ),
            "{error}"
        );
        assert_eq!(details.data_plane.unwrap().stale_pods.len(), 1);
    }

    #[test]
    fn unreadable_bundles_are_listed_separately_and_scope_drops_the_namespace() {
        let root = self_signed(Spec::ca("root", 1), p256()).pem;
        let snap = mesh(
            &root,
            &[
                ("app", "x-1", deploy("x"), Some("not a bundle")),
                ("other", "y-1", deploy("y"), Some("garbage")),
            ],
        );
        let mut scoped = cx();
        scoped.scope.data_plane_namespace = Some("app".into());
        assert_eq!(
            error_of(ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &scoped)),
            "Some pods have a trust bundle that cannot be read:\n\t* x-1: unexpected text in the bundle: not a PEM certificate"
        );
    }

    #[test]
    fn missing_trust_roots_fail_and_no_pods_pass() {
        let snap = Snapshot::new("linkerd");
        assert_eq!(
            error_of(ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &cx())),
            "ConfigMap linkerd/linkerd-identity-trust-roots not found"
        );
        let root = self_signed(Spec::ca("root", 1), p256()).pem;
        assert!(matches!(
            ProxiesCertsMatchCa.run(&crate::check::Input::new(&mesh(&root, &[])), &cx()),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn workloads_without_rollout_get_a_pod_level_command() {
        let root = self_signed(Spec::ca("root", 1), p256()).pem;
        let old = self_signed(Spec::ca("old", 2), p256()).pem;
        let job = Workload {
            kind: "Job".into(),
            name: "migrate".into(),
        };
        let bare = Workload {
            kind: "Pod".into(),
            name: "debug".into(),
        };
        let snap = mesh(
            &root,
            &[
                ("app", "migrate-x", job, Some(&old)),
                ("app", "debug", bare, Some(&old)),
            ],
        );
        let err = error_of(ProxiesCertsMatchCa.run(&crate::check::Input::new(&snap), &cx()));
        assert!(err.contains("Restart them:\n\t* kubectl -n app delete pod migrate-x  # owned by Job migrate, which recreates them (1 pod)\n"), "{err}");
        // A pod without a controller is not given a command: it is listed apart.
        assert!(
            err.contains(&format!("\n{RECREATE}\n\t* app/debug\n")),
            "{err}"
        );
        assert!(!err.contains("recreate pod"), "{err}");
    }
}
