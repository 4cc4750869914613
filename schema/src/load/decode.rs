//! One document's text → a typed document (or a raw manifest) in the [`DesiredState`].
//!
//! The document's text slice starts at a line start, so serde's positions only
//! need the slice's first line added. Envelope problems (`apiVersion`, `kind`,
//! `metadata.name` of manifests) are positioned with the document's path index.

use super::fields::{field_problems, FieldProblem};
use super::hints::{bare_message, closest, explain, missing, unknown};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::*;
use crate::source_map::{DocMap, Pos};
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// One document to decode.
pub(crate) struct Doc<'a> {
    pub file: &'a str,
    /// The document's text, starting at the beginning of line `start_line`.
    pub text: &'a str,
    pub start_line: usize,
    pub origin: Origin,
    pub map: &'a DocMap,
    /// Keys given twice: (mapping path, key, first, second).
    pub duplicates: &'a [(String, String, Pos, Pos)],
    /// Whether the root is a mapping, and its `apiVersion`/`kind` scalars (see `split`).
    pub mapping: bool,
    pub envelope: &'a [(String, Option<String>)],
}

/// What became of a document.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing in it (only comments).
    Empty,
    /// Added to the state.
    Loaded,
    /// Reported; `kind` is the agent kind it claimed to be, if any.
    Failed(Option<String>),
}

impl Doc<'_> {
    fn at(&self, path: &str) -> (usize, usize) {
        match self.map.get(path) {
            Some(s) => (s.value.line, s.value.column),
            None => (self.origin.line, self.origin.column),
        }
    }

    fn error(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let (l, c) = self.at(path);
        Diagnostic::error(self.file, l, c, message)
    }

    fn serde_error(&self, e: &serde_yaml::Error) -> Diagnostic {
        let x = explain(e);
        let (line, column) = if x.line > 0 {
            (self.start_line + x.line - 1, x.column)
        } else {
            self.at(&x.path)
        };
        let d = Diagnostic::error(self.file, line, column, x.message);
        match x.hint {
            Some(h) => d.with_hint(h),
            None => d,
        }
    }
}

pub(crate) fn decode(doc: &Doc, state: &mut DesiredState, diags: &mut Diagnostics) -> Outcome {
    // serde would report only the first, at its mapping: report each at the repeated key.
    for (path, key, first, second) in doc.duplicates {
        let place = if path.is_empty() {
            "the document".to_string()
        } else {
            format!("`{path}`")
        };
        diags.push(
            Diagnostic::error(
                doc.file,
                second.line,
                second.column,
                format!("duplicate key `{key}` in {place}"),
            )
            .with_hint(format!(
                "it is already set on line {}; keep one",
                first.line
            )),
        );
    }
    if !doc.duplicates.is_empty() {
        return Outcome::Failed(None);
    }
    if !doc.mapping {
        // Only comments, `null`, a scalar or a list: parse it to tell emptiness from a mistake.
        return match parse_value(doc, diags) {
            Some(v) if v.is_null() => Outcome::Empty,
            Some(_) => {
                diags.push(doc.error("", "a document must be a mapping").with_hint(
                    "start it with `apiVersion: agent/v1`, `kind:`, `metadata:`, `spec:`",
                ));
                Outcome::Failed(None)
            }
            None => Outcome::Failed(None),
        };
    }
    let Some(api) = envelope_field(doc, "apiVersion", diags) else {
        return Outcome::Failed(None);
    };
    let Some(kind) = envelope_field(doc, "kind", diags) else {
        return Outcome::Failed(None);
    };
    let ours = KINDS.contains(&kind.as_str());
    if api == API_VERSION {
        return typed(doc, &kind, state, diags);
    }
    if api.starts_with("agent") || (ours && !api.contains('.')) {
        diags.push(
            doc.error(
                "apiVersion",
                format!("unsupported apiVersion `{api}` for kind `{kind}`"),
            )
            .with_hint(format!("use `apiVersion: {API_VERSION}`")),
        );
        return Outcome::Failed(ours.then_some(kind));
    }
    if !doc.file.starts_with("workloads/") {
        diags.push(
            doc.error(
                "apiVersion",
                format!("`{api}` `{kind}` is a Kubernetes manifest outside workloads/"),
            )
            .with_hint(format!(
                "move it under workloads/, or use `apiVersion: {API_VERSION}` for agent's kinds"
            )),
        );
        return Outcome::Failed(None);
    }
    let Some(value) = parse_value(doc, diags) else {
        return Outcome::Failed(None);
    };
    manifest(doc, value, state, diags).unwrap_or(Outcome::Failed(Some(kind)))
}

/// The document as an untyped value; a syntax error only libyaml finds is reported.
fn parse_value(doc: &Doc, diags: &mut Diagnostics) -> Option<serde_yaml::Value> {
    match serde_yaml::from_str(doc.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut d = doc.serde_error(&e);
            d.message = format!("YAML syntax error: {}", bare_message(&e));
            d.hint = Some("check indentation, quotes and brackets around this position".into());
            diags.push(d);
            None
        }
    }
}

/// A required string at the top level of the document, reported when absent or not a string.
fn envelope_field(doc: &Doc, key: &str, diags: &mut Diagnostics) -> Option<String> {
    match doc.envelope.iter().find(|(k, _)| k == key) {
        Some((_, Some(s))) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            diags.push(
                doc.error(key, format!("`{key}` must be a non-empty string"))
                    .with_hint(key_hint(key)),
            );
            None
        }
        None => {
            diags.push(
                doc.error("", format!("missing required field `{key}`"))
                    .with_hint(key_hint(key)),
            );
            None
        }
    }
}

fn key_hint(key: &str) -> String {
    match key {
        "apiVersion" => format!(
            "add `apiVersion: {API_VERSION}` (or a Kubernetes apiVersion for manifests under workloads/)"
        ),
        _ => format!("add `kind:` with one of: {}", KINDS.join(", ")),
    }
}

fn typed(doc: &Doc, kind: &str, state: &mut DesiredState, diags: &mut Diagnostics) -> Outcome {
    fn parse<S: DeserializeOwned>(doc: &Doc) -> Result<Located<Document<S>>, serde_yaml::Error> {
        Ok(Located {
            origin: doc.origin.clone(),
            doc: serde_yaml::from_str(doc.text)?,
        })
    }
    let result = match kind {
        "Inventory" => parse(doc).map(|d| match &state.inventory {
            None => state.inventory = Some(d),
            Some(first) => diags.push(
                doc.error("kind", "a second `Inventory`: a repo has exactly one")
                    .with_hint(format!(
                        "merge its hosts into the Inventory at {}",
                        first.origin
                    )),
            ),
        }),
        "Gateway" => parse(doc).map(|d| state.gateways.push(d)),
        "Balancer" => parse(doc).map(|d| state.balancers.push(d)),
        "HaCluster" => parse(doc).map(|d| state.clusters.push(d)),
        "App" => parse(doc).map(|d| state.apps.push(d)),
        other => {
            let hint = match closest(other, KINDS.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? (kinds: {})", KINDS.join(", ")),
                None => format!("kinds: {}", KINDS.join(", ")),
            };
            diags.push(
                doc.error("kind", format!("unknown kind `{other}`"))
                    .with_hint(hint),
            );
            return Outcome::Failed(None);
        }
    };
    match result {
        Ok(()) => Outcome::Loaded,
        Err(e) => {
            // The untyped value tells every field problem (and catches syntax errors).
            let Some(value) = parse_value(doc, diags) else {
                return Outcome::Failed(Some(kind.to_string()));
            };
            let found = all_field_problems(doc, kind, &value, diags);
            let about_fields = {
                let m = explain(&e).message;
                m.starts_with("unknown field") || m.starts_with("missing required field")
            };
            if found == 0 || !about_fields {
                diags.push(doc.serde_error(&e));
            }
            Outcome::Failed(Some(kind.to_string()))
        }
    }
}

fn manifest(
    doc: &Doc,
    value: serde_yaml::Value,
    state: &mut DesiredState,
    diags: &mut Diagnostics,
) -> Option<Outcome> {
    let name = value.get("metadata").and_then(|m| m.get("name"));
    match name {
        Some(serde_yaml::Value::String(s)) if !s.is_empty() => {}
        Some(_) => {
            diags.push(
                doc.error(
                    "metadata.name",
                    "`metadata.name` must be a non-empty string",
                )
                .with_hint("a DNS-1123 name like `my-app`"),
            );
            return None;
        }
        None => {
            let path = if value.get("metadata").is_some() {
                "metadata"
            } else {
                ""
            };
            diags.push(
                doc.error(path, "Kubernetes manifest without `metadata.name`")
                    .with_hint("add `metadata: {name: ...}`"),
            );
            return None;
        }
    }
    match serde_json::to_value(&value) {
        Ok(object) => {
            state.manifests.push(Manifest {
                origin: doc.origin.clone(),
                object,
            });
            Some(Outcome::Loaded)
        }
        Err(e) => {
            diags.push(
                doc.error("", format!("manifest cannot be converted to JSON: {e}"))
                    .with_hint("use string keys and plain values"),
            );
            None
        }
    }
}

/// Reports every unknown and missing field of a document serde rejected; returns how many.
fn all_field_problems(
    doc: &Doc,
    kind: &str,
    value: &serde_yaml::Value,
    diags: &mut Diagnostics,
) -> usize {
    static SCHEMAS: OnceLock<Vec<(&'static str, serde_json::Value)>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        let kinds = KINDS.iter();
        kinds
            .filter_map(|k| Some((*k, crate::jsonschema::json_schema(k)?)))
            .collect()
    });
    let Some((_, schema)) = schemas.iter().find(|(k, _)| *k == kind) else {
        return 0;
    };
    let problems = field_problems(value, schema);
    for p in &problems {
        let (pos, (message, hint)) = match p {
            FieldProblem::Unknown { path, key, allowed } => {
                let at = doc.map.get(&join(path, key)).map(|s| s.key);
                let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
                (at, unknown("field", path, key, &allowed))
            }
            FieldProblem::Missing { path, key } => {
                (doc.map.get(path).map(|s| s.value), missing(path, key))
            }
        };
        let (line, column) =
            pos.map_or((doc.origin.line, doc.origin.column), |p| (p.line, p.column));
        let d = Diagnostic::error(doc.file, line, column, message);
        diags.push(match hint {
            Some(h) => d.with_hint(h),
            None => d,
        });
    }
    problems.len()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
