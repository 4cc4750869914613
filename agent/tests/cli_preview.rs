//! `agent diff --rev PR --base BASE` end to end, without hosts: a PR head that does not
//! load gives its errors as the PR comment (marker, file:line:column, exit 2) or as
//! JSON, before any connection; `--output markdown` without `--base` is refused for
//! `diff` (exit 64). The live comparison is the lab's (`tests/tests/preview_lab.rs`).

#[path = "support/git.rs"]
mod gitcli;
use gitcli::{commit_all, git};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn agent(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(args)
        .current_dir(cwd)
        .env_remove("AGENT_CONFIG")
        .env("AGENT_CACHE_DIR", cwd.join(".agent-cache"))
        .env(
            "AGENT_AGE_IDENTITY",
            root().join("tests/lab/demo-age-key.txt"),
        )
        .output()
        .expect("agent runs")
}

/// A repository holding the sample on `main` and a branch `bad` with a typo.
fn repo(tmp: &Path) -> PathBuf {
    let dir = tmp.join("repo");
    let st = Command::new("cp")
        .arg("-a")
        .arg(root().join("sample-repo"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    git(&dir, &["init", "-q"]);
    commit_all(&dir, "sample");
    git(&dir, &["checkout", "-q", "-b", "bad"]);
    let inv = dir.join("inventory.yaml");
    let text = std::fs::read_to_string(&inv).unwrap();
    std::fs::write(
        &inv,
        text.replace("    port: 22\n", "    port: 22\n    colour: blue\n"),
    )
    .unwrap();
    commit_all(&dir, "typo");
    git(&dir, &["checkout", "-q", "main"]);
    dir
}

#[test]
fn an_invalid_pr_head_gives_its_errors_as_the_comment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo(tmp.path());
    let url = dir.display().to_string();
    let args = ["diff", "--repo", &url, "--rev", "bad", "--base", "main"];
    let out = agent(&[&args[..], &["--output", "markdown"]].concat(), tmp.path());
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{md}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(md.starts_with("<!-- agent-preview -->\n"), "{md}");
    assert!(
        md.contains("`bad`") && md.contains("does not validate"),
        "{md}"
    );
    assert!(md.contains("| `inventory.yaml:"), "file:line:column: {md}");
    assert!(md.contains("colour"), "{md}");

    let out = agent(&[&args[..], &["--output", "json"]].concat(), tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["valid"].as_bool(), v["which"].as_str()),
        (Some(false), Some("PR head"))
    );
    assert_eq!(v["errors"][0]["file"], "inventory.yaml");
}

#[test]
fn markdown_diff_needs_a_base() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo(tmp.path());
    let out = agent(
        &[
            "diff",
            "--repo",
            &dir.display().to_string(),
            "--output",
            "markdown",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base"));
}
