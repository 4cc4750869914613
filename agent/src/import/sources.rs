//! What an import reads (a leaf of [`super`]: the importers and the live reader
//! share these types without going through the module root).

use super::apache::Includes;
use super::summary::ParseError;
use schema::InventorySpec;
use std::collections::BTreeSet;

/// One file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub host: Option<String>,
    pub path: String,
    pub text: String,
}

/// An Apache site file and, when read on its host, what its includes read and
/// which modules are enabled there.
#[derive(Debug, Clone)]
pub struct ApacheText {
    pub text: Text,
    pub includes: Option<Includes>,
    pub modules: Option<BTreeSet<String>>,
}

/// Everything read, from hosts or files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub haproxy: Vec<Text>,
    pub apache: Vec<ApacheText>,
    pub cib: Option<Text>,
    pub corosync: Vec<Text>,
    /// Live Kubernetes objects as the API returned them.
    pub k8s: Vec<serde_json::Value>,
    /// Hosts or files that could not be read.
    pub errors: Vec<ParseError>,
}

/// The inventory the new repo uses.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub spec: InventorySpec,
    /// Its document text, written (or already) at `path` in the repo.
    pub text: String,
    /// Repo-relative path (`inventory.yaml`).
    pub path: String,
}

/// Which parts to import (`--target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub gateway: bool,
    pub balancer: bool,
    pub cluster: bool,
    pub workloads: bool,
}

impl Default for Parts {
    fn default() -> Self {
        Parts {
            gateway: true,
            balancer: true,
            cluster: true,
            workloads: true,
        }
    }
}
