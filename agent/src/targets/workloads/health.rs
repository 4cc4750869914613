//! After apply: wait (bounded) for each declared Deployment to finish rolling out,
//! judged the way `kubectl rollout status` does, and report per object.

use super::client::K8sTarget;
use super::plan::Planned;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectHealth {
    /// `Deployment/namespace/name`.
    pub object: String,
    pub healthy: bool,
    /// `2/2 replicas available`, or what is still missing.
    pub message: String,
}

/// Is the rollout of this Deployment finished, and if not, what is missing?
pub fn rollout_state(o: &Value) -> Result<String, String> {
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    let status = &o["status"];
    let generation = n(&o["metadata"]["generation"]);
    if n(&status["observedGeneration"]) < generation {
        return Err(format!(
            "waiting for the controller to observe generation {generation}"
        ));
    }
    let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
    let (updated, available, total) = (
        n(&status["updatedReplicas"]),
        n(&status["availableReplicas"]),
        n(&status["replicas"]),
    );
    if updated < want {
        return Err(format!("{updated}/{want} replicas updated"));
    }
    if total > updated {
        return Err(format!(
            "{} old replicas pending termination",
            total - updated
        ));
    }
    if available < want {
        return Err(format!("{available}/{want} replicas available"));
    }
    Ok(format!("{available}/{want} replicas available"))
}

impl K8sTarget {
    /// Polls one Deployment until it is rolled out or `rollout_timeout` passes.
    pub(crate) async fn wait_rollout(&self, p: &Planned) -> ObjectHealth {
        let object = p.change.object.clone();
        let api = self.api(&p.resource, p.reference.namespace.as_deref());
        let deadline = Instant::now() + self.opts.rollout_timeout;
        loop {
            let state = match self
                .call(&object, "get", || api.get(&p.reference.name))
                .await
            {
                Ok(d) => rollout_state(&serde_json::to_value(d).expect("API objects serialise")),
                Err(e) => Err(e.to_string()),
            };
            match state {
                Ok(message) => {
                    return ObjectHealth {
                        object,
                        healthy: true,
                        message,
                    }
                }
                Err(message) if Instant::now() >= deadline => {
                    let secs = self.opts.rollout_timeout.as_secs_f64();
                    return ObjectHealth {
                        object,
                        healthy: false,
                        message: format!("not rolled out after {secs}s: {message}"),
                    };
                }
                Err(_) => tokio::time::sleep(self.opts.poll_interval).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(generation: i64, status: Value) -> Value {
        json!({"metadata": {"generation": generation}, "spec": {"replicas": 2}, "status": status})
    }

    #[test]
    fn a_rollout_is_done_when_the_new_generation_is_fully_available() {
        let done = json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2});
        assert_eq!(
            rollout_state(&dep(3, done.clone())),
            Ok("2/2 replicas available".into())
        );
        assert!(rollout_state(&dep(4, done))
            .unwrap_err()
            .contains("generation 4"));
        let surging = json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2});
        assert!(rollout_state(&dep(3, surging))
            .unwrap_err()
            .contains("1 old replicas"));
        let starting = json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1});
        assert_eq!(
            rollout_state(&dep(3, starting)),
            Err("1/2 replicas available".into())
        );
        assert!(rollout_state(&dep(1, json!({}))).is_err(), "no status yet");
    }
}
