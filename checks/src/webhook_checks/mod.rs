//! Categories `linkerd-webhooks-and-apisvc-tls`, `linkerd-viz` and `linkerd-jaeger`: for each
//! component serving TLS to the API server, "<component> has valid cert" and "<component> cert
//! is valid for at least 60 days". One check type, parameterised by a [`Component`]; each
//! component's file holds its descriptor and the metadata of its two checks.

/// Declares one component's descriptor and its two checks: `COMPONENT`, `CERT_VALID` and
/// `CERT_NOT_EXPIRING_SOON`, with their docs pages `checks/docs/<id>.md`.
macro_rules! webhook_component {
    (
        name: $name:literal, home: $home:expr, secret: $secret:literal, legacy_secret: $legacy:expr,
        ca_source: $ca:expr, service: $service:literal, optional: $optional:literal,
        category: $category:ident, fatal_in_linkerd: $fatal:literal, linkerd_has_it: $linkerd:literal,
        valid: ($vid:literal, $vdesc:literal), not_expiring_soon: ($sid:literal, $sdesc:literal) $(,)?
    ) => {
        pub static COMPONENT: $crate::webhook::Component = $crate::webhook::Component {
            name: $name,
            home: $home,
            secret: $secret,
            legacy_secret: $legacy,
            ca_source: $ca,
            service: $service,
            optional: $optional,
            checked_by: $vdesc,
        };

        static VALID: $crate::check::CheckMeta = $crate::check::CheckMeta {
            id: $vid,
            category: $crate::check::Category::$category,
            description: $vdesc,
            severity: $crate::check::Severity::Error,
            fatal: $fatal,
            margin: None,
            linkerd_hint: $linkerd,
            docs: include_str!(concat!("../../docs/", $vid, ".md")),
        };

        static NOT_EXPIRING_SOON: $crate::check::CheckMeta = $crate::check::CheckMeta {
            id: $sid,
            category: $crate::check::Category::$category,
            description: $sdesc,
            severity: $crate::check::Severity::Warning,
            fatal: false,
            margin: Some($crate::check::MarginRole::Webhooks),
            linkerd_hint: $linkerd,
            docs: include_str!(concat!("../../docs/", $sid, ".md")),
        };

        pub static CERT_VALID: $crate::webhook_checks::WebhookCertValid =
            $crate::webhook_checks::WebhookCertValid {
                component: &COMPONENT,
                meta: &VALID,
            };
        pub static CERT_NOT_EXPIRING_SOON: $crate::webhook_checks::WebhookCertNotExpiringSoon =
            $crate::webhook_checks::WebhookCertNotExpiringSoon {
                component: &COMPONENT,
                meta: &NOT_EXPIRING_SOON,
            };
    };
}

pub mod jaeger_injector;
pub mod policy_validator;
pub mod proxy_injector;
pub mod sp_validator;
pub mod tap;
pub mod tap_injector;

use crate::cert::Cert;
use crate::check::{
    Check, CheckMeta, Context, Details, Failure, Input, MarginSpec, Outcome, Problem,
};
use crate::details::CertRole;
use crate::identity::Located;
use crate::rules::{expiring_problem, validity_problem};
use crate::snapshot::{Fetched, Snapshot};
use crate::verify::{Options, VerifyError, verify};
use crate::webhook::{Component, Unusable};

/// "<component> has valid cert": the caBundle's certificates are time-valid; the serving
/// certificate is time-valid, its key matches, and it verifies against the caBundle for
/// `<service>.<ns>.svc`.
pub struct WebhookCertValid {
    pub component: &'static Component,
    pub meta: &'static CheckMeta,
}

/// "<component> cert is valid for at least 60 days": the serving certificate and any further
/// certificates in its `tls.crt` do not expire within the margin.
pub struct WebhookCertNotExpiringSoon {
    pub component: &'static Component,
    pub meta: &'static CheckMeta,
}

use crate::identity_checks::cert_detail as detail;

/// `<serial> <CN> (notAfter <time>) in <origin>`: which certificate a message is about.
fn which<T>(cert: &Cert, from: &Located<T>) -> String {
    format!(
        "certificate {} (notAfter {}) in {}",
        cert.label(),
        crate::cert::format_time(cert.facts.not_after),
        from.origin
    )
}

impl Check for WebhookCertValid {
    fn meta(&self) -> &'static CheckMeta {
        self.meta
    }

    fn component(&self) -> Option<&'static Component> {
        Some(self.component)
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let comp = self.component;
        let Some(ns) = comp.namespace(snap, &cx.scope) else {
            return Outcome::Skip(format!("{} not installed", comp.name));
        };
        let (serving, ca) = (comp.serving(snap, &ns), comp.ca_bundle(snap));
        let mut problems = Vec::new();
        for r in [serving.as_ref().err(), ca.as_ref().err()]
            .into_iter()
            .flatten()
        {
            match r {
                Unusable::NotInstalled(why) => return Outcome::Skip(why.clone()),
                Unusable::Broken(p) => problems.extend(p.iter().cloned()),
            }
        }
        if let Ok(s) = &serving {
            problems.extend(s.key_problem.clone());
        }
        let (Ok(serving), Ok(ca)) = (serving, ca) else {
            return Outcome::Fail {
                error: Failure::problems(problems),
                details: Details::default(),
            };
        };
        let chain = &serving.chain;
        let leaf = chain.value.leaf();
        let mut details = Details::default();
        // 1. every certificate of the caBundle within its validity period
        let mut expired = Vec::new();
        for c in &ca.value {
            let p = validity_problem(c, cx.at);
            if let Some(p) = &p {
                expired.push(Problem::at(&ca.origin, format!("{} {p}", c.label())));
            }
            details
                .certificates
                .push(detail(CertRole::CaBundle, &ca, c, p));
        }
        if !problems.is_empty() {
            details
                .certificates
                .insert(0, detail(CertRole::Serving, chain, leaf, None));
            return Outcome::Fail {
                error: Failure::problems(problems),
                details,
            };
        }
        if !expired.is_empty() {
            details
                .certificates
                .insert(0, detail(CertRole::Serving, chain, leaf, None));
            return Outcome::Fail {
                error: Failure::titled(
                    format!("anchors not within their validity period ({}):", ca.origin),
                    expired,
                ),
                details,
            };
        }
        // 2. the serving certificate within its validity period
        if let Some(p) = validity_problem(leaf, cx.at) {
            details
                .certificates
                .insert(0, detail(CertRole::Serving, chain, leaf, Some(p.clone())));
            return Outcome::Fail {
                error: Problem::at(&chain.origin, format!("{} is {p}", which(leaf, chain))).into(),
                details,
            };
        }
        // 3. issued by the caBundle for the service's DNS name
        let dns = comp.dns_name(&ns);
        let intermediates = crate::verify::linkerd_intermediates(&chain.value);
        let opts = Options {
            roots: &ca.value,
            intermediates: &intermediates,
            dns_name: Some(&dns),
            at: cx.at,
        };
        let verdict = verify(leaf, &opts).map(|_| ()).map_err(|e| match &e {
            VerifyError::Hostname { dns_names, .. } if dns_names.is_empty() => format!(
                "{} is not valid for DNS name {dns} (it has no DNS SANs): {e}",
                which(leaf, chain)
            ),
            VerifyError::Hostname { dns_names, .. } => format!(
                "{} is not valid for DNS name {dns} (SANs: {}): {e}",
                which(leaf, chain),
                dns_names.join(", ")
            ),
            VerifyError::UnknownAuthority { .. } => format!(
                "{} is not signed by any certificate in {}: cert is not issued by the trust anchor: {e}",
                which(leaf, chain),
                ca.origin
            ),
            _ => format!(
                "{}: cert is not issued by the trust anchor: {}",
                which(leaf, chain),
                crate::verify::linkerd_message(&e, leaf, cx.at)
            ),
        });
        let problem = verdict.as_ref().err().cloned();
        details
            .certificates
            .insert(0, detail(CertRole::Serving, chain, leaf, problem));
        for c in chain.value.rest() {
            details
                .certificates
                .insert(1, detail(CertRole::ServingChain, chain, c, None));
        }
        match verdict {
            Ok(()) => Outcome::Pass(details),
            Err(error) => Outcome::Fail {
                error: Problem::at(&chain.origin, error).into(),
                details,
            },
        }
    }
}

impl WebhookCertNotExpiringSoon {
    /// The margin in force for the component's serving Secret (the current one, else the legacy
    /// one that exists), and where it came from when cert-manager's renewal point set it.
    fn margin(&self, snap: &Snapshot, cx: &Context) -> (MarginSpec, Option<String>) {
        let comp = self.component;
        let Some(ns) = comp.namespace(snap, &cx.scope) else {
            return (cx.margins.webhooks, None);
        };
        let secret = match (snap.secret(&ns, comp.secret), comp.legacy_secret) {
            (Fetched::Missing, Some(legacy)) => legacy,
            _ => comp.secret,
        };
        crate::cert_manager::secret_margin(
            snap,
            &ns,
            secret,
            cx.margins.webhooks,
            cx.webhooks_margin_set,
        )
    }
}

impl Check for WebhookCertNotExpiringSoon {
    fn meta(&self) -> &'static CheckMeta {
        self.meta
    }

    /// The margin in force: cert-manager's renewal point where a Certificate writes the
    /// serving Secret (a 24-hour certificate renews on its own clock), else the webhooks' margin.
    fn description(&self, input: &Input<'_>, cx: &Context) -> String {
        let (margin, from) = self.margin(input.snapshot(), cx);
        let text = self.meta.description_with_margin(&margin);
        match from {
            Some(from) => format!("{text} ({from})"),
            None => text,
        }
    }

    fn component(&self) -> Option<&'static Component> {
        Some(self.component)
    }

    fn run(&self, input: &Input<'_>, cx: &Context) -> Outcome {
        let snap = input.snapshot();
        let comp = self.component;
        let Some(ns) = comp.namespace(snap, &cx.scope) else {
            return Outcome::Skip(format!("{} not installed", comp.name));
        };
        // Not installed when either half is absent, as for the validity check.
        if let Err(Unusable::NotInstalled(why)) = comp.ca_bundle(snap) {
            return Outcome::Skip(why);
        }
        let serving = match comp.serving(snap, &ns) {
            Ok(s) => s,
            Err(Unusable::NotInstalled(why)) => return Outcome::Skip(why),
            Err(Unusable::Broken(_)) => {
                return Outcome::Skip(format!(
                    "the serving certificate could not be read (see \"{}\")",
                    comp.checked_by
                ));
            }
        };
        let chain = &serving.chain;
        let (margin, _) = self.margin(snap, cx);
        let mut details = Details::default();
        let mut soon = Vec::new();
        for c in chain.value.rest() {
            let p = expiring_problem(c, cx.at, margin);
            if let Some(p) = &p {
                soon.push(Problem::at(&chain.origin, format!("{} {p}", c.label())));
            }
            details
                .certificates
                .push(detail(CertRole::ServingChain, chain, c, p));
        }
        let leaf = chain.value.leaf();
        let leaf_problem = expiring_problem(leaf, cx.at, margin);
        details.certificates.insert(
            0,
            detail(CertRole::Serving, chain, leaf, leaf_problem.clone()),
        );
        if !soon.is_empty() {
            return Outcome::Fail {
                error: Failure::titled(format!("Anchors expiring soon ({}):", chain.origin), soon),
                details,
            };
        }
        match leaf_problem {
            None => Outcome::Pass(details),
            Some(p) => Outcome::Fail {
                error: Problem::at(&chain.origin, format!("{} {p}", which(leaf, chain))).into(),
                details,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testutil::*;
    use crate::identity_checks::testutil::{cx, error_of};
    use crate::snapshot::*;

    const CONFIG: &str = "linkerd-proxy-injector-webhook-config";

    /// A self-signed serving certificate for `dns`, as Helm's `genSelfSignedCert` makes them.
    fn helm_cert(dns: &'static str, serial: u64, not_after: &'static str) -> Made {
        let mut spec = Spec::leaf(dns, serial);
        spec.dns = vec![dns];
        spec.not_after = not_after;
        spec.ekus = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        self_signed(spec, p256())
    }

    fn secret(entries: &[(&str, String)]) -> Object {
        let mut s = Secret::default();
        for (k, v) in entries {
            s.data.insert(
                k.to_string(),
                SecretValue::Bytes(SecretBytes::new(v.clone().into_bytes())),
            );
        }
        Object::Secret(s)
    }

    fn put(snap: &mut Snapshot, key: ObjectRef, object: Object) {
        snap.insert(
            key,
            ObjectState::Present {
                object,
                from: "test".into(),
            },
        );
    }

    /// A snapshot with the proxy-injector's Secret (`tls.crt` = `chain`) and caBundle.
    fn injector(chain: &str, key: &str, ca_bundle: &str) -> Snapshot {
        let mut snap = Snapshot::new("linkerd");
        put(
            &mut snap,
            ObjectRef::new(Kind::Secret, "linkerd", "linkerd-proxy-injector-k8s-tls"),
            secret(&[("tls.crt", chain.to_string()), ("tls.key", key.to_string())]),
        );
        put(
            &mut snap,
            ObjectRef::cluster(Kind::MutatingWebhookConfiguration, CONFIG),
            Object::WebhookConfiguration(WebhookConfiguration {
                ca_bundles: vec![Some(Ok(ca_bundle.as_bytes().to_vec()))],
            }),
        );
        snap
    }

    const DNS: &str = "linkerd-proxy-injector.linkerd.svc";

    #[test]
    fn helm_self_signed_certificate_passes() {
        let c = helm_cert(DNS, 7, "2027-06-01T00:00:00Z");
        let snap = injector(&c.pem, &c.key_pem(), &c.pem);
        let Outcome::Pass(details) =
            proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())
        else {
            panic!()
        };
        let roles: Vec<_> = details
            .certificates
            .iter()
            .map(|d| d.role.as_str())
            .collect();
        assert_eq!(roles, ["serving", "ca-bundle"]);
        assert!(matches!(
            proxy_injector::CERT_NOT_EXPIRING_SOON.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn certificate_from_a_webhook_ca_passes() {
        let ca = self_signed(Spec::ca("webhook.linkerd.cluster.local", 1), p256());
        let mut spec = Spec::leaf(DNS, 2);
        spec.dns = vec![DNS];
        let leaf = signed(spec, p256(), &ca);
        let snap = injector(&leaf.pem, &leaf.key_pem(), &ca.pem);
        assert!(matches!(
            proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
    }

    #[test]
    fn expired_serving_certificate_names_object_key_and_certificate() {
        let ca = self_signed(Spec::ca("webhook-ca", 1), p256());
        let mut spec = Spec::leaf(DNS, 2);
        spec.dns = vec![DNS];
        spec.not_after = "2026-10-01T00:00:00Z";
        let leaf = signed(spec, p256(), &ca);
        let snap = injector(&leaf.pem, &leaf.key_pem(), &ca.pem);
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "certificate 2 linkerd-proxy-injector.linkerd.svc (notAfter 2026-10-01T00:00:00Z) in key tls.crt of Secret linkerd/linkerd-proxy-injector-k8s-tls is not valid anymore. Expired on 2026-10-01T00:00:00Z"
        );
        assert_eq!(
            error_of(
                proxy_injector::CERT_NOT_EXPIRING_SOON.run(&crate::check::Input::new(&snap), &cx())
            ),
            "certificate 2 linkerd-proxy-injector.linkerd.svc (notAfter 2026-10-01T00:00:00Z) in key tls.crt of Secret linkerd/linkerd-proxy-injector-k8s-tls will expire on 2026-10-01T00:00:00Z"
        );
    }

    #[test]
    fn expired_ca_bundle_certificate_is_reported_first_as_in_linkerd() {
        let c = helm_cert(DNS, 9, "2026-01-01T00:00:00Z");
        let snap = injector(&c.pem, &c.key_pem(), &c.pem);
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "anchors not within their validity period (webhooks[0].clientConfig.caBundle of MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config):\n\t* 9 linkerd-proxy-injector.linkerd.svc not valid anymore. Expired on 2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn wrong_dns_name_lists_the_sans() {
        let c = helm_cert(
            "linkerd-proxy-injector.other.svc",
            3,
            "2027-06-01T00:00:00Z",
        );
        let snap = injector(&c.pem, &c.key_pem(), &c.pem);
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "certificate 3 linkerd-proxy-injector.other.svc (notAfter 2027-06-01T00:00:00Z) in key tls.crt of Secret linkerd/linkerd-proxy-injector-k8s-tls is not valid for DNS name linkerd-proxy-injector.linkerd.svc (SANs: linkerd-proxy-injector.other.svc): x509: certificate is valid for linkerd-proxy-injector.other.svc, not linkerd-proxy-injector.linkerd.svc"
        );
    }

    #[test]
    fn certificate_from_another_ca_is_not_signed_by_the_ca_bundle() {
        let ca = self_signed(Spec::ca("webhook-ca", 1), p256());
        let other = self_signed(Spec::ca("other-ca", 5), p256());
        let mut spec = Spec::leaf(DNS, 2);
        spec.dns = vec![DNS];
        let leaf = signed(spec, p256(), &other);
        let snap = injector(&leaf.pem, &leaf.key_pem(), &ca.pem);
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "certificate 2 linkerd-proxy-injector.linkerd.svc (notAfter 2035-01-01T00:00:00Z) in key tls.crt of Secret linkerd/linkerd-proxy-injector-k8s-tls is not signed by any certificate in webhooks[0].clientConfig.caBundle of MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config: cert is not issued by the trust anchor: x509: certificate signed by unknown authority"
        );
    }

    #[test]
    fn key_that_does_not_match_is_named() {
        let c = helm_cert(DNS, 7, "2027-06-01T00:00:00Z");
        let snap = injector(&c.pem, &p256().serialize_pem(), &c.pem);
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "tls: Public and private key do not match: the private key in key tls.key of Secret linkerd/linkerd-proxy-injector-k8s-tls does not belong to the certificate in key tls.crt of Secret linkerd/linkerd-proxy-injector-k8s-tls"
        );
    }

    #[test]
    fn legacy_secret_is_read_when_the_new_one_is_absent() {
        let c = helm_cert(DNS, 7, "2027-06-01T00:00:00Z");
        let mut snap = injector(&c.pem, &c.key_pem(), &c.pem);
        snap = {
            let mut s = Snapshot::new("linkerd");
            for (k, v) in snap.objects() {
                if k.name != "linkerd-proxy-injector-k8s-tls" {
                    s.insert(k.clone(), v.clone());
                }
            }
            s
        };
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "Secret linkerd/linkerd-proxy-injector-k8s-tls not found (nor the legacy Secret linkerd/linkerd-proxy-injector-tls)"
        );
        assert!(
            matches!(proxy_injector::CERT_NOT_EXPIRING_SOON.run(&crate::check::Input::new(&snap), &cx()), Outcome::Skip(ref r) if r.contains("proxy-injector webhook has valid cert"))
        );
        put(
            &mut snap,
            ObjectRef::new(Kind::Secret, "linkerd", "linkerd-proxy-injector-tls"),
            secret(&[("crt.pem", c.pem.clone()), ("key.pem", c.key_pem())]),
        );
        let Outcome::Pass(d) =
            proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())
        else {
            panic!()
        };
        assert_eq!(
            d.certificates[0].source,
            "key crt.pem of Secret linkerd/linkerd-proxy-injector-tls"
        );
    }

    #[test]
    fn policy_validator_absent_is_skipped_but_an_absent_injector_fails() {
        let snap = Snapshot::new("linkerd");
        assert_eq!(
            policy_validator::CERT_VALID.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Skip("policy-validator not installed".into())
        );
        assert_eq!(
            policy_validator::CERT_NOT_EXPIRING_SOON.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Skip("policy-validator not installed".into())
        );
        let err = error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx()));
        assert!(
            err.contains("* Secret linkerd/linkerd-proxy-injector-k8s-tls not found"),
            "{err}"
        );
        assert!(
            err.contains(
                "* MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config not found"
            ),
            "{err}"
        );
    }

    #[test]
    fn webhook_configuration_must_hold_one_webhook_with_a_ca_bundle() {
        let c = helm_cert(DNS, 7, "2027-06-01T00:00:00Z");
        let mut snap = injector(&c.pem, &c.key_pem(), &c.pem);
        let key = ObjectRef::cluster(Kind::MutatingWebhookConfiguration, CONFIG);
        let two = WebhookConfiguration {
            ca_bundles: vec![None, None],
        };
        put(&mut snap, key.clone(), Object::WebhookConfiguration(two));
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "expected 1 webhooks, found 2 in MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config"
        );
        put(
            &mut snap,
            key.clone(),
            Object::WebhookConfiguration(WebhookConfiguration {
                ca_bundles: vec![None],
            }),
        );
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "webhooks[0].clientConfig.caBundle of MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config is empty"
        );
        let placeholder = WebhookConfiguration {
            ca_bundles: vec![Some(Ok(b"proxy injector CA bundle".to_vec()))],
        };
        put(&mut snap, key, Object::WebhookConfiguration(placeholder));
        assert_eq!(
            error_of(proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx())),
            "could not parse webhooks[0].clientConfig.caBundle of MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config: not a PEM certificate"
        );
    }

    #[test]
    fn margin_covers_extra_certificates_in_tls_crt() {
        let mut ca_spec = Spec::ca("intermediate", 4);
        ca_spec.not_after = "2026-12-01T00:00:00Z";
        let root = self_signed(Spec::ca("root", 1), p256());
        let inter = signed(ca_spec, p256(), &root);
        let mut spec = Spec::leaf(DNS, 5);
        spec.dns = vec![DNS];
        spec.not_after = "2026-11-30T00:00:00Z";
        let leaf = signed(spec, p256(), &inter);
        let chain = format!("{}{}", leaf.pem, inter.pem);
        let snap = injector(&chain, &leaf.key_pem(), &root.pem);
        assert!(matches!(
            proxy_injector::CERT_VALID.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
        assert_eq!(
            error_of(
                proxy_injector::CERT_NOT_EXPIRING_SOON.run(&crate::check::Input::new(&snap), &cx())
            ),
            "Anchors expiring soon (key tls.crt of Secret linkerd/linkerd-proxy-injector-k8s-tls):\n\t* 4 intermediate will expire on 2026-12-01T00:00:00Z"
        );
    }

    #[test]
    fn extension_checks_run_only_where_the_extension_is() {
        let c = helm_cert("tap.linkerd-viz.svc", 7, "2027-06-01T00:00:00Z");
        let mut snap = Snapshot::new("linkerd");
        put(
            &mut snap,
            ObjectRef::new(Kind::Secret, "linkerd-viz", "tap-k8s-tls"),
            secret(&[("tls.crt", c.pem.clone()), ("tls.key", c.key_pem())]),
        );
        put(
            &mut snap,
            ObjectRef::cluster(Kind::APIService, "v1alpha1.tap.linkerd.io"),
            Object::ApiService(ApiService {
                ca_bundle: Some(Ok(c.pem.clone().into_bytes())),
            }),
        );
        assert_eq!(
            tap::CERT_VALID.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Skip("tap API server not installed".into())
        );
        assert!(!crate::check::Category::LinkerdViz.applies(&snap, &cx().scope));
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("linkerd.io/extension".to_string(), "viz".to_string());
        put(
            &mut snap,
            ObjectRef::cluster(Kind::Namespace, "linkerd-viz"),
            Object::Namespace(Namespace { labels }),
        );
        assert!(crate::check::Category::LinkerdViz.applies(&snap, &cx().scope));
        assert!(matches!(
            tap::CERT_VALID.run(&crate::check::Input::new(&snap), &cx()),
            Outcome::Pass(_)
        ));
        // An override elsewhere: the certificate is not valid for tap.other.svc.
        let mut elsewhere = cx();
        elsewhere
            .scope
            .extension_namespaces
            .insert("viz".into(), "other".into());
        let err = error_of(tap::CERT_VALID.run(&crate::check::Input::new(&snap), &elsewhere));
        assert!(err.contains("Secret other/tap-k8s-tls not found"), "{err}");
    }
}
