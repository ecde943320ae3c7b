//! The `meshcert-runtime` checks: what is running, not only what is stored. They judge the
//! Snapshot's runtime evidence ([`crate::runtime`]): the issuer each identity pod has loaded and
//! its issuer Events, and the leaf certificates the proxies hold. Evidence that was not gathered
//! (no permission for `pods/proxy`, a dump without the files) makes them skip, saying why; it
//! never makes them pass.

mod loaded_issuer;
mod proxy_leaves;

pub use loaded_issuer::{IdentityLoadedCurrentIssuer, Loaded, loaded};
pub use proxy_leaves::{ProxiesLeafCertsRenewed, ProxiesLeafCertsValid};

use crate::runtime::Gathered;

/// Why evidence that was not gathered leaves a check unable to judge.
fn not_gathered<T>(what: &str, gathered: &Gathered<T>) -> Option<String> {
    match gathered {
        Gathered::Got(_) => None,
        Gathered::NotGathered(why) => Some(format!("{what} were not read: {why}")),
        Gathered::Forbidden(why) => Some(format!("{what} may not be read: {why}")),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use chrono::{DateTime, Utc};

    use crate::runtime::Scrape;
    use crate::snapshot::Workload;

    pub fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    pub fn scrape(ns: &str, pod: &str, workload: &str, value: Result<f64, &str>) -> Scrape {
        Scrape {
            namespace: ns.into(),
            pod: pod.into(),
            workload: Workload {
                kind: "Deployment".into(),
                name: workload.into(),
            },
            value: value.map_err(String::from),
        }
    }
}
