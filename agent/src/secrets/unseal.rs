//! Between the snapshot and the loader: every encrypted repo file is decrypted in
//! memory before `schema::load_files` types it.
//!
//! A file is touched only when it holds a sops document (top-level `sops:` key) or an
//! age-armored value; every other file is handed on byte for byte, so the loader's
//! `file:line:col` positions stay exact. A decrypted file is re-serialised from the
//! decrypted documents (comments are gone, positions inside it are those of the
//! re-serialised text). Without an identity, [`Missing::Placeholder`] swaps each
//! encrypted value for a placeholder of the same type, so the structure can still be
//! checked; [`Missing::Error`] refuses (for `diff`/`apply`: a placeholder must never
//! reach a host).

use super::decrypt::{decrypt_documents, ARMOR_BEGIN};
use super::error::SecretError;
use super::identity::Identity;
use schema::{Diagnostic, SourceFile};
use serde_yaml::Value;

/// The string placeholder for an encrypted value that could not be decrypted.
pub const PLACEHOLDER: &str = schema::ENCRYPTED_PLACEHOLDER;

/// What to do with encrypted files when the agent has no identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// `agent validate`: check the structure with placeholders, warn.
    Placeholder,
    /// `agent diff`/`apply`: an error per encrypted file.
    Error,
}

/// The snapshot's files with every secret decrypted, and what happened.
#[derive(Debug, Clone, Default)]
pub struct Unsealed {
    pub files: Vec<SourceFile>,
    /// Every cleartext secret found: register them with the masker.
    pub secrets: Vec<String>,
    /// Decryption errors (file named) and "not decrypted" warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// Repo-relative paths of the files that held encrypted values.
    pub encrypted_files: Vec<String>,
}

impl Unsealed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Decrypts every encrypted YAML file of `files` (those the loader reads) with `identities` (empty: none).
pub fn unseal(files: &[SourceFile], identities: &[Identity], missing: Missing) -> Unsealed {
    let mut out = Unsealed::default();
    for f in files {
        let text = match std::str::from_utf8(&f.bytes) {
            Ok(t) if is_data_file(&f.path) && looks_encrypted(t) => t,
            _ => {
                out.files.push(f.clone());
                continue;
            }
        };
        out.encrypted_files.push(f.path.clone());
        let result = if identities.is_empty() {
            match missing {
                Missing::Placeholder => {
                    out.diagnostics.push(
                        Diagnostic::warning(
                            &f.path,
                            0,
                            0,
                            "secrets not decrypted: no identity; checked with placeholders",
                        )
                        .with_hint(
                            "give the agent's age identity (secrets.ageIdentityFile in the agent config, or AGENT_AGE_IDENTITY)",
                        ),
                    );
                    placeholders(&f.path, text)
                }
                Missing::Error => Err(SecretError::NotForUs {
                    file: f.path.clone(),
                    recipients: vec!["no age identity configured".into()],
                }),
            }
        } else {
            decrypt_documents(&f.path, text, identities).map(|d| {
                out.secrets.extend(d.secrets);
                d.values
            })
        };
        match result.and_then(|docs| to_text(&f.path, &docs)) {
            Ok(text) => out.files.push(SourceFile::new(f.path.clone(), text)),
            Err(e) => {
                let msg = e.to_string();
                let msg = msg
                    .strip_prefix(&format!("{}: ", f.path))
                    .unwrap_or(&msg)
                    .to_string();
                out.diagnostics.push(
                    Diagnostic::error(&f.path, 0, 0, msg)
                        .with_hint("re-encrypt the file to the agent's age recipient with sops (or age -a for a value); nothing from this commit is applied"),
                );
                // The file is left out: nothing encrypted or half-decrypted goes on.
            }
        }
    }
    out.secrets.sort();
    out.secrets.dedup();
    out
}

/// The files the loader reads (`*.yaml`, `*.yml`); others are not desired state.
fn is_data_file(path: &str) -> bool {
    [".yaml", ".yml"].iter().any(|e| path.ends_with(e))
}

/// Cheap textual test before parsing: a top-level `sops` key or an armored value.
fn looks_encrypted(text: &str) -> bool {
    text.contains(ARMOR_BEGIN)
        || text
            .lines()
            .any(|l| l.starts_with("sops:") || l.trim_start().starts_with("\"sops\""))
}

/// The documents with every encrypted value replaced by a placeholder of its type.
fn placeholders(file: &str, text: &str) -> Result<Vec<Value>, SecretError> {
    use serde::Deserialize;
    let mut values = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let mut v = Value::deserialize(doc).map_err(|e| SecretError::Parse {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        if let Some(m) = v.as_mapping_mut() {
            m.remove("sops");
            let mut visit = |leaf: &mut Value, _: &[String]| -> Result<(), SecretError> {
                if let Some(s) = leaf.as_str() {
                    if let Some(p) = placeholder_for(s) {
                        *leaf = p;
                    }
                }
                Ok(())
            };
            super::sops::walk_mapping(file, m, &mut Vec::new(), &mut visit)?;
        }
        values.push(v);
    }
    Ok(values)
}

/// A value of the encrypted value's declared type (`type:` of `ENC[…]`), or `None`
/// for a value that is not encrypted.
fn placeholder_for(s: &str) -> Option<Value> {
    if s.trim_start().starts_with(ARMOR_BEGIN) {
        return Some(Value::String(PLACEHOLDER.into()));
    }
    let inner = s.strip_prefix("ENC[AES256_GCM,")?.strip_suffix(']')?;
    let ty = inner
        .split(',')
        .find_map(|p| p.strip_prefix("type:"))
        .unwrap_or("str");
    Some(match ty {
        "int" => Value::Number(0.into()),
        "float" => Value::Number(0.0.into()),
        "bool" => Value::Bool(false),
        _ => Value::String(PLACEHOLDER.into()),
    })
}

fn to_text(file: &str, docs: &[Value]) -> Result<String, SecretError> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_yaml::to_string(d).map_err(|e| SecretError::Parse {
            file: file.to_string(),
            reason: e.to_string(),
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{encrypt_armored, encrypt_document, EncryptOptions, Format};

    const DOC: &str = "apiVersion: agent/v1\nkind: X\nmetadata: {name: a}\nspec: {password: hunter22, port: 8404}\n";

    fn sops_file(id: &Identity) -> String {
        let doc: Value = serde_yaml::from_str(DOC).unwrap();
        let opts = EncryptOptions {
            rules: crate::secrets::sops::Rules {
                encrypted_regex: Some(regex::Regex::new("^(password|port)$").unwrap()),
                ..Default::default()
            },
            lastmodified: None,
        };
        encrypt_document(&doc, &id.recipients(), &opts, Format::Yaml).unwrap()
    }

    #[test]
    fn decrypts_sops_and_armored_files_and_passes_others_unchanged() {
        let id = Identity::generate();
        let armored = encrypt_armored("s3cr3t-armored", &id.recipients()).unwrap();
        let plain = format!(
            "a: 1\n---\nb: {}\n",
            serde_yaml::to_string(&armored).unwrap()
        );
        let files = vec![
            SourceFile::new("s.yaml", sops_file(&id)),
            SourceFile::new("p.yaml", plain),
            SourceFile::new("c.yaml", "# comment\nc: 3\n"),
        ];
        let u = unseal(&files, std::slice::from_ref(&id), Missing::Error);
        assert!(u.diagnostics.is_empty(), "{:?}", u.diagnostics);
        assert_eq!(u.secrets, ["hunter22", "s3cr3t-armored"]);
        assert_eq!(u.encrypted_files, ["s.yaml", "p.yaml"]);
        let s: Value = serde_yaml::from_slice(&u.files[0].bytes).unwrap();
        assert!(s.get("sops").is_none());
        assert_eq!(s["spec"]["password"].as_str(), Some("hunter22"));
        assert_eq!(s["spec"]["port"].as_i64(), Some(8404));
        assert!(String::from_utf8_lossy(&u.files[1].bytes).contains("b: s3cr3t-armored"));
        assert_eq!(u.files[2], files[2]);
    }

    #[test]
    fn without_identity_placeholders_keep_types_or_it_is_an_error() {
        let id = Identity::generate();
        let files = vec![SourceFile::new("s.yaml", sops_file(&id))];
        let u = unseal(&files, &[], Missing::Placeholder);
        assert!(!u.has_errors());
        assert!(u.diagnostics[0].message.contains("no identity"));
        let s: Value = serde_yaml::from_slice(&u.files[0].bytes).unwrap();
        assert_eq!(s["spec"]["password"].as_str(), Some(PLACEHOLDER));
        assert_eq!(s["spec"]["port"].as_i64(), Some(0));
        assert!(s.get("sops").is_none());
        let u = unseal(&files, &[], Missing::Error);
        assert!(u.has_errors());
        assert!(u.files.is_empty());
    }

    #[test]
    fn wrong_recipient_is_an_error_naming_the_file() {
        let files = vec![SourceFile::new("s.yaml", sops_file(&Identity::generate()))];
        let u = unseal(&files, &[Identity::generate()], Missing::Placeholder);
        assert!(u.has_errors());
        assert_eq!(u.diagnostics[0].file, "s.yaml");
        assert!(u.diagnostics[0].message.contains("not encrypted to any"));
        assert!(u.files.is_empty());
    }
}
