//! `agent drill`: the platform's acceptance test, measured, on demand.
//!
//! Place in the pipeline: it consumes the same prepared desired state as `diff` and
//! `apply` (a [`DesiredState`] and its [`Rendered`] files) to know what to expect, and
//! the VIP holder from the cluster; it never changes configuration. Four checks
//! ([`checks`]), each stating its goals and what it measured ([`report`]):
//!
//! - `functional`: every route answers through the gateway, redirects, the stats
//!   page, every backend server UP, Pacemaker placement, workload replicas
//!   (one expectation function per target kind, [`expect`]);
//! - `balance`: per-worker shares of N new-connection requests against the weights,
//!   and cookie stickiness;
//! - `reload`: a probe every 50 ms while the running services reload gracefully in
//!   HA order, through the agent's own reload commands (`ManagedFile::reload`);
//! - `failover` (only with `--disruptive`): the VIP holder in standby through the
//!   cluster's own tool, under the probe, then back online — always undone.
//!
//! All traffic goes through [`probe::Prober`], which connects only to addresses of the
//! desired state and is bounded in requests and time.

pub mod checks;
pub mod cluster;
pub mod endpoints;
pub mod expect;
pub mod probe;
pub mod report;
pub mod series;
pub mod tls;

use crate::exec::Remote;
use crate::rendered::Rendered;
use endpoints::Endpoints;
use probe::{Budget, Prober};
use report::{CheckName, DrillReport};
use schema::DesiredState;
use std::sync::Arc;
use std::time::Duration;

/// How much and how fast the drill probes.
#[derive(Debug, Clone)]
pub struct DrillOptions {
    /// The checks to run, in [`CheckName`] order.
    pub checks: Vec<CheckName>,
    /// The operator allowed disruptive checks (`--disruptive`).
    pub disruptive: bool,
    /// `balance`: requests without cookies, each on a new connection.
    pub balance_requests: usize,
    /// `balance`: clients keeping their cookie, and requests per client.
    pub sticky_clients: usize,
    pub sticky_requests: usize,
    /// Requests in flight at once in a batch.
    pub concurrency: usize,
    /// `reload`/`failover`: one probe request every this long.
    pub probe_interval: Duration,
    /// One request; slower counts as failed.
    pub request_timeout: Duration,
    /// `reload`: one probe request's timeout. Longer than `request_timeout` because an
    /// Apache graceful restart holds new connections in the listen queue until the new
    /// generation of children starts, which httpd does when an old child exits or after
    /// its one-second maintenance tick: up to about 1 s, measured in the lab. Such a
    /// request is late, not lost; the check reports the slowest answer beside the count.
    pub reload_timeout: Duration,
    /// `reload`: how many times the whole HA-ordered reload sequence runs.
    pub reload_rounds: usize,
    /// `reload`: pause between two reloads (the probe keeps running).
    pub reload_pause: Duration,
    /// `failover`: the outage goal for a graceful standby.
    pub max_outage: Duration,
    /// `failover`: how long resources may take to move (and to come back online).
    pub settle_timeout: Duration,
    /// `failover`: how long to watch for a fail-back after the node is online again.
    pub failback_watch: Duration,
    /// Caps for the whole drill.
    pub max_requests: u64,
    pub max_time: Duration,
}

impl Default for DrillOptions {
    fn default() -> Self {
        DrillOptions {
            checks: vec![CheckName::Functional, CheckName::Balance, CheckName::Reload],
            disruptive: false,
            balance_requests: 600,
            sticky_clients: 10,
            sticky_requests: 5,
            concurrency: 4,
            probe_interval: Duration::from_millis(50),
            request_timeout: Duration::from_millis(1000),
            reload_timeout: Duration::from_millis(3000),
            reload_rounds: 1,
            reload_pause: Duration::from_millis(1000),
            max_outage: Duration::from_secs(1),
            settle_timeout: Duration::from_secs(30),
            failback_watch: Duration::from_secs(3),
            max_requests: 50_000,
            max_time: Duration::from_secs(900),
        }
    }
}

/// Everything a check reads. The drill holds no state between checks.
pub struct Drill<'a, R: Remote> {
    pub remote: &'a R,
    pub state: &'a DesiredState,
    pub rendered: &'a Rendered,
    /// The Kubernetes cluster, when one is configured (workload replicas).
    pub k8s: Option<kube::Client>,
    pub prober: Arc<Prober>,
    pub endpoints: Endpoints,
    pub opts: DrillOptions,
    /// Progress lines (stderr in the CLI).
    pub progress: &'a (dyn Fn(&str) + Send + Sync),
}

impl<'a, R: Remote> Drill<'a, R> {
    pub fn new(
        remote: &'a R,
        state: &'a DesiredState,
        rendered: &'a Rendered,
        opts: DrillOptions,
        progress: &'a (dyn Fn(&str) + Send + Sync),
    ) -> Self {
        let endpoints = endpoints::endpoints(state);
        let prober = Arc::new(Prober::new(
            endpoints.allowed.clone(),
            opts.request_timeout,
            Budget::new(opts.max_requests, opts.max_time),
        ));
        Drill {
            remote,
            state,
            rendered,
            k8s: None,
            prober,
            endpoints,
            opts,
            progress,
        }
    }

    /// The cluster nodes of the first `HaCluster` (empty without one).
    pub fn cluster_nodes(&self) -> Vec<String> {
        self.state
            .clusters
            .first()
            .map(|c| c.doc.spec.nodes.clone())
            .unwrap_or_default()
    }

    /// The VIP's resource id (`vip` by default).
    pub fn vip_id(&self) -> Option<String> {
        self.state
            .clusters
            .first()
            .and_then(|c| c.doc.spec.vip.as_ref())
            .map(|v| v.id.clone())
    }

    /// Runs the selected checks in order and collects the report.
    pub async fn run(&self, commit: &str) -> DrillReport {
        let started_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let corosync_token_ms = cluster::corosync_token(self.remote, &self.cluster_nodes()).await;
        let mut order = self.opts.checks.clone();
        order.sort();
        order.dedup();
        let mut reports = Vec::new();
        for name in order {
            (self.progress)(&format!("drill: {}", name.as_str()));
            let t = std::time::Instant::now();
            let mut r = match name {
                CheckName::Functional => checks::functional::run(self).await,
                CheckName::Balance => checks::balance::run(self).await,
                CheckName::Reload => checks::reload::run(self).await,
                CheckName::Failover => checks::failover::run(self).await,
            };
            r.seconds = t.elapsed().as_secs_f64();
            (self.progress)(&format!(
                "drill: {} {:?}: {}",
                name.as_str(),
                r.verdict,
                r.measured
            ));
            reports.push(r);
        }
        DrillReport {
            commit: commit.to_string(),
            started_at,
            corosync_token_ms,
            checks: reports,
            requests: self.prober.budget().sent(),
            notes: self.endpoints.notes.clone(),
        }
    }
}
