//! Reporters: they render a run and decide nothing. Every `check` reporter takes the one
//! envelope, [`run::Run`], and writes to an `impl Write`.

pub mod clusters;
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
}

/// Writes `run` in `format` (colour only for the table formats, when asked).
pub fn write(run: &Run, format: Format, color: bool, out: &mut impl Write) -> std::io::Result<()> {
    let text = match format {
        Format::Table => table::render_run(run, false, color),
        Format::Short => table::render_run(run, true, color),
        Format::Json => json::render(run),
        Format::Junit => junit::render(run),
        Format::Prometheus => prometheus::render(run),
    };
    out.write_all(text.as_bytes())
}
