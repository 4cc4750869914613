//! The `agent` binary's masks are keyed per installation (README "Secrets and trust"):
//! with the age identity, the same on every run and the identity's own; with a state
//! directory, the key file's; with neither, fresh in every process. No output holds a
//! token computable from the binary alone (the old constant key, the empty key).

use agent::mask::key::MaskKey;
use agent::mask::Masker;
use agent::secrets::Identity;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `agent render sample-repo --host ha1` (the HAProxy file, with its stats password);
/// returns the mask tokens it printed, in order.
fn render_tokens(config: Option<&Path>, identity: bool) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent"));
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.args(["render", "--host", "ha1"])
        .arg(root().join("sample-repo"))
        .env_remove("AGENT_AGE_IDENTITY")
        .env_remove("AGENT_CONFIG");
    if identity {
        cmd.env(
            "AGENT_AGE_IDENTITY",
            root().join("tests/lab/demo-age-key.txt"),
        );
    }
    let out = cmd.output().expect("agent runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let re = regex::Regex::new(r"\*\*\*[0-9a-f]{8}").unwrap();
    let tokens: Vec<String> = re.find_iter(&text).map(|m| m.as_str().into()).collect();
    assert!(
        !tokens.is_empty(),
        "the stats password is shown masked: {text}"
    );
    tokens
}

fn state_config(dir: &Path) -> PathBuf {
    let path = dir.join("agent.yaml");
    std::fs::create_dir_all(dir.join("state")).unwrap();
    std::fs::write(&path, "stateDir: state\n").unwrap();
    path
}

#[test]
fn with_the_identity_masks_are_the_identity_s_and_stable() {
    let first = render_tokens(None, true);
    assert_eq!(first, render_tokens(None, true), "the same on every run");
    let demo = Identity::from_file(&root().join("tests/lab/demo-age-key.txt")).unwrap();
    let ours = Masker::new(MaskKey::from_identity(&demo).bytes());
    let secrets = agent_tests::sample::load_sample().secrets;
    assert!(
        secrets.iter().any(|s| first.contains(&ours.token(s))),
        "{first:?} are HMAC-SHA256 tokens keyed by the identity"
    );
    for constant in [&b"agent-mask-v1"[..], b""] {
        let m = Masker::new(constant);
        for s in &secrets {
            assert!(
                !first.contains(&m.token(s)),
                "a constant-keyed token leaked"
            );
        }
    }
}

#[test]
fn a_state_directory_keeps_one_installation_s_masks_and_not_another_s() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ca, cb) = (state_config(a.path()), state_config(b.path()));
    let first = render_tokens(Some(&ca), false);
    assert_eq!(first, render_tokens(Some(&ca), false), "stable across runs");
    assert_ne!(
        first,
        render_tokens(Some(&cb), false),
        "another installation"
    );
    use std::os::unix::fs::PermissionsExt;
    let key = a.path().join("state/mask.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", key.display());
}

#[test]
fn without_identity_or_state_directory_every_process_has_its_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.yaml");
    std::fs::write(&config, "stateDir: does-not-exist\n").unwrap();
    assert_ne!(render_tokens(None, false), render_tokens(None, false));
    assert_ne!(
        render_tokens(Some(&config), false),
        render_tokens(Some(&config), false)
    );
    assert!(
        !dir.path().join("does-not-exist").exists(),
        "render never creates the state directory"
    );
}
