use super::*;
use crate::outcome::{HealthLine, Step};
use crate::plan::{Action, Change};

fn change(target: &str, host: Option<&str>, action: Action) -> Change {
    Change {
        target: target.into(),
        host: host.map(str::to_string),
        object: "obj".into(),
        action,
        diff: None,
        notes: vec![],
    }
}

#[test]
fn policies_split_targets_between_correct_and_observe() {
    let p = Policies::default()
        .with("gateway", Policy::Observe)
        .with("cluster", Policy::Observe);
    let (c, o) = split(&p);
    assert_eq!(c.names(), ["nodes", "workloads", "balancer"]);
    assert_eq!(o.names(), ["cluster", "gateway"]);
    assert!(split(&Policies::default()).1.is_empty());
    assert_eq!(split(&Policies::default()).0, Selection::default());
}

#[test]
fn observed_changes_are_drift_not_applied() {
    let cs = ChangeSet {
        commit: "c".into(),
        shard: None,
        changes: vec![
            change("gateway", Some("gw"), Action::Update),
            change("gateway", Some("gw"), Action::Unchanged),
            change("gateway", Some("gw"), Action::Unmanaged),
        ],
        errors: vec![],
    };
    let mut out = Outcome::default();
    absorb_diff(&mut out, &cs);
    assert_eq!(out.drift.len(), 1);
    assert_eq!(out.drift[0].host.as_deref(), Some("gw"));
    assert!(out.applied.is_empty());
}

#[test]
fn applied_steps_and_failures_are_counted_per_file_and_host() {
    let step = |host: &str, status| Step {
        target: "balancer".into(),
        host: host.into(),
        files: vec!["/etc/haproxy/haproxy.cfg".into()],
        status,
        message: "m".into(),
        notes: vec![],
    };
    let rep = ApplyReport {
        plan: ChangeSet::default(),
        steps: vec![
            step("ha2", StepStatus::Applied),
            step("ha1", StepStatus::RolledBack),
            step("gw", StepStatus::Skipped),
        ],
        applied: vec![
            change("workloads", None, Action::Create),
            change("workloads", None, Action::Unchanged),
        ],
        errors: vec![],
        health: vec![HealthLine {
            object: "Deployment/web/web".into(),
            healthy: false,
            message: "0/2 ready".into(),
        }],
    };
    let mut out = Outcome::default();
    absorb_apply(&mut out, &rep);
    let applied: Vec<_> = out
        .applied
        .iter()
        .map(|f| (f.target.as_str(), f.host.as_deref()))
        .collect();
    assert_eq!(applied, [("balancer", Some("ha2")), ("workloads", None)]);
    assert_eq!(out.errors.len(), 3);
    assert!(
        out.errors[0].message.starts_with("rolled-back") && !out.errors[0].transient,
        "{:?}",
        out.errors
    );
    assert!(
        out.errors[1].message.starts_with("skipped") && out.errors[1].transient,
        "a skipped host is retried, not an operator's problem: {:?}",
        out.errors
    );
    assert_eq!(out.errors[2].target, "workloads");
}
