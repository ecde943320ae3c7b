//! Pods as `kubectl get pods -o json` shows them after `linkerd inject`: the proxy with its full
//! environment, the init container, owner references, and a running status. Used by the dump
//! generator (`gen-pods`) and by the fixture generator.

use serde_json::{Value, json};

/// How the proxy gets its trust bundle.
pub enum Bundle<'a> {
    /// A literal PEM value (data-plane pods).
    Literal(&'a str),
    /// `valueFrom: configMapKeyRef linkerd-identity-trust-roots` (control-plane pods).
    FromConfigMap,
}

pub struct PodSpec<'a> {
    pub namespace: &'a str,
    /// `Deployment`, `StatefulSet`, `DaemonSet`, or `Pod` for a bare pod.
    pub workload_kind: &'a str,
    pub workload: &'a str,
    /// Distinguishes pods of one workload.
    pub index: usize,
    pub bundle: Bundle<'a>,
    /// The proxy runs as a native sidecar (an init container with `restartPolicy: Always`).
    pub native_sidecar: bool,
    pub control_plane_ns: &'a str,
}

fn hash(n: usize, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..len)
        .map(|_| {
            x ^= x >> 29;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

fn uid(n: usize) -> String {
    let h: String = (0..32)
        .map(|i| char::from_digit(((n * 7919 + i * 104_729) % 16) as u32, 16).unwrap_or('0'))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The pod's name and its owner reference, as the workload's controller names them.
fn naming(p: &PodSpec<'_>) -> (String, Value, Value) {
    let template_hash = hash(
        p.workload.len() * 31 + p.workload.bytes().map(usize::from).sum::<usize>(),
        10,
    );
    match p.workload_kind {
        "Deployment" => {
            let rs = format!("{}-{template_hash}", p.workload);
            let name = format!("{rs}-{}", hash(p.index, 5));
            let owner = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid(p.index + 7),
                                "controller": true, "blockOwnerDeletion": true}]);
            (name, owner, json!({"pod-template-hash": template_hash}))
        }
        "StatefulSet" => {
            let name = format!("{}-{}", p.workload, p.index);
            let owner = json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": p.workload, "uid": uid(p.index + 11),
                                "controller": true, "blockOwnerDeletion": true}]);
            (
                name.clone(),
                owner,
                json!({"statefulset.kubernetes.io/pod-name": name, "controller-revision-hash": format!("{}-{template_hash}", p.workload)}),
            )
        }
        "DaemonSet" => {
            let name = format!("{}-{}", p.workload, hash(p.index, 5));
            let owner = json!([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": p.workload, "uid": uid(p.index + 13),
                                "controller": true, "blockOwnerDeletion": true}]);
            (
                name,
                owner,
                json!({"controller-revision-hash": template_hash, "pod-template-generation": "1"}),
            )
        }
        _ => (p.workload.to_string(), json!([]), json!({})),
    }
}

fn env(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn env_field(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}})
}

/// The proxy container's environment, in the order `linkerd inject` writes it.
fn proxy_env(p: &PodSpec<'_>, pod_name: &str) -> Vec<Value> {
    let cp = p.control_plane_ns;
    let anchors = match p.bundle {
        Bundle::Literal(pem) => env("LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS", pem),
        Bundle::FromConfigMap => json!({"name": "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS",
            "valueFrom": {"configMapKeyRef": {"name": "linkerd-identity-trust-roots", "key": "ca-bundle.crt"}}}),
    };
    vec![
        env("_pod_name", pod_name),
        env_field("_pod_ns", "metadata.namespace"),
        env_field("_pod_nodeName", "spec.nodeName"),
        env(
            "LINKERD2_PROXY_LOG",
            "warn,linkerd=info,hickory=error,[{headers}]=off,[{request}]=off",
        ),
        env("LINKERD2_PROXY_LOG_FORMAT", "plain"),
        env(
            "LINKERD2_PROXY_DESTINATION_SVC_ADDR",
            &format!("linkerd-dst-headless.{cp}.svc.cluster.local.:8086"),
        ),
        env(
            "LINKERD2_PROXY_DESTINATION_PROFILE_NETWORKS",
            "10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8",
        ),
        env(
            "LINKERD2_PROXY_POLICY_SVC_ADDR",
            &format!("linkerd-policy.{cp}.svc.cluster.local.:8090"),
        ),
        env(
            "LINKERD2_PROXY_POLICY_WORKLOAD",
            &format!("{{\"ns\":\"{}\", \"pod\":\"{pod_name}\"}}\n", p.namespace),
        ),
        env(
            "LINKERD2_PROXY_INBOUND_DEFAULT_POLICY",
            "all-unauthenticated",
        ),
        env("LINKERD2_PROXY_INBOUND_CONNECT_TIMEOUT", "100ms"),
        env("LINKERD2_PROXY_OUTBOUND_CONNECT_TIMEOUT", "1000ms"),
        env("LINKERD2_PROXY_OUTBOUND_DISCOVERY_IDLE_TIMEOUT", "5s"),
        env("LINKERD2_PROXY_INBOUND_DISCOVERY_IDLE_TIMEOUT", "90s"),
        env("LINKERD2_PROXY_CONTROL_LISTEN_ADDR", "[::]:4190"),
        env("LINKERD2_PROXY_ADMIN_LISTEN_ADDR", "[::]:4191"),
        env("LINKERD2_PROXY_OUTBOUND_LISTEN_ADDR", "127.0.0.1:4140"),
        env("LINKERD2_PROXY_INBOUND_LISTEN_ADDR", "[::]:4143"),
        env_field("LINKERD2_PROXY_INBOUND_IPS", "status.podIPs"),
        env("LINKERD2_PROXY_INBOUND_PORTS", "8080,9090"),
        env(
            "LINKERD2_PROXY_DESTINATION_PROFILE_SUFFIXES",
            "svc.cluster.local.",
        ),
        env("LINKERD2_PROXY_INBOUND_ACCEPT_KEEPALIVE", "10000ms"),
        env("LINKERD2_PROXY_OUTBOUND_CONNECT_KEEPALIVE", "10000ms"),
        env(
            "LINKERD2_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION",
            "25,587,3306,4444,5432,6379,9300,11211",
        ),
        env(
            "LINKERD2_PROXY_DESTINATION_CONTEXT",
            &format!(
                "{{\"ns\":\"{}\", \"nodeName\":\"$(_pod_nodeName)\", \"pod\":\"$(_pod_name)\"}}\n",
                p.namespace
            ),
        ),
        env_field("_pod_sa", "spec.serviceAccountName"),
        env("_l5d_ns", cp),
        env("_l5d_trustdomain", "cluster.local"),
        env(
            "LINKERD2_PROXY_IDENTITY_DIR",
            "/var/run/linkerd/identity/end-entity",
        ),
        anchors,
        env(
            "LINKERD2_PROXY_IDENTITY_TOKEN_FILE",
            "/var/run/secrets/tokens/linkerd-identity-token",
        ),
        env(
            "LINKERD2_PROXY_IDENTITY_SVC_ADDR",
            &format!("linkerd-identity-headless.{cp}.svc.cluster.local.:8080"),
        ),
        env(
            "LINKERD2_PROXY_IDENTITY_LOCAL_NAME",
            "$(_pod_sa).$(_pod_ns).serviceaccount.identity.$(_l5d_ns).$(_l5d_trustdomain)",
        ),
        env(
            "LINKERD2_PROXY_IDENTITY_SVC_NAME",
            &format!("linkerd-identity.{cp}.serviceaccount.identity.{cp}.cluster.local"),
        ),
        env(
            "LINKERD2_PROXY_DESTINATION_SVC_NAME",
            &format!("linkerd-destination.{cp}.serviceaccount.identity.{cp}.cluster.local"),
        ),
        env(
            "LINKERD2_PROXY_POLICY_SVC_NAME",
            &format!("linkerd-destination.{cp}.serviceaccount.identity.{cp}.cluster.local"),
        ),
    ]
}

fn proxy_container(p: &PodSpec<'_>, pod_name: &str) -> Value {
    let mut c = json!({
        "name": "linkerd-proxy",
        "image": "cr.l5d.io/linkerd/proxy:edge-26.8.3",
        "imagePullPolicy": "IfNotPresent",
        "env": proxy_env(p, pod_name),
        "livenessProbe": {"httpGet": {"path": "/live", "port": 4191}, "initialDelaySeconds": 10},
        "ports": [{"containerPort": 4143, "name": "linkerd-proxy", "protocol": "TCP"},
                  {"containerPort": 4191, "name": "linkerd-admin", "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 4191}, "initialDelaySeconds": 2},
        "resources": {},
        "securityContext": {"readOnlyRootFilesystem": true, "runAsNonRoot": true, "runAsUser": 2102},
        "volumeMounts": [{"mountPath": "/var/run/linkerd/identity/end-entity", "name": "linkerd-identity-end-entity"}]
    });
    if p.native_sidecar {
        c["restartPolicy"] = json!("Always");
    }
    c
}

fn app_container(p: &PodSpec<'_>) -> Value {
    json!({
        "name": p.workload,
        "image": format!("registry.example.com/{}/{}:v1.{}.0", p.namespace, p.workload, p.index % 7),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}
    })
}

fn init_container() -> Value {
    json!({
        "name": "linkerd-init",
        "image": "cr.l5d.io/linkerd/proxy-init:v2.4.3",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--ipv6=false", "--incoming-proxy-port", "4143", "--outgoing-proxy-port", "4140", "--proxy-uid", "2102",
                 "--inbound-ports-to-ignore", "4190,4191,4567,4568", "--outbound-ports-to-ignore", "4567,4568"],
        "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}, "runAsNonRoot": true, "runAsUser": 65534},
        "volumeMounts": [{"mountPath": "/run", "name": "linkerd-proxy-init-xtables-lock"}]
    })
}

fn container_status(name: &str, image: &str, n: usize) -> Value {
    json!({
        "containerID": format!("containerd://{}{}", hash(n, 32), hash(n + 1, 32)),
        "image": image, "name": name, "ready": true, "restartCount": 0,
        "state": {"running": {"startedAt": "2026-11-20T08:15:42Z"}}
    })
}

/// One meshed pod.
pub fn pod(p: &PodSpec<'_>) -> Value {
    let (name, owners, extra_labels) = naming(p);
    let mut labels = json!({
        "app": p.workload,
        "linkerd.io/control-plane-ns": p.control_plane_ns,
        "linkerd.io/workload-ns": p.namespace,
        "linkerd.io/proxy-deployment": p.workload,
    });
    if let (Some(l), Some(extra)) = (labels.as_object_mut(), extra_labels.as_object()) {
        l.extend(extra.clone());
    }
    let (mut init, mut containers) = (vec![init_container()], vec![app_container(p)]);
    if p.native_sidecar {
        init.push(proxy_container(p, &name));
    } else {
        containers.insert(0, proxy_container(p, &name));
    }
    let n = p.index * 13 + p.namespace.len();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {
                "linkerd.io/created-by": "linkerd/proxy-injector edge-26.8.3",
                "linkerd.io/proxy-version": "edge-26.8.3",
                "linkerd.io/trust-root-sha256": hash(n + 5, 64),
                "viz.linkerd.io/tap-enabled": "true"
            },
            "creationTimestamp": "2026-11-20T08:15:30Z",
            "generateName": format!("{}-", p.workload),
            "labels": labels,
            "name": name,
            "namespace": p.namespace,
            "ownerReferences": owners,
            "resourceVersion": (1_000_000 + p.index).to_string(),
            "uid": uid(n)
        },
        "spec": {
            "automountServiceAccountToken": true,
            "containers": containers,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "initContainers": init,
            "nodeName": format!("ip-10-0-{}-{}.ec2.internal", n % 250, (n / 250) % 250),
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": p.workload,
            "serviceAccountName": p.workload,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
            ],
            "volumes": [
                {"emptyDir": {}, "name": "linkerd-proxy-init-xtables-lock"},
                {"emptyDir": {"medium": "Memory"}, "name": "linkerd-identity-end-entity"},
                {"name": "linkerd-identity-token", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {"audience": "identity.l5d.io", "expirationSeconds": 86400, "path": "linkerd-identity-token"}}]}},
                {"name": format!("kube-api-access-{}", hash(p.index, 5)), "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                    {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}]}}
            ]
        },
        "status": {
            "conditions": [
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:33Z", "status": "True", "type": "PodReadyToStartContainers"},
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:34Z", "status": "True", "type": "Initialized"},
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:45Z", "status": "True", "type": "Ready"},
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:45Z", "status": "True", "type": "ContainersReady"},
                {"lastProbeTime": null, "lastTransitionTime": "2026-11-20T08:15:30Z", "status": "True", "type": "PodScheduled"}
            ],
            "containerStatuses": [
                container_status("linkerd-proxy", "cr.l5d.io/linkerd/proxy:edge-26.8.3", n),
                container_status(p.workload, &format!("registry.example.com/{}/{}:v1.{}.0", p.namespace, p.workload, p.index % 7), n + 9)
            ],
            "hostIP": format!("10.0.{}.{}", n % 250, (n / 250) % 250),
            "hostIPs": [{"ip": format!("10.0.{}.{}", n % 250, (n / 250) % 250)}],
            "initContainerStatuses": [{
                "image": "cr.l5d.io/linkerd/proxy-init:v2.4.3", "name": "linkerd-init", "ready": true, "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}
            }],
            "phase": "Running",
            "podIP": format!("10.1.{}.{}", n % 250, (n / 7) % 250),
            "podIPs": [{"ip": format!("10.1.{}.{}", n % 250, (n / 7) % 250)}],
            "qosClass": "Burstable",
            "startTime": "2026-11-20T08:15:30Z"
        }
    })
}

/// Writes a PodList `{"apiVersion":"v1","items":[…],"kind":"List",…}` with one compact pod per
/// line, as the API server returns a list (`kubectl get --raw /api/v1/pods`).
pub fn write_list(
    out: &mut impl std::io::Write,
    pods: impl Iterator<Item = Value>,
) -> std::io::Result<()> {
    out.write_all(b"{\"apiVersion\":\"v1\",\"items\":[")?;
    for (i, pod) in pods.enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &pod).map_err(std::io::Error::other)?;
    }
    out.write_all(b"\n],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}\n")
}
