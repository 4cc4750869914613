//! Plaintext secret detection for `agent validate`.

use agent::secrets::detect::{scan_repo, scan_text, Policy};
use schema::diag::Severity;

#[test]
fn finds_pem_keys_password_fields_and_literal_k8s_secrets_with_lines() {
    let text = "\
apiVersion: agent/v1
kind: Balancer
spec:
  stats:
    user: admin
    password: hunter2
    passwordFile: /etc/haproxy/pw
  apiKey: \"abc123\"
  token: 3000
  secretName: gw-tls
  client_secret: ENC[AES256_GCM,data:xx,iv:yy,tag:zz,type:str]
---
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  DB_PASSWORD: literally
---
apiVersion: v1
kind: ConfigMap
data:
  key: |
    -----BEGIN OPENSSH PRIVATE KEY-----
";
    let diags = scan_text("balancer/lb.yaml", text, Policy::Warn);
    let got: Vec<(usize, &str)> = diags.iter().map(|d| (d.line, d.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (6, "`password` has a plaintext value"),
            (8, "`apiKey` has a plaintext value"),
            (17, "Kubernetes Secret with literal `stringData`"),
            (18, "`DB_PASSWORD` has a plaintext value"),
            (24, "PEM private key committed in plaintext"),
        ]
    );
    assert!(diags.iter().all(|d| d.severity == Severity::Warning));
    assert!(diags
        .iter()
        .all(|d| d.file == "balancer/lb.yaml" && d.hint.is_some()));
    let denied = scan_text("balancer/lb.yaml", text, Policy::Deny);
    assert!(denied.iter().all(|d| d.is_error()) && denied.len() == diags.len());
}

#[test]
fn encrypted_and_referenced_secrets_are_clean() {
    let text = "\
kind: Secret
data:
  password: ENC[AES256_GCM,data:xx,iv:yy,tag:zz,type:str]
sops:
  mac: ENC[AES256_GCM,data:xx,iv:yy,tag:zz,type:str]
";
    assert_eq!(scan_text("w/s.yaml", text, Policy::Deny), []);
    let armored = "password: |\n  -----BEGIN AGE ENCRYPTED FILE-----\n  YWdl\n  -----END AGE ENCRYPTED FILE-----\n";
    assert_eq!(scan_text("a.yaml", armored, Policy::Deny), []);
    let block = "password: |\n  hunter2\n";
    assert_eq!(scan_text("a.yaml", block, Policy::Deny).len(), 1);
}

#[test]
fn scans_a_repo_tree_skipping_git_and_reporting_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("gateway")).unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("gateway/tls.key"),
        "-----BEGIN RSA PRIVATE KEY-----\nx\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".git/pw.yaml"), "password: x1y2z3\n").unwrap();
    std::fs::write(dir.path().join("inventory.yaml"), "hosts: []\n").unwrap();
    let key = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/secrets/test-only.agekey"),
    )
    .unwrap();
    std::fs::write(dir.path().join("keys.txt"), key).unwrap();
    let d = scan_repo(dir.path(), Policy::Warn).unwrap();
    let got: Vec<(&str, usize, &str)> = d
        .iter()
        .map(|d| (d.file.as_str(), d.line, d.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "gateway/tls.key",
                1,
                "PEM private key committed in plaintext"
            ),
            ("keys.txt", 4, "age secret key committed"),
        ]
    );
}

#[test]
fn the_sample_repo_has_no_plaintext_secrets() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo");
    let d = scan_repo(&root, Policy::Deny).unwrap();
    assert!(d.is_empty(), "{d:#?}");
}
