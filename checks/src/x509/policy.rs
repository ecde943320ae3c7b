//! Go's `policiesValid` (RFC 5280 6.1 policy processing as updated by RFC 9618), called as
//! `Verify` calls it with no user policies: any policy is acceptable, but a chain whose
//! certificates require an explicit policy must carry one, and mappings to or from anyPolicy
//! are invalid. Most chains have no policy extensions and pass untouched.

use std::collections::{BTreeMap, BTreeSet};

use crate::x509::parse::Policies;

/// anyPolicy, 2.5.29.32.0, as OID contents.
const ANY: &[u8] = &[0x55, 0x1d, 0x20, 0x00];

struct Node {
    valid: Vec<u8>,
    expected: Vec<Vec<u8>>,
    parents: BTreeSet<usize>,
    children: BTreeSet<usize>,
}

/// The policy graph: nodes in an arena, one map of OID to node per depth.
struct Graph {
    nodes: Vec<Node>,
    strata: Vec<BTreeMap<Vec<u8>, usize>>,
    parent_index: BTreeMap<Vec<u8>, Vec<usize>>,
}

impl Graph {
    fn new() -> Graph {
        let root = Node {
            valid: ANY.to_vec(),
            expected: vec![ANY.to_vec()],
            parents: BTreeSet::new(),
            children: BTreeSet::new(),
        };
        Graph {
            nodes: vec![root],
            strata: vec![BTreeMap::from([(ANY.to_vec(), 0)])],
            parent_index: BTreeMap::new(),
        }
    }

    fn depth(&self) -> usize {
        self.strata.len() - 1
    }

    fn new_node(&mut self, valid: Vec<u8>, parents: &[usize]) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            expected: vec![valid.clone()],
            valid,
            parents: parents.iter().copied().collect(),
            children: BTreeSet::new(),
        });
        for &p in parents {
            self.nodes[p].children.insert(id);
        }
        id
    }

    fn insert(&mut self, id: usize) {
        let d = self.depth();
        let key = self.nodes[id].valid.clone();
        self.strata[d].insert(key, id);
    }

    fn parents_with_expected(&self, oid: &[u8]) -> Vec<usize> {
        if self.depth() == 0 {
            return Vec::new();
        }
        self.parent_index.get(oid).cloned().unwrap_or_default()
    }

    fn parent_with_any(&self) -> Option<usize> {
        if self.depth() == 0 {
            return None;
        }
        self.strata[self.depth() - 1].get(ANY).copied()
    }

    fn leaf_with(&self, oid: &[u8]) -> Option<usize> {
        self.strata[self.depth()].get(oid).copied()
    }

    fn delete_leaf(&mut self, oid: &[u8]) {
        let d = self.depth();
        let Some(id) = self.strata[d].remove(oid) else {
            return;
        };
        for p in std::mem::take(&mut self.nodes[id].parents) {
            self.nodes[p].children.remove(&id);
        }
        for c in std::mem::take(&mut self.nodes[id].children) {
            self.nodes[c].parents.remove(&id);
        }
    }

    fn prune(&mut self) {
        for i in (1..self.depth()).rev() {
            let childless: Vec<(Vec<u8>, usize)> = self.strata[i]
                .iter()
                .filter(|(_, id)| self.nodes[**id].children.is_empty())
                .map(|(k, id)| (k.clone(), *id))
                .collect();
            for (key, id) in childless {
                for p in std::mem::take(&mut self.nodes[id].parents) {
                    self.nodes[p].children.remove(&id);
                }
                self.strata[i].remove(&key);
            }
        }
    }

    fn incr_depth(&mut self) {
        let mut index: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
        for &id in self.strata[self.depth()].values() {
            for e in &self.nodes[id].expected {
                index.entry(e.clone()).or_default().push(id);
            }
        }
        self.parent_index = index;
        self.strata.push(BTreeMap::new());
    }

    fn has_valid_policy(&self) -> bool {
        let valid_nodes = (0..=self.depth()).rev().any(|i| {
            self.strata[i].values().any(|&id| {
                let n = &self.nodes[id];
                n.valid != ANY
                    && n.parents.len() == 1
                    && n.parents.iter().all(|&p| self.nodes[p].valid == ANY)
            })
        });
        valid_nodes || self.leaf_with(ANY).is_some()
    }
}

/// The policy fields of one chain member.
pub struct PolicyView<'a> {
    pub policies: &'a Policies,
    pub self_signed: bool,
}

fn effective(v: Option<i64>) -> Option<i64> {
    v.filter(|&n| n >= 0)
}

/// `policiesValid(chain, opts)` with Verify's defaults; the chain runs leaf first.
pub fn policies_valid(chain: &[PolicyView<'_>]) -> bool {
    if chain.len() == 1 {
        return true;
    }
    let n = (chain.len() - 1) as i64;
    let mut graph = Some(Graph::new());
    let (mut inhibit_any, mut explicit, mut mapping) = (n + 1, n + 1, n + 1);

    for i in (0..chain.len() - 1).rev() {
        let cert = chain[i].policies;
        let self_signed = chain[i].self_signed;
        if cert.policies.is_empty() {
            graph = None;
        }
        if explicit == 0 && graph.is_none() {
            return false;
        }
        if let Some(pg) = graph.as_mut() {
            pg.incr_depth();
            let mut has_any = false;
            for policy in &cert.policies {
                if policy == ANY {
                    has_any = true;
                    continue;
                }
                let mut parents = pg.parents_with_expected(policy);
                if parents.is_empty()
                    && let Some(any) = pg.parent_with_any()
                {
                    parents = vec![any];
                }
                if !parents.is_empty() {
                    let id = pg.new_node(policy.clone(), &parents);
                    pg.insert(id);
                }
            }
            let step = n - i as i64;
            if has_any && (inhibit_any > 0 || (step < n && self_signed)) {
                let mut missing: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
                let d = pg.depth();
                let parents: Vec<usize> = pg.strata[d - 1].values().copied().collect();
                for p in parents {
                    for e in pg.nodes[p].expected.clone() {
                        if !pg.strata[d].contains_key(&e) {
                            missing.entry(e).or_default().push(p);
                        }
                    }
                }
                for (oid, parents) in missing {
                    let id = pg.new_node(oid, &parents);
                    pg.insert(id);
                }
            }
            pg.prune();

            if i != 0 && !cert.mappings.is_empty() {
                let mut maps: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
                for (issuer, subject) in &cert.mappings {
                    if mapping > 0 {
                        if issuer == ANY || subject == ANY {
                            return false;
                        }
                        maps.entry(issuer.clone())
                            .or_default()
                            .push(subject.clone());
                    } else {
                        pg.delete_leaf(issuer);
                    }
                }
                pg.prune();
                for (issuer, subjects) in maps {
                    if let Some(m) = pg.leaf_with(&issuer) {
                        pg.nodes[m].expected = subjects;
                    } else if let Some(any) = pg.leaf_with(ANY) {
                        let id = pg.new_node(issuer, &[any]);
                        pg.nodes[id].expected = subjects;
                        pg.insert(id);
                    }
                }
            }
        }

        if i != 0 {
            if !self_signed {
                explicit = (explicit - 1).max(0);
                mapping = (mapping - 1).max(0);
                inhibit_any = (inhibit_any - 1).max(0);
            }
            if let Some(v) = effective(cert.require_explicit_policy)
                && v < explicit
            {
                explicit = v;
            }
            if let Some(v) = effective(cert.inhibit_policy_mapping)
                && v < mapping
            {
                mapping = v;
            }
            if let Some(v) = effective(cert.inhibit_any_policy)
                && v < inhibit_any
            {
                inhibit_any = v;
            }
        }
    }

    if explicit > 0 {
        explicit -= 1;
    }
    if chain[0].policies.require_explicit_policy == Some(0) {
        explicit = 0;
    }
    let any_valid = graph.as_ref().is_some_and(Graph::has_valid_policy);
    explicit != 0 || any_valid
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &[u8] = &[0x2a, 0x03, 0x04];

    fn view(p: &Policies, self_signed: bool) -> PolicyView<'_> {
        PolicyView {
            policies: p,
            self_signed,
        }
    }

    #[test]
    fn chains_without_policies_pass() {
        let none = Policies::default();
        assert!(policies_valid(&[view(&none, false), view(&none, true)]));
    }

    #[test]
    fn require_explicit_policy_needs_a_policy() {
        let none = Policies::default();
        let root = Policies {
            require_explicit_policy: Some(0),
            ..Default::default()
        };
        let inter = Policies {
            require_explicit_policy: Some(0),
            ..Default::default()
        };
        assert!(!policies_valid(&[
            view(&none, false),
            view(&inter, false),
            view(&root, true)
        ]));
        let with = Policies {
            policies: vec![P1.to_vec()],
            ..Default::default()
        };
        let inter_with = Policies {
            policies: vec![P1.to_vec()],
            require_explicit_policy: Some(0),
            ..Default::default()
        };
        assert!(policies_valid(&[
            view(&with, false),
            view(&inter_with, false),
            view(&root, true)
        ]));
    }

    #[test]
    fn mapping_any_policy_is_invalid() {
        let leaf = Policies {
            policies: vec![P1.to_vec()],
            ..Default::default()
        };
        let inter = Policies {
            policies: vec![ANY.to_vec()],
            mappings: vec![(ANY.to_vec(), P1.to_vec())],
            ..Default::default()
        };
        let root = Policies::default();
        assert!(!policies_valid(&[
            view(&leaf, false),
            view(&inter, false),
            view(&root, true)
        ]));
    }
}
