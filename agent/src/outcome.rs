//! What an apply did, as plain data: one [`Step`] per host a host-level target
//! changed (or skipped), the cluster and workload changes as applied, failures and
//! the health of declared objects, gathered in an [`ApplyReport`]. Printed by
//! `agent apply`, serialised by `--output json`, absorbed by `agent run`'s status.

use crate::plan::{exit, Change, ChangeSet, TargetError};
use serde::Serialize;

/// How one host's step of a rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Swapped, reloaded (or changed at run time), healthy.
    Applied,
    /// The staged config was rejected before anything went live.
    Rejected,
    /// Reload or health check failed; the previous config was restored.
    RolledBack,
    /// Failed and could not be restored: an operator must look.
    Failed,
    /// Not attempted because an earlier step, or a target this one depends on, failed
    /// (or the agent is stopping).
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Applied => "applied",
            StepStatus::Rejected => "rejected",
            StepStatus::RolledBack => "rolled-back",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}

/// One host's step of a host-level target's rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub target: String,
    pub host: String,
    pub files: Vec<String>,
    pub status: StepStatus,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Whether any step of a rollout did not apply.
pub fn failed(steps: &[Step]) -> bool {
    steps.iter().any(|s| s.status != StepStatus::Applied)
}

/// The health of one declared object after an apply (a Deployment's rollout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HealthLine {
    pub object: String,
    pub healthy: bool,
    pub message: String,
}

/// What `apply` did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    /// The change set computed before applying.
    pub plan: ChangeSet,
    /// Host-level steps in the order they ran.
    pub steps: Vec<Step>,
    /// Cluster and workload changes as applied (notes say what happened).
    pub applied: Vec<Change>,
    /// Failures while applying (the plan's own errors are in `plan.errors`).
    pub errors: Vec<TargetError>,
    /// Rollout state of each declared Deployment after the apply.
    pub health: Vec<HealthLine>,
}

impl ApplyReport {
    /// 0 when everything planned was applied and every target was reached, else 2
    /// (`agent apply` turns that into its exit code 6, "a host or target failed").
    pub fn exit_code(&self) -> u8 {
        let bad = !self.plan.errors.is_empty()
            || !self.errors.is_empty()
            || failed(&self.steps)
            || self.health.iter().any(|h| !h.healthy);
        if bad {
            exit::ERROR
        } else {
            exit::OK
        }
    }

    pub fn applied_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Applied)
            .count()
    }
}
