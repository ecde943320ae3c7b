//! Writes a synthetic `kubectl get pods -A -o json` dump of meshed pods, for the benchmark.
//!
//! gen-pods --pods N --namespaces M --bundle CA.PEM [--stale-every K] [--out FILE]
//!
//! Pods are spread over M namespaces, in Deployments (most), StatefulSets and DaemonSets; one in
//! ten runs the proxy as a native sidecar. Every proxy carries `--bundle` as its trust anchors,
//! except every K-th pod, which carries an older anchor (so the check has stale pods to report).

use std::io::{BufWriter, Write};

use meshcert_bench::{Bundle, PodSpec, pod, write_list};

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn old_anchor() -> String {
    let key = rcgen::KeyPair::generate().expect("P-256 key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "root.linkerd.cluster.local");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(1));
    params.not_before = time::OffsetDateTime::parse(
        "2024-01-01T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .expect("date");
    params.self_signed(&key).expect("self-sign").pem()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: gen-pods --pods N --namespaces M --bundle CA.PEM [--stale-every K] [--out FILE]";
    let pods: usize = arg(&args, "--pods")
        .and_then(|v| v.parse().ok())
        .expect(usage);
    let namespaces: usize = arg(&args, "--namespaces")
        .and_then(|v| v.parse().ok())
        .expect(usage);
    let bundle = std::fs::read_to_string(arg(&args, "--bundle").expect(usage))?;
    let stale_every: usize = arg(&args, "--stale-every")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let old = old_anchor();
    let out: Box<dyn Write> = match arg(&args, "--out") {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let ns_names: Vec<String> = (0..namespaces).map(|i| format!("team-{i:04}")).collect();
    let workloads = [
        "web", "api", "worker", "cache", "gateway", "billing", "search", "auth",
    ];
    let items = (0..pods).map(|i| {
        let ns = &ns_names[i % namespaces];
        let slot = (i / namespaces) % 20;
        let (kind, workload) = match slot {
            0..=15 => ("Deployment", workloads[slot % workloads.len()]),
            16..=18 => ("StatefulSet", "db"),
            _ => ("DaemonSet", "node-agent"),
        };
        let stale = stale_every > 0 && i % stale_every == stale_every - 1;
        pod(&PodSpec {
            namespace: ns,
            workload_kind: kind,
            workload,
            index: i,
            bundle: Bundle::Literal(if stale { &old } else { &bundle }),
            native_sidecar: i % 10 == 3,
            control_plane_ns: "linkerd",
        })
    });
    write_list(&mut out, items)?;
    out.flush()
}
