//! Inventory → the desired registration of each worker's Node: its name, and the
//! labels and taints Git declares, sorted (byte-stable).

use crate::rendered::Rendered;
use schema::{DesiredState, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The target's name (`Change.target`, `--target`, `policies:`).
pub const NAME: &str = "nodes";

/// One Node as Git wants it (only the keys Git declares).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredNode {
    /// Inventory host.
    pub host: String,
    /// Node object name.
    pub node: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
}

/// A taint as the Node API spells it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub effect: String,
}

impl Taint {
    /// What identifies a taint on a Node: its key and effect.
    pub fn id(&self) -> String {
        format!("{}:{}", self.key, self.effect)
    }
}

/// Every worker with a `node:` section, in inventory order.
pub fn render(state: &DesiredState) -> Vec<DesiredNode> {
    state
        .hosts_with_role(Role::Worker)
        .filter_map(|h| {
            let n = h.node.as_ref()?;
            let mut taints: Vec<Taint> = n
                .taints
                .iter()
                .map(|t| Taint {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: t.effect.as_str().into(),
                })
                .collect();
            taints.sort();
            Some(DesiredNode {
                host: h.name.clone(),
                node: n.name.clone().unwrap_or_else(|| h.name.clone()),
                labels: n.labels.clone(),
                taints,
            })
        })
        .collect()
}

/// The registrations `render` put into `rendered` (none when it holds none).
pub fn rendered(rendered: &Rendered) -> Vec<DesiredNode> {
    rendered
        .extra
        .get(NAME)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}
