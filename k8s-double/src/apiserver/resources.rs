//! The resource types the double serves, and the discovery and OpenAPI documents
//! clients (kube-rs, kubectl) read before they touch an object.

use serde_json::{json, Value};

/// One REST resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    pub short: &'static [&'static str],
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
) -> ResourceType {
    ResourceType {
        group,
        version,
        kind,
        plural,
        namespaced,
        short,
    }
}

/// Everything the agent applies in the lab and the tests.
pub const TYPES: &[ResourceType] = &[
    rt("", "v1", "Namespace", "namespaces", false, &["ns"]),
    rt("", "v1", "Node", "nodes", false, &["no"]),
    rt("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
    rt("", "v1", "Secret", "secrets", true, &[]),
    rt("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
    rt("", "v1", "Service", "services", true, &["svc"]),
    rt("apps", "v1", "Deployment", "deployments", true, &["deploy"]),
    rt("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"]),
    rt("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"]),
    rt(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        &["ing"],
    ),
    // Leader election of `agent run` (and of controllers): a plain namespaced object,
    // updated with the resourceVersion precondition like any other.
    rt("coordination.k8s.io", "v1", "Lease", "leases", true, &[]),
];

pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    TYPES
        .iter()
        .find(|t| t.group == group && t.version == version && t.plural == plural)
}

fn groups() -> Vec<&'static str> {
    let mut g: Vec<&str> = TYPES
        .iter()
        .map(|t| t.group)
        .filter(|g| !g.is_empty())
        .collect();
    g.dedup();
    g
}

const VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// `GET /api/v1`, `GET /apis/<group>/v1`.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = TYPES
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .map(|t| {
            json!({
                "name": t.plural, "singularName": t.kind.to_lowercase(), "namespaced": t.namespaced,
                "kind": t.kind, "verbs": VERBS, "shortNames": t.short,
                "categories": if matches!(t.kind, "Deployment" | "StatefulSet" | "DaemonSet" | "Service") { vec!["all"] } else { vec![] },
            })
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

/// `GET /api`.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
           "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
}

/// `GET /apis`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .map(|g| {
            let gv = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /version`.
pub fn version() -> Value {
    json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0-agent-double", "gitCommit": "0",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24",
           "compiler": "gc", "platform": "linux/amd64"})
}

fn gv_path(group: &str) -> String {
    if group.is_empty() {
        "api/v1".into()
    } else {
        format!("apis/{group}/v1")
    }
}

/// `GET /openapi/v3`: the index kubectl reads to learn that the server validates
/// fields itself (so it skips client-side schema validation).
pub fn openapi_index() -> Value {
    let mut paths = serde_json::Map::new();
    let mut gs = vec![""];
    gs.extend(groups());
    for g in gs {
        let p = gv_path(g);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=0")}),
        );
    }
    json!({ "paths": paths })
}

/// `GET /openapi/v3/api/v1` etc.: one PATCH operation per kind, declaring the
/// `fieldValidation` query parameter and the kind (`x-kubernetes-group-version-kind`).
pub fn openapi_group(path: &str) -> Option<Value> {
    let group = match path.trim_matches('/') {
        "api/v1" => "",
        p => p.strip_prefix("apis/")?.strip_suffix("/v1")?,
    };
    let mut paths = serde_json::Map::new();
    for t in TYPES.iter().filter(|t| t.group == group) {
        let prefix = format!("/{}", gv_path(group));
        let p = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{prefix}/{}/{{name}}", t.plural)
        };
        let gvk = json!({"group": t.group, "version": t.version, "kind": t.kind});
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
            {"name": "force", "in": "query", "schema": {"type": "boolean"}},
        ]);
        let op = json!({"operationId": format!("patch{}", t.kind), "parameters": params,
                        "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
                        "responses": {"200": {"description": "OK"}}});
        paths.insert(p, json!({ "patch": op }));
    }
    if paths.is_empty() {
        return None;
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.34.0"},
                "paths": paths, "components": {"schemas": {}}}),
    )
}
