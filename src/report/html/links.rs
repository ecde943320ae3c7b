//! The link matrix of a several-cluster run: a row per cluster, a column per Link target, and a
//! glyph per pair: √ when both sides accept the certificates the other's issuer signs (by the
//! trust roots and by the running proxies), × when one does not, ? when it was not compared.

use std::fmt::Write as _;

use meshcert_checks::report::Report;

use super::esc;
use crate::report::run::Run;

/// (source, target) → (glyph, class, why) for every Link of the run's clusters.
fn cells(run: &Run) -> Vec<(String, String, &'static str, &'static str, String)> {
    let mut out = Vec::new();
    for c in &run.clusters {
        let Ok(report) = &c.outcome else { continue };
        let source = c.label().to_string();
        let mut verdicts: Vec<(String, Option<bool>, String)> = Vec::new();
        for r in link_results(report) {
            for l in &r.details.links {
                let note = l.reason.clone().unwrap_or_else(|| r.description.clone());
                match verdicts.iter_mut().find(|(t, _, _)| *t == l.target) {
                    Some((_, trusted, why)) => {
                        *trusted = match (*trusted, l.trusted) {
                            (Some(false), _) | (_, Some(false)) => Some(false),
                            (Some(true), Some(true)) => Some(true),
                            _ => None,
                        };
                        if l.trusted != Some(true) {
                            *why = note;
                        }
                    }
                    None => verdicts.push((l.target.clone(), l.trusted, note)),
                }
            }
        }
        for (target, trusted, why) in verdicts {
            let (glyph, class) = match trusted {
                Some(true) => ("√", "ok"),
                Some(false) => ("×", "error"),
                None => ("?", "unknown"),
            };
            out.push((source.clone(), target, glyph, class, why));
        }
    }
    out
}

fn link_results(report: &Report) -> impl Iterator<Item = &meshcert_checks::report::CheckResult> {
    report.results().filter(|r| {
        matches!(
            r.id,
            "meshcert-multicluster-issuers-trusted" | "meshcert-multicluster-rotation-safe"
        )
    })
}

/// The matrix, when any cluster of the run has Links.
pub fn matrix(out: &mut String, run: &Run) {
    let cells = cells(run);
    if cells.is_empty() {
        return;
    }
    let mut targets: Vec<&str> = cells.iter().map(|c| c.1.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    out.push_str("<h2>Linked clusters</h2>\n<p class=\"legend\">Each row's Links, by target: √ both sides accept the certificates the other's issuer signs (trust roots and running proxies), × one side does not, ? not compared.</p>\n<table class=\"links\">\n<thead><tr><th>cluster \\ target</th>");
    for t in &targets {
        let _ = write!(out, "<th>{}</th>", esc(t));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut sources: Vec<&str> = cells.iter().map(|c| c.0.as_str()).collect();
    sources.dedup();
    for s in sources {
        let _ = write!(out, "<tr><th>{}</th>", esc(s));
        for t in &targets {
            match cells.iter().find(|c| c.0 == s && c.1 == *t) {
                Some((_, _, glyph, class, why)) => {
                    let _ = write!(
                        out,
                        "<td class=\"link {class}\" data-source=\"{}\" data-target=\"{}\" title=\"{}\">{glyph}</td>",
                        esc(s),
                        esc(t),
                        esc(why)
                    );
                }
                None => out.push_str("<td class=\"link none\"></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}
