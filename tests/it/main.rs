//! meshcert's integration tests, in one binary (one link instead of one per file): the CLI
//! over the fixtures, the live source against a fake API server, the bad-input corpus, the
//! offline-dump recipe through a real kubectl, and the differential test against Go's
//! crypto/x509; `meshcert serve`, the alert rules and the dashboard with a real Prometheus,
//! promtool and Pushgateway. `common`, `fake_api`, `forge` and `programs` are their shared helpers.

mod common;
mod fake_api;
mod forge;
mod programs;

mod cli;
mod corpus;
mod exporter;
mod exposition;
mod federation;
mod go_differential;
mod hardening;
mod helm;
mod html;
mod kubectl_recipe;
mod live;
mod realapi;
