//! Sharding at the command line (the built binary): `agent validate` points at a host
//! left out of the shards; `agent diff`/`apply` with a `shard:` no host carries stop
//! before contacting anything, naming the shards there are (exit 4).

use std::path::Path;
use std::process::{Command, Output};

fn agent(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(args)
        .current_dir(cwd)
        .env_remove("AGENT_CONFIG")
        .env_remove("KUBECONFIG")
        .env_remove("RUST_LOG")
        .output()
        .expect("agent runs")
}

fn repo(root: &Path, gw2_labels: &str) {
    let dir = root.join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    let inventory = format!(
        "apiVersion: agent/v1\nkind: Inventory\nmetadata: {{name: lab}}\nspec:\n  hosts:\n  \
         - {{name: gw1, address: 10.77.0.10, roles: [gateway], labels: {{shard: site-a}}}}\n  \
         - {{name: gw2, address: 10.77.0.11, roles: [gateway]{gw2_labels}}}\n"
    );
    std::fs::write(dir.join("inventory.yaml"), inventory).unwrap();
    let gateway = "apiVersion: agent/v1\nkind: Gateway\nmetadata: {name: front}\nspec:\n  vhosts: [{serverName: app.example}]\n";
    std::fs::write(dir.join("gateway.yaml"), gateway).unwrap();
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn validate_points_at_a_host_without_a_shard() {
    let tmp = tempfile::tempdir().unwrap();
    repo(tmp.path(), "");
    let out = agent(&["validate", "repo"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        all.contains("inventory.yaml:7:12: error: host `gw2` has no `shard` label"),
        "{all}"
    );
    assert!(all.contains("the shards: site-a"), "{all}");
    repo(tmp.path(), ", labels: {shard: site-b}");
    let out = agent(&["validate", "repo"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn an_unknown_shard_stops_diff_and_apply_before_any_host_is_contacted() {
    let tmp = tempfile::tempdir().unwrap();
    repo(tmp.path(), ", labels: {shard: site-b}");
    // The hosts' addresses are not reachable from here: had anything been contacted,
    // the exit would be 6 (a host failed), not 4.
    std::fs::write(tmp.path().join("agent.yaml"), "shard: site-c\n").unwrap();
    for cmd in ["diff", "apply"] {
        let out = agent(&[cmd, "repo", "--config", "agent.yaml"], tmp.path());
        assert_eq!(out.status.code(), Some(4), "{cmd}: {}", stderr(&out));
        let e = stderr(&out);
        assert!(
            e.contains("shard `site-c` (agent.yaml `shard:`) is carried by no inventory host; the shards are: site-a, site-b"),
            "{cmd}: {e}"
        );
        assert!(e.contains("nothing was compared or changed"), "{e}");
    }
    let out = agent(
        &["diff", "repo", "--config", "agent.yaml", "--output", "json"],
        tmp.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        (v["shard"].as_str(), v["exitCode"].as_u64()),
        (Some("site-c"), Some(4))
    );
}
