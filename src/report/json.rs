//! `-o json`: one JSON document per run, linkerd's shape plus ids, details and skip reasons; a
//! `clusters` array when several clusters are checked.

use meshcert_checks::report::{CategoryReport, Report};
use serde::Serialize;

use super::run::Run;

/// One cluster's report with the envelope's `source` label, in the document's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Single<'a> {
    success: bool,
    evaluated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    categories: &'a [CategoryReport],
}

impl<'a> Single<'a> {
    fn of(report: &'a Report, source: Option<&'a str>) -> Self {
        Single {
            success: report.success,
            evaluated_at: meshcert_checks::cert::format_time(report.evaluated_at),
            source,
            categories: &report.categories,
        }
    }
}

pub fn render(run: &Run) -> String {
    if run.per_cluster {
        return super::clusters::json(run);
    }
    let mut s = match run.clusters.first() {
        Some(c) => match &c.outcome {
            Ok(report) => serde_json::to_string_pretty(&Single::of(report, c.source.as_deref())),
            Err(_) => serde_json::to_string_pretty(&serde_json::json!({"success": false})),
        },
        None => serde_json::to_string_pretty(&serde_json::json!({"success": false})),
    }
    .expect("a Report always serialises");
    s.push('\n');
    s
}
