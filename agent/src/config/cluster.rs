//! `cluster:` in agent.yaml (the cluster target's operator decisions).

use schemars::JsonSchema;
use serde::Deserialize;

/// `cluster:` in agent.yaml: the two decisions about a Pacemaker cluster that belong
/// to the operator, not to the repo. Both default to reporting only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterConfig {
    /// Location constraints left by `pcs resource move/ban` (`cli-prefer-*`, `cli-ban-*`).
    #[serde(default)]
    pub stray_constraints: StrayConstraints,
    /// corosync.conf drift.
    #[serde(default)]
    pub corosync: CorosyncPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StrayConstraints {
    /// Show them in `diff` and leave them (default).
    #[default]
    Report,
    /// `apply` deletes them (the placement then follows the declared constraints).
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CorosyncPolicy {
    /// Show differences, never write (default).
    #[default]
    Report,
    /// Write the declared totem token on every node and reload corosync
    /// (`corosync-cfgtool -R`); settings that need a restart stay report-only.
    Reload,
}
