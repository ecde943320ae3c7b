//! Live: the multicluster Links of the extension's namespace (the one labelled
//! `linkerd.io/extension=multicluster`), listed in one request. A 404 (no Link CRD) means no
//! links; a 403 is recorded, so that the checks say they could not list them. The Links'
//! credentials Secrets follow as follow-up reads (`reads::follow_up_reads`).

use meshcert_checks::snapshot::{Kind, ObjectRef, ObjectState};
use tokio::time::Instant;

use super::api::{Cluster, Fetched, get, give_up, list_path, unavailable_as_data};
use super::ingest::{Builder, read_json};

/// The Link versions, newest first (the CRD serves all three where the extension is current).
const LINK_VERSIONS: [&str; 3] = ["v1alpha3", "v1alpha2", "v1alpha1"];

/// Lists the Links of the multicluster extension's namespace into `builder`, when it is there.
pub(super) async fn read(
    cluster: &Cluster,
    builder: &mut Builder,
    deadline: Instant,
    verbose: bool,
) -> anyhow::Result<()> {
    let Some(ns) = builder.snap.labelled_extension_namespace("multicluster") else {
        return Ok(());
    };
    // The current version, else the older ones a cluster may still serve alone.
    for version in LINK_VERSIONS {
        let path = list_path(
            format!("/apis/multicluster.linkerd.io/{version}/namespaces/{ns}/links"),
            &kube::core::params::ListParams::default(),
        )?;
        let answer = get(cluster, &path, deadline, verbose).await;
        match unavailable_as_data(answer).map_err(|e| give_up(cluster, e))? {
            Fetched::Found(json) => {
                let from = format!("the API server (GET {path})");
                read_json(builder, &from, json.as_bytes())?;
            }
            Fetched::NotFound => continue,
            Fetched::Expired(why) => anyhow::bail!("listing Links: 410 {why}"),
            Fetched::Forbidden(why) | Fetched::Unavailable(why) => {
                builder.snap.insert(
                    ObjectRef::new(Kind::Link, &ns, ""),
                    ObjectState::Forbidden(format!(
                        "cannot list Links in namespace {ns} ({why}); meshcert needs a Role in namespace {ns} with apiGroups: [\"multicluster.linkerd.io\"], resources: [\"links\"], verbs: [\"list\"] (deploy/base/opt-in/multicluster.yaml)"
                    )),
                );
            }
        }
        break;
    }
    Ok(())
}
