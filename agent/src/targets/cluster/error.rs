//! Failures of the cluster target, one variant per step, classified transient or not.

use super::compare::TARGET;
use crate::plan::TargetError;

/// Failures of the cluster target, one variant per step.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no cluster node answered: {0}")]
    Unreachable(String),
    #[error("{node}: cannot parse {what}: {message}")]
    Parse {
        node: String,
        what: String,
        message: String,
    },
    #[error("rendered CIB fragment of cluster {cluster} is not XML: {message}")]
    Fragment { cluster: String, message: String },
    #[error("invalid cluster configuration (live CIB not touched): {0}")]
    Invalid(String),
    #[error("{node}: {step} failed: {message}")]
    Tool {
        node: String,
        step: String,
        message: String,
    },
    #[error("the CIB changed concurrently on each of {0} attempts; nothing applied")]
    Conflict(u32),
    #[error("cluster did not converge: {detail}; {rollback}")]
    NotConverged { detail: String, rollback: String },
}

impl ClusterError {
    /// Retrying later may help (unreachable, concurrent edits, not converged yet).
    pub fn transient(&self) -> bool {
        matches!(
            self,
            ClusterError::Unreachable(_)
                | ClusterError::Conflict(_)
                | ClusterError::Tool { .. }
                | ClusterError::NotConverged { .. }
        )
    }

    pub fn to_target_error(&self) -> TargetError {
        TargetError {
            target: TARGET.into(),
            host: None,
            message: self.to_string(),
            transient: self.transient(),
        }
    }
}
