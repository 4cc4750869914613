//! The one trait every kind of target implements, and the values that flow
//! through it (docs/architecture.md, "The target model").
//!
//! A cycle asks each selected target, in registry order (`targets::registry`):
//! [`Target::render`] (pure: desired state → its part of [`Rendered`]) when the
//! commit is loaded, then [`Target::plan`] (observe the live side and compare:
//! read-only, all targets concurrently), then — for `apply` — the waves of
//! [`Target::waves`], each wave's steps at once through [`Target::apply_step`]. A
//! step is the unit that is changed, health-checked and rolled back as one (a host,
//! a cluster's CIB patch, the workloads' server-side apply). The engine, not the
//! target, enforces the ordering rules that are data here: a target waits for the
//! targets it [`Target::depends_on`] and is skipped when one of them failed; a
//! failed wave skips the rest of its target; a stop request is honoured between
//! waves, never inside a step.

use crate::exec::Remote;
use crate::mask::Masker;
use crate::outcome::{HealthLine, Step};
use crate::plan::{Change, TargetError};
use crate::rendered::{RenderError, Rendered};
use async_trait::async_trait;
use schema::DesiredState;
use serde::Serialize;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// "This target applies after `on`, and is skipped when `on` failed, because `why`."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    pub on: &'static str,
    pub why: &'static str,
}

/// The operator's settings a target may consult (from `agent.yaml` and flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// `cluster:` in agent.yaml (stray constraints, corosync.conf).
    pub cluster: crate::config::ClusterConfig,
    /// `diff -v`: add previews that cost extra round trips (`crm_simulate`).
    pub preview: bool,
    /// `rollout:` in agent.yaml: the steps of one wave in flight at once.
    pub rollout: crate::config::RolloutConfig,
}

/// Values computed once per cycle and shared between targets (the host-level
/// targets' common observation: one round trip per host whatever the kinds on it).
#[derive(Default)]
pub struct Memo(tokio::sync::Mutex<HashMap<&'static str, Arc<dyn Any + Send + Sync>>>);

impl Memo {
    /// The value under `key`, computed by `init` by the first caller; concurrent
    /// callers wait for it.
    pub async fn get_or_init<T, F>(&self, key: &'static str, init: F) -> Arc<T>
    where
        T: Any + Send + Sync,
        F: Future<Output = T>,
    {
        let mut map = self.0.lock().await;
        if let Some(v) = map.get(key) {
            return v.clone().downcast::<T>().expect("one type per memo key");
        }
        let v = Arc::new(init.await);
        map.insert(key, v.clone());
        v
    }
}

/// Everything a target sees during one cycle.
pub struct Cx<'a> {
    pub remote: &'a dyn Remote,
    /// Commit of the desired state.
    pub commit: &'a str,
    pub state: &'a DesiredState,
    pub rendered: &'a Rendered,
    /// The only path from a secret to any output.
    pub masker: &'a Masker,
    /// The Kubernetes API, when one is configured.
    pub kube: Option<&'a kube::Client>,
    pub settings: Settings,
    /// Names of the targets this cycle looks at.
    pub selected: &'a [&'static str],
    pub progress: &'a (dyn Fn(&str) + Sync),
    /// Set by `agent run` on SIGTERM: no further step starts.
    pub stop: Option<&'a AtomicBool>,
    /// Asked before every step (`agent run` with leader election: still the leader?).
    pub fence: Option<&'a dyn crate::fence::Fence>,
    pub memo: Memo,
}

impl Cx<'_> {
    pub fn is_selected(&self, target: &str) -> bool {
        self.selected.contains(&target)
    }

    pub fn stopping(&self) -> bool {
        self.halt().is_some()
    }

    /// Why no further step may start (the agent is stopping, or lost its lease);
    /// `None`: the next step may start.
    pub fn halt(&self) -> Option<String> {
        if self.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
            return Some("the agent is stopping".into());
        }
        self.fence.and_then(|f| f.may_start().err())
    }
}

/// What [`Target::plan`] found: its part of the change set, what could not be
/// observed, and what its steps need (the target's own observation, type-erased:
/// only the target that made it reads it).
pub struct Plan {
    pub changes: Vec<Change>,
    pub errors: Vec<TargetError>,
    pub state: Box<dyn Any + Send + Sync>,
}

impl Plan {
    pub fn new(
        changes: Vec<Change>,
        errors: Vec<TargetError>,
        state: impl Any + Send + Sync,
    ) -> Plan {
        Plan {
            changes,
            errors,
            state: Box::new(state),
        }
    }

    /// Nothing declared, nothing observed.
    pub fn empty() -> Plan {
        Plan::new(vec![], vec![], ())
    }

    pub fn state<T: Any>(&self) -> Option<&T> {
        self.state.downcast_ref()
    }
}

/// One step of a target's rollout, as planned: what `diff` and a PR preview show
/// as "the order apply would take".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepPlan {
    pub target: &'static str,
    /// Host name, cluster name, or the target's name for a single step.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Files, CIB ids or objects the step changes.
    pub objects: Vec<String>,
    /// Progress text when the step starts (`applying 2 file(s)`).
    pub start: String,
}

/// What one step did, in the families of [`crate::outcome::ApplyReport`].
#[derive(Debug, Clone, Default)]
pub struct StepOutcome {
    /// A host-level step's line.
    pub step: Option<Step>,
    /// Cluster and workload changes as applied.
    pub applied: Vec<Change>,
    pub errors: Vec<TargetError>,
    pub health: Vec<HealthLine>,
    /// The step did not converge: its target's later waves, and targets that
    /// depend on it, are skipped.
    pub failed: bool,
    /// Progress text when the step ended.
    pub summary: String,
}

/// One kind of target (docs/architecture.md explains how to add one).
#[async_trait]
pub trait Target: Send + Sync {
    /// `gateway`, `balancer`, …: `Change.target`, `--target`, `policies:` keys, metrics.
    fn name(&self) -> &'static str;

    /// Targets that must have converged before this one applies.
    fn depends_on(&self) -> &'static [Dependency] {
        &[]
    }

    /// Whether this render gives the target something to do in the Kubernetes API
    /// (the cycle then connects to the cluster).
    fn uses_kube(&self, _rendered: &Rendered) -> bool {
        false
    }

    /// Adds this target's desired state to `out`. Pure and byte-stable.
    fn render(&self, state: &DesiredState, out: &mut Rendered) -> Result<(), RenderError>;

    /// Observes the live side and compares it with `cx.rendered`. Read-only.
    async fn plan(&self, cx: &Cx<'_>) -> Plan;

    /// The steps `plan` calls for, in waves: the steps of a wave run at once, a wave
    /// only after the previous one succeeded. Pure.
    fn waves(&self, cx: &Cx<'_>, plan: &Plan) -> Vec<Vec<StepPlan>>;

    /// Carries out one step of `plan`: change, health-check, roll back on failure.
    async fn apply_step(&self, cx: &Cx<'_>, plan: &Plan, step: &StepPlan) -> StepOutcome;

    /// The record of a step not attempted (`reason` says why).
    fn skip(&self, _step: &StepPlan, _reason: &str) -> StepOutcome {
        StepOutcome::default()
    }
}
