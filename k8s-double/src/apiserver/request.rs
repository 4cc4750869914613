//! Parsing what a client asks: which resource, which verb, which options; and the
//! `Status` bodies the API server answers errors with.

use super::resources::{self, ResourceType};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A request for objects of one resource type.
#[derive(Debug, Clone)]
pub struct Target {
    pub rt: &'static ResourceType,
    /// `None` = all namespaces (collections) or a cluster-scoped type.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Resolves `/api/v1/...` and `/apis/<g>/<v>/...`; `None` when the path is not a resource path.
pub fn target(path: &str) -> Option<Result<Target, Value>> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] if !rest.is_empty() => ("", *v, rest),
        ["apis", g, v, rest @ ..] if !rest.is_empty() => (*g, *v, rest),
        _ => return None,
    };
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] => {
            (Some(ns.to_string()), *plural, tail.first(), tail.get(1))
        }
        [plural, tail @ ..] => (None, *plural, tail.first(), tail.get(1)),
        [] => return None,
    };
    let Some(rt) = resources::find(group, version, plural) else {
        return Some(Err(status(
            404,
            "NotFound",
            &format!("the server could not find the requested resource ({path})"),
        )));
    };
    if namespace.is_some() && !rt.namespaced {
        return Some(Err(status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )));
    }
    Some(Ok(Target {
        rt,
        namespace,
        name: name.map(|s| s.to_string()),
        subresource: sub.map(|s| s.to_string()),
    }))
}

/// Query parameters, decoded.
pub fn query(q: Option<&str>) -> BTreeMap<String, String> {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A `metav1.Status` failure body.
pub fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
}

pub fn not_found(t: &Target, name: &str) -> Value {
    let mut s = status(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", resource_name(t.rt)),
    );
    s["details"] = json!({"name": name, "group": t.rt.group, "kind": t.rt.plural});
    s
}

/// `deployments.apps`, `configmaps`.
pub fn resource_name(rt: &ResourceType) -> String {
    if rt.group.is_empty() {
        rt.plural.to_string()
    } else {
        format!("{}.{}", rt.plural, rt.group)
    }
}

/// One term of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// Splits on commas outside parentheses.
fn terms(sel: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in sel.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn parse_term(t: &str) -> Term {
    let set = |rest: &str| -> Vec<String> {
        rest.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(|s| s.trim().to_string())
            .collect()
    };
    if let Some((k, v)) = t.split_once("!=") {
        Term::Ne(k.trim().into(), v.trim().into())
    } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
        Term::Eq(k.trim().into(), v.trim().into())
    } else if let Some((k, rest)) = t.split_once(" notin ") {
        Term::NotIn(k.trim().into(), set(rest))
    } else if let Some((k, rest)) = t.split_once(" in ") {
        Term::In(k.trim().into(), set(rest))
    } else if let Some(k) = t.strip_prefix('!') {
        Term::Absent(k.trim().into())
    } else {
        Term::Exists(t.into())
    }
}

/// Does an object's label (or field) map satisfy the selector?
pub fn matches(selector: &str, get: impl Fn(&str) -> Option<String>) -> bool {
    terms(selector).iter().all(|t| match parse_term(t) {
        Term::Eq(k, v) => get(&k).as_deref() == Some(v.as_str()),
        Term::Ne(k, v) => get(&k).as_deref() != Some(v.as_str()),
        Term::Exists(k) => get(&k).is_some(),
        Term::Absent(k) => get(&k).is_none(),
        Term::In(k, vs) => get(&k).is_some_and(|v| vs.contains(&v)),
        Term::NotIn(k, vs) => get(&k).is_none_or(|v| !vs.contains(&v)),
    })
}

/// Label and field selectors of a LIST or WATCH.
pub fn selected(o: &Value, q: &BTreeMap<String, String>) -> bool {
    let labels = |k: &str| {
        o["metadata"]["labels"]
            .get(k)
            .and_then(Value::as_str)
            .map(String::from)
    };
    let fields = |k: &str| match k {
        "metadata.name" => o["metadata"]["name"].as_str().map(String::from),
        "metadata.namespace" => o["metadata"]["namespace"].as_str().map(String::from),
        _ => None,
    };
    q.get("labelSelector").is_none_or(|s| matches(s, labels))
        && q.get("fieldSelector").is_none_or(|s| matches(s, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_cover_equality_sets_and_existence() {
        let labels = |k: &str| match k {
            "app" => Some("web".to_string()),
            "tier" => Some("front".to_string()),
            _ => None,
        };
        assert!(matches("app=web,tier", labels));
        assert!(matches("app==web,!db", labels));
        assert!(!matches("app!=web", labels));
        assert!(matches("tier in (front, back),app notin (db)", labels));
        assert!(!matches("tier in (back)", labels));
        assert!(!matches("missing", labels));
    }

    #[test]
    fn paths_resolve_namespaced_and_cluster_resources() {
        let t = target("/apis/apps/v1/namespaces/demo/deployments/web")
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.rt.kind, t.namespace.as_deref(), t.name.as_deref()),
            ("Deployment", Some("demo"), Some("web"))
        );
        let t = target("/api/v1/namespaces/demo").unwrap().unwrap();
        assert_eq!(
            (t.rt.kind, t.namespace, t.name.as_deref()),
            ("Namespace", None, Some("demo"))
        );
        let t = target("/api/v1/secrets").unwrap().unwrap();
        assert_eq!((t.rt.kind, t.name), ("Secret", None));
        assert_eq!(target("/api/v1/widgets").unwrap().unwrap_err()["code"], 404);
        assert!(target("/version").is_none());
    }
}
