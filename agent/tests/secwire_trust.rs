//! Signed commits and host keys through the `agent` binary, with real git,
//! `ssh-keygen -Y sign` and a loopback sshd: unsigned and unknown-key commits are
//! refused with exit 3 naming commit and reason, an allowed signature passes, and
//! `agent trust HOST` records a host's key so that `agent diff` proceeds.

#[path = "support/sshd.rs"]
mod sshd;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INVENTORY: &str = "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: lab}\n\
                         spec:\n  hosts:\n  - {name: gw, address: 127.0.0.1, roles: [gateway]}\n";

fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(args)
        .env_remove("AGENT_CONFIG")
        .env_remove("AGENT_AGE_IDENTITY")
        .env_remove("RUST_LOG")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

fn all_output(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// git isolated from the machine's configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=Lab", "-c", "user.email=lab@example.test"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn ssh_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    sshd::keygen(&path);
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path, public.trim().to_string())
}

/// Commits a change to the inventory, signed with `key` when given; returns the id.
fn commit(repo: &Path, n: usize, key: Option<&Path>) -> String {
    std::fs::write(
        repo.join("inventory.yaml"),
        format!("{INVENTORY}# change {n}\n"),
    )
    .unwrap();
    git(repo, &["add", "-A"]);
    let signing;
    let mut args = vec![];
    if let Some(k) = key {
        signing = format!("user.signingkey={}", k.display());
        args.extend([
            "-c",
            "gpg.format=ssh",
            "-c",
            &signing,
            "-c",
            "commit.gpgsign=true",
        ]);
    }
    let msg = format!("change {n}");
    args.extend(["commit", "-q", "-m", &msg]);
    git(repo, &args);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn unsigned_and_unknown_key_commits_are_refused_signed_ones_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (alice, alice_pub) = ssh_key(t, "alice");
    let (mallory, _) = ssh_key(t, "mallory");
    let repo = t.join("platform");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let config = t.join("agent.yaml");
    std::fs::write(
        &config,
        format!(
            "trust:\n  requireSignedCommits: true\n  allowedSigners:\n  - {{principal: alice@example.test, key: \"{alice_pub}\"}}\n"
        ),
    )
    .unwrap();
    let (config, repo_s) = (config.to_str().unwrap(), repo.to_str().unwrap());
    let url = format!("file://{repo_s}");
    let cache = t.join("cache");
    let cache = cache.to_str().unwrap();
    let run = |cmd: &str, rev: &str, remote: bool| {
        let mut args = vec![cmd];
        if remote {
            args.extend(["--repo", &url, "--cache-dir", cache]);
        } else {
            args.push(repo_s);
        }
        args.extend(["--rev", rev, "--config", config]);
        if cmd != "validate" {
            args.extend(["--target", "gateway"]);
        }
        agent(&args)
    };

    let unsigned = commit(&repo, 1, None);
    for (cmd, remote) in [
        ("validate", false),
        ("validate", true),
        ("diff", false),
        ("apply", true),
    ] {
        let out = run(cmd, "main", remote);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(3), "{cmd}: {all}");
        assert!(all.contains(&unsigned), "{cmd}: {all}");
        assert!(all.contains("unsigned commit"), "{cmd}: {all}");
    }

    let unknown = commit(&repo, 2, Some(&mallory));
    let out = run("validate", "main", true);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains(&unknown) && all.contains("not on the allow-list"),
        "{all}"
    );

    let good = commit(&repo, 3, Some(&alice));
    for remote in [false, true] {
        let out = run("validate", "main", remote);
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    }
    // The refused commit stays refused when asked for by id.
    let out = run("validate", &unknown, false);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert_ne!(good, unknown);

    // Files on disk are no commit: validate checks them, apply refuses them.
    let out = agent(&["validate", repo_s, "--config", config]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = agent(&["apply", repo_s, "--config", config, "--target", "gateway"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains("not a commit"), "{all}");
}

/// A host whose key changed is refused with host and fingerprint and a pointer to
/// `agent trust`; `agent trust HOST --yes` records the new key and diff proceeds.
#[test]
fn agent_trust_records_a_changed_host_key() {
    require_sshd!();
    let srv = sshd::Sshd::start("127.0.62.1", 10);
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let repo = t.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("inventory.yaml"),
        format!(
            "apiVersion: agent/v1\nkind: Inventory\nmetadata: {{name: lab}}\nspec:\n  hosts:\n  \
             - {{name: ha1, address: {}, port: {}, roles: [balancer]}}\n",
            srv.ip, srv.port
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join("balancer.yaml"),
        "apiVersion: agent/v1\nkind: Balancer\nmetadata: {name: lab}\nspec:\n  defaults: {mode: http}\n",
    )
    .unwrap();
    // known_hosts pins some other key for this host: a changed host key.
    let (_, other_pub) = ssh_key(t, "other");
    let pattern = format!("[{}]:{}", srv.ip, srv.port);
    let known = t.join("known_hosts");
    std::fs::write(&known, format!("{pattern} {other_pub}\n")).unwrap();
    let config = t.join("agent.yaml");
    std::fs::write(
        &config,
        format!(
            "ssh: {{identityFile: {}, knownHosts: {}, user: root}}\n",
            srv.client_key.display(),
            known.display()
        ),
    )
    .unwrap();
    let (config, repo_s) = (config.to_str().unwrap(), repo.to_str().unwrap());
    let presented = agent::trust::fingerprint(&srv.host_key).unwrap();

    let diff = || agent(&["diff", repo_s, "--config", config, "--target", "balancer"]);
    let out = diff();
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(6), "{all}");
    assert!(all.contains("ha1") && all.contains(&presented), "{all}");
    assert!(all.contains("agent trust ha1"), "{all}");

    // Without --yes (and no terminal) nothing is recorded.
    let out = agent(&["trust", "ha1", repo_s, "--config", config]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&presented) && all.contains("not recorded"),
        "{all}"
    );
    assert_eq!(
        std::fs::read_to_string(&known).unwrap(),
        format!("{pattern} {other_pub}\n")
    );

    let out = agent(&["trust", "ha1", repo_s, "--config", config, "--yes"]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("recorded") && all.contains(&presented),
        "{all}"
    );
    let text = std::fs::read_to_string(&known).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_eq!(
        agent::trust::fingerprint(text.trim()).unwrap(),
        presented,
        "{text}"
    );

    // Now the host is reachable: diff reports differences, not a key error.
    let out = diff();
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let out = agent(&["trust", "ha1", repo_s, "--config", config]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already trusted"));
}
