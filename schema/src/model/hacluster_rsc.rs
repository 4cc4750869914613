//! `HaCluster` resources that hold other resources: groups, clones, bundles.

use super::hacluster_primitive::Resource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `<group>`: its members run on one node, started in list order, stopped in reverse.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Group {
    /// CIB id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Meta attributes of the group (`target-role`...), inherited by the members.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// The primitives, in start order.
    pub members: Vec<Resource>,
}

/// `<clone>`: one resource or one group run on several nodes. Promotable clones
/// (one or more instances promoted) say `promotable: "true"` in `meta`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceClone {
    /// CIB id (`<resource>-clone` by pcs' habit).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Meta attributes (`promotable`, `clone-max`, `clone-node-max`, `promoted-max`,
    /// `interleave`, `globally-unique`, `notify`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// The cloned primitive (exactly one of `resource` and `group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// The cloned group (exactly one of `resource` and `group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    /// `true`: written as the deprecated `<master>` element older clusters have (a
    /// promotable clone; Pacemaker 2 reads it like `<clone>` with `promotable: "true"`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub master: bool,
}

impl ResourceClone {
    /// The cloned primitives (one, or the group's members).
    pub fn primitives(&self) -> Vec<&Resource> {
        let group = self.group.iter().flat_map(|g| g.members.iter());
        self.resource.iter().chain(group).collect()
    }
}

/// `<bundle>`: a container image run as `replicas` instances, each optionally with
/// `resource` inside and its own address and storage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Bundle {
    /// CIB id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Meta attributes of the bundle (`target-role`, `is-managed`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    pub container: Container,
    /// Addresses and ports of the replicas (`<network>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<BundleNetwork>,
    /// Host directories or files mapped into the replicas (`<storage>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage: Vec<StorageMapping>,
    /// The primitive run inside each replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

/// The container runtime of a bundle (the `<docker>`, `<podman>` or `<rkt>` element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    #[default]
    Docker,
    Podman,
    Rkt,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Rkt => "rkt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Container {
    /// `docker`, `podman` or `rkt`.
    pub runtime: Runtime,
    /// The image (`registry:5000/app:1.2`).
    pub image: String,
    /// How many instances (default 1, or `promotedMax` when that is larger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Instances allowed on one node (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas_per_host: Option<u32>,
    /// Instances that may be promoted (the resource inside is promotable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoted_max: Option<u32>,
    /// The runtime's network setting (`host`, `bridge`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Extra command-line options for the runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
    /// The command the container runs (default: the image's, or Pacemaker Remote
    /// when the bundle has a resource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BundleNetwork {
    /// First of the consecutive addresses given to the replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range_start: Option<String>,
    /// The host interface the addresses are added to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_interface: Option<String>,
    /// Prefix length of those addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_netmask: Option<u8>,
    /// Add the replicas' names and addresses to their `/etc/hosts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_host: Option<bool>,
    /// Pacemaker Remote's port in the replicas (default 3121).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
}

/// A port (or a range of ports) of the replicas reachable from outside.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortMapping {
    /// CIB id; default `<bundle>-port-map-<port or range>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The port (exactly one of `port` and `range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The port inside the container, when not `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_port: Option<u16>,
    /// `FIRST-LAST` (exactly one of `port` and `range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
}

/// A host path mapped into the replicas.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StorageMapping {
    /// CIB id; default `<bundle>-storage-map`, then `-storage-map-1`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The host path (exactly one of `sourceDir` and `sourceDirRoot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_dir: Option<String>,
    /// A host directory under which each replica gets its own subdirectory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_dir_root: Option<String>,
    /// The path inside the container.
    pub target_dir: String,
    /// Mount options (`ro`, `rw`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
}

/// The default ids of a bundle's port and storage mappings (pcs' habit).
pub fn port_mapping_id(bundle: &str, m: &PortMapping) -> String {
    let what = match (&m.port, &m.range) {
        (Some(p), _) => p.to_string(),
        (None, Some(r)) => r.clone(),
        (None, None) => String::new(),
    };
    format!("{bundle}-port-map-{what}")
}

/// `<bundle>-storage-map` for the first mapping, `-storage-map-N` after.
pub fn storage_mapping_id(bundle: &str, index: usize) -> String {
    match index {
        0 => format!("{bundle}-storage-map"),
        n => format!("{bundle}-storage-map-{n}"),
    }
}
