//! `-o table` and `-o short`: linkerd's layout. A category line, its dash underline, one line per
//! check (`√`, `‼` or `×` and the description), the error indented under a failed check and
//! `see <hint> for hints`, a blank line, then `Status check results are √` (or `×`).
//!
//! meshcert also shows skipped checks in the table (`-` and the reason), which linkerd hides.
//! The short form shows only warnings and errors. A list of problems in an error longer than
//! [`LIST_LIMIT`] shows its first entries and a count; `-o json` always has every entry.
//! Several clusters (`--context` repeated, `--all-contexts`) get a section each, a cluster that
//! could not be read its reason, and a summary line at the end.

use std::fmt::Write as _;

use meshcert_checks::report::{CheckResult, Report, Status};

use super::run::Run;
use owo_colors::OwoColorize as _;

fn mark(status: Status, color: bool) -> String {
    let (glyph, painted) = match status {
        Status::Success => ("√", "√".green().bold().to_string()),
        Status::Warning => ("‼", "‼".yellow().bold().to_string()),
        Status::Error => ("×", "×".red().bold().to_string()),
        Status::Skipped => ("-", "-".dimmed().to_string()),
    };
    if color { painted } else { glyph.to_string() }
}

/// How many entries of one list a table shows.
pub const LIST_LIMIT: usize = 20;

/// A failed check's error, each list cut after [`LIST_LIMIT`] entries with a count. The lists
/// come from the check's typed problems; the text is linkerd's when nothing is cut.
fn error_text(check: &CheckResult) -> Option<String> {
    match (&check.failure, &check.error) {
        (Some(failure), _) => Some(failure.text_cut(LIST_LIMIT, |n| {
            format!("… and {n} more (-o json lists them all)")
        })),
        (None, error) => error.clone(),
    }
}

/// `-o table` / `-o short` of a run: the report's layout, or one section per cluster.
pub fn write(
    run: &Run,
    short: bool,
    color: bool,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    if run.per_cluster {
        return clusters(run, short, color, out);
    }
    match run.clusters.first().map(|c| &c.outcome) {
        Some(Ok(report)) => out.write_all(render(report, short, color).as_bytes()),
        Some(Err(why)) => writeln!(out, "× could not be read: {why}"),
        None => Ok(()),
    }
}

pub fn render(report: &Report, short: bool, color: bool) -> String {
    let mut out = String::new();
    let mut any_shown = false;
    for category in &report.categories {
        let shown: Vec<_> = category
            .checks
            .iter()
            .filter(|c| !short || matches!(c.result, Status::Warning | Status::Error))
            .collect();
        if shown.is_empty() {
            continue;
        }
        if any_shown {
            out.push('\n');
        }
        any_shown = true;
        let _ = writeln!(
            out,
            "{}\n{}",
            category.name,
            "-".repeat(category.name.len())
        );
        for check in shown {
            let _ = writeln!(out, "{} {}", mark(check.result, color), check.description);
            if let Some(error) = error_text(check) {
                let _ = writeln!(out, "    {error}");
            }
            if let Some(reason) = &check.reason {
                let _ = writeln!(out, "    skipped: {reason}");
            }
            if let Some(hint) = &check.hint {
                let _ = writeln!(out, "    see {hint} for hints");
            }
        }
    }
    if any_shown {
        out.push('\n');
    }
    let verdict = if report.success {
        Status::Success
    } else {
        Status::Error
    };
    let _ = writeln!(out, "Status check results are {}", mark(verdict, color));
    out
}

/// Several clusters: a section each (the reason for one that could not be read) and a
/// summary line.
fn clusters(
    run: &Run,
    short: bool,
    color: bool,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let clusters = &run.clusters;
    for c in clusters {
        let title = format!("Cluster {}", c.label());
        writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()))?;
        match &c.outcome {
            Ok(r) => out.write_all(render(r, short, color).as_bytes())?,
            Err(e) => writeln!(out, "× could not be read: {e}")?,
        }
        writeln!(out)?;
    }
    let failed: Vec<&str> = clusters
        .iter()
        .filter(|c| !c.succeeded())
        .map(|c| c.label())
        .collect();
    let unreadable = clusters.iter().filter(|c| c.outcome.is_err()).count();
    write!(
        out,
        "Clusters checked: {}; failed: {}",
        clusters.len(),
        failed.len()
    )?;
    if !failed.is_empty() {
        write!(out, " ({})", failed.join(", "))?;
    }
    if unreadable > 0 {
        write!(out, "; could not be read: {unreadable}")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshcert_checks::check::{Details, Failure, Problem};

    fn failed(failure: Failure) -> CheckResult {
        CheckResult {
            id: "x",
            description: "x".into(),
            result: Status::Error,
            error: Some(failure.text()),
            failure: Some(failure),
            hint: None,
            reason: None,
            details: Details::default(),
        }
    }

    #[test]
    fn long_lists_are_cut_with_a_count_and_short_ones_kept() {
        let pods = |n: usize| (1..=n).map(|i| Problem::new(format!("pod-{i}"))).collect();
        let long = Failure::titled("Some pods:", pods(23))
            .then("Restart them:", vec![Problem::new("a"), Problem::new("b")]);
        let shown = error_text(&failed(long)).unwrap();
        assert!(
            shown.contains(
                "\t* pod-20\n\t… and 3 more (-o json lists them all)\nRestart them:\n\t* a\n\t* b"
            ),
            "{shown}"
        );
        assert!(!shown.contains("pod-21"));
        let exact = Failure::titled("x:", pods(20));
        assert_eq!(error_text(&failed(exact.clone())), Some(exact.text()));
        // A list line inside a single problem's message is not a list: it is never cut.
        let one = Failure::one(format!("x:\n{}", "\t* y\n".repeat(30)));
        assert_eq!(error_text(&failed(one.clone())), Some(one.text()));
    }
}
