//! How the rotation names an anchor: by its SHA-256 fingerprint (what the sets compare), and
//! by a short label for messages (its subject and the start of the fingerprint).

use crate::cert::Cert;
use crate::details::AnchorRef;

pub(super) fn fingerprint(c: &Cert) -> String {
    c.facts.sha256_fingerprint.clone()
}

pub(super) fn label(c: &Cert) -> String {
    AnchorRef::of(c).short()
}
