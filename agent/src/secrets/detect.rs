//! Plaintext secret detection for `agent validate`: secrets committed by mistake.
//!
//! A line scan, deliberately simple and explainable: it finds PEM private keys,
//! age secret keys (`AGE-SECRET-KEY-1…`),
//! password-like keys (`password`, `secret`, `token`, `apiKey`, …) with a literal
//! value, and Kubernetes `Secret` manifests carrying literal `data`/`stringData`.
//! Values that are sops `ENC[…]` or age-armored count as encrypted. Each finding is
//! a [`Diagnostic`] pointing at file and line; the policy decides warning or error.

use schema::Diagnostic;
use std::path::Path;

/// What a finding is: the PR check fails (`Deny`) or only warns (`Warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    #[default]
    Warn,
    Deny,
}

/// Normalised key fragments that mark a secret-bearing key.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "accesskey",
    "credential",
];
/// Keys that merely refer to a secret (`secretName`, `passwordFile`, `tokenRef`).
const REFERENCE_SUFFIXES: &[&str] = &[
    "name", "ref", "file", "path", "dir", "env", "source", "length", "mode", "ttl", "timeout",
];

/// Scans one file's text; `file` is the repo-relative path used in diagnostics.
pub fn scan_text(file: &str, text: &str, policy: Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let diag = |line: usize, msg: String, hint: &str| {
        let d = match policy {
            Policy::Warn => Diagnostic::warning(file, line, 1, msg),
            Policy::Deny => Diagnostic::error(file, line, 1, msg),
        };
        d.with_hint(hint)
    };
    let yaml = is_yaml_or_json(file);
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.contains("-----BEGIN") && t.contains("PRIVATE KEY-----") {
            out.push(diag(
                i + 1,
                "PEM private key committed in plaintext".into(),
                "encrypt the file with sops (age) or store the key as an age-armored value",
            ));
            continue;
        }
        if t.contains("AGE-SECRET-KEY-1") {
            out.push(diag(
                i + 1,
                "age secret key committed".into(),
                "keep identities on the deploy node only; commit the age1… recipient instead",
            ));
            continue;
        }
        if !yaml || t.starts_with('#') {
            continue;
        }
        let next = lines.get(i + 1).map_or("", |l| l.trim_start());
        // Flow mappings (`auth: {user: a, password: b}`): each `key: value` pair.
        let in_flow = || {
            t.split(['{', ',', '}'])
                .skip(1)
                .find_map(|pair| secret_key_with_literal(pair.trim(), ""))
        };
        if let Some(key) = secret_key_with_literal(t, next).or_else(in_flow) {
            out.push(diag(
                i + 1,
                format!("`{key}` has a plaintext value"),
                "encrypt it with sops (age) or as an age-armored value",
            ));
        }
    }
    if yaml {
        out.extend(literal_k8s_secrets(text).into_iter().map(|(line, field)| {
            diag(
                line,
                format!("Kubernetes Secret with literal `{field}`"),
                "encrypt the manifest with sops (encrypted_regex: ^(data|stringData)$)",
            )
        }));
    }
    out.sort();
    out.dedup();
    out
}

/// Scans every file under `root` (skipping `.git`, binary and files over 1 MiB).
/// Diagnostics carry paths relative to `root`.
pub fn scan_repo(root: &Path, policy: Policy) -> std::io::Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let ty = entry.file_type()?;
            if ty.is_dir() && entry.file_name() != ".git" {
                stack.push(path);
            } else if ty.is_file() && entry.metadata()?.len() <= 1 << 20 {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.extend(scan_text(&rel.display().to_string(), &text, policy));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn is_yaml_or_json(file: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|e| file.ends_with(e))
}

/// `password: hunter2` / `"apiKey": "abc",` → the key, if its value is a literal.
/// A block scalar (`password: |`) is judged by its first content line, `next`.
fn secret_key_with_literal(line: &str, next: &str) -> Option<String> {
    let line = line.strip_prefix("- ").unwrap_or(line);
    let (key, value) = line.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.contains(' ') {
        return None;
    }
    let norm: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if !SECRET_WORDS.iter().any(|w| norm.contains(w))
        || REFERENCE_SUFFIXES.iter().any(|s| norm.ends_with(s))
    {
        return None;
    }
    let value = value.trim();
    let block = value.starts_with('|') || value.starts_with('>');
    let literal = if block {
        is_literal(next)
    } else {
        is_literal(value)
    };
    literal.then(|| key.to_string())
}

fn is_literal(value: &str) -> bool {
    let v = value
        .trim()
        .trim_end_matches(',')
        .trim()
        .trim_matches(['"', '\'']);
    !(v.is_empty()
        || v == "null"
        || v == "~"
        || v == "{"
        || v == "["
        || v.starts_with("ENC[")
        || v.starts_with("-----BEGIN AGE")
        || v.starts_with('*')
        || v.starts_with("${")
        || v.starts_with('#')
        || v.parse::<f64>().is_ok()
        || v == "true"
        || v == "false")
}

/// `(line, "data"|"stringData")` for each `kind: Secret` document with a literal value.
fn literal_k8s_secrets(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    let lines: Vec<&str> = text.lines().collect();
    for end in (0..=lines.len()).filter(|&i| i == lines.len() || lines[i].starts_with("---")) {
        let chunk = &lines[start..end];
        let first_line = start + 1;
        start = end + 1;
        let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(&chunk.join("\n")) else {
            continue;
        };
        if doc.get("kind").and_then(|k| k.as_str()) != Some("Secret") || doc.get("sops").is_some() {
            continue;
        }
        for field in ["data", "stringData"] {
            let Some(map) = doc.get(field).and_then(|d| d.as_mapping()) else {
                continue;
            };
            let literal = map
                .values()
                .any(|v| v.as_str().is_some_and(|s| !s.is_empty() && is_literal(s)));
            if literal {
                let at = chunk
                    .iter()
                    .position(|l| l.trim_start().starts_with(&format!("{field}:")))
                    .unwrap_or(0);
                out.push((first_line + at, field.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_mappings_are_scanned_pair_by_pair() {
        let hit = scan_text(
            "b.yaml",
            "auth: {user: admin, password: hunter2}\n",
            Policy::Warn,
        );
        assert_eq!(hit.len(), 1, "{hit:?}");
        assert!(hit[0].message.contains("`password`"));
        let enc = "auth: {user: admin, password: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]}\n";
        assert!(scan_text("b.yaml", enc, Policy::Deny).is_empty());
        assert!(scan_text(
            "b.yaml",
            "auth: {user: admin, passwordFile: /x}\n",
            Policy::Warn
        )
        .is_empty());
    }
}
