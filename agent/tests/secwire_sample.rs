//! The sample repo with its HAProxy stats credentials sops-encrypted (by sops) to the lab's
//! DEMO key (`tests/lab/demo-age-key.txt`): `agent validate`, with the real local
//! checks, passes with the key and prints no secret at debug level, and without the
//! key still checks the structure and only warns.

use agent::secrets::{assert_no_plaintext, Identity};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "demo-stats-Pa55-7c1e";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn agent(args: &[&str], identity: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agent"));
    c.args(args)
        .env_remove("AGENT_CONFIG")
        .env_remove("AGENT_AGE_IDENTITY")
        .env_remove("RUST_LOG");
    if let Some(p) = identity {
        c.env("AGENT_AGE_IDENTITY", p);
    }
    c.output().unwrap()
}

/// sample-repo as shipped: `stats.auth` in the Balancer, its password encrypted with
/// real sops to the demo key (`.sops.yaml`).
fn encrypted_sample(dir: &Path, demo: &Identity) {
    copy_dir(&root().join("sample-repo"), dir);
    let enc = std::fs::read_to_string(dir.join("balancer/haproxy.yaml")).unwrap();
    assert!(agent::secrets::is_sops(&enc));
    assert!(!enc.contains(PASSWORD));
    let dec =
        agent::secrets::decrypt_document("haproxy.yaml", &enc, std::slice::from_ref(demo)).unwrap();
    assert_eq!(dec.value["spec"]["stats"]["auth"]["password"], PASSWORD);
}

#[test]
fn sample_repo_with_encrypted_stats_password_validates_with_the_demo_key() {
    let key = root().join("tests/lab/demo-age-key.txt");
    let demo = Identity::from_file(&key).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("sample-repo");
    encrypted_sample(&repo, &demo);
    let repo = repo.to_str().unwrap();

    let out = agent(&["validate", repo, "-vv"], Some(&key));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("not decrypted"), "{all}");
    assert_no_plaintext(&all, &[PASSWORD]);

    let out = agent(&["render", repo, "--host", "ha1"], Some(&key));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(text.contains("stats auth admin:***"), "{text}");
    assert!(text.contains("mode 0600"), "{text}");
    assert_no_plaintext(&text, &[PASSWORD]);

    let out = agent(&["validate", repo, "--output", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("balancer/haproxy.yaml") && warnings.contains("no identity"),
        "{warnings}"
    );
}
