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
        let same = edit_text(file, &text, |t| t.to_string()).unwrap();
        assert_eq!(same, text, "no change, same bytes");
        let plain = edit_text("x.yaml", "a: 1\n", |t| t.replace('1', "2")).unwrap();
        assert_eq!(plain, "a: 2\n");
    }
}
