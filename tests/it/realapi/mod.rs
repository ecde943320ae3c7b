//! The live source against a real kube-apiserver and etcd, built from their Go modules
//! (tests/realapi: `build`, `up`, `down`). One server per test run, started by the first test
//! that needs it and stopped when the test binary exits (`up --owner`). Objects go in with a
//! real kubectl as admin (server-side apply); meshcert always runs as the ServiceAccount of
//! `deploy/base`, through a kubeconfig holding only a TokenRequest token and the server's CA.
//!
//! The tests share one cluster, so each holds [`Cluster::lock`] for as long as it changes it.
//! Without Go the tests are skipped, except under CI, where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common::{AT, root};
pub use crate::common::{first_difference, report};
use crate::fake_api::documents;

mod crds;
mod helm;
mod http2;
mod incluster;
mod multicluster;
mod paging;
mod rbac;
mod runtime;
mod scenarios;
mod serve;
mod shapes;

/// The namespaces every scenario may use; made once, never deleted (no namespace controller
/// runs, so a deleted namespace would stay Terminating).
const NAMESPACES: [&str; 5] = [
    "linkerd",
    "linkerd-viz",
    "linkerd-jaeger",
    "cert-manager",
    "linkerd-multicluster",
];
/// The field manager of the objects the tests apply.
const MANAGER: &str = "meshcert-tests";

/// The shared cluster.
pub struct Cluster {
    pub dir: PathBuf,
    pub admin: PathBuf,
    pub etcd: String,
    pub server: String,
    lock: Mutex<()>,
}

/// Held while a test uses the cluster: the cluster's own lock, and the suite's `serial()` one,
/// since an API server and etcd at work load both cores.
pub struct Locked {
    _cluster: MutexGuard<'static, ()>,
    _serial: MutexGuard<'static, ()>,
}

/// The running cluster, locked for the caller; `None` (after saying why) when Go is missing
/// outside CI. The first call builds (once per machine, see tests/realapi/build) and starts it.
pub fn cluster() -> Option<(&'static Cluster, Locked)> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    let serial = crate::common::serial();
    let c = CLUSTER.get_or_init(start).as_ref()?;
    let guard = c.lock.lock().unwrap_or_else(|p| p.into_inner());
    Some((
        c,
        Locked {
            _cluster: guard,
            _serial: serial,
        },
    ))
}

fn start() -> Option<Cluster> {
    let has = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has("go", "version") || !has("kubectl", "version") && !has("kubectl", "--help") {
        assert!(
            std::env::var_os("CI").is_none(),
            "Go and kubectl are required in CI for the real API server (tests/realapi)"
        );
        eprintln!("go or kubectl not found: the real API server tests are skipped");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("meshcert-realapi-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let up = Command::new(root().join("tests/realapi/up"))
        .arg(&dir)
        .args(["--owner", &std::process::id().to_string(), "--remove"])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "tests/realapi/up failed: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap()
            .trim()
            .to_string()
    };
    let c = Cluster {
        admin: dir.join("admin.kubeconfig"),
        etcd: read("etcd-url"),
        server: read("server-url"),
        dir,
        lock: Mutex::new(()),
    };
    for ns in NAMESPACES {
        c.kubectl_ok(&["create", "namespace", ns]);
    }
    c.apply_rbac(&std::fs::read_to_string(root().join("deploy/base/rbac.yaml")).unwrap());
    // trust-manager's sources in the trust namespace: opt-in, granted here as a user of the
    // guide's setup would.
    for opt_in in ["trust-namespace.yaml", "multicluster.yaml"] {
        c.apply_rbac(
            &std::fs::read_to_string(root().join("deploy/base/opt-in").join(opt_in)).unwrap(),
        );
    }
    for file in ["namespace.yaml", "serviceaccount.yaml"] {
        let path = root().join("deploy/base").join(file);
        c.kubectl_ok(&["apply", "--server-side", "-f", path.to_str().unwrap()]);
    }
    c.install_certificate_crd();
    // trust-manager's Bundle and ClusterBundle, with open schemas.
    c.apply(&[
        crd(
            "trust.cert-manager.io",
            "v1alpha1",
            "Bundle",
            "bundles",
            "Cluster",
        ),
        // Linkerd multicluster's Link.
        crd(
            "multicluster.linkerd.io",
            "v1alpha3",
            "Link",
            "links",
            "Namespaced",
        ),
        crd(
            "trust-manager.io",
            "v1alpha2",
            "ClusterBundle",
            "clusterbundles",
            "Cluster",
        ),
    ]);
    for name in [
        "crd/bundles.trust.cert-manager.io",
        "crd/clusterbundles.trust-manager.io",
        "crd/links.multicluster.linkerd.io",
    ] {
        c.kubectl_ok(&["wait", "--for=condition=Established", "--timeout=60s", name]);
    }
    Some(c)
}

/// A kubeconfig for `server` with `token` and the CA of `ca_pem`, and nothing else.
pub fn token_kubeconfig(path: &Path, server: &str, ca_pem: &[u8], token: &str) {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    std::fs::write(
        path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: realapi\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\nusers:\n- name: meshcert\n  user:\n    token: {token}\ncontexts:\n- name: realapi\n  context:\n    cluster: realapi\n    user: meshcert\ncurrent-context: realapi\n"
        ),
    )
    .unwrap();
}

impl Cluster {
    /// kubectl as admin.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.args(args)
            .env("KUBECONFIG", &self.admin)
            .env("HOME", &self.dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl");
        if let Some(input) = stdin {
            use std::io::Write as _;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// kubectl as admin, which must succeed; its standard output.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        self.kubectl_in(args, None)
    }

    /// `kubectl_ok` with `stdin`.
    pub fn kubectl_in(&self, args: &[&str], stdin: Option<&[u8]>) -> String {
        let o = self.kubectl(args, stdin);
        assert!(
            o.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    /// Applies `objects` server-side as admin.
    pub fn apply(&self, objects: &[Value]) {
        if objects.is_empty() {
            return;
        }
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        self.kubectl_in(
            &[
                "apply",
                "--server-side",
                "--force-conflicts",
                "--field-manager",
                MANAGER,
                "-f",
                "-",
            ],
            Some(list.to_string().as_bytes()),
        );
    }

    /// Deletes `objects` at once (no kubelet runs to wait for); kubectl's answer.
    pub fn delete(&self, objects: &[Value]) -> Output {
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        self.kubectl(
            &[
                "delete",
                "--ignore-not-found",
                "--wait=false",
                "--grace-period=0",
                "--force",
                "-f",
                "-",
            ],
            Some(list.to_string().as_bytes()),
        )
    }

    /// Replaces meshcert's RBAC with `yaml` (deploy/base/rbac.yaml, or a variant of it).
    pub fn apply_rbac(&self, yaml: &str) {
        let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).unwrap();
        let docs: Vec<Value> = docs.into_iter().filter(|d| d.is_object()).collect();
        self.apply(&docs);
    }

    /// cert-manager's Certificate CRD, with an open schema.
    pub fn install_certificate_crd(&self) {
        self.apply(&[certificate_crd()]);
        self.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "crd/certificates.cert-manager.io",
        ]);
    }

    /// A TokenRequest token of meshcert's ServiceAccount.
    pub fn token(&self) -> String {
        self.kubectl_ok(&[
            "create",
            "token",
            "meshcert",
            "-n",
            "meshcert",
            "--duration",
            "2h",
        ])
        .trim()
        .to_string()
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.crt")).unwrap()
    }

    /// A kubeconfig in `dir` that holds only a fresh token of meshcert's ServiceAccount and the
    /// server's CA.
    pub fn meshcert_kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("meshcert.kubeconfig");
        token_kubeconfig(&path, &self.server, &self.ca_pem(), &self.token());
        path
    }

    /// Puts the objects of a fixture folder into the cluster; they stay until the returned
    /// [`Applied`] is dropped.
    pub fn load(&self, fixture: &Path) -> Applied<'_> {
        let (namespaces, objects) = fixture_objects(fixture);
        self.load_objects(namespaces, objects)
    }

    /// [`Cluster::load`] of objects given one by one: `namespaces` (Namespace objects) and the rest.
    pub fn load_objects(&self, namespaces: Vec<Value>, objects: Vec<Value>) -> Applied<'_> {
        self.reset_namespaces();
        let mut used: Vec<&str> = objects
            .iter()
            .filter_map(|o| o["metadata"]["namespace"].as_str())
            .collect();
        used.sort_unstable();
        used.dedup();
        let plain_namespaces: Vec<Value> = used
            .iter()
            .map(|ns| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
            .collect();
        self.apply(&plain_namespaces);
        self.apply(&namespaces);
        let (with_status, rest): (Vec<&Value>, Vec<&Value>) = objects.iter().partition(|o| {
            ["Certificate", "Bundle", "ClusterBundle"].contains(&o["kind"].as_str().unwrap_or(""))
                && o.get("status").is_some()
        });
        let plain: Vec<Value> = objects
            .iter()
            .map(|o| {
                let mut o = o.clone();
                o.as_object_mut().unwrap().remove("status");
                o
            })
            .collect();
        self.apply(&plain);
        let _ = rest;
        // cert-manager and trust-manager write their objects' status through the status
        // subresource.
        for c in with_status {
            let name = c["metadata"]["name"].as_str().unwrap();
            let resource = match c["kind"].as_str().unwrap() {
                "Certificate" => "certificates.cert-manager.io",
                "Bundle" => "bundles.trust.cert-manager.io",
                _ => "clusterbundles.trust-manager.io",
            };
            let patch = json!({"status": c["status"]}).to_string();
            let mut args = vec![
                "patch",
                resource,
                name,
                "--subresource=status",
                "--type=merge",
                "-p",
                &patch,
            ];
            if let Some(ns) = c["metadata"]["namespace"].as_str() {
                args.extend(["-n", ns]);
            }
            self.kubectl_ok(&args);
        }
        Applied {
            cluster: self,
            objects: plain,
        }
    }

    /// Namespaces as new: only the name label (a scenario may have labelled one an extension's).
    pub fn reset_namespaces(&self) {
        let list: Value =
            serde_json::from_str(&self.kubectl_ok(&["get", "namespaces", "-o", "json"])).unwrap();
        for item in list["items"].as_array().unwrap() {
            let labels = item["metadata"]["labels"].as_object();
            if labels.is_none_or(|l| l.len() <= 1) {
                continue;
            }
            let ns = item["metadata"]["name"].as_str().unwrap();
            let patch = json!([{"op": "replace", "path": "/metadata/labels",
                                "value": {"kubernetes.io/metadata.name": ns}}])
            .to_string();
            self.kubectl_ok(&["patch", "namespace", ns, "--type=json", "-p", &patch]);
        }
    }
}

/// Objects of a scenario in the cluster; deleted on drop (namespaces stay).
pub struct Applied<'a> {
    cluster: &'a Cluster,
    objects: Vec<Value>,
}

impl Drop for Applied<'_> {
    fn drop(&mut self) {
        // Also after a failed assertion, so that the next test starts from a clean cluster.
        let o = self.cluster.delete(&self.objects);
        if !o.status.success() && !std::thread::panicking() {
            panic!(
                "deleting a scenario's objects: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

/// A fixture folder's objects as one would create them: Namespaces apart from the rest, List
/// items flattened, and the fields only a server sets (uid, resourceVersion, creationTimestamp,
/// managedFields) removed.
pub fn fixture_objects(dir: &Path) -> (Vec<Value>, Vec<Value>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    files.sort();
    let (mut namespaces, mut objects) = (Vec::new(), Vec::new());
    for file in files {
        for mut obj in documents(&file) {
            if !obj.is_object() {
                continue;
            }
            if let Some(meta) = obj["metadata"].as_object_mut() {
                for server_set in [
                    "uid",
                    "resourceVersion",
                    "creationTimestamp",
                    "managedFields",
                    "selfLink",
                    "generation",
                ] {
                    meta.remove(server_set);
                }
            }
            if obj["kind"] == "Namespace" {
                namespaces.push(obj);
            } else {
                objects.push(obj);
            }
        }
    }
    (namespaces, objects)
}

fn certificate_crd() -> Value {
    let mut c = crd(
        "cert-manager.io",
        "v1",
        "Certificate",
        "certificates",
        "Namespaced",
    );
    c["spec"]["names"]["shortNames"] = json!(["cert", "certs"]);
    c
}

/// A CustomResourceDefinition with an open schema and a status subresource.
fn crd(group: &str, version: &str, kind: &str, plural: &str, scope: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": format!("{kind}List"),
                      "plural": plural, "singular": kind.to_lowercase()},
            "scope": scope,
            "versions": [{
                "name": version, "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                                               "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}
            }]
        }
    })
}

/// `meshcert ARGS` with `kubeconfig`, at the pinned instant, as every live test runs it.
pub fn meshcert_live(kubeconfig: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&[
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--at",
        AT,
        "--timeout",
        "30s",
    ]);
    crate::common::meshcert(&all)
}
