//! The object identifiers of the algorithms Go's parser recognises, and DER's NULL.

pub(super) const OID_RSA: &str = "1.2.840.113549.1.1.1";
pub(super) const OID_DSA: &str = "1.2.840.10040.4.1";
pub(super) const OID_EC: &str = "1.2.840.10045.2.1";
pub(super) const OID_ED25519: &str = "1.3.101.112";
pub(super) const OID_MLDSA44: &str = "2.16.840.1.101.3.4.3.17";
pub(super) const OID_MLDSA65: &str = "2.16.840.1.101.3.4.3.18";
pub(super) const OID_MLDSA87: &str = "2.16.840.1.101.3.4.3.19";
pub(super) const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
pub(super) const NULL_DER: &[u8] = &[0x05, 0x00];
