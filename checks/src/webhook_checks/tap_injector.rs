//! The viz extension's tap injector (the mutating webhook that enables tap on meshed pods).

use crate::snapshot::Kind;
use crate::webhook::{CaSource, Home};

webhook_component! {
    name: "tap-injector",
    home: Home::Extension("viz"),
    secret: "tap-injector-k8s-tls",
    legacy_secret: None,
    ca_source: CaSource::Webhook(
        Kind::MutatingWebhookConfiguration,
        "linkerd-tap-injector-webhook-config",
    ),
    service: "tap-injector",
    optional: false,
    category: LinkerdViz,
    fatal_in_linkerd: false,
    linkerd_has_it: false,
    valid: ("l5d-tap-injector-webhook-cert-valid", "tap-injector webhook has valid cert"),
    not_expiring_soon: ("l5d-tap-injector-webhook-cert-not-expiring-soon", "tap-injector cert is valid for at least 60 days"),
}
