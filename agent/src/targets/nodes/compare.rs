//! Live Node → what to change, pure. The agent owns exactly the label keys and
//! taints it set, recorded on the Node in the [`OWNED`] annotation: a key dropped
//! from Git is removed from the Node (it was ours), a label or taint someone else
//! set is never touched, and a declared key is set whoever set it before.

use super::render::{DesiredNode, Taint};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The annotation recording what the agent owns on a Node.
pub const OWNED: &str = "agent/node-registration";

/// What the agent owns on one Node: label keys and taint ids (`key:effect`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owned {
    #[serde(default)]
    pub labels: BTreeSet<String>,
    #[serde(default)]
    pub taints: BTreeSet<String>,
}

/// The comparison of one Node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeDiff {
    /// The managed view, live and desired (the labels and taints that are or were ours).
    pub live_view: String,
    pub want_view: String,
    /// The merge patch that converges the Node (`None`: in sync), guarded by the
    /// observed resourceVersion.
    pub patch: Option<Value>,
}

fn live_labels(node: &Value) -> BTreeMap<String, String> {
    node["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn live_taints(node: &Value) -> Vec<Taint> {
    serde_json::from_value(node["spec"]["taints"].clone()).unwrap_or_default()
}

/// What the agent owned on `node` before (empty when never registered by it).
pub fn owned(node: &Value) -> Owned {
    node["metadata"]["annotations"][OWNED]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

fn view(labels: &BTreeMap<String, String>, taints: &[Taint]) -> String {
    let mut s = String::from("labels:\n");
    for (k, v) in labels {
        s.push_str(&format!("  {k}: {v:?}\n"));
    }
    s.push_str("taints:\n");
    for t in taints {
        let v = t
            .value
            .as_deref()
            .map(|v| format!("={v}"))
            .unwrap_or_default();
        s.push_str(&format!("  - {}{v}:{}\n", t.key, t.effect));
    }
    s
}

/// Compares the live `node` with `want`.
pub fn compare(node: &Value, want: &DesiredNode) -> NodeDiff {
    let before = owned(node);
    let labels = live_labels(node);
    let taints = live_taints(node);
    let managed_keys: BTreeSet<&String> = before.labels.iter().chain(want.labels.keys()).collect();
    let want_ids: BTreeSet<String> = want.taints.iter().map(Taint::id).collect();
    let is_managed = |t: &Taint| before.taints.contains(&t.id()) || want_ids.contains(&t.id());
    let live_view = view(
        &labels
            .iter()
            .filter(|(k, _)| managed_keys.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        &taints
            .iter()
            .filter(|t| is_managed(t))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let want_view = view(&want.labels, &want.taints);
    let now = Owned {
        labels: want.labels.keys().cloned().collect(),
        taints: want_ids.clone(),
    };
    let mut new_taints: Vec<Taint> = taints.iter().filter(|t| !is_managed(t)).cloned().collect();
    new_taints.extend(want.taints.iter().cloned());
    new_taints.sort();
    let mut old_taints = taints.clone();
    old_taints.sort();
    let mut label_patch = Map::new();
    for k in before
        .labels
        .iter()
        .filter(|k| !want.labels.contains_key(*k))
    {
        if labels.contains_key(k) {
            label_patch.insert(k.clone(), Value::Null);
        }
    }
    for (k, v) in &want.labels {
        if labels.get(k) != Some(v) {
            label_patch.insert(k.clone(), json!(v));
        }
    }
    let in_sync = label_patch.is_empty() && new_taints == old_taints && before == now;
    let patch = (!in_sync).then(|| {
        let mut md = json!({
            "resourceVersion": node["metadata"]["resourceVersion"],
            "annotations": {OWNED: serde_json::to_string(&now).expect("plain data")},
        });
        if !label_patch.is_empty() {
            md["labels"] = Value::Object(label_patch);
        }
        let mut p = json!({ "metadata": md });
        if new_taints != old_taints {
            // A merge patch replaces the list: the others' taints are sent back as they were.
            p["spec"] = json!({ "taints": new_taints });
        }
        p
    });
    NodeDiff {
        live_view,
        want_view,
        patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want() -> DesiredNode {
        DesiredNode {
            host: "w1".into(),
            node: "w1".into(),
            labels: [("zone".to_string(), "a".to_string())].into(),
            taints: vec![Taint {
                key: "dedicated".into(),
                value: Some("web".into()),
                effect: "NoSchedule".into(),
            }],
        }
    }

    #[test]
    fn others_labels_and_taints_stay_and_ours_are_set() {
        let node = json!({"metadata": {"name": "w1", "resourceVersion": "7",
            "labels": {"kubernetes.io/hostname": "w1"}},
            "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]}});
        let d = compare(&node, &want());
        let p = d.patch.expect("a patch");
        assert_eq!(p["metadata"]["resourceVersion"], "7");
        assert_eq!(p["metadata"]["labels"], json!({"zone": "a"}));
        let taints = p["spec"]["taints"].as_array().unwrap();
        assert_eq!(
            taints.len(),
            2,
            "the kubelet's taint is sent back: {taints:?}"
        );
        assert!(
            d.live_view.contains("labels:\ntaints:\n"),
            "{}",
            d.live_view
        );
    }

    #[test]
    fn a_key_dropped_from_git_is_removed_only_when_it_was_ours() {
        let mut w = want();
        w.labels.clear();
        w.taints.clear();
        let owned = r#"{"labels":["zone"],"taints":["dedicated:NoSchedule"]}"#;
        let node = json!({"metadata": {"resourceVersion": "8",
            "labels": {"zone": "a", "team": "x"}, "annotations": {OWNED: owned}},
            "spec": {"taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]}});
        let p = compare(&node, &w).patch.expect("a patch");
        assert_eq!(p["metadata"]["labels"], json!({"zone": null}));
        assert_eq!(p["spec"]["taints"], json!([]));
    }

    #[test]
    fn a_node_in_sync_needs_no_patch() {
        let owned = r#"{"labels":["zone"],"taints":["dedicated:NoSchedule"]}"#;
        let node = json!({"metadata": {"resourceVersion": "9", "labels": {"zone": "a"},
            "annotations": {OWNED: owned}},
            "spec": {"taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]}});
        let d = compare(&node, &want());
        assert_eq!(d.patch, None);
        assert_eq!(d.live_view, d.want_view);
    }
}
