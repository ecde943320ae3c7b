//! The viz extension's tap API server (an aggregated API behind APIService v1alpha1.tap.linkerd.io).

use crate::webhook::{CaSource, Home};

webhook_component! {
    name: "tap API server",
    home: Home::Extension("viz"),
    secret: "tap-k8s-tls",
    legacy_secret: Some("linkerd-tap-tls"),
    ca_source: CaSource::ApiService("v1alpha1.tap.linkerd.io"),
    service: "tap",
    optional: false,
    category: LinkerdViz,
    fatal_in_linkerd: true,
    linkerd_has_it: true,
    valid: ("l5d-tap-cert-valid", "tap API server has valid cert"),
    not_expiring_soon: ("l5d-tap-cert-not-expiring-soon", "tap API server cert is valid for at least 60 days"),
}
