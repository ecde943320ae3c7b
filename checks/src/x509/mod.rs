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

/// What the parsing steps return: Go's error text on refusal.
type R<T> = Result<T, String>;

fn err<T>(s: &str) -> R<T> {
    Err(s.to_string())
}
