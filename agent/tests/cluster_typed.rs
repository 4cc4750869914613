//! Typed groups, clones, templates, rules, sets and tickets through the real renderer
//! and the cluster target on a CIB file (real cibadmin, crm_verify, crm_diff): they
//! apply, the next diff is in sync, and a change inside a clone's group is seen as a
//! change of the clone (naming the member) and applied.

#[path = "cluster/harness.rs"]
mod harness;

use agent::plan::Action;
use agent::targets::cluster::{apply, diff, jobs, ClusterPolicy};
use harness::*;

const TYPED: &str = "
templates:
  - {id: dummy-t, class: ocf, provider: pacemaker, type: Dummy}
clones:
  - id: work-clone
    meta: {interleave: 'true'}
    group:
      id: work
      members:
        - {id: w1, class: ocf, provider: pacemaker, type: Dummy, ops: [{name: monitor, interval: 10s, timeout: 20s}]}
        - {id: w2, template: dummy-t}
constraints:
  locations:
    - id: work-where
      rsc: work-clone
      rules: [{score: '-INFINITY', expressions: [{attribute: maintenance, operation: eq, value: 'yes'}]}]
  orders:
    - id: vip-then-work
      kind: Optional
      sets: [{resources: [vip]}, {resources: [work-clone], sequential: false}]
  tickets:
    - {id: work-ticket, ticket: site-a, rsc: work-clone, lossPolicy: stop}
";

fn state_with(extra: &serde_yaml::Value) -> schema::DesiredState {
    let mut state = agent_tests::sample::load_sample().state;
    let spec = &mut state.clusters[0].doc.spec;
    let add: schema::HaClusterSpec = {
        let mut v = serde_yaml::to_value(&*spec).unwrap();
        for (k, x) in extra.as_mapping().unwrap() {
            if k.as_str() == Some("constraints") {
                for (ck, cx) in x.as_mapping().unwrap() {
                    v["constraints"][ck] = cx.clone();
                }
            } else {
                v[k] = x.clone();
            }
        }
        serde_yaml::from_value(v).unwrap()
    };
    *spec = add;
    state
}

#[tokio::test]
async fn typed_containers_and_constraints_apply_then_are_in_sync_and_member_changes_show() {
    let extra: serde_yaml::Value = serde_yaml::from_str(TYPED).unwrap();
    let state = state_with(&extra);
    let diags = schema::validate::validate(&state);
    assert!(diags.errors().next().is_none(), "{diags}");
    let rendered = agent::render::render(&state).expect("renders");
    let job = jobs(&state, &rendered).remove(0).unwrap();
    let lab = Lab::new();
    let sim = lab.sim();
    let policy = ClusterPolicy::default();
    let r = apply(
        &sim,
        &lab.access,
        &job.fragment,
        &job.corosync,
        &policy,
        &masker(),
        &fast(),
    )
    .await
    .unwrap();
    assert!(r.patch.is_some());
    let view = lab.view();
    for id in [
        "work-clone",
        "dummy-t",
        "work-where",
        "vip-then-work",
        "work-ticket",
    ] {
        assert!(
            view.resources.contains_key(id) || view.constraints.contains_key(id),
            "{id} is in the CIB"
        );
    }
    let plan = diff(
        &sim,
        &lab.access,
        &job.fragment,
        &job.corosync,
        &policy,
        &masker(),
    )
    .await
    .unwrap();
    let changed: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.object != "corosync.conf" && c.action.is_change())
        .collect();
    assert!(changed.is_empty(), "{changed:#?}");

    // A member's monitor interval changes: the clone is updated, the note names w1.
    let edited = TYPED.replace("interval: 10s, timeout: 20s", "interval: 30s, timeout: 20s");
    let state2 = state_with(&serde_yaml::from_str(&edited).unwrap());
    let rendered2 = agent::render::render(&state2).unwrap();
    let job2 = jobs(&state2, &rendered2).remove(0).unwrap();
    let plan = diff(
        &sim,
        &lab.access,
        &job2.fragment,
        &job2.corosync,
        &policy,
        &masker(),
    )
    .await
    .unwrap();
    let clone = plan
        .changes
        .iter()
        .find(|c| c.object == "work-clone")
        .unwrap();
    assert_eq!(clone.action, Action::Update);
    assert_eq!(clone.notes[0], "w1: op monitor interval 10s → 30s");
    apply(
        &sim,
        &lab.access,
        &job2.fragment,
        &job2.corosync,
        &policy,
        &masker(),
        &fast(),
    )
    .await
    .unwrap();
    let live = lab.root().to_xml();
    assert!(live.contains("interval=\"30s\""), "{live}");
}
