//! The command line. Everything here is parsed and validated before any input is read.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use meshcert_checks::check::MarginSpec;

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
    /// Run the checks every --interval and serve the results as Prometheus metrics on /metrics
    /// (an exporter for Prometheus to scrape), with /healthz and /readyz. Stops on SIGTERM; SIGHUP
    /// starts a round at once.
    Serve(Box<ServeArgs>),
    /// List every check: id, category, severity, description and hint URL.
    Checks {
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        output: ListFormat,
    },
    /// Read a cluster as `check` does and write what was read to a folder, for `check --from`.
    /// Private keys are replaced by markers that keep the key checks' verdicts.
    Snapshot(Box<SnapshotArgs>),
    /// Where the cluster stands in a trust-anchor rotation (Linkerd's manual procedure), and the
    /// exact next commands. Exit 0: a safe stage; 1: a dangerous one; 2: could not assess.
    Rotation(Box<RotationArgs>),
    /// Print the kubectl commands (a sh script) that dump everything `check` reads, for
    /// `check --from` where meshcert cannot reach the cluster itself.
    DumpCommands {
        /// Namespace of the Linkerd control plane.
        #[arg(
            short = 'L',
            long = "linkerd-namespace",
            value_name = "NS",
            default_value = "linkerd"
        )]
        linkerd_namespace: String,
        /// trust-manager's trust namespace (the anchor's Secrets and Certificate).
        #[arg(long, value_name = "NS", default_value = meshcert_checks::snapshot::TRUST_NAMESPACE)]
        trust_namespace: String,
        /// Dump the meshed pods of one namespace only (default: all namespaces).
        #[arg(short = 'n', long, value_name = "NS")]
        namespace: Option<String>,
    },
    /// Print the documentation page of a check.
    Explain {
        /// A check id, as `meshcert checks` lists them.
        id: String,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page meshcert(1); with --out, write it and one page per subcommand
    /// (meshcert-check.1, …) to a folder.
    Man {
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The folder to write (objects.yaml and pods.json).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,

    /// Kubeconfig context to read (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Where to read and what: shared by `check` and `snapshot`.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Kubeconfig of the cluster to read (default: KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account). Used when neither --from nor --trust-anchors is given.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Namespace of the Linkerd control plane.
    #[arg(short = 'L', long, value_name = "NS", default_value = "linkerd")]
    pub linkerd_namespace: String,

    /// trust-manager's trust namespace, where the trust bundle's sources (the anchor's Secrets
    /// and cert-manager Certificate) live.
    #[arg(long, value_name = "NS", default_value = meshcert_checks::snapshot::TRUST_NAMESPACE)]
    pub trust_namespace: String,

    /// Scope the data-plane check to the meshed pods of one namespace (default: all namespaces).
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub data_plane_namespace: Option<String>,

    /// Namespace of the viz extension (default: the namespace labelled linkerd.io/extension=viz).
    #[arg(long, value_name = "NS")]
    pub viz_namespace: Option<String>,

    /// Namespace of the jaeger extension (default: the namespace labelled linkerd.io/extension=jaeger).
    #[arg(long, value_name = "NS")]
    pub jaeger_namespace: Option<String>,

    /// Deadline for reading a cluster, retries included (s, m or h: 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,

    /// Meshed pods per LIST page when reading a cluster (the API server's `limit`).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub page_size: u32,

    /// Which proxies to ask for their leaf certificate's expiry (through `pods/proxy`, an opt-in
    /// permission): N Running meshed pods spread over the workloads, all, or off.
    #[arg(long, value_name = "N|all|off", default_value = "100")]
    pub proxy_metrics: crate::source::ProxyMetrics,

    /// Log every API request (and retry) on stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Speak HTTP/1.1 to API servers, one request per connection at a time (default: HTTP/2
    /// where the server offers it, every request of a cluster on one connection). For servers
    /// behind proxies that break HTTP/2.
    #[arg(long)]
    pub http1: bool,

    /// Do not reach a linked cluster that the run does not read through its Link's credentials
    /// (as `linkerd multicluster check` does); its Links are then "not compared".
    #[arg(long)]
    pub no_follow_links: bool,
}

/// Which clusters to read: shared by `check` and `rotation`.
#[derive(Debug, Clone, Args)]
pub struct ContextArgs {
    /// Kubeconfig context to read (default: the current context). Repeat to read several clusters.
    #[arg(long, value_name = "NAME", conflicts_with = "all_contexts")]
    pub context: Vec<String>,

    /// Read the cluster of every context of the kubeconfig.
    #[arg(long)]
    pub all_contexts: bool,

    /// How many clusters are read at once; each has its own --timeout, so a slow or unreachable
    /// one holds none of the others.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
}

#[derive(Debug, Args)]
pub struct RotationArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub contexts: ContextArgs,

    /// Manifests to read instead of a cluster (as `check --from`).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["kubeconfig", "context", "all_contexts"])]
    pub from: Vec<PathBuf>,

    /// Assess at this instant (RFC 3339) instead of now: whether the anchors are valid, how long
    /// the current one has left.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<DateTime<Utc>>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub output: ListFormat,

    /// Colour the stage and refusals: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Which bundled anchor is the new one, instead of judging it from the evidence: its SHA-256
    /// fingerprint (or a prefix of at least 8 hex digits), or a PEM file holding it (ca-new.crt).
    #[arg(long, value_name = "FINGERPRINT|FILE")]
    pub new_anchor: Option<String>,

    /// Which stages exit 1: dangerous ones only (the default), or also any rotation under way
    /// (every stage but before and done), for a gate that holds upgrades during a rotation.
    #[arg(long, value_enum, default_value_t = RotationFailOn::Dangerous)]
    pub fail_on: RotationFailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RotationFailOn {
    Dangerous,
    InProgress,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub audit: AuditArgs,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table, env = "MESHCERT_OUTPUT")]
    pub output: OutputFormat,

    /// Also write a report in another format to a file, from the same run (repeatable):
    /// table, short, json, junit, prometheus or html, e.g. --report junit=meshcert.xml.
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<(OutputFormat, PathBuf)>,

    /// Push the Prometheus metrics to this Pushgateway (job "meshcert", grouped by cluster).
    #[arg(long, value_name = "URL", env = "MESHCERT_PUSH_GATEWAY")]
    pub push_gateway: Option<String>,

    /// Colour the √/‼/× marks: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub audit: AuditArgs,

    /// Address to serve /metrics, /healthz and /readyz on: HOST:PORT, [IPv6]:PORT, or :PORT
    /// for every IPv4 interface.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "0.0.0.0:9402",
        env = "MESHCERT_LISTEN",
        value_parser = parse_listen
    )]
    pub listen: String,

    /// Web configuration file (TLS and basic auth) in the Prometheus exporter-toolkit's format:
    /// tls_server_config (cert_file, key_file, client_auth_type, client_ca_file, min_version,
    /// max_version) and basic_auth_users (bcrypt hashes). See README.
    #[arg(
        long = "web.config.file",
        value_name = "PATH",
        env = "MESHCERT_WEB_CONFIG_FILE"
    )]
    pub web_config_file: Option<PathBuf>,

    /// Time from the start of one round to the start of the next (ms, s, m or h: 30s, 5m; at
    /// least 1s); a round that takes longer is followed by the next at once. Rounds never
    /// overlap. SIGHUP starts a round at once.
    #[arg(long, value_name = "DURATION", default_value = "5m", env = "MESHCERT_INTERVAL", value_parser = parse_interval)]
    pub interval: std::time::Duration,
}

/// What a run reads and how it judges it: shared by `check` and `serve`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub contexts: ContextArgs,

    /// The most input meshcert reads, all files together (bytes, or with KiB, MiB, GiB).
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = parse_size)]
    pub max_input_bytes: u64,

    /// The most objects (documents and List items, pods included) meshcert reads.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_objects: usize,

    /// Manifests to read: files or directories (recursively: *.yaml, *.yml, *.json), `-` for stdin.
    /// Each file may hold one object, a multi-document YAML stream or a `kind: List`.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["trust_anchors", "issuer_cert", "issuer_key", "kubeconfig", "context", "all_contexts"])]
    pub from: Vec<PathBuf>,

    /// PEM file of the trust anchors (with --issuer-cert and --issuer-key: check files before `linkerd install`).
    #[arg(long, value_name = "FILE", requires_all = ["issuer_cert", "issuer_key"], conflicts_with_all = ["kubeconfig", "context", "all_contexts"])]
    pub trust_anchors: Option<PathBuf>,

    /// PEM file of the issuer certificate (and any intermediates).
    #[arg(long, value_name = "FILE", requires_all = ["trust_anchors", "issuer_key"])]
    pub issuer_cert: Option<PathBuf>,

    /// PEM file of the issuer private key.
    #[arg(long, value_name = "FILE", requires_all = ["trust_anchors", "issuer_cert"])]
    pub issuer_key: Option<PathBuf>,

    /// Evaluate everything at this instant (RFC 3339, e.g. 2026-11-22T12:00:00Z) instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<DateTime<Utc>>,

    /// The expiry margin of every "valid for at least …" check: days, hours or minutes (60d, 48h,
    /// 90m) or a share of the certificate's lifetime (33%). Default 60d, or the policy file's.
    #[arg(long, value_name = "DURATION", env = "MESHCERT_MIN_VALIDITY", value_parser = parse_margin)]
    pub min_validity: Option<MarginSpec>,

    /// Leave a check out of the run (repeatable; comma-separated in MESHCERT_SKIP).
    #[arg(long, value_name = "ID", env = "MESHCERT_SKIP", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Run only the checks of this category (repeatable; comma-separated in MESHCERT_ONLY).
    #[arg(
        long,
        value_name = "CATEGORY",
        env = "MESHCERT_ONLY",
        value_delimiter = ','
    )]
    pub only: Vec<String>,

    /// Policy file (levels, margins, fail-on; see README). Default: ./meshcert.toml if present.
    #[arg(long, value_name = "FILE", env = "MESHCERT_CONFIG")]
    pub config: Option<PathBuf>,

    /// Which results fail the run (exit 1): errors only (the default), or warnings too.
    #[arg(long, value_enum, env = "MESHCERT_FAIL_ON")]
    pub fail_on: Option<FailOnArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Short,
    Json,
    Junit,
    Prometheus,
    /// One self-contained page: verdicts, details and a certificate timeline.
    Html,
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
    let secs = meshcert_checks::units::whole_with_unit(s, &[("s", 1), ("m", 60), ("h", 3_600)])
        .ok_or_else(bad)?;
    if secs == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(secs))
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let bad = || {
        format!(
            "invalid interval {s:?}: expected a whole number of milliseconds, seconds, minutes or hours, such as 500ms, 30s or 5m"
        )
    };
    let ms = meshcert_checks::units::whole_with_unit(
        s,
        &[("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)],
    )
    .ok_or_else(bad)?;
    if ms < MIN_INTERVAL_MS {
        return Err(format!(
            "interval {s:?} is below the floor of 1s: a round re-reads every cluster, and a shorter interval only loads the API servers"
        ));
    }
    Ok(std::time::Duration::from_millis(ms))
}

/// The shortest `--interval`.
const MIN_INTERVAL_MS: u64 = 1_000;

/// `--listen`: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every IPv4 interface, as exporters read
/// it); HOST may be a name, resolved when the server starts.
fn parse_listen(s: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "invalid listen address {s:?}: expected HOST:PORT, [IPv6]:PORT or :PORT, such as :9402 or 127.0.0.1:9402"
        )
    };
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Ok(format!("0.0.0.0:{port}"));
    }
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.contains(':') && !bracketed || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok(s.to_string())
}

fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("invalid size {s:?}: expected bytes, or a number with KiB, MiB or GiB");
    meshcert_checks::units::whole_with_unit(
        s,
        &[
            ("", 1),
            ("KiB", 1 << 10),
            ("MiB", 1 << 20),
            ("GiB", 1 << 30),
        ],
    )
    .ok_or_else(bad)
}

fn parse_margin(s: &str) -> Result<MarginSpec, String> {
    s.parse()
}

fn parse_report(s: &str) -> Result<(OutputFormat, PathBuf), String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, got {s:?}"))?;
    let format = OutputFormat::from_str(format, true).map_err(|_| {
        format!("unknown format {format:?}: expected table, short, json, junit, prometheus or html")
    })?;
    if path.is_empty() {
        return Err(format!("no path in {s:?}"));
    }
    Ok((format, PathBuf::from(path)))
}
