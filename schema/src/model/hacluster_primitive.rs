//! `HaCluster` primitives (and templates): class, agent, attributes, operations.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A primitive resource (`<primitive>`), or a template (`<template>`) in `templates`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resource {
    /// CIB id.
    pub id: String,
    /// Resource class; required unless `template` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ResourceClass>,
    /// OCF provider (`heartbeat`, `pacemaker`); only for class `ocf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Agent type (`IPaddr2`, `haproxy`...); required unless `template` is set.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The id of a `templates` entry this resource takes its class, type, params,
    /// meta and operations from (its own override them). Not for templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Free text (`description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Instance attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Meta attributes (`target-role`, `resource-stickiness`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Utilization attributes (`cpu`, `memory`...) for placement strategies.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utilization: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<Operation>,
}

impl Resource {
    /// `class:provider:type` (`class:type` without provider); `None` for a
    /// resource that takes them from a template.
    pub fn agent_name(&self) -> Option<String> {
        let class = self.class?.as_str();
        let agent = self.agent.as_deref()?;
        Some(match &self.provider {
            Some(p) => format!("{class}:{p}:{agent}"),
            None => format!("{class}:{agent}"),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResourceClass {
    Ocf,
    Lsb,
    Systemd,
    /// A fencing device (`stonith:fence_ipmilan`...).
    Stonith,
    /// `service:NAME`: systemd, upstart or LSB, whichever the node has.
    Service,
    /// Nagios plugins (`nagios:check_http`).
    Nagios,
    /// Upstart jobs (old distributions).
    Upstart,
}

impl ResourceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceClass::Ocf => "ocf",
            ResourceClass::Lsb => "lsb",
            ResourceClass::Systemd => "systemd",
            ResourceClass::Stonith => "stonith",
            ResourceClass::Service => "service",
            ResourceClass::Nagios => "nagios",
            ResourceClass::Upstart => "upstart",
        }
    }
}

/// One `<op>` of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Operation {
    /// `monitor`, `start`, `stop`, `promote`, `demote`, `notify`...
    pub name: String,
    /// How often (`10s`); `0s` for actions that are not recurring.
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Only in this role: `Started`, `Stopped`, `Promoted`, `Unpromoted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// What a failure does: `ignore`, `block`, `stop`, `restart`, `fence`,
    /// `standby`, `demote`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_fail: Option<String>,
    /// `false` disables a recurring operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Record the operation as pending while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_pending: Option<bool>,
    /// Delay before the first run (`start-delay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_delay: Option<String>,
    /// When a recurring operation is anchored (`interval-origin`, an ISO 8601 time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_origin: Option<String>,
    /// What must hold before it runs: `nothing`, `quorum`, `fencing`, `unfencing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Instance attributes of the operation (`OCF_CHECK_LEVEL`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Meta attributes of the operation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
}
