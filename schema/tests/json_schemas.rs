//! The committed JSON Schemas (`schema/json/*.schema.json`) must match the model.
//!
//! `UPDATE_SCHEMAS=1 cargo test -p schema --test json_schemas` rewrites them.

use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("json")
}

#[test]
fn committed_schemas_are_current() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for kind in schema::kinds() {
        let value = schema::json_schema(kind).expect("every kind has a schema");
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = dir().join(schema::jsonschema::file_name(kind));
        if update {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale JSON Schemas (run `UPDATE_SCHEMAS=1 cargo test -p schema --test json_schemas`): {stale:?}"
    );
}

#[test]
fn schemas_describe_the_documents() {
    let inv = schema::json_schema("Inventory").unwrap();
    assert_eq!(inv["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(inv["properties"]["kind"]["const"], "Inventory");
    // Unknown fields are rejected by the loader, so the schema says so too.
    assert_eq!(inv["additionalProperties"], false);
    let host = &inv["definitions"]["Host"];
    let required: Vec<&str> = host["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["name", "address", "roles"]);
    let port =
        &schema::json_schema("Balancer").unwrap()["definitions"]["Server"]["properties"]["port"];
    assert_eq!(port["maximum"], 65535);
}
