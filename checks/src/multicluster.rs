//! Linkerd multicluster: the clusters of one run, each cluster's Links, and what each Link
//! points at. A Link's target is found among the run's other clusters by the server its
//! credentials name (the API server URL), else by its `targetClusterName`.
//!
//! linkerd's "clusters share trust anchors" (`multicluster/cmd/check.go`) compares the local
//! `linkerd-config` anchors with the target's: the counts must be equal and every remote
//! anchor must equal a local one (matched by signature). meshcert gives that verdict with its
//! words, and judges the pair by what each side's proxies really trust besides.

use crate::identity::{LINKERD_CONFIG, parse_values};
use crate::snapshot::{
    Fetched, Kind, Link, Object, ObjectRef, ObjectState, RemoteKubeconfig, Snapshot,
};

/// One cluster of the run: the name its results go under, the API server it was read from
/// (live), and what was read.
pub struct Peer<'a> {
    pub name: String,
    pub server: Option<String>,
    pub snapshot: &'a Snapshot,
}

/// The label of a multicluster credentials Secret's target (`linkerd multicluster link` sets
/// it), which linkerd's parser names when the kubeconfig is missing.
pub const REMOTE_CLUSTER_NAME_LABEL: &str = "multicluster.linkerd.io/cluster-name";

/// Why a Link's credentials cannot be used, in linkerd's words where it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsError {
    /// The Link names no credentials Secret.
    Unnamed,
    /// The Secret could not be read (not found, forbidden): linkerd's `* secret: [ns/name]: <err>`.
    Secret(String),
    /// It holds no `kubeconfig`: linkerd's "could not parse config secret".
    NoConfig(String),
    /// The kubeconfig cannot be read: linkerd's "unable to parse api config".
    Unparseable(String),
}

/// One Link of a cluster, and what it points at.
pub struct LinkView<'a> {
    pub object: ObjectRef,
    pub link: &'a Link,
    /// `targetClusterName`, or the Link's name.
    pub target_name: String,
    /// The credentials Secret, as read.
    pub secret: Option<ObjectRef>,
    pub credentials: Result<&'a RemoteKubeconfig, CredentialsError>,
    /// The cluster of the run it points at, when it is one.
    pub target: Option<&'a Peer<'a>>,
}

impl LinkView<'_> {
    /// `ns/name` of the credentials Secret, as linkerd prints it.
    pub fn secret_label(&self) -> String {
        self.secret
            .as_ref()
            .map(|s| format!("{}/{}", s.namespace, s.name))
            .unwrap_or_else(|| format!("{}/", self.object.namespace))
    }
}

/// The Links of `snap`, in namespace/name order, each with its credentials and its target among
/// `peers` (never `snap` itself).
pub fn links<'a>(snap: &'a Snapshot, peers: &'a [Peer<'a>]) -> Vec<LinkView<'a>> {
    snap.links()
        .map(|(object, link)| {
            let target_name = link
                .target_cluster_name
                .clone()
                .unwrap_or_else(|| object.name.clone());
            let secret = link
                .credentials_secret
                .as_ref()
                .map(|name| ObjectRef::new(Kind::Secret, &object.namespace, name.as_str()));
            let credentials = match &secret {
                None => Err(CredentialsError::Unnamed),
                Some(s) => credentials(snap, s),
            };
            let others = || peers.iter().filter(|p| !std::ptr::eq(p.snapshot, snap));
            let trimmed = |s: &str| s.trim_end_matches('/').to_string();
            let server = credentials
                .as_ref()
                .ok()
                .and_then(|k| k.server.as_deref())
                .map(trimmed);
            let target = others()
                .find(|p| server.is_some() && p.server.as_deref().map(trimmed) == server)
                .or_else(|| others().find(|p| p.name == target_name));
            LinkView {
                object: object.clone(),
                link,
                target_name,
                secret,
                credentials,
                target,
            }
        })
        .collect()
}

fn credentials<'a>(
    snap: &'a Snapshot,
    secret: &ObjectRef,
) -> Result<&'a RemoteKubeconfig, CredentialsError> {
    match snap.get(secret) {
        Some(ObjectState::Present {
            object: Object::Secret(s),
            ..
        }) => match &s.kubeconfig {
            Some(Ok(k)) => Ok(k),
            Some(Err(why)) => Err(CredentialsError::Unparseable(why.clone())),
            None => Err(CredentialsError::NoConfig(format!(
                "secret should contain target cluster name as annotation {REMOTE_CLUSTER_NAME_LABEL}"
            ))),
        },
        Some(ObjectState::Forbidden(why)) => Err(CredentialsError::Secret(why.clone())),
        _ => Err(CredentialsError::Secret(format!(
            "secrets \"{}\" not found",
            secret.name
        ))),
    }
}

/// The anchors of `linkerd-config` in namespace `ns` of `snap`, as linkerd's check reads them
/// (`values.identityTrustAnchorsPEM`, decoded strictly): `Err` when the config cannot be had
/// (linkerd's "unable to fetch anchors"), `Ok(Err)` when its anchors do not parse.
pub fn config_anchors(
    snap: &Snapshot,
    ns: &str,
) -> Result<Result<Vec<crate::cert::Cert>, String>, String> {
    let config = match snap.config_map(ns, LINKERD_CONFIG) {
        Fetched::Present(c) => c,
        Fetched::Forbidden(why) => return Err(why.to_string()),
        Fetched::Missing => return Err(format!("configmaps \"{LINKERD_CONFIG}\" not found")),
    };
    let values = config
        .data
        .get("values")
        .ok_or_else(|| format!("{LINKERD_CONFIG} has no values"))
        .and_then(|v| parse_values(v).map_err(|e| e.to_string()))?;
    let pem = values
        .get("identityTrustAnchorsPEM")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    Ok(crate::pem::decode_certificates(pem.as_bytes()).map_err(|e| e.to_string()))
}

/// linkerd's comparison: equal counts, and every remote anchor equal to the local anchor of the
/// same signature (so a remote bundle that repeats one local anchor passes, as it does there).
pub fn linkerd_share(local: &[crate::cert::Cert], remote: &[crate::cert::Cert]) -> bool {
    local.len() == remote.len()
        && remote.iter().all(|r| {
            local
                .iter()
                .rev()
                .find(|l| l.signature() == r.signature())
                .is_some_and(|l| l.der() == r.der())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::{Spec, p256, self_signed};

    /// linkerd's rule, as `checkRemoteClusterAnchors` writes it: equal counts, then each remote
    /// anchor looked up by signature in a map of the local ones and compared byte for byte.
    fn linkerd_go_rule(local: &[crate::cert::Cert], remote: &[crate::cert::Cert]) -> bool {
        if local.len() != remote.len() {
            return false;
        }
        let map: std::collections::HashMap<&[u8], &crate::cert::Cert> =
            local.iter().map(|c| (c.signature(), c)).collect();
        remote
            .iter()
            .all(|r| map.get(r.signature()).is_some_and(|l| l.der() == r.der()))
    }

    #[test]
    fn clusters_share_anchors_as_linkerd_decides_on_every_pair() {
        let a = self_signed(Spec::ca("root-a", 1), p256()).cert;
        let b = self_signed(Spec::ca("root-b", 2), p256()).cert;
        let c = self_signed(Spec::ca("root-c", 3), p256()).cert;
        let sets: Vec<(&str, Vec<crate::cert::Cert>)> = vec![
            ("{}", vec![]),
            ("{a}", vec![a.clone()]),
            ("{b}", vec![b.clone()]),
            ("{a,b}", vec![a.clone(), b.clone()]),
            ("{b,a}", vec![b.clone(), a.clone()]),
            ("{a,a}", vec![a.clone(), a.clone()]),
            ("{a,c}", vec![a.clone(), c.clone()]),
            ("{a,b,c}", vec![a.clone(), b.clone(), c.clone()]),
            ("{c,b,a}", vec![c.clone(), b.clone(), a.clone()]),
        ];
        // The table: what linkerd answers for (local, remote).
        let expected: &[(&str, &str, bool)] = &[
            ("{}", "{}", true),
            ("{a}", "{a}", true),
            ("{a}", "{b}", false),
            ("{a,b}", "{b,a}", true),
            ("{a,b}", "{a}", false),
            ("{a}", "{a,b}", false),
            // A staged rotation on one side only: linkerd fails it.
            ("{a,b}", "{a,c}", false),
            // linkerd's quirk: a remote bundle repeating a local anchor passes...
            ("{a,b}", "{a,a}", true),
            // ...but not the other way round.
            ("{a,a}", "{a,b}", false),
            ("{a,b,c}", "{c,b,a}", true),
        ];
        let get = |n: &str| &sets.iter().find(|(name, _)| *name == n).unwrap().1;
        for (local, remote, want) in expected {
            assert_eq!(
                linkerd_share(get(local), get(remote)),
                *want,
                "local {local}, remote {remote}"
            );
        }
        // And the reimplementation agrees with the rule as written, on every pair.
        for (ln, l) in &sets {
            for (rn, r) in &sets {
                assert_eq!(
                    linkerd_share(l, r),
                    linkerd_go_rule(l, r),
                    "local {ln}, remote {rn}"
                );
            }
        }
    }
}
