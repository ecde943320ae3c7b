//! The narrow Kubernetes types meshcert deserialises manifests and API answers into: only the
//! fields the checks read. The serde visitors here keep 100,000 pods' annotations and status
//! conditions from allocating.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::collections::BTreeMap;

/// A manifest document or List item, holding only what meshcert reads.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Manifest {
    #[serde(rename = "apiVersion")]
    pub(crate) api_version: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) metadata: Option<Metadata>,
    #[serde(rename = "type")]
    pub(crate) type_: Option<String>,
    /// ConfigMap or Secret data; kept loose so a bad value is named, not a parse error.
    pub(crate) data: Option<Value>,
    #[serde(rename = "stringData")]
    pub(crate) string_data: Option<Value>,
    pub(crate) webhooks: Option<Vec<WebhookEntry>>,
    pub(crate) spec: Option<Spec>,
    /// A cert-manager Certificate's status.
    pub(crate) status: Option<Status>,
    /// An Event's fields.
    pub(crate) reason: Option<Value>,
    pub(crate) message: Option<Value>,
    #[serde(rename = "involvedObject")]
    pub(crate) involved_object: Option<Value>,
    #[serde(rename = "lastTimestamp")]
    pub(crate) last_timestamp: Option<Value>,
    #[serde(rename = "firstTimestamp")]
    pub(crate) first_timestamp: Option<Value>,
    #[serde(rename = "eventTime")]
    pub(crate) event_time: Option<Value>,
    pub(crate) series: Option<Value>,
    /// A YAML List's items (a JSON List streams them instead).
    pub(crate) items: Option<Vec<Manifest>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Metadata {
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: Option<BTreeMap<String, Value>>,
    pub(crate) annotations: Option<CertManagerAnnotations>,
    #[serde(rename = "creationTimestamp")]
    pub(crate) creation_timestamp: Option<String>,
    #[serde(rename = "ownerReferences")]
    pub(crate) owner_references: Option<Vec<OwnerReference>>,
}

/// The `cert-manager.io/…` annotations of an object; every other annotation is skipped unread
/// (a pod's can be large, and kubectl's last-applied-configuration repeats a Secret's data).
#[derive(Debug, Default)]
pub(crate) struct CertManagerAnnotations(pub(crate) BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for CertManagerAnnotations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = CertManagerAnnotations;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut kept = BTreeMap::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key.starts_with("cert-manager.io/") {
                        kept.insert(key.into_owned(), map.next_value::<Value>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CertManagerAnnotations(kept))
            }
        }
        d.deserialize_map(Visit)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OwnerReference {
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) controller: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct WebhookEntry {
    #[serde(rename = "clientConfig")]
    pub(crate) client_config: Option<ClientConfig>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClientConfig {
    #[serde(rename = "caBundle")]
    pub(crate) ca_bundle: Option<Value>,
}

/// A pod's, an APIService's or a cert-manager Certificate's spec, as far as meshcert reads them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Spec {
    pub(crate) containers: Option<Vec<Container>>,
    #[serde(rename = "initContainers")]
    pub(crate) init_containers: Option<Vec<Container>>,
    #[serde(rename = "caBundle")]
    pub(crate) ca_bundle: Option<Value>,
    #[serde(rename = "secretName")]
    pub(crate) secret_name: Option<Value>,
    pub(crate) duration: Option<Value>,
    #[serde(rename = "renewBefore")]
    pub(crate) renew_before: Option<Value>,
    #[serde(rename = "renewBeforePercentage")]
    pub(crate) renew_before_percentage: Option<Value>,
    /// A cert-manager Certificate's `privateKey` (its `rotationPolicy`).
    #[serde(rename = "privateKey")]
    pub(crate) private_key: Option<Value>,
    /// A trust-manager Bundle's sources (`trust.cert-manager.io/v1alpha1`).
    pub(crate) sources: Option<Value>,
    /// A trust-manager ClusterBundle's sources (`trust-manager.io/v1alpha2`).
    #[serde(rename = "sourceRefs")]
    pub(crate) source_refs: Option<Value>,
    /// A trust-manager Bundle's or ClusterBundle's target.
    pub(crate) target: Option<Value>,
    /// A multicluster Link's fields.
    #[serde(rename = "targetClusterName")]
    pub(crate) target_cluster_name: Option<Value>,
    #[serde(rename = "targetClusterDomain")]
    pub(crate) target_cluster_domain: Option<Value>,
    #[serde(rename = "targetClusterLinkerdNamespace")]
    pub(crate) target_cluster_linkerd_namespace: Option<Value>,
    #[serde(rename = "clusterCredentialsSecret")]
    pub(crate) cluster_credentials_secret: Option<Value>,
    #[serde(rename = "gatewayIdentity")]
    pub(crate) gateway_identity: Option<Value>,
}

/// A status as meshcert reads it: only its `Ready` condition, for cert-manager Certificates.
/// Every pod has a status with several conditions, so they are read without allocating: the
/// condition types are compared in place and the usual status values are static strings.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Status {
    #[serde(default, rename = "conditions", deserialize_with = "ready_condition")]
    pub(crate) conditions: Conditions,
    /// A pod's phase.
    #[serde(default)]
    pub(crate) phase: Text,
    /// A cert-manager Certificate's renewal instant.
    #[serde(rename = "renewalTime")]
    pub(crate) renewal_time: Option<Value>,
}

#[derive(Debug, Default)]
pub(crate) struct ReadyCondition {
    pub(crate) status: Text,
    pub(crate) reason: Text,
    pub(crate) message: Text,
}

/// A scalar as written: absent, text (the common values without allocating), or something that is
/// not a scalar.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    #[default]
    Absent,
    Is(std::borrow::Cow<'static, str>),
    NotScalar,
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text::Is(match v {
                    "True" => "True".into(),
                    "False" => "False".into(),
                    "Unknown" => "Unknown".into(),
                    "Running" => "Running".into(),
                    "Pending" => "Pending".into(),
                    "Succeeded" => "Succeeded".into(),
                    "Failed" => "Failed".into(),
                    other => other.to_string().into(),
                }))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Text, E> {
                // `True` unquoted in hand-written YAML reads as a boolean.
                Ok(Text::Is(if v { "True" } else { "False" }.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
                Ok(Text::Is(v.to_string().into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
                Ok(Text::Is(v.to_string().into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
                Ok(Text::Is(v.to_string().into()))
            }
            fn visit_unit<E>(self) -> Result<Text, E> {
                Ok(Text::Absent)
            }
            fn visit_none<E>(self) -> Result<Text, E> {
                Ok(Text::Absent)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
                d.deserialize_any(Visit)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Text, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text::NotScalar)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Text, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text::NotScalar)
            }
        }
        d.deserialize_any(Visit)
    }
}

/// The conditions meshcert reads: cert-manager's `Ready`, trust-manager's `Synced`.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub(crate) ready: Option<ReadyCondition>,
    pub(crate) synced: Option<ReadyCondition>,
}

/// Which of those a condition's `type` is, compared where it lies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConditionType {
    Ready,
    Synced,
    Other,
}

impl<'de> Deserialize<'de> for ConditionType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ConditionType;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a condition type")
            }
            fn visit_str<E>(self, v: &str) -> Result<ConditionType, E> {
                Ok(match v {
                    "Ready" => ConditionType::Ready,
                    "Synced" => ConditionType::Synced,
                    _ => ConditionType::Other,
                })
            }
        }
        d.deserialize_str(Visit)
    }
}

/// The first condition of type `Ready`, and of type `Synced`, in a `conditions` list.
pub(crate) fn ready_condition<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Conditions, D::Error> {
    #[derive(Deserialize)]
    #[serde(field_identifier, rename_all = "lowercase")]
    enum Key {
        Type,
        Status,
        Reason,
        Message,
        #[serde(other)]
        Other,
    }
    struct Entry(ConditionType, ReadyCondition);
    impl<'de> Deserialize<'de> for Entry {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Entry;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a condition")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Entry, A::Error> {
                    let (mut kind, mut c) = (ConditionType::Other, ReadyCondition::default());
                    while let Some(key) = m.next_key::<Key>()? {
                        match key {
                            Key::Type => kind = m.next_value::<ConditionType>()?,
                            Key::Status => c.status = m.next_value()?,
                            Key::Reason => c.reason = m.next_value()?,
                            Key::Message => c.message = m.next_value()?,
                            Key::Other => {
                                m.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(Entry(kind, c))
                }
            }
            d.deserialize_map(Visit)
        }
    }
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Conditions;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of conditions")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut s: A,
        ) -> Result<Self::Value, A::Error> {
            let mut found = Conditions::default();
            while let Some(Entry(kind, c)) = s.next_element::<Entry>()? {
                let slot = match kind {
                    ConditionType::Ready => &mut found.ready,
                    ConditionType::Synced => &mut found.synced,
                    ConditionType::Other => continue,
                };
                if slot.is_none() {
                    *slot = Some(c);
                }
            }
            Ok(found)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Conditions::default())
        }
    }
    d.deserialize_any(Visit)
}

#[derive(Debug, Deserialize)]
pub(crate) struct Container {
    pub(crate) name: Option<String>,
    pub(crate) env: Option<AnchorsEnv>,
}

/// A container's environment as meshcert reads it: only the proxy's trust-anchors variable.
/// The proxy carries some forty variables and every pod several containers; the others are
/// matched by name in place (borrowed from the input) and dropped without allocating.
#[derive(Debug, Default)]
pub(crate) struct AnchorsEnv(pub(crate) Option<EnvVar>);

impl<'de> Deserialize<'de> for AnchorsEnv {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = AnchorsEnv;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of environment variables")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                // The first one counts, as linkerd's check reads it.
                let mut kept = None;
                while let Some(Entry(var)) = seq.next_element::<Entry>()? {
                    kept = kept.or(var);
                }
                Ok(AnchorsEnv(kept))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(AnchorsEnv::default())
            }
        }
        d.deserialize_any(Visit)
    }
}

/// One environment variable: the trust-anchors one, or `None`. Its name is compared in place;
/// another variable's value is skipped unread when its name comes first (as the API writes it).
struct Entry(Option<EnvVar>);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use std::borrow::Cow;
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an environment variable")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                // Some(true): the trust-anchors variable; Some(false): another; None: not yet known.
                let mut wanted: Option<bool> = None;
                let mut value: Option<String> = None;
                let mut value_from = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match (key.as_ref(), wanted) {
                        ("name", _) => {
                            let name = map.next_value::<Option<Cow<'de, str>>>()?;
                            wanted = Some(name.as_deref() == Some(TRUST_ANCHORS_ENV));
                        }
                        ("value" | "valueFrom", Some(false)) => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        ("value", _) => value = map.next_value::<Option<String>>()?,
                        ("valueFrom", _) => value_from = map.next_value::<Option<IgnoredAny>>()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Entry(
                    (wanted == Some(true)).then_some(EnvVar { value, value_from }),
                ))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// The trust-anchors variable: its literal value, or `valueFrom` (resolved by the kubelet).
#[derive(Debug)]
pub(crate) struct EnvVar {
    pub(crate) value: Option<String>,
    pub(crate) value_from: Option<IgnoredAny>,
}

/// The injected proxy's container.
pub(crate) const PROXY_CONTAINER: &str = "linkerd-proxy";
/// The proxy's trust bundle, as the injector sets it.
pub(crate) const TRUST_ANCHORS_ENV: &str = "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS";

/// The kind of a typed list's items (`PodList` → `Pod`); none for a plain `List`, whose items
/// name their own kinds. An API server's list items carry no `kind`, so they take this one.
pub(crate) fn list_item_kind(list_kind: &str) -> Option<String> {
    list_kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .map(str::to_string)
}
