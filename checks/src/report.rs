//! Running checks and the report they produce. The report is data; reporters in the binary only
//! render it, so every output format carries the same verdicts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cert::format_time;
use crate::check::{Check, Context, Details, FailOn, Failure, Input, Level, Outcome};
use crate::snapshot::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Skipped,
    Warning,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Skipped => "skipped",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub id: &'static str,
    pub description: String,
    pub result: Status,
    /// The failure as linkerd words it (made from `failure`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failure's structure: in JSON, `problems`, one entry per problem with its object, key,
    /// message and the heading it is listed under.
    #[serde(
        rename = "problems",
        skip_serializing_if = "Option::is_none",
        serialize_with = "flat_problems"
    )]
    pub failure: Option<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Why a skipped check did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryReport {
    #[serde(rename = "categoryName")]
    pub name: &'static str,
    pub checks: Vec<CheckResult>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// No result fails the run (errors, and warnings too with `--fail-on warning`).
    pub success: bool,
    #[serde(serialize_with = "rfc3339")]
    pub evaluated_at: DateTime<Utc>,
    pub categories: Vec<CategoryReport>,
    /// The expiry margin in force for each role (the issuer's may be cert-manager's renewal
    /// point), for reporters that draw it.
    #[serde(skip)]
    pub margins: crate::margin::Margins,
}

fn flat_problems<S: serde::Serializer>(f: &Option<Failure>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Listed<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        heading: Option<&'a str>,
        #[serde(flatten)]
        problem: &'a crate::problem::Problem,
    }
    let sections = f.as_ref().map(Failure::sections).unwrap_or_default();
    s.collect_seq(sections.iter().flat_map(|section| {
        section.problems.iter().map(|problem| Listed {
            heading: section.heading.as_deref(),
            problem,
        })
    }))
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

impl Report {
    pub fn results(&self) -> impl Iterator<Item = &CheckResult> {
        self.categories.iter().flat_map(|c| c.checks.iter())
    }

    /// The worst result of the run.
    pub fn worst(&self) -> Status {
        self.results()
            .map(|r| r.result)
            .max()
            .unwrap_or(Status::Success)
    }
}

/// Whether a result fails the run under `fail_on`.
pub fn fails(status: Status, fail_on: FailOn) -> bool {
    match status {
        Status::Error => true,
        Status::Warning => fail_on == FailOn::Warning,
        Status::Success | Status::Skipped => false,
    }
}

/// linkerd warns about an anchor near its expiry even while a rotation is taking it out of the
/// bundle (linkerd2#5800). The anchor-margin check keeps linkerd's verdict and words; meshcert
/// adds, in the details of each old anchor the rotation in progress will remove, that it is on
/// its way out. Assessed only when that check did not pass.
fn note_superseded_anchors(categories: &mut [CategoryReport], snapshot: &Snapshot, cx: &Context) {
    const MARGIN_CHECK: &str = "l5d-identity-trustAnchors-not-expiring-soon";
    let Some(result) = categories
        .iter_mut()
        .flat_map(|c| c.checks.iter_mut())
        .find(|r| r.id == MARGIN_CHECK && matches!(r.result, Status::Warning | Status::Error))
    else {
        return;
    };
    let Ok(rotation) = crate::rotation::assess(snapshot, &cx.scope, cx.at, None) else {
        return;
    };
    if !rotation.stage.in_progress() || rotation.dangerous {
        return;
    }
    let Some(new) = rotation.anchors.iter().find(|a| a.role == "new") else {
        return;
    };
    for old in rotation
        .anchors
        .iter()
        .filter(|a| a.role == "old" && a.in_bundle)
    {
        for d in
            result.details.certificates.iter_mut().filter(|d| {
                d.facts.sha256_fingerprint == old.sha256_fingerprint && d.problem.is_some()
            })
        {
            d.note = Some(format!(
                "superseded by the new anchor {}: the rotation in progress removes it from the bundle at step 6; remove it then (`meshcert rotation`) rather than renewing it",
                new.common_name
            ));
        }
    }
}

/// Runs `checks` in order; severity is applied here, and only here.
pub fn run(snapshot: &Snapshot, cx: &Context, checks: &[&dyn Check]) -> Report {
    run_among(snapshot, &[], cx, checks)
}

/// [`run`] for one cluster of several read in one run (`peers`, this one among them): the
/// checks of linked clusters see the others.
pub fn run_among(
    snapshot: &Snapshot,
    peers: &[crate::multicluster::Peer<'_>],
    cx: &Context,
    checks: &[&dyn Check],
) -> Report {
    let mut categories: Vec<CategoryReport> = Vec::new();
    let input = Input::with_peers(snapshot, peers);
    for check in checks {
        let meta = check.meta();
        let level = cx.level(meta);
        if level == Level::Off
            || !meta.category.applies(snapshot, &cx.scope)
            || !check.applies(snapshot)
        {
            continue;
        }
        let (result, failure, reason, details) = match check.run(&input, cx) {
            Outcome::Pass(d) => (Status::Success, None, None, d),
            Outcome::Fail { error, details } => {
                let status = if level == Level::Warning {
                    Status::Warning
                } else {
                    Status::Error
                };
                (status, Some(error), None, details)
            }
            Outcome::Skip(why) => (Status::Skipped, None, Some(why), Details::default()),
        };
        let hint = failure.as_ref().map(|_| meta.hint_url());
        let entry = CheckResult {
            id: meta.id,
            description: check.description(&input, cx),
            result,
            error: failure.as_ref().map(Failure::text),
            failure,
            hint,
            reason,
            details,
        };
        let name = meta.category.id();
        match categories.last_mut() {
            Some(c) if c.name == name => c.checks.push(entry),
            _ => categories.push(CategoryReport {
                name,
                checks: vec![entry],
            }),
        }
    }
    note_superseded_anchors(&mut categories, snapshot, cx);
    let success = !categories
        .iter()
        .flat_map(|c| &c.checks)
        .any(|r| fails(r.result, cx.fail_on));
    let mut margins = cx.margins;
    margins.issuer = input.issuer_margin(cx).0;
    Report {
        success,
        evaluated_at: cx.at,
        categories,
        margins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Category, CheckMeta, Context, MarginRole, Severity};

    struct Fixed(&'static CheckMeta, fn() -> Outcome);
    impl Check for Fixed {
        fn meta(&self) -> &'static CheckMeta {
            self.0
        }
        fn run(&self, _: &Input<'_>, _: &Context) -> Outcome {
            (self.1)()
        }
    }
    static WARN: CheckMeta = CheckMeta {
        id: "w",
        category: Category::LinkerdIdentity,
        description: "w is valid for at least 60 days",
        severity: Severity::Warning,
        fatal: false,
        margin: Some(MarginRole::Issuer),
        linkerd_hint: true,
        docs: "",
    };
    static ERR: CheckMeta = CheckMeta {
        id: "e",
        description: "e",
        severity: Severity::Error,
        margin: None,
        linkerd_hint: true,
        ..WARN
    };

    fn fail() -> Outcome {
        Outcome::Fail {
            error: "boom".into(),
            details: Details::default(),
        }
    }

    #[test]
    fn severity_and_fail_on_decide_success() {
        let snap = Snapshot::new("linkerd");
        let mut cx = Context::new(DateTime::UNIX_EPOCH);
        let warn_only: [&dyn Check; 1] = [&Fixed(&WARN, fail)];
        let report = run(&snap, &cx, &warn_only);
        assert!(report.success);
        assert_eq!(report.worst(), Status::Warning);
        let r = report.results().next().unwrap();
        assert_eq!(r.hint.as_deref(), Some("https://linkerd.io/2/checks/#w"));
        cx.fail_on = FailOn::Warning;
        assert!(!run(&snap, &cx, &warn_only).success);

        let with_error: [&dyn Check; 2] = [
            &Fixed(&WARN, || Outcome::Pass(Details::default())),
            &Fixed(&ERR, fail),
        ];
        let report = run(&snap, &Context::new(DateTime::UNIX_EPOCH), &with_error);
        assert!(!report.success);
        assert_eq!(report.categories.len(), 1, "same category, one group");
        assert_eq!(report.worst(), Status::Error);
    }

    #[test]
    fn levels_override_severity_and_off_leaves_a_check_out() {
        let snap = Snapshot::new("linkerd");
        let checks: [&dyn Check; 2] = [&Fixed(&WARN, fail), &Fixed(&ERR, fail)];
        let mut cx = Context::new(DateTime::UNIX_EPOCH);
        cx.levels.insert("w".into(), Level::Error);
        cx.levels.insert("e".into(), Level::Warning);
        let report = run(&snap, &cx, &checks);
        let results: Vec<_> = report.results().map(|r| (r.id, r.result)).collect();
        assert_eq!(results, [("w", Status::Error), ("e", Status::Warning)]);
        cx.levels.insert("w".into(), Level::Off);
        let report = run(&snap, &cx, &checks);
        assert_eq!(report.results().map(|r| r.id).collect::<Vec<_>>(), ["e"]);
        assert!(report.success, "the remaining failure is a warning now");
    }

    #[test]
    fn skipped_checks_carry_their_reason_and_no_hint() {
        let snap = Snapshot::new("linkerd");
        let checks: [&dyn Check; 1] = [&Fixed(&ERR, || Outcome::Skip("not installed".into()))];
        let report = run(&snap, &Context::new(DateTime::UNIX_EPOCH), &checks);
        let r = report.results().next().unwrap();
        assert_eq!(r.result, Status::Skipped);
        assert_eq!(r.reason.as_deref(), Some("not installed"));
        assert!(r.hint.is_none() && r.error.is_none());
        assert!(report.success);
    }
}
