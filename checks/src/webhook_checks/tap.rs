//! The viz extension's tap API server (an aggregated API behind APIService v1alpha1.tap.linkerd.io).

use super::{WebhookCertNotExpiringSoon, WebhookCertValid};
use crate::check::{Category, CheckMeta, Severity};
use crate::webhook::{CaSource, Component, Home};

pub static COMPONENT: Component = Component {
    name: "tap API server",
    home: Home::Extension("viz"),
    secret: "tap-k8s-tls",
    legacy_secret: Some("linkerd-tap-tls"),
    ca_source: CaSource::ApiService("v1alpha1.tap.linkerd.io"),
    service: "tap",
    optional: false,
    checked_by: "tap API server has valid cert",
};

static VALID: CheckMeta = CheckMeta {
    id: "l5d-tap-cert-valid",
    category: Category::LinkerdViz,
    description: "tap API server has valid cert",
    severity: Severity::Error,
    fatal: true,
    uses_margin: false,
    docs: include_str!("../../docs/l5d-tap-cert-valid.md"),
};

static NOT_EXPIRING_SOON: CheckMeta = CheckMeta {
    id: "l5d-tap-cert-not-expiring-soon",
    category: Category::LinkerdViz,
    description: "tap API server cert is valid for at least 60 days",
    severity: Severity::Warning,
    fatal: false,
    uses_margin: true,
    docs: include_str!("../../docs/l5d-tap-cert-not-expiring-soon.md"),
};

pub static CERT_VALID: WebhookCertValid = WebhookCertValid {
    component: &COMPONENT,
    meta: &VALID,
};
pub static CERT_NOT_EXPIRING_SOON: WebhookCertNotExpiringSoon = WebhookCertNotExpiringSoon {
    component: &COMPONENT,
    meta: &NOT_EXPIRING_SOON,
};
