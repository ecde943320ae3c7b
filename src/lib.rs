//! meshcert: audits the mTLS certificates of a Linkerd service mesh.
//!
//! The binary is the I/O shell around `meshcert-checks`: it parses the command line, builds a
//! Snapshot from its sources, runs the registry and hands the report to a reporter.

pub mod cli;
pub mod exposition;
#[doc(hidden)]
pub mod fuzzing;
pub mod log;
pub mod push;
pub mod report;
pub mod serve;
pub mod settings;
pub mod snapshot;
pub mod source;
pub mod web_config;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use meshcert_checks::check::Context;
use meshcert_checks::registry;
use report::run::{ClusterOutcome, Run};
use source::Limits;

use cli::{
    AuditArgs, CheckArgs, Cli, ColorChoice, Command, ListFormat, OutputFormat, RotationArgs,
};

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

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            }
            .into();
        }
    };
    match run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            crate::elog!("meshcert: error: {e:#}");
            ExitStatus::Error.into()
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    // A closed stdout (`meshcert … | head`) ends the output quietly; the status stays the run's.
    let mut out = log::Stdout::new(std::io::stdout().lock());
    let status = match cli.command {
        Command::Check(args) => check(&args, &mut out)?,
        Command::Serve(args) => {
            drop(out);
            return serve::serve(&args);
        }
        Command::Checks { output } => {
            let text = match output {
                ListFormat::Table => report::list::table(registry::ALL),
                ListFormat::Json => report::list::json(registry::ALL),
            };
            out.write_all(text.as_bytes())?;
            ExitStatus::Success
        }
        Command::Snapshot(args) => {
            let contexts = match &args.context {
                Some(name) => source::Contexts::Named(vec![name.clone()]),
                None => source::Contexts::Current,
            };
            let request = request_of(&args.cluster, Inputs::Live(contexts, 1), Limits::default())?;
            let (_, loaded) = runtime()?.block_on(request.load_live(args.context.as_deref()))?;
            let written = snapshot::write(&loaded, &args.out)?;
            for what in &written.unreadable {
                crate::elog!("meshcert: warning: not in the snapshot (could not be read): {what}");
            }
            crate::elog!(
                "meshcert: wrote {} objects and {} meshed pods of {} to {}",
                written.objects,
                written.pods,
                loaded.source,
                args.out.display()
            );
            ExitStatus::Success
        }
        Command::Rotation(args) => rotation(&args, &mut out)?,
        Command::DumpCommands {
            linkerd_namespace,
            namespace,
        } => {
            let script =
                meshcert_checks::reads::dump_script(&linkerd_namespace, namespace.as_deref());
            out.write_all(script.as_bytes())?;
            ExitStatus::Success
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "meshcert", &mut out);
            ExitStatus::Success
        }
        Command::Man { out: dir } => {
            let command = <Cli as clap::CommandFactory>::command();
            match dir {
                None => clap_mangen::Man::new(command).render(&mut out)?,
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    clap_mangen::generate_to(command, &dir).with_context(|| {
                        format!("cannot write the man pages to {}", dir.display())
                    })?;
                    crate::elog!("meshcert: wrote the man pages to {}", dir.display());
                }
            }
            ExitStatus::Success
        }
        Command::Explain { id } => {
            let check = registry::find(&id).with_context(|| {
                format!("unknown check id {id:?}; `meshcert checks` lists the ids")
            })?;
            out.write_all(check.meta().docs.as_bytes())?;
            ExitStatus::Success
        }
    };
    out.flush()?;
    Ok(status)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// The reporter format of an output format flag.
fn format(f: OutputFormat) -> report::Format {
    match f {
        OutputFormat::Table => report::Format::Table,
        OutputFormat::Short => report::Format::Short,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Junit => report::Format::Junit,
        OutputFormat::Prometheus => report::Format::Prometheus,
        OutputFormat::Html => report::Format::Html,
    }
}

/// The run's settings (flags, environment, policy file) for the audit options.
fn settings_of(args: &AuditArgs) -> anyhow::Result<Context> {
    let flags = settings::Flags {
        at: args.at,
        fail_on: args.fail_on,
        min_validity: args.min_validity,
        skip: &args.skip,
        only: &args.only,
        config: args.config.as_deref(),
    };
    settings::resolve(&flags, |k| std::env::var(k).ok())
}

fn check(args: &CheckArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let cx = settings_of(&args.audit)?;
    // The HTML page and the metrics carry the rotation stage.
    let shows_rotation =
        |f: OutputFormat| matches!(f, OutputFormat::Html | OutputFormat::Prometheus);
    let rotation = shows_rotation(args.output)
        || args.report.iter().any(|(f, _)| shows_rotation(*f))
        || args.push_gateway.is_some();
    let request = check_request(&args.audit)?;
    let run = match collect(&request, &cx, rotation) {
        Ok(run) => run,
        // The one cluster could not be read: said on stderr as every error is, and with -o json
        // in the document as well, so that a pipeline reading only the JSON sees why (exit 2).
        Err(e) if request.is_live() && args.output == OutputFormat::Json => {
            let why = format!("{e:#}");
            let unreadable = ClusterOutcome {
                context: request.expected_labels().into_iter().next().flatten(),
                source: None,
                outcome: Err(why.clone()),
                rotation: None,
            };
            report::write(
                &Run::one(unreadable, cx.fail_on),
                report::Format::Json,
                false,
                out,
            )?;
            crate::elog!("meshcert: error: {why}");
            return Ok(ExitStatus::Error);
        }
        Err(e) => return Err(e),
    };
    report::write(&run, format(args.output), color(args.color), out)?;
    for (f, path) in &args.report {
        let mut text = Vec::new();
        report::write(&run, format(*f), false, &mut text)?;
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the {f:?} report to {}", path.display()))?;
    }
    if let Some(gateway) = &args.push_gateway {
        out.flush()?;
        for (cluster, one) in run.each_cluster() {
            push::push(gateway, cluster, report::prometheus::render(&one))?;
        }
    }
    Ok(run.exit_status())
}

/// `meshcert rotation`: reads like `check`, assesses each cluster's rotation.
fn rotation(args: &RotationArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    use meshcert_checks::rotation::assess;
    use report::rotation::Assessed;
    let at = args.at.unwrap_or_else(chrono::Utc::now);
    let inputs = if args.from.is_empty() {
        Inputs::Live(contexts_of(&args.contexts), args.contexts.parallel.into())
    } else {
        Inputs::Manifests(&args.from)
    };
    let request = request_of(&args.cluster, inputs, Limits::default())?;
    let scope = request.scope.checks_scope();
    let new_anchor = args.new_anchor.as_deref().map(new_anchor_of).transpose()?;
    let assessed_of = |context: Option<String>, loaded: &source::Loaded| Assessed {
        context,
        source: loaded.source.clone(),
        outcome: assess(&loaded.snapshot, &scope, at, new_anchor.as_deref()),
    };
    let assessed: Vec<Assessed> = if !request.is_live() {
        vec![assessed_of(None, &request.load_offline()?)]
    } else {
        match read_live(&request)? {
            Live::One(_, snap) => vec![assessed_of(None, &snap)],
            Live::Many(clusters) => clusters
                .into_iter()
                .map(|(ctx, loaded)| match loaded {
                    Ok(snap) => assessed_of(Some(ctx), &snap),
                    Err(e) => Assessed {
                        source: format!("context {ctx}"),
                        context: Some(ctx),
                        outcome: Err(format!("{e:#}")),
                    },
                })
                .collect(),
        }
    };
    let text = match args.output {
        ListFormat::Table => report::rotation::table(&assessed, color(args.color)),
        ListFormat::Json => report::rotation::json(&assessed),
    };
    out.write_all(text.as_bytes())?;
    let status = assessed
        .iter()
        .map(|a| match &a.outcome {
            Ok(r) if r.dangerous => ExitStatus::Failure,
            Ok(r) if args.fail_on == cli::RotationFailOn::InProgress && r.stage.in_progress() => {
                ExitStatus::Failure
            }
            Ok(_) => ExitStatus::Success,
            Err(_) => ExitStatus::Error,
        })
        .max_by_key(|s| *s as u8)
        .unwrap_or(ExitStatus::Success);
    if let (ExitStatus::Error, [one]) = (status, assessed.as_slice())
        && let Err(why) = &one.outcome
    {
        crate::elog!("meshcert: error: cannot assess the rotation: {why}");
    }
    Ok(status)
}

/// `--new-anchor`: a fingerprint as given, or the fingerprint of the first certificate of the
/// PEM file it names.
fn new_anchor_of(value: &str) -> anyhow::Result<String> {
    let path = std::path::Path::new(value);
    if !path.is_file() {
        return Ok(value.to_string());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read --new-anchor {value}"))?;
    let certs = meshcert_checks::pem::decode_certificates(&bytes)
        .map_err(|e| anyhow::anyhow!("--new-anchor {value}: {e}"))?;
    let first = certs
        .first()
        .with_context(|| format!("--new-anchor {value}: no certificate in the file"))?;
    Ok(first.facts.sha256_fingerprint.clone())
}

/// What a live run read: one cluster (the current or the one named context), or several.
enum Live {
    /// The one cluster, and the context it was read through.
    One(String, Box<source::Loaded>),
    Many(Vec<(String, anyhow::Result<source::Loaded>)>),
}

/// Reads the clusters a live request names. Several are read concurrently, `--parallel` at a
/// time, each within its own `--timeout`; one that fails or stalls holds none of the others. On
/// a terminal, a progress line counts them.
fn read_live(request: &source::Request) -> anyhow::Result<Live> {
    let rt = runtime()?;
    let names = match request.clusters()? {
        source::Clusters::One(context) => {
            let (context, snapshot) = rt.block_on(request.load_live(context.as_deref()))?;
            return Ok(Live::One(context, Box::new(snapshot)));
        }
        source::Clusters::Many(names) => names,
    };
    let parallel = match &request.source {
        source::Source::Live { parallel, .. } => (*parallel).max(1),
        _ => 1,
    };
    let progress = Progress::new(names.len());
    let results = rt.block_on(async {
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(parallel));
        let tasks = names.iter().map(|ctx| {
            let limit = limit.clone();
            let progress = &progress;
            async move {
                let _permit = limit.acquire().await;
                let read = request.load_live(Some(ctx)).await.map(|(_, snap)| snap);
                progress.done(read.is_ok());
                read
            }
        });
        futures::future::join_all(tasks).await
    });
    progress.finish();
    Ok(Live::Many(names.into_iter().zip(results).collect()))
}

/// `clusters: 31/48 done, 2 failed` on stderr, rewritten in place, when stderr is a terminal.
struct Progress {
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    failed: std::sync::atomic::AtomicUsize,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0.into(),
            failed: 0.into(),
            shown: std::io::stderr().is_terminal() && total > 1,
        }
    }

    fn done(&self, ok: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        let done = self.done.fetch_add(1, Relaxed) + 1;
        let failed = self.failed.fetch_add(usize::from(!ok), Relaxed) + usize::from(!ok);
        if self.shown {
            crate::elog_inline!("\rclusters: {done}/{} done, {failed} failed", self.total);
        }
    }

    fn finish(&self) {
        if self.shown {
            crate::elog!();
        }
    }
}

/// What the command line asks to read, before the scope and limits are added.
enum Inputs<'a> {
    Manifests(&'a [std::path::PathBuf]),
    PemFiles(&'a AuditArgs),
    /// The clusters, and how many to read at once.
    Live(source::Contexts, usize),
}

fn contexts_of(contexts: &cli::ContextArgs) -> source::Contexts {
    if contexts.all_contexts {
        source::Contexts::All
    } else if contexts.context.is_empty() {
        source::Contexts::Current
    } else {
        source::Contexts::Named(contexts.context.clone())
    }
}

/// The one place a source request is built from the command line.
fn request_of(
    cluster: &cli::ClusterArgs,
    inputs: Inputs<'_>,
    limits: Limits,
) -> anyhow::Result<source::Request> {
    let source = match inputs {
        Inputs::Manifests(paths) => source::Source::Manifests(paths.to_vec()),
        Inputs::PemFiles(args) => {
            match (&args.trust_anchors, &args.issuer_cert, &args.issuer_key) {
                (Some(anchors), Some(cert), Some(key)) => source::Source::PemFiles {
                    anchors: anchors.clone(),
                    cert: cert.clone(),
                    key: key.clone(),
                },
                _ => anyhow::bail!(
                    "nothing to read: give --from PATH (manifests) or --trust-anchors, --issuer-cert and --issuer-key (PEM files)"
                ),
            }
        }
        Inputs::Live(contexts, parallel) => source::Source::Live {
            parallel,
            kubeconfig: cluster.kubeconfig.clone(),
            contexts,
            timeout: cluster.timeout,
            page_size: cluster.page_size,
            verbose: cluster.verbose,
        },
    };
    Ok(source::Request {
        source,
        scope: source::Scope {
            linkerd_namespace: cluster.linkerd_namespace.clone(),
            data_plane_namespace: cluster.data_plane_namespace.clone(),
            viz_namespace: cluster.viz_namespace.clone(),
            jaeger_namespace: cluster.jaeger_namespace.clone(),
        },
        limits,
    })
}

/// `check`'s request: PEM files, manifests, or clusters.
fn check_request(args: &AuditArgs) -> anyhow::Result<source::Request> {
    let all_pem =
        args.trust_anchors.is_some() && args.issuer_cert.is_some() && args.issuer_key.is_some();
    let inputs = if all_pem {
        Inputs::PemFiles(args)
    } else if !args.from.is_empty() {
        Inputs::Manifests(&args.from)
    } else if args.trust_anchors.is_some() {
        // Incomplete PEM files: `request_of` says what is missing.
        Inputs::PemFiles(args)
    } else {
        Inputs::Live(contexts_of(&args.contexts), args.contexts.parallel.into())
    };
    let limits = Limits {
        max_input_bytes: args.max_input_bytes,
        max_objects: args.max_objects,
    };
    request_of(&args.cluster, inputs, limits)
}

/// Reads the inputs and runs the checks; with `rotation`, also assesses each cluster's
/// trust-anchor rotation (for the HTML report and the metrics).
fn collect(request: &source::Request, cx: &Context, rotation: bool) -> anyhow::Result<Run> {
    let cx = &Context {
        scope: request.scope.checks_scope(),
        ..cx.clone()
    };
    let check = |context: Option<String>, loaded: anyhow::Result<source::Loaded>| match loaded {
        Ok(loaded) => ClusterOutcome {
            context,
            outcome: Ok(meshcert_checks::report::run(
                &loaded.snapshot,
                cx,
                registry::ALL,
            )),
            rotation: rotation
                .then(|| {
                    meshcert_checks::rotation::assess(&loaded.snapshot, &cx.scope, cx.at, None).ok()
                })
                .flatten(),
            source: Some(loaded.source),
        },
        Err(e) => ClusterOutcome {
            context,
            source: None,
            outcome: Err(format!("{e:#}")),
            rotation: None,
        },
    };
    if !request.is_live() {
        return Ok(Run::one(
            check(None, Ok(request.load_offline()?)),
            cx.fail_on,
        ));
    }
    let clusters = match read_live(request)? {
        Live::One(context, loaded) => {
            return Ok(Run::one(check(Some(context), Ok(*loaded)), cx.fail_on));
        }
        Live::Many(clusters) => clusters,
    };
    Ok(Run {
        clusters: clusters
            .into_iter()
            .map(|(ctx, loaded)| check(Some(ctx), loaded))
            .collect(),
        per_cluster: true,
        fail_on: cx.fail_on,
    })
}
