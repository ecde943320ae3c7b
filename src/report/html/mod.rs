//! `-o html`: one self-contained page (inline CSS and SVG, no script, nothing fetched) from the
//! same run as every other format: a header with the source, the evaluation instant, the verdict
//! and the exit code it implies; for several clusters a summary table, then a section per
//! cluster; in each, the certificate timeline, the rotation stage when a rotation is under way,
//! and every category with its checks (√/‼/×/– with the status in words, the error, the hint, the
//! details as tables). Everything that comes from input is HTML-escaped.

mod links;
mod timeline;

use std::fmt::Write as _;

use meshcert_checks::cert::format_time;
use meshcert_checks::details::Details;
use meshcert_checks::report::{CheckResult, Report, Status};
use meshcert_checks::rotation::{Rotation, Stage};

use super::run::{ClusterOutcome, Run};

use super::escape_markup as esc;

const CSS: &str = r#"
:root { --ok: #1a7f37; --warn: #9a6700; --err: #cf222e; --skip: #6e7781; --line: #d0d7de; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328; margin: 0; padding: 24px 32px; max-width: 1280px; }
h1 { font-size: 24px; margin: 0 0 8px; } h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
header.run { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; background: var(--bg-soft); }
header.run dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0 0; }
header.run dt { color: #59636e; } header.run dd { margin: 0; }
.verdict { font-weight: 600; font-size: 18px; }
.success { color: var(--ok); } .warning { color: var(--warn); } .error { color: var(--err); } .skipped { color: var(--skip); }
.mark { display: inline-block; width: 1.3em; font-weight: 700; }
.state { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; border: 1px solid currentColor; border-radius: 4px; padding: 0 4px; margin-right: 6px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
ul.checks { list-style: none; padding: 0; margin: 0; }
ul.checks > li { padding: 6px 0; border-bottom: 1px solid #eaeef2; }
.desc { font-weight: 500; }
pre.error { white-space: pre-wrap; background: #fff5f5; border-left: 3px solid var(--err); padding: 6px 10px; margin: 6px 0; font-size: 13px; }
li.warning pre.error { background: #fff8e6; border-left-color: var(--warn); }
.reason, .hint, .muted { color: #59636e; font-size: 13px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details { margin: 4px 0 0 1.3em; } summary { cursor: pointer; color: #59636e; font-size: 13px; }
.rotation { border: 1px solid var(--line); border-left: 4px solid var(--warn); border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
.rotation.dangerous { border-left-color: var(--err); }
.rotation pre { background: var(--bg-soft); padding: 6px 10px; margin: 4px 0 8px; white-space: pre-wrap; }
svg.timeline { max-width: 100%; height: auto; font-size: 11px; }
svg.timeline .grid { stroke: #e6e9ed; }
svg.timeline .tick { fill: #59636e; }
svg.timeline .label { fill: #1f2328; font-size: 12px; } svg.timeline .role { font-weight: 600; }
svg.timeline .object { fill: #6e7781; font-size: 10px; }
svg.timeline .bar.success { fill: #4ac26b; } svg.timeline .bar.warning { fill: #d4a72c; }
svg.timeline .bar.error { fill: #e5534b; } svg.timeline .bar.skipped { fill: #afb8c1; }
svg.timeline .margin { fill: url(#margin-hatch); opacity: .75; }
svg.timeline .now { stroke: #0969da; stroke-width: 2; stroke-dasharray: 4 3; }
svg.timeline .loaded-issuer { stroke-width: 3; }
svg.timeline .loaded-issuer.current { stroke: #1f6feb; }
svg.timeline .loaded-issuer.stale { stroke: #cf222e; }
table.links td.link { text-align: center; font-weight: bold; }
table.links td.ok { color: #1a7f37; } table.links td.error { color: #cf222e; } table.links td.unknown { color: #59636e; }
svg.timeline .anchor-renewal { stroke: #8250df; stroke-width: 3; stroke-dasharray: 3 2; }
svg.timeline .expiry { font-size: 12px; } svg.timeline .expiry.success { fill: #1f2328; }
svg.timeline .expiry.warning { fill: var(--warn); } svg.timeline .expiry.error { fill: var(--err); }
.legend span { margin-right: 14px; font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
"#;

fn mark(status: Status) -> &'static str {
    match status {
        Status::Success => "√",
        Status::Warning => "‼",
        Status::Error => "×",
        Status::Skipped => "–",
    }
}

/// `√ success` as the page prints a result: the glyph for the eye, the word for everyone.
fn status_html(status: Status) -> String {
    format!(
        "<span class=\"mark {s}\" aria-hidden=\"true\">{}</span><span class=\"state {s}\">{s}</span>",
        mark(status),
        s = status.as_str()
    )
}

/// Writes the page of a run.
pub fn write(run: &Run, out: &mut impl std::io::Write) -> std::io::Result<()> {
    out.write_all(page(run).as_bytes())
}

fn page(run: &Run) -> String {
    let code = run.exit_status() as u8;
    let passed = run.succeeded();
    let verdict = if passed {
        Status::Success
    } else {
        Status::Error
    };
    let subject = if run.per_cluster {
        format!("{} clusters", run.clusters.len())
    } else {
        run.clusters
            .first()
            .and_then(|c| c.source.clone().or_else(|| c.context.clone()))
            .unwrap_or_default()
    };
    let at = run
        .reports()
        .next()
        .map(|(_, r)| format_time(r.evaluated_at))
        .unwrap_or_else(|| "— (nothing could be read)".to_string());
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"meshcert {}\">\n<title>meshcert report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&subject)
    );
    let _ = write!(
        out,
        "<header class=\"run\" data-verdict=\"{}\" data-exit-code=\"{code}\">\n<h1>meshcert report</h1>\n<div class=\"verdict {}\">{} Status check results are {}</div>\n<dl>\n<dt>{}</dt><dd>{}</dd>\n<dt>evaluated at</dt><dd><time>{}</time></dd>\n<dt>exit code</dt><dd><code>{code}</code> ({})</dd>\n</dl>\n</header>\n",
        if passed { "pass" } else { "fail" },
        verdict.as_str(),
        status_html(verdict),
        mark(verdict),
        if run.per_cluster {
            "clusters"
        } else {
            "source"
        },
        esc(&subject),
        esc(&at),
        match code {
            0 => "nothing failed",
            1 => "a check failed",
            _ => "a cluster could not be read",
        }
    );
    if run.per_cluster {
        summary(&mut out, run);
        links::matrix(&mut out, run);
    }
    for (i, cluster) in run.clusters.iter().enumerate() {
        section(&mut out, run, cluster, i);
    }
    out.push_str("<footer class=\"muted\"><p>Written by meshcert. Hint links lead to linkerd.io; nothing else on this page is fetched.</p></footer>\n</body>\n</html>\n");
    out
}

fn counts(report: &Report) -> (usize, usize) {
    let count = |s: Status| report.results().filter(|r| r.result == s).count();
    (count(Status::Error), count(Status::Warning))
}

/// The summary table of a several-cluster run.
fn summary(out: &mut String, run: &Run) {
    out.push_str("<h2>Clusters</h2>\n<table class=\"summary\">\n<thead><tr><th>cluster</th><th>result</th><th>errors</th><th>warnings</th><th>first expiry</th></tr></thead>\n<tbody>\n");
    for (i, c) in run.clusters.iter().enumerate() {
        let name = esc(c.label());
        match &c.outcome {
            Ok(report) => {
                let (errors, warnings) = counts(report);
                let status = if c.succeeded() {
                    Status::Success
                } else {
                    Status::Error
                };
                let rows = timeline::rows(report);
                let first = rows
                    .iter()
                    .min_by_key(|r| r.detail.facts.not_after)
                    .map(|r| {
                        format!(
                            "{} {} ({})",
                            r.role_label(),
                            esc(&r.detail.facts.common_name),
                            timeline::left(report.evaluated_at, r.detail.facts.not_after)
                        )
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "<tr><td><a href=\"#cluster-{i}\">{name}</a></td><td>{}</td><td>{errors}</td><td>{warnings}</td><td>{first}</td></tr>",
                    status_html(status)
                );
            }
            Err(why) => {
                let _ = writeln!(
                    out,
                    "<tr><td><a href=\"#cluster-{i}\">{name}</a></td><td>{}</td><td colspan=\"3\">could not be read: {}</td></tr>",
                    status_html(Status::Error),
                    esc(why)
                );
            }
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

/// One cluster (or the files): its timeline, rotation and checks.
fn section(out: &mut String, run: &Run, cluster: &ClusterOutcome, i: usize) {
    let _ = writeln!(out, "<section class=\"cluster\" id=\"cluster-{i}\">");
    if run.per_cluster {
        let _ = writeln!(out, "<h2>cluster {}</h2>", esc(cluster.label()));
        if let Some(source) = &cluster.source {
            let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(source));
        }
    }
    match &cluster.outcome {
        Err(why) => {
            let _ = writeln!(
                out,
                "<p class=\"error\">{} could not be read: {}</p>",
                status_html(Status::Error),
                esc(why)
            );
        }
        Ok(report) => {
            out.push_str("<h2>Certificate timeline</h2>\n");
            out.push_str("<p class=\"legend\"><span><span class=\"swatch\" style=\"background:#4ac26b\"></span>valid</span><span><span class=\"swatch\" style=\"background:#d4a72c\"></span>inside its expiry margin</span><span><span class=\"swatch\" style=\"background:#e5534b\"></span>expired, not yet valid, or failing a check</span><span><span class=\"swatch\" style=\"background:repeating-linear-gradient(45deg,#fff4d6 0 3px,#d4a72c 3px 5px)\"></span>expiry margin</span><span><span class=\"swatch\" style=\"background:#cf222e;width:3px\"></span>where the issuer an identity pod has loaded expires, when it is not the stored one (blue when it is)</span><span><span class=\"swatch\" style=\"background:#8250df;width:3px\"></span>when cert-manager renews a trust anchor unattended</span><span>dashed line: the evaluation instant. The axis is logarithmic in the distance from it.</span></p>\n");
            let rows = timeline::rows(report);
            let loaded = timeline::loaded_issuers(report);
            let renewals = timeline::renewals(report);
            out.push_str(&timeline::svg(
                &rows,
                &loaded,
                &renewals,
                &report.margins,
                report.evaluated_at,
            ));
            if let Some(r) = &cluster.rotation
                && r.stage != Stage::Before
            {
                rotation(out, r);
            }
            checks(out, report);
        }
    }
    out.push_str("</section>\n");
}

/// The rotation stage and what to do next, as `meshcert rotation` says it.
fn rotation(out: &mut String, r: &Rotation) {
    let step = r
        .procedure_step
        .map(|s| format!(" (next: step {s} of 6)"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<div class=\"rotation{}\" data-stage=\"{}\"><h2>Trust-anchor rotation: {}{step}</h2>\n<p><strong>{}</strong></p>\n<p>{}</p>",
        if r.dangerous { " dangerous" } else { "" },
        r.stage.as_str(),
        r.stage.as_str(),
        esc(r.title),
        esc(&r.summary)
    );
    if !r.next_steps.is_empty() {
        out.push_str("<h3>next steps</h3>\n");
        for s in &r.next_steps {
            let _ = writeln!(out, "<p>{}</p>", esc(&s.description));
            if !s.commands.is_empty() {
                let _ = writeln!(out, "<pre>{}</pre>", esc(&s.commands.join("\n")));
            }
        }
    }
    if !r.refused.is_empty() {
        out.push_str("<h3>refused</h3>\n<ul>\n");
        for f in &r.refused {
            let _ = writeln!(out, "<li>× {}: {}</li>", esc(&f.step), esc(&f.reason));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</div>\n");
}

fn checks(out: &mut String, report: &Report) {
    for category in &report.categories {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<ul class=\"checks\">",
            esc(category.name)
        );
        for check in &category.checks {
            check_item(out, check);
        }
        out.push_str("</ul>\n");
    }
}

fn check_item(out: &mut String, check: &CheckResult) {
    let _ = writeln!(
        out,
        "<li class=\"check {}\" id=\"{}\">{}<span class=\"desc\">{}</span>",
        check.result.as_str(),
        esc(check.id),
        status_html(check.result),
        esc(&check.description)
    );
    if let Some(error) = &check.error {
        let _ = writeln!(out, "<pre class=\"error\">{}</pre>", esc(error));
    }
    if let Some(reason) = &check.reason {
        let _ = writeln!(out, "<div class=\"reason\">skipped: {}</div>", esc(reason));
    }
    if let Some(hint) = &check.hint {
        if hint.starts_with("https://") {
            let _ = writeln!(
                out,
                "<div class=\"hint\">see <a href=\"{h}\">{h}</a> for hints</div>",
                h = esc(hint)
            );
        } else {
            let _ = writeln!(
                out,
                "<div class=\"hint\">see <code>{}</code> for hints</div>",
                esc(hint.trim_matches('`'))
            );
        }
    }
    if !check.details.is_empty() {
        out.push_str("<details><summary>details</summary>\n");
        details(out, &check.details);
        out.push_str("</details>\n");
    }
    out.push_str("</li>\n");
}

fn table(out: &mut String, head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn details(out: &mut String, d: &Details) {
    if !d.certificates.is_empty() {
        table(
            out,
            &[
                "role",
                "subject",
                "DNS names",
                "serial",
                "not before",
                "not after",
                "key",
                "signature",
                "read from",
                "problem",
            ],
            d.certificates.iter().map(|c| {
                vec![
                    c.role.as_str().to_string(),
                    c.facts.subject.clone(),
                    c.facts.dns_names.join(", "),
                    c.facts.serial.clone(),
                    format_time(c.facts.not_before),
                    format_time(c.facts.not_after),
                    c.facts.key_algorithm.clone(),
                    c.facts.signature_algorithm.clone(),
                    c.source.clone(),
                    // meshcert's note (a superseded anchor) after linkerd's problem.
                    match (&c.problem, &c.note) {
                        (Some(p), Some(n)) => format!("{p} (meshcert: {n})"),
                        (p, _) => p.clone().unwrap_or_default(),
                    },
                ]
            }),
        );
    }
    if let Some(k) = &d.issuer_key {
        table(
            out,
            &["issuer key", "algorithm", "matches the certificate"],
            [vec![
                k.source.clone(),
                k.algorithm.clone(),
                if k.matches_certificate { "yes" } else { "no" }.to_string(),
            ]],
        );
    }
    if let Some(dp) = &d.data_plane {
        table(
            out,
            &[
                "pods compared",
                "stale",
                "unreadable",
                "control plane (not compared)",
                "valueFrom (not compared)",
            ],
            [vec![
                dp.checked_pods.to_string(),
                dp.stale_pods.len().to_string(),
                dp.unreadable_pods.len().to_string(),
                dp.skipped_control_plane_pods.to_string(),
                dp.not_comparable_pods.to_string(),
            ]],
        );
        if !dp.stale_pods.is_empty() {
            table(
                out,
                &["stale pod", "workload"],
                dp.stale_pods
                    .iter()
                    .map(|p| vec![format!("{}/{}", p.namespace, p.name), p.workload.clone()]),
            );
        }
        if !dp.workloads.is_empty() {
            table(
                out,
                &["restart", "pods"],
                dp.workloads.iter().map(|w| {
                    let how = w.command.clone().unwrap_or_else(|| {
                        format!(
                            "recreate {}/{} from its manifest (no controller restarts it)",
                            w.namespace, w.name
                        )
                    });
                    vec![how, w.pods.to_string()]
                }),
            );
        }
        if !dp.unreadable_pods.is_empty() {
            table(
                out,
                &["pod", "why its bundle cannot be read"],
                dp.unreadable_pods
                    .iter()
                    .map(|p| vec![format!("{}/{}", p.namespace, p.name), p.reason.clone()]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            esc(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&apos;"
        );
    }
}
