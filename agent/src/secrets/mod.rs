//! Secrets in the desired-state repo: decrypted in memory only, registered for masking.
//!
//! Place in the pipeline: the loader hands each repo file that holds secrets to
//! [`decrypt_document`] before typing it; the returned cleartext leaves go into the
//! cycle's [`Masker`](crate::mask::Masker) through [`register`], so every diff, log
//! line, status field and error shows `***<hash>` instead (DESIGN.md §4 rule 7).
//! `agent validate` also runs [`detect`] over the repo to catch secrets committed in
//! plaintext.
//!
//! Two encrypted forms are understood:
//! - **SOPS files** (YAML or JSON) with age recipients ([`sops`]): the format people
//!   already edit with `sops`; [`encrypt_document`] writes the same format.
//! - **age-armored values**: a plain YAML value holding a whole
//!   `-----BEGIN AGE ENCRYPTED FILE-----` block ([`decrypt_armored_values`]).
//!
//! Nothing here writes cleartext to disk. Whoever writes a decrypted secret to a
//! host must use mode 0600 (`ManagedFile.mode = 0o600`), temp and backup files too.

pub mod cipher;
pub mod detect;
mod encrypt;
pub mod identity;
pub mod leak;
mod repo_dir;
pub mod sops;
pub mod unseal;

pub use encrypt::{encrypt_document, rfc3339_utc_now, EncryptOptions, Format};
pub use identity::{parse_recipient, Identity};
pub use leak::{assert_no_plaintext, find_plaintext};
pub use repo_dir::prepare_dir;
pub use unseal::{unseal, Missing, Unsealed};

use crate::mask::Masker;
use serde_yaml::Value;

/// Why a secret could not be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not an age identity file: {reason}")]
    BadIdentity { file: String, reason: String },
    #[error("not an age recipient: {recipient:?} (expected age1…)")]
    BadRecipient { recipient: String },
    #[error("{file}: not valid YAML/JSON: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: invalid sops metadata: {reason}")]
    BadMetadata { file: String, reason: String },
    #[error("{file}: unsupported: {what}")]
    Unsupported { file: String, what: String },
    #[error(
        "{file}: not encrypted to any of your identities (recipients: {})",
        list(recipients)
    )]
    NotForUs {
        file: String,
        recipients: Vec<String>,
    },
    #[error("{file}: age decryption failed: {reason}")]
    Age { file: String, reason: String },
    #[error("{file}: value at {path}: {reason}")]
    Value {
        file: String,
        path: String,
        reason: String,
    },
    #[error("{file}: MAC mismatch: file was tampered with or re-encrypted wrongly")]
    MacMismatch { file: String },
    #[error("cannot encrypt: {reason}")]
    Encrypt { reason: String },
}

fn list(recipients: &[String]) -> String {
    if recipients.is_empty() {
        "not recorded in age files".into()
    } else {
        recipients.join(", ")
    }
}

/// A decrypted document and the cleartext secret strings it held.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// The document without its `sops:` block, every value in cleartext.
    pub value: Value,
    /// Cleartext string leaves that were encrypted (numbers and booleans are not
    /// listed: masking every `8080` or `True` in the output would destroy it).
    pub secrets: Vec<String>,
}

/// True if `text` is a sops file (has a top-level `sops` key with a `mac`).
pub fn is_sops(text: &str) -> bool {
    serde_yaml::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("sops").map(|s| s.get("mac").is_some()))
        .unwrap_or(false)
}

/// Decrypts one repo file held in memory: a sops document (YAML or JSON), or a plain
/// single YAML document whose age-armored values are decrypted. `file` names the file
/// in errors. Fails on the first value that does not decrypt or on a MAC mismatch; a
/// partial result is never returned.
pub fn decrypt_document(
    file: &str,
    text: &str,
    identities: &[Identity],
) -> Result<Decrypted, SecretError> {
    let mut docs = decrypt_documents(file, text, identities)?;
    if docs.values.len() > 1 {
        return Err(SecretError::Unsupported {
            file: file.to_string(),
            what: "several YAML documents where one was expected".into(),
        });
    }
    Ok(Decrypted {
        value: docs.values.pop().unwrap_or(Value::Null),
        secrets: docs.secrets,
    })
}

/// Several documents of one file (`---`-separated) and the secrets they held.
#[derive(Debug, Clone)]
pub struct DecryptedDocs {
    pub values: Vec<Value>,
    pub secrets: Vec<String>,
}

/// Like [`decrypt_document`] for a file with several YAML documents, as the repo's
/// files have. Plain documents may each hold age-armored values; a sops file must be
/// a single document (sops' multi-document layout is not supported).
pub fn decrypt_documents(
    file: &str,
    text: &str,
    identities: &[Identity],
) -> Result<DecryptedDocs, SecretError> {
    use serde::Deserialize;
    let mut values = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).map_err(|e| SecretError::Parse {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        values.push(v);
    }
    // Any top-level `sops` key means sops: a removed `mac` must fail, not pass as plain.
    let is_sops = |v: &Value| v.get("sops").is_some();
    if values.iter().any(is_sops) {
        if values.len() > 1 {
            return Err(SecretError::Unsupported {
                file: file.to_string(),
                what: "a sops file with several YAML documents; split it".into(),
            });
        }
        let mut value = values.pop().expect("one document");
        let secrets = decrypt_sops(file, &mut value, identities)?;
        return Ok(DecryptedDocs {
            values: vec![value],
            secrets,
        });
    }
    let mut secrets = Vec::new();
    for v in &mut values {
        secrets.extend(decrypt_armored_values(file, v, identities)?);
    }
    Ok(DecryptedDocs { values, secrets })
}

fn decrypt_sops(
    file: &str,
    value: &mut Value,
    identities: &[Identity],
) -> Result<Vec<String>, SecretError> {
    let map = value
        .as_mapping_mut()
        .expect("has a sops key, so a mapping");
    let meta_value = map.remove("sops").expect("checked by the caller");
    let meta = sops::parse_metadata(file, &meta_value)?;
    let key = sops::data_key(file, &meta, identities)?;
    let mut mac = sops::new_mac(&meta.rules);
    let secrets = sops::decrypt_tree(file, map, &key, &meta.rules, &mut mac)?;
    sops::verify_mac(file, &meta, &key, mac)?;
    Ok(secrets)
}

/// Reads and decrypts a file; see [`decrypt_document`].
pub fn decrypt_file(
    path: &std::path::Path,
    identities: &[Identity],
) -> Result<Decrypted, SecretError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SecretError::Io {
        file: file.clone(),
        source: e,
    })?;
    decrypt_document(&file, &text, identities)
}

pub(crate) const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Decrypts, in place, every string value of a plain document that is a whole
/// age-armored file. Returns the cleartexts. Works on any document (e.g. each
/// document of a multi-document file).
pub fn decrypt_armored_values(
    file: &str,
    value: &mut Value,
    identities: &[Identity],
) -> Result<Vec<String>, SecretError> {
    let mut secrets = Vec::new();
    let mut visit = |leaf: &mut Value, path: &[String]| -> Result<(), SecretError> {
        let Some(text) = leaf
            .as_str()
            .filter(|s| s.trim_start().starts_with(ARMOR_BEGIN))
        else {
            return Ok(());
        };
        let plain = identity::age_decrypt(text.trim().as_bytes(), identities)
            .map_err(|e| SecretError::Value {
                file: file.to_string(),
                path: path.join(":"),
                reason: format!("age: {e}"),
            })?
            .ok_or_else(|| SecretError::NotForUs {
                file: format!("{file} (value at {})", path.join(":")),
                recipients: Vec::new(),
            })?;
        let plain = String::from_utf8(plain).map_err(|_| SecretError::Value {
            file: file.to_string(),
            path: path.join(":"),
            reason: "decrypted value is not UTF-8 text".into(),
        })?;
        secrets.push(plain.clone());
        *leaf = Value::String(plain);
        Ok(())
    };
    match value {
        Value::Mapping(m) => sops::walk_mapping(file, m, &mut Vec::new(), &mut visit)?,
        other => visit(other, &[])?,
    }
    Ok(secrets)
}

/// Writes a file that holds a secret: mode 0600 from creation (never briefly
/// world-readable), fsync, atomic rename over `path`. For identity files and any
/// local cleartext; files on managed hosts get the same via `ManagedFile.mode`.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<(), SecretError> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let io = |source| SecretError::Io {
        file: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    // tempfile creates with 0600; set it explicitly so that guarantee is ours.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Encrypts one value to `recipients` as an age-armored block, for plain YAML files.
pub fn encrypt_armored(plaintext: &str, recipients: &[String]) -> Result<String, SecretError> {
    let rs = recipients
        .iter()
        .map(|r| parse_recipient(r))
        .collect::<Result<Vec<_>, _>>()?;
    identity::age_encrypt_armored(plaintext.as_bytes(), &rs)
}

/// Registers secrets with the masker, each also in its base64 form, since Kubernetes
/// `Secret.data` carries values base64-encoded and would otherwise leak in a diff.
/// The masker works line by line, so each line of a multi-line secret (a PEM key) is
/// registered too; PEM armor lines (`-----BEGIN …`) are public and stay readable.
pub fn register(masker: &mut Masker, secrets: &[String]) {
    use base64::Engine;
    for s in secrets {
        masker.add_secret(s.clone());
        masker.add_secret(base64::engine::general_purpose::STANDARD.encode(s));
        if s.contains('\n') {
            s.lines()
                .map(str::trim)
                .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
                .for_each(|l| masker.add_secret(l.to_string()));
        }
    }
}
