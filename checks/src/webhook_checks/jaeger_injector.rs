//! The jaeger extension's injector (the mutating webhook that configures proxy tracing).

use crate::snapshot::Kind;
use crate::webhook::{CaSource, Home};

webhook_component! {
    name: "jaeger-injector",
    home: Home::Extension("jaeger"),
    secret: "jaeger-injector-k8s-tls",
    legacy_secret: None,
    ca_source: CaSource::Webhook(
        Kind::MutatingWebhookConfiguration,
        "linkerd-jaeger-injector-webhook-config",
    ),
    service: "jaeger-injector",
    optional: false,
    category: LinkerdJaeger,
    fatal_in_linkerd: false,
    linkerd_has_it: false,
    valid: ("l5d-jaeger-injector-webhook-cert-valid", "jaeger-injector webhook has valid cert"),
    not_expiring_soon: ("l5d-jaeger-injector-webhook-cert-not-expiring-soon", "jaeger-injector cert is valid for at least 60 days"),
}
