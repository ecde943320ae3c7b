//! The viz extension's tap injector (the mutating webhook that enables tap on meshed pods).

use super::{WebhookCertNotExpiringSoon, WebhookCertValid};
use crate::check::{Category, CheckMeta, Severity};
use crate::snapshot::Kind;
use crate::webhook::{CaSource, Component, Home};

pub static COMPONENT: Component = Component {
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
    checked_by: "tap-injector webhook has valid cert",
};

static VALID: CheckMeta = CheckMeta {
    id: "l5d-tap-injector-webhook-cert-valid",
    category: Category::LinkerdViz,
    description: "tap-injector webhook has valid cert",
    severity: Severity::Error,
    fatal: true,
    uses_margin: false,
    docs: include_str!("../../docs/l5d-tap-injector-webhook-cert-valid.md"),
};

static NOT_EXPIRING_SOON: CheckMeta = CheckMeta {
    id: "l5d-tap-injector-webhook-cert-not-expiring-soon",
    category: Category::LinkerdViz,
    description: "tap-injector cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    uses_margin: true,
    docs: include_str!("../../docs/l5d-tap-injector-webhook-cert-not-expiring-soon.md"),
};

pub static CERT_VALID: WebhookCertValid = WebhookCertValid {
    component: &COMPONENT,
    meta: &VALID,
};
pub static CERT_NOT_EXPIRING_SOON: WebhookCertNotExpiringSoon = WebhookCertNotExpiringSoon {
    component: &COMPONENT,
    meta: &NOT_EXPIRING_SOON,
};
