//! The project's `sample-repo/` for tests: its secrets are sops-encrypted to the lab's
//! DEMO key (`tests/lab/demo-age-key.txt`, public, test-only), so a test that wants
//! its typed state or rendered files loads it the way the agent does: decrypted in
//! memory with that key.

use agent::secrets::Identity;
use agent::validate::prepare_dir;
use agent::validate::Prepared;
use std::path::PathBuf;

/// `<workspace>/sample-repo` (from this crate's source location, `tests/`).
pub fn sample_repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sample-repo")
}

/// `<workspace>/tests/lab/demo-age-key.txt`: the DEMO identity (test-only).
pub fn demo_key_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/lab/demo-age-key.txt")
}

pub fn demo_identity() -> Identity {
    Identity::from_file(&demo_key_file()).expect("the demo age key loads")
}

/// `sample-repo/` decrypted with the demo key, loaded and rendered (files unmasked).
/// Panics with every diagnostic when it does not load.
pub fn load_sample() -> Prepared {
    prepare_dir(&sample_repo_dir(), &[demo_identity()]).unwrap_or_else(|d| {
        let text: Vec<String> = d.iter().map(ToString::to_string).collect();
        panic!("sample-repo does not load:\n{}", text.join("\n"))
    })
}
