//! `meshcert checks`: the registry as a table or JSON.

use comfy_table::{ContentArrangement, Table, presets};
use meshcert_checks::check::Check;
use serde_json::json;

pub fn table(checks: &[&dyn Check]) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(["ID", "CATEGORY", "SEVERITY", "DESCRIPTION", "HINT"]);
    for c in checks {
        let m = c.meta();
        t.add_row([
            m.id,
            m.category.id(),
            m.severity.as_str(),
            m.description,
            &m.hint_url(),
        ]);
    }
    for column in t.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut s = t.trim_fmt();
    s.push('\n');
    s
}

pub fn json(checks: &[&dyn Check]) -> String {
    let list: Vec<_> = checks
        .iter()
        .map(|c| {
            let m = c.meta();
            json!({
                "id": m.id,
                "category": m.category.id(),
                "description": m.description,
                "severity": m.severity,
                "fatalInLinkerd": m.fatal,
                "hint": m.hint_url(),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&list).expect("plain JSON values serialise");
    s.push('\n');
    s
}
