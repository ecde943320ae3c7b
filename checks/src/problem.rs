//! What a failing check found, typed: problems (where, and what is wrong) under optional headings.
//!
//! A check builds a [`Failure`]; the runner keeps it on the report, so a reporter lays the lists
//! out (the table cuts long ones) from the structure instead of re-reading text, and `-o json`
//! gives each problem's object and key. [`Failure::text`] is linkerd's wording, byte for byte:
//! one problem alone is its message; a list is its heading and one `\t* ` line per problem.

use serde::Serialize;

use crate::snapshot::{ObjectRef, Origin};

/// One thing a check found wrong, and where it lives when that is one object (and key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The Kubernetes object (`Secret linkerd/linkerd-identity-issuer`, `Pod app/web-1`) or file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The data key or field inside `object` (`crt.pem`, `values:identityTrustAnchorsPEM`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The sentence the report prints for it.
    pub message: String,
}

impl Problem {
    /// A problem with no single place to point at.
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            object: None,
            key: None,
            message: message.into(),
        }
    }

    /// A problem in one object as a whole.
    pub fn in_object(object: &ObjectRef, message: impl Into<String>) -> Self {
        Problem {
            object: Some(object.to_string()),
            ..Problem::new(message)
        }
    }

    /// A problem in an object named by its kind, namespace and name (`Pod`, `Deployment`, …).
    pub fn named(kind: &str, namespace: &str, name: &str, message: impl Into<String>) -> Self {
        Problem {
            object: Some(format!("{kind} {namespace}/{name}")),
            ..Problem::new(message)
        }
    }

    /// A problem in the material read from `origin` (a key, a field, a caBundle or a file).
    pub fn at(origin: &Origin, message: impl Into<String>) -> Self {
        let (object, key) = match origin {
            Origin::Key { object, key } => (object.to_string(), Some(key.clone())),
            Origin::Field { object, key, field } => {
                (object.to_string(), Some(format!("{key}:{field}")))
            }
            Origin::CaBundle { object, field } => (object.to_string(), Some(field.clone())),
            Origin::File(path) => (path.clone(), None),
        };
        Problem {
            object: Some(object),
            key,
            message: message.into(),
        }
    }
}

impl From<String> for Problem {
    fn from(message: String) -> Self {
        Problem::new(message)
    }
}

/// A heading and the problems listed under it; without a heading, one problem stated alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    pub problems: Vec<Problem>,
}

/// Why a check failed: one or more sections, in the order they are printed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    sections: Vec<Section>,
}

impl Failure {
    /// One problem, stated alone.
    pub fn one(problem: impl Into<Problem>) -> Self {
        Failure {
            sections: vec![Section {
                heading: None,
                problems: vec![problem.into()],
            }],
        }
    }

    /// linkerd's "one problem as is, several as `N problems:` and a list".
    pub fn problems(mut problems: Vec<Problem>) -> Self {
        if problems.len() == 1 {
            return Failure::one(problems.remove(0));
        }
        Failure::titled(format!("{} problems:", problems.len()), problems)
    }

    /// A heading and its list.
    pub fn titled(heading: impl Into<String>, problems: Vec<Problem>) -> Self {
        Failure::default().then(heading, problems)
    }

    /// Adds a further heading and list.
    pub fn then(mut self, heading: impl Into<String>, problems: Vec<Problem>) -> Self {
        self.sections.push(Section {
            heading: Some(heading.into()),
            problems,
        });
        self
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The report's text with every list cut after `limit` entries; `more(n)` is the line (after
    /// the tab) standing for the `n` left out.
    pub fn text_cut(&self, limit: usize, more: impl Fn(usize) -> String) -> String {
        let mut lines: Vec<String> = Vec::new();
        for section in &self.sections {
            match &section.heading {
                None => lines.extend(section.problems.iter().map(|p| p.message.clone())),
                Some(heading) => {
                    lines.push(heading.clone());
                    let shown = section.problems.len().min(limit);
                    lines.extend(
                        section.problems[..shown]
                            .iter()
                            .map(|p| format!("\t* {}", p.message)),
                    );
                    if section.problems.len() > shown {
                        lines.push(format!("\t{}", more(section.problems.len() - shown)));
                    }
                }
            }
        }
        lines.join("\n")
    }

    /// The whole text, as linkerd prints it.
    pub fn text(&self) -> String {
        self.text_cut(usize::MAX, |_| String::new())
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::one(message)
    }
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        Failure::one(problem)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::one(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Kind;

    #[test]
    fn text_is_linkerds_wording() {
        assert_eq!(Failure::one("boom".to_string()).text(), "boom");
        assert_eq!(Failure::problems(vec![Problem::new("only")]).text(), "only");
        assert_eq!(
            Failure::problems(vec![Problem::new("a"), Problem::new("b")]).text(),
            "2 problems:\n\t* a\n\t* b"
        );
        assert_eq!(
            Failure::titled("Some pods:", vec![Problem::new("x")])
                .then("Restart them:", vec![Problem::new("y"), Problem::new("z")])
                .text(),
            "Some pods:\n\t* x\nRestart them:\n\t* y\n\t* z"
        );
    }

    #[test]
    fn long_lists_are_cut_per_section() {
        let items = (1..=5).map(|i| Problem::new(format!("p{i}"))).collect();
        let f = Failure::titled("H:", items).then("R:", vec![Problem::new("a")]);
        assert_eq!(
            f.text_cut(3, |n| format!("… {n} more")),
            "H:\n\t* p1\n\t* p2\n\t* p3\n\t… 2 more\nR:\n\t* a"
        );
        assert_eq!(f.text_cut(5, |_| unreachable!()), f.text());
    }

    #[test]
    fn a_problem_names_its_object_and_key() {
        let secret = ObjectRef::new(Kind::Secret, "linkerd", "linkerd-identity-issuer");
        let p = Problem::at(
            &Origin::Key {
                object: secret.clone(),
                key: "crt.pem".into(),
            },
            "bad",
        );
        assert_eq!(
            p.object.as_deref(),
            Some("Secret linkerd/linkerd-identity-issuer")
        );
        assert_eq!(p.key.as_deref(), Some("crt.pem"));
        let field = Problem::at(
            &Origin::Field {
                object: ObjectRef::new(Kind::ConfigMap, "linkerd", "linkerd-config"),
                key: "values".into(),
                field: "identityTrustAnchorsPEM".into(),
            },
            "x",
        );
        assert_eq!(field.key.as_deref(), Some("values:identityTrustAnchorsPEM"));
        let whole = Problem::in_object(&secret, "gone");
        assert_eq!(whole.key, None);
        assert_eq!(
            serde_json::to_value(&whole).unwrap(),
            serde_json::json!({"object": "Secret linkerd/linkerd-identity-issuer", "message": "gone"})
        );
    }
}
