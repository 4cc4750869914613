//! The balancer target: HAProxy on the balancer hosts. Pure parts — rendering
//! ([`render`]), the config reader ([`cfg`]), the reload-or-runtime decision
//! ([`runtime`]) and runtime drift ([`drift`], [`drift_changes`]) — and the parts
//! that run commands on a host and return outcomes ([`runtime_apply`],
//! [`drift_apply`], the health script in [`health`]). [`kind::Balancer`] plugs it
//! into the shared host-file machinery.

pub mod cfg;
pub mod drift;
pub mod drift_apply;
pub mod drift_changes;
pub mod health;
pub mod kind;
pub mod render;
pub mod render_global;
pub mod runtime;
pub mod runtime_apply;

#[cfg(test)]
mod drift_apply_tests;
