//! PEM decoding with the semantics of Go's `encoding/pem` as linkerd uses it
//! (`pkg/tls/codec.go`), because meshcert must accept and reject exactly what linkerd's
//! identity service accepts and rejects:
//!
//! - junk before the first `-----BEGIN` is skipped;
//! - a certificate bundle may not carry anything after its last block, not even a blank line
//!   ("not a PEM certificate");
//! - a block that is not a CERTIFICATE ends the bundle: later blocks are not read;
//! - a private key is read from the first block only.

use base64::Engine as _;

use crate::cert::Cert;

/// One decoded PEM block.
pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

impl std::fmt::Debug for Block {
    // Never print the bytes: the block may be a private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Block({}, <{} bytes>)", self.label, self.der.len())
    }
}

const BEGIN: &[u8] = b"-----BEGIN ";
const DASHES: &[u8] = b"-----";

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Index of the first `-----BEGIN ` that starts a line.
fn find_begin(data: &[u8]) -> Option<usize> {
    if data.starts_with(BEGIN) {
        return Some(0);
    }
    find(data, b"\n-----BEGIN ").map(|i| i + 1)
}

/// Skips spaces and tabs, then one line ending.
fn skip_line_end(rest: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < rest.len() && (rest[i] == b' ' || rest[i] == b'\t') {
        i += 1;
    }
    let rest = &rest[i..];
    if let Some(r) = rest.strip_prefix(b"\r\n") {
        r
    } else if let Some(r) = rest.strip_prefix(b"\n") {
        r
    } else {
        rest
    }
}

/// Decodes the next PEM block, like Go's `pem.Decode`: returns the block and the bytes after it,
/// or `None` when no complete, well-formed block remains.
pub fn decode(data: &[u8]) -> Option<(Block, &[u8])> {
    let mut search = data;
    loop {
        let start = find_begin(search)?;
        let after_begin = &search[start + BEGIN.len()..];
        let line_end = after_begin
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(after_begin.len());
        let line = trim_end(&after_begin[..line_end]);
        let Some(label) = line.strip_suffix(DASHES) else {
            search = &after_begin[line_end.min(after_begin.len())..];
            continue;
        };
        let label = String::from_utf8_lossy(label).into_owned();
        let body_start = (line_end + 1).min(after_begin.len());
        let body_and_rest = &after_begin[body_start..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = find(body_and_rest, end_marker.as_bytes()) else {
            search = body_and_rest;
            continue;
        };
        // The END marker must start a line (or the body must be empty).
        if end > 0 && body_and_rest[end - 1] != b'\n' {
            search = &body_and_rest[end..];
            continue;
        }
        let body = &body_and_rest[..end];
        let rest = skip_line_end(&body_and_rest[end + end_marker.len()..]);
        match decode_body(body) {
            Some(der) => return Some((Block { label, der }, rest)),
            None => search = rest,
        }
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && matches!(s[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    &s[..end]
}

/// Base64 of a block body; RFC 1421 headers (`Key: value` lines before a blank line) are skipped.
fn decode_body(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.first().is_some_and(|l| l.contains(':')) {
        let blank = lines.iter().position(|l| l.trim().is_empty())?;
        lines.drain(..=blank);
    }
    let compact: String = lines
        .iter()
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}

/// Why a certificate bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("not a PEM certificate")]
    NotPem,
    #[error("{0}")]
    Certificate(crate::x509::Error),
}

/// All certificates of a PEM bundle, as linkerd's `DecodePEMCertificates` reads them: an empty
/// input gives no certificates and no error.
pub fn decode_certificates(data: &[u8]) -> Result<Vec<Cert>, BundleError> {
    let mut certs = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some((block, after)) = decode(rest) else {
            return Err(BundleError::NotPem);
        };
        if block.label != "CERTIFICATE" {
            break;
        }
        certs.push(Cert::from_der(block.der).map_err(BundleError::Certificate)?);
        rest = after;
    }
    Ok(certs)
}

/// The certificates of a trust bundle, read leniently for comparison: CRLF line endings, blank
/// lines and surrounding whitespace are ignored; anything else that is not a certificate is an
/// error. (Used for the proxies' bundles, which linkerd compares as trimmed strings.)
pub fn decode_bundle_lenient(text: &str) -> Result<Vec<Cert>, String> {
    let normalized = text.replace("\r\n", "\n");
    let mut rest = normalized.as_bytes();
    let mut certs = Vec::new();
    loop {
        let trimmed = rest.trim_ascii_start();
        if trimmed.is_empty() {
            break;
        }
        if !trimmed.starts_with(BEGIN) {
            return Err("unexpected text in the bundle: not a PEM certificate".to_string());
        }
        let Some((block, after)) = decode(trimmed) else {
            return Err("not a PEM certificate".to_string());
        };
        if block.label != "CERTIFICATE" {
            return Err(format!(
                "unexpected PEM block {} in the bundle",
                block.label
            ));
        }
        certs.push(Cert::from_der(block.der).map_err(|e| e.to_string())?);
        rest = after;
    }
    if certs.is_empty() {
        return Err("no certificate in the bundle".to_string());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "-----BEGIN TEST-----\naGVsbG8=\n-----END TEST-----\n";

    #[test]
    fn decodes_one_block_and_returns_the_rest() {
        let input = format!("{BLOCK}tail");
        let (b, rest) = decode(input.as_bytes()).unwrap();
        assert_eq!(b.label, "TEST");
        assert_eq!(b.der, b"hello");
        assert_eq!(rest, b"tail");
    }

    #[test]
    fn skips_leading_junk_and_crlf() {
        let input = "junk line\r\n-----BEGIN TEST-----\r\naGVs\r\nbG8=\r\n-----END TEST-----\r\n";
        let (b, rest) = decode(input.as_bytes()).unwrap();
        assert_eq!(b.der, b"hello");
        assert!(rest.is_empty());
    }

    #[test]
    fn no_block_or_unterminated_block_is_none() {
        assert!(decode(b"").is_none());
        assert!(decode(b"\n").is_none());
        assert!(decode(b"-----BEGIN TEST-----\naGVsbG8=\n").is_none());
        assert!(decode(b"-----BEGIN TEST-----\naGVsbG8=\n-----END OTHER-----\n").is_none());
    }

    #[test]
    fn garbage_base64_is_not_a_block() {
        assert!(decode(b"-----BEGIN TEST-----\n!!!notbase64!!!\n-----END TEST-----\n").is_none());
    }

    #[test]
    fn empty_bundle_has_no_certificates() {
        assert_eq!(decode_certificates(b"").unwrap().len(), 0);
    }

    #[test]
    fn trailing_newline_after_the_last_block_is_not_a_pem_certificate() {
        // linkerd's own unit test: an extra "\n" appended to ca.crt fails the config check.
        use crate::cert::testutil::*;
        let pem = self_signed(Spec::ca("c", 1), p256()).pem;
        assert_eq!(decode_certificates(pem.as_bytes()).unwrap().len(), 1);
        let input = format!("{pem}\n");
        assert_eq!(
            decode_certificates(input.as_bytes()).unwrap_err(),
            BundleError::NotPem
        );
    }

    #[test]
    fn a_non_certificate_block_ends_the_bundle() {
        assert_eq!(decode_certificates(BLOCK.as_bytes()).unwrap().len(), 0);
    }

    #[test]
    fn lenient_bundles_ignore_line_endings_and_blank_lines_only() {
        use crate::cert::testutil::*;
        let a = self_signed(Spec::ca("a", 1), p256()).pem;
        let b = self_signed(Spec::ca("b", 2), p256()).pem;
        let messy = format!("\n\n{}\n\n{}  \n", b.replace('\n', "\r\n"), a);
        let certs = decode_bundle_lenient(&messy).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].facts.common_name, "b");
        assert!(
            decode_bundle_lenient("")
                .unwrap_err()
                .contains("no certificate")
        );
        assert!(decode_bundle_lenient(&format!("{a}junk")).is_err());
        assert!(
            decode_bundle_lenient(&format!("{a}{BLOCK}"))
                .unwrap_err()
                .contains("TEST")
        );
    }

    #[test]
    fn certificate_block_with_garbage_der_is_an_error_naming_x509() {
        let input = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        let err = decode_certificates(input.as_bytes()).unwrap_err();
        assert!(err.to_string().starts_with("x509: "), "{err}");
    }
}
