//! The change set: what differs between Git and reality, as plain data.
//!
//! `agent diff` prints it, `agent apply` executes it, logs and status record it:
//! the same value each time (decisions are values). Diff texts inside are already masked.

use serde::{Deserialize, Serialize};

/// What applying a change does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Absent on the host/cluster; Git declares it.
    Create,
    /// Present but different.
    Update,
    /// Owned by agent, no longer declared in Git.
    Delete,
    /// Present, not owned by agent: reported, never touched.
    Unmanaged,
    /// Differs from Git, but the operator's policy says to report it only (a stray
    /// `cli-prefer-*` constraint, corosync.conf): never applied, yet a difference.
    Drift,
    /// In sync.
    Unchanged,
}

impl Action {
    pub fn is_change(self) -> bool {
        matches!(self, Action::Create | Action::Update | Action::Delete)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Unmanaged => "unmanaged",
            Action::Drift => "drift",
            Action::Unchanged => "unchanged",
        }
    }
}

/// One object compared: a file on a host, a CIB id, a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `gateway`, `balancer`, `cluster`, `workloads`.
    pub target: String,
    /// Inventory host, when the object lives on one host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// File path, CIB id or `Kind/namespace/name`.
    pub object: String,
    pub action: Action,
    /// Unified diff (live → desired), secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Short human notes (`vip: op monitor interval 10s → 20s`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A host or cluster that could not be observed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetError {
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub message: String,
    /// Retrying later may help (unreachable host) as opposed to a bad desired state.
    pub transient: bool,
}

/// Everything one comparison found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSet {
    /// Commit of the desired state compared.
    pub commit: String,
    /// The shard compared (`shard:` in agent.yaml); `None`: every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub changes: Vec<Change>,
    pub errors: Vec<TargetError>,
}

/// Exit codes shared by `diff` and `apply` (the kubectl/flux convention).
pub mod exit {
    /// In sync (diff) / converged (apply).
    pub const OK: u8 = 0;
    /// Differences found (diff only).
    pub const DIFFERENCES: u8 = 1;
    /// Invalid desired state, or a target/host failed.
    pub const ERROR: u8 = 2;
}

impl ChangeSet {
    pub fn pending(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action.is_change())
    }

    pub fn has_changes(&self) -> bool {
        self.pending().next().is_some()
    }

    /// Everything that differs from Git: pending changes and drift a policy only reports.
    pub fn differing(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.action.is_change() || c.action == Action::Drift)
    }

    /// 2 when anything failed, else 1 when something differs (also drift that is only
    /// reported), else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            exit::ERROR
        } else if self.differing().next().is_some() {
            exit::DIFFERENCES
        } else {
            exit::OK
        }
    }

    /// Stable order: by target, host, object.
    pub fn sort(&mut self) {
        self.changes
            .sort_by(|a, b| (&a.target, &a.host, &a.object).cmp(&(&b.target, &b.host, &b.object)));
        self.errors
            .sort_by(|a, b| (&a.target, &a.host).cmp(&(&b.target, &b.host)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: Action) -> Change {
        Change {
            target: "balancer".into(),
            host: Some("ha1".into()),
            object: "/f".into(),
            action,
            diff: None,
            notes: vec![],
        }
    }

    #[test]
    fn exit_code_follows_the_worst_finding() {
        let mut cs = ChangeSet::default();
        assert_eq!(cs.exit_code(), exit::OK);
        cs.changes.push(change(Action::Unchanged));
        cs.changes.push(change(Action::Unmanaged));
        assert_eq!(
            cs.exit_code(),
            exit::OK,
            "unmanaged objects are reported, not changes"
        );
        cs.changes.push(change(Action::Update));
        assert_eq!(cs.exit_code(), exit::DIFFERENCES);
        cs.errors.push(TargetError {
            target: "gateway".into(),
            host: Some("gw".into()),
            message: "refused".into(),
            transient: true,
        });
        assert_eq!(cs.exit_code(), exit::ERROR);
    }
}
