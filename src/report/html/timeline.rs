//! The certificate timeline: one row per certificate a report names, drawn as inline SVG on a
//! shared time axis centred on the evaluation instant.
//!
//! The axis is a signed logarithm of the time from the evaluation instant (in hours):
//! `x = sign(d) · ln(1 + |d| / 1 h)`. A 48-hour cert-manager issuer then spans a readable stretch
//! (its whole life is within ±2 days of now, where the scale is widest), a 10-year trust anchor
//! still fits, and "now" sits at a fixed point, so what expires first is what ends nearest to the
//! marker. The ticks say how far from now each gridline is (−1y … now … +10y).

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};
use meshcert_checks::details::{CertDetail, CertRole, LoadedIssuer, RenewalDetail};
use meshcert_checks::margin::{MarginRole, Margins};
use meshcert_checks::report::{Report, Status};

use super::super::escape_markup as esc;

/// One certificate on the timeline, however many checks and places name it.
pub struct Row<'a> {
    /// What it is to the mesh, the role it is filed under first (trust anchor, issuer, webhooks):
    /// a webhook's self-signed serving certificate is also its caBundle.
    pub roles: Vec<CertRole>,
    /// Where it was read, each place once, in the order the report names them.
    pub sources: Vec<&'a str>,
    /// Its facts (the first detail that names it).
    pub detail: &'a CertDetail,
    /// The worst result of the checks that found a problem with it.
    pub flagged: Option<Status>,
}

impl Row<'_> {
    /// The role it is filed under.
    pub fn role(&self) -> CertRole {
        self.roles[0]
    }

    /// `serving + ca-bundle`.
    pub fn role_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// The role a row is filed under: an anchor is a trust anchor whether or not it signed the issuer.
fn row_role(role: CertRole) -> CertRole {
    match role {
        CertRole::SigningTrustAnchor => CertRole::TrustAnchor,
        other => other,
    }
}

fn margin_role(role: CertRole) -> MarginRole {
    match role {
        CertRole::TrustAnchor | CertRole::SigningTrustAnchor => MarginRole::TrustAnchors,
        CertRole::Issuer | CertRole::IssuerChain => MarginRole::Issuer,
        CertRole::Serving | CertRole::ServingChain | CertRole::CaBundle => MarginRole::Webhooks,
    }
}

/// Every certificate the report names, one row per certificate (by SHA-256 fingerprint) with
/// all its roles and places; trust anchors first, then the issuer, then the webhooks'.
pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for check in report.results() {
        for d in &check.details.certificates {
            let role = row_role(d.role);
            let flag = d.problem.is_some().then_some(check.result);
            let fingerprint = &d.facts.sha256_fingerprint;
            match rows
                .iter_mut()
                .find(|r| &r.detail.facts.sha256_fingerprint == fingerprint)
            {
                Some(r) => {
                    r.flagged = r.flagged.max(flag);
                    if !r.roles.contains(&role) {
                        r.roles.push(role);
                        r.roles.sort();
                    }
                    if !r.sources.contains(&d.source.as_str()) {
                        r.sources.push(&d.source);
                    }
                }
                None => rows.push(Row {
                    roles: vec![role],
                    sources: vec![&d.source],
                    detail: d,
                    flagged: flag,
                }),
            }
        }
    }
    rows.sort_by(|a, b| {
        (a.role(), a.sources[0], a.detail.facts.not_after).cmp(&(
            b.role(),
            b.sources[0],
            b.detail.facts.not_after,
        ))
    });
    rows
}

/// Where a certificate stands at `at`: outside its validity is an error, inside its margin a
/// warning; a check that flagged it can make it worse.
pub fn status(row: &Row<'_>, margins: &Margins, at: DateTime<Utc>) -> Status {
    let f = &row.detail.facts;
    let margin = margins
        .get(margin_role(row.role()))
        .for_validity(f.not_before, f.not_after);
    let by_time = if at < f.not_before || at >= f.not_after {
        Status::Error
    } else if at >= f.not_after - margin {
        Status::Warning
    } else {
        Status::Success
    };
    by_time.max(row.flagged.unwrap_or(Status::Success))
}

/// `N days left`, `N hours left`, `expired N days ago`.
pub fn left(at: DateTime<Utc>, not_after: DateTime<Utc>) -> String {
    let d = not_after - at;
    let span = |d: TimeDelta| {
        if d.num_days().abs() >= 3 * 365 {
            format!("{} years", d.num_days().abs() / 365)
        } else if d.num_days().abs() >= 2 {
            format!("{} days", d.num_days().abs())
        } else if d.num_hours().abs() >= 2 {
            format!("{} hours", d.num_hours().abs())
        } else {
            format!("{} minutes", d.num_minutes().abs())
        }
    };
    if d > TimeDelta::zero() {
        format!("{} left", span(d))
    } else {
        format!("expired {} ago", span(d))
    }
}

/// The axis position of an instant, in units of ln(hours).
fn axis(at: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    let hours = (t - at).num_seconds() as f64 / 3600.0;
    hours.signum() * hours.abs().ln_1p()
}

const LABEL_W: f64 = 330.0;
const PLOT_W: f64 = 600.0;
const EXPIRY_W: f64 = 290.0;
const ROW_H: f64 = 30.0;
const TOP: f64 = 34.0;

const TICKS: [(i64, &str); 15] = [
    (-10 * 365 * 24, "−10y"),
    (100 * 365 * 24, "+100y"),
    (30 * 365 * 24, "+30y"),
    (-365 * 24, "−1y"),
    (-30 * 24, "−30d"),
    (-7 * 24, "−7d"),
    (-24, "−1d"),
    (0, "now"),
    (24, "+1d"),
    (7 * 24, "+7d"),
    (30 * 24, "+30d"),
    (90 * 24, "+90d"),
    (365 * 24, "+1y"),
    (5 * 365 * 24, "+5y"),
    (10 * 365 * 24, "+10y"),
];

/// The issuers the identity pods have loaded, as the runtime check found them.
pub fn loaded_issuers(report: &Report) -> Vec<&LoadedIssuer> {
    report
        .results()
        .filter_map(|c| c.details.runtime.as_ref())
        .flat_map(|d| &d.loaded_issuers)
        .collect()
}

/// When cert-manager renews a trust anchor by itself, as the check found it.
pub fn renewals(report: &Report) -> Vec<&RenewalDetail> {
    report
        .results()
        .filter_map(|c| c.details.renewal.as_ref())
        .collect()
}

/// The timeline of `rows` as an inline SVG (with a `<title>` per bar for hover and screen
/// readers). Each issuer an identity pod has loaded is a mark on the issuer's row, where the
/// loaded issuer expires: on the bar's end when it is the stored one, elsewhere when it is not.
/// cert-manager's unattended renewal of an anchor is a mark on that anchor's row.
pub fn svg(
    rows: &[Row<'_>],
    loaded: &[&LoadedIssuer],
    renewals: &[&RenewalDetail],
    margins: &Margins,
    at: DateTime<Utc>,
) -> String {
    if rows.is_empty() {
        return "<p class=\"muted\">No certificate could be read.</p>\n".to_string();
    }
    // The domain: every certificate, now, and at least a day either side.
    let day = TimeDelta::days(1);
    let lo = rows
        .iter()
        .map(|r| r.detail.facts.not_before)
        .min()
        .unwrap_or(at)
        .min(at - day);
    let hi = rows
        .iter()
        .map(|r| r.detail.facts.not_after)
        .max()
        .unwrap_or(at)
        .max(at + day);
    let (a, b) = (axis(at, lo), axis(at, hi));
    let x = |t: DateTime<Utc>| LABEL_W + (axis(at, t) - a) / (b - a) * PLOT_W;
    let height = TOP + ROW_H * rows.len() as f64 + 10.0;
    let width = LABEL_W + PLOT_W + EXPIRY_W;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"timeline\" role=\"img\" aria-label=\"Certificate timeline\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    out.push_str("<defs><pattern id=\"margin-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff4d6\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#d4a72c\" stroke-width=\"2\"/></pattern></defs>\n");
    // "now" first, then each tick that keeps clear of those already placed.
    let mut placed: Vec<f64> = Vec::new();
    let mut ticks = TICKS;
    ticks.sort_by_key(|(hours, _)| (*hours != 0, hours.abs()));
    for (hours, label) in ticks {
        let t = at + TimeDelta::hours(hours);
        let tx = x(t);
        if t < lo || t > hi || placed.iter().any(|p| (p - tx).abs() < 34.0) {
            continue;
        }
        placed.push(tx);
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{}\" x2=\"{tx:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{tx:.1}\" y=\"14\" text-anchor=\"middle\">{label}</text>",
            TOP - 8.0,
            height - 6.0
        );
    }
    for (i, row) in rows.iter().enumerate() {
        row_svg(&mut out, row, i, margins, at, &x);
    }
    if let Some(i) = rows.iter().position(|r| r.role() == CertRole::Issuer) {
        for l in loaded {
            let state = if l.current { "current" } else { "stale" };
            mark(
                &mut out,
                i,
                &l.loaded_not_after,
                &x,
                &format!(
                    "class=\"loaded-issuer {state}\" data-pod=\"{}\"",
                    esc(&l.pod)
                ),
                &format!(
                    "issuer loaded by pod {}/{}: expires {} ({state}; the stored issuer expires {})",
                    esc(&l.namespace),
                    esc(&l.pod),
                    esc(&l.loaded_not_after),
                    esc(&l.stored_not_after),
                ),
            );
        }
    }
    for r in renewals {
        let row = rows.iter().position(|row| {
            r.sha256_fingerprint.as_deref() == Some(row.detail.facts.sha256_fingerprint.as_str())
        });
        let Some(i) = row else { continue };
        mark(
            &mut out,
            i,
            &r.renewal_time,
            &x,
            "class=\"anchor-renewal\"",
            &format!(
                "{} renews this anchor unattended at {} ({})",
                esc(&r.certificate),
                esc(&r.renewal_time),
                esc(&r.basis),
            ),
        );
    }
    let now = x(at);
    let _ = writeln!(
        out,
        "<line class=\"now\" x1=\"{now:.1}\" y1=\"{}\" x2=\"{now:.1}\" y2=\"{:.1}\"><title>evaluated at {}</title></line>",
        TOP - 10.0,
        height - 4.0,
        meshcert_checks::cert::format_time(at)
    );
    out.push_str("</svg>\n");
    out
}

fn row_svg(
    out: &mut String,
    row: &Row<'_>,
    i: usize,
    margins: &Margins,
    at: DateTime<Utc>,
    x: &impl Fn(DateTime<Utc>) -> f64,
) {
    let f = &row.detail.facts;
    let y = TOP + ROW_H * i as f64;
    let status = status(row, margins, at);
    let margin = margins
        .get(margin_role(row.role()))
        .for_validity(f.not_before, f.not_after);
    let (x0, x1) = (x(f.not_before), x(f.not_after));
    let xm = x(f.not_after - margin).max(x0);
    let cn = if f.common_name.is_empty() {
        f.subject.as_str()
    } else {
        f.common_name.as_str()
    };
    let expiry = format!(
        "{} ({})",
        f.not_after.format("%Y-%m-%d %H:%MZ"),
        left(at, f.not_after)
    );
    let _ = writeln!(
        out,
        "<g class=\"cert-row {}\" data-roles=\"{}\" data-fingerprint=\"{}\" data-serial=\"{}\" data-sources=\"{}\">",
        status.as_str(),
        row.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        esc(&f.sha256_fingerprint),
        esc(&f.serial),
        esc(&row.sources.join(" | "))
    );
    // The label column holds about 46 characters a line.
    let place = match row.sources.as_slice() {
        [first, more @ ..] if !more.is_empty() => {
            format!("{} (+{} more)", clip(first, 40), more.len())
        }
        _ => clip(row.sources.first().copied().unwrap_or_default(), 52),
    };
    let role = row.role_label();
    let cn_room = 46usize.saturating_sub(role.chars().count() + 1).max(12);
    let _ = writeln!(
        out,
        "<text class=\"label\" x=\"4\" y=\"{:.1}\"><tspan class=\"role\">{}</tspan> <tspan>{}</tspan></text><text class=\"object\" x=\"4\" y=\"{:.1}\">{}</text>",
        y + 12.0,
        role,
        esc(&clip(cn, cn_room)),
        y + 25.0,
        esc(&place)
    );
    let _ = writeln!(
        out,
        "<rect class=\"bar {}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" rx=\"3\"><title>{} {}: valid {} to {}, {}; {}</title></rect>",
        status.as_str(),
        y + 6.0,
        (x1 - x0).max(1.0),
        row.role_label(),
        esc(cn),
        meshcert_checks::cert::format_time(f.not_before),
        meshcert_checks::cert::format_time(f.not_after),
        left(at, f.not_after),
        esc(&row.sources.join("; "))
    );
    if x1 > xm {
        let _ = writeln!(
            out,
            "<rect class=\"margin\" x=\"{xm:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\"><title>the last {} before expiry: the expiry margin</title></rect>",
            y + 6.0,
            x1 - xm,
            meshcert_checks::margin::Margin::from_delta(margin)
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"expiry {}\" x=\"{:.1}\" y=\"{:.1}\">{}</text>\n</g>",
        status.as_str(),
        LABEL_W + PLOT_W + 10.0,
        y + 18.0,
        esc(&expiry)
    );
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

/// A mark on row `row` at `instant` (RFC 3339; none when it does not parse), kept inside the
/// plot: a short vertical line with `attributes` and a tooltip (`title`, already escaped).
fn mark(
    out: &mut String,
    row: usize,
    instant: &str,
    x: &impl Fn(DateTime<Utc>) -> f64,
    attributes: &str,
    title: &str,
) {
    let Ok(t) = DateTime::parse_from_rfc3339(instant) else {
        return;
    };
    let y = TOP + ROW_H * row as f64;
    let mx = x(t.to_utc()).clamp(LABEL_W, LABEL_W + PLOT_W);
    let _ = writeln!(
        out,
        "<line {attributes} x1=\"{mx:.1}\" y1=\"{:.1}\" x2=\"{mx:.1}\" y2=\"{:.1}\"><title>{title}</title></line>",
        y + 2.0,
        y + 24.0,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_keeps_hours_and_decades_apart_and_now_fixed() {
        let at = DateTime::UNIX_EPOCH + TimeDelta::days(20_000);
        assert_eq!(axis(at, at), 0.0);
        let two_days = axis(at, at + TimeDelta::hours(48));
        let ten_years = axis(at, at + TimeDelta::days(3650));
        // 48 hours take about a third of the width of ten years (linear: 1/1825).
        assert!(two_days / ten_years > 0.3, "{two_days} {ten_years}");
        assert!(axis(at, at - TimeDelta::hours(48)) == -two_days);
        assert!(axis(at, at + TimeDelta::hours(1)) < two_days);
    }

    #[test]
    fn left_says_days_hours_or_expired() {
        let at = DateTime::UNIX_EPOCH + TimeDelta::days(100);
        assert_eq!(left(at, at + TimeDelta::days(40)), "40 days left");
        assert_eq!(left(at, at + TimeDelta::hours(30)), "30 hours left");
        assert_eq!(left(at, at - TimeDelta::days(3)), "expired 3 days ago");
        assert_eq!(left(at, at + TimeDelta::days(3650)), "10 years left");
    }
}
