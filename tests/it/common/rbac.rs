//! RBAC rules taken apart into single permissions: what the least-privilege tests compare and
//! remove one at a time.

use serde_json::Value;

/// One permission: a verb on a resource (of a group), perhaps of one name, in a Role or
/// ClusterRole of the file.
#[derive(Debug, Clone)]
pub struct Atom {
    /// The index of its Role or ClusterRole among the file's documents.
    pub doc: usize,
    pub group: String,
    pub resource: String,
    pub verb: String,
    pub name: Option<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Every permission the Roles and ClusterRoles of `docs` grant, one by one.
pub fn atoms(docs: &[Value]) -> Vec<Atom> {
    let mut out = Vec::new();
    for (doc, d) in docs.iter().enumerate() {
        if d["kind"] != "Role" && d["kind"] != "ClusterRole" {
            continue;
        }
        for rule in d["rules"].as_array().unwrap() {
            let names = strings(&rule["resourceNames"]);
            let names: Vec<Option<String>> = if names.is_empty() {
                vec![None]
            } else {
                names.into_iter().map(Some).collect()
            };
            for group in strings(&rule["apiGroups"]) {
                for resource in strings(&rule["resources"]) {
                    for verb in strings(&rule["verbs"]) {
                        for name in &names {
                            out.push(Atom {
                                doc,
                                group: group.clone(),
                                resource: resource.clone(),
                                verb: verb.clone(),
                                name: name.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    out
}
