//! meshcert: audits the mTLS certificates of a Linkerd service mesh.
//!
//! The binary is the I/O shell around `meshcert-checks`: it parses the command line, builds a
//! Snapshot from its sources, runs the registry and hands the report to a reporter.

pub mod cli;
pub mod report;
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

fn check(args: &CheckArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let at = match &args.at {
        Some(t) => *t,
        None => chrono::Utc::now(),
    };
    let cx = Context {
        at,
        min_validity: args.min_validity,
        fail_on: match args.fail_on {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
        },
    };
    let snapshot = if source::is_live(args) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        runtime.block_on(source::load_live(
            args,
            args.context.first().map(String::as_str),
        ))?
    } else {
        source::load(args)?
    };
    let report = meshcert_checks::report::run(&snapshot, &cx, registry::ALL);
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    let text = match args.output {
        OutputFormat::Table => report::table::render(&report, false, color),
        OutputFormat::Short => report::table::render(&report, true, color),
        OutputFormat::Json => report::json::render(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(if report.success {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
