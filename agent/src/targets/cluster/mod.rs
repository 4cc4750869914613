//! The HA target: the Pacemaker CIB of the balancer pair, owned by id.
//!
//! Pipeline: [`observe`] (one round trip on the first node that answers) →
//! [`plan()`] (normalise, compare the ids Git declares, validate agents and
//! parameters against their metadata, build the desired CIB) → [`apply`] (one
//! `crm_diff` patch, `crm_verify`-checked on a shadow copy, applied with
//! `cibadmin --patch` only if the configuration version is still the observed
//! one; retried on conflict; then wait for `crm_mon` to show the declared
//! resources started, else restore the previous state of the declared ids).
//!
//! Guarantees: nothing undeclared is changed (stray `cli-*` constraints only
//! under [`ClusterPolicy::remove_stray_location_constraints`]); an invalid
//! desired state never reaches the live CIB; an unchanged desired state sends
//! no patch at all (the CIB epoch stays the same). corosync.conf is compared and
//! written only under the `corosync: reload` policy (the totem token, see
//! [`corosync_apply`]).
//!
//! Every script starts with [`ClusterAccess::prelude`], so the same scripts run
//! on a real node (empty prelude) and against a CIB file (`CIB_file=…`, tests).

pub mod access;
pub mod apply;
pub mod canon;
pub mod cib;
pub mod compare;
pub mod corosync;
pub mod corosync_apply;
pub mod error;
pub mod jobs;
pub mod merge;
pub mod observe;
pub mod plan;
pub mod preview;
pub mod render;
pub mod render_constraints;
pub mod render_rsc;
pub mod settle;
pub mod status;
pub mod target;
pub mod xml;

pub use access::{ApplyOptions, ClusterAccess, ClusterPolicy};
pub use apply::{apply, dry_run, preview, ApplyReport};
pub use corosync::CorosyncWant;
pub use error::ClusterError;
pub use jobs::{jobs, ClusterJob};
pub use observe::{observe, Observed};
pub use plan::{declared_agents, diff, parse_fragment, plan, ClusterPlan};
pub use settle::{placement, vip_holder};
