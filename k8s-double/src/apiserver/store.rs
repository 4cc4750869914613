//! The double's state: objects, field managers, a global resourceVersion and the
//! event log WATCH replays from. Every write goes through [`Store::write`], which
//! bumps the resourceVersion, records the event and publishes it.

use super::resources::ResourceType;
use super::ssa::{self, Managers};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio::sync::broadcast;

/// `(plural, namespace or "", name)`.
pub type Key = (String, String, String);

#[derive(Debug, Clone)]
pub struct Stored {
    pub object: Value,
    pub managers: Managers,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub rv: u64,
    /// `ADDED`, `MODIFIED`, `DELETED`.
    pub kind: &'static str,
    pub key: Key,
    pub object: Value,
}

#[derive(Debug)]
pub struct Store {
    pub objects: BTreeMap<Key, Stored>,
    pub rv: u64,
    pub log: Vec<Event>,
    pub events: broadcast::Sender<Event>,
    uid: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            objects: BTreeMap::new(),
            rv: 1,
            log: Vec::new(),
            events: broadcast::channel(1024).0,
            uid: 0,
        }
    }
}

pub fn now() -> String {
    // Fixed-width UTC; the double does not need a calendar, only a valid timestamp.
    "2026-01-01T00:00:00Z".to_string()
}

impl Store {
    /// The object as clients see it: with resourceVersion and managedFields.
    pub fn view(s: &Stored) -> Value {
        let mut o = s.object.clone();
        o["metadata"]["managedFields"] = ssa::render(&s.managers);
        o
    }

    /// Stores `object` under `key` (new or replacing), filling the server-owned metadata.
    pub fn write(&mut self, key: Key, mut object: Value, managers: Managers) -> Value {
        self.rv += 1;
        let old = self.objects.get(&key);
        let kind = if old.is_some() { "MODIFIED" } else { "ADDED" };
        let md = &mut object["metadata"];
        md["resourceVersion"] = json!(self.rv.to_string());
        if old.is_none() || md.get("uid").is_none() {
            self.uid += 1;
            md["uid"] = json!(format!("00000000-0000-4000-8000-{:012}", self.uid));
            md["creationTimestamp"] = json!(now());
        }
        let stored = Stored { object, managers };
        let view = Self::view(&stored);
        self.objects.insert(key.clone(), stored);
        self.publish(kind, key, view.clone());
        view
    }

    pub fn delete(&mut self, key: &Key) -> Option<Value> {
        let gone = self.objects.remove(key)?;
        self.rv += 1;
        let mut view = Self::view(&gone);
        view["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.publish("DELETED", key.clone(), view.clone());
        Some(view)
    }

    fn publish(&mut self, kind: &'static str, key: Key, object: Value) {
        let ev = Event {
            rv: self.rv,
            kind,
            key,
            object,
        };
        self.log.push(ev.clone());
        let _ = self.events.send(ev);
    }
}

/// What the real API server adds to an object a client did not fully specify;
/// the agent's diff must see through these.
pub fn default_fields(t: &ResourceType, o: &mut Value) {
    let name = o["metadata"]["name"].clone();
    match t.kind {
        "Namespace" => {
            o["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            o["spec"]["finalizers"] = json!(["kubernetes"]);
            o["status"] = json!({"phase": "Active"});
        }
        "Deployment" => {
            let spec = &mut o["spec"];
            for (k, v) in [
                ("replicas", json!(1)),
                ("revisionHistoryLimit", json!(10)),
                ("progressDeadlineSeconds", json!(600)),
                (
                    "strategy",
                    json!({"type": "RollingUpdate",
                       "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                ),
            ] {
                if spec.get(k).is_none() {
                    spec[k] = v;
                }
            }
            if let Some(tpl) = spec.get_mut("template").and_then(|t| t.get_mut("spec")) {
                if tpl.get("restartPolicy").is_none() {
                    tpl["restartPolicy"] = json!("Always");
                }
                if tpl.get("dnsPolicy").is_none() {
                    tpl["dnsPolicy"] = json!("ClusterFirst");
                }
                let containers = tpl.get_mut("containers").and_then(Value::as_array_mut);
                for c in containers.into_iter().flatten() {
                    for (k, v) in [
                        ("imagePullPolicy", "IfNotPresent"),
                        ("terminationMessagePath", "/dev/termination-log"),
                        ("terminationMessagePolicy", "File"),
                    ] {
                        if c.get(k).is_none() {
                            c[k] = json!(v);
                        }
                    }
                }
            }
        }
        "Service" => {
            let spec = &mut o["spec"];
            if spec.get("type").is_none() {
                spec["type"] = json!("ClusterIP");
            }
            if spec.get("clusterIP").is_none() {
                spec["clusterIP"] = json!("10.96.0.10");
            }
            if spec.get("sessionAffinity").is_none() {
                spec["sessionAffinity"] = json!("None");
            }
        }
        "Secret" => {
            if o.get("type").is_none() {
                o["type"] = json!("Opaque");
            }
            // The API server folds write-only stringData into data.
            if let Some(Value::Object(sd)) = o.as_object_mut().and_then(|m| m.remove("stringData"))
            {
                use base64::Engine;
                for (k, v) in sd {
                    let enc = base64::engine::general_purpose::STANDARD
                        .encode(v.as_str().unwrap_or_default());
                    o["data"][k] = json!(enc);
                }
            }
        }
        _ => {}
    }
}

/// A Deployment's rollout as the controller would report it once all replicas are up.
pub fn rolled_out_status(o: &Value) -> Value {
    let replicas = o["spec"]["replicas"].as_i64().unwrap_or(1);
    json!({
        "observedGeneration": o["metadata"]["generation"],
        "replicas": replicas, "updatedReplicas": replicas,
        "readyReplicas": replicas, "availableReplicas": replicas,
        "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                       {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}],
    })
}
