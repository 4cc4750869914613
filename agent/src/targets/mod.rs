//! Targets: the parts of the platform agent converges. Host-level targets
//! (gateway, balancer) share the managed-file machinery in [`files`]; each
//! adds its own facts, ordering and health checks.

pub mod files;
pub mod remote;

#[cfg(test)]
mod files_tests;
