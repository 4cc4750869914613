//! `HaCluster`: the Pacemaker/Corosync cluster of the balancer pair.
//!
//! agent owns only the CIB ids declared here; resources and constraints it did
//! not declare are reported, never removed.

use super::hacluster_primitive::Resource;
use super::hacluster_rsc::{Bundle, Group, ResourceClone};
use super::hacluster_rules::Rule;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HaClusterSpec {
    /// Corosync `cluster_name`.
    pub cluster_name: String,
    /// Inventory hosts that are cluster nodes (each must have role `balancer`).
    pub nodes: Vec<String>,
    /// Corosync settings: observed and diffed; changed only under an explicit policy
    /// because they need a cluster restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corosync: Option<Corosync>,
    /// `crm_config` cluster properties (`stonith-enabled`, `no-quorum-policy`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// `rsc_defaults` meta attributes (`resource-stickiness`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_defaults: BTreeMap<String, String>,
    /// `op_defaults` meta attributes (`timeout`, `record-pending`...): what every
    /// operation gets unless it says otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operation_defaults: BTreeMap<String, String>,
    /// The floating IP (`ocf:heartbeat:IPaddr2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<Vip>,
    /// Other primitive resources (HAProxy...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Resource templates (`<template>`): a primitive's definition that resources
    /// name with `template:` instead of `class`/`type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<Resource>,
    /// Groups (`<group>`): members start in list order on one node, stop in reverse.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// Clones (`<clone>`) of one resource or group, promotable or not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clones: Vec<ResourceClone>,
    /// Bundles (`<bundle>`): a container image run as replicas, optionally with one
    /// resource inside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bundles: Vec<Bundle>,
    #[serde(default)]
    pub constraints: Constraints,
    /// Escape hatch: CIB elements the model cannot express (e.g. attribute sets with
    /// rules), verbatim XML, owned by their top-level ids.
    #[serde(default, skip_serializing_if = "CibRaw::is_empty")]
    pub raw: CibRaw,
}

impl HaClusterSpec {
    /// Every primitive of the cluster with its path (`spec.groups[0].members[1]`),
    /// templates excluded.
    pub fn primitives(&self) -> Vec<(String, &Resource)> {
        fn group<'s>(out: &mut Vec<(String, &'s Resource)>, at: &str, g: &'s Group) {
            for (j, m) in g.members.iter().enumerate() {
                out.push((format!("{at}.members[{j}]"), m));
            }
        }
        let mut out = Vec::new();
        for (i, r) in self.resources.iter().enumerate() {
            out.push((format!("spec.resources[{i}]"), r));
        }
        for (i, g) in self.groups.iter().enumerate() {
            group(&mut out, &format!("spec.groups[{i}]"), g);
        }
        for (i, c) in self.clones.iter().enumerate() {
            if let Some(r) = &c.resource {
                out.push((format!("spec.clones[{i}].resource"), r));
            }
            if let Some(g) = &c.group {
                group(&mut out, &format!("spec.clones[{i}].group"), g);
            }
        }
        for (i, b) in self.bundles.iter().enumerate() {
            if let Some(r) = &b.resource {
                out.push((format!("spec.bundles[{i}].resource"), r));
            }
        }
        out
    }

    /// Every node name a location may use: the cluster nodes, then the Pacemaker
    /// Remote nodes (`ocf:pacemaker:remote` primitives, by id), the guest nodes
    /// (the `remote-node` meta attribute of a primitive) and the replicas of each
    /// bundle that runs a resource (`<bundle>-0`, `<bundle>-1`...).
    pub fn node_names(&self) -> Vec<String> {
        let mut out = self.nodes.clone();
        for (_, r) in self.primitives() {
            let remote =
                r.agent.as_deref() == Some("remote") && r.provider.as_deref() == Some("pacemaker");
            if remote {
                out.push(r.id.clone());
            }
            out.extend(r.meta.get("remote-node").cloned());
        }
        for b in self.bundles.iter().filter(|b| b.resource.is_some()) {
            let c = &b.container;
            let n = c.replicas.unwrap_or(1).max(c.promoted_max.unwrap_or(0));
            out.extend((0..n).map(|i| format!("{}-{i}", b.id)));
        }
        out
    }

    /// Every resource id constraints may name (with the path of its `id`): primitives,
    /// templates, groups, clones, bundles, the VIP.
    pub fn resource_ids(&self) -> Vec<(String, String)> {
        let mut ids = Vec::new();
        if let Some(v) = &self.vip {
            ids.push(("spec.vip.id".to_string(), v.id.clone()));
        }
        for (at, r) in self.primitives() {
            ids.push((format!("{at}.id"), r.id.clone()));
        }
        for (i, t) in self.templates.iter().enumerate() {
            ids.push((format!("spec.templates[{i}].id"), t.id.clone()));
        }
        for (i, g) in self.groups.iter().enumerate() {
            ids.push((format!("spec.groups[{i}].id"), g.id.clone()));
        }
        for (i, c) in self.clones.iter().enumerate() {
            ids.push((format!("spec.clones[{i}].id"), c.id.clone()));
            if let Some(g) = &c.group {
                ids.push((format!("spec.clones[{i}].group.id"), g.id.clone()));
            }
        }
        for (i, b) in self.bundles.iter().enumerate() {
            ids.push((format!("spec.bundles[{i}].id"), b.id.clone()));
        }
        ids
    }
}

/// Verbatim CIB elements, one XML element per entry, by `<configuration>` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CibRaw {
    /// Elements of `<resources>` the model cannot express (e.g. a primitive whose
    /// attribute sets have rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Elements of `<constraints>` the model cannot express (e.g. a location on a
    /// node the cluster does not know).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
}

impl CibRaw {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.constraints.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Corosync {
    /// totem `token` in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<u32>,
    /// totem `transport` (`knet`, `udpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// quorum `two_node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_node: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Vip {
    /// CIB id of the resource (default `vip`).
    #[serde(default = "vip_id")]
    pub id: String,
    pub ip: String,
    pub cidr_netmask: u8,
    /// Interface; default: let IPaddr2 find the one on the VIP's subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nic: Option<String>,
    /// Monitor interval, e.g. `10s`.
    #[serde(default = "ten_seconds")]
    pub monitor_interval: String,
}

fn vip_id() -> String {
    "vip".into()
}
fn ten_seconds() -> String {
    "10s".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Constraints {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub colocations: Vec<Colocation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<Order>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Resources that run only where a ticket is granted (`rsc_ticket`, multi-site).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tickets: Vec<Ticket>,
}

/// An ordered list of resources inside a constraint (`<resource_set>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceSet {
    /// Resource ids, in order.
    pub resources: Vec<String>,
    /// `false`: the members need no order or colocation among themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<bool>,
    /// `false` (orders): any one member started is enough for the next set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_all: Option<bool>,
    /// Orders: `start`, `stop`, `promote`, `demote`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only this role of the members (`Promoted`, `Started`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Orders: `Mandatory`, `Optional`, `Serialize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `rsc` (or the `sets`) run only where `ticket` is granted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ticket {
    pub id: String,
    pub ticket: String,
    /// The resource (or `sets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsc: Option<String>,
    /// Only this role of `rsc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsc_role: Option<String>,
    /// When the ticket is lost: `stop`, `demote`, `fence`, `freeze`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<ResourceSet>,
}

/// `rsc` runs where `withRsc` runs (or the members of `sets` together).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Colocation {
    pub id: String,
    /// With `withRsc`; or `sets` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_rsc: Option<String>,
    /// Each set is placed with the next (instead of `rsc`/`withRsc`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<ResourceSet>,
    /// `INFINITY`, `-INFINITY` or an integer.
    pub score: String,
    /// Only this role of `rsc` (`Promoted`, `Unpromoted`, `Started`, `Stopped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsc_role: Option<String>,
    /// Only this role of `withRsc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_rsc_role: Option<String>,
    /// Together means the same value of this node attribute (default `#uname`: the
    /// same node), e.g. a rack or a site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_attribute: Option<String>,
    /// `false`: `withRsc` does not move to follow `rsc` (Pacemaker's `influence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub influence: Option<bool>,
}

/// Start `first` before `then` (or each of `sets` before the next).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    /// With `then`; or `sets` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<String>,
    /// Each set starts after the one before (instead of `first`/`then`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<ResourceSet>,
    /// `Mandatory` (default), `Optional`, `Serialize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What of `first` comes first: `start` (default), `stop`, `promote`, `demote`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_action: Option<String>,
    /// What of `then` follows (default: `firstAction`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then_action: Option<String>,
    /// `false`: no reverse order for stopping (default `true` except `Serialize`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symmetrical: Option<bool>,
    /// `false`: `then` may start once any instance of a clone `first` has
    /// (Pacemaker's `require-all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_all: Option<bool>,
    /// Deprecated in Pacemaker for `kind` (0: `Optional`, else `Mandatory`), still
    /// read: kept for configurations that use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
}

/// Where `rsc` may run: on `node` with `score`, or where `rules` hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Location {
    pub id: String,
    /// The resource (or `rscPattern`, or `sets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsc: Option<String>,
    /// A regular expression over resource ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsc_pattern: Option<String>,
    /// The resources this location applies to, instead of `rsc`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<ResourceSet>,
    /// A node (with `score`; or `rules` instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// `INFINITY`, `-INFINITY` or an integer (with `node`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// Only for this role of `rsc` (`Promoted`, `Unpromoted`, `Started`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `always` (default), `never` or `exclusive`: where Pacemaker probes for `rsc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_discovery: Option<String>,
    /// Rules instead of `node`/`score`: each gives its score where it holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}
