//! Targets: the parts of the platform the agent converges, one folder per kind
//! behind one trait ([`target::Target`]), listed in [`registry`]. Host-level kinds
//! (gateway, balancer) share the host-file machinery in [`hostfiles`].

pub mod balancer;
pub mod cluster;
pub mod gateway;
pub mod hostfiles;
pub mod nodes;
pub mod registry;
pub mod target;
pub mod workloads;
