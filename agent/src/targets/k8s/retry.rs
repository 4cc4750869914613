//! Every API call goes through [`K8sTarget::call`]: a per-call timeout, and retries
//! with exponential backoff for failures that may pass (STYLE.md #4: classified errors).

use super::{K8sError, K8sTarget};
use std::future::Future;
use std::time::Duration;

/// A failure a later attempt may not see: server errors, throttling, an optimistic
/// concurrency conflict (409 without field-manager causes), a broken connection.
pub fn retryable(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => match s.code {
            409 => !is_field_conflict(s),
            429 | 500 | 502 | 503 | 504 => true,
            _ => false,
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// A server-side apply conflict with another field manager (needs `force`, not a retry).
pub fn is_field_conflict(s: &kube::core::Status) -> bool {
    s.details
        .as_ref()
        .is_some_and(|d| d.causes.iter().any(|c| c.reason == "FieldManagerConflict"))
}

/// `.spec.replicas (kubectl-patch)`, from a conflict's causes.
pub fn conflict_fields(e: &kube::Error) -> Option<String> {
    let kube::Error::Api(s) = e else { return None };
    if s.code != 409 || !is_field_conflict(s) {
        return None;
    }
    let causes = &s.details.as_ref()?.causes;
    Some(
        causes
            .iter()
            .map(|c| format!("{} ({})", c.field, c.message))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Delay before attempt `n` (1-based retry count): base·2ⁿ⁻¹, capped.
pub fn backoff(base: Duration, max: Duration, retry: u32) -> Duration {
    base.saturating_mul(1u32 << (retry - 1).min(16)).min(max)
}

impl K8sTarget {
    /// Runs `f` until it succeeds, fails for good, or attempts run out. Retries are
    /// logged and noted for `object`'s change.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        object: &str,
        op: &'static str,
        mut f: F,
    ) -> Result<T, K8sError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let o = &self.opts;
        let mut retry = 0;
        loop {
            let err = match tokio::time::timeout(o.request_timeout, f()).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) if !retryable(&e) => {
                    return Err(K8sError::Api {
                        object: object.into(),
                        op,
                        source: e,
                    })
                }
                Ok(Err(e)) => K8sError::Api {
                    object: object.into(),
                    op,
                    source: e,
                },
                Err(_) => K8sError::Timeout {
                    object: object.into(),
                    op,
                    ms: o.request_timeout.as_millis(),
                },
            };
            retry += 1;
            if retry >= o.attempts {
                return Err(err);
            }
            let wait = backoff(o.backoff_base, o.backoff_max, retry);
            tracing::warn!(object, op, error = %err, retry, wait_ms = wait.as_millis() as u64, "kubernetes call failed, retrying");
            self.retries
                .lock()
                .expect("retry notes lock")
                .entry(object.to_string())
                .or_default()
                .push(format!(
                    "{op}: retry {retry} after {}ms: {err}",
                    wait.as_millis()
                ));
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

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
