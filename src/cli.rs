//! The command line. Everything here is parsed and validated before any input is read.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use meshcert_checks::check::Margin;

#[derive(Debug, Parser)]
#[command(name = "meshcert", version, about = "Audits the mTLS certificates of a Linkerd service mesh", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks and print a report. Exit 0: nothing failed; 1: a check failed; 2: meshcert could not run.
    Check(Box<CheckArgs>),
    /// List every check: id, category, severity, description and hint URL.
    Checks {
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        output: ListFormat,
    },
    /// Read a cluster as `check` does and write what was read to a folder, for `check --from`.
    /// Private keys are replaced by markers that keep the key checks' verdicts.
    Snapshot(Box<SnapshotArgs>),
    /// Print the documentation page of a check.
    Explain {
        /// A check id, as `meshcert checks` lists them.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The folder to write (objects.yaml and pods.json).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,

    /// Kubeconfig of the cluster to read (default: KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to read (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Namespace of the Linkerd control plane.
    #[arg(short = 'L', long, value_name = "NS", default_value = "linkerd")]
    pub linkerd_namespace: String,

    /// Read the meshed pods of one namespace only.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub data_plane_namespace: Option<String>,

    /// Namespace of the viz extension (default: discovered by label).
    #[arg(long, value_name = "NS")]
    pub viz_namespace: Option<String>,

    /// Namespace of the jaeger extension (default: discovered by label).
    #[arg(long, value_name = "NS")]
    pub jaeger_namespace: Option<String>,

    /// Deadline for reading the cluster, retries included (30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,

    /// Log every API request (and retry) on stderr.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Kubeconfig of the cluster to read (default: KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account). Used when neither --from nor --trust-anchors is given.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "trust_anchors"])]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to read (default: the current context). Repeat to check several clusters.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["from", "trust_anchors", "all_contexts"])]
    pub context: Vec<String>,

    /// Check the cluster of every context of the kubeconfig.
    #[arg(long, conflicts_with_all = ["from", "trust_anchors"])]
    pub all_contexts: bool,

    /// Deadline for reading a cluster, retries included (s, m or h: 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,

    /// Log every API request (and retry) on stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Manifests to read: files or directories (recursively: *.yaml, *.yml, *.json), `-` for stdin.
    /// Each file may hold one object, a multi-document YAML stream or a `kind: List`.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["trust_anchors", "issuer_cert", "issuer_key"])]
    pub from: Vec<PathBuf>,

    /// PEM file of the trust anchors (with --issuer-cert and --issuer-key: check files before `linkerd install`).
    #[arg(long, value_name = "FILE", requires_all = ["issuer_cert", "issuer_key"])]
    pub trust_anchors: Option<PathBuf>,

    /// PEM file of the issuer certificate (and any intermediates).
    #[arg(long, value_name = "FILE", requires_all = ["trust_anchors", "issuer_key"])]
    pub issuer_cert: Option<PathBuf>,

    /// PEM file of the issuer private key.
    #[arg(long, value_name = "FILE", requires_all = ["trust_anchors", "issuer_cert"])]
    pub issuer_key: Option<PathBuf>,

    /// Namespace of the Linkerd control plane.
    #[arg(short = 'L', long, value_name = "NS", default_value = "linkerd")]
    pub linkerd_namespace: String,

    /// Scope the data-plane check to the meshed pods of one namespace (default: all namespaces).
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub data_plane_namespace: Option<String>,

    /// Namespace of the viz extension (default: the namespace labelled linkerd.io/extension=viz).
    #[arg(long, value_name = "NS")]
    pub viz_namespace: Option<String>,

    /// Namespace of the jaeger extension (default: the namespace labelled linkerd.io/extension=jaeger).
    #[arg(long, value_name = "NS")]
    pub jaeger_namespace: Option<String>,

    /// Evaluate everything at this instant (RFC 3339, e.g. 2026-11-22T12:00:00Z) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<DateTime<Utc>>,

    /// The expiry margin of the "valid for at least …" checks: days, hours or minutes (60d, 48h, 90m).
    #[arg(long, value_name = "DURATION", default_value = "60d", value_parser = parse_margin)]
    pub min_validity: Margin,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Colour the √/‼/× marks: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Which results fail the run (exit 1): errors only, or warnings too.
    #[arg(long, value_enum, default_value_t = FailOnArg::Error)]
    pub fail_on: FailOnArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Short,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| format!("{e}: expected RFC 3339, such as 2026-11-22T12:00:00Z"))
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    let bad = || {
        format!(
            "invalid duration {s:?}: expected a whole number of seconds, minutes or hours, such as 30s, 2m or 1h"
        )
    };
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: u64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        's' => n,
        'm' => n.checked_mul(60).ok_or_else(bad)?,
        'h' => n.checked_mul(3600).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if secs == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(secs))
}

fn parse_margin(s: &str) -> Result<Margin, String> {
    s.parse()
}
