//! Live Kubernetes objects → workload manifests under `workloads/<namespace>/`.
//!
//! Same shape as the other importers. Normalised as Flux and kubectl-neat do:
//! `status`, server-owned metadata (uid, resourceVersion, managedFields…), the
//! client-side-apply annotation, controller bookkeeping (`deployment.kubernetes.io/
//! revision`) and server-assigned fields (a Service's cluster IPs) are dropped.
//! Objects another object owns (ReplicaSets, Pods, Jobs of a CronJob…), the
//! namespace's default ServiceAccount, its `kube-root-ca.crt` ConfigMap and
//! service-account token Secrets are the cluster's, not the team's: left alone.
//! Secret `data`/`stringData` values are encrypted per `.sops.yaml`.

use super::assemble::{Check, Entry};
use super::doc::{doc_name, Comments};
use super::summary::{Fate, FileSummary, Format};
use super::write::{self, SopsConfig};
use serde_json::Value;

/// The kinds listed in each namespace: `(group, version, kind, plural)`.
pub const KINDS: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "ConfigMap", "configmaps"),
    ("", "v1", "Secret", "secrets"),
    ("", "v1", "ServiceAccount", "serviceaccounts"),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("", "v1", "Service", "services"),
    ("apps", "v1", "Deployment", "deployments"),
    ("apps", "v1", "StatefulSet", "statefulsets"),
    ("apps", "v1", "DaemonSet", "daemonsets"),
    ("batch", "v1", "CronJob", "cronjobs"),
    ("networking.k8s.io", "v1", "Ingress", "ingresses"),
];

const DROP_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
];
const DROP_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// Why an object is the cluster's rather than the team's (`None`: import it).
pub fn skip_reason(o: &Value) -> Option<&'static str> {
    let m = &o["metadata"];
    if m["ownerReferences"]
        .as_array()
        .is_some_and(|r| !r.is_empty())
    {
        return Some("owned by another object");
    }
    match (o["kind"].as_str(), m["name"].as_str()) {
        (Some("ServiceAccount"), Some("default")) => Some("the namespace's default ServiceAccount"),
        (Some("ConfigMap"), Some("kube-root-ca.crt")) => Some("published by the cluster"),
        (Some("Secret"), _) if o["type"] == "kubernetes.io/service-account-token" => {
            Some("a service-account token")
        }
        _ => None,
    }
}

/// The object as a manifest: what the team declared, not what the server added.
pub fn normalise(o: &Value) -> Value {
    let mut o = o.clone();
    let Some(obj) = o.as_object_mut() else {
        return o;
    };
    obj.remove("status");
    if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in DROP_METADATA {
            md.remove(*k);
        }
        if let Some(a) = md.get_mut("annotations").and_then(Value::as_object_mut) {
            for k in DROP_ANNOTATIONS {
                a.remove(*k);
            }
        }
        if let Some(l) = md.get_mut("labels").and_then(Value::as_object_mut) {
            l.remove(crate::targets::workloads::render::MANAGED_BY);
            l.remove("kubernetes.io/metadata.name");
        }
        for k in ["annotations", "labels"] {
            if md
                .get(k)
                .and_then(Value::as_object)
                .is_some_and(|m| m.is_empty())
            {
                md.remove(k);
            }
        }
    }
    if obj.get("kind").and_then(Value::as_str) == Some("Service") {
        if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
            for k in ["clusterIP", "clusterIPs"] {
                spec.remove(k);
            }
        }
    }
    if obj.get("kind").and_then(Value::as_str) == Some("Namespace") {
        obj.remove("spec");
    }
    if let Some(t) = obj
        .get_mut("spec")
        .and_then(|s| s.get_mut("template"))
        .and_then(|t| t.get_mut("metadata"))
        .and_then(Value::as_object_mut)
    {
        if t.get("creationTimestamp").is_some_and(Value::is_null) {
            t.remove("creationTimestamp");
        }
    }
    o
}

/// One repo file per object; a summary line per object.
pub fn entries(objects: &[Value], sops: Option<&SopsConfig>) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or("Object");
        let name = o["metadata"]["name"].as_str().unwrap_or("unnamed");
        let ns = o["metadata"]["namespace"]
            .as_str()
            .unwrap_or(if kind == "Namespace" { name } else { "default" });
        let label = format!("{kind}/{ns}/{name}");
        let mut summary = FileSummary::new(None, &label, Format::K8s);
        if let Some(why) = skip_reason(o) {
            summary.count(0, Fate::Unmanaged, label.clone(), why);
            continue;
        }
        let manifest = normalise(o);
        summary.count(0, Fate::Typed, label.clone(), "");
        let path = format!(
            "workloads/{}/{}-{}.yaml",
            doc_name(ns),
            kind.to_ascii_lowercase(),
            doc_name(name)
        );
        summary.written_to = path.clone();
        let mut secrets = Vec::new();
        let mut secret_values = Vec::new();
        if kind == "Secret" {
            for field in ["data", "stringData"] {
                if let Some(m) = manifest[field].as_object() {
                    for (k, v) in m {
                        secrets.push(format!("{field}.{k}"));
                        secret_values.extend(v.as_str().map(String::from));
                    }
                }
            }
        }
        let value: serde_yaml::Value =
            serde_json::from_value(manifest.clone()).map_err(|e| e.to_string())?;
        let mut comments = Comments::default();
        comments.add(
            "metadata",
            format!("{label}, as the API server returned it, minus what the server maintains"),
        );
        let header = vec![format!(
            "{label}: imported by `agent import` from the Kubernetes API."
        )];
        let file = write::value_file(
            &path,
            &header,
            &value,
            &comments,
            &secrets_keys(&secrets, kind),
            sops,
            &label,
        )?;
        out.push(Entry {
            file,
            kind: "Manifest",
            name: label,
            summaries: vec![summary],
            secret_values,
            check: Check::Workload(manifest),
        });
    }
    Ok(out)
}

/// A Secret's values are encrypted as whole `data`/`stringData` maps (sops encrypts the
/// leaves under them, like the sample repo's rule).
fn secrets_keys(secrets: &[String], kind: &str) -> Vec<String> {
    if kind != "Secret" || secrets.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<String> = secrets
        .iter()
        .filter_map(|s| s.split('.').next())
        .map(String::from)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Lists the objects of `namespaces` (and the Namespace objects themselves).
pub async fn list(client: &kube::Client, namespaces: &[String]) -> Result<Vec<Value>, String> {
    use kube::api::{Api, DynamicObject, ListParams};
    use kube::discovery::ApiResource;
    let mut out = Vec::new();
    for ns in namespaces {
        let nsr = ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: "Namespace".into(),
            plural: "namespaces".into(),
        };
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &nsr);
        match api.get(ns).await {
            Ok(o) => out.push(with_kind(
                serde_json::to_value(o).map_err(|e| e.to_string())?,
                "v1",
                "Namespace",
            )),
            Err(e) => return Err(format!("namespace {ns}: {e}")),
        }
        for (group, version, kind, plural) in KINDS {
            let api_version = if group.is_empty() {
                version.to_string()
            } else {
                format!("{group}/{version}")
            };
            let ar = ApiResource {
                group: group.to_string(),
                version: version.to_string(),
                api_version: api_version.clone(),
                kind: kind.to_string(),
                plural: plural.to_string(),
            };
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
            match api.list(&ListParams::default()).await {
                Ok(list) => {
                    for o in list.items {
                        out.push(with_kind(
                            serde_json::to_value(o).map_err(|e| e.to_string())?,
                            &api_version,
                            kind,
                        ));
                    }
                }
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(format!("listing {kind} in {ns}: {e}")),
            }
        }
    }
    Ok(out)
}

/// LIST items come without `apiVersion`/`kind`: put them back.
fn with_kind(mut v: Value, api_version: &str, kind: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("apiVersion".into(), api_version.into());
        o.insert("kind".into(), kind.into());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_fields_go_and_cluster_objects_are_left_alone() {
        let live = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "apps", "uid": "u", "resourceVersion": "7",
            "managedFields": [], "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}, "labels": {"app": "web"}},
            "spec": {"clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5"], "ports": [{"port": 80}]}, "status": {}});
        assert_eq!(
            normalise(&live),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "apps", "labels": {"app": "web"}}, "spec": {"ports": [{"port": 80}]}})
        );
        assert!(skip_reason(&json!({"kind": "ReplicaSet", "metadata": {"ownerReferences": [{"kind": "Deployment"}]}})).is_some());
        assert!(
            skip_reason(&json!({"kind": "ServiceAccount", "metadata": {"name": "default"}}))
                .is_some()
        );
    }
}
