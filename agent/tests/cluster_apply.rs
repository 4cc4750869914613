//! The cluster target against a CIB file with the real Pacemaker tools
//! (cibadmin, crm_verify, crm_diff, crm_mon, crm_simulate): create, idempotence,
//! concurrent edits, rejection before any patch, rollback.

#[path = "cluster/harness.rs"]
mod harness;

use agent::plan::Action;
use agent::targets::cluster::{
    apply, diff, dry_run, preview, vip_holder, ApplyOptions, ClusterError, ClusterPolicy,
};
use harness::*;
use std::time::Duration;

fn default_policy() -> ClusterPolicy {
    ClusterPolicy::default()
}

/// `apply` of `frag` through `sim` with the tests' defaults (policy, masker, fast timeouts).
async fn apply_to(
    sim: &Sim,
    lab: &Lab,
    frag: &agent::targets::cluster::xml::Elem,
) -> Result<agent::targets::cluster::ApplyReport, ClusterError> {
    lab.apply_with(sim, frag, &default_policy()).await
}

#[tokio::test]
async fn creates_everything_from_an_empty_cib_then_is_idempotent() {
    let lab = Lab::new();
    let sim = lab.sim();
    let r = lab
        .apply_with(&sim, &fragment(), &default_policy())
        .await
        .unwrap();
    assert!(r.patch.is_some(), "a patch was sent");
    let created: Vec<&str> = r
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.object.as_str())
        .collect();
    assert_eq!(
        created,
        [
            "property/stonith-enabled",
            "rsc_defaults/resource-stickiness",
            "haproxy",
            "vip",
            "colocation-haproxy-vip-INFINITY",
            "order-vip-haproxy-mandatory"
        ]
    );
    let view = lab.view();
    assert_eq!(view.properties["stonith-enabled"], "false");
    assert_eq!(view.rsc_defaults["resource-stickiness"], "100");
    assert!(view.resources.contains_key("vip") && view.resources.contains_key("haproxy"));
    assert_eq!(view.constraints.len(), 2);

    // Settled (crm_simulate): VIP on exactly one node, haproxy with it.
    let status = r.status.expect("waited for the cluster");
    let holder = status.holder("vip").expect("vip on one node").to_string();
    assert_eq!(status.nodes_of("haproxy"), std::slice::from_ref(&holder));
    assert_eq!(
        vip_holder(&sim, &lab.access, "vip").await.unwrap(),
        Some(holder)
    );

    // Second apply: nothing to do, no patch, epoch unchanged.
    let before = lab.version();
    let again = lab
        .apply_with(&sim, &fragment(), &default_policy())
        .await
        .unwrap();
    assert!(again.patch.is_none());
    assert!(
        again.changes.iter().all(|c| c.action == Action::Unchanged),
        "{:#?}",
        again.changes
    );
    assert_eq!(lab.version().epoch, before.epoch);
    assert_eq!(lab.version().admin_epoch, before.admin_epoch);
}

#[tokio::test]
async fn a_concurrent_edit_is_not_overwritten_and_the_apply_retries() {
    let lab = Lab::new();
    let sim = lab.sim();
    // Between our observation and our patch someone sets a property with pcs/crm_attribute.
    sim.before_next(
        "cibadmin --patch",
        "crm_attribute --type crm_config --name cluster-recheck-interval --update 5min",
    );
    let r = lab
        .apply_with(&sim, &fragment(), &default_policy())
        .await
        .unwrap();
    assert_eq!(
        r.attempts, 2,
        "first patch refused as stale, second applied"
    );
    let view = lab.view();
    assert_eq!(
        view.properties["cluster-recheck-interval"], "5min",
        "their edit survived"
    );
    assert!(view.resources.contains_key("vip"), "ours landed");
}

#[tokio::test]
async fn conflicts_on_every_attempt_give_up_without_applying() {
    let lab = Lab::new();
    let sim = lab.sim();
    let opts = ApplyOptions {
        attempts: 1,
        ..fast()
    };
    sim.before_next(
        "cibadmin --patch",
        "crm_attribute --type crm_config --name cluster-recheck-interval --update 5min",
    );
    let err = apply(
        &sim,
        &lab.access,
        &fragment(),
        &corosync_want(),
        &default_policy(),
        &masker(),
        &opts,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict(1)), "{err}");
    assert!(err.transient());
    assert!(!lab.view().resources.contains_key("vip"));
}

#[tokio::test]
async fn an_unknown_agent_or_parameter_is_rejected_before_any_patch() {
    let lab = Lab::new();
    let sim = lab.sim();
    let before = lab.configuration();
    for (bad, expect) in [
        (
            harness::FRAGMENT.replace("IPaddr2", "NoSuchAgent"),
            "unknown resource agent ocf:heartbeat:NoSuchAgent",
        ),
        (
            harness::FRAGMENT.replace("name=\"cidr_netmask\"", "name=\"cidr_mask\""),
            "has no parameter \"cidr_mask\"",
        ),
        (
            harness::FRAGMENT.replace("name=\"ip\"", "name=\"nic\""),
            "requires parameter \"ip\"",
        ),
    ] {
        let frag = agent::targets::cluster::xml::Elem::parse(&bad).unwrap();
        let err = apply_to(&sim, &lab, &frag).await.unwrap_err();
        assert!(matches!(err, ClusterError::Invalid(_)), "{err}");
        assert!(err.to_string().contains(expect), "{err}");
        assert!(!err.transient());
        let after = lab.configuration();
        assert_eq!(after, before, "live CIB configuration untouched");
    }
}

#[tokio::test]
async fn crm_verify_refuses_a_dangling_constraint_on_the_shadow_copy() {
    let lab = Lab::new();
    let sim = lab.sim();
    let before = lab.configuration();
    let bad = harness::FRAGMENT.replace("with-rsc=\"vip\"", "with-rsc=\"nope\"");
    let frag = agent::targets::cluster::xml::Elem::parse(&bad).unwrap();
    // `agent diff` already finds it (crm_verify on the node, nothing applied)...
    let plan = diff(
        &sim,
        &lab.access,
        &frag,
        &corosync_want(),
        &default_policy(),
        &masker(),
    )
    .await
    .unwrap();
    let err = dry_run(&sim, &lab.access, &plan).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("IDREF attribute with-rsc references an unknown ID \"nope\""),
        "{err}"
    );
    // ...and apply refuses it.
    let err = apply_to(&sim, &lab, &frag).await.unwrap_err();
    assert!(matches!(err, ClusterError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("crm_verify"), "{err}");
    let after = lab.configuration();
    assert_eq!(after, before, "live CIB configuration untouched");
}

#[tokio::test]
async fn resources_that_never_start_are_rolled_back() {
    let lab = Lab::new();
    let mut sim = lab.sim();
    sim.settle = false; // nothing ever runs: crm_mon keeps showing them stopped
    let opts = ApplyOptions {
        settle_timeout: Duration::from_millis(300),
        poll: Duration::from_millis(100),
        ..fast()
    };
    let err = apply(
        &sim,
        &lab.access,
        &fragment(),
        &corosync_want(),
        &default_policy(),
        &masker(),
        &opts,
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ClusterError::NotConverged { .. }), "{msg}");
    assert!(
        msg.contains("vip: stopped") && msg.contains("restored"),
        "{msg}"
    );
    let view = lab.view();
    assert!(
        view.resources.is_empty() && view.constraints.is_empty(),
        "declared ids restored"
    );
    assert!(!view.properties.contains_key("stonith-enabled"));
}

#[tokio::test]
async fn the_first_reachable_node_is_used_and_all_down_is_an_error() {
    let lab = Lab::new();
    let mut sim = lab.sim();
    sim.down = vec!["ha1".into()];
    let r = lab
        .apply_with(&sim, &fragment(), &default_policy())
        .await
        .unwrap();
    assert!(r.patch.is_some());
    sim.down.push("ha2".into());
    let err = vip_holder(&sim, &lab.access, "vip").await.unwrap_err();
    assert!(
        matches!(err, ClusterError::Unreachable(_)) && err.transient(),
        "{err}"
    );
}

#[tokio::test]
async fn preview_shows_the_transition_a_change_causes() {
    let lab = Lab::new();
    let sim = lab.sim();
    lab.apply_with(&sim, &fragment(), &default_policy())
        .await
        .unwrap();
    let holder = vip_holder(&sim, &lab.access, "vip").await.unwrap().unwrap();
    // Desired: the same CIB with the VIP banned from its node → a move.
    let mut desired = lab.root();
    let ban =
        format!(r#"<rsc_location id="ban-vip" rsc="vip" node="{holder}" score="-INFINITY"/>"#);
    desired
        .path_mut("configuration/constraints")
        .unwrap()
        .children
        .push(agent::targets::cluster::xml::Elem::parse(&ban).unwrap());
    let text = preview(&sim, &lab.access, "ha1", &desired).await.unwrap();
    assert!(text.starts_with("Transition Summary:"), "{text}");
    assert!(text.contains("Move") && text.contains("vip"), "{text}");
}

#[tokio::test]
async fn the_cib_manager_refuses_a_patch_raced_by_a_status_update_and_apply_retries() {
    let lab = Lab::new();
    let sim = lab.sim();
    let policy = default_policy();
    lab.apply_with(&sim, &fragment(), &policy).await.unwrap();
    lab.sh("crm_attribute --type crm_config --name stonith-enabled --update true");
    // A status update lands after the script's epoch check, just before the patch:
    // only the version in the patch itself can catch it.
    let marker = lab.cib.with_extension("raced");
    let mut access = lab.access.clone();
    access.prelude.push_str(&format!(
        r#"
cibadmin() {{
  if [ "$1" = --patch ] && [ ! -e {m} ]; then
    : > {m}
    command cibadmin --modify -o status --xml-text '<node_state id="1" uname="ha1" crm-debug-origin="race"/>'
  fi
  command cibadmin "$@"
}}"#,
        m = marker.display()
    ));
    let r = apply(
        &sim,
        &access,
        &fragment(),
        &corosync_want(),
        &policy,
        &masker(),
        &fast(),
    )
    .await
    .unwrap();
    assert!(marker.exists(), "the race was injected");
    assert_eq!(
        r.attempts, 2,
        "refused once by the CIB manager, then applied"
    );
    assert_eq!(lab.view().properties["stonith-enabled"], "false");
}
