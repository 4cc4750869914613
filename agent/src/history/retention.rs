//! How much history to keep (`history:` in agent.yaml). A leaf: the config reads it.

use std::time::Duration;

/// How much history to keep (both bounds apply; `None`: unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_age: Option<Duration>,
    pub max_entries: Option<u64>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age: Some(Duration::from_secs(90 * 86_400)),
            max_entries: Some(10_000),
        }
    }
}
