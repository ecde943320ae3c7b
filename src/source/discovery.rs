//! Which files an offline run reads: the paths given, directories walked recursively for
//! `*.yaml`, `*.yml` and `*.json` (a symlink loop is walked once), `-` for stdin.

use anyhow::{Context as _, bail};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One input: a file, or stdin.
pub(crate) struct InputFile {
    pub(crate) name: String,
    pub(crate) path: Option<PathBuf>,
}

pub(crate) fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Expands the `--from` paths into files, directories recursively and in name order.
pub(crate) fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<InputFile>> {
    let mut inputs = Vec::new();
    let mut seen_dirs = HashSet::new();
    let mut stdin_used = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_used {
                bail!("--from - (stdin) can be given only once");
            }
            stdin_used = true;
            inputs.push(InputFile {
                name: "<stdin>".into(),
                path: None,
            });
            continue;
        }
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut seen_dirs, &mut inputs)?;
        } else {
            inputs.push(InputFile {
                name: path.display().to_string(),
                path: Some(path.clone()),
            });
        }
    }
    Ok(inputs)
}

pub(crate) fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<InputFile>,
) -> anyhow::Result<()> {
    let real = std::fs::canonicalize(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    if !seen.insert(real) {
        return Ok(()); // a directory reached twice (a symlink loop): read it once
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    entries.sort();
    for path in entries {
        let meta =
            std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            walk(&path, seen, out)?;
        } else if is_manifest(&path) {
            out.push(InputFile {
                name: path.display().to_string(),
                path: Some(path),
            });
        }
    }
    Ok(())
}
