//! A connection to one Kubernetes cluster plus the policy to converge it with, and
//! the one way every API call is made ([`K8sTarget::call`]: a per-call timeout,
//! retries with exponential backoff for failures that may pass).

use super::error::{retryable, K8sError};
pub use crate::kubeapi::connect;
use kube::api::{ApiResource, DynamicObject};
use kube::{Api, Client};
use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// `Change.target` of every workload change.
pub const TARGET: &str = "workloads";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "agent";
/// Where an object came from (file or document in the desired-state repo).
pub const SOURCE_ANNOTATION: &str = "agent/source";

/// Policy and tuning of the workloads target.
#[derive(Debug, Clone)]
pub struct K8sOptions {
    pub field_manager: String,
    /// Take over fields other managers own (`force=true`). Off: conflicts are reported.
    pub force_conflicts: bool,
    /// Delete objects of the previous inventory that Git no longer declares.
    pub prune: bool,
    pub inventory_namespace: String,
    pub inventory_name: String,
    /// Annotation value for objects that carry no [`SOURCE_ANNOTATION`] of their own.
    pub source: String,
    /// One API call; longer counts as a (retried) timeout.
    pub request_timeout: Duration,
    /// Attempts per call, the first included.
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long `execute` waits for Deployments to roll out.
    pub rollout_timeout: Duration,
    pub poll_interval: Duration,
}

impl Default for K8sOptions {
    fn default() -> Self {
        K8sOptions {
            field_manager: "agent".into(),
            force_conflicts: false,
            prune: true,
            inventory_namespace: "agent-system".into(),
            inventory_name: "agent-inventory".into(),
            source: "git".into(),
            request_timeout: Duration::from_secs(10),
            attempts: 4,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
            rollout_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// A connection to one cluster plus the policy to converge it with.
pub struct K8sTarget {
    pub(crate) client: Client,
    pub(crate) opts: K8sOptions,
    pub(crate) kinds: Mutex<HashMap<(String, String), (ApiResource, bool)>>,
    /// Retry notes per object (`Kind/ns/name` → lines), collected by every call.
    pub(crate) retries: Mutex<HashMap<String, Vec<String>>>,
}

impl K8sTarget {
    /// [`connect`], then [`K8sTarget::from_client`].
    pub async fn connect(kubeconfig: Option<&Path>, opts: K8sOptions) -> Result<Self, K8sError> {
        let client = connect(kubeconfig)
            .await
            .map_err(|e| K8sError::Config(e.0))?;
        Ok(Self::from_client(client, opts))
    }

    pub fn from_client(client: Client, opts: K8sOptions) -> Self {
        K8sTarget {
            client,
            opts,
            kinds: Mutex::new(HashMap::new()),
            retries: Mutex::new(HashMap::new()),
        }
    }

    /// The API client (`agent import` lists objects with it).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn options(&self) -> &K8sOptions {
        &self.opts
    }

    pub(crate) fn api(&self, ar: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, ar),
            None => Api::all_with(self.client.clone(), ar),
        }
    }

    pub(crate) fn take_retry_notes(&self, object: &str) -> Vec<String> {
        self.retries
            .lock()
            .expect("retry notes lock")
            .remove(object)
            .unwrap_or_default()
    }
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
