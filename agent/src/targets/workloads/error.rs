//! Why a Kubernetes call failed, and whether retrying may help: one variant per
//! failing step, the object named (kube's errors classified once, here).

pub use crate::kubeapi::{conflict_fields, is_field_conflict, is_not_found, retryable};
use crate::plan::TargetError;

/// Why a call on one object failed.
#[derive(Debug, thiserror::Error)]
pub enum K8sError {
    #[error("cluster config: {0}")]
    Config(String),
    #[error("{object}: not a valid Kubernetes object: {message}")]
    Invalid { object: String, message: String },
    #[error("{object}: {op}: {source}")]
    Api {
        object: String,
        op: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("{object}: {op}: no answer within {ms}ms")]
    Timeout {
        object: String,
        op: &'static str,
        ms: u128,
    },
    #[error("{object}: fields owned by other managers (set force to take them): {fields}")]
    Conflict { object: String, fields: String },
}

impl K8sError {
    /// Retrying later may help (cluster unreachable or busy), as opposed to a bad object.
    pub fn transient(&self) -> bool {
        match self {
            K8sError::Api { source, .. } => retryable(source),
            K8sError::Timeout { .. } => true,
            K8sError::Config(_) | K8sError::Invalid { .. } | K8sError::Conflict { .. } => false,
        }
    }

    /// The cluster did not answer at all (connection refused, timeout): asking about
    /// the next object would only repeat the wait.
    pub fn unreachable(&self) -> bool {
        match self {
            K8sError::Timeout { .. } => true,
            K8sError::Api { source, .. } => {
                matches!(source, kube::Error::HyperError(_) | kube::Error::Service(_))
            }
            _ => false,
        }
    }

    /// The error as one of `target`'s errors.
    pub fn to_target_error(&self, target: &str) -> TargetError {
        TargetError {
            target: target.into(),
            host: None,
            message: self.to_string(),
            transient: self.transient(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::workloads::client::backoff;
    use kube::core::Status;
    use std::time::Duration;

    fn status(code: u16, cause: Option<&str>) -> kube::Error {
        let causes: Vec<_> = cause
            .map(|r| serde_json::json!({"reason": r, "message": "conflict with \"x\"", "field": ".spec.replicas"}))
            .into_iter()
            .collect();
        let body = serde_json::json!({"status": "Failure", "message": "m", "reason": "r", "code": code,
                                      "details": {"causes": causes}});
        let s: Status = serde_json::from_value(body).expect("a Status body");
        kube::Error::Api(Box::new(s))
    }

    #[test]
    fn server_errors_and_plain_conflicts_retry_field_conflicts_and_bad_requests_do_not() {
        assert!(retryable(&status(500, None)));
        assert!(retryable(&status(503, None)));
        assert!(retryable(&status(409, None)));
        assert!(!retryable(&status(409, Some("FieldManagerConflict"))));
        assert!(!retryable(&status(422, None)));
        assert!(!retryable(&status(404, None)));
        assert_eq!(
            conflict_fields(&status(409, Some("FieldManagerConflict"))).as_deref(),
            Some(".spec.replicas (conflict with \"x\")")
        );
        assert_eq!(conflict_fields(&status(409, None)), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (b, m) = (Duration::from_millis(100), Duration::from_millis(500));
        assert_eq!(backoff(b, m, 1), Duration::from_millis(100));
        assert_eq!(backoff(b, m, 2), Duration::from_millis(200));
        assert_eq!(backoff(b, m, 3), Duration::from_millis(400));
        assert_eq!(backoff(b, m, 4), Duration::from_millis(500));
        assert_eq!(backoff(b, m, 40), Duration::from_millis(500));
    }
}
