//! Signed-commit verification against an allow-list from the agent's config.
//!
//! SSH signatures (`gpgsig` holding `-----BEGIN SSH SIGNATURE-----`) are checked with
//! `ssh-keygen -Y` against an allowed-signers file generated here (namespace `git`,
//! the one git signs with). PGP signatures are checked with `gpg --verify` when gpg is
//! installed, against the fingerprints on the list; otherwise they are unsupported.
//! The verdict is a value: only [`Verdict::Valid`] lets a commit be applied.

use super::error::TrustError;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One allowed SSH signing key: who it is and the public key (`ssh-ed25519 AAAA…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSshKey {
    pub principal: String,
    pub key: String,
}

/// The keys allowed to sign commits the agent applies.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    pub ssh: Vec<AllowedSshKey>,
    /// Full PGP fingerprints (upper-case hex, no spaces).
    pub gpg_fingerprints: Vec<String>,
    /// The GnuPG home holding the allowed public keys; `None` = gpg's default.
    pub gnupg_home: Option<PathBuf>,
}

/// The outcome of checking one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Unsigned,
    /// A cryptographically valid signature by a key not on the list.
    UnknownKey {
        fingerprint: String,
    },
    /// The signature does not verify (content changed after signing, or garbage).
    BadSignature {
        reason: String,
    },
    /// The signature kind cannot be checked here (e.g. PGP without gpg).
    Unsupported {
        reason: String,
    },
    Valid {
        key: String,
        principal: String,
    },
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid { .. })
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Unsigned => write!(f, "unsigned commit"),
            Verdict::UnknownKey { fingerprint } => {
                write!(f, "signed by {fingerprint}, a key not on the allow-list")
            }
            Verdict::BadSignature { reason } => write!(f, "bad signature: {reason}"),
            Verdict::Unsupported { reason } => write!(f, "cannot verify signature: {reason}"),
            Verdict::Valid { key, principal } => write!(f, "signed by {principal} ({key})"),
        }
    }
}

/// Checks the signature of commit `id` in `repo` against `allowed`.
/// `Err` only when the check itself could not run (missing commit, tool not startable).
pub fn verify_commit(
    repo: &git2::Repository,
    id: git2::Oid,
    allowed: &AllowList,
) -> Result<Verdict, TrustError> {
    let (sig, data) = match repo.extract_signature(&id, None) {
        Ok(pair) => pair,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            // Unsigned, or no such commit: tell them apart.
            repo.find_commit(id).map_err(|source| TrustError::Git {
                commit: id.to_string(),
                source,
            })?;
            return Ok(Verdict::Unsigned);
        }
        Err(source) => {
            return Err(TrustError::Git {
                commit: id.to_string(),
                source,
            })
        }
    };
    let sig = String::from_utf8_lossy(&sig).into_owned();
    if sig.contains("-----BEGIN SSH SIGNATURE-----") {
        verify_ssh(&sig, &data, &allowed.ssh)
    } else if sig.contains("-----BEGIN PGP SIGNATURE-----") {
        verify_gpg(&sig, &data, allowed)
    } else {
        Ok(Verdict::Unsupported {
            reason: "unknown signature format (not SSH or PGP)".into(),
        })
    }
}

fn verify_ssh(sig: &str, data: &[u8], allowed: &[AllowedSshKey]) -> Result<Verdict, TrustError> {
    let Some(fingerprint) = sshsig_fingerprint(sig) else {
        return Ok(Verdict::BadSignature {
            reason: "malformed SSH signature".into(),
        });
    };
    let dir = tempfile::tempdir().map_err(|source| TrustError::Io {
        file: "temporary directory".into(),
        source,
    })?;
    let sig_file = dir.path().join("commit.sig");
    let signers = dir.path().join("allowed_signers");
    write(&sig_file, sig.as_bytes())?;
    let lines: String = allowed
        .iter()
        .filter(|k| fingerprint_of_key(&k.key).as_deref() == Some(fingerprint.as_str()))
        .map(|k| format!("{} namespaces=\"git\" {}\n", k.principal, k.key.trim()))
        .collect();
    let Some(principal) = lines.split_whitespace().next().map(str::to_string) else {
        return Ok(Verdict::UnknownKey { fingerprint });
    };
    write(&signers, lines.as_bytes())?;
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-Y", "verify", "-n", "git", "-I", &principal])
        .arg("-f")
        .arg(&signers)
        .arg("-s")
        .arg(&sig_file);
    let out = run_with_stdin(cmd, data, "ssh-keygen")?;
    Ok(if out.status.success() {
        Verdict::Valid {
            key: fingerprint,
            principal,
        }
    } else {
        Verdict::BadSignature {
            reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }
    })
}

fn verify_gpg(sig: &str, data: &[u8], allowed: &AllowList) -> Result<Verdict, TrustError> {
    let dir = tempfile::tempdir().map_err(|source| TrustError::Io {
        file: "temporary directory".into(),
        source,
    })?;
    let sig_file = dir.path().join("commit.asc");
    write(&sig_file, sig.as_bytes())?;
    let mut cmd = Command::new("gpg");
    if let Some(home) = &allowed.gnupg_home {
        cmd.arg("--homedir").arg(home);
    }
    cmd.args(["--batch", "--status-fd", "1", "--verify"])
        .arg(&sig_file)
        .arg("-");
    let out = match run_with_stdin(cmd, data, "gpg") {
        Err(TrustError::Tool { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verdict::Unsupported {
                reason: "PGP signature, but gpg is not installed".into(),
            })
        }
        other => other?,
    };
    let status = String::from_utf8_lossy(&out.stdout);
    let field = |tag: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("[GNUPG:] {tag} ")))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
    };
    if let Some(fpr) = field("VALIDSIG") {
        return Ok(
            if allowed
                .gpg_fingerprints
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&fpr))
            {
                Verdict::Valid {
                    principal: field("GOODSIG")
                        .map_or_else(|| fpr.clone(), |_| goodsig_uid(&status)),
                    key: fpr,
                }
            } else {
                Verdict::UnknownKey { fingerprint: fpr }
            },
        );
    }
    if let Some(keyid) = field("BADSIG") {
        return Ok(Verdict::BadSignature {
            reason: format!("PGP signature by {keyid} does not match the commit"),
        });
    }
    Ok(match field("ERRSIG").or_else(|| field("NO_PUBKEY")) {
        Some(keyid) => Verdict::UnknownKey { fingerprint: keyid },
        None => Verdict::BadSignature {
            reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        },
    })
}

fn goodsig_uid(status: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix("[GNUPG:] GOODSIG "))
        .and_then(|rest| rest.split_once(' ').map(|(_, uid)| uid.to_string()))
        .unwrap_or_default()
}

/// `SHA256:…` of the public key inside an armored SSHSIG (as `ssh-keygen -l` prints).
fn sshsig_fingerprint(armored: &str) -> Option<String> {
    let body: String = armored
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    let blob = STANDARD.decode(body).ok()?;
    let rest = blob.strip_prefix(b"SSHSIG")?;
    let rest = rest.get(4..)?; // version
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let key = rest.get(4..4 + len)?;
    Some(format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(Sha256::digest(key))
    ))
}

/// `SHA256:…` of `type base64 [comment]`.
pub(crate) fn fingerprint_of_key(key: &str) -> Option<String> {
    let b64 = key.split_whitespace().nth(1)?;
    let blob = STANDARD.decode(b64).ok()?;
    Some(format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(Sha256::digest(blob))
    ))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TrustError> {
    std::fs::write(path, bytes).map_err(|source| TrustError::Io {
        file: path.display().to_string(),
        source,
    })
}

fn run_with_stdin(
    mut cmd: Command,
    input: &[u8],
    tool: &'static str,
) -> Result<std::process::Output, TrustError> {
    use std::io::Write;
    let io = |source| TrustError::Tool { tool, source };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io)?;
    let mut stdin = child.stdin.take().expect("piped");
    // Commit objects are small; writing before reading cannot deadlock on pipe buffers
    // for the tools' few lines of output.
    stdin.write_all(input).map_err(io)?;
    drop(stdin);
    child.wait_with_output().map_err(io)
}
