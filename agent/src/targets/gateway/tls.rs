//! Inline TLS material of a `Gateway` (`tls.certificatePem`, `tls.keyPem`) → the
//! certificate (0644) and private key (0600) files on each gateway host.
//!
//! These are *support files*: they carry no reload of their own
//! ([`ManagedFile::is_support`]). The rollout applies them first in the host's step,
//! before the site, so the site's staged `apache2ctl -t` (which needs the files to
//! exist) sees them, and Apache is reloaded once, after the site, with certificate
//! and key already both in place: never a reload with a new certificate and an old key.
//! When only the material changes, the rollout reloads through the site file.

use crate::exec::sh_quote;
use crate::rendered::{ManagedFile, RenderError};
use schema::{GatewaySpec, Host, Tls};

/// Certificate and key files for `host` (sorted by path, one per distinct path),
/// owned by `target`. Two virtual hosts may share files only with the same content.
pub fn files(
    target: &'static str,
    spec: &GatewaySpec,
    host: &Host,
    source: &str,
) -> Result<Vec<ManagedFile>, RenderError> {
    let mut out: Vec<ManagedFile> = Vec::new();
    for t in spec.vhosts.iter().filter_map(|v| v.tls.as_ref()) {
        let wanted = [
            t.certificate_pem
                .as_ref()
                .map(|pem| (&t.certificate, pem, 0o644, cert_check())),
            t.key_pem
                .as_ref()
                .map(|pem| (&t.key, pem, 0o600, key_check(t))),
        ];
        for (path, pem, mode, check) in wanted.into_iter().flatten() {
            let content = with_newline(pem);
            if let Some(seen) = out.iter().find(|f| &f.path == path) {
                if seen.content != content {
                    return Err(RenderError::invalid(
                        source,
                        format!("{path} is given two different contents by two virtual hosts"),
                    ));
                }
                continue;
            }
            out.push(ManagedFile {
                host: host.name.clone(),
                target,
                path: path.clone(),
                content,
                mode,
                check,
                reload: None,
                modules: Vec::new(),
                source: source.to_string(),
                observe: String::new(),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn with_newline(pem: &str) -> String {
    let mut s = pem.trim().to_string();
    s.push('\n');
    s
}

/// Where `openssl` is installed on the host, the staged certificate must parse.
fn cert_check() -> String {
    "if command -v openssl >/dev/null 2>&1; then openssl x509 -noout -in {file}; fi".into()
}

/// Where `openssl` is installed on the host, the staged key must parse and, when the
/// certificate is declared too, match it (a mismatched pair makes Apache's reload fail).
/// The certificate is public: it may appear in the command.
fn key_check(t: &Tls) -> String {
    let matches = match &t.certificate_pem {
        Some(cert) => format!(
            "\n  c=$(printf '%s\\n' {} | openssl x509 -pubkey -noout) || exit 1\n  [ \"$k\" = \"$c\" ] || {{ echo 'keyPem does not match certificatePem' >&2; exit 1; }}",
            sh_quote(cert.trim())
        ),
        None => String::new(),
    };
    format!(
        "if command -v openssl >/dev/null 2>&1; then\n  k=$(openssl pkey -in {{file}} -pubout) || exit 1{matches}\nfi"
    )
}
