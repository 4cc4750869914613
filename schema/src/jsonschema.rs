//! JSON Schema for each kind, for editors (yaml-language-server) and PR checks.
//!
//! Generated from the model types with schemars, so it cannot drift from what the
//! loader accepts; `apiVersion` and `kind` are pinned with `const`. The committed
//! copies in `schema/json/<kind>.schema.json` are kept fresh by a test
//! (`UPDATE_SCHEMAS=1 cargo test -p schema --test json_schemas` rewrites them).
//!
//! In an editor with yaml-language-server, point a document at its schema with a
//! modeline on the file's first line, e.g.
//! `# yaml-language-server: $schema=https://<where the repo is served>/schema/json/balancer.schema.json`
//! (a relative file path works too), or map file globs to schemas in the editor's settings.

use crate::model::*;
use schemars::JsonSchema;
use serde_json::{json, Value};

/// The kinds that have a schema (agent's own kinds).
pub fn kinds() -> &'static [&'static str] {
    KINDS
}

/// The JSON Schema of one kind's documents (case-insensitive kind name), `None` for unknown kinds.
pub fn json_schema(kind: &str) -> Option<Value> {
    let kind = *KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind))?;
    let schema = match kind {
        "Inventory" => generate::<InventorySpec>(),
        "Gateway" => generate::<GatewaySpec>(),
        "Balancer" => generate::<BalancerSpec>(),
        "HaCluster" => generate::<HaClusterSpec>(),
        "App" => generate::<AppSpec>(),
        _ => return None,
    };
    Some(pin(schema, kind))
}

/// Draft-07: the dialect yaml-language-server and most editors support fully.
fn generate<S: JsonSchema>() -> Value {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Document<S>>()
        .to_value()
}

/// The file name of a kind's committed schema: `schema/json/<kind>.schema.json`, lowercase.
pub fn file_name(kind: &str) -> String {
    format!("{}.schema.json", kind.to_lowercase())
}

/// Fixes `apiVersion` and `kind` to their only valid values and names the schema.
fn pin(mut schema: Value, kind: &str) -> Value {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), json!(format!("agent {kind}")));
        obj.insert(
            "description".into(),
            json!(format!(
                "A `{kind}` document of an agent desired-state repo (apiVersion {API_VERSION})."
            )),
        );
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert(
                "apiVersion".into(),
                json!({ "const": API_VERSION, "description": "Always `agent/v1`." }),
            );
            props.insert(
                "kind".into(),
                json!({ "const": kind, "description": format!("Always `{kind}`.") }),
            );
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_pinned_schema() {
        for k in kinds() {
            let s = json_schema(k).expect("schema");
            assert_eq!(s["properties"]["kind"]["const"], json!(k));
            assert_eq!(s["properties"]["apiVersion"]["const"], json!(API_VERSION));
            assert!(s["required"].as_array().unwrap().contains(&json!("spec")));
        }
        assert!(json_schema("balancer").is_some());
        assert!(json_schema("Deployment").is_none());
    }
}
