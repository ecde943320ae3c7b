//! `-o table` and `-o short`: linkerd's layout. A category line, its dash underline, one line per
//! check (`√`, `‼` or `×` and the description), the error indented under a failed check and
//! `see <hint> for hints`, a blank line, then `Status check results are √` (or `×`).
//!
//! meshcert also shows skipped checks in the table (`-` and the reason), which linkerd hides.
//! The short form shows only warnings and errors. A list in an error (`\t* …` lines) longer than
//! [`LIST_LIMIT`] shows its first entries and a count; `-o json` always has every entry.

use std::fmt::Write as _;

use meshcert_checks::report::{Report, Status};
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

/// `error` with every run of more than `limit` list lines cut to `limit` and a count.
fn summarise_lists(error: &str, limit: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run = 0;
    let mut hidden = 0;
    let flush = |out: &mut Vec<String>, hidden: &mut usize| {
        if *hidden > 0 {
            out.push(format!("\t… and {hidden} more (-o json lists them all)"));
            *hidden = 0;
        }
    };
    for line in error.lines() {
        if line.starts_with("\t* ") {
            run += 1;
            if run > limit {
                hidden += 1;
                continue;
            }
        } else {
            run = 0;
            flush(&mut out, &mut hidden);
        }
        out.push(line.to_string());
    }
    flush(&mut out, &mut hidden);
    out.join("\n")
}

/// `-o table` / `-o short` of a run: the report's layout, or one section per cluster.
pub fn render_run(run: &super::run::Run, short: bool, color: bool) -> String {
    if run.per_cluster {
        return super::clusters::table(run, short, color);
    }
    match run.clusters.first().map(|c| &c.outcome) {
        Some(Ok(report)) => render(report, short, color),
        Some(Err(why)) => format!("× could not be read: {why}\n"),
        None => String::new(),
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
            if let Some(error) = &check.error {
                let _ = writeln!(out, "    {}", summarise_lists(error, LIST_LIMIT));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_with_a_count_and_short_ones_kept() {
        let items: Vec<String> = (1..=23).map(|i| format!("\t* pod-{i}")).collect();
        let error = format!(
            "Some pods:\n{}\nRestart them:\n\t* a\n\t* b",
            items.join("\n")
        );
        let shown = summarise_lists(&error, 20);
        assert!(
            shown.contains(
                "\t* pod-20\n\t… and 3 more (-o json lists them all)\nRestart them:\n\t* a\n\t* b"
            ),
            "{shown}"
        );
        assert!(!shown.contains("pod-21"));
        let short = "x:\n\t* a\n\t* b";
        assert_eq!(summarise_lists(short, 20), short);
        assert_eq!(
            summarise_lists(&format!("x:\n{}", items[..20].join("\n")), 20),
            format!("x:\n{}", items[..20].join("\n"))
        );
    }
}
