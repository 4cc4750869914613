//! `agent`: the GitOps reconciliation agent.
//!
//! One reconcile cycle is a chain of plain values (docs/architecture.md):
//! `source` (Git → immutable snapshot) → `schema` (typed desired state) →
//! `render` (each target's part: per-host files, CIB fragments, Kubernetes
//! objects) → observe → change set (`plan`) → rollout (`engine`) → report
//! (`outcome`, `report`). Each module owns one step; every kind of target is one
//! folder under `targets/` behind one trait.

pub mod cli;
pub mod config;
pub mod drill;
pub mod engine;
pub mod exec;
pub mod fence;
pub mod fsutil;
pub mod history;
pub mod import;
pub mod kubeapi;
pub mod lease;
pub mod localcheck;
pub mod mask;
pub mod notify;
pub mod outcome;
pub mod plan;
pub mod preview;
pub mod render;
pub mod rendered;
pub mod report;
pub mod rlimit;
pub mod run;
pub mod secrets;
pub mod shard;
pub mod source;
pub mod ssh;
pub mod targets;
pub mod textdiff;
pub mod trust;
pub mod validate;
pub mod web;
