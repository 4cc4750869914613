//! The SOPS file format (YAML and JSON) with age recipients, decrypted in memory.
//!
//! A sops file is the user's document with every selected leaf replaced by an
//! `ENC[…]` value, plus a top-level `sops:` block: the 32-byte data key encrypted to
//! each age recipient (`age: [{recipient, enc}]`), `lastmodified`, the encrypted `mac`
//! and the selection rules (`unencrypted_suffix`, `encrypted_regex`, …).
//!
//! Guarantees: the data key and cleartext live only in memory; a value moved to
//! another key, a tampered value, or a tampered/removed MAC is an error, never a
//! partial result. The MAC is SHA-512 over the cleartext leaves in document order
//! (all leaves, or only the encrypted ones with `mac_only_encrypted`), encrypted with
//! `lastmodified` as additional data — the same construction sops uses, so files
//! written by sops decrypt here and files written here decrypt with sops.

use super::cipher::{self, Scalar, ValueError};
use super::error::SecretError;
use super::identity::{age_decrypt, Identity};
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha512};

/// sops' fixed prefix for `mac_only_encrypted` MACs (SHA-256 of `sops`).
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// Which leaves are encrypted: the `sops:` selection rules.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub unencrypted_suffix: Option<String>,
    pub encrypted_suffix: Option<String>,
    pub unencrypted_regex: Option<regex::Regex>,
    pub encrypted_regex: Option<regex::Regex>,
    pub mac_only_encrypted: bool,
}

impl Rules {
    /// sops' rule order: each later rule overrides the earlier ones.
    pub fn should_encrypt(&self, path: &[String]) -> bool {
        let mut enc = true;
        if let Some(s) = &self.unencrypted_suffix {
            if path.iter().any(|p| p.ends_with(s.as_str())) {
                enc = false;
            }
        }
        if let Some(s) = &self.encrypted_suffix {
            enc = path.iter().any(|p| p.ends_with(s.as_str()));
        }
        if let Some(r) = &self.unencrypted_regex {
            if path.iter().any(|p| r.is_match(p)) {
                enc = false;
            }
        }
        if let Some(r) = &self.encrypted_regex {
            enc = path.iter().any(|p| r.is_match(p));
        }
        enc
    }
}

/// The parsed `sops:` block (only what decryption needs).
pub(crate) struct Metadata {
    pub age: Vec<(String, String)>,
    pub lastmodified: String,
    pub mac: String,
    pub rules: Rules,
}

pub(crate) fn parse_metadata(file: &str, sops: &Value) -> Result<Metadata, SecretError> {
    let bad = |reason: String| SecretError::BadMetadata {
        file: file.to_string(),
        reason,
    };
    let str_field = |k: &str| sops.get(k).and_then(Value::as_str).map(str::to_string);
    let mut age_entries = sops.get("age").cloned();
    if let Some(groups) = sops.get("key_groups").and_then(Value::as_sequence) {
        if groups.len() > 1 {
            return Err(SecretError::Unsupported {
                file: file.to_string(),
                what: "Shamir key groups (more than one key_group)".into(),
            });
        }
        age_entries = groups.first().and_then(|g| g.get("age")).cloned();
    }
    let mut age = Vec::new();
    for e in age_entries
        .as_ref()
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let r = e.get("recipient").and_then(Value::as_str);
        let enc = e.get("enc").and_then(Value::as_str);
        match (r, enc) {
            (Some(r), Some(enc)) => age.push((r.to_string(), enc.to_string())),
            _ => return Err(bad("an age entry lacks recipient or enc".into())),
        }
    }
    let regex = |k: &str| -> Result<Option<regex::Regex>, SecretError> {
        str_field(k)
            .map(|r| regex::Regex::new(&r).map_err(|e| bad(format!("{k}: {e}"))))
            .transpose()
    };
    Ok(Metadata {
        lastmodified: str_field("lastmodified").ok_or_else(|| bad("no lastmodified".into()))?,
        mac: str_field("mac").ok_or_else(|| bad("no mac".into()))?,
        rules: Rules {
            unencrypted_suffix: str_field("unencrypted_suffix"),
            encrypted_suffix: str_field("encrypted_suffix"),
            unencrypted_regex: regex("unencrypted_regex")?,
            encrypted_regex: regex("encrypted_regex")?,
            mac_only_encrypted: sops
                .get("mac_only_encrypted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        age,
    })
}

/// Recovers the data key from the first age entry one of `identities` opens.
pub(crate) fn data_key(
    file: &str,
    meta: &Metadata,
    identities: &[Identity],
) -> Result<[u8; 32], SecretError> {
    for (_, enc) in &meta.age {
        let opened = age_decrypt(enc.as_bytes(), identities).map_err(|e| SecretError::Age {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        if let Some(key) = opened {
            return key.try_into().map_err(|_| SecretError::BadMetadata {
                file: file.to_string(),
                reason: "the age entry does not hold a 32-byte data key".into(),
            });
        }
    }
    Err(SecretError::NotForUs {
        file: file.to_string(),
        recipients: meta.age.iter().map(|(r, _)| r.clone()).collect(),
    })
}

/// Walks the document (without `sops:`), decrypting selected leaves in place and
/// feeding every counted cleartext leaf to the MAC. Returns the secret strings.
pub(crate) fn decrypt_tree(
    file: &str,
    doc: &mut Mapping,
    key: &[u8; 32],
    rules: &Rules,
    mac: &mut Sha512,
) -> Result<Vec<String>, SecretError> {
    let mut secrets = Vec::new();
    let mut visit = |leaf: &mut Value, path: &[String]| -> Result<(), SecretError> {
        let encrypted = rules.should_encrypt(path);
        let scalar = if encrypted {
            let text = leaf.as_str().ok_or_else(|| SecretError::Value {
                file: file.to_string(),
                path: path.join(":"),
                reason: "expected an ENC[…] value, found a plain one".into(),
            })?;
            let aad = format!("{}:", path.join(":"));
            let s =
                cipher::decrypt_value(text, key, &aad).map_err(|e| value_error(file, path, e))?;
            if let Scalar::Str(v) | Scalar::Bytes(v) = &s {
                if !v.is_empty() {
                    secrets.push(v.clone());
                }
            }
            *leaf = to_yaml(&s);
            s
        } else {
            from_yaml(leaf).expect("walk only visits scalars")
        };
        if encrypted || !rules.mac_only_encrypted {
            mac.update(scalar.to_mac_bytes());
        }
        Ok(())
    };
    walk_mapping(file, doc, &mut Vec::new(), &mut visit)?;
    Ok(secrets)
}

fn value_error(file: &str, path: &[String], e: ValueError) -> SecretError {
    let reason = match e {
        ValueError::Authentication => {
            "authentication failed: the ciphertext was tampered with, moved to another key, \
             or encrypted with another data key"
                .to_string()
        }
        ValueError::Malformed(m) | ValueError::Type(m) => m,
    };
    SecretError::Value {
        file: file.to_string(),
        path: path.join(":"),
        reason,
    }
}

/// New MAC state honouring `mac_only_encrypted`.
pub(crate) fn new_mac(rules: &Rules) -> Sha512 {
    let mut h = Sha512::new();
    if rules.mac_only_encrypted {
        h.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    h
}

/// Checks the stored MAC against the computed one.
pub(crate) fn verify_mac(
    file: &str,
    meta: &Metadata,
    key: &[u8; 32],
    mac: Sha512,
) -> Result<(), SecretError> {
    let computed = hex::encode_upper(mac.finalize());
    let stored = cipher::decrypt_value(&meta.mac, key, &meta.lastmodified);
    match stored {
        Ok(Scalar::Str(s)) if s == computed => Ok(()),
        _ => Err(SecretError::MacMismatch {
            file: file.to_string(),
        }),
    }
}

/// Calls `visit` on every scalar leaf (nulls skipped, as sops does) with its key path;
/// list items share their parent's path, as in sops.
pub(crate) fn walk_mapping<F>(
    file: &str,
    map: &mut Mapping,
    path: &mut Vec<String>,
    visit: &mut F,
) -> Result<(), SecretError>
where
    F: FnMut(&mut Value, &[String]) -> Result<(), SecretError>,
{
    for (k, v) in map.iter_mut() {
        let key = match k {
            Value::String(s) => s.clone(),
            other => {
                return Err(SecretError::Unsupported {
                    file: file.to_string(),
                    what: format!("non-string key {other:?} at {}", path.join(":")),
                })
            }
        };
        path.push(key);
        walk_value(file, v, path, visit)?;
        path.pop();
    }
    Ok(())
}

fn walk_value<F>(
    file: &str,
    v: &mut Value,
    path: &mut Vec<String>,
    visit: &mut F,
) -> Result<(), SecretError>
where
    F: FnMut(&mut Value, &[String]) -> Result<(), SecretError>,
{
    match v {
        Value::Null => Ok(()),
        Value::Mapping(m) => walk_mapping(file, m, path, visit),
        Value::Sequence(items) => items
            .iter_mut()
            .try_for_each(|i| walk_value(file, i, path, visit)),
        Value::Tagged(t) => walk_value(file, &mut t.value, path, visit),
        _ => visit(v, path),
    }
}

/// The typed value of a decrypted scalar. A whole-number float becomes an integer,
/// as in sops' own output: sops reads every JSON number as a float (`type:float`)
/// and prints `8404.0` as `8404`, so a port in a sops JSON file must come back as
/// an integer or the model's `u16` would refuse it. (Above 1e15 a float stays one.)
pub(crate) fn to_yaml(s: &Scalar) -> Value {
    match s {
        Scalar::Str(v) | Scalar::Bytes(v) => Value::String(v.clone()),
        Scalar::Int(i) => Value::Number((*i).into()),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::Number((*f as i64).into()),
        Scalar::Float(f) => Value::Number((*f).into()),
        Scalar::Bool(b) => Value::Bool(*b),
    }
}

pub(crate) fn from_yaml(v: &Value) -> Option<Scalar> {
    Some(match v {
        Value::String(s) => Scalar::Str(s.clone()),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Scalar::Int(i),
            None => Scalar::Float(n.as_f64()?),
        },
        _ => return None,
    })
}
