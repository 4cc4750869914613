//! Sharding (`shard: NAME` in agent.yaml): what one agent manages of a commit.
//!
//! The one place the shard is applied: [`narrow`] replaces a prepared commit's
//! [`Rendered`] by the shard's part of it ([`scope`]) before anything observes or
//! writes, so the engine and every target stay unaware of shards: they plan and
//! apply what the render holds, and the render holds only the shard's hosts. A
//! host's shard is its inventory label `shard` (`schema::SHARD_LABEL`); the shard
//! owns
//!
//! - the files of its hosts (gateway, balancer, any host-level kind);
//! - the CIB of an `HaCluster` whose nodes are all its hosts (validation keeps a
//!   cluster's nodes in one shard);
//! - the `extra` items that name one of its hosts (the Node registration of its
//!   workers);
//! - the Kubernetes objects (workloads) and every other cluster-wide item, when the
//!   control-plane hosts are its hosts ([`schema::DesiredState::kube_shard`]). With no
//!   control-plane host in a shard, no shard owns them: only an agent without
//!   `shard:` applies them.
//!
//! An agent without `shard:` manages everything, as before sharding; on a sharded
//! inventory it says so with a warning (README, "Sharding").

use crate::rendered::Rendered;
use crate::validate::Prepared;
use schema::DesiredState;
use serde_json::Value;

/// The part of `rendered` that the agent of `shard` manages (module docs).
pub fn scope(state: &DesiredState, rendered: &Rendered, shard: &str) -> Rendered {
    let owns = |host: &str| state.shard_of(host) == Some(shard);
    let owns_kube = state.kube_shard() == Some(shard);
    let extra = rendered
        .extra
        .iter()
        .filter_map(|(k, v)| extra_part(v, &owns, owns_kube).map(|v| (k.clone(), v)))
        .collect();
    Rendered {
        files: rendered
            .files
            .iter()
            .filter(|f| owns(&f.host))
            .cloned()
            .collect(),
        cib: rendered
            .cib
            .iter()
            .filter(|c| !c.nodes.is_empty() && c.nodes.iter().all(|n| owns(n)))
            .cloned()
            .collect(),
        objects: match owns_kube {
            true => rendered.objects.clone(),
            false => vec![],
        },
        extra,
        shard: Some(shard.to_string()),
    }
}

/// An `extra` entry's part: a list whose items name a `host` keeps the items of the
/// shard's hosts; anything else is cluster-wide and goes with the Kubernetes API.
fn extra_part(v: &Value, owns: &dyn Fn(&str) -> bool, owns_kube: bool) -> Option<Value> {
    let per_host = v
        .as_array()
        .filter(|items| items.iter().all(|i| i["host"].is_string()));
    let kept = match per_host {
        Some(items) => Value::Array(
            items
                .iter()
                .filter(|i| owns(i["host"].as_str().unwrap_or_default()))
                .cloned()
                .collect(),
        ),
        None if owns_kube => v.clone(),
        None => return None,
    };
    (kept.as_array().is_none_or(|a| !a.is_empty())).then_some(kept)
}

/// The desired state as the web view's live readers of the agent of `shard` see it
/// (they read the inventory and the clusters, not the render): only the shard's hosts
/// and the clusters whose nodes are all in it. `None`: the whole state.
pub fn live_state<'s>(
    state: &'s DesiredState,
    shard: Option<&str>,
) -> std::borrow::Cow<'s, DesiredState> {
    let Some(shard) = shard else {
        return std::borrow::Cow::Borrowed(state);
    };
    let mut s = state.clone();
    s.clusters.retain(|c| {
        c.doc
            .spec
            .nodes
            .iter()
            .all(|n| state.shard_of(n) == Some(shard))
    });
    if let Some(inv) = &mut s.inventory {
        inv.doc.spec.hosts.retain(|h| h.shard() == Some(shard));
    }
    std::borrow::Cow::Owned(s)
}

/// Why `shard` cannot be served from `state`: no host carries it.
pub fn unknown(state: &DesiredState, shard: &str) -> Option<String> {
    let shards = state.shards();
    if shards.contains(shard) {
        return None;
    }
    Some(match shards.is_empty() {
        true => format!(
            "shard `{shard}` (agent.yaml `shard:`): the inventory has no shards; label its hosts `labels: {{shard: {shard}}}` or remove `shard:`"
        ),
        false => format!(
            "shard `{shard}` (agent.yaml `shard:`) is carried by no inventory host; the shards are: {}",
            shards.into_iter().collect::<Vec<_>>().join(", ")
        ),
    })
}

/// A prepared commit as the agent of `shard` sees it: its render narrowed by
/// [`scope`]. `Err`: no host carries `shard`. Without a shard the commit is kept
/// whole (see [`unsharded_warning`]).
pub fn narrow(mut prepared: Prepared, shard: Option<&str>) -> Result<Prepared, String> {
    if let Some(s) = shard {
        if let Some(why) = unknown(&prepared.state, s) {
            return Err(why);
        }
        prepared.rendered = scope(&prepared.state, &prepared.rendered, s);
    }
    Ok(prepared)
}

/// An agent without `shard:` on a sharded inventory manages every shard: allowed (an
/// operator's `agent diff` of everything; workloads no shard owns), but said, since
/// beside the shards' agents it would write their hosts too.
pub fn unsharded_warning(state: &DesiredState, shard: Option<&str>) -> Option<String> {
    let shards = state.shards();
    (shard.is_none() && !shards.is_empty()).then(|| {
        let list = shards.into_iter().collect::<Vec<_>>().join(", ");
        format!(
            "the inventory is sharded ({list}) but this agent has no `shard:`: it manages every host of every shard (set `shard:` in agent.yaml; beside the shards' agents, keep the host-level targets and nodes on `observe`)"
        )
    })
}

#[cfg(test)]
#[path = "shard_tests.rs"]
mod tests;
