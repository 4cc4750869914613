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

pub mod apply;
pub mod client;
pub mod error;
pub mod health;
mod inventory;
pub mod normalize;
pub mod observe;
pub mod order;
pub mod plan;
pub mod render;
pub mod target;

pub use apply::K8sApplyReport;
pub use client::{
    K8sOptions, K8sTarget, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SOURCE_ANNOTATION, TARGET,
};
pub use error::K8sError;
pub use health::{rollout_state, ObjectHealth};
pub use order::ObjectRef;
pub use plan::K8sPlan;
