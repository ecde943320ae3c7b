//! `meshcert serve --web.config.file`: the web configuration file every official Prometheus
//! exporter reads (exporter-toolkit's format), so that the same file, and the same Prometheus
//! scrape config, serve meshcert too:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt          # relative paths are relative to this file
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # optional; with client_ca_file
//!   client_ca_file: clients.crt
//!   min_version: TLS12             # TLS12 (default) or TLS13; max_version likewise
//! basic_auth_users:
//!   prometheus: $2y$10$...         # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! Unknown keys are refused, as exporter-toolkit refuses them; the keys it has and meshcert does
//! not (`cipher_suites`, `curve_preferences`, `http_server_config`, …) are refused by name. With
//! `basic_auth_users`, `/metrics` needs a user; `/healthz` and `/readyz` stay open for the
//! kubelet's probes (they say nothing about the clusters). A checked password is remembered (as
//! a SHA-256 of user and password) so that bcrypt's deliberate slowness is paid once per user.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use serde::Deserialize;
use tokio_rustls::rustls;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    tls_server_config: Option<Tls>,
    basic_auth_users: Option<BTreeMap<String, String>>,
    http_server_config: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tls {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    client_auth_type: Option<String>,
    client_ca_file: Option<PathBuf>,
    min_version: Option<String>,
    max_version: Option<String>,
    cipher_suites: Option<serde_json::Value>,
    curve_preferences: Option<serde_json::Value>,
    prefer_server_cipher_suites: Option<serde_json::Value>,
    client_allowed_sans: Option<serde_json::Value>,
    cert: Option<serde_json::Value>,
    key: Option<serde_json::Value>,
}

/// What the web configuration asks of the server.
#[derive(Clone, Default)]
pub struct WebConfig {
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub users: Option<Arc<Users>>,
}

/// The basic-auth users and the logins already checked.
pub struct Users {
    hashes: BTreeMap<String, String>,
    checked: Mutex<HashSet<[u8; 32]>>,
}

/// Reads and checks `path`; every error names the file (and a parse error its line and column,
/// never its content, which holds password hashes).
pub fn load(path: &Path) -> anyhow::Result<WebConfig> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read web config file {name}"))?;
    let file: File = if text.trim().is_empty() {
        File::default()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| match e.location() {
            Some(at) => anyhow!(
                "web config file {name}: line {}, column {}: {}",
                at.line(),
                at.column(),
                crate::source::redact(first_line(&e.to_string()))
            ),
            None => anyhow!(
                "web config file {name}: {}",
                crate::source::redact(first_line(&e.to_string()))
            ),
        })?
    };
    if file.http_server_config.is_some() {
        bail!("web config file {name}: http_server_config is not supported by meshcert");
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tls = match file.tls_server_config {
        Some(tls) => Some(
            acceptor(tls, dir)
                .with_context(|| format!("web config file {name}: tls_server_config"))?,
        ),
        None => None,
    };
    let users = match file.basic_auth_users {
        Some(hashes) => {
            for (user, hash) in &hashes {
                if bcrypt_cost(hash).is_none() {
                    bail!(
                        "web config file {name}: basic_auth_users: the password of {user:?} is not a bcrypt hash"
                    );
                }
            }
            Some(Arc::new(Users {
                hashes,
                checked: Mutex::new(HashSet::new()),
            }))
        }
        None => None,
    };
    Ok(WebConfig { tls, users })
}

/// A message's first line (serde-saphyr may append an excerpt of the input below it).
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}

/// The cost of a `$2a$`/`$2b$`/`$2y$` bcrypt hash, if it is one.
fn bcrypt_cost(hash: &str) -> Option<u32> {
    let rest = hash
        .strip_prefix("$2a$")
        .or_else(|| hash.strip_prefix("$2b$"))
        .or_else(|| hash.strip_prefix("$2y$"))?;
    let (cost, tail) = rest.split_once('$')?;
    (tail.len() == 53).then_some(())?;
    cost.parse().ok()
}

fn version(name: &str) -> anyhow::Result<&'static rustls::SupportedProtocolVersion> {
    match name {
        "TLS12" => Ok(&rustls::version::TLS12),
        "TLS13" => Ok(&rustls::version::TLS13),
        "TLS10" | "TLS11" => bail!("{name} is not offered: meshcert speaks TLS 1.2 and 1.3"),
        other => bail!("unknown TLS version {other:?} (TLS12 or TLS13)"),
    }
}

fn acceptor(tls: Tls, dir: &Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    for (key, set) in [
        ("cipher_suites", tls.cipher_suites.is_some()),
        ("curve_preferences", tls.curve_preferences.is_some()),
        (
            "prefer_server_cipher_suites",
            tls.prefer_server_cipher_suites.is_some(),
        ),
        ("client_allowed_sans", tls.client_allowed_sans.is_some()),
        ("cert", tls.cert.is_some()),
        ("key", tls.key.is_some()),
    ] {
        if set {
            bail!(
                "{key} is not supported by meshcert (use cert_file and key_file; rustls chooses the suites)"
            );
        }
    }
    let at = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
    let cert_file = at(tls.cert_file.context("cert_file is required")?);
    let key_file = at(tls.key_file.context("key_file is required")?);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_file)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| anyhow!("cert_file {}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        bail!("cert_file {}: no certificate", cert_file.display());
    }
    // The key's error never quotes it.
    let key = PrivateKeyDer::from_pem_file(&key_file).map_err(|_| {
        anyhow!(
            "key_file {}: no private key could be read",
            key_file.display()
        )
    })?;
    let min = version(tls.min_version.as_deref().unwrap_or("TLS12"))?;
    let max = version(tls.max_version.as_deref().unwrap_or("TLS13"))?;
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        [&rustls::version::TLS12, &rustls::version::TLS13]
            .into_iter()
            .filter(|v| {
                !(std::ptr::eq(*v, &rustls::version::TLS12)
                    && std::ptr::eq(min, &rustls::version::TLS13))
            })
            .filter(|v| {
                !(std::ptr::eq(*v, &rustls::version::TLS13)
                    && std::ptr::eq(max, &rustls::version::TLS12))
            })
            .collect();
    if versions.is_empty() {
        bail!("min_version is above max_version");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .context("TLS versions")?;
    let builder = match tls.client_auth_type.as_deref().unwrap_or("NoClientCert") {
        "NoClientCert" => builder.with_no_client_auth(),
        kind @ ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven") => {
            let ca_file = at(tls
                .client_ca_file
                .context("client_ca_file is required with client_auth_type")?);
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(&ca_file)
                .map_err(|e| anyhow!("client_ca_file {}: {e}", ca_file.display()))?
            {
                roots
                    .add(cert.map_err(|e| anyhow!("client_ca_file {}: {e}", ca_file.display()))?)
                    .map_err(|e| anyhow!("client_ca_file {}: {e}", ca_file.display()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            );
            let verifier = if kind == "VerifyClientCertIfGiven" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(verifier.build().context("client_ca_file")?)
        }
        other => bail!(
            "client_auth_type {other:?} is not supported (NoClientCert, RequireAndVerifyClientCert, VerifyClientCertIfGiven)"
        ),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| anyhow!("cert_file and key_file: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

impl Users {
    /// Whether an `Authorization` header names a user with the right password. bcrypt runs
    /// on a blocking thread, once per distinct login.
    pub async fn allows(self: &Arc<Self>, authorization: Option<&str>) -> bool {
        let Some((user, password)) = authorization.and_then(basic) else {
            return false;
        };
        let Some(hash) = self.hashes.get(&user).cloned() else {
            return false;
        };
        let login = {
            let digest = ring::digest::digest(
                &ring::digest::SHA256,
                format!("{}\0{}\0{}", user.len(), user, password).as_bytes(),
            );
            let mut key = [0u8; 32];
            key.copy_from_slice(digest.as_ref());
            key
        };
        if self
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&login)
        {
            return true;
        }
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false);
        if ok {
            self.checked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(login);
        }
        ok
    }
}

/// `Basic base64(user:password)`.
fn basic(header: &str) -> Option<(String, String)> {
    let (scheme, value) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("web.yml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_and_unsupported_keys_are_refused_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let err = |text: &str| {
            load(&write(tmp.path(), text))
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        assert!(
            err("basic_auth_user:\n  a: b\n").contains("line 1, column 1"),
            "{}",
            err("basic_auth_user:\n  a: b\n")
        );
        assert!(
            err("http_server_config:\n  http2: true\n")
                .contains("http_server_config is not supported")
        );
        assert!(
            err("basic_auth_users:\n  alice: plain-text\n")
                .contains("the password of \"alice\" is not a bcrypt hash")
        );
        assert!(!err("basic_auth_users:\n  alice: plain-text\n").contains("plain-text"));
        assert!(
            err("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n")
                .contains("cipher_suites is not supported")
        );
        assert!(load(&write(tmp.path(), "")).unwrap().tls.is_none());
    }

    #[test]
    fn basic_auth_checks_bcrypt_and_remembers_a_good_login() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let users = Arc::new(Users {
            hashes: [("prom".to_string(), hash)].into(),
            checked: Mutex::new(HashSet::new()),
        });
        let header = |u: &str, p: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(users.allows(Some(&header("prom", "s3cret"))).await);
            assert!(users.allows(Some(&header("prom", "s3cret"))).await);
            assert!(!users.allows(Some(&header("prom", "wrong"))).await);
            assert!(!users.allows(Some(&header("other", "s3cret"))).await);
            assert!(!users.allows(None).await);
            assert!(!users.allows(Some("Bearer x")).await);
        });
        assert_eq!(users.checked.lock().unwrap().len(), 1);
    }
}
