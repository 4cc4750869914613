//! The typed desired-state model.
//!
//! Every document in the desired-state repository is Kubernetes-shaped:
//! `apiVersion`, `kind`, `metadata`, `spec`. Kinds owned by agent use
//! [`API_VERSION`]; anything else under `workloads/` is a raw Kubernetes
//! manifest. Every struct rejects unknown fields so that a typo is an error
//! at PR time rather than a silently ignored setting in production.

mod app;
mod balancer;
mod balancer_sections;
mod gateway;
mod gateway_parts;
mod hacluster;
mod hacluster_primitive;
mod hacluster_rsc;
mod hacluster_rules;
mod inventory;
mod node;

pub use app::*;
pub use balancer::*;
pub use balancer_sections::*;
pub use gateway::*;
pub use gateway_parts::*;
pub use hacluster::*;
pub use hacluster_primitive::*;
pub use hacluster_rsc::*;
pub use hacluster_rules::*;
pub use inventory::*;
pub use node::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::source_map::Origin;

/// The `apiVersion` of every kind agent defines.
pub const API_VERSION: &str = "agent/v1";

/// The kinds agent defines, in the order their documents are listed in help texts.
pub const KINDS: &[&str] = &["Inventory", "Gateway", "Balancer", "HaCluster", "App"];

/// `metadata` of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// Unique name among documents of the same kind (and namespace for `App`).
    pub name: String,
    /// Kubernetes namespace (only meaningful for `App`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// One typed document: the envelope shared by every kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Document<S> {
    /// Always `agent/v1`.
    pub api_version: String,
    /// The document's kind (`Inventory`, `Gateway`, `Balancer`, `HaCluster`, `App`).
    pub kind: String,
    pub metadata: Metadata,
    pub spec: S,
}

/// A typed document together with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub origin: Origin,
    pub doc: T,
}

/// A raw Kubernetes manifest from `workloads/` (any apiVersion/kind other than agent's own).
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub origin: Origin,
    /// The whole object, as YAML parsed into JSON values (what the Kubernetes API takes).
    pub object: serde_json::Value,
}

impl Manifest {
    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"].as_str()
    }
}

/// The whole desired state of the platform, as read from one commit of the repo.
///
/// Plain data: produced by the loader, consumed by the renderers. It holds no
/// handle to Git or to any host.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesiredState {
    /// Exactly one inventory per repo (validation enforces it).
    pub inventory: Option<Located<Document<InventorySpec>>>,
    pub gateways: Vec<Located<Document<GatewaySpec>>>,
    pub balancers: Vec<Located<Document<BalancerSpec>>>,
    pub clusters: Vec<Located<Document<HaClusterSpec>>>,
    pub apps: Vec<Located<Document<AppSpec>>>,
    pub manifests: Vec<Manifest>,
    /// Where every value of every loaded document was written (see [`crate::SourceMap`]).
    pub source_map: crate::source_map::SourceMap,
    /// Suspicious but valid things found while loading (never errors).
    pub warnings: crate::diag::Diagnostics,
}

impl DesiredState {
    /// The inventory's hosts (empty when the repo has no inventory).
    pub fn hosts(&self) -> &[Host] {
        self.inventory
            .as_ref()
            .map(|i| i.doc.spec.hosts.as_slice())
            .unwrap_or(&[])
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts().iter().find(|h| h.name == name)
    }

    /// Hosts holding `role`, in inventory order.
    pub fn hosts_with_role(&self, role: Role) -> impl Iterator<Item = &Host> {
        self.hosts().iter().filter(move |h| h.roles.contains(&role))
    }

    // Which shard owns what: the facts validation and a sharded agent go by.
    /// Every shard some host carries, sorted.
    pub fn shards(&self) -> BTreeSet<&str> {
        self.hosts().iter().filter_map(Host::shard).collect()
    }

    /// The shard of inventory host `name` (`None`: no such host, or no label).
    pub fn shard_of(&self, name: &str) -> Option<&str> {
        self.host(name).and_then(Host::shard)
    }

    /// The shard that owns the Kubernetes API (workloads and every other
    /// cluster-wide object): the shard of the control-plane hosts. `None` when there
    /// is no control-plane host (or it has no shard): then no shard owns it, only an
    /// agent without `shard:` does. Validation keeps the control plane in one shard.
    pub fn kube_shard(&self) -> Option<&str> {
        self.hosts_with_role(Role::ControlPlane)
            .find_map(Host::shard)
    }
}
