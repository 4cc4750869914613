//! Rendering: desired state → what must exist on each host and in each cluster.
//!
//! Pure functions, no I/O: the same [`DesiredState`] always renders to the same
//! bytes (sorted, deterministic; no timestamps, no commit ids), so an unchanged
//! repo never produces a change. The output is plain data that `diff` compares
//! and `apply` writes. One module per target: [`haproxy`], [`apache`], [`cib`],
//! [`k8s`].

pub mod apache;
mod apache_tls;
pub mod cib;
pub mod haproxy;
pub mod k8s;

use schema::{DesiredState, Located, Origin, Role};
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
    /// Apache modules the file needs enabled (gateway only), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// `Kind/name` of the document that produced the file
    /// ([`document_origin`] finds it in the repo).
    pub source: String,
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

    fn invalid(source_doc: impl Into<String>, message: impl Into<String>) -> Self {
        RenderError::Invalid {
            source_doc: source_doc.into(),
            message: message.into(),
        }
    }
}

/// Renders the whole desired state.
///
/// Fails when two documents claim the same file on the same host, or when a
/// document names a host the inventory does not have.
pub fn render(state: &DesiredState) -> Result<Rendered, RenderError> {
    let mut files = Vec::new();
    for b in &state.balancers {
        files.extend(haproxy::render(state, b)?);
    }
    for g in &state.gateways {
        files.extend(apache::render(state, g)?);
    }
    files.sort_by(|a, b| (&a.host, &a.path).cmp(&(&b.host, &b.path)));
    if let Some(w) = files
        .windows(2)
        .find(|w| w[0].host == w[1].host && w[0].path == w[1].path)
    {
        return Err(RenderError::invalid(
            &w[1].source,
            format!(
                "{}:{} is also rendered by {}; give one of them another path",
                w[1].host, w[1].path, w[0].source
            ),
        ));
    }
    let cib = state.clusters.iter().map(cib::render).collect::<Vec<_>>();
    Ok(Rendered {
        files,
        cib,
        objects: k8s::render(state),
    })
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
fn source_name<S>(doc: &Located<schema::Document<S>>) -> String {
    format!("{}/{}", doc.doc.kind, doc.doc.metadata.name)
}

/// The header comment of a generated file: who owns it and which document produced it.
/// No commit id and no time, so that the bytes only change when the content does.
fn header(prefix: &str, source: &str, origin: &Origin) -> String {
    format!(
        "{prefix} Managed by agent: rendered from {source} ({file}).\n\
         {prefix} Do not edit on the host: changes are reported as drift and overwritten.\n",
        file = origin.file
    )
}

/// The hosts a document applies to: the names it lists, or else every inventory
/// host with `role`, in inventory order.
fn target_hosts<'a>(
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

    const GW: &str = "
apiVersion: agent/v1
kind: Gateway
metadata: {name: a}
spec:
  siteName: same
  vhosts: [{serverName: a.example}]
";

    #[test]
    fn two_documents_claiming_one_file_are_refused() {
        let second = GW.replace("name: a}", "name: b}");
        let s = state_from(&[
            ("inv.yaml", TEST_INVENTORY),
            ("a.yaml", GW),
            ("b.yaml", &second),
        ]);
        let e = render(&s).unwrap_err().to_string();
        assert!(e.contains("gw:/etc/apache2/sites-enabled/same.conf"), "{e}");
        assert!(e.contains("Gateway/a") && e.contains("Gateway/b"), "{e}");
        let d = render(&s).unwrap_err().to_diagnostic(&s);
        // The document starts at its first key (GW begins with an empty line).
        assert_eq!((d.file.as_str(), d.line), ("b.yaml", 2));
    }

    #[test]
    fn files_are_sorted_by_host_then_path() {
        let b = "apiVersion: agent/v1\nkind: Balancer\nmetadata: {name: b}\nspec: {}\n";
        let s = state_from(&[("inv.yaml", TEST_INVENTORY), ("b.yaml", b), ("g.yaml", GW)]);
        let r = render(&s).unwrap();
        let hosts: Vec<_> = r.files.iter().map(|f| f.host.as_str()).collect();
        assert_eq!(hosts, ["gw", "lb1", "lb2"]);
    }

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
