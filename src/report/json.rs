//! `-o json`: one JSON document per run, linkerd's shape plus ids, details and skip reasons; a
//! `clusters` array when several clusters are checked.

use super::run::Run;

pub fn render(run: &Run) -> String {
    if run.per_cluster {
        return super::clusters::json(run);
    }
    let mut s = match run.clusters.first().map(|c| &c.outcome) {
        Some(Ok(report)) => serde_json::to_string_pretty(report),
        _ => serde_json::to_string_pretty(&serde_json::json!({"success": false})),
    }
    .expect("a Report always serialises");
    s.push('\n');
    s
}
