//! `-o json`: one JSON document per run, linkerd's shape plus ids, details and skip reasons.

use meshcert_checks::report::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a Report always serialises");
    s.push('\n');
    s
}
