//! What clients read beyond plain objects: WATCH streams (replay from a
//! resourceVersion, then live events) and `Table` answers for `kubectl get`.

use super::request::{self, Target};
use super::server::Body;
use super::store::{Key, Store};
use super::Shared;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::Response;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

pub fn watch(shared: &Shared, t: &Target, q: BTreeMap<String, String>) -> Response<Body> {
    let store = shared.store.lock().expect("store lock");
    let in_scope = {
        let plural = t.rt.plural.to_string();
        let ns = t.namespace.clone();
        move |k: &Key| k.0 == plural && ns.as_ref().is_none_or(|n| *n == k.1)
    };
    let from: Option<u64> = q
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0);
    // Unset or "0": the current state as ADDED events first, then changes.
    let backlog: Vec<(String, Value)> = match from {
        Some(rv) => store
            .log
            .iter()
            .filter(|e| e.rv > rv && in_scope(&e.key))
            .map(|e| (e.kind.to_string(), e.object.clone()))
            .collect(),
        None => store
            .objects
            .iter()
            .filter(|(k, _)| in_scope(k))
            .map(|(_, s)| ("ADDED".to_string(), Store::view(s)))
            .collect(),
    };
    let rx = store.events.subscribe();
    drop(store);
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(300u64);
    let q2 = q.clone();
    let live = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => return Some(((e.kind.to_string(), e.object, e.key), rx)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    })
    .filter(move |(_, _, k)| futures::future::ready(in_scope(k)))
    .map(|(kind, o, _)| (kind, o));
    let events = futures::stream::iter(backlog)
        .chain(live)
        .filter(move |(_, o)| futures::future::ready(request::selected(o, &q2)))
        .map(|(kind, o)| {
            let line = format!("{}\n", json!({"type": kind, "object": o}));
            Ok::<_, Infallible>(Frame::data(Bytes::from(line)))
        })
        .take_until(tokio::time::sleep(Duration::from_secs(timeout)));
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(BodyExt::boxed_unsync(StreamBody::new(events)))
        .expect("static response parts are valid")
}

/// `meta.k8s.io/v1` Table for a list or one object (what `kubectl get` prints).
pub fn table(t: &Target, v: &Value) -> Value {
    let objects: Vec<Value> = match v.get("items") {
        Some(Value::Array(items)) => items.clone(),
        _ => vec![v.clone()],
    };
    let rows: Vec<Value> = objects
        .into_iter()
        .map(|o| {
            let extra = if t.rt.kind == "Deployment" {
                let ready = o["status"]["readyReplicas"].as_i64().unwrap_or(0);
                format!("{ready}/{}", o["spec"]["replicas"].as_i64().unwrap_or(0))
            } else {
                o["metadata"]["namespace"].as_str().unwrap_or("").to_string()
            };
            json!({"cells": [o["metadata"]["name"], extra, o["metadata"]["creationTimestamp"]], "object": o})
        })
        .collect();
    let second = if t.rt.kind == "Deployment" {
        "Ready"
    } else {
        "Namespace"
    };
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
           "metadata": {"resourceVersion": v["metadata"]["resourceVersion"]},
           "columnDefinitions": [
               {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
               {"name": second, "type": "string", "format": "", "description": "", "priority": 0},
               {"name": "Created At", "type": "date", "format": "", "description": "", "priority": 0}],
           "rows": rows})
}
