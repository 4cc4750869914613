//! Decrypted secrets never show in masked output; age-armored values from the real
//! `age` CLI decrypt; the plaintext search helper finds what it must.

use agent::mask::Masker;
use agent::secrets::{
    self, assert_no_plaintext, decrypt_document, encrypt_document, find_plaintext, EncryptOptions,
    Format, Identity, SecretError,
};
use std::io::Write;
use std::process::{Command, Stdio};

fn age_cli_armor(recipient: &str, plaintext: &str) -> String {
    let mut child = Command::new("age")
        .args(["-a", "-r", recipient])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("age is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(plaintext.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

const TLS_KEY: &str = "-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFakeFakeFakeFake\n\
FakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakehRANCAAQ2fakefakefake\n\
-----END PRIVATE KEY-----\n";

#[test]
fn armored_values_from_the_age_cli_decrypt_in_plain_yaml() {
    let id = Identity::generate();
    let armored = age_cli_armor(&id.recipients()[0], TLS_KEY);
    let doc = format!(
        "kind: Gateway\nspec:\n  tls:\n    cert: /etc/ssl/gw.pem\n    keyPem: |\n{}",
        indent(&armored, "      ")
    );
    let dec = decrypt_document("gateway/gw.yaml", &doc, std::slice::from_ref(&id)).unwrap();
    assert_eq!(dec.value["spec"]["tls"]["keyPem"].as_str(), Some(TLS_KEY));
    assert_eq!(
        dec.value["spec"]["tls"]["cert"].as_str(),
        Some("/etc/ssl/gw.pem")
    );
    assert_eq!(dec.secrets, [TLS_KEY]);

    let err = decrypt_document("gateway/gw.yaml", &doc, &[Identity::generate()]).unwrap_err();
    assert!(matches!(err, SecretError::NotForUs { .. }), "{err:?}");
    assert!(err.to_string().contains("spec:tls:keyPem"), "{err}");
}

#[test]
fn library_armored_values_decrypt_with_the_age_cli() {
    let dir = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    std::fs::write(dir.path().join("k"), id.to_file_text()).unwrap();
    let armored = secrets::encrypt_armored("stats-Pa55word", &id.recipients()).unwrap();
    std::fs::write(dir.path().join("v.age"), &armored).unwrap();
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(dir.path().join("k"))
        .arg(dir.path().join("v.age"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"stats-Pa55word");
}

/// Every decrypted secret registered in a `Masker` is absent from masked output
/// that contained it: raw, base64 (Kubernetes `Secret.data`), and line by line for
/// a multi-line PEM key.
#[test]
fn registered_secrets_never_appear_in_masked_output() {
    let id = Identity::generate();
    let doc: serde_yaml::Value = serde_yaml::from_str(&format!(
        "stats:\n  password: hunter2-stats\nkc:\n  adminPassword: Kc-admin-9f3\ntls:\n  key: |\n{}",
        indent(TLS_KEY, "    ")
    ))
    .unwrap();
    let enc = encrypt_document(
        &doc,
        &id.recipients(),
        &EncryptOptions::default(),
        Format::Yaml,
    )
    .unwrap();
    let dec = decrypt_document("s.yaml", &enc, &[id]).unwrap();
    assert_eq!(dec.secrets.len(), 3);

    let mut masker = Masker::new("install-key");
    secrets::register(&mut masker, &dec.secrets);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode("Kc-admin-9f3");
    let output = format!(
        "-    stats auth admin:hunter2-stats\n+ KC_PASSWORD=Kc-admin-9f3\n  data:\n    pw: {b64}\n{}",
        indent(TLS_KEY, "+ ")
    );
    let leaked = find_plaintext(&output, &dec.secrets);
    assert!(
        leaked.len() >= 3,
        "the raw output does contain them: {leaked:?}"
    );
    let masked = masker.mask(&output);
    assert_no_plaintext(&masked, &dec.secrets);
    for line in TLS_KEY.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!masked.contains(line), "PEM line leaked: {masked}");
    }
    assert!(masked.contains(&masker.token("Kc-admin-9f3")));
}

#[test]
#[should_panic(expected = "secret #1 (base64) at line 2")]
fn assert_no_plaintext_reports_where_without_repeating_the_secret() {
    let out = "nothing here\nvalue: c2VjcmV0LXR3bw==\n";
    assert_no_plaintext(out, &["secret-one", "secret-two"]);
}

#[test]
fn find_plaintext_is_bounded_and_ignores_tiny_values() {
    let hay = "abcd ".repeat(100);
    assert_eq!(find_plaintext(&hay, &["abcd"]).len(), 20);
    assert!(find_plaintext("a b c", &["a"]).is_empty());
    let hits = find_plaintext("x\ny long-secret z", &["long-secret"]);
    assert_eq!(
        (hits[0].line, hits[0].offset, hits[0].base64),
        (2, 4, false)
    );
}

#[test]
fn multi_document_files_decrypt_armored_values_in_every_document() {
    let id = Identity::generate();
    let a = secrets::encrypt_armored("first-secret", &id.recipients()).unwrap();
    let b = secrets::encrypt_armored("second-secret", &id.recipients()).unwrap();
    let text = format!(
        "kind: A\npw: |\n{}---\nkind: B\nnested:\n  - pw: |\n{}",
        indent(&a, "  "),
        indent(&b, "      ")
    );
    let docs = secrets::decrypt_documents("two.yaml", &text, std::slice::from_ref(&id)).unwrap();
    assert_eq!(docs.values.len(), 2);
    assert_eq!(
        docs.values[1]["nested"][0]["pw"].as_str(),
        Some("second-secret")
    );
    assert_eq!(docs.secrets, ["first-secret", "second-secret"]);
    let err = decrypt_document("two.yaml", &text, &[id]).unwrap_err();
    assert!(err.to_string().contains("several YAML documents"), "{err}");
}

#[test]
fn write_private_creates_mode_0600_files_atomically() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.key");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let id = Identity::generate();
    secrets::write_private(&path, id.to_file_text().as_bytes()).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        Identity::from_file(&path).unwrap().recipients(),
        id.recipients()
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}
