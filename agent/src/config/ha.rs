//! `leaderElection:` in agent.yaml: several `agent run` on one Lease, only the holder
//! applies (README, "High availability of the agent (Lease)"; [`crate::lease`]).

use super::duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LeaderElectionConfig {
    /// Name of the `coordination.k8s.io/v1` Lease (a DNS subdomain), shared by the agents;
    /// with `shard:`, the Lease is `<lease>-<shard>` (one per shard).
    pub lease: String,
    /// Namespace of the Lease (it must exist; the agent needs get, create and update on
    /// leases there).
    pub namespace: String,
    /// `leaseDurationSeconds`: how long after its last renewal a holder that went silent
    /// keeps the Lease (default 15s, whole seconds, at least 1s).
    #[serde(default = "fifteen_seconds", with = "duration")]
    #[schemars(with = "duration::DurationText")]
    pub duration: Duration,
    /// How often the holder renews and the others look (default 10s; shorter than
    /// `duration`).
    #[serde(default = "ten_seconds", with = "duration")]
    #[schemars(with = "duration::DurationText")]
    pub renew: Duration,
    /// `holderIdentity` (default: host name and state directory); unique per agent.
    #[serde(default)]
    pub identity: Option<String>,
}

fn fifteen_seconds() -> Duration {
    Duration::from_secs(15)
}
fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}

/// A DNS-1123 subdomain, as the API server requires of names and namespaces.
fn dns_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !s.starts_with(['-', '.'])
        && !s.ends_with(['-', '.'])
}

impl LeaderElectionConfig {
    /// The Lease this agent takes part in: `lease`, or `<lease>-<shard>` for an agent
    /// of a shard, so that the agents of different shards never wait for each other.
    pub fn lease_name(&self, shard: Option<&str>) -> String {
        match shard {
            Some(s) => format!("{}-{s}", self.lease),
            None => self.lease.clone(),
        }
    }

    /// What is wrong, as (key to point at, message, hint).
    pub fn problem(&self) -> Option<(&'static str, String, &'static str)> {
        if !dns_name(&self.lease, 253) {
            return Some((
                "lease",
                format!(
                    "leaderElection.lease `{}` is not a valid object name",
                    self.lease
                ),
                "lowercase letters, digits, '-' and '.', e.g. `lease: agent`",
            ));
        }
        if !dns_name(&self.namespace, 63) || self.namespace.contains('.') {
            return Some((
                "namespace",
                format!(
                    "leaderElection.namespace `{}` is not a valid namespace name",
                    self.namespace
                ),
                "lowercase letters, digits and '-', e.g. `namespace: agent-system`",
            ));
        }
        if self.duration < Duration::from_secs(1) || self.duration.subsec_nanos() != 0 {
            return Some((
                "duration",
                format!(
                    "leaderElection.duration must be whole seconds, at least 1s, not {:?}",
                    self.duration
                ),
                "leaseDurationSeconds is an integer; e.g. `duration: 15s`",
            ));
        }
        if self.renew.is_zero() || self.renew >= self.duration {
            return Some((
                "renew",
                format!(
                    "leaderElection.renew ({:?}) must be positive and shorter than duration ({:?})",
                    self.renew, self.duration
                ),
                "e.g. `duration: 15s, renew: 10s`: a renewal that fails once is retried before the lease expires",
            ));
        }
        if self
            .identity
            .as_deref()
            .is_some_and(|i| i.trim().is_empty())
        {
            return Some((
                "identity",
                "leaderElection.identity is empty".into(),
                "leave it out (host name and state directory) or give each agent its own",
            ));
        }
        None
    }
}

/// What is wrong with `shard:` (alone, or as part of the Lease name), as
/// (key to point at, message, hint).
pub fn shard_problem(
    shard: Option<&str>,
    le: Option<&LeaderElectionConfig>,
) -> Option<(&'static str, String, &'static str)> {
    let s = shard?;
    if s.is_empty() || !schema::validate::node::is_label_value(s) {
        return Some((
            "shard",
            format!("shard `{s}` is not a label value"),
            "the value of the hosts' `shard` label: letters, digits, '-', '_' and '.', 63 at most, e.g. `shard: eu-1`",
        ));
    }
    let name = le?.lease_name(shard);
    (!dns_name(&name, 253)).then(|| {
        (
            "shard",
            format!("the Lease of shard `{s}` would be named `{name}`, which is not a valid object name"),
            "with leaderElection the shard names the Lease `<lease>-<shard>`: use lowercase letters, digits, '-' and '.' in the shard name",
        )
    })
}
