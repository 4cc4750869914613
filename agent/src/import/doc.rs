//! What each format's import produces: a typed spec plus what the writer needs to
//! turn it into a commented, encrypted repo file, and the summary.

use super::summary::FileSummary;
use std::collections::BTreeMap;

/// YAML comments to write above values, keyed by the value's path in the document
/// (`spec.backends[1].servers`, `spec.raw`), each line without its `#`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comments(pub BTreeMap<String, Vec<String>>);

impl Comments {
    pub fn add(&mut self, path: impl Into<String>, line: impl Into<String>) {
        self.0.entry(path.into()).or_default().push(line.into());
    }

    pub fn get(&self, path: &str) -> &[String] {
        self.0.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Re-roots every path under `prefix` (`spec` → `spec`, used for nested builders).
    pub fn extend(&mut self, other: Comments) {
        for (k, v) in other.0 {
            self.0.entry(k).or_default().extend(v);
        }
    }
}

/// One imported document, ready to be written.
#[derive(Debug, Clone)]
pub struct Imported<S> {
    pub kind: &'static str,
    pub name: String,
    pub spec: S,
    pub comments: Comments,
    /// Paths of leaves holding secrets (`spec.stats.auth.password`): never written in clear.
    pub secrets: Vec<String>,
    /// The cleartext of those secrets (for masking every message about this file).
    pub secret_values: Vec<String>,
    pub summaries: Vec<FileSummary>,
}

impl<S: serde::Serialize> Imported<S> {
    /// The whole document (`apiVersion`, `kind`, `metadata`, `spec`) as a YAML value.
    pub fn document(&self) -> serde_yaml::Value {
        let mut m = serde_yaml::Mapping::new();
        m.insert("apiVersion".into(), schema::API_VERSION.into());
        m.insert("kind".into(), self.kind.into());
        let mut meta = serde_yaml::Mapping::new();
        meta.insert("name".into(), self.name.clone().into());
        m.insert("metadata".into(), serde_yaml::Value::Mapping(meta));
        m.insert(
            "spec".into(),
            serde_yaml::to_value(&self.spec).expect("model types serialize"),
        );
        serde_yaml::Value::Mapping(m)
    }
}

/// A name fit for `metadata.name`: lowercase letters, digits and `-`.
pub fn doc_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "imported".into()
    } else {
        out
    }
}
