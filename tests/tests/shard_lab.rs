//! Sharding against the lab (issue 16, part 3): two `agent run` with the same
//! `leaderElection:` block and `shard: edge` (gw) / `shard: lb` (the balancer pair and
//! the workers):
//! - both lead at once, each its own Lease (`agent-edge`, `agent-lb`): a shard never
//!   waits for another;
//! - a commit changing the gateway and the balancer converges everywhere, the gateway
//!   by edge's agent only, the balancer pair and the cluster by lb's only (from both
//!   logs' step lines);
//! - each `/status` names its shard.
//!
//! The Lease lives in the API server double (the lab needs its fixed nodes).

use std::time::Duration;

use agent_tests::agent_cli::{live_files as live, Agent, ApiDouble};
use agent_tests::git_server::GitServer;
use agent_tests::run_agent::{RunAgent, RunOptions};
use agent_tests::{lab_or_skip, wait_until, Lab};

const DEADLINE: Duration = Duration::from_secs(120);

/// Every inventory host labelled: gw in `edge`, every other host in `lb`.
fn label_hosts(inventory: &str) -> String {
    let mut out = String::new();
    for line in inventory.lines() {
        out.push_str(line);
        out.push('\n');
        if let Some(name) = line.strip_prefix("    - name: ") {
            let shard = if name.trim() == "gw" { "edge" } else { "lb" };
            out.push_str(&format!("      labels: {{shard: {shard}}}\n"));
        }
    }
    out
}

/// The messages of every step an agent started, from its JSON log.
fn step_starts(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["fields"]["message"].as_str().map(String::from))
        .filter(|m| m.starts_with('[') && m.contains(": applying"))
        .collect()
}

fn agent(lab: &Lab, git: &GitServer, api: &ApiDouble, shard: &str) -> RunAgent {
    let mut o = RunOptions::new(&git.url(), api.kubeconfig());
    o.extra = format!(
        "shard: {shard}\nleaderElection: {{lease: agent, namespace: agent-ha, duration: 3s, renew: 1s, identity: agent-{shard}}}\n"
    );
    RunAgent::start(lab, &o)
}

fn leads(run: &RunAgent) -> bool {
    run.status()["leadership"]["role"] == "leader"
}

fn applied(run: &RunAgent) -> Option<String> {
    run.status()["commitApplied"].as_str().map(String::from)
}

#[test]
fn two_shards_lead_at_once_and_each_writes_only_its_hosts() {
    let lab = lab_or_skip!(Lab::fresh_with_workers(3));
    let api = ApiDouble::start();
    let git = GitServer::start(&lab, "w3");
    let cli = Agent::hosts_only(&lab.agent_config(), git.local());
    api.create_namespace("agent-ha");
    git.local().edit("inventory.yaml", label_hosts);
    let c0 = git.local().commit("shards: edge (gw), lb (the rest)");
    git.push();

    let edge = agent(&lab, &git, &api, "edge");
    let lb = agent(&lab, &git, &api, "lb");
    assert!(wait_until(DEADLINE, || leads(&edge)), "{}", edge.log());
    assert!(wait_until(DEADLINE, || leads(&lb)), "{}", lb.log());
    assert!(leads(&edge) && leads(&lb), "two leaders at once");
    for (run, shard) in [(&edge, "edge"), (&lb, "lb")] {
        let st = run.status();
        assert_eq!(st["shard"], shard, "{st:#}");
        assert_eq!(
            st["leadership"]["lease"],
            format!("agent-ha/agent-{shard}"),
            "{st:#}"
        );
    }
    assert!(wait_until(DEADLINE, || applied(&edge).as_deref() == Some(&c0)));
    assert!(wait_until(DEADLINE, || applied(&lb).as_deref() == Some(&c0)));

    // One commit for both shards: the gateway's and the balancer's files change.
    git.local().edit("balancer/haproxy.yaml", |t| {
        t.replace("client: 50s", "client: 51s")
    });
    git.local().edit("gateway/gateway.yaml", |t| {
        t.replacen("timeout: 60", "timeout: 61", 1)
    });
    let (me, ml) = (edge.log().len(), lb.log().len());
    let c1 = git.local().commit("client timeout 51s, gateway timeout 61");
    git.push();
    assert!(
        wait_until(DEADLINE, || applied(&edge).as_deref() == Some(&c1)),
        "{}",
        edge.log()
    );
    assert!(
        wait_until(DEADLINE, || applied(&lb).as_deref() == Some(&c1)),
        "{}",
        lb.log()
    );
    let want = cli.rendered_files(&c1);
    assert!(wait_until(DEADLINE, || live(&lab, &want) == want));

    let (se, sl) = (step_starts(&edge.log()[me..]), step_starts(&lb.log()[ml..]));
    assert!(!se.is_empty() && !sl.is_empty(), "edge {se:?}, lb {sl:?}");
    assert!(
        se.iter().all(|m| m.contains("gateway gw:")),
        "edge stepped elsewhere: {se:?}"
    );
    assert!(
        sl.iter().all(|m| !m.contains(" gw:")),
        "lb stepped on gw: {sl:?}"
    );
    assert!(
        sl.iter()
            .any(|m| m.contains("balancer ha1:") || m.contains("balancer ha2:")),
        "{sl:?}"
    );
}
