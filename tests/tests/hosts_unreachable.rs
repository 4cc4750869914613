//! One host's link cut on a fresh lab: `agent apply` converges every other host, exits 6
//! and names the unreachable host; once the link is back, the next apply converges it.
//! Destructive (a cut link splits the Corosync pair), so the lab is built for it alone.

use agent_tests::agent_cli::{curl_gateway, host_file, Agent, DesiredRepo};
use agent_tests::{lab_or_skip, Lab};

#[test]
fn cut_link_to_ha2_others_converge_and_ha2_is_named() {
    let lab = lab_or_skip!(Lab::fresh());
    let repo = DesiredRepo::from_sample();
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let rendered = agent.rendered_files(&repo.head());

    lab.link_down("ha2").unwrap();
    let a = agent.run("apply", &["--output", "json"]);
    assert_eq!(
        a.code,
        Some(6),
        "an unreachable host is a target failure: {a}"
    );
    let v = a.json();
    let errors: Vec<&serde_json::Value> = v["plan"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["errors"].as_array().unwrap())
        .collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|e| e["host"] == "ha2"),
        "every error is ha2's: {a}"
    );
    let steps = v["steps"].as_array().unwrap();
    for host in ["ha1", "gw"] {
        assert!(
            steps
                .iter()
                .any(|s| s["host"] == host && s["status"] == "applied"),
            "{host} converged: {a}"
        );
    }
    assert!(!steps.iter().any(|s| s["host"] == "ha2"), "{a}");
    for ((host, path), content) in &rendered {
        let live = host_file(&lab, host, path);
        if host == "ha2" {
            assert_ne!(
                live.as_deref(),
                Some(content.as_str()),
                "ha2 was not reached"
            );
        } else {
            assert_eq!(live.as_deref(), Some(content.as_str()), "{host}:{path}");
        }
    }
    let (ok, code, body) = curl_gateway("/app/");
    assert!(
        ok && code == 200 && body.starts_with("host=w"),
        "the platform serves through ha1: {code} {body}"
    );
    // The human report names the host and says why.
    let t = agent.apply();
    assert_eq!(t.code, Some(6), "{t}");
    assert!(
        t.stdout
            .lines()
            .any(|l| l.starts_with("ha2") && l.contains("unreachable")),
        "{t}"
    );

    lab.link_up("ha2").unwrap();
    assert!(
        agent_tests::wait_until(std::time::Duration::from_secs(10), || lab
            .ssh("ha2", "true")
            .is_ok_and(|o| o.success)),
        "ha2 answers over SSH again"
    );
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "ha2 converges once reachable: {a}");
    assert!(a.stderr.contains("balancer ha2: applying"), "{a}");
    let d = agent.diff();
    assert_eq!(d.code, Some(0), "{d}");
}
