//! Workloads → Kubernetes objects in apply order.
//!
//! `App` documents become a Deployment and (when they declare a service) a
//! Service; raw manifests from `workloads/` pass through unchanged except for
//! the ownership label. Every object carries
//! `app.kubernetes.io/managed-by: agent`, which is how the Kubernetes target
//! knows what it may prune. Order: Namespaces, then ConfigMaps, Secrets and
//! ServiceAccounts, then workloads, then Services and Ingresses, then
//! everything else; within a group the repo's order is kept (stable sort),
//! raw manifests first, then Apps.

use schema::{AppSpec, DesiredState, Document, Located, ServiceType};
use serde_json::{json, Map, Value};

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const MANAGER: &str = "agent";
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// Every object the workloads declare, in apply order.
pub fn render(state: &DesiredState) -> Vec<Value> {
    let mut objects: Vec<Value> = state
        .manifests
        .iter()
        .map(|m| {
            let mut o = m.object.clone();
            label_managed(&mut o);
            o
        })
        .collect();
    for app in &state.apps {
        objects.extend(render_app(app));
    }
    objects.sort_by_key(|o| apply_rank(o["kind"].as_str().unwrap_or_default()));
    objects
}

/// Position of a kind in the apply order: what others depend on goes first.
pub fn apply_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" | "CustomResourceDefinition" => 0,
        "ConfigMap" | "Secret" | "ServiceAccount" | "PersistentVolumeClaim" => 1,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod" => 2,
        "Service" | "Ingress" => 3,
        _ => 4,
    }
}

fn label_managed(o: &mut Value) {
    let Some(obj) = o.as_object_mut() else {
        return;
    };
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(MANAGED_BY.into(), MANAGER.into());
        }
    }
}

/// The Deployment and the Service of one `App`.
pub fn render_app(app: &Located<Document<AppSpec>>) -> Vec<Value> {
    let doc = &app.doc;
    let name = &doc.metadata.name;
    let ns = doc.metadata.namespace.as_deref().unwrap_or("default");
    let spec = &doc.spec;
    let mut labels = Map::new();
    for (k, v) in &doc.metadata.labels {
        labels.insert(k.clone(), v.clone().into());
    }
    labels.insert(NAME_LABEL.into(), name.clone().into());
    labels.insert(MANAGED_BY.into(), MANAGER.into());
    let selector = json!({ NAME_LABEL: name });
    let mut metadata = json!({ "name": name, "namespace": ns, "labels": labels });
    if !doc.metadata.annotations.is_empty() {
        metadata["annotations"] = json!(doc.metadata.annotations);
    }

    let mut pod_spec = json!({ "containers": [container(name, spec)] });
    if spec.spread_across_nodes {
        // Hard spread (at most one replica more on any node than on another)
        // plus a soft anti-affinity, so two replicas on two nodes never share one.
        pod_spec["topologySpreadConstraints"] = json!([{
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": { "matchLabels": selector },
        }]);
        pod_spec["affinity"] = json!({ "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": { "matchLabels": selector },
                },
            }],
        }});
    }
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": spec.replicas,
            "selector": { "matchLabels": selector },
            "template": {
                "metadata": { "labels": labels },
                "spec": pod_spec,
            },
        },
    });
    let mut out = vec![deployment];
    if let Some(svc) = &spec.service {
        let mut port = json!({
            "name": "http",
            "protocol": "TCP",
            "port": svc.port.unwrap_or(spec.container_port),
            "targetPort": "http",
        });
        if let Some(np) = svc.node_port {
            port["nodePort"] = json!(np);
        }
        let kind = match svc.service_type {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        };
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": metadata,
            "spec": { "type": kind, "selector": selector, "ports": [port] },
        }));
    }
    out
}

fn container(name: &str, spec: &AppSpec) -> Value {
    let mut c = json!({
        "name": name,
        "image": spec.image,
        "ports": [{ "name": "http", "containerPort": spec.container_port, "protocol": "TCP" }],
    });
    if !spec.args.is_empty() {
        c["args"] = json!(spec.args);
    }
    if !spec.env.is_empty() {
        c["env"] = Value::Array(spec.env.iter().map(env_var).collect());
    }
    if let Some(p) = &spec.readiness_path {
        c["readinessProbe"] = json!({ "httpGet": { "path": p, "port": "http" } });
    }
    if !spec.resources.is_empty() {
        c["resources"] = json!(spec.resources);
    }
    c
}

fn env_var(e: &schema::EnvVar) -> Value {
    let mut v = json!({ "name": e.name });
    if let Some(val) = &e.value {
        v["value"] = json!(val);
    } else if let Some(r) = &e.secret_key_ref {
        v["valueFrom"] = json!({ "secretKeyRef": { "name": r.name, "key": r.key } });
    } else if let Some(r) = &e.config_map_key_ref {
        v["valueFrom"] = json!({ "configMapKeyRef": { "name": r.name, "key": r.key } });
    }
    v
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
