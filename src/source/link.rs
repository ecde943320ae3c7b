//! Linkerd multicluster: a `Link` reduced to what the checks read, and a Link's credentials
//! (the `kubeconfig` key of its Secret) reduced as they are read to where they point, the CA and
//! client certificate they embed and when their token expires. The token and any client key are
//! dropped here, before anything else sees them.

use base64::Engine as _;
use meshcert_checks::snapshot::{Link, RemoteKubeconfig, TokenExpiry};
use serde_json::Value;

use super::kube_types::Manifest;

/// The Link's group: another group's kind of that name is not Linkerd's.
pub(crate) fn is_linkerds(api_version: Option<&str>) -> bool {
    api_version.is_some_and(|v| v.starts_with("multicluster.linkerd.io/"))
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(String::from)
}

/// The Link of `doc`.
pub(crate) fn link(doc: &Manifest) -> Link {
    let spec = doc.spec.as_ref();
    Link {
        api_version: doc.api_version.clone().unwrap_or_default(),
        target_cluster_name: text(spec.and_then(|s| s.target_cluster_name.as_ref())),
        target_cluster_domain: text(spec.and_then(|s| s.target_cluster_domain.as_ref())),
        target_linkerd_namespace: text(
            spec.and_then(|s| s.target_cluster_linkerd_namespace.as_ref()),
        ),
        credentials_secret: text(spec.and_then(|s| s.cluster_credentials_secret.as_ref())),
        gateway_identity: text(spec.and_then(|s| s.gateway_identity.as_ref())),
    }
}

/// The entry named `name` of a kubeconfig list (`clusters`, `contexts`, `users`), its inner map.
fn named<'a>(config: &'a Value, list: &str, inner: &str, name: &str) -> Option<&'a Value> {
    config
        .get(list)?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))?
        .get(inner)
}

fn decoded(v: Option<&Value>, field: &str) -> Result<Option<Vec<u8>>, String> {
    match v.and_then(Value::as_str) {
        None => Ok(None),
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map(Some)
            .map_err(|e| format!("{field} is not base64: {e}")),
    }
}

/// When a bearer token expires: a JWT's `exp`, or none.
fn token_expiry(token: &str) -> TokenExpiry {
    let payload = token.split('.').nth(1).and_then(|p| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p.trim_end_matches('='))
            .ok()
    });
    let exp = payload
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .and_then(|claims| claims.get("exp").and_then(Value::as_i64));
    match exp {
        Some(exp) => TokenExpiry::Expires(exp),
        None => TokenExpiry::NoExpiry,
    }
}

/// A kubeconfig's current context, reduced. The error says what is wrong with it, never quoting
/// it (it holds a token).
pub(crate) fn remote_kubeconfig(bytes: &[u8]) -> Result<RemoteKubeconfig, String> {
    let source = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let config: Value = serde_saphyr::from_str(source)
        .map_err(|e| format!("not a kubeconfig: {}", first_line(&e.to_string())))?;
    if !config.is_object() {
        return Err("not a kubeconfig: not a map".into());
    }
    let current = config
        .get("current-context")
        .and_then(Value::as_str)
        .ok_or("no current-context")?;
    let context = named(&config, "contexts", "context", current)
        .ok_or_else(|| format!("context {current:?} not found"))?;
    let cluster_name = text(context.get("cluster"));
    let cluster = cluster_name
        .as_deref()
        .and_then(|c| named(&config, "clusters", "cluster", c));
    let user = text(context.get("user"))
        .as_deref()
        .and_then(|u| named(&config, "users", "user", u))
        .cloned()
        .unwrap_or(Value::Null);
    Ok(RemoteKubeconfig {
        server: cluster.and_then(|c| text(c.get("server"))),
        ca: decoded(
            cluster.and_then(|c| c.get("certificate-authority-data")),
            "certificate-authority-data",
        )?,
        client_certificate: decoded(
            user.get("client-certificate-data"),
            "client-certificate-data",
        )?,
        token: match user.get("token").and_then(Value::as_str) {
            Some(t) => token_expiry(t),
            None => TokenExpiry::NoToken,
        },
        cluster: cluster_name,
    })
}

/// The first line of a parser's message (later lines may quote the input).
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2ln", b("{\"alg\":\"RS256\"}"), b(claims))
    }

    #[test]
    fn a_kubeconfig_keeps_where_it_points_and_when_its_token_expires_never_the_token() {
        let token = jwt(
            "{\"exp\":1800000000,\"sub\":\"system:serviceaccount:linkerd-multicluster:linkerd-service-mirror-remote-access-default\"}",
        );
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let config = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: west\ncontexts:\n- name: west\n  context: {{cluster: west, user: mirror}}\n\
             clusters:\n- name: west\n  cluster: {{server: 'https://west.example:6443', certificate-authority-data: {}}}\n\
             users:\n- name: mirror\n  user: {{token: {token}}}\n",
            b64("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        );
        let k = remote_kubeconfig(config.as_bytes()).unwrap();
        assert_eq!(k.server.as_deref(), Some("https://west.example:6443"));
        assert_eq!(k.cluster.as_deref(), Some("west"));
        assert_eq!(k.token, TokenExpiry::Expires(1_800_000_000));
        assert!(k.ca.unwrap().starts_with(b"-----BEGIN CERTIFICATE-----"));
        assert!(!format!("{:?}", remote_kubeconfig(config.as_bytes())).contains(&token));
        // A legacy token is not a JWT with an expiry.
        let legacy = config.replace(&token, "abcdef");
        assert_eq!(
            remote_kubeconfig(legacy.as_bytes()).unwrap().token,
            TokenExpiry::NoExpiry
        );
        // What is wrong is named, without quoting the input.
        let bad = remote_kubeconfig(format!("{token}: [").as_bytes()).unwrap_err();
        assert!(bad.starts_with("not a kubeconfig"), "{bad}");
        assert!(!bad.contains(&token), "{bad}");
        assert_eq!(
            remote_kubeconfig(b"apiVersion: v1\nkind: Config\n").unwrap_err(),
            "no current-context"
        );
    }
}
