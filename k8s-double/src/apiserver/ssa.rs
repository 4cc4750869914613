//! A small model of server-side apply: field sets per manager, merge, removal of
//! fields a manager stopped applying, and conflicts between managers.
//!
//! Simplifications (documented, tested against what the agent and kubectl need):
//! maps merge key by key; every list is atomic (owned and replaced whole); a
//! field set is the set of leaf paths (a list or scalar, or an empty map).

use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub type Path = Vec<String>;

/// One manager's fields, as in `metadata.managedFields`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: BTreeSet<Path>,
}

pub type Managers = BTreeMap<String, Entry>;

/// Fields no manager owns: identity and server-owned bookkeeping.
fn ignored(path: &[String]) -> bool {
    match path {
        [a] => matches!(a.as_str(), "apiVersion" | "kind" | "status"),
        [m, f, ..] if m == "metadata" => matches!(
            f.as_str(),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "managedFields"
                | "selfLink"
                | "deletionTimestamp"
        ),
        [s, ..] => s == "status",
        _ => false,
    }
}

/// Leaf paths of an object, minus the fields nobody owns.
pub fn leaf_paths(v: &Value) -> BTreeSet<Path> {
    let mut out = BTreeSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out.retain(|p| !ignored(p));
    out
}

fn walk(v: &Value, at: &mut Path, out: &mut BTreeSet<Path>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                at.push(k.clone());
                walk(child, at, out);
                at.pop();
            }
        }
        _ if !at.is_empty() => {
            out.insert(at.clone());
        }
        _ => {}
    }
}

pub fn get<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// Removes `path`, then any map it leaves empty on the way up.
pub fn remove(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = &mut *v;
    for k in parents {
        match cur.get_mut(k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
    if !parents.is_empty()
        && get(v, parents).is_some_and(|p| p.as_object().is_some_and(Map::is_empty))
    {
        remove(v, parents);
    }
}

/// Maps merge recursively; anything else in `patch` replaces the value in `base`.
pub fn merge(base: &mut Value, patch: &Value) {
    match (base.as_object_mut(), patch.as_object()) {
        (Some(b), Some(p)) => {
            for (k, pv) in p {
                match b.get_mut(k) {
                    Some(bv) if bv.is_object() && pv.is_object() => merge(bv, pv),
                    _ => {
                        b.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        _ => *base = patch.clone(),
    }
}

/// One manager holding a field the applier sets to another value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub api_version: String,
    /// `.spec.replicas`
    pub field: String,
}

pub fn dotted(path: &[String]) -> String {
    path.iter().map(|p| format!(".{p}")).collect()
}

/// Fields `manager` applies with a value other managers own differently.
pub fn conflicts(
    live: &Value,
    applied: &Value,
    manager: &str,
    managers: &Managers,
) -> Vec<Conflict> {
    let mut out = Vec::new();
    for path in leaf_paths(applied) {
        for (name, entry) in managers.iter().filter(|(n, _)| *n != manager) {
            let owned = entry.fields.iter().any(|f| overlaps(f, &path));
            if owned && get(live, &path) != get(applied, &path) {
                out.push(Conflict {
                    manager: name.clone(),
                    api_version: entry.api_version.clone(),
                    field: dotted(&path),
                });
            }
        }
    }
    out
}

/// Server-side apply of `applied` by `manager` onto `live` (already checked for
/// conflicts, or forced). Returns the new object; updates `managers`.
pub fn apply(
    live: &Value,
    applied: &Value,
    manager: &str,
    api_version: &str,
    now: &str,
    managers: &mut Managers,
) -> Value {
    let fields = leaf_paths(applied);
    let mut out = live.clone();
    // Fields this manager applied before and dropped now go, unless someone else owns them.
    if let Some(prev) = managers.get(manager) {
        for p in prev.fields.difference(&fields) {
            let shared = managers
                .iter()
                .any(|(n, e)| n != manager && e.fields.iter().any(|f| overlaps(f, p)));
            if !shared {
                remove(&mut out, p);
            }
        }
    }
    merge(&mut out, applied);
    // Forced fields change hands; equal values stay shared.
    for (name, entry) in managers.iter_mut().filter(|(n, _)| *n != manager) {
        entry.fields.retain(|f| {
            !fields
                .iter()
                .any(|p| overlaps(f, p) && get(live, p) != get(applied, p))
        });
        let _ = name;
    }
    managers.retain(|_, e| !e.fields.is_empty());
    managers.insert(
        manager.to_string(),
        Entry {
            operation: "Apply".into(),
            api_version: api_version.to_string(),
            time: now.to_string(),
            fields,
        },
    );
    out
}

/// A plain write (create, update, merge patch) by `manager`: it takes every field it changed.
pub fn record_update(
    old: Option<&Value>,
    new: &Value,
    manager: &str,
    api_version: &str,
    now: &str,
    managers: &mut Managers,
) {
    let new_paths = leaf_paths(new);
    let changed: BTreeSet<Path> = match old {
        None => new_paths,
        Some(o) => new_paths
            .union(&leaf_paths(o))
            .filter(|p| get(o, p) != get(new, p))
            .cloned()
            .collect(),
    };
    if changed.is_empty() {
        return;
    }
    for entry in managers.values_mut() {
        entry
            .fields
            .retain(|f| !changed.iter().any(|c| overlaps(f, c)));
    }
    managers.retain(|_, e| !e.fields.is_empty());
    let present: BTreeSet<Path> = changed
        .into_iter()
        .filter(|p| get(new, p).is_some())
        .collect();
    let entry = managers
        .entry(manager.to_string())
        .or_insert_with(|| Entry {
            operation: "Update".into(),
            api_version: api_version.to_string(),
            time: now.to_string(),
            fields: BTreeSet::new(),
        });
    entry.time = now.to_string();
    entry.fields.extend(present);
    managers.retain(|_, e| !e.fields.is_empty());
}

/// `metadata.managedFields` in the `FieldsV1` format (`{"f:spec":{"f:replicas":{}}}`).
pub fn render(managers: &Managers) -> Value {
    let entries: Vec<Value> = managers
        .iter()
        .map(|(name, e)| {
            let mut set = Map::new();
            for p in &e.fields {
                let mut cur = &mut set;
                for k in p {
                    cur = cur
                        .entry(format!("f:{k}"))
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .expect("field sets are maps");
                }
            }
            json!({"manager": name, "operation": e.operation, "apiVersion": e.api_version,
                   "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": set})
        })
        .collect();
    Value::Array(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Path {
        s.split('.').map(String::from).collect()
    }

    #[test]
    fn apply_removes_dropped_fields_and_keeps_others() {
        let mut m = Managers::new();
        let a1 = json!({"spec": {"replicas": 2, "paused": false}});
        let live = apply(&json!({}), &a1, "agent", "apps/v1", "t", &mut m);
        let mut edited = live.clone();
        edited["spec"]["minReadySeconds"] = json!(5);
        record_update(Some(&live), &edited, "kubectl-edit", "apps/v1", "t", &mut m);
        let out = apply(
            &edited,
            &json!({"spec": {"replicas": 2}}),
            "agent",
            "apps/v1",
            "t",
            &mut m,
        );
        assert_eq!(out, json!({"spec": {"replicas": 2, "minReadySeconds": 5}}));
    }

    #[test]
    fn a_changed_field_owned_by_another_manager_conflicts_an_equal_one_does_not() {
        let mut m = Managers::new();
        let live = apply(
            &json!({}),
            &json!({"spec": {"replicas": 2}}),
            "agent",
            "apps/v1",
            "t",
            &mut m,
        );
        let mut scaled = live.clone();
        scaled["spec"]["replicas"] = json!(5);
        record_update(
            Some(&live),
            &scaled,
            "kubectl-patch",
            "apps/v1",
            "t",
            &mut m,
        );
        assert!(!m.contains_key("agent"), "the update took the only field");
        let c = conflicts(&scaled, &json!({"spec": {"replicas": 2}}), "agent", &m);
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].manager.as_str(), c[0].field.as_str()),
            ("kubectl-patch", ".spec.replicas")
        );
        assert!(conflicts(&scaled, &json!({"spec": {"replicas": 5}}), "agent", &m).is_empty());
        let forced = apply(
            &scaled,
            &json!({"spec": {"replicas": 2}}),
            "agent",
            "apps/v1",
            "t",
            &mut m,
        );
        assert_eq!(forced["spec"]["replicas"], 2);
        assert!(!m.contains_key("kubectl-patch"), "force moves ownership");
        assert!(m["agent"].fields.contains(&p("spec.replicas")));
    }

    #[test]
    fn managed_fields_render_as_fields_v1() {
        let mut m = Managers::new();
        apply(
            &json!({}),
            &json!({"metadata": {"labels": {"a": "1"}}, "spec": {"x": [1]}}),
            "agent",
            "v1",
            "t",
            &mut m,
        );
        let r = render(&m);
        assert_eq!(
            r[0]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:x": {}}})
        );
    }
}
