//! The check interface: metadata, the evaluation context and what a check returns.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::details::{CertDetail, Details, KeyDetail};
use crate::identity::IdentityMaterial;
pub use crate::margin::{Margin, MarginRole, MarginSpec, Margins};
pub use crate::problem::{Failure, Problem};
use crate::scope::Scope;
use crate::snapshot::Snapshot;

/// linkerd's base URL for hints; the hint anchor is the check id.
pub const HINT_BASE_URL: &str = "https://linkerd.io/2/checks/#";

/// Check categories, in linkerd's order; their ids are linkerd's category names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    LinkerdIdentity,
    LinkerdWebhooksAndApisvcTls,
    LinkerdIdentityDataPlane,
    LinkerdViz,
    LinkerdJaeger,
    /// Linked clusters: linkerd's "clusters share trust anchors" and meshcert's own.
    LinkerdMulticluster,
    MeshcertConsistency,
    /// What is running: the issuer the identity service has loaded, the proxies' leaves.
    MeshcertRuntime,
}

impl Category {
    pub fn id(self) -> &'static str {
        match self {
            Category::LinkerdIdentity => "linkerd-identity",
            Category::LinkerdWebhooksAndApisvcTls => "linkerd-webhooks-and-apisvc-tls",
            Category::LinkerdIdentityDataPlane => "linkerd-identity-data-plane",
            Category::LinkerdViz => "linkerd-viz",
            Category::LinkerdJaeger => "linkerd-jaeger",
            Category::LinkerdMulticluster => "linkerd-multicluster",
            Category::MeshcertConsistency => "meshcert-consistency",
            Category::MeshcertRuntime => "meshcert-runtime",
        }
    }

    /// Whether the category belongs in a report of this snapshot: an extension's category only
    /// when the extension is installed (as `linkerd check` runs an extension's checks only then),
    /// the webhooks not for the PEM-file form (`--trust-anchors …`), which has no cluster objects.
    pub fn applies(self, snapshot: &Snapshot, scope: &Scope) -> bool {
        match self {
            Category::LinkerdViz => scope.extension_namespace(snapshot, "viz").is_some(),
            Category::LinkerdJaeger => scope.extension_namespace(snapshot, "jaeger").is_some(),
            // Where the multicluster extension is installed, or Links were read.
            Category::LinkerdMulticluster => {
                scope
                    .extension_namespace(snapshot, "multicluster")
                    .is_some()
                    || snapshot.links().next().is_some()
            }
            // The PEM-file form holds only the identity material.
            Category::LinkerdWebhooksAndApisvcTls
            | Category::LinkerdIdentityDataPlane
            | Category::MeshcertConsistency
            | Category::MeshcertRuntime => snapshot.identity_files().is_none(),
            Category::LinkerdIdentity => true,
        }
    }
}

/// What a failing check means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The run fails (exit 1).
    Error,
    /// Reported; the run fails only with `--fail-on warning`.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A check's identity and documentation. The id is linkerd's hint anchor: stable, and what
/// `--skip`, JSON and `meshcert explain` use. The description is linkerd's positive statement.
#[derive(Debug)]
pub struct CheckMeta {
    pub id: &'static str,
    pub category: Category,
    pub description: &'static str,
    pub severity: Severity,
    /// linkerd aborts its whole run when a fatal check fails; meshcert keeps going, and records
    /// the flag for reference.
    pub fatal: bool,
    /// For the margin checks, whose margin they apply; the description states it ("… valid for
    /// at least 60 days").
    pub margin: Option<MarginRole>,
    /// linkerd has this check, and its hint page (linkerd.io/2/checks/#<id>); meshcert's own
    /// checks hint at `meshcert explain <id>` instead.
    pub linkerd_hint: bool,
    /// The check's page, `checks/docs/<id>.md`.
    pub docs: &'static str,
}

impl CheckMeta {
    pub fn hint_url(&self) -> String {
        if self.linkerd_hint {
            format!("{HINT_BASE_URL}{}", self.id)
        } else {
            format!("`meshcert explain {}`", self.id)
        }
    }

    /// The description with the margin in force stated (linkerd's says "60 days").
    pub fn description_with(&self, cx: &Context) -> String {
        match self.margin {
            Some(role) => self.description_with_margin(&cx.margins.get(role)),
            None => self.description.to_string(),
        }
    }

    /// A margin check's description with `margin` stated. Its description is linkerd's, which
    /// ends with linkerd's margin ("… valid for at least 60 days", a registry test keeps it so):
    /// the margin in force takes the place of that ending.
    pub fn description_with_margin(&self, margin: &impl std::fmt::Display) -> String {
        let default = Margin::LINKERD_DEFAULT.to_string();
        match self.description.strip_suffix(default.as_str()) {
            Some(before) if self.margin.is_some() => format!("{before}{margin}"),
            _ => self.description.to_string(),
        }
    }

    /// The level a failure of this check has by default.
    pub fn default_level(&self) -> Level {
        match self.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        }
    }
}

/// What a failure of a check means for the run, after the user's overrides; `Off` leaves the
/// check out of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Off,
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(Level::Error),
            "warning" => Ok(Level::Warning),
            "off" => Ok(Level::Off),
            other => Err(format!(
                "invalid level {other:?}: expected error, warning or off"
            )),
        }
    }
}

/// Which results fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
}

/// Everything a check may know besides the Snapshot. Checks read no clock, flag or file.
#[derive(Debug, Clone)]
pub struct Context {
    /// The evaluation instant (`--at`).
    pub at: DateTime<Utc>,
    /// The expiry margins (`--min-validity`, the policy file's `[margins]`).
    pub margins: Margins,
    /// The user set the issuer's margin (otherwise a cert-manager Certificate's renewal point
    /// replaces linkerd's default).
    pub issuer_margin_set: bool,
    /// The user set the webhooks' margin (otherwise a cert-manager Certificate's renewal point
    /// replaces it for the webhook Secrets it writes).
    pub webhooks_margin_set: bool,
    pub fail_on: FailOn,
    /// Per-check levels overriding the defaults (policy file, `--skip`, `--only`), by id.
    pub levels: std::collections::BTreeMap<String, Level>,
    /// What the run is scoped to (`-n`, the extensions' namespaces).
    pub scope: Scope,
}

impl Context {
    pub fn new(at: DateTime<Utc>) -> Self {
        Context {
            at,
            margins: Margins::default(),
            issuer_margin_set: false,
            webhooks_margin_set: false,
            fail_on: FailOn::default(),
            levels: Default::default(),
            scope: Scope::default(),
        }
    }

    /// The level of a check in this run.
    pub fn level(&self, meta: &CheckMeta) -> Level {
        self.levels
            .get(meta.id)
            .copied()
            .unwrap_or_else(|| meta.default_level())
    }
}

/// What a check found. Severity is not decided here: the runner applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass(Details),
    Fail {
        error: Failure,
        details: Details,
    },
    /// The check could not run; the reason says why (a missing input, a component not installed).
    Skip(String),
}

impl Outcome {
    /// A pass when nothing was found, else a failure listing `problems`; `details` either way.
    pub fn of_problems(problems: Vec<Problem>, details: Details) -> Outcome {
        if problems.is_empty() {
            Outcome::Pass(details)
        } else {
            Outcome::Fail {
                error: Failure::problems(problems),
                details,
            }
        }
    }
}

/// What a check reads: the snapshot, and what the runner derives from it once for every check
/// (the identity material). It reads as the snapshot itself.
pub struct Input<'a> {
    snapshot: &'a Snapshot,
    /// The run's clusters (this one among them), for the checks of linked clusters.
    peers: &'a [crate::multicluster::Peer<'a>],
    identity: IdentityMaterial,
    /// Each distinct proxy trust bundle decoded, by the Snapshot's bundle id: once per run,
    /// when a check first asks.
    proxy_bundles: std::sync::OnceLock<Vec<Result<Vec<crate::cert::Cert>, String>>>,
    /// The issuer's margin in force (cert-manager's renewal point applied) and where it came
    /// from: once per run.
    issuer_margin: std::sync::OnceLock<(MarginSpec, Option<String>)>,
}

impl<'a> Input<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Input<'a> {
        Input {
            snapshot,
            peers: &[],
            identity: IdentityMaterial::derive(snapshot),
            proxy_bundles: std::sync::OnceLock::new(),
            issuer_margin: std::sync::OnceLock::new(),
        }
    }

    /// The issuer's expiry margin in force for the run of `cx`: the user's, else the renewal
    /// point of the cert-manager Certificate that manages the issuer, else linkerd's 60 days;
    /// and where it came from when not the user's (see `cert_manager::issuer_margin`).
    pub fn issuer_margin(&self, cx: &Context) -> &(MarginSpec, Option<String>) {
        self.issuer_margin.get_or_init(|| {
            crate::cert_manager::issuer_margin(
                self.snapshot,
                cx.margins.issuer,
                cx.issuer_margin_set,
            )
        })
    }

    /// The trust anchors, issuer certificate and key, as linkerd reads them.
    pub fn identity(&self) -> &IdentityMaterial {
        &self.identity
    }

    /// The proxies' trust bundles decoded (leniently, as linkerd compares them), indexed by
    /// the bundle ids of `snapshot.data_plane`: each distinct bundle once per run, however many
    /// pods and checks read it.
    pub fn proxy_bundles(&self) -> &[Result<Vec<crate::cert::Cert>, String>] {
        self.proxy_bundles.get_or_init(|| {
            self.snapshot
                .data_plane
                .bundles
                .iter()
                .map(|text| crate::pem::decode_bundle_lenient(text))
                .collect()
        })
    }

    pub fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// This cluster's input among the run's clusters `peers`.
    pub fn with_peers(snapshot: &'a Snapshot, peers: &'a [crate::multicluster::Peer<'a>]) -> Self {
        Input {
            peers,
            ..Input::new(snapshot)
        }
    }

    /// The run's clusters (empty when the run reads one cluster alone).
    pub fn peers(&self) -> &'a [crate::multicluster::Peer<'a>] {
        self.peers
    }
}

pub trait Check: Sync {
    fn meta(&self) -> &'static CheckMeta;
    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome;
    /// The description as shown for this run: the margin checks state the margin in force.
    fn description(&self, _input: &Input<'_>, cx: &Context) -> String {
        self.meta().description_with(cx)
    }
    /// Whether the check belongs in a report of this snapshot at all (beyond its category's
    /// rule): the cert-manager checks only where cert-manager manages, or may manage, the issuer,
    /// as an extension's checks appear only where it is installed.
    fn applies(&self, _snapshot: &Snapshot) -> bool {
        true
    }
    /// The webhook or API-service component whose TLS material the check reads. What a run
    /// reads from a cluster (the live requests, the dump recipe) is derived from the components
    /// the registry's checks name: a component no check names is not read.
    fn component(&self) -> Option<&'static crate::webhook::Component> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn margin_specs_parse_print_and_scale_with_lifetime() {
        assert_eq!(
            "33%".parse::<MarginSpec>().unwrap(),
            MarginSpec::Lifetime(33)
        );
        assert_eq!(MarginSpec::Lifetime(33).to_string(), "33% of lifetime");
        assert_eq!("60d".parse::<MarginSpec>().unwrap(), MarginSpec::default());
        for bad in ["0%", "101%", "x%", "1.5%", "10w"] {
            assert!(bad.parse::<MarginSpec>().is_err(), "{bad}");
        }
        let from = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let to = DateTime::parse_from_rfc3339("2026-01-03T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            MarginSpec::Lifetime(25).for_validity(from, to),
            TimeDelta::hours(12)
        );
        assert_eq!(
            MarginSpec::Fixed("1d".parse().unwrap()).for_validity(from, to),
            TimeDelta::days(1)
        );
        assert_eq!("warning".parse::<Level>().unwrap(), Level::Warning);
        assert!("loud".parse::<Level>().is_err());
    }

    #[test]
    fn margins_parse_and_print() {
        assert_eq!("60d".parse::<Margin>().unwrap(), Margin::LINKERD_DEFAULT);
        assert_eq!(Margin::LINKERD_DEFAULT.to_string(), "60 days");
        assert_eq!("1d".parse::<Margin>().unwrap().to_string(), "1 day");
        assert_eq!("48h".parse::<Margin>().unwrap().to_string(), "2 days");
        assert_eq!("36h".parse::<Margin>().unwrap().to_string(), "36 hours");
        assert_eq!("90m".parse::<Margin>().unwrap().to_string(), "90 minutes");
        // cert-manager's renewBefore may be any Go duration.
        let secs = |n| Margin::from_delta(TimeDelta::seconds(n)).to_string();
        assert_eq!(secs(90), "90 seconds");
        assert_eq!(secs(1), "1 second");
        assert_eq!(secs(120), "2 minutes");
        for bad in ["", "60", "d", "-1d", "1.5d", "10w", "99999999999999d"] {
            assert!(bad.parse::<Margin>().is_err(), "{bad:?} should not parse");
        }
    }
}
