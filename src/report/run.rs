//! The envelope every `check` reporter takes: the clusters of a run, each with its report or why
//! it could not be read, and the rules that turn them into the run's verdict, in one place.

use meshcert_checks::check::FailOn;
use meshcert_checks::report::{Report, Status};

use std::process::ExitCode;

/// meshcert's exit codes: 0 nothing failed, 1 a check failed, 2 meshcert could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    Success,
    Failure,
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

/// One cluster of a run (an offline run is one cluster without a context).
#[derive(Clone)]
pub struct ClusterOutcome {
    /// The kubeconfig context, when a cluster was read.
    pub context: Option<String>,
    /// Where the report's objects were read from ("manifests: …", "cluster: <context> (<server>)"),
    /// when they could be read.
    pub source: Option<String>,
    /// The report, or why the cluster could not be read.
    pub outcome: Result<Report, String>,
    /// Where a trust-anchor rotation stands, for the reporters that show it (HTML, metrics),
    /// when they were asked for and it could be assessed.
    pub rotation: Option<meshcert_checks::rotation::Rotation>,
}

impl ClusterOutcome {
    pub fn succeeded(&self) -> bool {
        matches!(&self.outcome, Ok(r) if r.success)
    }

    /// The context as reporters print it.
    pub fn label(&self) -> &str {
        self.context.as_deref().unwrap_or("")
    }
}

/// What one run of `meshcert check` produced.
pub struct Run {
    pub clusters: Vec<ClusterOutcome>,
    /// Several clusters were asked for (`--context` repeated, `--all-contexts`): tables give each
    /// its own section, JSON has a `clusters` array, every series has a `cluster` label.
    pub per_cluster: bool,
    pub fail_on: FailOn,
}

impl Run {
    /// A run of one cluster, or of files.
    pub fn one(cluster: ClusterOutcome, fail_on: FailOn) -> Run {
        Run {
            clusters: vec![cluster],
            per_cluster: false,
            fail_on,
        }
    }

    /// Whether a check's result fails the run: the one failure rule of every reporter.
    pub fn fails(&self, status: Status) -> bool {
        meshcert_checks::report::fails(status, self.fail_on)
    }

    /// No cluster failed, and every cluster could be read.
    pub fn succeeded(&self) -> bool {
        self.clusters.iter().all(ClusterOutcome::succeeded)
    }

    /// 0 when nothing failed, 1 when a check failed, 2 when a cluster could not be read.
    pub fn exit_status(&self) -> ExitStatus {
        self.clusters
            .iter()
            .map(|c| match &c.outcome {
                Err(_) => ExitStatus::Error,
                Ok(r) if !r.success => ExitStatus::Failure,
                Ok(_) => ExitStatus::Success,
            })
            .max_by_key(|s| *s as u8)
            .unwrap_or(ExitStatus::Success)
    }

    /// Why the run's one cluster (or its files) could not be read, when that is so: a run of
    /// one cluster that has nothing to report is meshcert's error, not a cluster's failure.
    pub fn unreadable_alone(&self) -> Option<&str> {
        match self.clusters.as_slice() {
            [one] if !self.per_cluster => one.outcome.as_ref().err().map(String::as_str),
            _ => None,
        }
    }

    /// The readable reports, labelled with their context when the run is per cluster.
    pub fn reports(&self) -> impl Iterator<Item = (Option<&str>, &Report)> {
        self.clusters.iter().filter_map(|c| {
            let label = self.per_cluster.then(|| c.label());
            c.outcome.as_ref().ok().map(|r| (label, r))
        })
    }

    /// The clusters that could not be read, with why.
    pub fn unreadable(&self) -> impl Iterator<Item = (&str, &str)> {
        self.clusters
            .iter()
            .filter_map(|c| c.outcome.as_ref().err().map(|e| (c.label(), e.as_str())))
    }

    /// Each cluster as a run of its own (for a Pushgateway group per cluster).
    pub fn each_cluster(&self) -> impl Iterator<Item = (Option<&str>, Run)> {
        self.clusters.iter().map(|c| {
            (
                c.context.as_deref(),
                Run {
                    clusters: vec![c.clone()],
                    per_cluster: false,
                    fail_on: self.fail_on,
                },
            )
        })
    }
}
