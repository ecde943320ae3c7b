//! cert-manager's Certificate, reduced to what the checks read, as written: a field of an
//! unexpected type is named, not guessed.

use anyhow::{anyhow, bail};
use meshcert_checks::snapshot::{Certificate, Condition};
use serde_json::Value;

use super::kube_types::{Manifest, Text};

/// A scalar field kept as text (a number as written, a string as is); anything else is named.
pub(crate) fn scalar(v: Option<&Value>, field: &str, what: &str) -> anyhow::Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => bail!("{what}: {field} is not a string"),
    }
}

/// A cert-manager Certificate as the checks read it.
pub(crate) fn certificate(doc: &Manifest, what: &str) -> anyhow::Result<Certificate> {
    let spec = doc.spec.as_ref();
    let field = |v: Option<&Value>, name: &str| scalar(v, name, what);
    let text = |t: &Text, name: &str| match t {
        Text::Absent => Ok(None),
        Text::Is(s) => Ok(Some(s.to_string())),
        Text::NotScalar => Err(anyhow!(
            "{what}: status.conditions[Ready].{name} is not a string"
        )),
    };
    let ready = match doc
        .status
        .as_ref()
        .and_then(|s| s.conditions.ready.as_ref())
    {
        None => None,
        Some(c) => Some(Condition {
            status: text(&c.status, "status")?.unwrap_or_else(|| "Unknown".into()),
            reason: text(&c.reason, "reason")?,
            message: text(&c.message, "message")?,
        }),
    };
    Ok(Certificate {
        secret_name: field(spec.and_then(|s| s.secret_name.as_ref()), "spec.secretName")?,
        duration: field(spec.and_then(|s| s.duration.as_ref()), "spec.duration")?,
        renew_before: field(
            spec.and_then(|s| s.renew_before.as_ref()),
            "spec.renewBefore",
        )?,
        renew_before_percentage: field(
            spec.and_then(|s| s.renew_before_percentage.as_ref()),
            "spec.renewBeforePercentage",
        )?,
        ready,
        rotation_policy: field(
            spec.and_then(|s| s.private_key.as_ref())
                .and_then(|k| k.get("rotationPolicy")),
            "spec.privateKey.rotationPolicy",
        )?,
        renewal_time: field(
            doc.status.as_ref().and_then(|s| s.renewal_time.as_ref()),
            "status.renewalTime",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::ingest::tests::built;

    #[test]
    fn certificates_keep_their_rotation_policy_and_renewal_time() {
        let snap = built(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-trust-anchor, namespace: cert-manager}\n\
             spec: {secretName: linkerd-trust-anchor, privateKey: {rotationPolicy: Always}}\n\
             status: {renewalTime: '2026-11-30T00:00:00Z'}\n",
        )
        .unwrap();
        let (_, c) = snap.certificates("cert-manager").next().unwrap();
        assert_eq!(c.rotation_policy.as_deref(), Some("Always"));
        assert_eq!(c.renewal_time.as_deref(), Some("2026-11-30T00:00:00Z"));
    }
}
