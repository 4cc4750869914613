//! Wiring: which clusters a desired state declares, ready for [`diff`](super::diff)
//! and [`apply`](super::apply()).
//!
//! Pairs each rendered [`CibFragment`](crate::render::CibFragment) with its
//! `HaCluster` document (corosync settings, nodes) by `metadata.name`, and
//! reaches the cluster through its nodes in declared order.

use super::access::ClusterAccess;
use super::corosync::CorosyncWant;
use super::error::ClusterError;
use super::plan::parse_fragment;
use super::xml::Elem;
use crate::rendered::Rendered;
use schema::DesiredState;

/// One cluster to compare or converge.
#[derive(Debug, Clone)]
pub struct ClusterJob {
    /// `HaCluster` metadata.name.
    pub name: String,
    pub fragment: Elem,
    pub corosync: CorosyncWant,
    pub access: ClusterAccess,
    /// CIB id of the VIP resource, when the document declares one.
    pub vip_id: Option<String>,
}

/// Every declared cluster; an unparsable fragment is an error for that cluster only.
pub fn jobs(state: &DesiredState, rendered: &Rendered) -> Vec<Result<ClusterJob, ClusterError>> {
    rendered
        .cib
        .iter()
        .map(|f| {
            let doc = state
                .clusters
                .iter()
                .find(|c| c.doc.metadata.name == f.cluster);
            let spec = doc.map(|d| &d.doc.spec);
            Ok(ClusterJob {
                name: f.cluster.clone(),
                fragment: parse_fragment(f)?,
                corosync: spec
                    .map(|s| CorosyncWant::from_spec(s).with_addresses(state))
                    .unwrap_or_default(),
                access: ClusterAccess::live(f.nodes.clone()),
                vip_id: spec.and_then(|s| s.vip.as_ref()).map(|v| v.id.clone()),
            })
        })
        .collect()
}
