//! Every unknown and every missing field of a document, not only serde's first.
//!
//! serde stops at the first problem of a document. When a typed document fails,
//! this walks its YAML value alongside the kind's JSON Schema (generated from the
//! same types, see [`crate::jsonschema`]) and lists each key the schema does not
//! allow and each required key that is absent, so one round of fixes suffices.

use super::hints::closest;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

/// One field problem: the mapping's path, the key, and the keys allowed there.
#[derive(Debug, PartialEq)]
pub(crate) enum FieldProblem {
    Unknown {
        path: String,
        key: String,
        allowed: Vec<String>,
    },
    Missing {
        path: String,
        key: String,
    },
}

/// Field problems of `value` against `schema` (a root schema with `definitions`).
pub(crate) fn field_problems(value: &Yaml, schema: &Json) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    walk(value, schema, schema, String::new(), &mut out);
    // A misspelt required field is one mistake: keep "unknown `adress`, did you mean
    // `address`?" and drop "missing `address`".
    let typos: Vec<(String, String)> = out
        .iter()
        .filter_map(|p| match p {
            FieldProblem::Unknown { path, key, allowed } => {
                let fix = closest(key, allowed.iter().map(String::as_str))?;
                Some((path.clone(), fix.to_string()))
            }
            FieldProblem::Missing { .. } => None,
        })
        .collect();
    out.retain(|p| match p {
        FieldProblem::Missing { path, key } => {
            !typos.iter().any(|(tp, tk)| tp == path && tk == key)
        }
        FieldProblem::Unknown { .. } => true,
    });
    out
}

/// Follows `$ref`, single-element `allOf` and the non-null branch of `anyOf` (an `Option`).
fn resolve<'a>(mut node: &'a Json, root: &'a Json) -> &'a Json {
    for _ in 0..16 {
        if let Some(r) = node.get("$ref").and_then(Json::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            match root.get("definitions").and_then(|d| d.get(name)) {
                Some(n) => node = n,
                None => return node,
            }
        } else if let Some([one]) = node
            .get("allOf")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
        {
            node = one;
        } else if let Some(branches) = node.get("anyOf").and_then(Json::as_array) {
            match branches
                .iter()
                .find(|b| b.get("type") != Some(&Json::from("null")))
            {
                Some(b) => node = b,
                None => return node,
            }
        } else {
            return node;
        }
    }
    node
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(value: &Yaml, node: &Json, root: &Json, path: String, out: &mut Vec<FieldProblem>) {
    let node = resolve(node, root);
    match value {
        Yaml::Mapping(map) => {
            if let Some(props) = node.get("properties").and_then(Json::as_object) {
                let closed = node.get("additionalProperties") == Some(&Json::Bool(false));
                for (k, v) in map {
                    let Some(key) = k.as_str() else { continue };
                    match props.get(key) {
                        Some(p) => walk(v, p, root, child(&path, key), out),
                        None if closed => out.push(FieldProblem::Unknown {
                            path: path.clone(),
                            key: key.to_string(),
                            allowed: props.keys().cloned().collect(),
                        }),
                        None => {}
                    }
                }
                let required = node.get("required").and_then(Json::as_array);
                for key in required.into_iter().flatten().filter_map(Json::as_str) {
                    if !map.contains_key(key) {
                        out.push(FieldProblem::Missing {
                            path: path.clone(),
                            key: key.to_string(),
                        });
                    }
                }
            } else if let Some(each) = node.get("additionalProperties").filter(|a| a.is_object()) {
                for (k, v) in map {
                    if let Some(key) = k.as_str() {
                        walk(v, each, root, child(&path, key), out);
                    }
                }
            }
        }
        Yaml::Sequence(items) => {
            if let Some(item) = node.get("items") {
                for (i, v) in items.iter().enumerate() {
                    walk(v, item, root, format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_unknown_and_missing_field() {
        let schema = crate::jsonschema::json_schema("Inventory").unwrap();
        let text = concat!(
            "apiVersion: agent/v1\nkind: Inventory\nmetadata: {name: x}\nspec:\n  hosts:\n",
            "  - {name: a, adress: b, roles: []}\n",
            "  - {name: c, address: d, roles: [], prot: 2}\n",
            "  - {name: e, address: f}\n",
        );
        let doc: Yaml = serde_yaml::from_str(text).unwrap();
        let p = field_problems(&doc, &schema);
        let keys: Vec<String> = p
            .iter()
            .map(|f| match f {
                FieldProblem::Unknown { path, key, .. } => format!("unknown {path}.{key}"),
                FieldProblem::Missing { path, key } => format!("missing {path}.{key}"),
            })
            .collect();
        assert_eq!(
            keys,
            [
                "unknown spec.hosts[0].adress",
                "unknown spec.hosts[1].prot",
                "missing spec.hosts[2].roles"
            ]
        );
    }
}
