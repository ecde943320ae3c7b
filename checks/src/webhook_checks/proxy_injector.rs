//! The proxy injector (the mutating webhook that adds the proxy to pods).

use super::{WebhookCertNotExpiringSoon, WebhookCertValid};
use crate::check::{Category, CheckMeta, Severity};
use crate::snapshot::Kind;
use crate::webhook::{CaSource, Component, Home};

pub static COMPONENT: Component = Component {
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
    checked_by: "proxy-injector webhook has valid cert",
};

static VALID: CheckMeta = CheckMeta {
    id: "l5d-proxy-injector-webhook-cert-valid",
    category: Category::LinkerdWebhooksAndApisvcTls,
    description: "proxy-injector webhook has valid cert",
    severity: Severity::Error,
    fatal: true,
    uses_margin: false,
    docs: include_str!("../../docs/l5d-proxy-injector-webhook-cert-valid.md"),
};

static NOT_EXPIRING_SOON: CheckMeta = CheckMeta {
    id: "l5d-proxy-injector-webhook-cert-not-expiring-soon",
    category: Category::LinkerdWebhooksAndApisvcTls,
    description: "proxy-injector cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    uses_margin: true,
    docs: include_str!("../../docs/l5d-proxy-injector-webhook-cert-not-expiring-soon.md"),
};

pub static CERT_VALID: WebhookCertValid = WebhookCertValid {
    component: &COMPONENT,
    meta: &VALID,
};
pub static CERT_NOT_EXPIRING_SOON: WebhookCertNotExpiringSoon = WebhookCertNotExpiringSoon {
    component: &COMPONENT,
    meta: &NOT_EXPIRING_SOON,
};
