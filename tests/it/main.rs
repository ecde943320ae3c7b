//! meshcert's integration tests, in one binary (one link instead of one per file): the CLI
//! over the fixtures, the live source against a fake API server, the bad-input corpus, the
//! offline-dump recipe through a real kubectl, and the differential test against Go's
//! crypto/x509. `common`, `fake_api` and `forge` are their shared helpers.

mod common;
mod fake_api;
mod forge;

mod cli;
mod corpus;
mod go_differential;
mod kubectl_recipe;
mod live;
