//! The ServiceProfile validator (the validating webhook for ServiceProfiles).

use crate::snapshot::Kind;
use crate::webhook::{CaSource, Home};

webhook_component! {
    name: "sp-validator",
    home: Home::ControlPlane,
    secret: "linkerd-sp-validator-k8s-tls",
    legacy_secret: Some("linkerd-sp-validator-tls"),
    ca_source: CaSource::Webhook(
        Kind::ValidatingWebhookConfiguration,
        "linkerd-sp-validator-webhook-config",
    ),
    service: "linkerd-sp-validator",
    optional: false,
    category: LinkerdWebhooksAndApisvcTls,
    fatal_in_linkerd: true,
    linkerd_has_it: true,
    valid: ("l5d-sp-validator-webhook-cert-valid", "sp-validator webhook has valid cert"),
    not_expiring_soon: ("l5d-sp-validator-webhook-cert-not-expiring-soon", "sp-validator cert is valid for at least 60 days"),
}
