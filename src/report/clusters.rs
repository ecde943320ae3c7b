//! Reports of several clusters (`--context` repeated, `--all-contexts`): the table gives each
//! cluster its own section and ends with a summary line; JSON is one document with a `clusters`
//! array. A cluster that could not be read is reported with the reason.

use std::fmt::Write as _;

use meshcert_checks::report::CategoryReport;
use serde::Serialize;

use super::run::Run;

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

pub fn json(run: &Run) -> String {
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

pub fn table(run: &Run, short: bool, color: bool) -> String {
    let clusters = &run.clusters;
    let mut out = String::new();
    for c in clusters {
        let title = format!("Cluster {}", c.label());
        let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
        match &c.outcome {
            Ok(r) => out.push_str(&super::table::render(r, short, color)),
            Err(e) => {
                let _ = writeln!(out, "× could not be read: {e}");
            }
        }
        out.push('\n');
    }
    let failed: Vec<&str> = clusters
        .iter()
        .filter(|c| !c.succeeded())
        .map(|c| c.label())
        .collect();
    let unreadable = clusters.iter().filter(|c| c.outcome.is_err()).count();
    let _ = write!(
        out,
        "Clusters checked: {}; failed: {}",
        clusters.len(),
        failed.len()
    );
    if !failed.is_empty() {
        let _ = write!(out, " ({})", failed.join(", "));
    }
    if unreadable > 0 {
        let _ = write!(out, "; could not be read: {unreadable}");
    }
    out.push('\n');
    out
}
