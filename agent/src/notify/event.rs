//! What is reported about a commit, independent of who receives it.

use serde::Serialize;

/// Where a commit stands on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitState {
    /// A new commit: the rollout starts.
    Applying,
    /// Every target holds the commit.
    Applied,
    /// A reload or health check failed and the previous config was restored.
    RolledBack,
    /// A host or target could not be changed (unreachable, rejected config…).
    Failed,
    /// The commit is not accepted (invalid, unsigned, history rewritten): never applied.
    Rejected,
}

impl CommitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitState::Applying => "applying",
            CommitState::Applied => "applied",
            CommitState::RolledBack => "rolled-back",
            CommitState::Failed => "failed",
            CommitState::Rejected => "rejected",
        }
    }

    /// GitHub's `state`: error, failure, pending or success.
    pub fn github(self) -> &'static str {
        match self {
            CommitState::Applying => "pending",
            CommitState::Applied => "success",
            CommitState::RolledBack => "failure",
            CommitState::Failed | CommitState::Rejected => "error",
        }
    }

    /// GitLab's `state`: pending, running, success, failed or canceled.
    pub fn gitlab(self) -> &'static str {
        match self {
            CommitState::Applying => "running",
            CommitState::Applied => "success",
            CommitState::RolledBack | CommitState::Failed => "failed",
            CommitState::Rejected => "canceled",
        }
    }
}

/// One report about one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The full commit id (40 hex digits).
    pub commit: String,
    pub state: CommitState,
    /// One line for people (masked by the caller); cut to 140 characters for GitHub.
    pub description: String,
}

impl Event {
    /// The outcome of a rollout: rolled back wins over failed, failed over applied.
    pub fn of_rollout(commit: &str, rolled_back: bool, failed: bool, summary: &str) -> Event {
        let state = if rolled_back {
            CommitState::RolledBack
        } else if failed {
            CommitState::Failed
        } else {
            CommitState::Applied
        };
        Event {
            commit: commit.to_string(),
            state,
            description: summary.to_string(),
        }
    }

    /// The description cut to `max` characters (GitHub refuses longer ones).
    pub fn short_description(&self, max: usize) -> String {
        if self.description.chars().count() <= max {
            return self.description.clone();
        }
        let mut s: String = self.description.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}
