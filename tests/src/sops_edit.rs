//! Editing a sops-encrypted file of a test repository as a person does with
//! `sops edit`: decrypt (with the lab's DEMO key), change the cleartext, encrypt again
//! to the same recipients with the same rules, so the file's MAC stays valid.
//!
//! `sample-repo/` holds sops files (`balancer/haproxy.yaml`, the Kubernetes Secret);
//! [`crate::agent_cli::DesiredRepo::edit`] goes through [`edit_text`], so suites keep
//! editing them as text. The cleartext handed to the edit is the decrypted document
//! re-serialised (flow lists become block lists, comments are gone), without `sops:`.

use agent::secrets::sops::Rules;
use agent::secrets::{decrypt_document, encrypt_document, is_sops, EncryptOptions, Format};
use agent::secrets::{Identity, SecretError};
use serde_yaml::Value;

/// The lab's DEMO identity (public, test-only): `tests/lab/demo-age-key.txt`.
pub fn demo_identity() -> Identity {
    let key = crate::agent_cli::workspace_dir().join("tests/lab/demo-age-key.txt");
    Identity::from_file(&key).expect("the demo age key loads")
}

/// Applies `f` to the cleartext of `text` (a sops file: decrypted and re-encrypted;
/// any other file: as it is). Returns `text` unchanged when `f` changed nothing.
pub fn edit_text(
    file: &str,
    text: &str,
    f: impl FnOnce(&str) -> String,
) -> Result<String, SecretError> {
    if !is_sops(text) {
        return Ok(f(text));
    }
    let meta: Value = serde_yaml::from_str(text).map_err(|e| parse_error(file, e))?;
    let sops = &meta["sops"];
    let dec = decrypt_document(file, text, &[demo_identity()])?;
    let plain = serde_yaml::to_string(&dec.value).map_err(|e| parse_error(file, e))?;
    let plain = indent_sequences(&plain);
    let edited = f(&plain);
    if edited == plain {
        return Ok(text.to_string());
    }
    let value: Value = serde_yaml::from_str(&edited).map_err(|e| parse_error(file, e))?;
    let regex = |k: &str| {
        sops[k]
            .as_str()
            .map(|r| regex::Regex::new(r).expect("the file's own regex"))
    };
    let string = |k: &str| sops[k].as_str().map(str::to_string);
    let opts = EncryptOptions {
        rules: Rules {
            unencrypted_suffix: string("unencrypted_suffix"),
            encrypted_suffix: string("encrypted_suffix"),
            unencrypted_regex: regex("unencrypted_regex"),
            encrypted_regex: regex("encrypted_regex"),
            mac_only_encrypted: sops["mac_only_encrypted"].as_bool().unwrap_or(false),
        },
        lastmodified: None,
    };
    let recipients: Vec<String> = sops["age"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|a| a["recipient"].as_str().map(str::to_string))
        .collect();
    encrypt_document(&value, &recipients, &opts, Format::Yaml)
}

/// serde_yaml writes a sequence that is a mapping value at its key's indentation;
/// sops (with the repo's `indent: 2`) and people indent it by two more. Re-indents,
/// so an edit sees the layout of the file in the repo (`      cookie:` under a
/// backend list item, as in `sample-repo/balancer/haproxy.yaml`).
fn indent_sequences(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // Indentation of each open sequence that is a mapping value.
    let mut open: Vec<usize> = Vec::new();
    // The indentation of the key on the previous line when it opened a block (`key:`).
    let mut block_key: Option<usize> = None;
    // Inside a block scalar (`key: |`) of a key at this indentation: text, not YAML.
    let mut scalar_of: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(k) = scalar_of {
            if trimmed.is_empty() || indent > k {
                out.push_str(&" ".repeat(2 * open.len()));
                out.push_str(line);
                out.push('\n');
                continue;
            }
            scalar_of = None;
        }
        let is_item = trimmed.starts_with("- ") || trimmed == "-";
        if !trimmed.is_empty() {
            while let Some(&k) = open.last() {
                if indent < k || (indent == k && !is_item) {
                    open.pop();
                } else {
                    break;
                }
            }
            if is_item && block_key == Some(indent) && open.last() != Some(&indent) {
                open.push(indent);
            }
            let mut key_indent = indent;
            let mut rest = trimmed;
            while let Some(r) = rest.strip_prefix("- ") {
                key_indent += 2;
                rest = r;
            }
            block_key = rest.ends_with(':').then_some(key_indent);
            let value = rest.rsplit_once(": ").map_or("", |(_, v)| v);
            if value.starts_with('|') || value.starts_with('>') {
                scalar_of = Some(key_indent);
            }
        }
        out.push_str(&" ".repeat(2 * open.len()));
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn parse_error(file: &str, e: serde_yaml::Error) -> SecretError {
    SecretError::Parse {
        file: file.to_string(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sops_file_is_edited_in_cleartext_and_stays_encrypted_and_valid() {
        let file = "balancer/haproxy.yaml";
        let path = crate::agent_cli::workspace_dir()
            .join("sample-repo")
            .join(file);
        let text = std::fs::read_to_string(path).unwrap();
        let before = decrypt_document(file, &text, &[demo_identity()]).unwrap();
        let new = edit_text(file, &text, |t| {
            t.replacen("balance: roundrobin", "balance: leastconn", 1)
        })
        .unwrap();
        assert!(is_sops(&new));
        assert!(new.contains("encrypted_regex: ^password$"), "{new}");
        let after = decrypt_document(file, &new, &[demo_identity()]).unwrap();
        assert_eq!(after.secrets, before.secrets, "the password is kept");
        assert!(!new.contains(&before.secrets[0]), "and stays encrypted");
        assert_eq!(
            after.value["spec"]["backends"][0]["balance"],
            Value::from("leastconn")
        );
        // The cleartext has the file's layout (sequences indented under their key).
        edit_text(file, &text, |t| {
            let cookie = "    - name: http_back\n      balance: roundrobin\n      cookie:\n";
            assert!(t.contains(cookie), "{t}");
            assert!(t.contains("    options:\n      - dontlognull\n"), "{t}");
            assert_eq!(serde_yaml::from_str::<Value>(t).unwrap(), before.value);
            t.to_string()
        })
        .unwrap();
        let same = edit_text(file, &text, |t| t.to_string()).unwrap();
        assert_eq!(same, text, "no change, same bytes");
        let plain = edit_text("x.yaml", "a: 1\n", |t| t.replace('1', "2")).unwrap();
        assert_eq!(plain, "a: 2\n");
    }

    #[test]
    fn sequences_are_indented_under_their_keys_and_block_scalars_left_alone() {
        let v: Value = serde_yaml::from_str(
            "a:\n  - x: 1\n    l:\n      - p\n      - - q\n    m: |\n      text:\n      - not a list\nb: [1]\n",
        )
        .unwrap();
        let text = indent_sequences(&serde_yaml::to_string(&v).unwrap());
        assert_eq!(
            text,
            "a:\n  - x: 1\n    l:\n      - p\n      - - q\n    m: |\n      text:\n      - not a list\nb:\n  - 1\n"
        );
        assert_eq!(serde_yaml::from_str::<Value>(&text).unwrap(), v);
    }
}
