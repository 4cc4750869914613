//! `agent validate` end to end: the built binary, real files, real Git repositories.
//!
//! The tests that expect a *valid* repo use the project's `sample-repo/` and need the
//! renderers; they check exit codes and the JSON shape, never rendered bytes.

#[path = "support/git.rs"]
mod gitcli;
use gitcli::git;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn agent(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(args)
        .current_dir(cwd)
        .env_remove("AGENT_CONFIG")
        .env("AGENT_CACHE_DIR", cwd.join(".agent-cache"))
        .output()
        .expect("agent runs")
}

fn sample_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-repo")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Line 3 is not valid YAML, whatever parser reads it.
const BROKEN_YAML: &str = "apiVersion: agent/v1\nkind: Inventory\nmetadata: name: x\n";
/// Well-formed YAML, but a kind agent does not know.
const UNKNOWN_KIND: &str = "apiVersion: agent/v1\nkind: Gatewy\nmetadata: {name: x}\nspec: {}\n";

fn broken_repo(root: &Path) {
    std::fs::create_dir_all(root.join("gateway")).unwrap();
    std::fs::write(root.join("inventory.yaml"), BROKEN_YAML).unwrap();
    std::fs::write(root.join("gateway/site.yaml"), UNKNOWN_KIND).unwrap();
}

#[test]
fn broken_repo_exits_2_and_json_points_into_it() {
    let tmp = tempfile::tempdir().unwrap();
    broken_repo(&tmp.path().join("repo"));
    let out = agent(&["validate", "repo", "--output", "json"], tmp.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["commit"], "working-tree");
    assert_eq!(v["checks"]["load"], "failed");
    let errors = v["errors"].as_array().unwrap();
    let syntax = errors
        .iter()
        .find(|e| e["file"] == "inventory.yaml")
        .expect("inventory error");
    assert_eq!(syntax["line"], 3, "{syntax}");
    assert!(syntax["column"].as_u64().unwrap() >= 1, "{syntax}");
    assert_eq!(syntax["severity"], "error");
    let kind = errors
        .iter()
        .find(|e| e["file"] == "gateway/site.yaml")
        .expect("kind error");
    assert!(kind["line"].as_u64().unwrap() >= 1, "{kind}");
    assert!(
        kind["message"].as_str().unwrap().contains("Gatewy"),
        "{kind}"
    );
    assert!(v["warnings"].is_array());
}

#[test]
fn broken_repo_text_output_is_file_line_col_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    broken_repo(&tmp.path().join("repo"));
    let out = agent(&["validate", "repo"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("repo/inventory.yaml:3:"), "{text}");
    assert!(text.contains(": error: "), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("invalid: 2 errors"),
        "{text}"
    );
}

#[test]
fn unreadable_path_exits_3_or_more() {
    let tmp = tempfile::tempdir().unwrap();
    let out = agent(&["validate", "does-not-exist"], tmp.path());
    assert!(out.status.code().unwrap() >= 3, "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist"));
    let out = agent(
        &["validate", "does-not-exist", "--output", "json"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out)["error"]["kind"], "source");
}

#[test]
fn bad_arguments_and_bad_config_have_their_own_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = agent(&["validate", "--frobnicate"], tmp.path());
    assert_eq!(out.status.code(), Some(64));
    std::fs::write(tmp.path().join("agent.yaml"), "interval: 5s\nlab: {}\n").unwrap();
    let out = agent(&["--config", "agent.yaml", "validate", "x"], tmp.path());
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("agent.yaml:2:1: error: unknown field `lab`"),
        "{err}"
    );
}

/// A Git repo with two commits: `base` under `deploy/`, then a commit that breaks it.
fn history(tmp: &Path, base: &Path) -> (String, String, String) {
    let repo = tmp.join("platform");
    copy_dir(base, &repo.join("deploy"));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "sample"]);
    let good = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(repo.join("deploy/zz-broken.yaml"), UNKNOWN_KIND).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "break it"]);
    let bad = git(&repo, &["rev-parse", "HEAD"]);
    (format!("file://{}", repo.display()), good, bad)
}

fn small_repo(tmp: &Path) -> PathBuf {
    let dir = tmp.join("small");
    std::fs::create_dir_all(&dir).unwrap();
    let inventory = "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: lab}\n\
                     spec:\n  hosts:\n  - {name: gw, address: 10.77.0.10, roles: [gateway]}\n";
    std::fs::write(dir.join("inventory.yaml"), inventory).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn repo_url_at_a_broken_revision_exits_2_naming_the_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, _good, bad) = history(tmp.path(), &small_repo(tmp.path()));
    let args = [
        "validate", "--repo", &url, "--rev", "main", "--path", "deploy", "--output", "json",
    ];
    let out = agent(&args, tmp.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["commit"], bad.as_str());
    assert_eq!(v["reference"], "main");
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["file"] == "zz-broken.yaml"), "{v}");
}

#[test]
fn repo_url_with_missing_revision_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, _, _) = history(tmp.path(), &small_repo(tmp.path()));
    let out = agent(
        &["validate", "--repo", &url, "--rev", "no-such-branch"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`no-such-branch` not found"), "{err}");
}

#[test]
fn sample_repo_is_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let path = sample_repo().display().to_string();
    let out = agent(&["validate", &path, "--output", "json"], tmp.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["checks"]["render"], "passed");
    assert!(v["rendered"]["files"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn repo_url_at_the_good_revision_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, good, _bad) = history(tmp.path(), &sample_repo());
    let args = [
        "validate", "--repo", &url, "--rev", &good, "--path", "deploy", "--output", "json",
    ];
    let out = agent(&args, tmp.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json(&out)["commit"], good.as_str());
}

#[test]
fn a_valid_repo_s_load_warnings_are_printed_and_do_not_fail_it() {
    // A redirect to HTTPS on a virtual host without TLS: valid, but worth a warning.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("gateway")).unwrap();
    std::fs::write(
        repo.join("inventory.yaml"),
        "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: i}\nspec:\n  hosts:\n    - {name: gw, address: 192.0.2.10, roles: [gateway]}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("gateway/site.yaml"),
        "apiVersion: agent/v1\nkind: Gateway\nmetadata: {name: site}\nspec:\n  vhosts:\n    - serverName: a.example\n      redirectHttp: true\n      routes:\n        - {path: /, upstream: 'http://192.0.2.20/'}\n",
    )
    .unwrap();
    let out = agent(&["validate", "repo", "--no-local-checks"], tmp.path());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("site.yaml:7:")
            && text.contains("redirect to HTTPS on a virtual host without TLS"),
        "{text}"
    );
    let out = agent(
        &["validate", "repo", "--no-local-checks", "--output", "json"],
        tmp.path(),
    );
    let v = json(&out);
    assert_eq!(v["valid"], true);
    let w = &v["warnings"][0];
    assert_eq!(w["file"], "gateway/site.yaml", "{v:#}");
    assert_eq!(w["line"], 7, "{v:#}");
    assert_eq!(w["severity"], "warning", "{v:#}");
}
