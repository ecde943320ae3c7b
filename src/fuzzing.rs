//! Entry points for the fuzz targets (`fuzz/`) and their regression tests: each takes arbitrary
//! bytes and must return without panicking, whatever they are.

use meshcert_checks::check::{Context, FailOn};
use meshcert_checks::registry;

use crate::source::manifests::{Limits, read_bytes};

/// Small limits, so that a fuzz input cannot make a run long.
fn limits() -> Limits {
    Limits {
        max_input_bytes: 1 << 20,
        max_objects: 10_000,
    }
}

/// Manifest parsing: the bytes as a YAML stream and as JSON.
pub fn manifests(data: &[u8]) {
    for name in ["input.yaml", "input.json"] {
        let _ = read_bytes(name, data, "linkerd", limits());
    }
}

/// The whole `--from` pipeline on one file: parse, run every check, render every format.
pub fn pipeline(data: &[u8]) {
    let at = chrono::DateTime::from_timestamp(1_795_348_800, 0).unwrap_or_default();
    for name in ["input.yaml", "input.json"] {
        let Ok(loaded) = read_bytes(name, data, "linkerd", limits()) else {
            continue;
        };
        let cx = Context::new(at);
        let report = meshcert_checks::report::run(&loaded.snapshot, &cx, registry::ALL);
        let cluster = crate::report::run::ClusterOutcome {
            context: None,
            source: Some(loaded.source),
            outcome: Ok(report),
            rotation: None,
        };
        let run = crate::report::run::Run::one(cluster, FailOn::Warning);
        use crate::report::Format::*;
        for (format, color) in [
            (Table, false),
            (Short, true),
            (Json, false),
            (Junit, false),
            (Html, false),
        ] {
            let _ = crate::report::write(&run, format, color, &mut std::io::sink());
        }
        let _ = crate::report::write(&run, Prometheus, false, &mut std::io::sink());
    }
}
