//! What the user scoped a run to (`-n`, `--viz-namespace`, `--jaeger-namespace`). It is part of
//! the run, not of the cluster's state, so it travels in the [`crate::check::Context`] and never
//! on the Snapshot: the same Snapshot checked with another scope gives that scope's report.

use std::collections::BTreeMap;

use crate::snapshot::Snapshot;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// `-n`: the data-plane namespace the checks look at (all namespaces when `None`).
    pub data_plane_namespace: Option<String>,
    /// Where an extension (`viz`, `jaeger`) is installed, given outright, overriding discovery.
    pub extension_namespaces: BTreeMap<String, String>,
}

impl Scope {
    /// Where the extension `name` is installed: the namespace given for it, else the one the
    /// Snapshot's namespaces are labelled with.
    pub fn extension_namespace(&self, snap: &Snapshot, name: &str) -> Option<String> {
        match self.extension_namespaces.get(name) {
            Some(ns) => Some(ns.clone()),
            None => snap.labelled_extension_namespace(name),
        }
    }

    /// A pod as linkerd names it in a list: `ns/name`, or `name` when `-n` scopes the check.
    pub fn pod_name(&self, namespace: &str, name: &str) -> String {
        match self.data_plane_namespace {
            Some(_) => name.to_string(),
            None => format!("{namespace}/{name}"),
        }
    }
}
