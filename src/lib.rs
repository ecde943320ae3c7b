//! meshcert: audits the mTLS certificates of a Linkerd service mesh.
//!
//! The binary is the I/O shell around `meshcert-checks`: it parses the command line, builds a
//! Snapshot from its sources, runs the registry and hands the report to a reporter.

pub mod cli;
pub mod report;
pub mod snapshot;
pub mod source;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use meshcert_checks::check::{Context, FailOn};
use meshcert_checks::registry;

use cli::{CheckArgs, Cli, ColorChoice, Command, FailOnArg, ListFormat, OutputFormat};

/// meshcert's exit codes: 0 nothing failed, 1 a check failed, 2 meshcert could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
            eprintln!("meshcert: error: {e:#}");
            ExitStatus::Error.into()
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    let status = match cli.command {
        Command::Check(args) => check(&args, &mut out)?,
        Command::Checks { output } => {
            let text = match output {
                ListFormat::Table => report::list::table(registry::ALL),
                ListFormat::Json => report::list::json(registry::ALL),
            };
            out.write_all(text.as_bytes())?;
            ExitStatus::Success
        }
        Command::Snapshot(args) => {
            let request = source::LiveRequest {
                kubeconfig: args.kubeconfig.as_deref(),
                linkerd_namespace: &args.linkerd_namespace,
                data_plane_namespace: args.data_plane_namespace.as_deref(),
                viz_namespace: args.viz_namespace.as_deref(),
                jaeger_namespace: args.jaeger_namespace.as_deref(),
                timeout: args.timeout,
                verbose: args.verbose,
            };
            let snap = runtime()?.block_on(source::load_live(&request, args.context.as_deref()))?;
            let written = snapshot::write(&snap, &args.out)?;
            for what in &written.unreadable {
                eprintln!("meshcert: warning: not in the snapshot (could not be read): {what}");
            }
            eprintln!(
                "meshcert: wrote {} objects and {} meshed pods of {} to {}",
                written.objects,
                written.pods,
                snap.source,
                args.out.display()
            );
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

/// How many clusters are read at once.
const CLUSTERS_AT_ONCE: usize = 4;

fn check(args: &CheckArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let cx = Context {
        at: args.at.unwrap_or_else(chrono::Utc::now),
        min_validity: args.min_validity,
        fail_on: match args.fail_on {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
        },
    };
    let color = color(args.color);
    if !source::is_live(args) {
        return print_single(
            &meshcert_checks::report::run(&source::load(args)?, &cx, registry::ALL),
            args,
            color,
            out,
        );
    }
    let contexts = if args.all_contexts {
        source::live::all_contexts(args.kubeconfig.as_deref())?
    } else {
        args.context.clone()
    };
    let rt = runtime()?;
    let request = &source::LiveRequest::of_check(args);
    if !args.all_contexts && contexts.len() <= 1 {
        let snapshot = rt.block_on(source::load_live(
            request,
            contexts.first().map(String::as_str),
        ))?;
        return print_single(
            &meshcert_checks::report::run(&snapshot, &cx, registry::ALL),
            args,
            color,
            out,
        );
    }
    // Several clusters: concurrently, a few at a time; one that fails does not stop the others.
    let results = rt.block_on(async {
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(CLUSTERS_AT_ONCE));
        let tasks = contexts.iter().map(|ctx| {
            let limit = limit.clone();
            async move {
                let _permit = limit.acquire().await;
                source::load_live(request, Some(ctx)).await
            }
        });
        futures::future::join_all(tasks).await
    });
    let clusters: Vec<report::clusters::Cluster> = contexts
        .iter()
        .zip(results)
        .map(|(ctx, loaded)| report::clusters::Cluster {
            context: ctx.clone(),
            outcome: loaded
                .map(|snap| meshcert_checks::report::run(&snap, &cx, registry::ALL))
                .map_err(|e| format!("{e:#}")),
        })
        .collect();
    let text = match args.output {
        OutputFormat::Table => report::clusters::table(&clusters, false, color),
        OutputFormat::Short => report::clusters::table(&clusters, true, color),
        OutputFormat::Json => report::clusters::json(&clusters),
    };
    out.write_all(text.as_bytes())?;
    let worst = clusters
        .iter()
        .map(|c| match &c.outcome {
            Err(_) => ExitStatus::Error,
            Ok(r) if !r.success => ExitStatus::Failure,
            Ok(_) => ExitStatus::Success,
        })
        .max_by_key(|s| match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
        .unwrap_or(ExitStatus::Success);
    Ok(worst)
}

fn print_single(
    report: &meshcert_checks::report::Report,
    args: &CheckArgs,
    color: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitStatus> {
    let text = match args.output {
        OutputFormat::Table => report::table::render(report, false, color),
        OutputFormat::Short => report::table::render(report, true, color),
        OutputFormat::Json => report::json::render(report),
    };
    out.write_all(text.as_bytes())?;
    Ok(if report.success {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
