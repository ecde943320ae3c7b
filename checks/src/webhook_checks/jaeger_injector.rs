//! The jaeger extension's injector (the mutating webhook that configures proxy tracing).

use super::{WebhookCertNotExpiringSoon, WebhookCertValid};
use crate::check::{Category, CheckMeta, Severity};
use crate::snapshot::Kind;
use crate::webhook::{CaSource, Component, Home};

pub static COMPONENT: Component = Component {
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
    checked_by: "jaeger-injector webhook has valid cert",
};

static VALID: CheckMeta = CheckMeta {
    id: "l5d-jaeger-injector-webhook-cert-valid",
    category: Category::LinkerdJaeger,
    description: "jaeger-injector webhook has valid cert",
    severity: Severity::Error,
    fatal: true,
    uses_margin: false,
    docs: include_str!("../../docs/l5d-jaeger-injector-webhook-cert-valid.md"),
};

static NOT_EXPIRING_SOON: CheckMeta = CheckMeta {
    id: "l5d-jaeger-injector-webhook-cert-not-expiring-soon",
    category: Category::LinkerdJaeger,
    description: "jaeger-injector cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    uses_margin: true,
    docs: include_str!("../../docs/l5d-jaeger-injector-webhook-cert-not-expiring-soon.md"),
};

pub static CERT_VALID: WebhookCertValid = WebhookCertValid {
    component: &COMPONENT,
    meta: &VALID,
};
pub static CERT_NOT_EXPIRING_SOON: WebhookCertNotExpiringSoon = WebhookCertNotExpiringSoon {
    component: &COMPONENT,
    meta: &NOT_EXPIRING_SOON,
};
