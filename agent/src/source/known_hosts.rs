//! Pinned SSH host keys for `ssh://` repositories: a known_hosts file, checked strictly.
//!
//! Only what the source needs: plain host patterns (`host`, `[host]:port`, comma-separated
//! lists, `*`/`?` wildcards), `@revoked` markers, comments. Hashed entries (`|1|...`, from
//! `ssh-keyscan -H`) are not understood and are reported, never silently skipped, so a
//! file that cannot pin anything fails loudly instead of trusting whatever answers.

use base64::Engine;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KnownHostsError {
    #[error("cannot read known_hosts {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    patterns: Vec<String>,
    revoked: bool,
    /// The raw public key blob (the base64 field decoded).
    key: Vec<u8>,
}

/// A parsed known_hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

impl KnownHosts {
    pub fn load(path: &Path) -> Result<Self, KnownHostsError> {
        let text = std::fs::read_to_string(path).map_err(|cause| KnownHostsError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Self::parse(&text).map_err(|(line, message)| KnownHostsError::Syntax {
            path: path.to_path_buf(),
            line,
            message,
        })
    }

    /// Parses known_hosts text; errors are (1-based line, message).
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let revoked = first == "@revoked";
            if first.starts_with('@') {
                first = fields.next().unwrap_or_default();
            }
            if first.starts_with("|1|") {
                return Err((
                    i + 1,
                    "hashed host names are not supported; list hosts in plain text".into(),
                ));
            }
            let (Some(_kind), Some(b64)) = (fields.next(), fields.next()) else {
                return Err((i + 1, "expected `HOSTS KEYTYPE BASE64KEY`".into()));
            };
            let key = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| (i + 1, format!("key is not base64: {e}")))?;
            let patterns = first.split(',').map(str::to_string).collect();
            entries.push(Entry {
                patterns,
                revoked,
                key,
            });
        }
        Ok(KnownHosts { entries })
    }

    /// True when `key` (raw blob) is pinned for `host` on `port` and not revoked.
    pub fn trusts(&self, host: &str, port: u16, key: &[u8]) -> bool {
        let name = if port == 22 {
            host.to_string()
        } else {
            format!("[{host}]:{port}")
        };
        let matching = |e: &&Entry| e.key == key && host_matches(&e.patterns, &name);
        let found: Vec<&Entry> = self.entries.iter().filter(matching).collect();
        !found.is_empty() && found.iter().all(|e| !e.revoked)
    }
}

/// OpenSSH semantics: any positive pattern matches and no negated (`!`) pattern matches.
fn host_matches(patterns: &[String], name: &str) -> bool {
    let mut hit = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if wildcard(neg, name) {
                return false;
            }
        } else if wildcard(p, name) {
            hit = true;
        }
    }
    hit
}

fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(seed: u8) -> String {
        let blob: Vec<u8> = (0..51).map(|i| seed.wrapping_add(i)).collect();
        base64::engine::general_purpose::STANDARD.encode(blob)
    }

    fn raw(b64: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    #[test]
    fn pins_key_per_host_and_port() {
        let (key_a, key_b) = (b64(1), b64(2));
        let kh = KnownHosts::parse(&format!(
            "# lab\ngit.lab,10.77.0.30 ssh-ed25519 {key_a}\n[10.77.0.31]:2222 ssh-ed25519 {key_b}\n"
        ))
        .unwrap();
        assert!(kh.trusts("git.lab", 22, &raw(&key_a)));
        assert!(kh.trusts("10.77.0.30", 22, &raw(&key_a)));
        assert!(!kh.trusts("10.77.0.30", 22, &raw(&key_b)), "wrong key");
        assert!(!kh.trusts("10.77.0.30", 2222, &raw(&key_a)), "wrong port");
        assert!(kh.trusts("10.77.0.31", 2222, &raw(&key_b)));
        assert!(!kh.trusts("other", 22, &raw(&key_a)), "unknown host");
    }

    #[test]
    fn wildcards_negation_and_revocation() {
        let key_a = b64(1);
        let kh = KnownHosts::parse(&format!(
            "*.lab,!bad.lab ssh-ed25519 {key_a}\n@revoked old.lab ssh-ed25519 {key_a}\n"
        ))
        .unwrap();
        assert!(kh.trusts("git.lab", 22, &raw(&key_a)));
        assert!(!kh.trusts("bad.lab", 22, &raw(&key_a)));
        assert!(!kh.trusts("old.lab", 22, &raw(&key_a)));
    }

    #[test]
    fn hashed_and_malformed_lines_are_errors() {
        let key_a = b64(1);
        let hashed = format!("|1|c2FsdA==|aGFzaA== ssh-ed25519 {key_a}\n");
        assert_eq!(KnownHosts::parse(&hashed).unwrap_err().0, 1);
        assert_eq!(KnownHosts::parse("\nhost ssh-ed25519\n").unwrap_err().0, 2);
        assert!(KnownHosts::parse("host ssh-ed25519 !!!\n").is_err());
    }
}
