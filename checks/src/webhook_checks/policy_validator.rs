//! The policy validator (the validating webhook for policy resources).

use super::{WebhookCertNotExpiringSoon, WebhookCertValid};
use crate::check::{Category, CheckMeta, Severity};
use crate::snapshot::Kind;
use crate::webhook::{CaSource, Component, Home};

pub static COMPONENT: Component = Component {
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
    checked_by: "policy-validator webhook has valid cert",
};

static VALID: CheckMeta = CheckMeta {
    id: "l5d-policy-validator-webhook-cert-valid",
    category: Category::LinkerdWebhooksAndApisvcTls,
    description: "policy-validator webhook has valid cert",
    severity: Severity::Error,
    fatal: true,
    uses_margin: false,
    docs: include_str!("../../docs/l5d-policy-validator-webhook-cert-valid.md"),
};

static NOT_EXPIRING_SOON: CheckMeta = CheckMeta {
    id: "l5d-policy-validator-webhook-cert-not-expiring-soon",
    category: Category::LinkerdWebhooksAndApisvcTls,
    description: "policy-validator cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    uses_margin: true,
    docs: include_str!("../../docs/l5d-policy-validator-webhook-cert-not-expiring-soon.md"),
};

pub static CERT_VALID: WebhookCertValid = WebhookCertValid {
    component: &COMPONENT,
    meta: &VALID,
};
pub static CERT_NOT_EXPIRING_SOON: WebhookCertNotExpiringSoon = WebhookCertNotExpiringSoon {
    component: &COMPONENT,
    meta: &NOT_EXPIRING_SOON,
};
