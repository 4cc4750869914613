//! How to reach a Pacemaker cluster ([`ClusterAccess`]) and what the operator lets
//! apply do beyond the declared ids ([`ClusterPolicy`], from agent.yaml's `cluster:`).

use crate::config::{ClusterConfig, CorosyncPolicy, StrayConstraints};
use std::time::Duration;

/// What apply may do beyond the declared ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClusterPolicy {
    /// Delete `cli-prefer-*`/`cli-ban-*` constraints (left by `pcs resource move/ban`).
    pub remove_stray_location_constraints: bool,
    /// Set the declared totem `token` in corosync.conf on every node and reload corosync
    /// (`corosync-cfgtool -R`). Settings that need a cluster restart stay report-only.
    pub manage_corosync: bool,
}

/// The Pacemaker tools live in sbin, which a non-login PATH may lack.
const SBIN_PATH: &str = "PATH=\"$PATH:/usr/sbin:/sbin\"; export PATH";

/// How to reach the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterAccess {
    /// Cluster nodes (inventory names), tried in order.
    pub nodes: Vec<String>,
    /// Shell lines run before every script (`export CIB_file=…` in tests; empty on nodes).
    pub prelude: String,
    pub corosync_conf: String,
}

impl ClusterAccess {
    /// A real cluster: the Pacemaker tools talk to the local CIB manager.
    pub fn live(nodes: Vec<String>) -> ClusterAccess {
        ClusterAccess {
            nodes,
            prelude: SBIN_PATH.into(),
            corosync_conf: "/etc/corosync/corosync.conf".into(),
        }
    }

    /// A CIB file instead of a running cluster (`CIB_file`, honoured by every Pacemaker tool).
    pub fn cib_file(nodes: Vec<String>, cib: &str, corosync_conf: &str) -> ClusterAccess {
        let q = crate::exec::sh_quote;
        ClusterAccess {
            nodes,
            prelude: format!("{SBIN_PATH}\nCIB_file={}; export CIB_file", q(cib)),
            corosync_conf: corosync_conf.into(),
        }
    }
}

impl From<&ClusterConfig> for ClusterPolicy {
    fn from(c: &ClusterConfig) -> Self {
        ClusterPolicy {
            remove_stray_location_constraints: c.stray_constraints == StrayConstraints::Remove,
            manage_corosync: c.corosync == CorosyncPolicy::Reload,
        }
    }
}

/// Limits of one apply.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// Observe→patch attempts when the CIB changes concurrently.
    pub attempts: u32,
    /// How long the declared resources may take to be started where they belong.
    pub settle_timeout: Duration,
    pub poll: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            attempts: 3,
            settle_timeout: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        }
    }
}
