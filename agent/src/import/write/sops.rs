//! Secrets found by import, never written in clear: encrypted with the recipients of
//! the repo's `.sops.yaml` creation rule for the file (the agent's own SOPS writer,
//! only the secret values, the rest readable), or replaced by a placeholder when no
//! rule has recipients.

use crate::import::doc::Comments;
use crate::secrets::{encrypt_document, sops::Rules, EncryptOptions, Format};
use serde_yaml::Value;

/// The creation rules of a `.sops.yaml`: `(path_regex, age recipients)`.
#[derive(Debug, Clone, Default)]
pub struct SopsConfig {
    pub rules: Vec<(regex::Regex, Vec<String>)>,
}

impl SopsConfig {
    pub fn parse(text: &str) -> Result<SopsConfig, String> {
        let v: Value = serde_yaml::from_str(text).map_err(|e| format!(".sops.yaml: {e}"))?;
        let mut rules = Vec::new();
        for r in v
            .get("creation_rules")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let re = r.get("path_regex").and_then(Value::as_str).unwrap_or("");
            let re =
                regex::Regex::new(re).map_err(|e| format!(".sops.yaml: path_regex {re:?}: {e}"))?;
            let age: Vec<String> = match r.get("age") {
                Some(Value::String(s)) => s
                    .split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
                Some(Value::Sequence(s)) => s
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect(),
                _ => Vec::new(),
            };
            rules.push((re, age));
        }
        Ok(SopsConfig { rules })
    }

    /// The recipients for `path` (repo-relative): the first rule whose regex matches.
    pub fn recipients(&self, path: &str) -> Option<&[String]> {
        self.rules
            .iter()
            .find(|(re, _)| re.is_match(path))
            .map(|(_, r)| r.as_slice())
            .filter(|r| !r.is_empty())
    }

    /// A `.sops.yaml` for an imported repo, every file kind encrypted to `recipient`.
    pub fn text_for(recipient: &str) -> String {
        format!(
            "# Written by `agent import`: secrets found on the hosts are encrypted to the\n\
             # agent's own age identity. Add each admin's public key (comma-separated) to edit\n\
             # them with `sops edit FILE`.\n\
             creation_rules:\n\
             \x20 - path_regex: (^|/)(balancer|gateway|cluster|workloads)/.*\\.ya?ml$\n\
             \x20   age: {recipient}\n\
             stores:\n\
             \x20 yaml:\n\
             \x20   indent: 2\n"
        )
    }
}

/// The last key of each secret path (`spec.stats.auth.password` → `password`).
fn keys(secrets: &[String]) -> Vec<String> {
    let mut k: Vec<String> = secrets
        .iter()
        .filter_map(|p| p.rsplit('.').next())
        .map(|k| k.split('[').next().unwrap_or(k).to_string())
        .collect();
    k.sort();
    k.dedup();
    k
}

/// The document with the secret leaves encrypted (SOPS, only those keys), plus the
/// `sops:` block to append; `Err` when encryption failed.
pub fn encrypt(
    doc: &Value,
    secrets: &[String],
    recipients: &[String],
) -> Result<(Value, Value), String> {
    let keys = keys(secrets);
    let pattern = format!(
        "^({})$",
        keys.iter()
            .map(|k| regex::escape(k))
            .collect::<Vec<_>>()
            .join("|")
    );
    let rules = Rules {
        encrypted_regex: Some(regex::Regex::new(&pattern).map_err(|e| e.to_string())?),
        ..Rules::default()
    };
    let opts = EncryptOptions {
        rules,
        lastmodified: None,
    };
    let text = encrypt_document(doc, recipients, &opts, Format::Yaml).map_err(|e| e.to_string())?;
    let mut v: Value = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    let meta = v
        .as_mapping_mut()
        .and_then(|m| m.remove("sops"))
        .ok_or("no sops block")?;
    Ok((v, meta))
}

/// The document with every secret leaf replaced by a placeholder, and comments saying
/// where the value is.
pub fn placeholders(
    doc: &Value,
    secrets: &[String],
    comments: &mut Comments,
    whence: &str,
) -> Value {
    fn walk(v: &mut Value, path: &str, secrets: &[String], hits: &mut Vec<String>) {
        match v {
            Value::Mapping(m) => {
                for (k, x) in m.iter_mut() {
                    let p = if path.is_empty() {
                        k.as_str().unwrap_or("").to_string()
                    } else {
                        format!("{path}.{}", k.as_str().unwrap_or(""))
                    };
                    walk(x, &p, secrets, hits);
                }
            }
            Value::Sequence(s) => {
                for (i, x) in s.iter_mut().enumerate() {
                    walk(x, &format!("{path}[{i}]"), secrets, hits);
                }
            }
            leaf => {
                if secrets
                    .iter()
                    .any(|s| s == path || path.starts_with(&format!("{s}[")))
                {
                    *leaf = Value::String(PLACEHOLDER.into());
                    hits.push(path.to_string());
                }
            }
        }
    }
    let mut v = doc.clone();
    let mut hits = Vec::new();
    walk(&mut v, "", secrets, &mut hits);
    for h in hits {
        comments.add(h, format!("SECRET not written: no .sops.yaml rule with age recipients for this file. Put the value from {whence} here with `sops edit`."));
    }
    v
}

/// What a secret is replaced by when it cannot be encrypted.
pub const PLACEHOLDER: &str = "REPLACE-ME";
