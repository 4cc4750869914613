//! Server changes through HAProxy's runtime API, without a reload (issue 4, item 6), on
//! the shared lab, one test in three steps:
//! 1. a server weight changed in the repo: applied on both balancers (standby first)
//!    without a reload — HAProxy's pid is unchanged, its runtime weight is the new one,
//!    the file holds the new render, `agent diff` is in sync, a second apply is a no-op;
//! 2. a worker registered: added at run time to both backends, no reload, with 0 failed
//!    requests through the VIP meanwhile, and it receives traffic;
//! 3. the worker removed again: drained and deleted at run time, no reload, 0 failed
//!    requests;
//! 4. runtime state drifted by hand (a server draining): the runtime path's check
//!    finds it, the agent falls back to a reload, which restores the file's state;
//! 5. a balance algorithm change is not runtime-capable: it still reloads.
//!
//! The sample's backends use cookie stickiness, and HAProxy 2.6 refuses `cookie` on a
//! dynamic server, so adding a worker there is a reload (hosts_load.rs). This test starts
//! from the sample without cookies and without w2, so that w2 can be added at run time.

use std::time::Duration;

use agent_tests::agent_cli::{host_file, Agent, DesiredRepo, Run};
use agent_tests::haproxy::{
    assert_settled_without_reload, pids, runtime_servers, BALANCERS, SOCKET,
};
use agent_tests::{lab_or_skip, Lab, ProbeReport};

const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";
const VIP_URL: &str = "http://10.77.0.100/app/";

const COOKIE: &str =
    "      cookie:\n        name: JSESSIONID\n        mode: prefix\n        nocache: true\n";
const W2: &str = "    - name: w2\n      address: 10.77.0.22\n      roles: [worker]\n      node:\n        labels: {topology.kubernetes.io/zone: lab-b, node-role.kubernetes.io/worker: \"true\"}\n";

/// `agent apply` while the lab probes the VIP every 100 ms (from 1 s before it starts).
fn apply_under_probe(lab: &Lab, agent: &Agent, what: &str) -> (Run, ProbeReport) {
    let probe = lab
        .start_probe(VIP_URL, Duration::from_secs(8), Duration::from_millis(100))
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let r = agent.apply();
    let p = probe.wait().unwrap();
    eprintln!(
        "{what}: apply {:.1} s; VIP probe {p}",
        r.elapsed.as_secs_f64()
    );
    (r, p)
}

/// Both balancers took the runtime path (the progress line of each says so).
fn assert_no_reload_path(r: &Run, what: &str) {
    for h in BALANCERS {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(&format!("balancer {h}: applied"))
                    && l.contains("without reload")),
            "{what}: {h} did not take the runtime path: {r}"
        );
    }
}

#[test]
fn server_changes_go_through_the_runtime_api_and_the_file_stays_in_step() {
    let lab = lab_or_skip!(Lab::shared());
    let repo = DesiredRepo::from_sample();
    repo.edit("balancer/haproxy.yaml", |t| t.replace(COOKIE, ""));
    repo.edit("inventory.yaml", |t| t.replace(W2, ""));
    repo.commit("no cookies, one worker");
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "converges first: {a}");
    let holder = lab.locate("haproxy").expect("HAProxy runs");
    let before = pids(&lab);
    assert!(
        before.contains(&"-".to_string()),
        "one node is standby: {before:?}"
    );

    // 1. A weight: serverDefaults of http_back apply to its derived servers (w1 only).
    repo.edit("balancer/haproxy.yaml", |t| {
        t.replacen(
            "        rise: 2\n",
            "        rise: 2\n        weight: 50\n",
            1,
        )
    });
    repo.commit("w1 weight 50");
    let d = agent.diff();
    assert_eq!(d.code, Some(1), "{d}");
    assert!(
        d.stdout
            .contains("note: runtime API: weight http_back/w1 1→50, no reload"),
        "the plan names the path: {d}"
    );
    let r = agent.apply();
    eprintln!("weight w1 50: the report\n{}", r.stdout);
    assert_eq!(r.code, Some(0), "{r}");
    assert_no_reload_path(&r, "weight");
    assert_eq!(pids(&lab), before, "no reload, no HAProxy started: {r}");
    let live = runtime_servers(&lab, &holder, "http_back");
    assert_eq!(
        live,
        [("w1".to_string(), 0, 50)],
        "runtime weight on {holder}"
    );
    for h in BALANCERS {
        let cfg = host_file(&lab, h, HAPROXY_CFG).unwrap();
        assert!(
            cfg.contains("server w1 10.77.0.21:30080 weight 50 check"),
            "{h}: {cfg}"
        );
        assert!(host_file(&lab, h, &format!("{HAPROXY_CFG}.agent-pending")).is_none());
    }
    assert_settled_without_reload(&lab, &agent, &before);

    // 2. Register w2 under a probe through the VIP.
    repo.edit("inventory.yaml", |t| format!("{t}{W2}"));
    repo.commit("add worker w2");
    let (r, p) = apply_under_probe(&lab, &agent, "add w2");
    assert_eq!(r.code, Some(0), "{r}");
    assert_no_reload_path(&r, "add worker");
    assert_eq!(pids(&lab), before, "no reload: {r}");
    assert_eq!(p.failed, 0, "requests through the VIP failed: {p}");
    assert!(p.ok >= 50, "too few probe requests: {p}");
    for (backend, weight) in [("http_back", 50), ("auth_back", 1)] {
        let live = runtime_servers(&lab, &holder, backend);
        assert!(
            live.contains(&("w2".to_string(), 0, weight)),
            "{backend} on {holder}: w2 ready with weight {weight}: {live:?}"
        );
    }
    for h in BALANCERS {
        let cfg = host_file(&lab, h, HAPROXY_CFG).unwrap();
        assert!(
            cfg.contains("server w2 10.77.0.22:30081 check"),
            "{h}: {cfg}"
        );
    }
    let served = agent_tests::wait_until(Duration::from_secs(10), || {
        lab.probe(VIP_URL, Duration::from_secs(2))
            .is_ok_and(|p| p.served_by.contains_key("w2"))
    });
    assert!(served, "w2 receives requests through the VIP");
    assert_eq!(agent.diff().code, Some(0), "in sync after adding w2");

    // 3. Remove w2 again: `state maint`, drain, `del server`, under the probe.
    repo.edit("inventory.yaml", |t| t.replace(W2, ""));
    repo.commit("remove worker w2");
    let (r, p) = apply_under_probe(&lab, &agent, "remove w2");
    assert_eq!(r.code, Some(0), "{r}");
    assert_no_reload_path(&r, "remove worker");
    assert_eq!(pids(&lab), before, "no reload: {r}");
    assert_eq!(p.failed, 0, "requests through the VIP failed: {p}");
    for backend in ["http_back", "auth_back"] {
        let live = runtime_servers(&lab, &holder, backend);
        assert!(
            live.iter().all(|(name, ..)| name != "w2"),
            "{backend} on {holder}: w2 deleted: {live:?}"
        );
    }
    assert_eq!(agent.diff().code, Some(0), "in sync after removing w2");

    // 4. Runtime state drifted by hand (w1 draining): the runtime commands succeed but
    //    the state does not match the file, so the agent reloads, which restores it.
    lab.exec_ok(
        &holder,
        &format!(
            "echo 'set server http_back/w1 state drain' | socat -t 2 stdio unix-connect:{SOCKET}"
        ),
    )
    .unwrap();
    repo.edit("balancer/haproxy.yaml", |t| {
        t.replacen("weight: 50", "weight: 40", 1)
    });
    repo.commit("w1 weight 40");
    let r = agent.apply();
    assert_eq!(r.code, Some(0), "{r}");
    assert!(
        r.stdout.contains("runtime API failed, reloading instead")
            && r.stdout.contains("http_back/w1 admin state"),
        "the report says the runtime path failed and why: {r}"
    );
    let reloaded = pids(&lab);
    let i = BALANCERS.iter().position(|h| *h == holder).unwrap();
    assert_ne!(reloaded[i], before[i], "HAProxy on {holder} reloaded: {r}");
    assert_eq!(
        runtime_servers(&lab, &holder, "http_back"),
        [("w1".to_string(), 0, 40)],
        "the reload made runtime state equal the file"
    );
    assert_eq!(agent.diff().code, Some(0));
    let before = reloaded;

    // 5. A balance algorithm is not runtime-capable: reload.
    repo.edit("balancer/haproxy.yaml", |t| {
        t.replacen("balance: roundrobin", "balance: leastconn", 1)
    });
    repo.commit("leastconn");
    let r = agent.apply();
    assert_eq!(r.code, Some(0), "{r}");
    assert!(
        r.stdout
            .contains("reload: backend http_back: `balance` changed"),
        "the report names the reload and why: {r}"
    );
    assert!(!r.stderr.contains("without reload"), "{r}");
    let after = pids(&lab);
    assert_ne!(after[i], before[i], "HAProxy on {holder} reloaded: {r}");
    assert_eq!(agent.diff().code, Some(0));
}
