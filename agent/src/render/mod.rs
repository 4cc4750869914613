//! Rendering: desired state → what must exist on each host and in each cluster.
//!
//! Pure functions, no I/O: the same [`DesiredState`] always renders to the same
//! bytes (sorted, deterministic), so an unchanged repo never produces a change.
//! The output is plain data that `diff` compares and `apply` writes.

use schema::DesiredState;
use serde::Serialize;

/// Which target owns a managed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Gateway,
    Balancer,
}

/// One file agent owns on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedFile {
    /// Inventory host name.
    pub host: String,
    pub target: TargetKind,
    /// Absolute path on the host.
    pub path: String,
    pub content: String,
    /// Unix permission bits (0o644 for configs, 0o600 for files holding secrets).
    pub mode: u32,
    /// Command validating a staged copy; `{file}` is replaced by the staged file's path.
    pub check: String,
    /// Command making the running service pick the new file up (graceful), if any.
    pub reload: Option<String>,
    /// Apache modules the file needs enabled (gateway only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// `Kind/name` of the document that produced the file.
    pub source: String,
}

/// The CIB section one `HaCluster` document declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CibFragment {
    /// `HaCluster` metadata.name.
    pub cluster: String,
    /// Cluster nodes (inventory host names).
    pub nodes: Vec<String>,
    /// `<crm_config>` properties, `<rsc_defaults>`, `<resources>` and `<constraints>` for the
    /// declared ids only, as one XML document (`<cib-fragment>` root), byte-stable.
    pub xml: String,
    /// Every CIB id this fragment owns.
    pub ids: Vec<String>,
}

/// Everything the desired state renders to.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Rendered {
    /// Sorted by (host, path).
    pub files: Vec<ManagedFile>,
    pub cib: Vec<CibFragment>,
    /// Kubernetes objects in apply order (Namespaces first).
    pub objects: Vec<serde_json::Value>,
}

/// A desired state that validates but cannot be rendered (should be rare: validation catches most).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{source_doc}: {message}")]
    Invalid { source_doc: String, message: String },
}

/// Renders the whole desired state.
pub fn render(state: &DesiredState) -> Result<Rendered, RenderError> {
    let _ = state;
    todo!("renderers")
}
