//! The operator's cluster policy, through the CLI and agent.yaml, on the lab's real
//! cluster: a constraint left by `crm_resource --move` (what `pcs resource move` does)
//! shows in `agent diff`; `agent apply` leaves it under the default policy
//! (`strayConstraints: report`) and removes it under `strayConstraints: remove`, after
//! which `agent diff` is in sync. Skipped (with a message) when not root or without
//! namespaces; CI runs it.

use agent_tests::agent_cli::{Agent, DesiredRepo, Scratch};
use agent_tests::{lab_or_skip, Lab};

fn stray(lab: &Lab) -> bool {
    lab.exec_ok("ha1", "cibadmin -Q -o constraints")
        .unwrap()
        .contains("cli-prefer-vip")
}

#[test]
fn a_moved_vip_is_reported_and_its_constraint_removed_only_under_the_policy() {
    let lab = lab_or_skip!(Lab::shared());
    let repo = DesiredRepo::from_sample();
    let agent = Agent::hosts_only(&lab.agent_config(), &repo);
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "the lab converges first: {a}");

    // Move the VIP by hand to the other node, as an operator would with pcs.
    let holder = lab.locate("vip").expect("VIP placed");
    let other = if holder == "ha1" { "ha2" } else { "ha1" };
    lab.exec_ok(
        "ha1",
        &format!("crm_resource --resource vip --move --node {other}"),
    )
    .unwrap();
    assert!(stray(&lab), "crm_resource --move leaves cli-prefer-vip");

    let d = agent.diff();
    assert_eq!(d.code, Some(1), "a stray constraint is drift: {d}");
    assert!(d.stdout.contains("cli-prefer-vip"), "{d}");

    // Default policy (the lab's agent.yaml has no cluster: section): reported, kept.
    let a = agent.apply();
    assert_eq!(a.code, Some(0), "{a}");
    assert!(stray(&lab), "strayConstraints: report keeps it");

    // strayConstraints: remove, in a copy of the lab's agent.yaml.
    let scratch = Scratch::new("cluster-policy");
    let config = scratch.path().join("agent.yaml");
    let mut text = std::fs::read_to_string(lab.agent_config()).unwrap();
    text.push_str("cluster:\n  strayConstraints: remove\n");
    std::fs::write(&config, text).unwrap();
    let removing = Agent {
        config: config.clone(),
        ..agent.clone()
    };
    let a = removing.apply();
    assert_eq!(a.code, Some(0), "{a}");
    assert!(!stray(&lab), "strayConstraints: remove deletes it: {a}");
    assert!(
        lab.locate("vip").is_some() && lab.locate("vip") == lab.locate("haproxy"),
        "VIP and HAProxy still run together"
    );
    let d = removing.diff();
    assert_eq!(d.code, Some(0), "in sync afterwards: {d}");
}
