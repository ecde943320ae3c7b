//! The run's policy: levels, margins and what fails the run, from the command line, `MESHCERT_*`
//! environment variables and the policy file, resolved in one place into the checks' `Context`.
//!
//! Precedence, most specific first: command-line flags (and their `MESHCERT_*` variables, which
//! clap reads), then `MESHCERT_MARGIN_*` and `MESHCERT_LEVELS`, then the policy file, then
//! linkerd's defaults. `--min-validity` sets every role's margin and wins over the per-role ones.
//!
//! ```toml
//! # meshcert.toml
//! fail-on = "warning"                 # error | warning
//! min-validity = "60d"                # every role: 60d, 48h, 90m or 33% of the lifetime
//! skip = ["l5d-tap-injector-webhook-cert-valid"]
//! only = ["linkerd-identity", "linkerd-webhooks-and-apisvc-tls"]
//!
//! [margins]
//! trust-anchors = "90d"
//! issuer = "33%"
//! webhooks = "30d"
//!
//! [levels]
//! l5d-identity-issuer-cert-not-expiring-soon = "error"   # error | warning | off
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Utc};
use meshcert_checks::check::{Context, FailOn, Level, MarginRole, MarginSpec, Margins};
use meshcert_checks::registry;
use serde::Deserialize;

use crate::cli::FailOnArg;

/// The policy file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyFile {
    fail_on: Option<String>,
    min_validity: Option<String>,
    #[serde(default)]
    skip: Vec<String>,
    #[serde(default)]
    only: Vec<String>,
    #[serde(default)]
    margins: MarginsFile,
    #[serde(default)]
    levels: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct MarginsFile {
    trust_anchors: Option<String>,
    issuer: Option<String>,
    webhooks: Option<String>,
}

/// The policy file to read: `--config` (which must exist), else `./meshcert.toml` if present.
fn policy_path(explicit: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    match explicit {
        Some(p) if !p.exists() => bail!("policy file {} does not exist", p.display()),
        Some(p) => Ok(Some(p.to_path_buf())),
        None => Ok(Some(PathBuf::from("meshcert.toml")).filter(|p| p.exists())),
    }
}

pub fn read_policy(explicit: Option<&Path>) -> anyhow::Result<(PolicyFile, String)> {
    let Some(path) = policy_path(explicit)? else {
        return Ok((PolicyFile::default(), String::new()));
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read policy file {name}"))?;
    let policy: PolicyFile = toml::from_str(&text).map_err(|e| policy_error(&name, &text, &e))?;
    Ok((policy, name))
}

/// A policy file's parse error: the file, line and column, and what is wrong, but not the
/// file's lines (toml's own message quotes them), and no quoted value longer than a word.
fn policy_error(name: &str, text: &str, e: &toml::de::Error) -> anyhow::Error {
    let what = crate::source::redact(e.message().trim_end());
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            anyhow!("{name}: line {line}, column {column}: {what}")
        }
        None => anyhow!("{name}: {what}"),
    }
}

/// What the command line (and clap's environment variables) say.
pub struct Flags<'a> {
    pub at: Option<DateTime<Utc>>,
    pub fail_on: Option<FailOnArg>,
    pub min_validity: Option<MarginSpec>,
    pub skip: &'a [String],
    pub only: &'a [String],
    pub config: Option<&'a Path>,
}

fn known_id(id: &str) -> bool {
    registry::find(id).is_some()
}

fn known_category(c: &str) -> bool {
    registry::ALL
        .iter()
        .any(|check| check.meta().category.id() == c)
}

fn parse_margin(value: &str, source: &str) -> anyhow::Result<MarginSpec> {
    value.parse().map_err(|e: String| anyhow!("{source}: {e}"))
}

/// Resolves the run's Context. `env` looks up an environment variable (injected for tests).
pub fn resolve(flags: &Flags<'_>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Context> {
    let (policy, file) = read_policy(flags.config)?;
    let in_file = |key: &str| format!("{file}: {key}");
    let mut cx = Context::new(flags.at.unwrap_or_else(Utc::now));

    cx.fail_on = match (flags.fail_on, policy.fail_on.as_deref()) {
        (Some(FailOnArg::Warning), _) | (None, Some("warning")) => FailOn::Warning,
        (Some(FailOnArg::Error), _) | (None, Some("error")) | (None, None) => FailOn::Error,
        (None, Some(other)) => bail!(
            "{}: invalid value {other:?}: expected error or warning",
            in_file("fail-on")
        ),
    };

    let mut margins = Margins::default();
    // Whether the user chose the issuer's margin (else cert-manager's renewal point may).
    let mut issuer_set = policy.min_validity.is_some() || flags.min_validity.is_some();
    let mut webhooks_set = issuer_set;
    if let Some(m) = &policy.min_validity {
        margins = Margins::all(parse_margin(m, &in_file("min-validity"))?);
    }
    let roles = [
        (
            MarginRole::TrustAnchors,
            "trust-anchors",
            "MESHCERT_MARGIN_TRUST_ANCHORS",
            &policy.margins.trust_anchors,
        ),
        (
            MarginRole::Issuer,
            "issuer",
            "MESHCERT_MARGIN_ISSUER",
            &policy.margins.issuer,
        ),
        (
            MarginRole::Webhooks,
            "webhooks",
            "MESHCERT_MARGIN_WEBHOOKS",
            &policy.margins.webhooks,
        ),
    ];
    for (role, key, var, from_file) in roles {
        if let Some(v) = from_file {
            *margins.get_mut(role) = parse_margin(v, &in_file(&format!("margins.{key}")))?;
            issuer_set |= role == MarginRole::Issuer;
            webhooks_set |= role == MarginRole::Webhooks;
        }
        if let Some(v) = env(var) {
            *margins.get_mut(role) = parse_margin(&v, var)?;
            issuer_set |= role == MarginRole::Issuer;
            webhooks_set |= role == MarginRole::Webhooks;
        }
    }
    if let Some(m) = flags.min_validity {
        margins = Margins::all(m);
    }
    cx.margins = margins;
    cx.issuer_margin_set = issuer_set;
    cx.webhooks_margin_set = webhooks_set;

    let mut levels: BTreeMap<String, Level> = BTreeMap::new();
    for (id, level) in &policy.levels {
        if !known_id(id) {
            bail!(
                "{}: unknown check id {id:?} (`meshcert checks` lists them)",
                in_file("levels")
            );
        }
        levels.insert(
            id.clone(),
            level
                .parse()
                .map_err(|e| anyhow!("{}: {e}", in_file(&format!("levels.{id}"))))?,
        );
    }
    if let Some(spec) = env("MESHCERT_LEVELS") {
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, level) = pair
                .split_once('=')
                .ok_or_else(|| anyhow!("MESHCERT_LEVELS: expected ID=LEVEL, got {pair:?}"))?;
            if !known_id(id) {
                bail!("MESHCERT_LEVELS: unknown check id {id:?} (`meshcert checks` lists them)");
            }
            levels.insert(
                id.to_string(),
                level.parse().map_err(|e| anyhow!("MESHCERT_LEVELS: {e}"))?,
            );
        }
    }
    let skips = policy
        .skip
        .iter()
        .map(|id| (id, in_file("skip")))
        .chain(flags.skip.iter().map(|id| (id, "--skip".to_string())));
    for (id, source) in skips {
        if !known_id(id) {
            bail!("{source}: unknown check id {id:?} (`meshcert checks` lists them)");
        }
        levels.insert(id.clone(), Level::Off);
    }
    let only: Vec<(&String, String)> = policy
        .only
        .iter()
        .map(|c| (c, in_file("only")))
        .chain(flags.only.iter().map(|c| (c, "--only".to_string())))
        .collect();
    for (category, source) in &only {
        if !known_category(category) {
            bail!("{source}: unknown category {category:?}");
        }
    }
    if !only.is_empty() {
        for check in registry::ALL {
            let meta = check.meta();
            if !only.iter().any(|(c, _)| *c == meta.category.id()) {
                levels.insert(meta.id.to_string(), Level::Off);
            }
        }
    }
    cx.levels = levels;
    Ok(cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags<'a>(config: Option<&'a Path>, skip: &'a [String], only: &'a [String]) -> Flags<'a> {
        Flags {
            at: Some(DateTime::UNIX_EPOCH),
            fail_on: None,
            min_validity: None,
            skip,
            only,
            config,
        }
    }

    fn policy(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn a_policy_file_sets_fail_on_margins_and_levels() {
        let f = policy(
            "fail-on = \"warning\"\nmin-validity = \"30d\"\n[margins]\nissuer = \"33%\"\n[levels]\nl5d-identity-issuer-cert-not-expiring-soon = \"error\"\n",
        );
        let cx = resolve(&flags(Some(f.path()), &[], &[]), |_| None).unwrap();
        assert_eq!(cx.fail_on, FailOn::Warning);
        assert_eq!(cx.margins.trust_anchors, "30d".parse().unwrap());
        assert_eq!(cx.margins.issuer, MarginSpec::Lifetime(33));
        assert_eq!(
            cx.levels["l5d-identity-issuer-cert-not-expiring-soon"],
            Level::Error
        );
    }

    #[test]
    fn environment_beats_the_file_and_flags_beat_both() {
        let f = policy("[margins]\nwebhooks = \"30d\"\n");
        let env = |k: &str| (k == "MESHCERT_MARGIN_WEBHOOKS").then(|| "10d".to_string());
        let cx = resolve(&flags(Some(f.path()), &[], &[]), env).unwrap();
        assert_eq!(cx.margins.webhooks, "10d".parse().unwrap());
        let mut fl = flags(Some(f.path()), &[], &[]);
        fl.min_validity = Some("7d".parse().unwrap());
        let cx = resolve(&fl, env).unwrap();
        assert_eq!(cx.margins, Margins::all("7d".parse().unwrap()));
    }

    #[test]
    fn skip_and_only_turn_checks_off() {
        let skip = vec!["l5d-tap-cert-valid".to_string()];
        let only = vec!["linkerd-identity".to_string()];
        let cx = resolve(&flags(None, &skip, &only), |_| None).unwrap();
        assert_eq!(cx.levels["l5d-tap-cert-valid"], Level::Off);
        assert_eq!(
            cx.levels["l5d-proxy-injector-webhook-cert-valid"],
            Level::Off
        );
        assert!(!cx.levels.contains_key("l5d-identity-cert-config-valid"));
    }

    #[test]
    fn unknown_keys_ids_and_values_are_errors_that_name_them() {
        let cases = [
            ("colour = \"red\"\n", "unknown field `colour`"),
            ("[margins]\nissuers = \"1d\"\n", "unknown field `issuers`"),
            (
                "[levels]\nl5d-nope = \"off\"\n",
                "levels: unknown check id \"l5d-nope\"",
            ),
            (
                "[levels]\nl5d-tap-cert-valid = \"loud\"\n",
                "levels.l5d-tap-cert-valid: invalid level \"loud\"",
            ),
            ("fail-on = \"never\"\n", "fail-on: invalid value \"never\""),
            (
                "min-validity = \"10w\"\n",
                "min-validity: invalid duration \"10w\"",
            ),
            (
                "only = [\"linkerd-nope\"]\n",
                "only: unknown category \"linkerd-nope\"",
            ),
            ("skip = [\"nope\"]\n", "skip: unknown check id \"nope\""),
            ("this is not toml", "expected"),
        ];
        for (text, expected) in cases {
            let f = policy(text);
            let err = format!(
                "{:#}",
                resolve(&flags(Some(f.path()), &[], &[]), |_| None).unwrap_err()
            );
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(
                err.contains(&f.path().display().to_string()),
                "names the file: {err}"
            );
        }
        let err = resolve(
            &flags(Some(Path::new("/nonexistent/meshcert.toml")), &[], &[]),
            |_| None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not exist"));
        let err = resolve(&flags(None, &[], &[]), |k| {
            (k == "MESHCERT_LEVELS").then(|| "x=off".into())
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("MESHCERT_LEVELS: unknown check id \"x\""),
            "{err}"
        );
    }
}
