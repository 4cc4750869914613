//! `HaCluster`: the Pacemaker/Corosync cluster of the balancer pair.
//!
//! agent owns only the CIB ids declared here; resources and constraints it did
//! not declare are reported, never removed.

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
    /// The floating IP (`ocf:heartbeat:IPaddr2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<Vip>,
    /// Other primitive resources (HAProxy...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub constraints: Constraints,
    /// Escape hatch: CIB elements the model cannot express (groups, clones, bundles,
    /// constraints with rules or sets), verbatim XML, owned by their top-level ids.
    #[serde(default, skip_serializing_if = "CibRaw::is_empty")]
    pub raw: CibRaw,
}

/// Verbatim CIB elements, one XML element per entry, by `<configuration>` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CibRaw {
    /// Elements of `<resources>` (`<group>`, `<clone>`, `<bundle>`, `<primitive>`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Elements of `<constraints>` (`<rsc_location>` with rules, resource sets...).
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resource {
    /// CIB id.
    pub id: String,
    pub class: ResourceClass,
    /// OCF provider (`heartbeat`, `pacemaker`); only for class `ocf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Agent type (`IPaddr2`, `haproxy`...).
    #[serde(rename = "type")]
    pub agent: String,
    /// Instance attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Meta attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<Operation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResourceClass {
    Ocf,
    Lsb,
    Systemd,
    /// A fencing device (`stonith:fence_ipmilan`...).
    Stonith,
}

impl ResourceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceClass::Ocf => "ocf",
            ResourceClass::Lsb => "lsb",
            ResourceClass::Systemd => "systemd",
            ResourceClass::Stonith => "stonith",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Operation {
    /// `monitor`, `start`, `stop`...
    pub name: String,
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
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
}

/// `rsc` runs where `withRsc` runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Colocation {
    pub id: String,
    pub rsc: String,
    pub with_rsc: String,
    /// `INFINITY`, `-INFINITY` or an integer.
    pub score: String,
}

/// Start `first` before `then`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub first: String,
    pub then: String,
    /// `Mandatory` (default), `Optional`, `Serialize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Location {
    pub id: String,
    pub rsc: String,
    pub node: String,
    pub score: String,
}
