//! The sample repo's `HaCluster`, through the real renderer, applied to an empty
//! two-node CIB: the renderer's fragment and the cluster target agree (ids,
//! normalisation), so a second apply finds nothing to do.

#[path = "cluster/harness.rs"]
mod harness;

use agent::plan::Action;
use agent::targets::cluster::{apply, diff, jobs, ClusterPolicy};
use harness::*;

#[tokio::test]
async fn the_sample_cluster_applies_and_then_is_in_sync() {
    let state = agent_tests::sample::load_sample().state;
    let rendered = agent::render::render(&state).expect("sample repo renders");
    let job = jobs(&state, &rendered).remove(0).unwrap();
    assert_eq!(
        (job.name.as_str(), job.vip_id.as_deref()),
        ("lab", Some("vip"))
    );
    assert_eq!(job.access.nodes, ["ha1", "ha2"]);
    let (fragment, corosync) = (job.fragment, job.corosync);
    let lab = Lab::new();
    let sim = lab.sim();
    let policy = ClusterPolicy::default();

    let r = apply(
        &sim,
        &lab.access,
        &fragment,
        &corosync,
        &policy,
        &masker(),
        &fast(),
    )
    .await
    .unwrap();
    assert!(r.patch.is_some());
    let status = r.status.unwrap();
    let holder = status.holder("vip").expect("vip runs on one node");
    assert_eq!(status.nodes_of("haproxy"), [holder.to_string()]);
    let view = lab.view();
    assert_eq!(view.properties["no-quorum-policy"], "ignore");
    let live = lab.root().to_xml();
    for id in &rendered.cib[0].ids {
        assert!(live.contains(&format!("id=\"{id}\"")), "{id} is in the CIB");
    }

    let plan = diff(&sim, &lab.access, &fragment, &corosync, &policy, &masker())
        .await
        .unwrap();
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
    // The fixture corosync.conf runs the default token; Git says 1000 ms: report only.
    let coro = plan
        .changes
        .iter()
        .find(|c| c.object == "corosync.conf")
        .unwrap();
    assert_eq!(coro.action, Action::Drift);
    assert_eq!(coro.notes[0], "corosync totem.token 3000 → 1000");
}
