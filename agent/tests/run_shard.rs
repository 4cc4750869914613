//! `agent run` with `shard:`, as processes: two agents of two shards with the same
//! `leaderElection:` block each lead their own Lease (`agent-edge`, `agent-lb`) at the
//! same time, and each cycle covers only its shard's hosts; an agent whose shard no
//! host carries refuses the commit, naming the shards there are. The hosts are made
//! unreachable on purpose (SSH port 1, empty known_hosts), so nothing is changed
//! anywhere; the Lease lives in the API server double (in this process).

#[path = "support/git.rs"]
mod gitcli;
use agent::run::http::request;
use agent::run::status::{Status, Sync};
use gitcli::{commit_all, unreachable_sample_repo};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Namespace;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killer(Child);
impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Starts `agent run` for `shard` (its own state dir and port); `lease`: with
/// leader election against `kubeconfig`.
fn start(dir: &Path, repo: &Path, shard: &str, kubeconfig: Option<&Path>) -> (Killer, SocketAddr) {
    let addr = free_port();
    let config = dir.join(format!("agent-{shard}.yaml"));
    let lease = match kubeconfig {
        Some(k) => format!(
            "kubeconfig: '{}'\nleaderElection: {{lease: agent, namespace: agent-system, duration: 3s, renew: 1s}}\n",
            k.display()
        ),
        None => String::new(),
    };
    std::fs::write(
        &config,
        format!(
            "repo: {{url: 'file://{}', branch: main, timeout: 5s}}\ninterval: 1s\njitter: 100ms\n\
             ssh: {{connectTimeout: 1s, knownHosts: known_hosts}}\nstateDir: state-{shard}\nlisten: '{addr}'\n\
             policies: {{nodes: observe}}\nsecrets: {{ageIdentityFile: '{}'}}\nshard: {shard}\n{lease}",
            repo.display(),
            agent_tests::sample::demo_key_file().display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("KUBECONFIG")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Killer(child), addr)
}

async fn status_until(addr: SocketAddr, what: &str, ok: impl Fn(&Status) -> bool) -> Status {
    let start = Instant::now();
    loop {
        if let Ok((200, body)) = request(addr, "GET", "/status", &[], b"").await {
            let s: Status = serde_json::from_str(&body).unwrap();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}: {body}"
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no status: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The sample repo with gw in shard `edge`, the balancer pair and the workers in `lb`.
fn sharded_repo(dir: &Path) -> (PathBuf, String) {
    let repo = dir.join("repo");
    unreachable_sample_repo(&repo);
    let inv = repo.join("inventory.yaml");
    let mut text = std::fs::read_to_string(&inv).unwrap();
    for (host, shard) in [
        ("gw", "edge"),
        ("ha1", "lb"),
        ("ha2", "lb"),
        ("w1", "lb"),
        ("w2", "lb"),
    ] {
        let from = format!("    - name: {host}\n");
        text = text.replacen(
            &from,
            &format!("{from}      labels: {{shard: {shard}}}\n"),
            1,
        );
    }
    std::fs::write(&inv, text).unwrap();
    let commit = commit_all(&repo, "shards");
    (repo, commit)
}

fn sync(s: &Status, target: &str) -> Option<Sync> {
    s.targets.get(target).map(|t| t.sync)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_lead_two_leases_at_once_and_each_cycle_covers_only_its_hosts() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("known_hosts"), "").unwrap();
    let (repo, commit) = sharded_repo(tmp.path());
    let double = k8s_double::apiserver::ApiServerDouble::start()
        .await
        .unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    std::fs::write(&kubeconfig, double.kubeconfig()).unwrap();
    let kc = kube::config::Kubeconfig::from_yaml(&double.kubeconfig()).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(cfg).unwrap();
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "agent-system"}})).unwrap();
    kube::Api::<Namespace>::all(client.clone())
        .create(&Default::default(), &ns)
        .await
        .unwrap();

    let (_edge, edge_addr) = start(tmp.path(), &repo, "edge", Some(&kubeconfig));
    let (_lb, lb_addr) = start(tmp.path(), &repo, "lb", Some(&kubeconfig));
    let leads = |s: &Status| {
        s.leadership
            .as_ref()
            .is_some_and(|l| l.role == agent::lease::Role::Leader)
            && s.targets.contains_key("gateway")
            && s.commit_desired.as_deref() == Some(commit.as_str())
    };
    let edge = status_until(edge_addr, "edge leads and cycled", leads).await;
    let lb = status_until(lb_addr, "lb leads and cycled", leads).await;

    // Both lead at once, each on its own Lease.
    assert_eq!(edge.shard.as_deref(), Some("edge"));
    assert_eq!(
        edge.leadership.as_ref().unwrap().lease,
        "agent-system/agent-edge"
    );
    assert_eq!(
        lb.leadership.as_ref().unwrap().lease,
        "agent-system/agent-lb"
    );
    let leases = kube::Api::<Lease>::namespaced(client.clone(), "agent-system");
    for name in ["agent-edge", "agent-lb"] {
        let l = leases.get(name).await.unwrap();
        assert!(
            l.spec.unwrap().holder_identity.is_some(),
            "{name} has a holder"
        );
    }
    assert!(
        leases.get_opt("agent").await.unwrap().is_none(),
        "no shared Lease"
    );

    // Each cycle reached only its shard's hosts: gw is edge's (unreachable: failed),
    // the balancer pair lb's; the other shard's target has nothing to do (synced).
    assert_eq!(sync(&edge, "gateway"), Some(Sync::Failed), "{edge:#?}");
    assert_eq!(sync(&edge, "balancer"), Some(Sync::Synced), "{edge:#?}");
    assert_eq!(sync(&lb, "gateway"), Some(Sync::Synced), "{lb:#?}");
    assert_eq!(sync(&lb, "balancer"), Some(Sync::Failed), "{lb:#?}");
    let err = edge
        .last_error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    assert!(!err.contains("ha1") && !err.contains("ha2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_whose_shard_no_host_carries_refuses_the_commit() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("known_hosts"), "").unwrap();
    let (repo, commit) = sharded_repo(tmp.path());
    let (_svc, addr) = start(tmp.path(), &repo, "core", None);
    let s = status_until(addr, "the commit refused", |s| s.source_error.is_some()).await;
    assert_eq!(s.commit_seen.as_deref(), Some(commit.as_str()));
    assert_eq!(s.commit_desired, None, "nothing enforced");
    let why = &s.source_error.unwrap().message;
    assert!(
        why.contains("shard `core` (agent.yaml `shard:`) is carried by no inventory host; the shards are: edge, lb"),
        "{why}"
    );
}
