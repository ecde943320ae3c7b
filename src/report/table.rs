//! `-o table` and `-o short`: linkerd's layout. A category line, its dash underline, one line per
//! check (`√`, `‼` or `×` and the description), the error indented under a failed check and
//! `see <hint> for hints`, a blank line, then `Status check results are √` (or `×`).
//!
//! meshcert also shows skipped checks in the table (`-` and the reason), which linkerd hides.
//! The short form shows only warnings and errors.

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
