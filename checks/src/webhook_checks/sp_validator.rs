//! The ServiceProfile validator (the validating webhook for ServiceProfiles).

use super::{WebhookCertNotExpiringSoon, WebhookCertValid};
use crate::check::{Category, CheckMeta, Severity};
use crate::snapshot::Kind;
use crate::webhook::{CaSource, Component, Home};

pub static COMPONENT: Component = Component {
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
    checked_by: "sp-validator webhook has valid cert",
};

static VALID: CheckMeta = CheckMeta {
    id: "l5d-sp-validator-webhook-cert-valid",
    category: Category::LinkerdWebhooksAndApisvcTls,
    description: "sp-validator webhook has valid cert",
    severity: Severity::Error,
    fatal: true,
    uses_margin: false,
    docs: include_str!("../../docs/l5d-sp-validator-webhook-cert-valid.md"),
};

static NOT_EXPIRING_SOON: CheckMeta = CheckMeta {
    id: "l5d-sp-validator-webhook-cert-not-expiring-soon",
    category: Category::LinkerdWebhooksAndApisvcTls,
    description: "sp-validator cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    uses_margin: true,
    docs: include_str!("../../docs/l5d-sp-validator-webhook-cert-not-expiring-soon.md"),
};

pub static CERT_VALID: WebhookCertValid = WebhookCertValid {
    component: &COMPONENT,
    meta: &VALID,
};
pub static CERT_NOT_EXPIRING_SOON: WebhookCertNotExpiringSoon = WebhookCertNotExpiringSoon {
    component: &COMPONENT,
    meta: &NOT_EXPIRING_SOON,
};
