//! cert-manager: whether it manages the identity issuer Secret, what its Certificate says about
//! renewal, and the issuer expiry margin that follows from it.
//!
//! cert-manager is known to manage the issuer when a `cert-manager.io/v1` Certificate in the
//! control-plane namespace has `spec.secretName: linkerd-identity-issuer`, or when the Secret
//! carries cert-manager's `cert-manager.io/certificate-name` annotation.

use chrono::TimeDelta;

use crate::identity::ISSUER_SECRET;
use crate::margin::{Margin, MarginSpec};
use crate::snapshot::{Certificate, Fetched, Kind, Object, ObjectRef, ObjectState, Snapshot};

/// The annotation cert-manager puts on every Secret it writes.
pub const CERTIFICATE_NAME_ANNOTATION: &str = "cert-manager.io/certificate-name";

/// cert-manager's default `spec.duration` (90 days).
const DEFAULT_DURATION: TimeDelta = TimeDelta::days(90);

/// Whether cert-manager manages the issuer Secret.
#[derive(Debug)]
pub enum Management<'a> {
    No,
    /// Cannot tell: the Certificate could not be read and the Secret says nothing.
    Unknown(String),
    Yes {
        /// The Certificate that writes the issuer Secret.
        object: ObjectRef,
        /// The Certificate, or why it is not available.
        certificate: Result<&'a Certificate, String>,
    },
}

/// How cert-manager manages the issuer Secret of `snap`.
pub fn issuer_management(snap: &Snapshot) -> Management<'_> {
    if snap.identity_files().is_some() {
        return Management::No;
    }
    management(snap, &snap.linkerd_namespace, ISSUER_SECRET, "the issuer")
}

/// How cert-manager manages Secret `ns/secret_name` (`what` names it in messages): the
/// Certificate of that namespace that writes it (the one the Secret's annotation names first),
/// or the one the annotation names when it is not there.
pub fn management<'a>(
    snap: &'a Snapshot,
    ns: &str,
    secret_name: &str,
    what: &str,
) -> Management<'a> {
    let annotated = match snap.secret(ns, secret_name) {
        Fetched::Present(s) => s.cert_manager_annotations.get(CERTIFICATE_NAME_ANNOTATION),
        _ => None,
    };
    let mut writers: Vec<(&str, &Certificate)> = snap
        .certificates(ns)
        .filter(|(_, c)| c.secret_name.as_deref() == Some(secret_name))
        .collect();
    // The annotated one first, then by name.
    writers.sort_by_key(|(name, _)| (Some(*name) != annotated.map(String::as_str), *name));
    if let Some((name, certificate)) = writers.first() {
        return Management::Yes {
            object: ObjectRef::new(Kind::Certificate, ns, *name),
            certificate: Ok(certificate),
        };
    }
    let secret = ObjectRef::new(Kind::Secret, ns, secret_name);
    if let Some(name) = annotated {
        let object = ObjectRef::new(Kind::Certificate, ns, name.as_str());
        let certificate = match snap.get(&object) {
            _ if snap.certificates_served == Some(false) => Err(format!(
                "{secret} carries {CERTIFICATE_NAME_ANNOTATION}: {name}, but {NOT_INSTALLED}: cert-manager will not renew {what}"
            )),
            Some(ObjectState::Present {
                object: Object::Certificate(c),
                ..
            }) => Err(format!(
                "{secret} carries {CERTIFICATE_NAME_ANNOTATION}: {name}, but {object} writes {} instead",
                c.secret_name
                    .as_deref()
                    .map_or("no Secret (no spec.secretName)".to_string(), |s| format!(
                        "Secret {ns}/{s}"
                    ))
            )),
            Some(ObjectState::Forbidden(why)) => Err(format!("cannot read {object}: {why}")),
            _ => Err(format!(
                "{secret} carries {CERTIFICATE_NAME_ANNOTATION}: {name}, but {object} was not found: cert-manager will not renew {what}"
            )),
        };
        return Management::Yes {
            object,
            certificate,
        };
    }
    match snap.get(&ObjectRef::new(Kind::Certificate, ns, secret_name)) {
        Some(ObjectState::Forbidden(why)) => Management::Unknown(format!(
            "cannot tell whether cert-manager manages {what}: {why}"
        )),
        _ => Management::No,
    }
}

/// What the cluster says when cert-manager's CRDs are not there.
const NOT_INSTALLED: &str =
    "cert-manager is not installed (the API server serves no cert-manager.io/v1 Certificates)";

/// The reason the cert-manager checks skip when cert-manager does not manage the issuer.
pub fn not_managed(snap: &Snapshot) -> String {
    if snap.certificates_served == Some(false) {
        return NOT_INSTALLED.to_string();
    }
    format!(
        "the issuer is not managed by cert-manager (no Certificate in namespace {} writes Secret {ISSUER_SECRET})",
        snap.linkerd_namespace
    )
}

/// When cert-manager renews a Certificate, as a margin before its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// `spec.renewBefore`.
    Before(TimeDelta),
    /// `spec.renewBeforePercentage`.
    Percentage(u8),
    /// Neither is set: cert-manager renews when a third of the lifetime remains.
    Default,
}

impl Renewal {
    pub fn margin(self) -> MarginSpec {
        match self {
            Renewal::Before(d) => MarginSpec::Fixed(Margin::from_delta(d)),
            Renewal::Percentage(p) => MarginSpec::Lifetime(p),
            Renewal::Default => MarginSpec::Lifetime(33),
        }
    }
}

/// The Certificate's renewal setting, or what is wrong with it (naming the field).
pub fn renewal(c: &Certificate) -> Result<Renewal, String> {
    if let Some(p) = &c.renew_before_percentage {
        return match p.trim().parse::<u8>() {
            Ok(n) if (1..100).contains(&n) => Ok(Renewal::Percentage(n)),
            _ => Err(format!(
                "spec.renewBeforePercentage {p:?} is not a whole number from 1 to 99"
            )),
        };
    }
    match &c.renew_before {
        Some(text) => parse_go_duration(text)
            .map(Renewal::Before)
            .map_err(|e| format!("spec.renewBefore: {e}")),
        None => Ok(Renewal::Default),
    }
}

/// The Certificate's `spec.duration`, or cert-manager's default of 90 days.
pub fn duration(c: &Certificate) -> Result<TimeDelta, String> {
    match &c.duration {
        Some(text) => parse_go_duration(text).map_err(|e| format!("spec.duration: {e}")),
        None => Ok(DEFAULT_DURATION),
    }
}

/// The issuer's expiry margin in force: the one the user set, else the renewal point of the
/// cert-manager Certificate that manages it, else linkerd's 60 days. The text says where a
/// margin other than the user's came from, and why linkerd's applies when the Certificate that
/// would set it could not be read. `configured` is the run's issuer margin, `set` whether the
/// user set it.
pub fn issuer_margin(
    snap: &Snapshot,
    configured: MarginSpec,
    set: bool,
) -> (MarginSpec, Option<String>) {
    if set {
        return (configured, None);
    }
    let ns = snap.linkerd_namespace.as_str();
    margin_of(snap, issuer_management(snap), ns, ISSUER_SECRET, configured)
}

/// The expiry margin in force for Secret `ns/secret_name`, as for the issuer: the user's when
/// set, else the renewal point of the cert-manager Certificate that writes it, else
/// `configured`.
pub fn secret_margin(
    snap: &Snapshot,
    ns: &str,
    secret_name: &str,
    configured: MarginSpec,
    set: bool,
) -> (MarginSpec, Option<String>) {
    if set {
        return (configured, None);
    }
    let what = format!("Secret {ns}/{secret_name}");
    margin_of(
        snap,
        management(snap, ns, secret_name, &what),
        ns,
        secret_name,
        configured,
    )
}

/// The margin of Secret `ns/secret_name`, which `managed` says how cert-manager manages.
fn margin_of(
    snap: &Snapshot,
    managed: Management<'_>,
    ns: &str,
    secret_name: &str,
    configured: MarginSpec,
) -> (MarginSpec, Option<String>) {
    // The rule that would allow the read, where the source named it.
    let forbidden = |object: &ObjectRef| match snap.get(object) {
        Some(ObjectState::Forbidden(why)) => Some(format!(
            "{object} is forbidden: cert-manager's renewal point is unknown{}",
            why.find("meshcert needs")
                .map(|i| format!(" ({})", &why[i..]))
                .unwrap_or_default()
        )),
        _ => None,
    };
    match managed {
        Management::Yes {
            certificate: Ok(c), ..
        } => {
            if let Ok(r) = renewal(c) {
                let from = match r {
                    Renewal::Before(_) => "cert-manager's renewBefore",
                    Renewal::Percentage(_) => "cert-manager's renewBeforePercentage",
                    Renewal::Default => "cert-manager's default renewal",
                };
                return (r.margin(), Some(from.to_string()));
            }
            (configured, None)
        }
        Management::Yes {
            object,
            certificate: Err(_),
        } => (configured, forbidden(&object)),
        Management::Unknown(_) => {
            let object = ObjectRef::new(Kind::Certificate, ns, secret_name);
            (configured, forbidden(&object))
        }
        Management::No => (configured, None),
    }
}

/// Go's `time.ParseDuration` (`2160h0m0s`, `1.5h`, `90m`), in Go's integer arithmetic;
/// negative durations are refused.
pub fn parse_go_duration(text: &str) -> Result<TimeDelta, String> {
    let nanos = crate::units::go_duration_nanos(text)
        .map_err(|why| format!("invalid duration {text:?}: {why}"))?;
    Ok(TimeDelta::nanoseconds(nanos as i64))
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use crate::snapshot::{Condition, Object, ObjectState, Secret};

    pub fn managed_snapshot(
        certificate: Option<Certificate>,
        annotation: Option<&str>,
    ) -> Snapshot {
        let mut snap = Snapshot::new("linkerd");
        let mut secret = Secret::default();
        if let Some(a) = annotation {
            secret
                .cert_manager_annotations
                .insert(CERTIFICATE_NAME_ANNOTATION.into(), a.into());
        }
        snap.insert(
            ObjectRef::new(Kind::Secret, "linkerd", ISSUER_SECRET),
            ObjectState::Present {
                object: Object::Secret(secret),
                from: "t".into(),
            },
        );
        if let Some(c) = certificate {
            snap.insert(
                ObjectRef::new(Kind::Certificate, "linkerd", "issuer-cert"),
                ObjectState::Present {
                    object: Object::Certificate(Box::new(c)),
                    from: "t".into(),
                },
            );
        }
        snap
    }

    pub fn writes_issuer() -> Certificate {
        Certificate {
            secret_name: Some(ISSUER_SECRET.into()),
            duration: Some("48h0m0s".into()),
            renew_before: Some("25h0m0s".into()),
            renew_before_percentage: None,
            ready: Some(Condition {
                status: "True".into(),
                reason: Some("Ready".into()),
                message: None,
            }),
            ..Default::default()
        }
    }

    /// A snapshot whose issuer Secret is written by `certificate` (Certificate linkerd/issuer-cert).
    pub fn managed(certificate: Certificate) -> Snapshot {
        managed_snapshot(Some(certificate), None)
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn go_durations_parse_as_go_does() {
        let h = TimeDelta::hours;
        assert_eq!(parse_go_duration("2160h0m0s"), Ok(h(2160)));
        assert_eq!(parse_go_duration("48h"), Ok(h(48)));
        assert_eq!(parse_go_duration("1h30m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse_go_duration("1.5h"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse_go_duration("+25h"), Ok(h(25)));
        assert_eq!(parse_go_duration("0"), Ok(TimeDelta::zero()));
        assert_eq!(parse_go_duration("300ms"), Ok(TimeDelta::milliseconds(300)));
        assert_eq!(parse_go_duration("2µs"), Ok(TimeDelta::microseconds(2)));
        for (bad, why) in [
            ("", "empty"),
            ("48", "missing unit"),
            ("48d", "unknown unit \"d\""),
            ("-1h", "a negative duration"),
            ("h", "expected a number"),
            ("1..5h", "expected a number"),
            ("99999999999999h", "too large"),
        ] {
            let err = parse_go_duration(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn management_is_found_by_secret_name_or_annotation() {
        // By spec.secretName, whatever the Certificate's name.
        let snap = managed_snapshot(Some(writes_issuer()), None);
        match issuer_management(&snap) {
            Management::Yes {
                object,
                certificate: Ok(c),
            } => {
                assert_eq!(object.to_string(), "Certificate linkerd/issuer-cert");
                assert_eq!(c.renew_before.as_deref(), Some("25h0m0s"));
            }
            other => panic!("{other:?}"),
        }
        // Annotated, but the Certificate is gone.
        let snap = managed_snapshot(None, Some("issuer-cert"));
        match issuer_management(&snap) {
            Management::Yes {
                certificate: Err(why),
                ..
            } => assert_eq!(
                why,
                "Secret linkerd/linkerd-identity-issuer carries cert-manager.io/certificate-name: issuer-cert, but Certificate linkerd/issuer-cert was not found: cert-manager will not renew the issuer"
            ),
            other => panic!("{other:?}"),
        }
        // A Certificate for another Secret does not make the issuer managed.
        let mut other = writes_issuer();
        other.secret_name = Some("something-else".into());
        assert!(matches!(
            issuer_management(&managed_snapshot(Some(other), None)),
            Management::No
        ));
        // The Certificate could not be read: cannot tell.
        let mut snap = managed_snapshot(None, None);
        snap.insert(
            ObjectRef::new(Kind::Certificate, "linkerd", ISSUER_SECRET),
            ObjectState::Forbidden("forbidden".into()),
        );
        assert!(matches!(issuer_management(&snap), Management::Unknown(_)));
    }

    #[test]
    fn without_cert_managers_crds_an_annotated_issuer_will_not_be_renewed() {
        let mut snap = managed_snapshot(None, Some("issuer-cert"));
        snap.certificates_served = Some(false);
        match issuer_management(&snap) {
            Management::Yes {
                certificate: Err(why),
                ..
            } => assert_eq!(
                why,
                "Secret linkerd/linkerd-identity-issuer carries cert-manager.io/certificate-name: issuer-cert, but cert-manager is not installed (the API server serves no cert-manager.io/v1 Certificates): cert-manager will not renew the issuer"
            ),
            other => panic!("{other:?}"),
        }
        let mut snap = managed_snapshot(None, None);
        snap.certificates_served = Some(false);
        assert!(matches!(issuer_management(&snap), Management::No));
        assert_eq!(
            not_managed(&snap),
            "cert-manager is not installed (the API server serves no cert-manager.io/v1 Certificates)"
        );
    }

    #[test]
    fn the_issuer_margin_follows_renew_before_unless_the_user_set_one() {
        let snap = managed_snapshot(Some(writes_issuer()), None);
        let linkerds = MarginSpec::default();
        assert_eq!(
            issuer_margin(&snap, linkerds, false),
            (
                MarginSpec::Fixed("25h".parse().unwrap()),
                Some("cert-manager's renewBefore".to_string())
            )
        );
        let sevenday: MarginSpec = "7d".parse().unwrap();
        assert_eq!(issuer_margin(&snap, sevenday, true).0, sevenday);
        // No renewBefore: cert-manager's default, a third of the lifetime.
        let mut c = writes_issuer();
        c.renew_before = None;
        let snap = managed_snapshot(Some(c), None);
        assert_eq!(
            issuer_margin(&snap, linkerds, false).0,
            MarginSpec::Lifetime(33)
        );
        // Not managed: linkerd's 60 days.
        let snap = managed_snapshot(None, None);
        assert_eq!(
            issuer_margin(&snap, linkerds, false),
            (MarginSpec::default(), None)
        );
        // Managed (annotated), but the Certificate may not be read: linkerd's, saying why.
        let mut snap = managed_snapshot(None, Some("issuer-cert"));
        snap.insert(
            ObjectRef::new(Kind::Certificate, "linkerd", "issuer-cert"),
            ObjectState::Forbidden("forbidden".into()),
        );
        assert_eq!(
            issuer_margin(&snap, linkerds, false),
            (
                MarginSpec::default(),
                Some(
                    "Certificate linkerd/issuer-cert is forbidden: cert-manager's renewal point is unknown"
                        .to_string()
                )
            )
        );
    }
}
