//! The JSON Schema of `agent.yaml`: the committed copy is current, and the README's
//! annotated example is a valid configuration that shows every top-level setting.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_config_schema_is_current() {
    let path = root().join("schema/json/agent-config.schema.json");
    let text = serde_json::to_string_pretty(&agent::config::json_schema(
        &agent::targets::registry::names(),
    ))
    .unwrap()
        + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        Some(text.as_str()),
        "stale {} (run `UPDATE_SCHEMAS=1 cargo test -p agent --test config_schema`)",
        path.display()
    );
}

/// The first ```yaml block after the README's configuration heading.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## The agent's configuration")
        .nth(1)
        .expect("README has the configuration section");
    let block = section.split("```yaml\n").nth(1).expect("a yaml block");
    block.split("```").next().unwrap().to_string()
}

#[test]
fn the_readme_example_parses_and_names_every_setting() {
    let example = readme_example();
    let config = agent::config::Config::parse("README.md", &example)
        .unwrap_or_else(|e| panic!("README's agent.yaml example does not parse: {e}"));
    assert!(config.repo.is_some());
    let schema = agent::config::json_schema(&agent::targets::registry::names());
    let documented: Vec<&str> = example
        .lines()
        .filter(|l| !l.starts_with([' ', '#']) && l.contains(':'))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let props = schema["properties"].as_object().unwrap();
    let missing: Vec<&String> = props
        .keys()
        .filter(|k| !documented.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "settings missing from README's example: {missing:?}"
    );
    assert_eq!(schema["additionalProperties"], false);
}
