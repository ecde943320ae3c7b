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

/// The one cluster, which could not be read: why.
#[derive(Serialize)]
struct Unreadable<'a> {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
    error: &'a str,
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
        return clusters(run);
    }
    let mut s = match run.clusters.first() {
        Some(c) => match &c.outcome {
            Ok(report) => serde_json::to_string_pretty(&Single::of(report, c.source.as_deref())),
            // Why the cluster could not be read, for a pipeline that reads only the JSON.
            Err(why) => serde_json::to_string_pretty(&Unreadable {
                success: false,
                context: c.context.as_deref(),
                error: why,
            }),
        },
        None => serde_json::to_string_pretty(&serde_json::json!({"success": false})),
    }
    .expect("a Report always serialises");
    s.push('\n');
    s
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterJson<'a> {
    context: &'a str,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<&'a [CategoryReport]>,
}

#[derive(Serialize)]
struct ClustersJson<'a> {
    success: bool,
    clusters: Vec<ClusterJson<'a>>,
}

/// Several clusters: one document with a `clusters` array; a cluster that could not be read
/// has its reason.
fn clusters(run: &Run) -> String {
    let doc = ClustersJson {
        success: run.succeeded(),
        clusters: run
            .clusters
            .iter()
            .map(|c| match &c.outcome {
                Ok(r) => ClusterJson {
                    context: c.label(),
                    success: r.success,
                    error: None,
                    evaluated_at: Some(meshcert_checks::cert::format_time(r.evaluated_at)),
                    source: c.source.as_deref(),
                    categories: Some(&r.categories),
                },
                Err(e) => ClusterJson {
                    context: c.label(),
                    success: false,
                    error: Some(e),
                    evaluated_at: None,
                    source: None,
                    categories: None,
                },
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("a report always serialises");
    s.push('\n');
    s
}
