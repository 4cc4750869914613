//! Object identity and apply order: Namespaces → ConfigMaps/Secrets/ServiceAccounts →
//! workload controllers → Services/Ingresses → everything else. Prune runs the reverse.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which object: enough to find it again (the inventory stores these).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// Reads identity from an object; `Err` names what is missing.
    pub fn of(o: &Value) -> Result<ObjectRef, String> {
        let s = |v: &Value, what: &str| {
            v.as_str()
                .filter(|s| !s.is_empty())
                .map(String::from)
                .ok_or(format!("{what} is missing"))
        };
        Ok(ObjectRef {
            api_version: s(&o["apiVersion"], "apiVersion")?,
            kind: s(&o["kind"], "kind")?,
            namespace: o["metadata"]["namespace"].as_str().map(String::from),
            name: s(&o["metadata"]["name"], "metadata.name")?,
        })
    }

    /// `(group, version)`; the core group is `""`.
    pub fn group_version(&self) -> (&str, &str) {
        match self.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", self.api_version.as_str()),
        }
    }

    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    pub fn rank(&self) -> u8 {
        rank(&self.kind)
    }
}

pub fn rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ConfigMap" | "Secret" | "ServiceAccount" => 1,
        "Deployment" | "StatefulSet" | "DaemonSet" => 2,
        "Service" | "Ingress" => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_sort_in_dependency_order_and_refs_name_the_object() {
        let mut kinds = vec![
            "Ingress",
            "PodDisruptionBudget",
            "Deployment",
            "Secret",
            "Namespace",
            "Service",
        ];
        kinds.sort_by_key(|k| rank(k));
        assert_eq!(
            kinds,
            [
                "Namespace",
                "Secret",
                "Deployment",
                "Ingress",
                "Service",
                "PodDisruptionBudget"
            ]
        );
        let r = ObjectRef::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "demo"}})).unwrap();
        assert_eq!(r.display(), "Deployment/demo/web");
        assert_eq!(r.group_version(), ("apps", "v1"));
        let err = ObjectRef::of(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))
            .unwrap_err();
        assert!(err.contains("metadata.name"), "{err}");
    }
}
