//! Targets: the parts of the platform agent converges. Host-level targets
//! (gateway, balancer) share the managed-file machinery in [`files`]; each
//! adds its own facts, ordering and health checks.

pub mod cluster;
pub mod files;
pub mod haproxy_apply;
pub mod haproxy_cfg;
pub mod haproxy_drift;
pub mod haproxy_runtime;
pub mod health;
pub mod hosts;
pub mod k8s;
pub mod remote;
pub mod rollout;

#[cfg(test)]
mod files_tests;
#[cfg(test)]
mod haproxy_drift_apply_tests;
#[cfg(test)]
mod rollout_support_tests;
#[cfg(test)]
mod rollout_tests;
