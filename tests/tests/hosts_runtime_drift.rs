//! Runtime drift under an unchanged haproxy.cfg (issue 4): an operator changes the
//! running HAProxy by hand through its stats socket — a weight, a server in
//! maintenance, a server added — while the file stays in sync with Git. On the
//! shared lab:
//! 1. `agent diff` exits 1 and names each drifted server on the VIP holder only
//!    (the standby runs no HAProxy, so it has no runtime state);
//! 2. `agent apply` corrects it through the runtime API, without a reload (HAProxy's
//!    pid unchanged), and the runtime state equals the file again;
//! 3. `agent diff` exits 0 and a second apply does nothing.

use agent_tests::agent_cli::{Agent, DesiredRepo};
use agent_tests::haproxy::{assert_settled_without_reload, cli, pids, runtime_servers, BALANCERS};
use agent_tests::{lab_or_skip, Lab};

#[test]
fn runtime_state_changed_by_hand_is_reported_and_restored_without_a_reload() {
    let lab = lab_or_skip!(Lab::shared());
    let repo = DesiredRepo::from_sample();
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "converges first: {a}");
    let d = agent.diff();
    assert_eq!(d.code, Some(0), "in sync after converging: {d}");
    let holder = lab.locate("haproxy").expect("HAProxy runs");
    let standby = BALANCERS.iter().find(|h| **h != holder).unwrap();
    let before = pids(&lab);
    let declared = |b: &str| runtime_servers(&lab, &holder, b);
    let (http, auth) = (declared("http_back"), declared("auth_back"));

    // By hand, on the node that serves: a weight, a maintenance, a server added.
    for cmd in [
        "set server http_back/w1 weight 10",
        "set server auth_back/w2 state maint",
        "add server auth_back/w9 10.77.0.21:30081",
    ] {
        let out = cli(&lab, &holder, cmd);
        assert!(
            !out.to_lowercase().contains("error") && !out.contains("No such"),
            "{cmd}: {out}"
        );
    }

    let d = agent.diff();
    eprintln!("runtime drift: the diff\n{}", d.stdout);
    assert_eq!(d.code, Some(1), "runtime drift is a difference: {d}");
    for want in [
        "balancer haproxy runtime http_back/w1 (update)",
        "note: runtime weight 10 → 1 (file says 1)",
        "balancer haproxy runtime auth_back/w2 (update)",
        "note: runtime state maint → ready (file says enabled)",
        "balancer haproxy runtime auth_back/w9 (update)",
        "not in the file (added by hand?) → remove",
        "note: apply: runtime API: ",
    ] {
        assert!(d.stdout.contains(want), "diff shows `{want}`: {d}");
    }
    let json = agent.run("diff", &["--output", "json"]).json();
    let drifted: Vec<(String, String)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["object"]
                .as_str()
                .unwrap()
                .starts_with("haproxy runtime ")
        })
        .map(|c| {
            (
                c["host"].as_str().unwrap().to_string(),
                c["object"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(drifted.len(), 3, "{drifted:?}");
    assert!(
        drifted.iter().all(|(h, _)| *h == holder),
        "only {holder} runs HAProxy, {standby} has no runtime state: {drifted:?}"
    );

    let r = agent.apply();
    eprintln!("runtime drift: the report\n{}", r.stdout);
    assert_eq!(r.code, Some(0), "{r}");
    assert!(
        r.stdout.contains("runtime drift corrected: runtime API:"),
        "the report says how: {r}"
    );
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains(&format!("balancer {holder}: applied"))
                && l.contains("without reload")),
        "{holder} took the runtime path: {r}"
    );
    assert!(
        !r.stderr.contains(&format!("balancer {standby}:")),
        "{standby} has nothing to change: {r}"
    );
    assert_eq!(pids(&lab), before, "no reload, no HAProxy started: {r}");
    assert_eq!(declared("http_back"), http, "http_back as before the drift");
    assert_eq!(declared("auth_back"), auth, "auth_back as before the drift");

    assert_settled_without_reload(&lab, &agent, &before);
}
