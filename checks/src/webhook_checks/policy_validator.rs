//! The policy validator (the validating webhook for policy resources).

use crate::snapshot::Kind;
use crate::webhook::{CaSource, Home};

webhook_component! {
    name: "policy-validator",
    home: Home::ControlPlane,
    secret: "linkerd-policy-validator-k8s-tls",
    legacy_secret: None,
    ca_source: CaSource::Webhook(
        Kind::ValidatingWebhookConfiguration,
        "linkerd-policy-validator-webhook-config",
    ),
    service: "linkerd-policy-validator",
    optional: true,
    category: LinkerdWebhooksAndApisvcTls,
    fatal_in_linkerd: true,
    linkerd_has_it: true,
    valid: ("l5d-policy-validator-webhook-cert-valid", "policy-validator webhook has valid cert"),
    not_expiring_soon: ("l5d-policy-validator-webhook-cert-not-expiring-soon", "policy-validator cert is valid for at least 60 days"),
}
