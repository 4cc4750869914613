//! Live platform data for the web view, beside what the cycles found: HAProxy's
//! per-server state ([`balancer`]), the Pacemaker cluster ([`cluster`]), the workloads'
//! health ([`workloads`]). Read-only.
//!
//! Each collector is one function of the same shape, `collect(&Context) -> Section<T>`
//! (so it can become a method of its target later), and [`gather`] runs them
//! concurrently, each bounded in time: a host that hangs shows as an error in its
//! section, never as a stuck page. `agent run` gathers after each cycle, in its loop (so
//! never while a cycle runs); a page load only renders the last gathering.

pub mod balancer;
pub mod cluster;
pub mod context;
pub mod workloads;

pub use context::{Context, Section};

use crate::exec::Remote;
use schema::DesiredState;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;

/// An inventory host, for the platform map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub name: String,
    pub address: String,
    /// `gateway`, `balancer`, `worker`...
    pub roles: Vec<String>,
}

/// Everything the page shows live, as of `at` (unix seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveView {
    pub at: u64,
    /// The inventory of the commit enforced.
    pub hosts: Vec<HostInfo>,
    /// HAProxy's own stats page (`http://VIP:PORT/URI`), when the Balancer declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats_page: Option<String>,
    pub balancers: Section<balancer::BalancerLive>,
    pub clusters: Section<cluster::ClusterLive>,
    pub workloads: Section<workloads::WorkloadLive>,
}

/// Runs every collector at once, each cut off after `limit`.
pub async fn gather<R: Remote>(cx: &Context<'_, R>, limit: Duration) -> LiveView {
    let (balancers, clusters, workloads) = tokio::join!(
        bounded(limit, balancer::collect(cx)),
        bounded(limit, cluster::collect(cx)),
        bounded(limit, workloads::collect(cx)),
    );
    LiveView {
        at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        hosts: hosts(cx.state),
        stats_page: stats_page(cx.state),
        balancers,
        clusters,
        workloads,
    }
}

fn hosts(state: &DesiredState) -> Vec<HostInfo> {
    state
        .hosts()
        .iter()
        .map(|h| HostInfo {
            name: h.name.clone(),
            address: h.address.clone(),
            roles: h
                .roles
                .iter()
                .map(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                })
                .collect(),
        })
        .collect()
}

fn stats_page(state: &DesiredState) -> Option<String> {
    let stats = state.balancers.first()?.doc.spec.stats.as_ref()?;
    let vip = state
        .clusters
        .iter()
        .find_map(|c| c.doc.spec.vip.as_ref())?;
    let port = stats.binds.first()?.rsplit(':').next()?.to_string();
    Some(format!(
        "http://{}:{port}{}",
        vip.ip,
        stats.uri.as_deref().unwrap_or("/stats")
    ))
}

async fn bounded<T>(limit: Duration, f: impl Future<Output = Section<T>>) -> Section<T> {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| Section::failed(format!("no answer within {} s", limit.as_secs_f64())))
}
