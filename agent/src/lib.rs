//! `agent`: the GitOps reconciliation agent.
//!
//! One reconcile cycle is a chain of plain values (see DESIGN.md §2):
//! `source` (Git → immutable snapshot) → `schema` (typed desired state) →
//! `render` (per-host files, CIB fragment, Kubernetes objects) → observe →
//! change set → rollout → report. Each module owns one step.

pub mod cli;
pub mod config;
pub mod engine;
pub mod localcheck;
pub mod mask;
pub mod plan;
pub mod render;
pub mod report;
pub mod run;
pub mod secrets;
pub mod source;
pub mod ssh;
pub mod targets;
#[cfg(feature = "test-double")]
pub mod testing;
pub mod textdiff;
pub mod trust;
pub mod validate;
