//! The shared host-file machinery of every host-level target (gateway, balancer):
//! observe ([`views`]: one round trip per host), compare, and roll out ([`waves`]:
//! HA-aware order; [`step`]: stage, check, swap, reload, health-check, roll back;
//! [`files`]: the scripts, atomic on the host). A kind plugs in through
//! [`kind::HostKind`] and becomes a target with [`target::HostTarget`]. Nothing
//! here knows Apache or HAProxy.

pub mod files;
pub mod ha;
pub mod kind;
pub mod step;
pub mod target;
pub mod views;
pub mod waves;

#[cfg(test)]
mod files_tests;
#[cfg(test)]
pub(crate) mod harness_tests;
#[cfg(test)]
mod rollout_support_tests;
#[cfg(test)]
mod rollout_tests;
