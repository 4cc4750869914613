//! Loading: repo files → typed documents (first, simple version: no positions
//! inside documents yet; the validation work replaces this with a span-aware loader).

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::*;
use serde::Deserialize;
use std::path::Path;

/// One file of a snapshot: repo-relative path (with `/`) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Reads every `*.yaml`/`*.yml` below `root` (hidden directories skipped) and loads them.
pub fn load_dir(root: &Path) -> Result<DesiredState, Diagnostics> {
    let mut files = Vec::new();
    collect(root, root, &mut files).map_err(|e| {
        Diagnostics(vec![Diagnostic::error(
            root.display().to_string(),
            0,
            0,
            format!("cannot read repo: {e}"),
        )])
    })?;
    load_files(&files)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let p = e.path();
        if e.file_type()?.is_dir() {
            collect(root, &p, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(SourceFile {
                path: rel,
                bytes: std::fs::read(&p)?,
            });
        }
    }
    Ok(())
}

/// Loads the desired state from snapshot files. Files that are not YAML are ignored.
pub fn load_files(files: &[SourceFile]) -> Result<DesiredState, Diagnostics> {
    let mut state = DesiredState::default();
    let mut diags = Diagnostics::default();
    for f in files
        .iter()
        .filter(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml"))
    {
        let text = match std::str::from_utf8(&f.bytes) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    &f.path,
                    0,
                    0,
                    format!("file is not UTF-8: {e}"),
                ));
                continue;
            }
        };
        for doc in serde_yaml::Deserializer::from_str(text) {
            let value = match serde_yaml::Value::deserialize(doc) {
                Ok(v) => v,
                Err(e) => {
                    let (l, c) = e
                        .location()
                        .map(|l| (l.line(), l.column()))
                        .unwrap_or((0, 0));
                    diags.push(Diagnostic::error(
                        &f.path,
                        l,
                        c,
                        format!("YAML syntax: {e}"),
                    ));
                    break;
                }
            };
            if value.is_null() {
                continue;
            }
            let origin = Origin {
                file: f.path.clone(),
                line: 1,
                column: 1,
            };
            if let Err(d) = add_doc(&mut state, origin, value) {
                diags.push(d);
            }
        }
    }
    if diags.has_errors() {
        diags.sort();
        Err(diags)
    } else {
        Ok(state)
    }
}

fn add_doc(
    state: &mut DesiredState,
    origin: Origin,
    value: serde_yaml::Value,
) -> Result<(), Diagnostic> {
    let api = value
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let kind = value
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let err = |e: serde_yaml::Error| {
        Diagnostic::error(
            &origin.file,
            origin.line,
            origin.column,
            format!("{kind}: {e}"),
        )
    };
    if api != API_VERSION {
        if !origin.file.starts_with("workloads/") {
            return Err(Diagnostic::error(
                &origin.file,
                origin.line,
                origin.column,
                format!("apiVersion `{api}` is not agent's"),
            )
            .with_hint(format!(
                "use `apiVersion: {API_VERSION}`, or put Kubernetes manifests under workloads/"
            )));
        }
        let object = serde_json::to_value(&value).map_err(|e| {
            Diagnostic::error(
                &origin.file,
                origin.line,
                origin.column,
                format!("manifest: {e}"),
            )
        })?;
        state.manifests.push(Manifest { origin, object });
        return Ok(());
    }
    match kind.as_str() {
        "Inventory" => {
            let doc = serde_yaml::from_value(value).map_err(err)?;
            state.inventory = Some(Located { origin, doc });
        }
        "Gateway" => state.gateways.push(Located {
            doc: serde_yaml::from_value(value).map_err(err)?,
            origin,
        }),
        "Balancer" => state.balancers.push(Located {
            doc: serde_yaml::from_value(value).map_err(err)?,
            origin,
        }),
        "HaCluster" => state.clusters.push(Located {
            doc: serde_yaml::from_value(value).map_err(err)?,
            origin,
        }),
        "App" => state.apps.push(Located {
            doc: serde_yaml::from_value(value).map_err(err)?,
            origin,
        }),
        other => {
            return Err(Diagnostic::error(
                &origin.file,
                origin.line,
                origin.column,
                format!("unknown kind `{other}`"),
            )
            .with_hint(format!("one of: {}", KINDS.join(", "))))
        }
    }
    Ok(())
}
