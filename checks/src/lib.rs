//! meshcert's check engine: the Snapshot model, certificate parsing and verification with
//! linkerd's semantics, the registry of checks and the runner that turns them into a Report.
//!
//! Nothing in this crate performs I/O or reads the clock: a check is a pure function of a
//! [`snapshot::Snapshot`] and a [`check::Context`].

pub mod cert;
pub mod cert_manager;
pub mod check;
pub mod consistency_checks;
pub mod data_plane;
pub mod details;
#[doc(hidden)]
pub mod fuzzing;
pub mod identity;
pub mod identity_checks;
pub mod key;
pub mod margin;
pub mod multicluster;
pub mod multicluster_checks;
pub mod pem;
pub mod problem;
pub mod reads;
pub mod registry;
pub mod report;
pub mod rotation;
pub mod rules;
pub mod runtime;
pub mod runtime_checks;
pub mod scope;
pub mod snapshot;
pub mod trust_manager;
pub mod units;
pub mod verify;
pub mod webhook;
pub mod webhook_checks;
pub mod workload;
pub mod x509;
