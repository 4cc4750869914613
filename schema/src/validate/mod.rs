//! Validation: the semantic checks that serde cannot express, over the whole state.
//!
//! Runs after loading (by [`crate::load_files`]) and can be run again on any
//! loaded [`DesiredState`] with [`validate`]. It never stops at the first
//! problem: every check runs and every finding is returned, each pointing at the
//! value it concerns (via [`crate::SourceMap`]), saying what is wrong and what
//! would be valid. Severity `Warning` marks what is suspicious but valid.
//!
//! One module per kind; `net` holds the value syntaxes (addresses, durations...).

pub mod apache_names;
mod balancer;
mod balancer_defaults;
mod balancer_global;
pub(crate) mod cx;
mod frontend;
mod gateway;
mod gateway_parts;
mod gateway_site;
mod hacluster;
pub mod hacluster_rsc;
pub mod hacluster_rules;
pub mod haproxy_names;
mod inventory;
pub mod net;
pub mod node;
mod shard;
mod workloads;

use crate::diag::Diagnostics;
use crate::model::*;
use cx::Cx;
use std::collections::BTreeSet;

/// Every semantic error and warning in `state`, sorted by position.
pub fn validate(state: &DesiredState) -> Diagnostics {
    let mut d = check(state, &BTreeSet::new());
    d.sort();
    d
}

/// `failed` names the kinds of documents that could not be decoded (`""`: unknown kind).
/// Checks that depend on a document that failed are skipped, so one typo in the
/// inventory does not also report every host reference as unknown.
pub(crate) fn check(state: &DesiredState, failed: &BTreeSet<String>) -> Diagnostics {
    let inventory_unknown =
        state.inventory.is_none() && (failed.contains("Inventory") || failed.contains(""));
    let mut cx = Cx {
        state,
        diags: Diagnostics::default(),
        hosts_known: state.inventory.is_some(),
    };
    if !inventory_unknown {
        inventory::check(&mut cx);
        shard::check(&mut cx);
    }
    gateway::check(&mut cx);
    balancer::check(&mut cx);
    hacluster::check(&mut cx);
    workloads::check(&mut cx);
    cx.diags
}
