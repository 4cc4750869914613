//! One reconcile cycle over plain values: rendered desired state in, change set
//! and rollout steps out. `agent diff` is exactly [`Engine::diff`]; `agent apply`
//! is [`Engine::apply`], which computes the same change set and then executes it.

use crate::mask::Masker;
use crate::plan::ChangeSet;
use crate::render::Rendered;
use crate::targets::hosts::{diff_files, observe_hosts, HostViews};
use crate::targets::remote::Remote;
use crate::targets::rollout::{apply_hosts, Step, StepStatus};
use schema::DesiredState;
use serde::Serialize;

/// The desired side of a cycle: everything derived from one commit.
pub struct Desired<'a> {
    pub commit: &'a str,
    pub state: &'a DesiredState,
    pub rendered: &'a Rendered,
}

pub struct Engine<'a, R: Remote> {
    pub remote: &'a R,
    pub masker: Masker,
}

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    /// The change set computed before applying.
    pub plan: ChangeSet,
    pub steps: Vec<Step>,
}

impl ApplyReport {
    /// 0 when everything planned was applied and every host was reached, else 2.
    pub fn exit_code(&self) -> u8 {
        let failed = !self.plan.errors.is_empty()
            || self.steps.iter().any(|s| s.status != StepStatus::Applied);
        if failed {
            crate::plan::exit::ERROR
        } else {
            crate::plan::exit::OK
        }
    }
}

impl<'a, R: Remote> Engine<'a, R> {
    pub fn new(remote: &'a R, state: &DesiredState) -> Self {
        Engine {
            remote,
            masker: masker_for(state),
        }
    }

    fn vips(state: &DesiredState) -> Vec<String> {
        state
            .clusters
            .iter()
            .filter_map(|c| c.doc.spec.vip.as_ref().map(|v| v.ip.clone()))
            .collect()
    }

    async fn observe(&self, d: &Desired<'_>) -> (ChangeSet, HostViews) {
        let views = observe_hosts(self.remote, d.rendered, &Self::vips(d.state)).await;
        let mut cs = ChangeSet {
            commit: d.commit.to_string(),
            changes: diff_files(d.rendered, &views, &self.masker),
            errors: views.errors.clone(),
        };
        cs.sort();
        (cs, views)
    }

    /// Read-only: what differs between Git and the hosts.
    pub async fn diff(&self, d: &Desired<'_>) -> ChangeSet {
        self.observe(d).await.0
    }

    /// Observe, then apply every pending change in HA-aware order.
    pub async fn apply(&self, d: &Desired<'_>, progress: &(dyn Fn(&str) + Sync)) -> ApplyReport {
        let (plan, views) = self.observe(d).await;
        let steps = apply_hosts(
            self.remote,
            d.state,
            d.rendered,
            &views,
            &plan.changes,
            progress,
        )
        .await;
        ApplyReport { plan, steps }
    }
}

/// A masker knowing every secret value the desired state holds.
pub fn masker_for(state: &DesiredState) -> Masker {
    let mut m = Masker::new(b"agent-mask-v1");
    for b in &state.balancers {
        if let Some(a) = b.doc.spec.stats.as_ref().and_then(|s| s.auth.as_ref()) {
            m.add_secret(a.password.clone());
        }
    }
    m
}
