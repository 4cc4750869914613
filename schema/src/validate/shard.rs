//! Host labels and the sharding rules (README, "Sharding").
//!
//! `labels:` of an inventory host use the Kubernetes label syntax; the label `shard`
//! puts the host in a shard, which one agent (`shard:` in agent.yaml) manages. Two
//! shards must never touch the same host nor the same shared state, so: once one host
//! has a shard every host has one, the nodes of an `HaCluster` (one CIB, the HA pair
//! the rollout changes one node at a time) lie in one shard, and so do the
//! control-plane hosts (one Kubernetes API, owned by their shard).

use super::cx::Cx;
use super::node::{is_label_key, is_label_value};
use crate::model::{Host, Origin, Role, SHARD_LABEL};

/// The syntax of one host's `labels:`.
pub(super) fn labels(cx: &mut Cx, doc: &Origin, i: usize, h: &Host) {
    for (k, v) in &h.labels {
        let at = format!("spec.hosts[{i}].labels.{k}");
        if !is_label_key(k) {
            let hint =
                "`name` or `prefix/name`: letters, digits, `-`, `_`, `.`; 63 at most".to_string();
            cx.error(doc, &at, format!("invalid label key `{k}`"), Some(hint));
        } else if !is_label_value(v) {
            let hint = "63 characters at most: letters, digits, `-`, `_`, `.`, alphanumeric at both ends (quote it if YAML reads it as a number)".to_string();
            cx.error(doc, &at, format!("invalid label value `{v}`"), Some(hint));
        } else if k == SHARD_LABEL && v.is_empty() {
            let hint = "name the shard, like `shard: eu-1`, or remove the label".to_string();
            cx.error(doc, &at, "empty shard name", Some(hint));
        }
    }
}

/// The sharding rules over the whole state (nothing to check when no host has a shard).
pub(super) fn check(cx: &mut Cx) {
    let Some(inv) = &cx.state.inventory else {
        return;
    };
    let shards = cx.state.shards();
    if shards.is_empty() {
        return;
    }
    let doc = &inv.origin;
    let list = shards.iter().copied().collect::<Vec<_>>().join(", ");
    for (i, h) in inv.doc.spec.hosts.iter().enumerate() {
        if h.shard().is_none() {
            let hint = format!(
                "add `labels: {{shard: NAME}}` to `{}` (the shards: {list}): once one host has a shard, every host needs one, or an agent of no shard would be the only one to manage it",
                h.name
            );
            cx.error(
                doc,
                &format!("spec.hosts[{i}].name"),
                format!("host `{}` has no `shard` label", h.name),
                Some(hint),
            );
        }
    }
    control_plane(cx, doc);
    clusters(cx);
}

/// Every control-plane host in the shard of the first one.
fn control_plane(cx: &mut Cx, doc: &Origin) {
    let hosts = cx.state.hosts();
    let Some(first) = hosts
        .iter()
        .find(|h| h.roles.contains(&Role::ControlPlane) && h.shard().is_some())
    else {
        return;
    };
    let want = first.shard().unwrap_or_default();
    for (i, h) in hosts.iter().enumerate() {
        let Some(s) = h.shard() else { continue };
        if h.roles.contains(&Role::ControlPlane) && s != want {
            let hint = format!(
                "the Kubernetes API is one shared state, owned by the shard of the control plane: give every control-plane host the same shard (`{}` is in `{want}`)",
                first.name
            );
            cx.error(
                doc,
                &format!("spec.hosts[{i}].labels.{SHARD_LABEL}"),
                format!(
                    "control-plane host `{}` is in shard `{s}`, `{}` in shard `{want}`",
                    h.name, first.name
                ),
                Some(hint),
            );
        }
    }
}

/// Every node of each `HaCluster` in the shard of its first node. The HA pair of a
/// Balancer is a cluster's nodes (the rollout changes them one at a time, the VIP
/// holder last), so the balancers on the nodes are named in the message.
fn clusters(cx: &mut Cx) {
    let state = cx.state;
    for c in &state.clusters {
        let nodes = &c.doc.spec.nodes;
        let Some((first, want)) = nodes.iter().find_map(|n| state.shard_of(n).map(|s| (n, s)))
        else {
            continue;
        };
        let balancers: Vec<String> = state
            .balancers
            .iter()
            .filter(|b| {
                let on = |n: &String| {
                    b.doc.spec.hosts.contains(n)
                        || (b.doc.spec.hosts.is_empty()
                            && state
                                .host(n)
                                .is_some_and(|h| h.roles.contains(&Role::Balancer)))
                };
                nodes.iter().any(on)
            })
            .map(|b| format!("Balancer/{}", b.doc.metadata.name))
            .collect();
        let why = match balancers.is_empty() {
            true => "one CIB".to_string(),
            false => format!(
                "one CIB, and the HA pair of {} changed one node at a time",
                balancers.join(", ")
            ),
        };
        for (j, n) in nodes.iter().enumerate() {
            let Some(s) = state.shard_of(n) else { continue };
            if s != want {
                let hint = format!(
                    "a cluster is one shared state ({why}): give all its nodes the same `shard` label"
                );
                cx.error(
                    &c.origin,
                    &format!("spec.nodes[{j}]"),
                    format!(
                        "HaCluster/{}: node `{n}` is in shard `{s}`, `{first}` in shard `{want}`",
                        c.doc.metadata.name
                    ),
                    Some(hint),
                );
            }
        }
    }
}
