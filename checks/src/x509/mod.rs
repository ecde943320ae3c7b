//! Go's `crypto/x509`, ported for meshcert's verdicts to be linkerd's: `ParseCertificate`
//! (structure, extensions, public keys, names, with Go's refusals and error texts), the name
//! matching and constraint rules of `Verify`, policy validation and signature checks. The chain
//! building itself is in the `verify` module.

mod certificate;
pub mod constraints;
pub mod der;
mod extensions;
pub mod hostname;
mod name;
mod oid;
pub mod parse;
pub mod policy;
pub mod public_key;
pub mod signature;
pub mod uri;

/// Why Go's `crypto/x509` refuses a certificate or a chain. `Display` is Go's error text, the
/// words linkerd prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ParseCertificate` refuses the DER (structure, extensions, keys, names).
    #[error("{0}")]
    Parse(String),
    /// The signature does not verify under the parent's key, or its algorithm or key is refused.
    #[error("{0}")]
    Signature(String),
    /// A name constraint of the chain excludes, or does not permit, one of the leaf's names.
    #[error("{0}")]
    Constraint(String),
}

impl Error {
    /// Go's text.
    pub fn text(&self) -> &str {
        match self {
            Error::Parse(s) | Error::Signature(s) | Error::Constraint(s) => s,
        }
    }
}

/// A refusal of the parsing steps, where Go's text is written out.
impl From<&str> for Error {
    fn from(s: &str) -> Error {
        Error::Parse(s.to_string())
    }
}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error::Parse(s)
    }
}

/// What the parsing steps return: Go's refusal when they refuse.
type R<T> = Result<T, Error>;

fn err<T>(s: &str) -> R<T> {
    Err(Error::Parse(s.to_string()))
}
