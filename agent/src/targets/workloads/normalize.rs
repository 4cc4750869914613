//! Normalise before comparing: server-owned fields go, fields the server
//! defaulted identically on both sides go, Secret values become keyed tokens. What is
//! left is printed as YAML and diffed.

use crate::mask::Masker;
use base64::Engine;
use serde_json::{Map, Value};

const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
];
/// Client-side apply's copy of the whole object (may hold Secret data); never ours.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops `status` and server-owned metadata.
pub fn strip_server_fields(o: &mut Value) {
    let Some(m) = o.as_object_mut() else { return };
    m.remove("status");
    if let Some(md) = m.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in SERVER_METADATA {
            md.remove(*k);
        }
        if let Some(a) = md.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove(LAST_APPLIED);
            if a.is_empty() {
                md.remove("annotations");
            }
        }
    }
}

/// Removes from both `live` and `after` every field the desired object does not set and
/// whose value is the same on both sides (server defaults, other managers' fields):
/// they are not part of the change and only hide it.
pub fn prune_common(live: &mut Value, after: &mut Value, desired: &Value) {
    match (live, after, desired) {
        (Value::Object(l), Value::Object(a), _) => {
            let keys: Vec<String> = l.keys().chain(a.keys()).cloned().collect();
            for k in keys {
                match desired.get(&k) {
                    None if l.get(&k) == a.get(&k) => {
                        l.remove(&k);
                        a.remove(&k);
                    }
                    Some(d) if d.is_object() || d.is_array() => {
                        if let (Some(lv), Some(av)) = (l.get_mut(&k), a.get_mut(&k)) {
                            prune_common(lv, av, d);
                        }
                    }
                    _ => {}
                }
            }
        }
        // Lists item by item, when the items line up (containers, ports).
        (Value::Array(l), Value::Array(a), Value::Array(d))
            if l.len() == a.len() && a.len() == d.len() =>
        {
            for ((lv, av), dv) in l.iter_mut().zip(a.iter_mut()).zip(d) {
                prune_common(lv, av, dv);
            }
        }
        _ => {}
    }
}

/// Replaces each Secret `data`/`stringData` value by a keyed token: a changed key
/// shows as a changed token, the value never shows.
pub fn mask_secret(o: &mut Value, masker: &Masker) {
    if o["kind"] != "Secret" {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = o.get_mut(field) {
            for v in m.values_mut() {
                *v = Value::String(masker.token(v.as_str().unwrap_or_default()));
            }
        }
    }
}

/// A masker that also knows every Secret value in `objects` (raw, base64 and decoded),
/// so a value copied anywhere else (an annotation, an env var) is masked too.
pub fn with_secret_values<'a>(
    masker: &Masker,
    objects: impl IntoIterator<Item = &'a Value>,
) -> Masker {
    let mut m = masker.clone();
    for o in objects.into_iter().filter(|o| o["kind"] == "Secret") {
        for (field, encoded) in [("data", true), ("stringData", false)] {
            let Some(Value::Object(map)) = o.get(field) else {
                continue;
            };
            for v in map.values().filter_map(Value::as_str) {
                m.add_secret(v);
                let engine = base64::engine::general_purpose::STANDARD;
                if encoded {
                    if let Ok(plain) = engine.decode(v).map(String::from_utf8) {
                        plain.into_iter().for_each(|p| m.add_secret(p));
                    }
                } else {
                    m.add_secret(engine.encode(v));
                }
            }
        }
    }
    m
}

/// Deterministic YAML (keys sorted, as serde_json's map is).
pub fn to_yaml(o: &Value) -> String {
    if o.as_object().is_some_and(Map::is_empty) || o.is_null() {
        return String::new();
    }
    serde_yaml::to_string(o).unwrap_or_else(|e| format!("# unprintable object: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_defaults_and_bookkeeping_vanish_drift_and_removals_stay() {
        let desired =
            json!({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}});
        let mut live = json!({"kind": "Deployment", "metadata": {"name": "web", "uid": "u", "resourceVersion": "7",
            "managedFields": [], "labels": {"old": "x"}}, "spec": {"replicas": 5, "revisionHistoryLimit": 10}, "status": {"replicas": 5}});
        let mut after = json!({"kind": "Deployment", "metadata": {"name": "web", "uid": "u", "resourceVersion": "7"},
            "spec": {"replicas": 2, "revisionHistoryLimit": 10}});
        strip_server_fields(&mut live);
        strip_server_fields(&mut after);
        prune_common(&mut live, &mut after, &desired);
        assert_eq!(
            after,
            json!({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}})
        );
        assert_eq!(live["spec"], json!({"replicas": 5}));
        assert_eq!(
            live["metadata"]["labels"],
            json!({"old": "x"}),
            "a removal apply makes stays visible"
        );
    }

    #[test]
    fn defaults_inside_list_items_vanish_too() {
        let desired = json!({"spec": {"containers": [{"name": "web", "image": "a:2"}]}});
        let mut live = json!({"spec": {"containers": [{"name": "web", "image": "a:1", "imagePullPolicy": "IfNotPresent"}]}});
        let mut after = json!({"spec": {"containers": [{"name": "web", "image": "a:2", "imagePullPolicy": "IfNotPresent"}]}});
        prune_common(&mut live, &mut after, &desired);
        assert_eq!(
            live,
            json!({"spec": {"containers": [{"name": "web", "image": "a:1"}]}})
        );
        assert_eq!(after, desired);
        let mut two = json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "x": 1}]}});
        let mut one = json!({"spec": {"containers": [{"name": "a"}]}});
        prune_common(&mut two, &mut one, &desired);
        assert_eq!(
            two["spec"]["containers"][1]["x"], 1,
            "a removed item stays whole"
        );
    }

    #[test]
    fn secret_values_become_tokens_and_are_known_to_the_masker() {
        let m = Masker::new("k");
        let secret = json!({"kind": "Secret", "data": {"password": "aHVudGVyMjI="}, "stringData": {"token": "tok-123"}});
        let mut shown = secret.clone();
        mask_secret(&mut shown, &m);
        let text = to_yaml(&shown);
        assert!(
            !text.contains("aHVudGVyMjI=") && !text.contains("tok-123"),
            "{text}"
        );
        assert!(
            text.contains("password: '***")
                || text.contains("password: \"***")
                || text.contains("password: ***"),
            "{text}"
        );
        let m2 = with_secret_values(&m, [&secret]);
        assert!(!m2.mask("env: hunter22").contains("hunter22"));
        assert!(!m2.mask("x: tok-123").contains("tok-123"));
    }
}
