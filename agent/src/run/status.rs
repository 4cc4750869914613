//! What the service knows about itself, as one plain value: served as `/status`,
//! written to `<stateDir>/status.json` after every cycle (atomically: temp file, fsync,
//! rename), and read back by `agent status` when the service is down.

use super::{Cause, Found, Outcome};
use crate::plan::TargetError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The state file's name inside the state directory.
pub const FILE: &str = "status.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Repository URL and branch followed.
    pub repo: String,
    /// `shard:` of agent.yaml: the inventory hosts labelled with it are all this agent
    /// manages (README, "Sharding").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Branch head at the last successful poll.
    pub commit_seen: Option<String>,
    /// The commit being enforced (the last one accepted: the last known good).
    pub commit_desired: Option<String>,
    /// The last commit whose reconcile ended without errors.
    pub commit_applied: Option<String>,
    /// Per target: synced, drifted or failed, as of its last reconcile.
    pub targets: BTreeMap<String, TargetStatus>,
    pub last_error: Option<ErrorStatus>,
    /// Why the branch head is not the commit enforced (fetch failed, history rewritten,
    /// invalid desired state); cleared by the next good poll.
    #[serde(default)]
    pub source_error: Option<ErrorStatus>,
    pub last_cycle: Option<CycleStatus>,
    /// Unix seconds of the last cycle that ended without errors.
    pub last_success: Option<u64>,
    /// Unix seconds of the next scheduled cycle (a webhook may start it earlier).
    pub next_run: Option<u64>,
    pub consecutive_failures: u32,
    /// `leaderElection:`: leader or follower, and who holds the Lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leadership: Option<crate::lease::Leadership>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sync {
    Synced,
    /// Differences found and left alone (policy `observe`).
    Drifted,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetStatus {
    pub sync: Sync,
    pub commit: String,
    /// Drift found and not corrected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Found>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Unix seconds of the reconcile this describes.
    pub at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorStatus {
    pub at: u64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleStatus {
    pub at: u64,
    pub duration_ms: u64,
    /// `None`: polled only (nothing to enforce, or no drift sweep due).
    pub cause: Option<Cause>,
    pub applied: usize,
    pub drift: usize,
    pub errors: usize,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn describe(e: &TargetError) -> String {
    match &e.host {
        Some(h) => format!("{}/{h}: {}", e.target, e.message),
        None => format!("{}: {}", e.target, e.message),
    }
}

impl Status {
    /// Folds one reconcile into the per-target view.
    pub fn record(&mut self, out: &Outcome) {
        let at = unix_now();
        for t in &out.targets {
            let errors: Vec<String> = out
                .errors
                .iter()
                .filter(|e| &e.target == t)
                .map(describe)
                .collect();
            let drift: Vec<Found> = out
                .drift
                .iter()
                .filter(|f| &f.target == t)
                .cloned()
                .collect();
            let sync = if !errors.is_empty() {
                Sync::Failed
            } else if !drift.is_empty() {
                Sync::Drifted
            } else {
                Sync::Synced
            };
            self.targets.insert(
                t.clone(),
                TargetStatus {
                    sync,
                    commit: out.commit.clone(),
                    drift,
                    errors,
                    at,
                },
            );
        }
        if let Some(e) = out.errors.first() {
            let more = match out.errors.len() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            self.error(format!("{}{more}", describe(e)));
        }
    }

    /// Records a source problem: as the last error and as the current source error.
    pub fn source_error(&mut self, message: String) {
        self.error(message);
        self.source_error = self.last_error.clone();
    }

    pub fn error(&mut self, message: String) {
        self.last_error = Some(ErrorStatus {
            at: unix_now(),
            message,
        });
    }

    /// Writes the status to `<dir>/status.json` so that a reader sees the old or the new
    /// file, never a partial one.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(&dir.join(FILE), &json)
    }

    pub fn load(dir: &Path) -> std::io::Result<Status> {
        let bytes = std::fs::read(dir.join(FILE))?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }
}

/// The service's state files (`status.json`, `last-good.json`): replaced atomically,
/// readable by their owner only (as they always were).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, bytes, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(target: &str) -> Found {
        Found {
            target: target.into(),
            host: Some("ha1".into()),
            object: "/etc/haproxy/haproxy.cfg".into(),
        }
    }

    #[test]
    fn targets_are_failed_drifted_or_synced() {
        let mut s = Status::default();
        s.record(&Outcome {
            commit: "c1".into(),
            targets: vec!["balancer".into(), "gateway".into(), "cluster".into()],
            applied: vec![found("gateway")],
            drift: vec![found("balancer")],
            errors: vec![TargetError {
                target: "cluster".into(),
                host: None,
                message: "cibadmin failed".into(),
                transient: true,
            }],
            ..Default::default()
        });
        assert_eq!(s.targets["balancer"].sync, Sync::Drifted);
        assert_eq!(s.targets["gateway"].sync, Sync::Synced);
        assert_eq!(s.targets["cluster"].sync, Sync::Failed);
        assert_eq!(s.last_error.unwrap().message, "cluster: cibadmin failed");
    }

    #[test]
    fn state_file_round_trips_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Status {
            repo: "file:///r main".into(),
            commit_seen: Some("abc".into()),
            ..Default::default()
        };
        s.save(dir.path()).unwrap();
        s.consecutive_failures = 3;
        s.save(dir.path()).unwrap();
        assert_eq!(Status::load(dir.path()).unwrap(), s);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp files left behind");
    }
}
