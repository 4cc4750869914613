//! Drift and bad commits on a converged lab (host-level targets):
//! - a hand edit of haproxy.cfg on ha2 shows up in `agent diff` as exactly that hunk, on
//!   ha2 only, and `agent apply` restores the file;
//! - a commit whose haproxy.cfg HAProxy rejects (a bad keyword through the `raw` escape
//!   hatch) stops the rollout before any reload: exit 6, the error names the host and the
//!   line, the live config is unchanged and keeps serving.
//!
//! One shared lab; the tests take turns (each starts by converging the sample repo).

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use agent_tests::agent_cli::{curl_gateway, host_file, Agent, DesiredRepo};
use agent_tests::{lab_or_skip, Lab};

const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sample repo, converged on the lab.
fn converged(lab: &Lab) -> (DesiredRepo, Agent) {
    let repo = DesiredRepo::from_sample();
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "the sample repo must converge first: {a}");
    (repo, agent)
}

#[test]
fn hand_edit_on_ha2_shows_only_that_hunk_and_apply_restores_it() {
    let lab = lab_or_skip!(Lab::shared());
    let _turn = turn();
    let (repo, agent) = converged(&lab);
    let desired = host_file(&lab, "ha2", HAPROXY_CFG).unwrap();
    assert!(desired.contains("    timeout client 50s\n"), "{desired}");

    lab.exec_ok(
        "ha2",
        &format!("sed -i 's/timeout client 50s/timeout client 55s/' {HAPROXY_CFG}"),
    )
    .unwrap();

    let d = agent.run("diff", &["--output", "json"]);
    assert_eq!(d.code, Some(1), "a hand edit is a difference: {d}");
    let v = d.json();
    let changed: Vec<&serde_json::Value> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "unchanged")
        .collect();
    assert_eq!(changed.len(), 1, "only ha2's haproxy.cfg differs: {d}");
    let c = changed[0];
    assert_eq!(
        (
            c["host"].as_str(),
            c["object"].as_str(),
            c["action"].as_str()
        ),
        (Some("ha2"), Some(HAPROXY_CFG), Some("update")),
        "{d}"
    );
    let diff = c["diff"].as_str().unwrap();
    let hunks = diff.lines().filter(|l| l.starts_with("@@")).count();
    let removed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(hunks, 1, "{diff}");
    assert_eq!(removed, ["-    timeout client 55s"], "{diff}");
    assert_eq!(added, ["+    timeout client 50s"], "{diff}");
    // The human output names the host and shows the same hunk.
    let t = agent.diff();
    assert_eq!(t.code, Some(1));
    assert!(
        t.stdout.contains("\nha2\n")
            && !t.stdout.contains("\nha1\n")
            && !t.stdout.contains("\ngw\n"),
        "{t}"
    );
    assert!(t.stdout.contains("-    timeout client 55s"), "{t}");

    let a = agent.apply();
    assert_eq!(a.code, Some(0), "apply restores the file: {a}");
    assert!(
        a.stderr.contains("balancer ha2: applying") && !a.stderr.contains("balancer ha1"),
        "only ha2 is touched: {a}"
    );
    assert_eq!(
        host_file(&lab, "ha2", HAPROXY_CFG).as_deref(),
        Some(desired.as_str())
    );
    assert_eq!(agent.diff().code, Some(0));
    drop(repo);
}

#[test]
fn rejected_commit_stops_before_any_reload_and_keeps_serving() {
    let lab = lab_or_skip!(Lab::shared());
    let _turn = turn();
    let (repo, agent) = converged(&lab);
    let holder = lab
        .locate("haproxy")
        .expect("HAProxy runs after converging");
    let pid = |h: &str| lab.exec_ok(h, "cat /run/haproxy.pid").unwrap();
    let live_before: Vec<Option<String>> = ["ha1", "ha2"]
        .iter()
        .map(|h| host_file(&lab, h, HAPROXY_CFG))
        .collect();
    let pid_before = pid(&holder);
    let site_before = host_file(&lab, "gw", "/etc/apache2/sites-enabled/agent-apps.conf");

    // A bad keyword through the escape hatch, plus a gateway change that must not go out.
    repo.edit("balancer/haproxy.yaml", |t| {
        format!("{t}  raw: |\n    backend bad_back\n        bogus_keyword on\n")
    });
    repo.edit("gateway/gateway.yaml", |t| {
        t.replace("timeout: 60", "timeout: 61")
    });
    let bad = repo.commit("raw snippet HAProxy rejects");
    let rendered = agent.rendered_files(&bad);
    let cfg = &rendered[&("ha1".to_string(), HAPROXY_CFG.to_string())];
    let line = cfg
        .lines()
        .position(|l| l.contains("bogus_keyword"))
        .expect("the raw snippet is rendered")
        + 1;

    let probe = lab
        .start_probe(
            "http://10.77.0.100/app/",
            Duration::from_secs(8),
            Duration::from_millis(100),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let a = agent.run("apply", &["--output", "json"]);
    let report = probe.wait().unwrap();

    assert_eq!(
        a.code,
        Some(6),
        "a rejected config is a target failure: {a}"
    );
    let steps = a.json()["steps"].as_array().unwrap().clone();
    let step = |host: &str, target: &str| {
        steps
            .iter()
            .find(|s| s["host"] == host && s["target"] == target)
            .unwrap_or_else(|| panic!("no {target} step for {host}: {a}"))
    };
    // The standby goes first; it is rejected, and the message names host, file line, keyword.
    let first = if holder == "ha1" { "ha2" } else { "ha1" };
    let s = step(first, "balancer");
    assert_eq!(s["status"], "rejected", "{a}");
    let msg = s["message"].as_str().unwrap();
    assert!(
        msg.contains("bogus_keyword") && msg.contains(&format!(":{line}]")),
        "the error names line {line} and the keyword: {msg}"
    );
    assert_eq!(step(&holder, "balancer")["status"], "skipped", "{a}");
    assert_eq!(step("gw", "gateway")["status"], "skipped", "{a}");
    // The human report names the host on the rejected line.
    let t = agent.apply();
    assert_eq!(t.code, Some(6), "{t}");
    assert!(
        t.stdout
            .lines()
            .any(|l| l.starts_with(first) && l.contains("rejected")),
        "{t}"
    );
    assert!(
        !t.stderr.contains(&format!("balancer {holder}: applying")),
        "{t}"
    );

    let live_after: Vec<Option<String>> = ["ha1", "ha2"]
        .iter()
        .map(|h| host_file(&lab, h, HAPROXY_CFG))
        .collect();
    assert_eq!(live_before, live_after, "the live haproxy.cfg is unchanged");
    assert_eq!(pid_before, pid(&holder), "HAProxy was not reloaded");
    assert_eq!(
        site_before,
        host_file(&lab, "gw", "/etc/apache2/sites-enabled/agent-apps.conf"),
        "the gateway was not changed"
    );
    assert_eq!(report.failed, 0, "the VIP kept serving: {report}");
    assert!(report.ok > 20, "{report}");
    let (ok, code, body) = curl_gateway("/app/");
    assert!(
        ok && code == 200 && body.starts_with("host=w"),
        "{code} {body}"
    );

    // Reverting the commit: the lab is in sync again with nothing to do.
    repo.git(&["revert", "--no-edit", "HEAD"]);
    let d = agent.diff();
    assert_eq!(d.code, Some(0), "{d}");
}
