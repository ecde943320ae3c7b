//! Offline manifests: `kubectl get -o yaml|json` dumps, `linkerd install` / `helm template`
//! output, single objects. Files or directories (recursively: *.yaml, *.yml, *.json), or `-`
//! for stdin. Only the kinds the checks read are kept; everything else is ignored.
//!
//! Errors name the file and, where the parser knows it, the line; a Secret value that is not
//! base64 is kept as such, so that only the check that needs it fails.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use meshcert_checks::snapshot::{
    ApiService, CaBundle, ConfigMap, Kind, Namespace, Object, ObjectRef, ObjectState, Secret,
    SecretBytes, SecretValue, Snapshot, WebhookConfiguration,
};
use serde_json::Value;

/// One input: a file, or stdin.
struct Input {
    name: String,
    path: Option<PathBuf>,
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Expands the `--from` paths into files, directories recursively and in name order.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let mut seen_dirs = HashSet::new();
    let mut stdin_used = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_used {
                bail!("--from - (stdin) can be given only once");
            }
            stdin_used = true;
            inputs.push(Input {
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
            inputs.push(Input {
                name: path.display().to_string(),
                path: Some(path.clone()),
            });
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<Input>) -> anyhow::Result<()> {
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
            out.push(Input {
                name: path.display().to_string(),
                path: Some(path),
            });
        }
    }
    Ok(())
}

/// Parses one file's text into its documents.
fn documents(name: &str, text: &str, json: bool) -> anyhow::Result<Vec<Value>> {
    if json {
        let v: Value =
            serde_json::from_str(text).map_err(|e| anyhow!("{name}: invalid JSON: {e}"))?;
        return Ok(vec![v]);
    }
    serde_saphyr::from_multiple::<Value>(text).map_err(|e| {
        // The parser's snippet would quote the input, which may be a private key: say where, not what.
        let e = e.without_snippet();
        let text = e.to_string();
        match e.location() {
            Some(loc) if !text.contains("line") => anyhow!(
                "{name}: invalid YAML at line {}, column {}: {text}",
                loc.line(),
                loc.column()
            ),
            _ => anyhow!("{name}: invalid YAML: {text}"),
        }
    })
}

fn string_map(obj: &Value, field: &str, what: &str) -> anyhow::Result<Vec<(String, String)>> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(anyhow!("{what}: {field}.{k} is not a string")),
            })
            .collect(),
        Some(_) => bail!("{what}: {field} is not a map"),
    }
}

fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| e.to_string())
}

/// A base64 field that may be absent (`caBundle`).
fn ca_bundle(v: Option<&Value>) -> CaBundle {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(decode_base64(s)),
        Some(_) => Some(Err("not a string".to_string())),
    }
}

/// The object this document describes, if it is a kind meshcert reads.
fn object(doc: &Value, from: &str) -> anyhow::Result<Option<(ObjectRef, Object)>> {
    let Some(kind) = doc
        .get("kind")
        .and_then(Value::as_str)
        .and_then(Kind::from_name)
    else {
        return Ok(None);
    };
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{from}: a {} without metadata.name", kind.as_str()))?;
    let namespace = doc
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let oref = ObjectRef::new(kind, namespace, name);
    let what = format!("{from}: {oref}");
    let object = match kind {
        Kind::ConfigMap => Object::ConfigMap(ConfigMap {
            data: string_map(doc, "data", &what)?.into_iter().collect(),
        }),
        Kind::Secret => {
            let mut secret = Secret {
                type_: doc.get("type").and_then(Value::as_str).map(String::from),
                ..Default::default()
            };
            for (k, v) in string_map(doc, "data", &what)? {
                let value = match decode_base64(&v) {
                    Ok(bytes) => SecretValue::Bytes(SecretBytes::new(bytes)),
                    Err(why) => SecretValue::Undecodable(why),
                };
                secret.data.insert(k, value);
            }
            // As the API server does, stringData wins over data.
            for (k, v) in string_map(doc, "stringData", &what)? {
                secret
                    .data
                    .insert(k, SecretValue::Bytes(SecretBytes::new(v.into_bytes())));
            }
            Object::Secret(secret)
        }
        Kind::Namespace => {
            let labels = doc
                .pointer("/metadata/labels")
                .cloned()
                .unwrap_or(Value::Null);
            Object::Namespace(Namespace {
                labels: string_map(&serde_json::json!({ "labels": labels }), "labels", &what)?
                    .into_iter()
                    .collect(),
            })
        }
        Kind::MutatingWebhookConfiguration | Kind::ValidatingWebhookConfiguration => {
            let webhooks = match doc.get("webhooks") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.clone(),
                Some(_) => bail!("{what}: webhooks is not a list"),
            };
            Object::WebhookConfiguration(WebhookConfiguration {
                ca_bundles: webhooks
                    .iter()
                    .map(|w| ca_bundle(w.pointer("/clientConfig/caBundle")))
                    .collect(),
            })
        }
        Kind::APIService => Object::ApiService(ApiService {
            ca_bundle: ca_bundle(doc.pointer("/spec/caBundle")),
        }),
    };
    Ok(Some((oref, object)))
}

/// Adds every object of one document (a `List` contributes its items).
fn add_document(snap: &mut Snapshot, doc: &Value, from: &str) -> anyhow::Result<()> {
    let is_list = doc
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"));
    if is_list {
        if let Some(items) = doc.get("items").and_then(Value::as_array) {
            for item in items {
                add_document(snap, item, from)?;
            }
        }
        return Ok(());
    }
    if let Some((oref, object)) = object(doc, from)? {
        let state = ObjectState::Present {
            object: object.clone(),
            from: from.to_string(),
        };
        if let Some(ObjectState::Present {
            object: earlier,
            from: earlier_from,
        }) = snap.insert(oref.clone(), state)
            && earlier != object
        {
            bail!("{oref} appears twice with different contents: in {earlier_from} and in {from}");
        }
    }
    Ok(())
}

pub fn load(paths: &[PathBuf], ns: &str) -> anyhow::Result<Snapshot> {
    let inputs = expand(paths)?;
    let described: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut snap = Snapshot::new(ns, format!("manifests: {}", described.join(", ")));
    for input in inputs {
        let bytes = match &input.path {
            Some(p) => std::fs::read(p).with_context(|| format!("cannot read {}", input.name))?,
            None => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .context("cannot read stdin")?;
                buf
            }
        };
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            anyhow!(
                "{}: not UTF-8 text (byte {}): is it a binary file?",
                input.name,
                e.valid_up_to()
            )
        })?;
        let json = match &input.path {
            Some(p) => p.extension().is_some_and(|e| e == "json"),
            None => text.trim_start().starts_with(['{', '[']),
        };
        for doc in documents(&input.name, text, json)? {
            add_document(&mut snap, &doc, &input.name)?;
        }
    }
    Ok(snap)
}
