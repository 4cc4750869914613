//! `history:` and `web:` in agent.yaml: how much history `agent run` and `agent apply`
//! keep in `<stateDir>/history.db`, and the credentials of the web view and API.

use super::duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HistoryConfig {
    /// Record cycles (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Delete entries older than this (default 90d).
    #[serde(default = "ninety_days", with = "duration::option")]
    #[schemars(with = "Option<duration::DurationText>")]
    pub max_age: Option<Duration>,
    /// Keep at most this many entries, the newest (default 10000).
    #[serde(default = "ten_thousand")]
    pub max_entries: Option<u64>,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            max_age: ninety_days(),
            max_entries: ten_thousand(),
        }
    }
}

impl HistoryConfig {
    pub fn retention(&self) -> crate::history::retention::Retention {
        crate::history::retention::Retention {
            max_age: self.max_age,
            max_entries: self.max_entries,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebConfig {
    /// File holding the access token of the page, `/status`, `/metrics` and `/api/*`
    /// (one line; keep it 0600). Sent as `Authorization: Bearer TOKEN`, or as the
    /// password of basic auth (any user name) from a browser. Required when `listen`
    /// is not a loopback address; when set, required on loopback too.
    #[serde(default)]
    pub auth_file: Option<PathBuf>,
}

fn yes() -> bool {
    true
}
fn ninety_days() -> Option<Duration> {
    Some(Duration::from_secs(90 * 86_400))
}
fn ten_thousand() -> Option<u64> {
    Some(10_000)
}
