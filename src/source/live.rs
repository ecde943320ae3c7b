//! The live source: reads a cluster through the Kubernetes API.
//!
//! It reads only what the checks name ([`meshcert_checks::reads`]): single objects by GET, the
//! namespaces labelled `linkerd.io/extension`, and the meshed pods by a paginated LIST. Each
//! answer goes through the same parser as offline manifests, so a live run and an offline run of
//! the same objects build the same Snapshot.
//!
//! Requests of a run against a healthy cluster: 1 (extension namespaces) + 3 (identity) + 6
//! (control-plane webhooks) + 4 with viz + 2 with jaeger + one per page of 500 meshed pods, plus
//! one per legacy Secret looked up because the current one does not exist.
//!
//! Failures are data: 404 means missing; 403 makes the object `Forbidden`, with the RBAC rule
//! that would allow the read; 429, 5xx and timeouts are retried with backoff until the run's
//! deadline (`--timeout`); an API server that cannot be reached ends the run.

use std::io::IsTerminal as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use meshcert_checks::reads::{EXTENSION_LABEL, MESHED_LABEL, follow_up_reads, object_reads};
use meshcert_checks::snapshot::{Kind, ObjectRef, ObjectState, Snapshot};
use tokio::time::Instant;

pub use super::api::Cluster;
pub(super) use super::api::{
    Fetched, GiveUp, get, get_with, give_up, list_path, unavailable_as_data,
};
use super::ingest::{Builder, Loaded, read_json};

/// Meshed pods per LIST page, unless `--page-size` says otherwise.
pub const PAGE_SIZE: u32 = 500;
/// How many times one run lists the meshed pods again from the start after a continue token
/// expired (410), within the run's deadline: in pages, and the last time in one unpaginated
/// answer, as client-go's pager does, which no compaction can expire.
pub const MAX_RELISTS: usize = 3;
const FROM: &str = "the API server";

/// The kubeconfig to use: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`; `None` when
/// there is none (then the in-cluster service account is used).
fn kubeconfig(path: Option<&Path>) -> anyhow::Result<Option<Kubeconfig>> {
    if let Some(path) = path {
        return Kubeconfig::read_from(path)
            .map(Some)
            .map_err(|e| kubeconfig_error(&path.display().to_string(), e));
    }
    if let Some(named) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return Kubeconfig::read().map(Some).map_err(|e| {
            kubeconfig_error(&format!("{} (KUBECONFIG)", named.to_string_lossy()), e)
        });
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    match home.map(|h| h.join(".kube/config")) {
        Some(default) if default.exists() => Kubeconfig::read_from(&default)
            .map(Some)
            .map_err(|e| kubeconfig_error(&default.display().to_string(), e)),
        _ => Ok(None),
    }
}

/// Why a kubeconfig could not be read, naming the file, and the line and column of a parse
/// error, but never quoting the file: a YAML error's excerpt would print the lines around it,
/// tokens and keys included. The cause is said once.
fn kubeconfig_error(file: &str, e: kube::config::KubeconfigError) -> anyhow::Error {
    use kube::config::KubeconfigError as E;
    match e {
        E::ReadConfig(io, _) => anyhow!("cannot read kubeconfig {file}: {io}"),
        E::Parse(parse) => match parse.location() {
            Some(at) => anyhow!(
                "kubeconfig {file} is not valid YAML at line {}, column {} (its content is not shown: a kubeconfig holds credentials)",
                at.line(),
                at.column()
            ),
            None => anyhow!(
                "kubeconfig {file} is not a valid kubeconfig (its content is not shown: a kubeconfig holds credentials)"
            ),
        },
        other => anyhow!(
            "cannot use kubeconfig {file}: {}",
            super::ingest::redact(&other.to_string())
        ),
    }
}

/// The name a run reads the cluster of `context` under (its label), as [`connect`] would name
/// it: the context given, else the kubeconfig's current one, else `in-cluster` without a
/// kubeconfig; `None` when the kubeconfig cannot be read.
pub fn context_label(path: Option<&Path>, context: Option<&str>) -> Option<String> {
    if let Some(name) = context {
        return Some(name.to_string());
    }
    match kubeconfig(path) {
        Ok(Some(kc)) => Some(kc.current_context.unwrap_or_default()),
        Ok(None) => Some("in-cluster".to_string()),
        Err(_) => None,
    }
}

/// Every context of the kubeconfig (`--all-contexts`).
pub fn all_contexts(path: Option<&Path>) -> anyhow::Result<Vec<String>> {
    let kc = kubeconfig(path)?
        .ok_or_else(|| anyhow!("--all-contexts needs a kubeconfig, and none was found"))?;
    Ok(kc.contexts.into_iter().map(|c| c.name).collect())
}

/// Connects to the cluster of `context` (the kubeconfig's current context when `None`), or to
/// the cluster running this pod when there is no kubeconfig.
pub async fn connect(
    path: Option<&Path>,
    context: Option<&str>,
    timeout: Duration,
    http: super::transport::Http,
) -> anyhow::Result<Cluster> {
    let (config, name) = match kubeconfig(path)? {
        Some(kc) => {
            let name = context
                .map(String::from)
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            let options = KubeConfigOptions {
                context: context.map(String::from),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .with_context(|| format!("cannot use context {name:?} of the kubeconfig"))?;
            (config, name)
        }
        None => {
            if context.is_some() {
                bail!(
                    "--context needs a kubeconfig, and none was found (--kubeconfig, KUBECONFIG or ~/.kube/config)"
                );
            }
            let config = Config::incluster().context(
                "no kubeconfig found (--kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a cluster",
            )?;
            (config, "in-cluster".to_string())
        }
    };
    client_of(config, name, timeout, http)
}

/// Connects with the kubeconfig `yaml` (its current context), as `name`: a linked cluster,
/// through its Link's credentials.
pub async fn connect_kubeconfig(
    yaml: &str,
    name: &str,
    timeout: Duration,
    http: super::transport::Http,
) -> anyhow::Result<Cluster> {
    // The parsers' messages may quote the text, which holds a token: not repeated.
    let kc = Kubeconfig::from_yaml(yaml)
        .map_err(|_| anyhow!("unable to parse api config: not a kubeconfig"))?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .map_err(|_| anyhow!("unable to parse api config: its current context cannot be used"))?;
    client_of(config, name.to_string(), timeout, http)
}

/// A client for `config`: meshcert's timeouts, no retries of kube's own.
fn client_of(
    mut config: Config,
    name: String,
    timeout: Duration,
    http: super::transport::Http,
) -> anyhow::Result<Cluster> {
    // meshcert retries itself, within the run's deadline.
    config.default_retry = false;
    config.connect_timeout = Some(Duration::from_secs(5).min(timeout));
    config.read_timeout = Some(Duration::from_secs(10).min(timeout));
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = super::transport::client(config, http)
        .with_context(|| format!("cannot create a client for {server}"))?;
    Ok(Cluster {
        client,
        server,
        context: name,
    })
}

/// The API path of an object.
/// The collection an object of `kind` lives in, as kube's resource types name it.
pub(super) fn collection(kind: Kind, namespace: &str) -> String {
    use k8s_openapi::api::admissionregistration::v1::{
        MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
    };
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
    use kube::core::{ApiResource, DynamicObject, GroupVersionKind, Resource};
    let custom = |group: &str, kind: &str, plural: &str, ns: Option<&str>| {
        let gvk = GroupVersionKind::gvk(group, "v1", kind);
        DynamicObject::url_path(&ApiResource::from_gvk_with_plural(&gvk, plural), ns)
    };
    match kind {
        Kind::ConfigMap => ConfigMap::url_path(&(), Some(namespace)),
        Kind::Secret => Secret::url_path(&(), Some(namespace)),
        Kind::Namespace => Namespace::url_path(&(), None),
        Kind::MutatingWebhookConfiguration => MutatingWebhookConfiguration::url_path(&(), None),
        Kind::ValidatingWebhookConfiguration => ValidatingWebhookConfiguration::url_path(&(), None),
        Kind::APIService => custom("apiregistration.k8s.io", "APIService", "apiservices", None),
        Kind::Certificate => custom(
            "cert-manager.io",
            "Certificate",
            "certificates",
            Some(namespace),
        ),
        Kind::Bundle => {
            let gvk = GroupVersionKind::gvk("trust.cert-manager.io", "v1alpha1", "Bundle");
            DynamicObject::url_path(&ApiResource::from_gvk_with_plural(&gvk, "bundles"), None)
        }
        Kind::ClusterBundle => {
            let gvk = GroupVersionKind::gvk("trust-manager.io", "v1alpha2", "ClusterBundle");
            DynamicObject::url_path(
                &ApiResource::from_gvk_with_plural(&gvk, "clusterbundles"),
                None,
            )
        }
        Kind::Link => {
            let gvk = GroupVersionKind::gvk("multicluster.linkerd.io", LINK_VERSION, "Link");
            DynamicObject::url_path(
                &ApiResource::from_gvk_with_plural(&gvk, "links"),
                Some(namespace),
            )
        }
    }
}

/// The Link version meshcert lists (the current CRD's; it serves the older ones as well).
pub(crate) const LINK_VERSION: &str = "v1alpha3";

/// The path of a GET of `o`, built by kube's request builder.
pub fn api_path(o: &ObjectRef) -> String {
    kube::core::Request::new(collection(o.kind, &o.namespace))
        .get(&o.name, &kube::core::params::GetParams::default())
        .map(|r| r.uri().to_string())
        .unwrap_or_else(|_| format!("{}/{}", collection(o.kind, &o.namespace), o.name))
}

/// The RBAC rule that allows reading `o`, as a message names it.
pub fn rbac_rule(o: &ObjectRef) -> String {
    let (group, resource) = o.kind.group_resource();
    let scope = if o.namespace.is_empty() {
        "a ClusterRole".to_string()
    } else {
        format!("a Role in namespace {}", o.namespace)
    };
    format!(
        "{scope} with apiGroups: [\"{group}\"], resources: [\"{resource}\"], resourceNames: [\"{}\"], verbs: [\"get\"]",
        o.name
    )
}

/// The `continue` token of a list's metadata, if the list goes on.
fn continue_token(fields: &[(String, Vec<u8>)]) -> Option<String> {
    let meta = fields.iter().find(|(k, _)| k == "metadata")?;
    let meta: serde_json::Value = serde_json::from_slice(&meta.1).ok()?;
    meta.get("continue")
        .and_then(|c| c.as_str())
        .filter(|t| !t.is_empty())
        .map(String::from)
}

/// `12500` → `12,500`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub struct Options<'a> {
    pub linkerd_namespace: &'a str,
    /// trust-manager's trust namespace.
    pub trust_namespace: &'a str,
    /// `-n` and the extension namespaces given outright, as the checks see them.
    pub scope: &'a meshcert_checks::scope::Scope,
    pub timeout: Duration,
    /// Meshed pods per LIST page.
    pub page_size: u32,
    pub verbose: bool,
    pub limits: super::Limits,
}

/// cert-manager's discovery document: whether the cluster serves Certificates (its CRDs).
const CERTIFICATES_DISCOVERY: &str = "/apis/cert-manager.io/v1";

/// Whether a discovery document (an `APIResourceList`) lists `certificates`.
fn serves_certificates(json: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| {
            v.get("resources")?.as_array().map(|r| {
                r.iter()
                    .any(|x| x.get("name").and_then(|n| n.as_str()) == Some("certificates"))
            })
        })
        .unwrap_or(false)
}

/// Reads what the checks need from `cluster`.
pub async fn load(cluster: &Cluster, opts: &Options<'_>) -> anyhow::Result<Loaded> {
    let deadline = Instant::now() + opts.timeout;
    let ns = opts.linkerd_namespace;
    let mut snap = Snapshot::new(ns);
    snap.trust_namespace = opts.trust_namespace.to_string();
    let mut builder = Builder::new(snap, opts.limits);
    let fail = |e: GiveUp| give_up(cluster, e);

    // Where the extensions are, and whether the API server serves cert-manager's Certificates
    // (its discovery document for cert-manager.io/v1), both at once.
    let mut extensions = opts.scope.extension_namespaces.clone();
    let list_namespaces = !(extensions.contains_key("viz") && extensions.contains_key("jaeger"));
    let namespaces_path = list_path(
        collection(Kind::Namespace, ""),
        &kube::core::params::ListParams::default().labels(EXTENSION_LABEL),
    )?;
    let (namespaces, discovery) = tokio::join!(
        async {
            match list_namespaces {
                true => Some(get(cluster, &namespaces_path, deadline, opts.verbose).await),
                false => None,
            }
        },
        get(cluster, CERTIFICATES_DISCOVERY, deadline, opts.verbose)
    );
    if let Some(answer) = namespaces {
        match unavailable_as_data(answer).map_err(fail)? {
            Fetched::Found(json) => {
                read_json(&mut builder, FROM, json.as_bytes())?;
            }
            Fetched::NotFound => {}
            Fetched::Expired(why) => bail!("listing namespaces: 410 {why}"),
            Fetched::Forbidden(why) | Fetched::Unavailable(why) => crate::elog!(
                "meshcert: warning: cannot list namespaces to find the viz and jaeger extensions ({why}); \
                 name them with --viz-namespace and --jaeger-namespace, or allow \"list\" on namespaces"
            ),
        }
        for ext in ["viz", "jaeger"] {
            if let (false, Some(found)) = (
                extensions.contains_key(ext),
                builder.snap.labelled_extension_namespace(ext),
            ) {
                extensions.insert(ext.to_string(), found);
            }
        }
    }
    builder.snap.certificates_served = match unavailable_as_data(discovery).map_err(fail)? {
        Fetched::Found(json) => Some(serves_certificates(&json)),
        Fetched::NotFound => Some(false),
        // Discovery is open to every authenticated user; if it is not (or keeps failing), read
        // as before.
        Fetched::Forbidden(_) | Fetched::Expired(_) | Fetched::Unavailable(_) => None,
    };

    // The named objects, concurrently.
    let mut tasks = tokio::task::JoinSet::new();
    let served = builder.snap.certificates_served;
    for read in object_reads(ns, &extensions)
        .into_iter()
        .filter(|r| served != Some(false) || r.object.kind != Kind::Certificate)
    {
        let client = cluster.client.clone();
        let shared = Cluster {
            client,
            server: cluster.server.clone(),
            context: cluster.context.clone(),
        };
        let verbose = opts.verbose;
        tasks.spawn(async move {
            let mut target = read.object.clone();
            let mut found = get(&shared, &api_path(&target), deadline, verbose).await;
            if let (Ok(Fetched::NotFound), Some(fallback)) = (&found, &read.fallback) {
                target = fallback.clone();
                found = get(&shared, &api_path(&target), deadline, verbose).await;
            }
            (target, found)
        });
    }

    // Meshed pods, page by page, while the objects arrive.
    list_meshed_pods(cluster, opts, &mut builder, deadline).await?;

    while let Some(joined) = tasks.join_next().await {
        let (target, found) = joined.context("a request task failed")?;
        record(
            &mut builder,
            target,
            unavailable_as_data(found).map_err(fail)?,
        )?;
    }
    // The multicluster Links, when the extension is there.
    super::live_links::read(cluster, &mut builder, deadline, opts.verbose).await?;
    // What the answers point at (the Certificates the Secrets' annotations name, trust-manager's
    // sources, the Links' credentials), round after round until nothing new is named.
    let mut attempted: Vec<ObjectRef> = Vec::new();
    loop {
        let reads = follow_up_reads(&builder.snap, &attempted);
        if reads.is_empty() {
            break;
        }
        for read in reads {
            let found = get(cluster, &api_path(&read.object), deadline, opts.verbose).await;
            attempted.push(read.object.clone());
            record(
                &mut builder,
                read.object,
                unavailable_as_data(found).map_err(fail)?,
            )?;
        }
    }
    Ok(Loaded {
        snapshot: builder.snap,
        source: format!("cluster: {} ({})", cluster.context, cluster.server),
        server: Some(cluster.server.clone()),
        link_credentials: builder.link_credentials,
    })
}

/// Lists the meshed pods page by page into `builder`. When a continue token has expired (410:
/// etcd compacted past the list's revision), the list restarts from the start: what the expired
/// attempt read is discarded, so the result is one consistent list. At most [`MAX_RELISTS`]
/// restarts, all within the run's deadline, the last one unpaginated (client-go's fallback).
async fn list_meshed_pods(
    cluster: &Cluster,
    opts: &Options<'_>,
    builder: &mut Builder,
    deadline: Instant,
) -> anyhow::Result<()> {
    let fail = |e: GiveUp| give_up(cluster, e);
    let pods_collection = {
        use k8s_openapi::api::core::v1::Pod;
        use kube::core::Resource;
        Pod::url_path(&(), opts.scope.data_plane_namespace.as_deref())
    };
    let progress = std::io::stderr().is_terminal();
    let objects_before = builder.objects;
    let mut token: Option<String> = None;
    let mut pages = 0usize;
    let mut relists = 0usize;
    loop {
        let mut params = kube::core::params::ListParams::default().labels(MESHED_LABEL);
        if relists < MAX_RELISTS {
            params = params.limit(opts.page_size);
        }
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let path = list_path(pods_collection.clone(), &params)?;
        match unavailable_as_data(get(cluster, &path, deadline, opts.verbose).await)
            .map_err(fail)?
        {
            Fetched::Unavailable(why) => {
                builder.snap.data_plane = Default::default();
                builder.objects = objects_before;
                builder.snap.data_plane_unavailable = Some(format!(
                    "cannot list meshed pods: the API server kept failing ({why})"
                ));
                break;
            }
            Fetched::Found(page) => {
                let fields = read_json(builder, &format!("{FROM} (GET {path})"), page.as_bytes())?;
                pages += 1;
                if progress {
                    crate::elog_inline!(
                        "\rlisting meshed pods… {}",
                        thousands(builder.snap.data_plane.pods.len())
                    );
                }
                match continue_token(&fields) {
                    Some(next) if token.as_deref() == Some(next.as_str()) => {
                        bail!(
                            "listing pods: the API server returned the same continue token twice"
                        );
                    }
                    Some(next) => token = Some(next),
                    None => break,
                }
                if Instant::now() >= deadline {
                    bail!("listing pods: not finished after {pages} pages within --timeout");
                }
            }
            Fetched::Expired(why) if token.is_some() && relists < MAX_RELISTS => {
                relists += 1;
                if progress {
                    crate::elog!();
                }
                let how = if relists == MAX_RELISTS {
                    "in one answer"
                } else {
                    "from the start"
                };
                crate::elog!(
                    "meshcert: listing pods: the continue token expired after {pages} pages (410: {why}); listing again {how}"
                );
                builder.snap.data_plane = Default::default();
                builder.objects = objects_before;
                token = None;
                pages = 0;
            }
            Fetched::Expired(why) => {
                bail!("listing pods: 410 {why} (after {relists} fresh starts)");
            }
            Fetched::NotFound => break,
            Fetched::Forbidden(why) => {
                let scope = match opts.scope.data_plane_namespace.as_deref() {
                    Some(dp) => format!("a Role in namespace {dp}"),
                    None => "a ClusterRole".to_string(),
                };
                builder.snap.data_plane_unavailable = Some(format!(
                    "cannot list meshed pods: forbidden ({why}); meshcert needs {scope} with apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"list\"]"
                ));
                break;
            }
        }
    }
    if progress && pages > 0 {
        crate::elog!();
    }
    Ok(())
}

/// Adds the answer for `target` to the snapshot: the object, nothing (404), or why it is forbidden.
pub(super) fn record(
    builder: &mut Builder,
    target: ObjectRef,
    found: Fetched,
) -> anyhow::Result<()> {
    match found {
        Fetched::Found(json) => builder.add_json(
            json.as_bytes(),
            &format!("{FROM} (GET {})", api_path(&target)),
        )?,
        Fetched::NotFound => {}
        Fetched::Expired(why) => bail!("GET {}: 410 {why}", api_path(&target)),
        Fetched::Unavailable(why) => {
            let state = ObjectState::Forbidden(format!("the API server kept failing ({why})"));
            builder.snap.insert(target, state);
        }
        Fetched::Forbidden(why) => {
            let state = ObjectState::Forbidden(format!(
                "forbidden ({why}); meshcert needs {}",
                rbac_rule(&target)
            ));
            builder.snap.insert(target, state);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_read_with_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12500), "12,500");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn rbac_rules_name_the_narrowest_grant() {
        let secret = ObjectRef::new(Kind::Secret, "linkerd", "linkerd-identity-issuer");
        assert_eq!(
            rbac_rule(&secret),
            "a Role in namespace linkerd with apiGroups: [\"\"], resources: [\"secrets\"], resourceNames: [\"linkerd-identity-issuer\"], verbs: [\"get\"]"
        );
        let api = ObjectRef::cluster(Kind::APIService, "v1alpha1.tap.linkerd.io");
        assert!(rbac_rule(&api).starts_with("a ClusterRole with apiGroups: [\"apiregistration.k8s.io\"], resources: [\"apiservices\"]"));
        assert_eq!(
            api_path(&api),
            "/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.tap.linkerd.io"
        );
    }
}
