//! trust-manager's `Bundle` (`trust.cert-manager.io/v1alpha1`) and `ClusterBundle`
//! (`trust-manager.io/v1alpha2`) reduced to what the checks read: sources, the target
//! ConfigMap's keys, the namespace selector and the `Synced` condition. Kept loose: a field of an
//! unexpected shape reads as absent, and the check says what it misses.

use std::collections::BTreeMap;

use meshcert_checks::snapshot::{BundleSource, Condition, Kind, Selector, TrustBundle};
use serde_json::Value;

use super::kube_types::{Manifest, Text};

/// Whether `api_version` is trust-manager's group for `kind` (not another group's kind of that
/// name).
pub(crate) fn is_trust_managers(kind: Kind, api_version: Option<&str>) -> bool {
    let group = match kind {
        Kind::Bundle => "trust.cert-manager.io/",
        Kind::ClusterBundle => "trust-manager.io/",
        _ => return true,
    };
    api_version.is_some_and(|v| v.starts_with(group))
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(String::from)
}

/// v1alpha1 `sources`: each `secret`/`configMap` (name or selector, key), `inLine` or
/// `useDefaultCAs`; v1alpha2 `sourceRefs`: each `{kind, name | selector, key}`.
fn sources(doc: &Manifest) -> Vec<BundleSource> {
    let spec = doc.spec.as_ref();
    let mut out = Vec::new();
    for s in spec
        .and_then(|s| s.sources.as_ref())
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (field, kind) in [("secret", "Secret"), ("configMap", "ConfigMap")] {
            if let Some(r) = s.get(field) {
                out.push(BundleSource {
                    kind: kind.into(),
                    name: text(r.get("name")),
                    key: text(r.get("key")),
                });
            }
        }
        for other in ["inLine", "useDefaultCAs"] {
            if s.get(other).is_some() {
                out.push(BundleSource {
                    kind: other.into(),
                    name: None,
                    key: None,
                });
            }
        }
    }
    for r in spec
        .and_then(|s| s.source_refs.as_ref())
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push(BundleSource {
            kind: text(r.get("kind")).unwrap_or_default(),
            name: text(r.get("name")),
            key: text(r.get("key")),
        });
    }
    out
}

fn selector(v: &Value) -> Selector {
    let match_labels: BTreeMap<String, String> = v
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let has_expressions = v
        .get("matchExpressions")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    Selector {
        match_labels,
        has_expressions,
    }
}

/// The Bundle or ClusterBundle of `doc`.
pub(crate) fn trust_bundle(doc: &Manifest) -> TrustBundle {
    let target = doc.spec.as_ref().and_then(|s| s.target.as_ref());
    let config_map = target.and_then(|t| t.get("configMap"));
    let mut target_keys: Vec<String> = config_map
        .and_then(|c| text(c.get("key")))
        .into_iter()
        .collect();
    target_keys.extend(
        config_map
            .and_then(|c| c.get("data"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| text(d.get("key"))),
    );
    let synced = doc
        .status
        .as_ref()
        .and_then(|s| s.conditions.synced.as_ref())
        .map(|c| {
            let t = |t: &Text| match t {
                Text::Is(s) => Some(s.to_string()),
                _ => None,
            };
            Condition {
                status: t(&c.status).unwrap_or_else(|| "Unknown".into()),
                reason: t(&c.reason),
                message: t(&c.message),
            }
        });
    TrustBundle {
        sources: sources(doc),
        target_keys,
        namespace_selector: target
            .and_then(|t| t.get("namespaceSelector"))
            .map(selector),
        synced,
    }
}
