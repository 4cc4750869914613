//! `rollout:` in agent.yaml: how many independent hosts a host-level rollout changes
//! at once once its canary is healthy (`targets::hostfiles::waves`; the engine's
//! bounded wave runner in `crate::engine`).

use schemars::JsonSchema;
use serde::Deserialize;

/// The default cap: enough to overlap the round trips of a large fleet, small enough
/// that a bad commit the canary missed reaches at most this many hosts before the
/// first failure stops the rollout.
pub const DEFAULT_CONCURRENCY: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutConfig {
    /// Steps of one wave in flight at once (default 20, at least 1). After the canary,
    /// independent hosts (not nodes of one HA cluster, which always go one at a time)
    /// form one wave: a new host starts as soon as one finishes, and none starts after a
    /// step failed, so a failure reaches at most this many hosts.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
}

fn default_concurrency() -> u32 {
    DEFAULT_CONCURRENCY
}

impl Default for RolloutConfig {
    fn default() -> Self {
        RolloutConfig {
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl RolloutConfig {
    /// The cap as a count of steps (never 0).
    pub fn cap(&self) -> usize {
        self.concurrency.max(1) as usize
    }

    /// What is wrong, as (message, hint).
    pub fn problem(&self) -> Option<(String, &'static str)> {
        (self.concurrency == 0).then(|| {
            (
                "rollout.concurrency must be at least 1".to_string(),
                "e.g. `concurrency: 20`; 1 changes one host at a time",
            )
        })
    }
}
