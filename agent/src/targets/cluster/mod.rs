//! The HA target: the Pacemaker CIB of the balancer pair, owned by id.
//!
//! Pipeline: [`observe`] (one round trip on the first node that answers) →
//! [`plan()`] (normalise, compare the ids Git declares, validate agents and
//! parameters against their metadata, build the desired CIB) → [`apply`] (one
//! `crm_diff` patch, `crm_verify`-checked on a shadow copy, applied with
//! `cibadmin --patch` only if the configuration version is still the observed
//! one; retried on conflict; then wait for `crm_mon` to show the declared
//! resources started, else restore the previous state of the declared ids).
//!
//! Guarantees: nothing undeclared is changed (stray `cli-*` constraints only
//! under [`ClusterPolicy::remove_stray_location_constraints`]); an invalid
//! desired state never reaches the live CIB; an unchanged desired state sends
//! no patch at all (the CIB epoch stays the same). corosync.conf is compared and
//! written only under the `corosync: reload` policy (the totem token, see
//! [`corosync_apply`]).
//!
//! Every script starts with [`ClusterAccess::prelude`], so the same scripts run
//! on a real node (empty prelude) and against a CIB file (`CIB_file=…`, tests).

pub mod apply;
pub mod cib;
pub mod compare;
pub mod corosync;
pub mod corosync_apply;
pub mod jobs;
pub mod merge;
pub mod observe;
pub mod settle;
pub mod status;
pub mod xml;

pub use apply::{apply, dry_run, preview, ApplyOptions, ApplyReport};
pub use corosync::CorosyncWant;
pub use jobs::{jobs, ClusterJob};
pub use observe::{observe, Observed};
pub use settle::{placement, vip_holder};

use crate::mask::Masker;
use crate::plan::{Change, TargetError};
use crate::render::CibFragment;
use cib::{agent_of, ConfigView};
use std::collections::BTreeSet;
use xml::Elem;

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
        let q = crate::targets::remote::sh_quote;
        ClusterAccess {
            nodes,
            prelude: format!("{SBIN_PATH}\nCIB_file={}; export CIB_file", q(cib)),
            corosync_conf: corosync_conf.into(),
        }
    }
}

/// Failures of the cluster target, one variant per step.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no cluster node answered: {0}")]
    Unreachable(String),
    #[error("{node}: cannot parse {what}: {message}")]
    Parse {
        node: String,
        what: String,
        message: String,
    },
    #[error("rendered CIB fragment of cluster {cluster} is not XML: {message}")]
    Fragment { cluster: String, message: String },
    #[error("invalid cluster configuration (live CIB not touched): {0}")]
    Invalid(String),
    #[error("{node}: {step} failed: {message}")]
    Tool {
        node: String,
        step: String,
        message: String,
    },
    #[error("the CIB changed concurrently on each of {0} attempts; nothing applied")]
    Conflict(u32),
    #[error("cluster did not converge: {detail}; {rollback}")]
    NotConverged { detail: String, rollback: String },
}

impl ClusterError {
    /// Retrying later may help (unreachable, concurrent edits, not converged yet).
    pub fn transient(&self) -> bool {
        matches!(
            self,
            ClusterError::Unreachable(_)
                | ClusterError::Conflict(_)
                | ClusterError::Tool { .. }
                | ClusterError::NotConverged { .. }
        )
    }

    pub fn to_target_error(&self) -> TargetError {
        TargetError {
            target: compare::TARGET.into(),
            host: None,
            message: self.to_string(),
            transient: self.transient(),
        }
    }
}

/// The comparison of one cluster, and what apply would send.
#[derive(Debug, Clone)]
pub struct ClusterPlan {
    pub changes: Vec<Change>,
    /// The desired CIB (live plus changes); `None` when no patch is needed.
    pub desired: Option<Elem>,
    pub observed: Observed,
}

impl ClusterPlan {
    /// A CIB patch or a corosync.conf change is due.
    pub fn has_changes(&self) -> bool {
        self.desired.is_some() || self.corosync_due()
    }

    /// The policy allows a corosync.conf change and it differs.
    pub fn corosync_due(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.object == corosync::OBJECT && c.action.is_change())
    }
}

/// Agents (`class:provider:type`) the fragment declares.
pub fn declared_agents(fragment: &Elem) -> BTreeSet<String> {
    ConfigView::of(fragment)
        .resources
        .values()
        .filter(|e| e.name == "primitive")
        .map(agent_of)
        .collect()
}

pub fn parse_fragment(fragment: &CibFragment) -> Result<Elem, ClusterError> {
    Elem::parse(&fragment.xml).map_err(|message| ClusterError::Fragment {
        cluster: fragment.cluster.clone(),
        message,
    })
}

/// Checks declared primitives against the agents' metadata from the node.
fn validate_agents(want: &ConfigView, obs: &Observed) -> Result<(), ClusterError> {
    let mut problems = Vec::new();
    for (id, e) in want.resources.iter().filter(|(_, e)| e.name == "primitive") {
        let agent = agent_of(e);
        let Some(Some(meta)) = obs.agents.get(&agent) else {
            problems.push(format!(
                "{id}: unknown resource agent {agent} on {}",
                obs.node
            ));
            continue;
        };
        let params = cib::Primitive::of(e).params;
        for p in params.keys().filter(|p| !meta.params.contains(*p)) {
            problems.push(format!("{id}: {agent} has no parameter {p:?}"));
        }
        for r in meta.required.iter().filter(|r| !params.contains_key(*r)) {
            problems.push(format!("{id}: {agent} requires parameter {r:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ClusterError::Invalid(problems.join("; ")))
    }
}

/// `agent diff` for one cluster: observe (one round trip) and [`plan()`]. Read-only.
pub async fn diff<R: crate::targets::remote::Remote>(
    remote: &R,
    access: &ClusterAccess,
    fragment: &Elem,
    corosync: &CorosyncWant,
    policy: &ClusterPolicy,
    masker: &Masker,
) -> Result<ClusterPlan, ClusterError> {
    let observed = observe(remote, access, &declared_agents(fragment)).await?;
    plan(fragment, corosync, observed, policy, masker)
}

/// Adds the raw XML diff (live → Git) to changed resources/constraints and the
/// placement to declared primitives.
fn annotate(
    changes: &mut [Change],
    live: &ConfigView,
    want: &ConfigView,
    status: Option<&status::ClusterStatus>,
    masker: &Masker,
) {
    for c in changes.iter_mut() {
        let id = c.object.as_str();
        let (l, w) = match (want.resources.get(id), want.constraints.get(id)) {
            (Some(w), _) => (live.resources.get(id), w),
            (None, Some(w)) => (live.constraints.get(id), w),
            (None, None) => continue,
        };
        if c.action.is_change() {
            let lx = l.map(Elem::to_xml).unwrap_or_default();
            let label = format!("live/{id}");
            c.diff = crate::textdiff::unified(&lx, &w.to_xml(), &label, "git", masker);
        }
        if let Some(s) = status.filter(|_| w.name == "primitive") {
            c.notes.push(s.placement_note(id));
        }
    }
}

/// Compares the fragment (and corosync settings) with what was observed.
/// Pure apart from the data in `observed`; errors only for an invalid desired state.
pub fn plan(
    fragment: &Elem,
    corosync: &CorosyncWant,
    observed: Observed,
    policy: &ClusterPolicy,
    masker: &Masker,
) -> Result<ClusterPlan, ClusterError> {
    let want = ConfigView::of(fragment);
    validate_agents(&want, &observed)?;
    let live = ConfigView::of(&observed.cib);
    let mut changes = compare::compare(&live, &want, policy);
    annotate(&mut changes, &live, &want, observed.status.as_ref(), masker);
    let cib_changed = changes.iter().any(|c| c.action.is_change());
    changes.extend(corosync::compare(
        observed.corosync.as_ref(),
        corosync,
        policy.manage_corosync,
    ));
    for c in changes.iter_mut() {
        c.notes = c.notes.iter().map(|n| masker.mask(n)).collect();
    }
    let desired = cib_changed.then(|| {
        let owned = merge::Owned::of(&want);
        merge::merge(
            &observed.cib,
            fragment,
            &owned,
            policy.remove_stray_location_constraints,
        )
    });
    Ok(ClusterPlan {
        changes,
        desired,
        observed,
    })
}
