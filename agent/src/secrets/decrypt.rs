//! Decrypting (and writing) secrets: SOPS documents and age-armored values, in
//! memory only; files that must hold a secret are written 0600.

use super::error::SecretError;
use super::identity::Identity;
use super::identity::{self, parse_recipient};
use super::sops;
use serde_yaml::Value;

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
    crate::fsutil::write_atomic(path, bytes, 0o600).map_err(|source| SecretError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// Encrypts one value to `recipients` as an age-armored block, for plain YAML files.
pub fn encrypt_armored(plaintext: &str, recipients: &[String]) -> Result<String, SecretError> {
    let rs = recipients
        .iter()
        .map(|r| parse_recipient(r))
        .collect::<Result<Vec<_>, _>>()?;
    identity::age_encrypt_armored(plaintext.as_bytes(), &rs)
}
