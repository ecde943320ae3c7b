//! `-o junit`: JUnit XML that CI systems render. One `testsuite` per category (prefixed by the
//! cluster's context when several are checked), one `testcase` per check (classname = category,
//! name = description). Errors are `failure`s; warnings are `failure`s under `--fail-on warning`
//! and passed test cases with the warning in `system-out` otherwise; skipped checks are `skipped`.
//!
//! Written by hand rather than with `quick-junit`: its `XmlString` passes every text through
//! `strip-ansi-escapes`, which drops tab characters, so linkerd's `\t* ` lists would read
//! differently in this format alone (tried with quick-junit 0.8).

use std::fmt::Write as _;

use meshcert_checks::cert::format_time;
use meshcert_checks::report::{CheckResult, Status};

use super::escape_markup as escape;
use super::run::Run;

fn body(c: &CheckResult) -> String {
    let mut text = c.error.clone().unwrap_or_default();
    if let Some(hint) = &c.hint {
        let _ = write!(text, "\nsee {hint} for hints");
    }
    text
}

fn first_line(c: &CheckResult) -> String {
    c.error
        .as_deref()
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Writes the run's JUnit XML document.
pub fn write(run: &Run, out: &mut impl std::io::Write) -> std::io::Result<()> {
    out.write_all(document(run).as_bytes())
}

/// A cluster that could not be read becomes a failing test case of its own.
fn document(run: &Run) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (ctx, why) in run.unreadable() {
        tests += 1;
        failures += 1;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{0}\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\">\n    <testcase classname=\"{0}\" name=\"cluster can be read\">\n      <failure type=\"error\" message=\"{1}\">{1}</failure>\n    </testcase>\n  </testsuite>",
            escape(ctx),
            escape(why)
        );
    }
    for (cluster, report) in run.reports() {
        for category in &report.categories {
            let name = match cluster {
                Some(ctx) => format!("{ctx}/{}", category.name),
                None => category.name.to_string(),
            };
            let is_failure = |c: &CheckResult| run.fails(c.result);
            let f = category.checks.iter().filter(|c| is_failure(c)).count();
            let s = category
                .checks
                .iter()
                .filter(|c| c.result == Status::Skipped)
                .count();
            tests += category.checks.len();
            failures += f;
            skipped += s;
            let _ = writeln!(
                suites,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\" timestamp=\"{}\">",
                escape(&name),
                category.checks.len(),
                format_time(report.evaluated_at)
            );
            for c in &category.checks {
                let open = format!(
                    "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
                    escape(&name),
                    escape(&c.description),
                    escape(c.id)
                );
                match c.result {
                    Status::Success => {
                        let _ = writeln!(suites, "{open}/>");
                    }
                    Status::Skipped => {
                        let reason = c.reason.as_deref().unwrap_or("");
                        let _ = writeln!(
                            suites,
                            "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                            escape(reason)
                        );
                    }
                    _ if is_failure(c) => {
                        let _ = writeln!(
                            suites,
                            "{open}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                            c.result.as_str(),
                            escape(&first_line(c)),
                            escape(&body(c))
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            suites,
                            "{open}>\n      <system-out>warning: {}</system-out>\n    </testcase>",
                            escape(&body(c))
                        );
                    }
                }
            }
            suites.push_str("  </testsuite>\n");
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"meshcert\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}
