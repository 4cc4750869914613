//! The `git` CLI for tests that build repositories: a fixed identity, `main` as the
//! default branch, no signing from the machine's config (tests that sign say so).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Runs `git args…` in `dir`; panics with git's stderr on failure; returns stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Commits everything in `dir`; returns the new commit id.
pub fn commit_all(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `sample-repo/` copied to `repo` with every host on port 1 (nothing answers
/// there: the agent runs, its SSH fails fast), committed; returns the commit id.
pub fn unreachable_sample_repo(repo: &Path) -> String {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo");
    assert!(Command::new("cp")
        .arg("-r")
        .arg(&sample)
        .arg(repo)
        .status()
        .unwrap()
        .success());
    let inv = repo.join("inventory.yaml");
    let text = std::fs::read_to_string(&inv)
        .unwrap()
        .replace("port: 22", "port: 1");
    std::fs::write(&inv, text).unwrap();
    git(repo, &["init", "-q"]);
    commit_all(repo, "c1")
}
