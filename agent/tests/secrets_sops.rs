//! SOPS round trips, failure modes, and cross-checks with the real `age` CLI.

use agent::secrets::sops::Rules;
use agent::secrets::{
    decrypt_document, encrypt_document, EncryptOptions, Format, Identity, SecretError,
};
use serde_yaml::Value;
use std::process::Command;

const PLAIN: &str = include_str!("secrets/plain.yaml");

fn plain() -> Value {
    serde_yaml::from_str(PLAIN).unwrap()
}

fn encrypt(id: &Identity, format: Format) -> String {
    encrypt_document(
        &plain(),
        &id.recipients(),
        &EncryptOptions::default(),
        format,
    )
    .unwrap()
}

#[test]
fn yaml_round_trip_restores_every_type_and_lists_secrets() {
    let id = Identity::generate();
    let enc = encrypt(&id, Format::Yaml);
    for s in ["s3cr3t-stats-pass", "alice-pw-123", "bob-pw-456", "one-tag"] {
        assert!(!enc.contains(s), "{s} in ciphertext file:\n{enc}");
    }
    assert!(
        enc.contains("visible to reviewers"),
        "_unencrypted stays plain"
    );
    assert!(enc.contains("type:int") && enc.contains("type:bool") && enc.contains("type:float"));
    let dec = decrypt_document("lb.enc.yaml", &enc, &[id]).unwrap();
    assert_eq!(dec.value, plain());
    let mut secrets = dec.secrets.clone();
    secrets.sort();
    let mut expected = [
        "admin",
        "alice",
        "alice-pw-123",
        "agent/v1",
        "Balancer",
        "bob",
        "bob-pw-456",
        "lb",
        "one-tag",
        "s3cr3t-stats-pass",
        "two-tag",
    ];
    expected.sort();
    assert_eq!(
        secrets, expected,
        "string leaves that were encrypted, empty ones left out"
    );
}

#[test]
fn json_round_trip() {
    let id = Identity::generate();
    let enc = encrypt(&id, Format::Json);
    let parsed: serde_json::Value = serde_json::from_str(&enc).expect("valid JSON");
    assert!(parsed["sops"]["age"][0]["enc"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(!enc.contains("alice-pw-123"));
    let dec = decrypt_document("lb.enc.json", &enc, &[id]).unwrap();
    assert_eq!(dec.value, plain());
}

#[test]
fn encrypted_regex_limits_what_is_encrypted() {
    let id = Identity::generate();
    let opts = EncryptOptions {
        rules: Rules {
            encrypted_regex: Some(regex::Regex::new("^password$").unwrap()),
            ..Rules::default()
        },
        lastmodified: Some("2026-01-02T03:04:05Z".into()),
    };
    let enc = encrypt_document(&plain(), &id.recipients(), &opts, Format::Yaml).unwrap();
    assert!(enc.contains("name: alice") && enc.contains("kind: Balancer"));
    assert!(!enc.contains("alice-pw-123") && !enc.contains("s3cr3t-stats-pass"));
    assert!(enc.contains("encrypted_regex: ^password$"));
    assert!(enc.contains("lastmodified: 2026-01-02T03:04:05Z"));
    let dec = decrypt_document("f.yaml", &enc, &[id]).unwrap();
    assert_eq!(dec.value, plain());
    let mut s = dec.secrets;
    s.sort();
    assert_eq!(s, ["alice-pw-123", "bob-pw-456", "s3cr3t-stats-pass"]);
}

#[test]
fn wrong_identity_names_the_recipients() {
    let (owner, other) = (Identity::generate(), Identity::generate());
    let enc = encrypt(&owner, Format::Yaml);
    let err = decrypt_document("secrets/lb.yaml", &enc, &[other]).unwrap_err();
    assert!(matches!(err, SecretError::NotForUs { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("secrets/lb.yaml: not encrypted to any of your identities"));
    assert!(msg.contains(&owner.recipients()[0]), "{msg}");
}

#[test]
fn several_recipients_each_decrypt() {
    let (a, b) = (Identity::generate(), Identity::generate());
    let recipients = [a.recipients(), b.recipients()].concat();
    let enc = encrypt_document(
        &plain(),
        &recipients,
        &EncryptOptions::default(),
        Format::Yaml,
    )
    .unwrap();
    for id in [a, b] {
        assert_eq!(decrypt_document("f", &enc, &[id]).unwrap().value, plain());
    }
}

/// Replaces the first `ENC[...]` value that follows `after` with `with`.
fn replace_value_after(text: &str, after: &str, with: impl Fn(&str) -> String) -> String {
    let at = text.find(after).unwrap() + after.len();
    let start = at + text[at..].find("ENC[").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    format!(
        "{}{}{}",
        &text[..start],
        with(&text[start..end]),
        &text[end..]
    )
}

#[test]
fn tampered_ciphertext_is_refused_with_its_path() {
    let id = Identity::generate();
    let enc = encrypt(&id, Format::Yaml);
    let tampered = replace_value_after(&enc, "password: ", |v| {
        // Flip one base64 character of the data field.
        let i = v.find("data:").unwrap() + 5;
        let c = if &v[i..=i] == "A" { "B" } else { "A" };
        format!("{}{c}{}", &v[..i], &v[i + 1..])
    });
    assert_ne!(tampered, enc);
    let err = decrypt_document("f.yaml", &tampered, &[id]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("spec:stats:password"), "{msg}");
    assert!(msg.contains("tampered"), "{msg}");
}

#[test]
fn a_value_moved_to_another_key_does_not_decrypt() {
    let id = Identity::generate();
    let enc = encrypt(&id, Format::Yaml);
    let at = enc.find("password: ").unwrap();
    let start = at + enc[at..].find("ENC[").unwrap();
    let stats_pw = &enc[start..start + enc[start..].find(']').unwrap() + 1];
    // Put the stats password's ciphertext in place of `user: admin`'s.
    let moved = replace_value_after(&enc, "user: ", |_| stats_pw.to_string());
    let err = decrypt_document("f.yaml", &moved, &[id]).unwrap_err();
    assert!(err.to_string().contains("spec:stats:user"), "{err}");
}

#[test]
fn tampered_mac_or_plain_value_is_a_mac_mismatch() {
    let id = Identity::generate();
    let enc = encrypt(&id, Format::Yaml);
    // The unencrypted value is still covered by the MAC.
    let edited = enc.replace("visible to reviewers", "edited by someone");
    let err = decrypt_document("f.yaml", &edited, std::slice::from_ref(&id)).unwrap_err();
    assert!(matches!(err, SecretError::MacMismatch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "f.yaml: MAC mismatch: file was tampered with or re-encrypted wrongly"
    );
    // A MAC from another file (valid ENC syntax, wrong content) is refused too.
    let other = encrypt(&id, Format::Yaml);
    let mac_of = |t: &str| {
        let s = t.find("mac: ").unwrap() + 5;
        t[s..s + t[s..].find('\n').unwrap()].to_string()
    };
    let swapped = enc.replace(&mac_of(&enc), &mac_of(&other));
    let err = decrypt_document("f.yaml", &swapped, std::slice::from_ref(&id)).unwrap_err();
    assert!(matches!(err, SecretError::MacMismatch { .. }), "{err:?}");
    // Removing the MAC is not a way around it.
    let removed = enc.replace(&format!("mac: {}", mac_of(&enc)), "");
    assert!(decrypt_document("f.yaml", &removed, &[id]).is_err());
}

#[test]
fn age_cli_decrypts_the_data_key_stanza_and_identity_files_from_age_keygen_load() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.txt");
    let st = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .expect("age-keygen is installed");
    assert!(st.status.success());
    let id = Identity::from_file(&key).unwrap();
    let enc = encrypt(&id, Format::Yaml);
    let doc: Value = serde_yaml::from_str(&enc).unwrap();
    let stanza = doc["sops"]["age"][0]["enc"].as_str().unwrap();
    std::fs::write(dir.path().join("dk.age"), stanza).unwrap();
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(dir.path().join("dk.age"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len(),
        32,
        "the stanza holds the 32-byte data key"
    );
    assert_eq!(decrypt_document("f", &enc, &[id]).unwrap().value, plain());
}

/// An independent check of the format with Python's `cryptography` (AES-GCM with a
/// 32-byte IV, path as AAD) and `hashlib` (the MAC over the cleartext leaves in
/// document order, booleans as `True`), with the data key recovered by the `age` CLI.
#[test]
fn python_cryptography_reads_values_and_mac_as_sops_defines_them() {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography.hazmat.primitives.ciphers.aead"])
        .status();
    if !probe.map(|s| s.success()).unwrap_or(false) {
        test_skip::skip!(
            "python3 with `cryptography` is not installed (bash tests/setup installs it)"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    std::fs::write(dir.path().join("key.txt"), id.to_file_text()).unwrap();
    let enc = encrypt(&id, Format::Yaml);
    let doc: Value = serde_yaml::from_str(&enc).unwrap();
    std::fs::write(
        dir.path().join("dk.age"),
        doc["sops"]["age"][0]["enc"].as_str().unwrap(),
    )
    .unwrap();
    let dk = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(dir.path().join("key.txt"))
        .arg("-o")
        .arg(dir.path().join("dk.bin"))
        .arg(dir.path().join("dk.age"))
        .status()
        .unwrap();
    assert!(dk.success());
    let script = r#"
import base64, hashlib, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = open(sys.argv[1], "rb").read()
def dec(v, aad):
    f = dict(p.split(":", 1) for p in v[len("ENC[AES256_GCM,"):-1].split(","))
    data = base64.b64decode(f["data"]) + base64.b64decode(f["tag"])
    return AESGCM(key).decrypt(base64.b64decode(f["iv"]), data, aad.encode()).decode()
print(dec(sys.argv[2], "spec:stats:password:"))
print(dec(sys.argv[3], "spec:stats:enabled:"))
leaves = ["agent/v1", "Balancer", "lb", "admin", "s3cr3t-stats-pass", "8404", "True",
          "0.75", "alice", "alice-pw-123", "bob", "bob-pw-456", "one-tag", "two-tag",
          "visible to reviewers", ""]
mac = hashlib.sha512("".join(leaves).encode()).hexdigest().upper()
print(dec(sys.argv[4], sys.argv[5]) == mac)
"#;
    let spec = &doc["spec"]["stats"];
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir.path().join("dk.bin"))
        .arg(spec["password"].as_str().unwrap())
        .arg(spec["enabled"].as_str().unwrap())
        .arg(doc["sops"]["mac"].as_str().unwrap())
        .arg(doc["sops"]["lastmodified"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "s3cr3t-stats-pass\nTrue\nTrue\n"
    );
}

/// Fixtures written once by this implementation and committed, so a change to the
/// format (path AAD, MAC spelling, metadata) that round-trips with itself still fails
/// here. `REGENERATE_SOPS_FIXTURES=1` rewrites them (then review the diff).
#[test]
fn committed_fixtures_still_decrypt() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/secrets");
    let id = Identity::from_file(&dir.join("test-only.agekey")).unwrap();
    let json_opts = EncryptOptions {
        rules: Rules {
            encrypted_regex: Some(regex::Regex::new("^(password|user)$").unwrap()),
            mac_only_encrypted: true,
            ..Rules::default()
        },
        lastmodified: Some("2026-11-26T16:00:00Z".into()),
    };
    if std::env::var_os("REGENERATE_SOPS_FIXTURES").is_some() {
        let yaml = encrypt_document(
            &plain(),
            &id.recipients(),
            &EncryptOptions::default(),
            Format::Yaml,
        )
        .unwrap();
        std::fs::write(dir.join("lb.enc.yaml"), yaml).unwrap();
        let json = encrypt_document(&plain(), &id.recipients(), &json_opts, Format::Json).unwrap();
        std::fs::write(dir.join("lb.enc.json"), json).unwrap();
    }
    for name in ["lb.enc.yaml", "lb.enc.json"] {
        let dec = agent::secrets::decrypt_file(&dir.join(name), std::slice::from_ref(&id))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dec.value, plain(), "{name}");
        assert!(dec.secrets.contains(&"alice-pw-123".to_string()), "{name}");
    }
    let json = std::fs::read_to_string(dir.join("lb.enc.json")).unwrap();
    assert!(json.contains("\"mac_only_encrypted\": true") && json.contains("\"name\": \"alice\""));
}
