//! The workloads target: Kubernetes objects from `Rendered.objects`, converged with
//! server-side apply (field manager `agent`) through the cluster's API.
//!
//! Place in the pipeline: [`K8sTarget::plan`] observes (GET + SSA `dryRun=All`) and
//! returns a [`K8sPlan`] whose [`Change`]s are what `agent diff` prints;
//! [`K8sTarget::execute`] performs exactly that plan (apply in kind order, prune,
//! inventory, rollout waits). [`K8sTarget::diff`] and [`K8sTarget::apply`] chain them.
//!
//! Guarantees:
//! - Only objects in the inventory ConfigMap (`agent-system/agent-inventory`) and
//!   labelled `app.kubernetes.io/managed-by: agent` are ever deleted; the inventory is
//!   widened before any change and narrowed only after deletes succeed, so a crash
//!   never forgets an object; a failed delete stays in the inventory.
//! - Secret `data`/`stringData` values never appear in a diff: each is replaced by a
//!   keyed token ([`Masker::token`]), so a changed key shows, its value does not.
//! - Transient API failures (5xx, 429, non-field-manager 409, timeouts) are retried
//!   with exponential backoff; each object's failure is reported as a [`TargetError`]
//!   and the rest still converges.
//! - Field-manager conflicts are reported; they are overridden only when
//!   [`K8sOptions::force_conflicts`] says so.

mod apply;
mod health;
mod inventory;
mod normalize;
mod observe;
mod order;
mod retry;

pub use health::ObjectHealth;
pub use order::ObjectRef;

use crate::mask::Masker;
use crate::plan::{Change, TargetError};
use kube::api::{ApiResource, DynamicObject};
use kube::{Api, Client};
use std::collections::HashMap;
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
            K8sError::Api { source, .. } => retry::retryable(source),
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

    pub(crate) fn to_target_error(&self) -> TargetError {
        TargetError {
            target: TARGET.into(),
            host: None,
            message: self.to_string(),
            transient: self.transient(),
        }
    }
}

/// One object's planned change plus what `execute` needs to carry it out.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub change: Change,
    pub reference: ObjectRef,
    /// The object to apply (labelled, annotated); `None` for deletes and leftovers.
    pub desired: Option<serde_json::Value>,
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// The result of observing: the changes (`diff` output) and what could not be observed.
#[derive(Debug, Clone, Default)]
pub struct K8sPlan {
    pub changes: Vec<Change>,
    pub errors: Vec<TargetError>,
    pub(crate) items: Vec<Planned>,
    /// Objects of the previous inventory, for `execute`.
    pub(crate) inventory: Vec<ObjectRef>,
    /// The inventory could be read: only then may it be rewritten and pruned from.
    pub(crate) inventory_read: bool,
    /// Every desired object, for the new inventory.
    pub(crate) declared: Vec<ObjectRef>,
    /// The caller's masker plus every Secret value of the desired objects.
    pub(crate) masker: Masker,
}

/// What `execute` did.
#[derive(Debug, Clone, Default)]
pub struct K8sApplyReport {
    /// The plan's changes; `notes` say what happened (applied, pruned, retries).
    pub changes: Vec<Change>,
    pub errors: Vec<TargetError>,
    pub health: Vec<ObjectHealth>,
}

/// Server messages can quote what they were sent: notes and errors are masked too.
pub(crate) fn mask_findings(changes: &mut [Change], errors: &mut [TargetError], masker: &Masker) {
    for c in changes.iter_mut() {
        for n in c.notes.iter_mut() {
            *n = masker.mask(n);
        }
    }
    for e in errors.iter_mut() {
        e.message = masker.mask(&e.message);
    }
}

/// A connection to one cluster plus the policy to converge it with.
pub struct K8sTarget {
    client: Client,
    opts: K8sOptions,
    kinds: Mutex<HashMap<(String, String), (ApiResource, bool)>>,
    /// Retry notes per object (`Kind/ns/name` → lines), collected by every call.
    retries: Mutex<HashMap<String, Vec<String>>>,
}

impl K8sTarget {
    /// `kubeconfig`: an explicit file, else `KUBECONFIG`, `~/.kube/config` or the in-cluster
    /// service account (kube's inference order).
    pub async fn connect(kubeconfig: Option<&Path>, opts: K8sOptions) -> Result<Self, K8sError> {
        let config = match kubeconfig {
            Some(p) => {
                let kc = kube::config::Kubeconfig::read_from(p)
                    .map_err(|e| K8sError::Config(format!("{}: {e}", p.display())))?;
                kube::Config::from_custom_kubeconfig(kc, &Default::default())
                    .await
                    .map_err(|e| K8sError::Config(format!("{}: {e}", p.display())))?
            }
            None => kube::Config::infer()
                .await
                .map_err(|e| K8sError::Config(e.to_string()))?,
        };
        let mut config = config;
        // One retry policy, ours (observable, noted per object), not two stacked.
        config.default_retry = false;
        let client = Client::try_from(config).map_err(|e| K8sError::Config(e.to_string()))?;
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

    pub fn options(&self) -> &K8sOptions {
        &self.opts
    }

    /// `agent diff`: what `apply` would change. Read-only.
    pub async fn diff(&self, objects: &[serde_json::Value], masker: &Masker) -> K8sPlan {
        self.plan(objects, masker).await
    }

    /// `agent apply`: plan, then carry the plan out.
    pub async fn apply(&self, objects: &[serde_json::Value], masker: &Masker) -> K8sApplyReport {
        let plan = self.plan(objects, masker).await;
        self.execute(plan).await
    }

    fn api(&self, ar: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, ar),
            None => Api::all_with(self.client.clone(), ar),
        }
    }

    fn take_retry_notes(&self, object: &str) -> Vec<String> {
        self.retries
            .lock()
            .expect("retry notes lock")
            .remove(object)
            .unwrap_or_default()
    }
}
