//! The workload that owns a pod: what the data-plane and runtime checks group pods by, and what
//! a restart command names.

/// The workload that owns a pod, derived from its owner references.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Workload {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, … or `Pod` for a bare pod.
    pub kind: String,
    pub name: String,
}
