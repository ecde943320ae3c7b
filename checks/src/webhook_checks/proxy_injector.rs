//! The proxy injector (the mutating webhook that adds the proxy to pods).

use crate::snapshot::Kind;
use crate::webhook::{CaSource, Home};

webhook_component! {
    name: "proxy-injector",
    home: Home::ControlPlane,
    secret: "linkerd-proxy-injector-k8s-tls",
    legacy_secret: Some("linkerd-proxy-injector-tls"),
    ca_source: CaSource::Webhook(
        Kind::MutatingWebhookConfiguration,
        "linkerd-proxy-injector-webhook-config",
    ),
    service: "linkerd-proxy-injector",
    optional: false,
    category: LinkerdWebhooksAndApisvcTls,
    fatal_in_linkerd: true,
    linkerd_has_it: true,
    valid: ("l5d-proxy-injector-webhook-cert-valid", "proxy-injector webhook has valid cert"),
    not_expiring_soon: ("l5d-proxy-injector-webhook-cert-not-expiring-soon", "proxy-injector cert is valid for at least 60 days"),
}
