//! The writing verbs: create (POST), replace (PUT), merge patch and server-side apply
//! (PATCH). Each validates like the real server, records field ownership, applies
//! server defaults and the generation, and stores the result unless `dryRun=All`.

use super::request::{not_found, resource_name, status, Target};
use super::ssa::{self, Managers};
use super::store::{default_fields, now, rolled_out_status, Store};
use super::verbs::{dry_run, key, namespace_terminating, Query, Reply};
use serde_json::{json, Value};

/// Checks identity and the few invariants the real server enforces that tests rely on.
fn validate(t: &Target, name: &str, o: &mut Value) -> Result<(), Reply> {
    if o["apiVersion"] != json!(t.rt.api_version()) || o["kind"] != json!(t.rt.kind) {
        let msg = format!(
            "body is {} {}, URL is {} {}",
            o["apiVersion"],
            o["kind"],
            t.rt.api_version(),
            t.rt.kind
        );
        return Err((400, status(400, "BadRequest", &msg)));
    }
    match o["metadata"]["name"].as_str() {
        None => o["metadata"]["name"] = json!(name),
        Some(n) if n != name => {
            return Err((
                400,
                status(
                    400,
                    "BadRequest",
                    "the name of the object does not match the URL",
                ),
            ))
        }
        Some(_) => {}
    }
    match (o["metadata"]["namespace"].as_str(), &t.namespace) {
        (Some(a), Some(b)) if a != b => {
            return Err((
                400,
                status(
                    400,
                    "BadRequest",
                    "the namespace of the object does not match the URL",
                ),
            ))
        }
        (None, Some(ns)) => o["metadata"]["namespace"] = json!(ns),
        _ => {}
    }
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    };
    let mut causes = Vec::new();
    if !dns(name) {
        causes.push(json!({"reason": "FieldValueInvalid", "field": "metadata.name", "message": "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"}));
    }
    if t.rt.kind == "Deployment" {
        for f in ["selector", "template"] {
            if o["spec"].get(f).is_none() {
                causes.push(json!({"reason": "FieldValueRequired", "field": format!("spec.{f}"), "message": "Required value"}));
            }
        }
    }
    if causes.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = causes
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                c["field"].as_str().unwrap_or(""),
                c["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let mut s = status(
        422,
        "Invalid",
        &format!("{} \"{name}\" is invalid: {}", t.rt.kind, fields.join(", ")),
    );
    s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.kind, "causes": causes});
    Err((422, s))
}

fn namespace_exists(store: &Store, t: &Target) -> Result<(), Reply> {
    namespace_terminating(store, t)?;
    match &t.namespace {
        Some(ns)
            if !store
                .objects
                .contains_key(&("namespaces".into(), String::new(), ns.clone())) =>
        {
            let mut s = status(404, "NotFound", &format!("namespaces \"{ns}\" not found"));
            s["details"] = json!({"name": ns, "kind": "namespaces"});
            Err((404, s))
        }
        _ => Ok(()),
    }
}

/// Everything but metadata and status: a change here bumps `metadata.generation`.
fn body_of(o: &Value) -> Value {
    let mut b = o.clone();
    if let Some(m) = b.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    b
}

/// Finishes a write: defaults, generation, the Deployment controller's status; stores it
/// unless dry-run.
fn commit(
    store: &mut Store,
    t: &Target,
    name: &str,
    mut o: Value,
    managers: Managers,
    q: &Query,
    ready_now: bool,
) -> Value {
    default_fields(t.rt, &mut o);
    let old = store.objects.get(&key(t, name)).map(|s| s.object.clone());
    let generation = match &old {
        None => 1,
        Some(old) => {
            let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
            if body_of(old) != body_of(&o) {
                g + 1
            } else {
                g
            }
        }
    };
    o["metadata"]["generation"] = json!(generation);
    if let Some(old) = &old {
        o["metadata"]["uid"] = old["metadata"]["uid"].clone();
        o["metadata"]["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
        o["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
    }
    if t.rt.kind == "Deployment" && ready_now && !dry_run(q) {
        o["status"] = rolled_out_status(&o);
    }
    if dry_run(q) {
        return Store::view(&super::store::Stored {
            object: o,
            managers,
        });
    }
    store.write(key(t, name), o, managers)
}

pub fn create(store: &mut Store, t: &Target, mut body: Value, q: &Query, ready_now: bool) -> Reply {
    let name = body["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Err(e) = validate(t, &name, &mut body).and_then(|_| namespace_exists(store, t)) {
        return e;
    }
    if store.objects.contains_key(&key(t, &name)) {
        let mut s = status(
            409,
            "AlreadyExists",
            &format!("{} \"{name}\" already exists", resource_name(t.rt)),
        );
        s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.plural});
        return (409, s);
    }
    let manager = manager(q);
    let mut managers = Managers::new();
    ssa::record_update(
        None,
        &body,
        &manager,
        &t.rt.api_version(),
        &now(),
        &mut managers,
    );
    (201, commit(store, t, &name, body, managers, q, ready_now))
}

/// PUT, with the optimistic-concurrency check on `metadata.resourceVersion`.
pub fn replace(
    store: &mut Store,
    t: &Target,
    name: &str,
    mut body: Value,
    q: &Query,
    ready_now: bool,
) -> Reply {
    if let Err(e) = validate(t, name, &mut body) {
        return e;
    }
    let Some(live) = store.objects.get(&key(t, name)).cloned() else {
        return (404, not_found(t, name));
    };
    let want = body["metadata"]["resourceVersion"]
        .as_str()
        .map(String::from);
    if want
        .is_some_and(|rv| Some(rv.as_str()) != live.object["metadata"]["resourceVersion"].as_str())
    {
        return (409, modified(t, name));
    }
    let manager = manager(q);
    let mut managers = live.managers.clone();
    ssa::record_update(
        Some(&live.object),
        &body,
        &manager,
        &t.rt.api_version(),
        &now(),
        &mut managers,
    );
    // The status is the server's (a PUT of the main resource never writes it); kinds
    // without one (Lease, ConfigMap) get none.
    match live.object.get("status") {
        Some(st) => body["status"] = st.clone(),
        None => {
            if let Some(m) = body.as_object_mut() {
                m.remove("status");
            }
        }
    }
    (200, commit(store, t, name, body, managers, q, ready_now))
}

fn modified(t: &Target, name: &str) -> Value {
    let msg = format!("Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", resource_name(t.rt));
    status(409, "Conflict", &msg)
}

/// RFC 7386 JSON merge patch (also used for strategic merge patches: equivalent for maps).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

pub fn patch_merge(
    store: &mut Store,
    t: &Target,
    name: &str,
    patch: &Value,
    q: &Query,
    ready_now: bool,
) -> Reply {
    let Some(live) = store.objects.get(&key(t, name)).cloned() else {
        return (404, not_found(t, name));
    };
    // As on the real server, a resourceVersion in the patch is a precondition.
    if let Some(want) = patch["metadata"]["resourceVersion"].as_str() {
        if Some(want) != live.object["metadata"]["resourceVersion"].as_str() {
            return (409, modified(t, name));
        }
    }
    let mut o = live.object.clone();
    merge_patch(&mut o, patch);
    if let Err(e) = validate(t, name, &mut o) {
        return e;
    }
    let manager = manager(q);
    let mut managers = live.managers.clone();
    ssa::record_update(
        Some(&live.object),
        &o,
        &manager,
        &t.rt.api_version(),
        &now(),
        &mut managers,
    );
    (200, commit(store, t, name, o, managers, q, ready_now))
}

pub fn apply(
    store: &mut Store,
    t: &Target,
    name: &str,
    mut applied: Value,
    q: &Query,
    ready_now: bool,
) -> Reply {
    let Some(manager) = q.get("fieldManager").cloned() else {
        return (
            400,
            status(
                400,
                "BadRequest",
                "PATCH, application/apply-patch+yaml requires fieldManager to be set",
            ),
        );
    };
    if let Err(e) = validate(t, name, &mut applied).and_then(|_| namespace_exists(store, t)) {
        return e;
    }
    let force = q.get("force").is_some_and(|f| f == "true");
    let (live, mut managers) = match store.objects.get(&key(t, name)) {
        Some(s) => (s.object.clone(), s.managers.clone()),
        None => (json!({}), Managers::new()),
    };
    let conflicts = ssa::conflicts(&live, &applied, &manager, &managers);
    if !conflicts.is_empty() && !force {
        let lines: Vec<String> = conflicts
            .iter()
            .map(|c| {
                format!(
                    "- conflict with \"{}\" using {}: {}",
                    c.manager, c.api_version, c.field
                )
            })
            .collect();
        let msg = format!(
            "Apply failed with {} conflict{}: {}",
            conflicts.len(),
            if conflicts.len() == 1 { "" } else { "s" },
            lines.join("\n")
        );
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\" using {}", c.manager, c.api_version), "field": c.field}))
            .collect();
        let mut s = status(409, "Conflict", &msg);
        s["details"] =
            json!({"name": name, "group": t.rt.group, "kind": t.rt.plural, "causes": causes});
        return (409, s);
    }
    let created = !store.objects.contains_key(&key(t, name));
    if let (false, Some(want)) = (created, applied["metadata"]["resourceVersion"].as_str()) {
        if Some(want) != live["metadata"]["resourceVersion"].as_str() {
            return (409, modified(t, name));
        }
    }
    let merged = ssa::apply(
        &live,
        &applied,
        &manager,
        &t.rt.api_version(),
        &now(),
        &mut managers,
    );
    let out = commit(store, t, name, merged, managers, q, ready_now);
    (if created && !dry_run(q) { 201 } else { 200 }, out)
}

/// `fieldManager`, else the client's name from its User-Agent (`kubectl`).
fn manager(q: &Query) -> String {
    q.get("fieldManager")
        .or_else(|| q.get("defaultManager"))
        .cloned()
        .unwrap_or_else(|| "unknown".into())
}
