//! `-o json`: one JSON document per run, linkerd's shape plus ids, details and skip reasons; a
//! `clusters` array when several clusters are checked.

use meshcert_checks::report::{CategoryReport, Report};
use std::io::Write;

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

/// Writes the run's document, pretty-printed, and a newline.
pub fn write(run: &Run, out: &mut impl Write) -> std::io::Result<()> {
    if run.per_cluster {
        serde_json::to_writer_pretty(&mut *out, &clusters(run))?;
    } else {
        match run.clusters.first() {
            Some(c) => match &c.outcome {
                Ok(report) => serde_json::to_writer_pretty(
                    &mut *out,
                    &Single::of(report, c.source.as_deref()),
                )?,
                // Why the cluster could not be read, for a pipeline that reads only the JSON.
                Err(why) => serde_json::to_writer_pretty(
                    &mut *out,
                    &Unreadable {
                        success: false,
                        context: c.context.as_deref(),
                        error: why,
                    },
                )?,
            },
            None => {
                serde_json::to_writer_pretty(&mut *out, &serde_json::json!({"success": false}))?
            }
        }
    }
    out.write_all(b"\n")
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
fn clusters(run: &Run) -> ClustersJson<'_> {
    ClustersJson {
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
    }
}
