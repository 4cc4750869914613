//! The reading and deleting verbs, the namespace controller and the `/scale`
//! subresource. Each verb returns `(status code, JSON body)`; the store lock is held
//! for the whole verb, so every request sees and leaves a consistent state.

use super::request::{not_found, selected, status, Target};
use super::store::{now, Key, Store};
use super::write;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub type Reply = (u16, Value);
pub type Query = BTreeMap<String, String>;

pub fn key(t: &Target, name: &str) -> Key {
    (
        t.rt.plural.into(),
        t.namespace.clone().unwrap_or_default(),
        name.into(),
    )
}

pub fn dry_run(q: &Query) -> bool {
    q.get("dryRun").is_some_and(|v| v == "All")
}

pub fn get(store: &Store, t: &Target, name: &str) -> Reply {
    match store.objects.get(&key(t, name)) {
        Some(s) => (200, Store::view(s)),
        None => (404, not_found(t, name)),
    }
}

pub fn list(store: &Store, t: &Target, q: &Query) -> Reply {
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((p, ns, _), _)| p == t.rt.plural && t.namespace.as_ref().is_none_or(|n| n == ns))
        .map(|(_, s)| Store::view(s))
        .filter(|o| selected(o, q))
        .collect();
    let body = json!({"kind": format!("{}List", t.rt.kind), "apiVersion": t.rt.api_version(),
                      "metadata": {"resourceVersion": store.rv.to_string()}, "items": items});
    (200, body)
}

pub fn delete(store: &mut Store, t: &Target, name: &str, q: &Query) -> Reply {
    let k = key(t, name);
    let Some(live) = store.objects.get(&k) else {
        return (404, not_found(t, name));
    };
    let view = Store::view(live);
    if dry_run(q) {
        return (200, view);
    }
    if t.rt.kind == "Namespace" {
        // Like the real server: the namespace turns Terminating now; the namespace
        // controller ([`finish_namespace`]) empties and removes it a moment later.
        let mut s = live.clone();
        s.object["metadata"]["deletionTimestamp"] = json!(now());
        s.object["status"]["phase"] = json!("Terminating");
        let view = store.write(k, s.object, s.managers);
        return (200, view);
    }
    store.delete(&k);
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "details": {"name": name, "group": t.rt.group, "kind": t.rt.plural, "uid": view["metadata"]["uid"]}});
    (200, body)
}

/// The namespace controller: deletes everything in a Terminating namespace, then the namespace.
pub fn finish_namespace(store: &mut Store, name: &str) {
    let inside: Vec<Key> = store
        .objects
        .keys()
        .filter(|(_, ns, _)| ns == name)
        .cloned()
        .collect();
    for k in inside {
        store.delete(&k);
    }
    store.delete(&("namespaces".into(), String::new(), name.into()));
}

/// Refuses writes into a namespace that is being deleted, as the real server does.
pub fn namespace_terminating(store: &Store, t: &Target) -> Result<(), Reply> {
    let Some(ns) = &t.namespace else {
        return Ok(());
    };
    let key: Key = ("namespaces".into(), String::new(), ns.clone());
    match store.objects.get(&key) {
        Some(s) if s.object["metadata"].get("deletionTimestamp").is_some() => {
            let msg = format!(
                "unable to create new content in namespace {ns} because it is being terminated"
            );
            Err((403, status(403, "Forbidden", &msg)))
        }
        _ => Ok(()),
    }
}

/// The `autoscaling/v1` Scale view of a Deployment or StatefulSet.
fn scale_view(o: &Value) -> Value {
    let selector: Vec<String> = o["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let md = &o["metadata"];
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
           "metadata": {"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
                        "resourceVersion": md["resourceVersion"], "creationTimestamp": md["creationTimestamp"]},
           "spec": {"replicas": o["spec"]["replicas"]},
           "status": {"replicas": o["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector.join(",")}})
}

/// `GET`/`PUT`/`PATCH` (merge) on `/scale`: reads or sets `spec.replicas` of the object.
pub fn scale(
    store: &mut Store,
    t: &Target,
    name: &str,
    method: &str,
    payload: &Value,
    q: &Query,
    ready_now: bool,
) -> Reply {
    if !matches!(t.rt.kind, "Deployment" | "StatefulSet") {
        return (
            404,
            status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        );
    }
    let Some(live) = store.objects.get(&key(t, name)).map(Store::view) else {
        return (404, not_found(t, name));
    };
    let mut wanted = scale_view(&live);
    match method {
        "GET" => return (200, wanted),
        "PUT" => wanted = payload.clone(),
        "PATCH" => write::merge_patch(&mut wanted, payload),
        _ => {
            return (
                405,
                status(
                    405,
                    "MethodNotAllowed",
                    "scale supports get, update and patch",
                ),
            )
        }
    }
    let Some(replicas) = wanted["spec"]["replicas"].as_i64() else {
        return (
            422,
            status(422, "Invalid", "Scale spec.replicas: Required value"),
        );
    };
    match write::patch_merge(
        store,
        t,
        name,
        &json!({"spec": {"replicas": replicas}}),
        q,
        ready_now,
    ) {
        (code, o) if code < 300 => (code, scale_view(&o)),
        err => err,
    }
}
