//! Issue 8 wired into the `agent` binary, with real age keys, git and ssh-keygen:
//! encrypted values are decrypted at load and never printed (validate, render, diff
//! at debug level), a wrong recipient or tampering is exit 2 with nothing applied,
//! and unsigned or unknown-key commits are refused with exit 3.

#[path = "support/sshd.rs"]
mod sshd;

use agent::secrets::sops::Rules;
use agent::secrets::{
    assert_no_plaintext, encrypt_armored, encrypt_document, EncryptOptions, Format, Identity,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "Stats-Pa55word-xyzzy";
const TOKEN: &str = "armored-k8s-token-4f9a";

fn balancer(password: &str) -> String {
    format!(
        "apiVersion: agent/v1\nkind: Balancer\nmetadata: {{name: lab}}\nspec:\n  \
         defaults: {{mode: http}}\n  frontends:\n  - {{name: f, binds: [\"127.0.0.1:18080\"], defaultBackend: b}}\n  \
         backends:\n  - name: b\n    servers:\n    - {{name: s1, address: 127.0.0.1, port: 18081}}\n  \
         stats:\n    binds: [\"127.0.0.1:18404\"]\n    uri: /stats\n    auth: {{user: admin, password: {password}}}\n"
    )
}

fn inventory(ha1_port: u16) -> String {
    format!(
        "apiVersion: agent/v1\nkind: Inventory\nmetadata: {{name: lab}}\nspec:\n  hosts:\n  \
         - {{name: ha1, address: 127.0.0.1, port: {ha1_port}, roles: [balancer]}}\n"
    )
}

/// A sops-encrypted Balancer (only `password` encrypted) and a Kubernetes Secret
/// whose value is age-armored.
fn write_repo(dir: &Path, recipient: &Identity, ha1_port: u16) {
    std::fs::create_dir_all(dir.join("balancer")).unwrap();
    std::fs::create_dir_all(dir.join("workloads")).unwrap();
    std::fs::write(dir.join("inventory.yaml"), inventory(ha1_port)).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&balancer(PASSWORD)).unwrap();
    let opts = EncryptOptions {
        rules: Rules {
            encrypted_regex: Some(regex::Regex::new("^password$").unwrap()),
            ..Rules::default()
        },
        lastmodified: None,
    };
    let enc = encrypt_document(&doc, &recipient.recipients(), &opts, Format::Yaml).unwrap();
    std::fs::write(dir.join("balancer/haproxy.yaml"), enc).unwrap();
    let armored = encrypt_armored(TOKEN, &recipient.recipients()).unwrap();
    let secret = serde_yaml::to_string(&serde_yaml::Value::String(armored)).unwrap();
    let secret = secret.trim_end().replace('\n', "\n    ");
    std::fs::write(
        dir.join("workloads/secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: api, namespace: default}}\n\
             stringData:\n  token: {secret}\n"
        ),
    )
    .unwrap();
}

fn agent(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agent"));
    c.args(args)
        .env_remove("AGENT_CONFIG")
        .env_remove("AGENT_AGE_IDENTITY")
        .env_remove("RUST_LOG")
        .env_remove("KUBECONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn all_output(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn key_file(dir: &Path, id: &Identity) -> PathBuf {
    let path = dir.join("agent.agekey");
    agent::secrets::write_private(&path, id.to_file_text().as_bytes()).unwrap();
    path
}

/// agent.yaml for the loopback sshd `srv` (its client key and known_hosts) with `id`
/// as the age identity (written next to it).
fn agent_config(dir: &Path, srv: &sshd::Sshd, id: &Identity) -> PathBuf {
    let key = key_file(dir, id);
    let config = dir.join("agent.yaml");
    std::fs::write(
        &config,
        format!(
            "ssh: {{identityFile: {}, knownHosts: {}, user: root}}\nsecrets: {{ageIdentityFile: {}}}\n",
            srv.client_key.display(),
            srv.known_hosts.display(),
            key.display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn validate_decrypts_and_prints_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let repo = tmp.path().join("repo");
    write_repo(&repo, &id, 2222);
    let key = key_file(tmp.path(), &id);
    let repo_s = repo.to_str().unwrap();
    for format in ["text", "json"] {
        let out = agent(
            &["validate", repo_s, "-vv", "--output", format],
            &[("AGENT_AGE_IDENTITY", key.to_str().unwrap())],
        );
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(!all.contains("not decrypted"), "{all}");
        // Encrypted values and sops metadata are not taken for plaintext secrets.
        assert!(!all.contains("plaintext value"), "{all}");
        assert_no_plaintext(&all, &[PASSWORD, TOKEN]);
    }
    // The key text itself works too (CI secret variables).
    let out = agent(
        &["validate", repo_s, "--no-local-checks"],
        &[("AGENT_AGE_IDENTITY", &id.to_file_text())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    // An unreadable or malformed identity is a configuration error (exit 4).
    let bad = tmp.path().join("bad.agekey");
    std::fs::write(&bad, "not a key\n").unwrap();
    for env in [bad.to_str().unwrap(), "/nonexistent/agent.agekey"] {
        let out = agent(&["validate", repo_s], &[("AGENT_AGE_IDENTITY", env)]);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(4), "{all}");
        assert!(!all.contains("not a key"), "identity content echoed: {all}");
    }
}

#[test]
fn validate_without_identity_checks_structure_and_warns() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    write_repo(&repo, &Identity::generate(), 2222);
    let out = agent(
        &["validate", repo.to_str().unwrap(), "--output", "json"],
        &[],
    );
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings: Vec<String> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{}: {}", w["file"], w["message"]))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("balancer/haproxy.yaml") && w.contains("no identity")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("workloads/secret.yaml")),
        "{warnings:?}"
    );
    // A structural error inside the encrypted document is still found.
    let text = std::fs::read_to_string(repo.join("balancer/haproxy.yaml")).unwrap();
    std::fs::write(
        repo.join("balancer/haproxy.yaml"),
        text.replace("kind: Balancer", "kind: Balancer\nbogus: 1"),
    )
    .unwrap();
    let out = agent(&["validate", repo.to_str().unwrap()], &[]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("bogus"), "{all}");
}

#[test]
fn plaintext_secrets_are_reported_by_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    write_repo(&repo, &Identity::generate(), 2222);
    std::fs::write(
        repo.join("balancer/haproxy.yaml"),
        balancer("hunter2hunter2"),
    )
    .unwrap();
    let out = agent(
        &["validate", repo.to_str().unwrap(), "--no-local-checks"],
        &[],
    );
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("balancer/haproxy.yaml:") && all.contains("warning"),
        "{all}"
    );
    let config = tmp.path().join("agent.yaml");
    std::fs::write(&config, "secrets: {plaintextPolicy: deny}\n").unwrap();
    let out = agent(
        &[
            "validate",
            repo.to_str().unwrap(),
            "--no-local-checks",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
}

#[test]
fn wrong_recipient_and_tampering_are_exit_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = Identity::generate();
    let key = key_file(tmp.path(), &ours);
    let key = key.to_str().unwrap();
    // Re-encrypted to another recipient.
    let repo = tmp.path().join("other");
    write_repo(&repo, &Identity::generate(), 2222);
    for cmd in ["validate", "diff", "apply"] {
        let out = agent(
            &[cmd, repo.to_str().unwrap(), "--target", "balancer"]
                [..if cmd == "validate" { 2 } else { 4 }],
            &[("AGENT_AGE_IDENTITY", key)],
        );
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {all}");
        assert!(all.contains("haproxy.yaml"), "{cmd}: {all}");
        assert!(all.contains("not encrypted to any"), "{cmd}: {all}");
        if cmd != "validate" {
            assert!(all.contains("nothing was compared or changed"), "{all}");
        }
    }
    // Tampered: one ciphertext character changed.
    let repo = tmp.path().join("tampered");
    write_repo(&repo, &ours, 2222);
    let path = repo.join("balancer/haproxy.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("password: ENC[AES256_GCM,data:").unwrap() + 30;
    let c = if &text[at..=at] == "A" { "B" } else { "A" };
    std::fs::write(&path, format!("{}{c}{}", &text[..at], &text[at + 1..])).unwrap();
    let out = agent(
        &["apply", repo.to_str().unwrap(), "--target", "balancer"],
        &[("AGENT_AGE_IDENTITY", key)],
    );
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("balancer/haproxy.yaml") && all.contains("tampered"),
        "{all}"
    );
    // diff/apply without any identity refuse rather than use placeholders.
    let repo = tmp.path().join("nokey");
    write_repo(&repo, &ours, 2222);
    let out = agent(
        &["apply", repo.to_str().unwrap(), "--target", "balancer"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
}

/// `agent diff -vv` against a real sshd: the rendered haproxy.cfg holds the decrypted
/// password, the diff shows the whole new file, and neither the password nor the
/// armored token appears anywhere in the output.
#[test]
fn diff_against_a_real_host_shows_no_plaintext() {
    require_sshd!();
    let srv = sshd::Sshd::start("127.0.61.1", 10);
    let tmp = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let repo = tmp.path().join("repo");
    write_repo(&repo, &id, srv.port);
    // The inventory points at the loopback sshd.
    std::fs::write(
        repo.join("inventory.yaml"),
        inventory(srv.port).replace("127.0.0.1", &srv.ip),
    )
    .unwrap();
    let config = agent_config(tmp.path(), &srv, &id);
    let config = config.to_str().unwrap();
    let repo_s = repo.to_str().unwrap();
    for format in ["text", "json"] {
        let out = agent(
            &[
                "diff", repo_s, "--target", "balancer", "-vv", "--config", config, "--output",
                format,
            ],
            &[],
        );
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("haproxy.cfg"), "{all}");
        assert!(all.contains("stats auth admin:***"), "{all}");
        assert_no_plaintext(&all, &[PASSWORD, TOKEN]);
    }
    let out = agent(&["render", repo_s, "--config", config, "-vv"], &[]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("stats auth admin:***"), "{all}");
    assert_no_plaintext(&all, &[PASSWORD, TOKEN]);
}

/// A file holding a decrypted secret is written 0600, even where the renderer alone
/// would not know it holds one (here: an armored `raw` section); without it, 0644.
#[test]
fn files_holding_secrets_are_0600() {
    let tmp = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let repo = tmp.path().join("repo");
    write_repo(&repo, &id, 2222);
    let key = key_file(tmp.path(), &id);
    let key = key.to_str().unwrap();
    let no_auth = balancer("x").replace("    auth: {user: admin, password: x}\n", "");
    let with_raw = |raw: &str| {
        let v = serde_yaml::to_string(&serde_yaml::Value::String(raw.into())).unwrap();
        format!("{no_auth}  raw: {}\n", v.trim_end().replace('\n', "\n    "))
    };
    let mode = |env: &[(&str, &str)]| {
        let out = agent(&["render", repo.to_str().unwrap(), "--output", "json"], env);
        let all = all_output(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert_no_plaintext(&all, &[PASSWORD, TOKEN]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with("haproxy.cfg"))
            .cloned()
            .unwrap();
        f["mode"].as_u64().unwrap()
    };
    let raw = format!("# upstream token {TOKEN}");
    let armored = encrypt_armored(&raw, &id.recipients()).unwrap();
    std::fs::write(repo.join("balancer/haproxy.yaml"), with_raw(&armored)).unwrap();
    assert_eq!(mode(&[("AGENT_AGE_IDENTITY", key)]), 0o600);
    std::fs::write(
        repo.join("balancer/haproxy.yaml"),
        with_raw("# nothing secret"),
    )
    .unwrap();
    assert_eq!(mode(&[("AGENT_AGE_IDENTITY", key)]), 0o644);
}

/// `agent apply -vv` to a real host (loopback sshd, config path redirected into a
/// temp dir): the host gets the decrypted password in a 0600 file, and the output
/// (progress, report, debug logs) holds no plaintext.
#[test]
fn apply_writes_secret_files_0600_and_prints_no_plaintext() {
    use std::os::unix::fs::PermissionsExt;
    require_sshd!();
    let srv = sshd::Sshd::start("127.0.61.2", 10);
    let tmp = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let repo = tmp.path().join("repo");
    write_repo(&repo, &id, srv.port);
    let live = tmp.path().join("host/haproxy.cfg");
    std::fs::create_dir_all(live.parent().unwrap()).unwrap();
    std::fs::write(&live, "# old config\n").unwrap();
    std::fs::set_permissions(&live, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(
        repo.join("inventory.yaml"),
        format!(
            "apiVersion: agent/v1\nkind: Inventory\nmetadata: {{name: lab}}\nspec:\n  hosts:\n  \
             - name: ha1\n    address: {}\n    port: {}\n    roles: [balancer]\n    \
             overrides: {{haproxyConfig: {}, haproxyCheck: \"true\", haproxyReload: \"true\"}}\n",
            srv.ip,
            srv.port,
            live.display()
        ),
    )
    .unwrap();
    let config = agent_config(tmp.path(), &srv, &id);
    let args = [
        "apply",
        repo.to_str().unwrap(),
        "--target",
        "balancer",
        "-vv",
        "--config",
        config.to_str().unwrap(),
    ];
    let out = agent(&args, &[]);
    let all = all_output(&out);
    assert_no_plaintext(&all, &[PASSWORD, TOKEN]);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let written = std::fs::read_to_string(&live).unwrap();
    assert!(
        written.contains(&format!("stats auth admin:{PASSWORD}")),
        "{written}"
    );
    let mode = std::fs::metadata(&live).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // No temp copy is left behind, and none was ever world-readable.
    for e in std::fs::read_dir(live.parent().unwrap()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let m = e.metadata().unwrap().permissions().mode() & 0o777;
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        if text.contains(PASSWORD) {
            assert_eq!(m, 0o600, "{name} holds the secret with mode {m:o}");
        }
    }
    // A second run finds nothing to do.
    let out = agent(&args, &[]);
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_no_plaintext(&all, &[PASSWORD, TOKEN]);
}
