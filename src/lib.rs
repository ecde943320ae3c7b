//! meshcert: audits the mTLS certificates of a Linkerd service mesh.
//!
//! The binary is the I/O shell around `meshcert-checks`: it parses the command line, builds a
//! Snapshot from its sources, runs the registry and hands the report to a reporter.

pub mod cli;
pub mod exposition;
#[doc(hidden)]
pub mod fuzzing;
pub mod log;
pub mod pipeline;
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
use meshcert_checks::registry;
use pipeline::{Inputs, Plan};
use source::Limits;

use cli::{CheckArgs, Cli, ColorChoice, Command, ListFormat, OutputFormat, RotationArgs};

pub use report::run::ExitStatus;

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
            let request =
                pipeline::request_of(&args.cluster, Inputs::Live(contexts, 1), Limits::default())?;
            let mut reads = pipeline::read(&request)?;
            let (context, loaded) = match reads.pop() {
                Some(read) => (read.context, read.loaded?),
                None => anyhow::bail!("internal error: a snapshot of no cluster"),
            };
            let written = snapshot::write(&loaded, &args.out)?;
            // The cluster's name, for a run over several snapshots (`--from a/ --from b/`),
            // whose Links name their targets.
            if let Some(name) = context {
                let path = args.out.join(source::CLUSTER_NAME_FILE);
                std::fs::write(&path, format!("{name}\n"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            // And its API server, which linked clusters' credentials name.
            if let Some(server) = &loaded.server {
                let path = args.out.join(source::CLUSTER_SERVER_FILE);
                std::fs::write(&path, format!("{server}\n"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
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
            trust_namespace,
            namespace,
        } => {
            let script = meshcert_checks::reads::dump_script(
                &linkerd_namespace,
                &trust_namespace,
                namespace.as_deref(),
            );
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

fn check(args: &CheckArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let plan = Plan::of(&args.audit)?;
    // The HTML page and the metrics carry the rotation stage.
    let shows_rotation =
        |f: OutputFormat| matches!(f, OutputFormat::Html | OutputFormat::Prometheus);
    let rotation = shows_rotation(args.output)
        || args.report.iter().any(|(f, _)| shows_rotation(*f))
        || args.push_gateway.is_some();
    let run = plan.run(None, rotation)?;
    if let Some(why) = run.unreadable_alone() {
        // The one cluster (or the files) could not be read: said on stderr as every error is,
        // and for a cluster with -o json in the document as well, so that a pipeline reading
        // only the JSON sees why (exit 2).
        if plan.request.is_live() && args.output == OutputFormat::Json {
            report::write(&run, report::Format::Json, false, out)?;
            crate::elog!("meshcert: error: {why}");
            return Ok(ExitStatus::Error);
        }
        anyhow::bail!("{why}");
    }
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
            let mut text = Vec::new();
            report::write(&one, report::Format::Prometheus, false, &mut text)?;
            push::push(gateway, cluster, text)?;
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
        Inputs::Live(
            pipeline::contexts_of(&args.contexts),
            args.contexts.parallel.into(),
        )
    } else {
        Inputs::Manifests(&args.from)
    };
    let request = pipeline::request_of(&args.cluster, inputs, Limits::default())?;
    let scope = request.scope.checks_scope();
    let new_anchor = args.new_anchor.as_deref().map(new_anchor_of).transpose()?;
    let per_cluster = request.per_cluster();
    let mut assessed = Vec::new();
    let reads = pipeline::read(&request)?;
    for read in &reads {
        let context = read.context.clone().filter(|_| per_cluster);
        assessed.push(match &read.loaded {
            Ok(loaded) => Assessed {
                context,
                source: loaded.source.clone(),
                outcome: assess(&loaded.snapshot, &scope, at, new_anchor.as_deref()),
            },
            // The one cluster (or the files) could not be read: the run's error.
            Err(e) if !per_cluster => return Err(anyhow::anyhow!("{e:#}")),
            Err(e) => Assessed {
                source: format!("context {}", context.as_deref().unwrap_or_default()),
                context,
                outcome: Err(format!("{e:#}")),
            },
        });
    }
    // Across linked clusters: each one's next step, held where it would break another.
    // One assessment per read, in order.
    let peers: Vec<(
        meshcert_checks::multicluster::Peer<'_>,
        &meshcert_checks::rotation::Rotation,
    )> = reads
        .iter()
        .zip(&assessed)
        .filter_map(|(read, a)| Some((read.peer()?, a.outcome.as_ref().ok()?)))
        .collect();
    let assessed_ok: Vec<_> = peers.iter().map(|(p, r)| (p, *r)).collect();
    let fleet = if per_cluster && assessed_ok.len() > 1 {
        meshcert_checks::rotation::fleet::plan(&assessed_ok)
    } else {
        Vec::new()
    };
    let fleet: Vec<_> = if fleet.iter().any(|f| !f.linked.is_empty()) {
        fleet
    } else {
        Vec::new()
    };
    let text = match args.output {
        ListFormat::Table => report::rotation::table(&assessed, &fleet, color(args.color)),
        ListFormat::Json => report::rotation::json(&assessed, &fleet),
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
