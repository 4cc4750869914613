//! Our SOPS decoder against files written by the real `sops` binary (3.11, installed
//! by `tests/tools/install-sops.sh`): for each case, `sops encrypt` writes the file,
//! `sops decrypt` says what it holds, and our decryption must yield exactly that.
//! Tampering must fail in both. Files written by our encoder must decrypt with sops.
//!
//! Network: sops only calls api.github.com for `sops --version`; these tests never ask
//! for the version and set `SOPS_DISABLE_VERSION_CHECK=1` on every call anyway.
//! Without `sops` on PATH every test is a counted skip (CI installs it and forbids skips).

use agent::secrets::{
    decrypt_document, encrypt_document, EncryptOptions, Format, Identity, SecretError,
};
use serde_yaml::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

mod realsops;
use realsops::{cases, Case};

/// A scratch directory with fresh age keys (from `age-keygen`) and a sops runner.
struct Sops {
    dir: tempfile::TempDir,
    keys: Vec<PathBuf>,
    recipients: Vec<String>,
}

macro_rules! sops_or_skip {
    ($n:expr) => {
        match Sops::new($n) {
            Some(s) => s,
            None => test_skip::skip!(
                "`sops` is not on PATH (bash tests/setup installs it: tests/tools/install-sops.sh)"
            ),
        }
    };
}

impl Sops {
    fn new(n_keys: usize) -> Option<Sops> {
        if Command::new("sops").arg("help").output().is_err() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut keys = Vec::new();
        let mut recipients = Vec::new();
        for i in 0..n_keys {
            let key = dir.path().join(format!("key{i}.txt"));
            let st = Command::new("age-keygen")
                .arg("-o")
                .arg(&key)
                .output()
                .expect("age-keygen (Debian package `age`) is installed");
            assert!(st.status.success(), "age-keygen: {st:?}");
            recipients.push(Identity::from_file(&key).unwrap().recipients()[0].clone());
            keys.push(key);
        }
        Some(Sops {
            dir,
            keys,
            recipients,
        })
    }

    /// `sops ARGS` in the scratch dir, decrypting with key `key`; HOME is the scratch
    /// dir so no user configuration or key file is picked up.
    fn run(&self, key: usize, args: &[&str]) -> Output {
        Command::new("sops")
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .env("SOPS_AGE_KEY_FILE", &self.keys[key])
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_RECIPIENTS")
            .env_remove("SOPS_CONFIG")
            .output()
            .unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn identity(&self, key: usize) -> Identity {
        Identity::from_file(&self.keys[key]).unwrap()
    }

    /// Encrypts `case` with sops and returns the encrypted text.
    fn encrypt(&self, case: &Case) -> String {
        let plain = self.path(case.name);
        std::fs::write(&plain, case.plain).unwrap();
        let age = self.recipients[..case.recipients].join(",");
        // `--mac-only-encrypted` exists only on the legacy `sops --encrypt` form.
        let legacy = case.args.contains(&"--mac-only-encrypted");
        let mut args = vec![if legacy { "--encrypt" } else { "encrypt" }];
        if !case.use_config {
            args.extend(["--age", age.as_str()]);
        } else {
            let config = format!(
                "creation_rules:\n  - path_regex: .*\n    encrypted_regex: '{}'\n    age: >-\n      {}\n",
                case.config_regex, age
            );
            std::fs::write(self.path(".sops.yaml"), config).unwrap();
        }
        args.extend(case.args.iter().copied());
        args.push(case.name);
        let out = self.run(0, &args);
        if case.use_config {
            std::fs::remove_file(self.path(".sops.yaml")).unwrap();
        }
        assert!(
            out.status.success(),
            "sops encrypt {}: {}",
            case.name,
            err(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `sops decrypt` of `text` (written to `name`), with key `key`.
    fn decrypt(&self, name: &str, text: &str, key: usize) -> Output {
        std::fs::write(self.path(name), text).unwrap();
        self.run(key, &["decrypt", name])
    }
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Parses sops' cleartext output the way our decoder's result is typed.
fn parse(name: &str, text: &str) -> Value {
    if name.ends_with(".json") {
        let j: serde_json::Value = serde_json::from_str(text).unwrap();
        serde_yaml::to_value(j).unwrap()
    } else {
        serde_yaml::from_str(text).unwrap()
    }
}

/// Our decryption as sops' output format would parse it (JSON numbers and YAML
/// numbers compare as values, not as spellings).
fn ours(name: &str, enc: &str, id: &Identity) -> Result<Value, SecretError> {
    let v = decrypt_document(name, enc, std::slice::from_ref(id))?.value;
    Ok(if name.ends_with(".json") {
        serde_yaml::to_value(serde_json::to_value(&v).unwrap()).unwrap()
    } else {
        v
    })
}

#[test]
fn every_file_written_by_sops_decrypts_to_what_sops_decrypts() {
    let sops = sops_or_skip!(3);
    let mut checked = 0;
    for case in cases() {
        let enc = sops.encrypt(&case);
        for secret in case.secrets {
            assert!(!enc.contains(secret), "{}: {secret} in\n{enc}", case.name);
        }
        for plain in case.stays_plain {
            assert!(
                enc.contains(plain),
                "{}: {plain} not plain in\n{enc}",
                case.name
            );
        }
        for key in 0..case.recipients {
            let out = sops.decrypt(case.name, &enc, key);
            assert!(
                out.status.success(),
                "sops decrypt {}: {}",
                case.name,
                err(&out)
            );
            let expected = parse(case.name, &String::from_utf8(out.stdout).unwrap());
            let got = ours(case.name, &enc, &sops.identity(key))
                .unwrap_or_else(|e| panic!("{} (key {key}): {e}\n{enc}", case.name));
            assert_eq!(got, expected, "{} with key {key}:\n{enc}", case.name);
            assert_eq!(
                expected,
                parse(case.name, case.plain),
                "{}: sops round trip",
                case.name
            );
            checked += 1;
        }
    }
    eprintln!("{checked} sops-written files (file x recipient) decrypted identically");
    assert!(checked >= 10);
}

/// Replaces the first `ENC[...]` value after `marker` by `with(old)`.
fn edit_after(text: &str, marker: &str, with: impl Fn(&str) -> String) -> String {
    let at = text.find(marker).expect("marker") + marker.len();
    let start = at
        + text[at..]
            .find("ENC[")
            .expect("an ENC value after the marker");
    let end = start + text[start..].find(']').unwrap() + 1;
    format!(
        "{}{}{}",
        &text[..start],
        with(&text[start..end]),
        &text[end..]
    )
}

/// Flips one character of the base64 `data:` field.
fn flip_data(enc: &str) -> String {
    let d = enc.find("data:").unwrap() + 5;
    let c = enc.as_bytes()[d];
    let n = if c == b'A' { 'B' } else { 'A' };
    format!("{}{}{}", &enc[..d], n, &enc[d + 1..])
}

#[test]
fn tampering_with_a_sops_file_is_a_clear_error_for_both() {
    let sops = sops_or_skip!(2);
    let case = cases()
        .into_iter()
        .find(|c| c.name == "nested.yaml")
        .unwrap();
    let enc = sops.encrypt(&case);
    let id = sops.identity(0);
    let refused = |text: &str| {
        let out = sops.decrypt(case.name, text, 0);
        assert!(!out.status.success(), "sops accepted a tampered file");
        ours(case.name, text, &id).expect_err("we accepted a tampered file")
    };

    // The MAC itself altered.
    let bad_mac = edit_after(&enc, "\n    mac: ", flip_data);
    let e = refused(&bad_mac);
    assert!(matches!(e, SecretError::MacMismatch { .. }), "{e}");
    assert!(e.to_string().contains("MAC mismatch"), "{e}");

    // A value's ciphertext altered: names the file and the key path.
    let bad_value = edit_after(&enc, "password: ", flip_data);
    let e = refused(&bad_value).to_string();
    assert!(
        e.contains("nested.yaml") && e.contains("database:password") && e.contains("tampered"),
        "{e}"
    );

    // Two values swapped between keys: each is bound to its own path.
    let a = edit_after(&enc, "password: ", |v| v.to_string());
    let pw = &a[a.find("password: ").unwrap() + 10..];
    let pw = &pw[..pw.find('\n').unwrap()];
    let user = {
        let u = &enc[enc.find("user: ").unwrap() + 6..];
        &u[..u.find('\n').unwrap()]
    };
    let swapped = enc
        .replacen(pw, "@@PW@@", 1)
        .replacen(user, pw, 1)
        .replacen("@@PW@@", user, 1);
    let e = refused(&swapped).to_string();
    assert!(e.contains("authentication failed"), "{e}");

    // The MAC block removed: not silently read as a plain file.
    let start = enc.find("\n    mac: ").unwrap() + 1;
    let end = start + enc[start..].find('\n').unwrap() + 1;
    let no_mac = format!("{}{}", &enc[..start], &enc[end..]);
    let e = ours(case.name, &no_mac, &id).expect_err("a sops file without MAC");
    assert!(e.to_string().contains("no mac"), "{e}");

    // A value left in the clear by `--unencrypted-suffix` changed: the MAC covers it.
    let case = cases()
        .into_iter()
        .find(|c| c.name == "suffix.yaml")
        .unwrap();
    let enc = sops.encrypt(&case);
    let edited = enc.replace("reviewers can read this", "reviewers can read THIS");
    assert_ne!(edited, enc);
    let out = sops.decrypt(case.name, &edited, 0);
    assert!(!out.status.success());
    let e = ours(case.name, &edited, &id).expect_err("edited clear value");
    assert!(matches!(e, SecretError::MacMismatch { .. }), "{e}");

    // A key that is not a recipient: named recipients, no decryption.
    let stranger = Identity::generate();
    let e = ours(case.name, &enc, &stranger).expect_err("not a recipient");
    assert!(
        e.to_string().contains(&sops.recipients[0]),
        "names the file's recipients: {e}"
    );
}

#[test]
fn files_written_by_our_encoder_decrypt_with_sops() {
    let sops = sops_or_skip!(1);
    let id = sops.identity(0);
    for case in cases().into_iter().filter(|c| !c.use_config) {
        let value = parse(case.name, case.plain);
        let format = if case.name.ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        };
        let enc =
            encrypt_document(&value, &id.recipients(), &EncryptOptions::default(), format).unwrap();
        let out = sops.decrypt(case.name, &enc, 0);
        assert!(
            out.status.success(),
            "sops decrypt of ours {}: {}",
            case.name,
            err(&out)
        );
        let got = parse(case.name, &String::from_utf8(out.stdout).unwrap());
        assert_eq!(got, value, "{}", case.name);
    }
}

#[test]
fn sample_repo_secret_files_decrypt_as_sops_decrypts_them() {
    let sops = sops_or_skip!(0);
    let root = agent_tests::sample::sample_repo_dir();
    let demo = agent_tests::sample::demo_identity();
    for file in ["balancer/haproxy.yaml", "workloads/keycloak/secret.yaml"] {
        let enc = std::fs::read_to_string(root.join(file)).unwrap();
        let out = Command::new("sops")
            .args([
                "decrypt",
                "--input-type",
                "yaml",
                "--output-type",
                "yaml",
                "/dev/stdin",
            ])
            .current_dir(sops.dir.path())
            .env("HOME", sops.dir.path())
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .env("SOPS_AGE_KEY_FILE", agent_tests::sample::demo_key_file())
            .env_remove("SOPS_AGE_KEY")
            .stdin(std::fs::File::open(root.join(file)).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "sops decrypt {file}: {}", err(&out));
        let expected = parse(file, &String::from_utf8(out.stdout).unwrap());
        let got = ours(file, &enc, &demo).unwrap();
        assert_eq!(got, expected, "{file}");
    }
}
