//! A linked cluster the run does not read, reached as linkerd's multicluster check reaches it:
//! through the Link's credentials (its kubeconfig, held in memory only). What those credentials
//! may read there is the target's `linkerd-config`; meshcert also asks for its trust roots and
//! its issuer Secret, and records a refusal as such. Its pods are not read: the checks that need
//! them say so.

use std::time::Duration;

use meshcert_checks::data_plane::TRUST_ROOTS;
use meshcert_checks::identity::{ISSUER_SECRET, LINKERD_CONFIG};
use meshcert_checks::snapshot::{Kind, ObjectRef, ObjectState, SecretBytes, Snapshot};
use tokio::time::Instant;

use super::ingest::{Builder, Loaded};
use super::limits::Limits;
use super::live::{api_path, connect_kubeconfig, get, record, unavailable_as_data};

/// The target of a Link, read through `kubeconfig` (its control plane in `linkerd_ns`). Never
/// fails: a cluster that cannot be reached is a Snapshot whose `linkerd-config` could not be
/// read, with the reason (linkerd's "unable to fetch anchors").
pub async fn load_linked(
    kubeconfig: &SecretBytes,
    name: &str,
    linkerd_ns: &str,
    timeout: Duration,
    http: super::transport::Http,
    limits: Limits,
) -> Loaded {
    let mut snap = Snapshot::new(linkerd_ns);
    snap.data_plane_unavailable = Some(format!(
        "the pods of {name} were not read: it was reached through a Link's credentials, not read by this run"
    ));
    let config = ObjectRef::new(Kind::ConfigMap, linkerd_ns, LINKERD_CONFIG);
    let unreadable = |mut snap: Snapshot, why: String| {
        snap.insert(config.clone(), ObjectState::Forbidden(why));
        Loaded {
            snapshot: snap,
            source: format!("linked cluster: {name} (not reached)"),
            server: None,
            link_credentials: Vec::new(),
        }
    };
    let Ok(yaml) = std::str::from_utf8(kubeconfig.expose()) else {
        return unreadable(snap, "unable to parse api config: not UTF-8 text".into());
    };
    let cluster = match connect_kubeconfig(yaml, name, timeout, http).await {
        Ok(c) => c,
        Err(e) => return unreadable(snap, format!("{e:#}")),
    };
    let deadline = Instant::now() + timeout;
    let mut builder = Builder::new(snap, limits);
    for object in [
        config.clone(),
        ObjectRef::new(Kind::ConfigMap, linkerd_ns, TRUST_ROOTS),
        ObjectRef::new(Kind::Secret, linkerd_ns, ISSUER_SECRET),
    ] {
        let found = get(&cluster, &api_path(&object), deadline, false).await;
        let recorded = match unavailable_as_data(found) {
            Ok(found) => record(&mut builder, object.clone(), found),
            Err(e) => {
                let why = format!("{}", super::live::give_up(&cluster, e));
                builder
                    .snap
                    .insert(object.clone(), ObjectState::Forbidden(why));
                Ok(())
            }
        };
        if let Err(e) = recorded {
            builder
                .snap
                .insert(object.clone(), ObjectState::Forbidden(format!("{e:#}")));
        }
    }
    // linkerd reads the target's linkerd-config; its absence is linkerd's "unable to fetch".
    if builder.snap.get(&config).is_none() {
        builder.snap.insert(
            config.clone(),
            ObjectState::Forbidden(format!("configmaps \"{LINKERD_CONFIG}\" not found")),
        );
    }
    Loaded {
        snapshot: builder.snap,
        source: format!(
            "linked cluster: {name} ({}), through a Link's credentials",
            cluster.server
        ),
        server: Some(cluster.server),
        link_credentials: Vec::new(),
    }
}
