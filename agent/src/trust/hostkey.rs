//! Host keys: fingerprints and recording a host's key in a known_hosts file.
//!
//! `agent trust HOST` is the one deliberate way a new host key becomes trusted: the
//! key the host presents (from `ssh-keyscan -t ed25519 -p PORT ADDR`) replaces that
//! host's previous plain entries. The file is rewritten atomically (temp file in the
//! same directory, fsync, rename), so a crash leaves the old or the new file, and SSH
//! never reads a half-written one.

use super::commit::fingerprint_of_key;
use super::error::{HostKeyMismatch, TrustError};
use std::path::Path;

/// `SHA256:…` fingerprint (as `ssh-keygen -l` prints it) of a known_hosts line
/// (`host[,host] type base64 [comment]`, optionally with a `@marker`) or a bare
/// public key (`type base64 [comment]`, as the inventory pins it).
pub fn fingerprint(line: &str) -> Result<String, TrustError> {
    let bad = || TrustError::BadKeyLine {
        line: line.chars().take(80).collect(),
    };
    let mut fields: Vec<&str> = line.split_whitespace().collect();
    if fields.first().is_some_and(|f| f.starts_with('@')) {
        fields.remove(0);
    }
    let key_at = if fields.first().is_some_and(|f| is_key_type(f)) {
        0
    } else {
        1
    };
    let key = fields.get(key_at..key_at + 2).ok_or_else(bad)?.join(" ");
    fingerprint_of_key(&key).ok_or_else(bad)
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-") || s.starts_with("ecdsa-sha2-") || s.starts_with("sk-")
}

/// How a host is written in known_hosts: `addr`, or `[addr]:port` off port 22.
pub fn host_pattern(addr: &str, port: u16) -> String {
    if port == 22 {
        addr.to_string()
    } else {
        format!("[{addr}]:{port}")
    }
}

/// What [`record_host_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub host: String,
    pub fingerprint: String,
    /// Old plain entries for the host that were removed.
    pub replaced: usize,
}

/// Records the `key_type` key for `addr:port` found in `scan` (ssh-keyscan output) in
/// `known_hosts`, replacing the host's previous plain entries and keeping all other
/// lines. Hashed entries (`|1|…`) are left alone: they cannot be matched without
/// their salt, and OpenSSH accepts a host if any entry matches. Creates the file
/// (mode 0644: public keys only) if missing; an existing file keeps its mode.
pub fn record_host_key(
    known_hosts: &Path,
    addr: &str,
    port: u16,
    key_type: &str,
    scan: &str,
) -> Result<Recorded, TrustError> {
    let host = host_pattern(addr, port);
    let key = scan
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && f[0].split(',').any(|h| h == host) && f[1] == key_type)
        .map(|f| format!("{} {}", f[1], f[2]))
        .ok_or_else(|| TrustError::NoScannedKey {
            host: host.clone(),
            key_type: key_type.to_string(),
        })?;
    let fp = fingerprint(&key)?;
    let io = |source| TrustError::Io {
        file: known_hosts.display().to_string(),
        source,
    };
    let old = match std::fs::read_to_string(known_hosts) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    let mut replaced = 0;
    let mut new = String::new();
    for line in old.lines() {
        if names_host(line, &host) {
            replaced += 1;
        } else {
            new.push_str(line);
            new.push('\n');
        }
    }
    new.push_str(&format!("{host} {key}\n"));
    write_atomic(known_hosts, new.as_bytes()).map_err(io)?;
    Ok(Recorded {
        host,
        fingerprint: fp,
        replaced,
    })
}

/// True for a plain (unhashed, non-marker) entry whose host list names `host`.
fn names_host(line: &str, host: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('@') || t.starts_with('|') {
        return false;
    }
    t.split_whitespace()
        .next()
        .is_some_and(|hosts| hosts.split(',').any(|h| h == host))
}

/// Atomically, keeping the file's mode (0644 for a new one).
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, bytes, crate::fsutil::mode_or(path, 0o644))
}

/// Compares the key a host presented with the pinned one (both bare keys or
/// known_hosts lines). The error names the host and both fingerprints.
pub fn check_pinned(host: &str, pinned: &str, presented: &str) -> Result<(), TrustError> {
    let (p, q) = (fingerprint(pinned)?, fingerprint(presented)?);
    if p == q {
        Ok(())
    } else {
        Err(TrustError::HostKey(HostKeyMismatch {
            host: host.to_string(),
            presented: q,
            pinned: p,
        }))
    }
}
