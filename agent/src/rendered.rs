//! The rendered desired state as plain values: what must exist on each host
//! ([`ManagedFile`]), in each Pacemaker cluster ([`CibFragment`]) and in the
//! Kubernetes API, plus the helpers every renderer shares (headers, target hosts,
//! where a document was written). Produced by each target's `render`, gathered by
//! [`crate::render::render`]; compared by `diff`, written by `apply`.

use schema::{DesiredState, Located, Origin, Role};
use serde::Serialize;

/// One file agent owns on one host.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedFile {
    /// Inventory host name.
    pub host: String,
    /// Name of the target that owns the file (`gateway`, `balancer`).
    pub target: &'static str,
    /// Absolute path on the host.
    pub path: String,
    pub content: String,
    /// Unix permission bits (0o644 for configs, 0o600 for files holding secrets).
    pub mode: u32,
    /// Command validating a staged copy; `{file}` is replaced by the staged file's path.
    pub check: String,
    /// Command making the running service pick the new file up (graceful), if any.
    pub reload: Option<String>,
    /// Apache modules the file needs enabled (gateway only), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// `Kind/name` of the document that produced the file
    /// ([`document_origin`] finds it in the repo).
    pub source: String,
    /// Shell lines the owning target adds to its host's observation round trip
    /// (`key=value` facts, named blocks; see `targets::hostfiles::observe`), e.g. a
    /// balancer's runtime state. Rendered with the file so the shared host machinery
    /// only concatenates them; not part of what is written.
    #[serde(skip)]
    pub observe: String,
}

impl ManagedFile {
    /// A support file: material another managed file of its host refers to (the
    /// gateway's TLS certificate and key), with no reload of its own. The rollout
    /// applies support files first in a host's step and reloads through the host's
    /// main file; the local config checks skip them.
    pub fn is_support(&self) -> bool {
        self.reload.is_none()
    }
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
    /// Every CIB id this fragment owns, sorted.
    pub ids: Vec<String>,
}

/// Everything the desired state renders to, by artifact family: files on hosts
/// (every host-level target), CIB fragments, Kubernetes objects, and the desired
/// state of kinds that have no family of their own, keyed by target name.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Rendered {
    /// Sorted by (host, path).
    pub files: Vec<ManagedFile>,
    pub cib: Vec<CibFragment>,
    /// Kubernetes objects in apply order (Namespaces first).
    pub objects: Vec<serde_json::Value>,
    /// Target name → its rendered desired state (e.g. `nodes`: labels and taints per
    /// Node), for `agent render` and the target's own plan. Absent when empty.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extra: std::collections::BTreeMap<String, serde_json::Value>,
    /// The shard this render was narrowed to (`shard:` in agent.yaml, [`crate::shard`]):
    /// it then holds only what that shard's agent manages. `None`: the whole state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl Rendered {
    /// The files one target owns.
    pub fn files_of<'a>(&'a self, target: &'a str) -> impl Iterator<Item = &'a ManagedFile> {
        self.files.iter().filter(move |f| f.target == target)
    }
}

/// A desired state that validates but cannot be rendered (should be rare: validation catches most).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{source_doc}: {message}")]
    Invalid { source_doc: String, message: String },
}

impl RenderError {
    /// The error as a diagnostic on the document that caused it (found in
    /// `state` by its `Kind/name`), for `agent validate`'s report.
    pub fn to_diagnostic(&self, state: &DesiredState) -> schema::Diagnostic {
        let RenderError::Invalid {
            source_doc,
            message,
        } = self;
        let origin = document_origin(state, source_doc).unwrap_or_default();
        schema::Diagnostic::error(
            origin.file,
            origin.line,
            origin.column,
            format!("{source_doc}: {message}"),
        )
    }

    pub fn invalid(source_doc: impl Into<String>, message: impl Into<String>) -> Self {
        RenderError::Invalid {
            source_doc: source_doc.into(),
            message: message.into(),
        }
    }
}

/// Where the document named `Kind/name` (a [`ManagedFile::source`]) is written.
pub fn document_origin(state: &DesiredState, kind_name: &str) -> Option<Origin> {
    fn find<S>(docs: &[Located<schema::Document<S>>], name: &str) -> Option<Origin> {
        docs.iter()
            .find(|d| source_name(d) == name)
            .map(|d| d.origin.clone())
    }
    find(&state.gateways, kind_name)
        .or_else(|| find(&state.balancers, kind_name))
        .or_else(|| find(&state.clusters, kind_name))
        .or_else(|| find(&state.apps, kind_name))
}

/// `Kind/name` of a document, as named in headers and errors.
pub fn source_name<S>(doc: &Located<schema::Document<S>>) -> String {
    format!("{}/{}", doc.doc.kind, doc.doc.metadata.name)
}

/// The `name` part of a `Kind/name` source (a [`ManagedFile::source`]).
pub fn source_doc_name(source: &str) -> &str {
    source.split_once('/').map(|(_, n)| n).unwrap_or(source)
}

/// The header comment of a generated file: who owns it and which document produced it.
/// No commit id and no time, so that the bytes only change when the content does.
pub fn header(prefix: &str, source: &str, origin: &Origin) -> String {
    format!(
        "{prefix} Managed by agent: rendered from {source} ({file}).\n\
         {prefix} Do not edit on the host: changes are reported as drift and overwritten.\n",
        file = origin.file
    )
}

/// The hosts a document applies to: the names it lists, or else every inventory
/// host with `role`, in inventory order.
pub fn target_hosts<'a>(
    state: &'a DesiredState,
    listed: &[String],
    role: Role,
    source: &str,
) -> Result<Vec<&'a schema::Host>, RenderError> {
    if listed.is_empty() {
        return Ok(state.hosts_with_role(role).collect());
    }
    listed
        .iter()
        .map(|n| {
            state.host(n).ok_or_else(|| {
                RenderError::invalid(source, format!("host `{n}` is not in the inventory"))
            })
        })
        .collect()
}

/// Test helper: a desired state from in-memory files (`(path, yaml)`).
#[cfg(test)]
pub(crate) fn state_from(files: &[(&str, &str)]) -> DesiredState {
    let files: Vec<schema::SourceFile> = files
        .iter()
        .map(|(p, t)| schema::SourceFile {
            path: p.to_string(),
            bytes: t.as_bytes().to_vec(),
        })
        .collect();
    // Parse only: renderer tests feed partial states on purpose (no inventory, unknown
    // hosts) to check the renderers' own errors.
    schema::parse_files(&files).unwrap_or_else(|d| panic!("test repo does not parse:\n{d}"))
}

#[cfg(test)]
pub(crate) const TEST_INVENTORY: &str = "
apiVersion: agent/v1
kind: Inventory
metadata: {name: t}
spec:
  hosts:
    - {name: gw, address: 10.0.0.10, roles: [gateway]}
    - {name: lb1, address: 10.0.0.11, roles: [balancer]}
    - {name: lb2, address: 10.0.0.12, roles: [balancer],
       overrides: {haproxyConfig: /opt/lb/haproxy.cfg, haproxyCheck: '/opt/lb/check {file}'}}
    - {name: w2, address: 10.0.0.22, roles: [worker]}
    - {name: w1, address: 10.0.0.21, roles: [worker]}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_the_document_and_holds_no_time_or_commit() {
        let h = header(
            "#",
            "Balancer/b",
            &Origin {
                file: "x/b.yaml".into(),
                line: 3,
                column: 1,
            },
        );
        assert!(h.contains("Balancer/b (x/b.yaml)"), "{h}");
        assert!(!h.chars().any(|c| c.is_ascii_digit()), "{h}");
    }
}
