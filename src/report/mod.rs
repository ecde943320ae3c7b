//! Reporters: they render a run and decide nothing. Every `check` reporter takes the one
//! envelope, [`run::Run`], and writes to an `impl Write`.

pub mod html;
pub mod json;
pub mod junit;
pub mod list;
pub mod prometheus;
pub mod rotation;
pub mod run;
pub mod table;

use std::io::Write;

use run::Run;

/// The report formats of `meshcert check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Short,
    Json,
    Junit,
    Prometheus,
    Html,
}

/// Text as XML or HTML character data or attribute value: the five characters that can open
/// markup or end an attribute are escaped, and control characters XML 1.0 cannot carry become
/// U+FFFD.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes `run` in `format` (colour only for the table formats, when asked).
pub fn write(run: &Run, format: Format, color: bool, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        Format::Table => table::write(run, false, color, out),
        Format::Short => table::write(run, true, color, out),
        Format::Json => json::write(run, out),
        Format::Junit => junit::write(run, out),
        Format::Prometheus => prometheus::write(run, out),
        Format::Html => html::write(run, out),
    }
}
