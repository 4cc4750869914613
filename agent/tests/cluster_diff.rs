//! `agent diff` for the cluster against a CIB file with the real Pacemaker
//! tools: hand changes read at parameter/operation level, undeclared objects
//! are listed and left alone, stray `cli-*` constraints follow the policy.

#[path = "cluster/harness.rs"]
mod harness;

use agent::plan::{Action, Change};
use agent::targets::cluster::{apply, diff, dry_run, preview, ClusterPolicy};
use harness::*;

async fn converged_lab() -> (Lab, Sim) {
    let lab = Lab::new();
    let sim = lab.sim();
    let r = apply(
        &sim,
        &lab.access,
        &fragment(),
        &corosync_want(),
        &ClusterPolicy::default(),
        &masker(),
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.attempts, 1,
        "status churn between observe and patch is not a conflict"
    );
    (lab, sim)
}

fn find<'a>(changes: &'a [Change], object: &str) -> &'a Change {
    changes
        .iter()
        .find(|c| c.object == object)
        .unwrap_or_else(|| panic!("{object} in {changes:#?}"))
}

#[tokio::test]
async fn hand_changes_read_at_parameter_and_operation_level_and_are_restored() {
    let (lab, sim) = converged_lab().await;
    // What an operator would do with pcs: monitor 10s → 20s, netmask 24 → 16, stonith on.
    lab.sh(r#"cibadmin --modify --xml-text '<op id="vip-monitor-interval-10s" interval="20s"/>'"#);
    lab.sh(r#"cibadmin --modify --xml-text '<nvpair id="vip-instance_attributes-cidr_netmask" value="16"/>'"#);
    lab.sh("crm_attribute --type crm_config --name stonith-enabled --update true");
    sim.settle();
    let policy = ClusterPolicy::default();
    let plan = lab.diff_with(&sim, &policy).await.unwrap();
    let vip = find(&plan.changes, "vip");
    assert_eq!(vip.action, Action::Update);
    assert!(
        vip.notes
            .contains(&"vip: param cidr_netmask 16 → 24".to_string()),
        "{vip:#?}"
    );
    assert!(
        vip.notes
            .contains(&"vip: op monitor interval 20s → 10s".to_string()),
        "{vip:#?}"
    );
    assert!(
        vip.notes
            .iter()
            .any(|n| n.starts_with("vip: started on ha")),
        "placement: {vip:#?}"
    );
    let raw = vip.diff.as_deref().expect("raw XML diff");
    assert!(
        raw.contains(
            "-    <op id=\"vip-monitor-interval-10s\" name=\"monitor\" interval=\"20s\"/>"
        ),
        "{raw}"
    );
    let prop = find(&plan.changes, "property/stonith-enabled");
    assert_eq!(prop.notes, ["property stonith-enabled true → false"]);
    assert_eq!(find(&plan.changes, "haproxy").action, Action::Unchanged);
    assert_eq!(
        find(&plan.changes, "corosync.conf").action,
        Action::Unchanged
    );

    // The raw patch apply would send, checked by crm_verify, nothing applied.
    let epoch = lab.version().epoch;
    let raw = dry_run(&sim, &lab.access, &plan)
        .await
        .unwrap()
        .expect("a patch");
    assert!(
        raw.contains("<diff") && raw.contains("value=\"24\""),
        "{raw}"
    );
    assert_eq!(lab.version().epoch, epoch, "dry run applies nothing");

    // The transition this restore causes, as crm_simulate sees it.
    let desired = plan.desired.clone().expect("a patch is needed");
    let text = preview(&sim, &lab.access, "ha1", &desired).await.unwrap();
    assert!(text.starts_with("Transition Summary:"), "{text}");

    let r = lab.apply_with(&sim, &fragment(), &policy).await.unwrap();
    assert!(r.patch.as_deref().unwrap().contains("interval=\"10s\""));
    let after = lab.diff_with(&sim, &policy).await.unwrap();
    assert!(!after.has_changes(), "{:#?}", after.changes);
}

#[tokio::test]
async fn an_interval_change_alone_restarts_nothing() {
    let (lab, sim) = converged_lab().await;
    lab.sh(r#"cibadmin --modify --xml-text '<op id="vip-monitor-interval-10s" interval="20s"/>'"#);
    sim.settle();
    let plan = diff(
        &sim,
        &lab.access,
        &fragment(),
        &corosync_want(),
        &ClusterPolicy::default(),
        &masker(),
    )
    .await
    .unwrap();
    let text = preview(&sim, &lab.access, "ha1", plan.desired.as_ref().unwrap())
        .await
        .unwrap();
    for word in ["Restart", "Stop", "Move", "Start "] {
        assert!(!text.contains(word), "{word} in {text}");
    }
    // Only recurring-monitor bookkeeping on the VIP's node (cancel/re-create).
    assert!(
        text.contains("Resource action: vip") && text.contains("cancel=20000"),
        "{text}"
    );
}

#[tokio::test]
async fn undeclared_objects_are_listed_and_left_alone() {
    let (lab, sim) = converged_lab().await;
    lab.sh(r#"cibadmin --create -o resources --xml-text '<primitive id="dummy" class="ocf" provider="pacemaker" type="Dummy"/>'"#);
    lab.sh(r#"cibadmin --create -o constraints --xml-text '<rsc_location id="dummy-avoids-ha1" rsc="dummy" node="ha1" score="-100"/>'"#);
    let policy = ClusterPolicy {
        remove_stray_location_constraints: true,
        manage_corosync: false,
    };
    let plan = lab.diff_with(&sim, &policy).await.unwrap();
    let dummy = find(&plan.changes, "dummy");
    assert_eq!(dummy.action, Action::Unmanaged);
    assert_eq!(
        dummy.notes,
        ["dummy: ocf:pacemaker:Dummy not declared in Git; left alone"]
    );
    assert_eq!(
        find(&plan.changes, "dummy-avoids-ha1").action,
        Action::Unmanaged
    );
    assert!(!plan.has_changes(), "unmanaged objects are not changes");
    // Even an apply that has something to do keeps them.
    lab.sh("crm_attribute --type crm_config --name stonith-enabled --update true");
    lab.apply_with(&sim, &fragment(), &policy).await.unwrap();
    let view = lab.view();
    assert!(
        view.resources.contains_key("dummy") && view.constraints.contains_key("dummy-avoids-ha1")
    );
    assert_eq!(view.properties["stonith-enabled"], "false");
}

#[tokio::test]
async fn a_stray_move_constraint_is_drift_and_removed_only_by_policy() {
    let (lab, sim) = converged_lab().await;
    // What `pcs resource move vip ha2` / `crm_resource --move` leaves behind.
    lab.sh(r#"cibadmin --create -o constraints --xml-text '<rsc_location id="cli-prefer-vip" rsc="vip" role="Started" node="ha2" score="INFINITY"/>'"#);
    sim.settle();
    let keep = ClusterPolicy::default();
    let plan = lab.diff_with(&sim, &keep).await.unwrap();
    let stray = find(&plan.changes, "cli-prefer-vip");
    assert_eq!(stray.action, Action::Drift);
    assert!(
        stray.notes[0].contains("drift: stray rsc_location rsc=vip node=ha2 score=INFINITY"),
        "{stray:#?}"
    );
    assert!(stray.notes[0].ends_with("kept (policy: report only)"));
    assert!(find(&plan.changes, "vip")
        .notes
        .contains(&"vip: started on ha2".to_string()));
    let r = lab.apply_with(&sim, &fragment(), &keep).await.unwrap();
    assert!(r.patch.is_none());
    assert!(lab.view().constraints.contains_key("cli-prefer-vip"));

    let remove = ClusterPolicy {
        remove_stray_location_constraints: true,
        ..keep
    };
    let plan = lab.diff_with(&sim, &remove).await.unwrap();
    assert_eq!(find(&plan.changes, "cli-prefer-vip").action, Action::Delete);
    lab.apply_with(&sim, &fragment(), &remove).await.unwrap();
    assert!(!lab.view().constraints.contains_key("cli-prefer-vip"));
    assert!(lab.view().resources.contains_key("vip"));
}

#[tokio::test]
async fn corosync_drift_is_reported_and_only_the_token_is_due_under_the_policy() {
    let (lab, sim) = converged_lab().await;
    let mut want = corosync_want();
    want.token = Some(1000);
    want.nodes.push("ha3".into());
    let plan = diff(
        &sim,
        &lab.access,
        &fragment(),
        &want,
        &ClusterPolicy::default(),
        &masker(),
    )
    .await
    .unwrap();
    let c = find(&plan.changes, "corosync.conf");
    assert_eq!(c.action, Action::Drift);
    assert_eq!(c.notes[0], "corosync totem.token 3000 → 1000");
    assert_eq!(c.notes[1], "corosync nodes ha1,ha2 → ha1,ha2,ha3");
    assert!(!plan.has_changes());
    let manage = ClusterPolicy {
        manage_corosync: true,
        ..ClusterPolicy::default()
    };
    let plan = diff(&sim, &lab.access, &fragment(), &want, &manage, &masker())
        .await
        .unwrap();
    let c = find(&plan.changes, "corosync.conf");
    assert_eq!(c.action, Action::Update, "{:?}", c.notes);
    assert!(plan.corosync_due() && plan.has_changes());
    assert!(plan.desired.is_none(), "no CIB patch for a corosync change");
    assert!(
        c.notes.iter().any(|n| n.contains("restart")),
        "the node list stays report-only: {:?}",
        c.notes
    );
    want.token = Some(3000);
    let plan = diff(&sim, &lab.access, &fragment(), &want, &manage, &masker())
        .await
        .unwrap();
    let c = find(&plan.changes, "corosync.conf");
    assert_eq!(
        c.action,
        Action::Drift,
        "a node list change is never applied"
    );
    assert!(!plan.has_changes());
}
