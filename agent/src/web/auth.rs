//! Who may read the page, `/status`, `/metrics` and `/api/*`. On loopback (the default
//! listen) nothing is asked unless `web.authFile` is set; on any other address the
//! service refuses to start without it ([`load`], a config error: exit 4). The file's
//! one line is the token: `Authorization: Bearer TOKEN` from tools, or basic auth with
//! any user name and the token as password from a browser (which prompts for it).
//! Compared in constant time; a refusal is 401 with no data in the body.

use crate::config::{Config, ConfigError};
use base64::Engine as _;
use schema::Diagnostic;
use subtle::ConstantTimeEq;

#[derive(Clone)]
pub struct Credentials {
    token: Vec<u8>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

fn invalid(file: &str, message: String, hint: &str) -> ConfigError {
    ConfigError::Invalid(Diagnostic::error(file, 0, 0, message).with_hint(hint))
}

/// The credentials `agent run` requires, from `web.authFile`; an error when the listen
/// address is not loopback and there are none, or the file is unreadable or empty.
pub fn load(config: &Config, file: &str) -> Result<Option<Credentials>, ConfigError> {
    let Some(path) = &config.web.auth_file else {
        if config.listen.ip().is_loopback() {
            return Ok(None);
        }
        return Err(invalid(
            file,
            format!("listen: {} is not a loopback address, and the page, /status, /metrics and /api/* would be open to the network without credentials", config.listen),
            "set `web: {authFile: /etc/agent/web.token}` (a file with one line: the token, mode 0600), or listen on 127.0.0.1",
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
        path: path.clone(),
        cause,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(invalid(
            file,
            format!("web.authFile {} is empty", path.display()),
            "write the token on its first line",
        ));
    }
    Ok(Some(Credentials::new(token)))
}

/// A client's credentials read the same way (`agent status`, `agent diff --via-service`).
pub fn client_header(config: &Config) -> Option<String> {
    let text = std::fs::read_to_string(config.web.auth_file.as_ref()?).ok()?;
    Some(format!("Bearer {}", text.trim()))
}

impl Credentials {
    pub fn new(token: &str) -> Self {
        Credentials {
            token: token.as_bytes().to_vec(),
        }
    }

    /// Whether an `Authorization` header value carries the token.
    pub fn check(&self, header: Option<&str>) -> bool {
        let Some(h) = header.map(str::trim) else {
            return false;
        };
        let presented: Vec<u8> = if let Some(t) = h.strip_prefix("Bearer ") {
            t.trim().as_bytes().to_vec()
        } else if let Some(b) = h.strip_prefix("Basic ") {
            let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b.trim()) else {
                return false;
            };
            match raw.iter().position(|&c| c == b':') {
                Some(i) => raw[i + 1..].to_vec(),
                None => return false,
            }
        } else {
            return false;
        };
        // ct_eq on slices of different lengths is false without looking at the bytes:
        // only the length can leak, never the content.
        bool::from(presented.as_slice().ct_eq(&self.token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_carry_the_token_and_nothing_else_passes() {
        let c = Credentials::new("tok-123");
        assert!(c.check(Some("Bearer tok-123")));
        let basic = base64::engine::general_purpose::STANDARD.encode("ops:tok-123");
        assert!(c.check(Some(&format!("Basic {basic}"))));
        for bad in [
            "Bearer tok-124",
            "Bearer tok-1234",
            "Bearer ",
            "tok-123",
            "Basic !!",
            "Basic b3Bz",
        ] {
            assert!(!c.check(Some(bad)), "{bad}");
        }
        assert!(!c.check(None));
        assert_eq!(format!("{c:?}"), "Credentials(***)");
    }

    #[test]
    fn a_non_loopback_listen_needs_an_auth_file() {
        let open = Config::parse("agent.yaml", "listen: 0.0.0.0:9440\n").unwrap();
        let e = load(&open, "agent.yaml").unwrap_err().to_string();
        assert!(
            e.contains("not a loopback address") && e.contains("authFile"),
            "{e}"
        );
        let local = Config::parse("agent.yaml", "listen: 127.0.0.1:9440\n").unwrap();
        assert!(load(&local, "agent.yaml").unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t"), "s3cr3t\n").unwrap();
        let mut with = open.clone();
        with.web.auth_file = Some(dir.path().join("t"));
        assert!(load(&with, "agent.yaml")
            .unwrap()
            .unwrap()
            .check(Some("Bearer s3cr3t")));
        assert_eq!(client_header(&with).as_deref(), Some("Bearer s3cr3t"));
    }
}
