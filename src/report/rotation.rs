//! `meshcert rotation`: the assessment as text or JSON. It renders, and decides nothing.

use comfy_table::{ContentArrangement, Table, presets};
use meshcert_checks::rotation::Rotation;
use meshcert_checks::rotation::fleet::FleetStep;
use owo_colors::OwoColorize as _;
use serde_json::{Value, json};

/// One cluster's assessment, or why it could not be made.
pub struct Assessed {
    /// The kubeconfig context, when several clusters are read.
    pub context: Option<String>,
    pub source: String,
    pub outcome: Result<Rotation, String>,
}

fn heading(out: &mut String, title: &str) {
    out.push_str(title);
    out.push('\n');
    out.push_str(&"-".repeat(title.chars().count()));
    out.push('\n');
}

fn anchors_table(r: &Rotation) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "ROLE",
            "COMMON NAME",
            "SHA-256",
            "NOT AFTER",
            "IN BUNDLE",
            "SIGNED ISSUER",
            "PROXIES",
        ]);
    let yes = |b: bool| if b { "yes" } else { "no" };
    for a in &r.anchors {
        t.add_row([
            a.role,
            &a.common_name,
            &format!("{}…", &a.sha256_fingerprint[..16]),
            &a.not_after,
            yes(a.in_bundle),
            yes(a.signed_issuer),
            &a.trusted_by_proxies.to_string(),
        ]);
    }
    for column in t.column_iter_mut() {
        column.set_padding((0, 2));
    }
    t.trim_fmt().lines().map(|l| format!("  {l}\n")).collect()
}

fn render_one(out: &mut String, source: &str, r: &Rotation, color: bool) {
    heading(out, "trust-anchor rotation");
    out.push_str(&format!("source: {source}\n\n"));
    let stage = match r.procedure_step {
        Some(step) => format!("stage: {} (next: step {step} of 6)", r.stage.as_str()),
        None => format!("stage: {}", r.stage.as_str()),
    };
    let stage = match (color, r.dangerous) {
        (true, true) => stage.red().bold().to_string(),
        (true, false) => stage.bold().to_string(),
        (false, _) => stage,
    };
    out.push_str(&format!("{stage}\n  {}\n  {}\n\n", r.title, r.summary));
    let basis = if r.new_anchor_ambiguous && color {
        r.new_anchor_basis.yellow().to_string()
    } else {
        r.new_anchor_basis.clone()
    };
    out.push_str(&format!("new anchor: {basis}\n\n"));

    out.push_str(&format!("trust anchors (bundle: {})\n", r.bundle_source));
    out.push_str(&anchors_table(r));
    let i = &r.issuer;
    out.push_str(&format!(
        "\nissuer: {} (sha256 {}…), valid {} to {}\n\n",
        i.common_name,
        &i.sha256_fingerprint[..16],
        i.not_before,
        i.not_after
    ));

    let p = &r.proxies;
    out.push_str(&format!(
        "proxies: {} compared: {} trust the old anchors only, {} the new only, {} both",
        p.compared, p.old_only, p.new_only, p.both
    ));
    for (n, what) in [
        (p.neither, "with an empty bundle"),
        (p.unreadable, "with a bundle that cannot be read"),
        (
            p.not_comparable,
            "reading the bundle through valueFrom (not compared)",
        ),
        (p.control_plane, "in the control plane (not compared)"),
    ] {
        if n > 0 {
            out.push_str(&format!("; {n} {what}"));
        }
    }
    out.push_str("\n\n");

    if !r.next_steps.is_empty() {
        out.push_str("next steps\n");
        for s in &r.next_steps {
            out.push_str(&format!("  {}\n", s.description));
            for c in &s.commands {
                out.push_str(&format!("    {c}\n"));
            }
        }
        out.push('\n');
    }
    if !r.refused.is_empty() {
        out.push_str("refused\n");
        for f in &r.refused {
            let mark = if color {
                "×".red().to_string()
            } else {
                "×".to_string()
            };
            out.push_str(&format!("  {mark} {}: {}\n", f.step, f.reason));
        }
        out.push('\n');
    }
}

/// The text report of one or more clusters.
pub fn table(assessed: &[Assessed], fleet: &[FleetStep], color: bool) -> String {
    let mut out = String::new();
    for (i, a) in assessed.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(ctx) = &a.context {
            out.push_str(&format!("=== cluster {ctx} ===\n\n"));
        }
        match &a.outcome {
            Ok(r) => render_one(&mut out, &a.source, r, color),
            Err(why) => out.push_str(&format!(
                "cannot assess the rotation of {}: {why}\n",
                a.source
            )),
        }
    }
    if !fleet.is_empty() {
        out.push('\n');
        heading(&mut out, "linked clusters: the rotation across the fleet");
        for f in fleet {
            let step = f
                .next_step
                .map_or("no step".to_string(), |s| format!("step {s}"));
            let linked = if f.linked.is_empty() {
                "linked with none".to_string()
            } else {
                format!("linked with {}", f.linked.join(", "))
            };
            match &f.hold {
                Some(why) => {
                    let line = format!("  {}: hold {step} ({linked}): {why}\n", f.cluster);
                    out.push_str(&if color { line.red().to_string() } else { line });
                }
                None => out.push_str(&format!(
                    "  {}: {step} may go ahead ({linked}){}\n",
                    f.cluster,
                    f.note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                )),
            }
        }
    }
    out
}

fn one_json(a: &Assessed) -> Value {
    let mut v = match &a.outcome {
        Ok(r) => serde_json::to_value(r).expect("plain data serialises"),
        Err(why) => json!({ "error": why }),
    };
    v["source"] = json!(a.source);
    if let Some(ctx) = &a.context {
        v["context"] = json!(ctx);
    }
    v
}

/// One document: the assessment, or `{"clusters": [...]}` when several clusters were read.
pub fn json(assessed: &[Assessed], fleet: &[FleetStep]) -> String {
    let doc = match assessed {
        [one] if one.context.is_none() => one_json(one),
        many if fleet.is_empty() => {
            json!({ "clusters": many.iter().map(one_json).collect::<Vec<_>>() })
        }
        many => json!({
            "clusters": many.iter().map(one_json).collect::<Vec<_>>(),
            "fleet": fleet,
        }),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain JSON values serialise");
    s.push('\n');
    s
}
