//! The PR preview as plain data: what `agent diff --base` prints as Markdown (a PR
//! comment) and as JSON (the same value, serialized). Built by `super::build`,
//! rendered by `super::markdown`; nothing here does I/O.

use crate::plan::TargetError;
use crate::targets::target::StepPlan;
use serde::Serialize;

/// One revision of the comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// What was asked for (`main`, `refs/pull/7/head`, a commit).
    pub reference: String,
    pub commit: String,
}

/// One line of the summary table: one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryRow {
    pub target: String,
    /// Hosts (or clusters) with a pending change, sorted.
    pub hosts: Vec<String>,
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    /// How apply makes it live: `reload`, `runtime API`, `CIB patch`, `server-side apply`…
    pub path: String,
    /// Whether something needs a restart apply never does (reported only).
    pub restart: bool,
}

/// One object of a section: what apply would do, what the PR changes, what is drift.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPreview {
    /// File path, CIB id, `Kind/namespace/name`.
    pub object: String,
    /// What apply would do, live → PR: `create`, `update`, `delete`, `drift`
    /// (reported only), `unchanged`.
    pub action: String,
    /// The unified diff live → PR (masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_diff: Option<String>,
    /// How apply makes it live, and other notes of the engine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the PR itself changes, base → PR (rendered output, masked); `None` when
    /// the PR's rendering of this object equals the base's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pr_diff: Option<String>,
    /// What already differs on the live side, live → base (a hand edit apply would
    /// revert; not part of the PR), masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_diff: Option<String>,
    /// Live differs from base (also when no text diff is available).
    pub drifted: bool,
}

/// One collapsible section: a host of a target, or a target without hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub objects: Vec<ObjectPreview>,
    /// Position of this host's step in the rollout (1-based), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
}

impl Section {
    pub fn title(&self) -> String {
        match &self.host {
            Some(h) => format!("{} {h}", self.target),
            None => self.target.clone(),
        }
    }

    /// Whether any object of the section carries drift.
    pub fn has_drift(&self) -> bool {
        self.objects.iter().any(|o| o.drifted)
    }
}

/// A host of the PR's inventory compared with the base's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostDelta {
    pub name: String,
    /// `added` (never contacted), `removed`, `changed` (contacted as the base says).
    pub change: String,
    /// YAML diff of the host entry, base → PR.
    pub diff: String,
}

/// What the PR does to the inventory, and who the preview did not contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryPreview {
    pub hosts: Vec<HostDelta>,
    /// Hosts the PR declares that the base does not: not contacted.
    pub not_contacted: Vec<String>,
}

/// The whole PR preview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub base: Revision,
    pub head: Revision,
    pub summary: Vec<SummaryRow>,
    /// The rollout apply would take: its steps in order (waves flattened).
    pub order: Vec<StepPlan>,
    pub inventory: InventoryPreview,
    pub sections: Vec<Section>,
    /// What could not be observed (hosts unreachable…), masked.
    pub errors: Vec<TargetError>,
    /// `shard:` of the agent's config: the preview covers only that shard's hosts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl Preview {
    /// Whether anything would change or already differs.
    pub fn differs(&self) -> bool {
        !self.sections.is_empty()
    }

    /// The exit code, as for `agent diff`: 6 when something could not be observed,
    /// 1 when anything differs, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            6
        } else if self.differs() || !self.inventory.hosts.is_empty() {
            1
        } else {
            0
        }
    }
}
