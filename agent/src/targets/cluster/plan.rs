//! The comparison of one cluster: normalise, compare the ids Git declares, validate
//! agents and parameters against their metadata, and build the desired CIB.

use super::access::{ClusterAccess, ClusterPolicy};
use super::cib::{self, agent_of, ConfigView};
use super::corosync::{self, CorosyncWant};
use super::error::ClusterError;
use super::observe::{observe, Observed};
use super::xml::Elem;
use super::{compare, merge, status};
use crate::exec::Remote;
use crate::mask::Masker;
use crate::plan::Change;
use crate::rendered::CibFragment;
use std::collections::BTreeSet;

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

/// Every primitive with its own class and type (not taken from a template), at any
/// depth (in groups, clones, bundles), with its id.
fn primitives_in<'a>(e: &'a Elem, out: &mut Vec<(&'a str, &'a Elem)>) {
    if e.name == "primitive" && e.attr("type").is_some() {
        out.push((e.id().unwrap_or_default(), e));
    }
    for c in &e.children {
        if matches!(
            c.name.as_str(),
            "primitive" | "group" | "clone" | "master" | "bundle"
        ) {
            primitives_in(c, out);
        }
    }
}

fn declared_primitives(want: &ConfigView) -> Vec<(&str, &Elem)> {
    let mut out = Vec::new();
    for e in want.resources.values() {
        primitives_in(e, &mut out);
    }
    out
}

/// Agents (`class:provider:type`) the fragment declares.
pub fn declared_agents(fragment: &Elem) -> BTreeSet<String> {
    let view = ConfigView::of(fragment);
    declared_primitives(&view)
        .into_iter()
        .map(|(_, e)| agent_of(e))
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
    for (id, e) in declared_primitives(want) {
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
pub async fn diff(
    remote: &dyn Remote,
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
