//! Loading: repo files → typed documents, with the position of every value.
//!
//! Place in the pipeline: the Git snapshot's files come in as [`SourceFile`]s;
//! a [`DesiredState`] comes out, or every [`Diagnostic`] found. Steps:
//!
//! 1. every `*.yaml`/`*.yml` file outside hidden directories is decoded as UTF-8
//!    (else one error at the first bad byte's line and column);
//! 2. the `yaml-rust2` event parser splits it into documents (`---`) and indexes
//!    where each value was written ([`crate::SourceMap`]);
//! 3. each document's text is deserialized with serde into its kind's type
//!    (unknown fields rejected, with a "did you mean" hint), or kept as a raw
//!    Kubernetes manifest when it lives under `workloads/`;
//! 4. [`mod@crate::validate`] checks the whole state and collects every error.
//!
//! Guarantees: never panics on any input bytes; reports every document's first
//! decoding error and every semantic error, sorted by file, line and column;
//! warnings are returned in [`DesiredState::warnings`] (and alongside the errors
//! when loading fails).

mod decode;
mod fields;
pub mod hints;
mod split;

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::*;
use decode::{Doc, Outcome};
use std::collections::BTreeSet;
use std::path::Path;

/// One file of a snapshot: repo-relative path (with `/`) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        SourceFile {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
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
        } else if is_yaml(&name) {
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

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// YAML files outside hidden directories (`.github/`, `.git/`...) are part of the desired state.
fn is_loaded(path: &str) -> bool {
    is_yaml(path) && !path.split('/').any(|c| c.starts_with('.'))
}

/// Loads and validates the desired state from snapshot files. Other files are ignored.
pub fn load_files(files: &[SourceFile]) -> Result<DesiredState, Diagnostics> {
    load(files, true)
}

/// Parses the documents without the checks across documents (references, roles,
/// duplicates): for tests of later stages that feed deliberately partial states.
pub fn parse_files(files: &[SourceFile]) -> Result<DesiredState, Diagnostics> {
    load(files, false)
}

fn load(files: &[SourceFile], validate: bool) -> Result<DesiredState, Diagnostics> {
    let mut state = DesiredState::default();
    let mut diags = Diagnostics::default();
    let mut failed = BTreeSet::new();
    let mut documents = 0;
    for f in files.iter().filter(|f| is_loaded(&f.path)) {
        match std::str::from_utf8(&f.bytes) {
            Ok(text) => {
                documents += load_text(&f.path, text, &mut state, &mut diags, &mut failed);
            }
            Err(e) => {
                failed.insert(String::new());
                diags.push(not_utf8(&f.path, &f.bytes, e));
            }
        }
    }
    if documents == 0 && !diags.has_errors() {
        diags.push(
            Diagnostic::error("", 0, 0, "the repository holds no documents")
                .with_hint("add YAML files with `apiVersion: agent/v1` documents, starting with `kind: Inventory`"),
        );
    } else if validate {
        diags.0.extend(crate::validate::check(&state, &failed).0);
    }
    diags.sort();
    diags.0.dedup();
    if diags.has_errors() {
        Err(diags)
    } else {
        state.warnings = diags;
        Ok(state)
    }
}

/// Loads every document of one file; returns how many non-empty documents it holds.
fn load_text(
    file: &str,
    text: &str,
    state: &mut DesiredState,
    diags: &mut Diagnostics,
    failed: &mut BTreeSet<String>,
) -> usize {
    let first_new = diags.len();
    let parts = split::split(text);
    let starts = line_starts(text);
    let slice_end = |line: usize| starts.get(line - 1).copied().unwrap_or(text.len());
    let mut count = 0;
    // Each document's text ends where the next one (or the interrupted one) starts.
    let ends: Vec<Option<usize>> = parts
        .docs
        .iter()
        .skip(1)
        .map(|d| Some(d.start_line))
        .chain([parts.partial_start])
        .collect();
    for (raw, next) in parts.docs.into_iter().zip(ends) {
        let Some(root) = raw.root else { continue };
        count += 1;
        let begin = slice_end(raw.start_line);
        let end = next.map_or(text.len(), slice_end).max(begin);
        let origin = Origin {
            file: file.to_string(),
            line: root.line,
            column: root.column,
        };
        let doc = Doc {
            file,
            text: &text[begin..end],
            start_line: raw.start_line,
            origin: origin.clone(),
            map: &raw.map,
            duplicates: &raw.duplicates,
            mapping: raw.mapping,
            envelope: &raw.envelope,
        };
        match decode::decode(&doc, state, diags) {
            Outcome::Empty => count -= 1,
            Outcome::Loaded => state.source_map.insert(origin, raw.map),
            Outcome::Failed(kind) => {
                failed.insert(kind.unwrap_or_default());
            }
        }
    }
    if let Some(e) = parts.error {
        count += 1;
        failed.insert(String::new());
        diags.push(
            Diagnostic::error(
                file,
                e.pos.line,
                e.pos.column,
                format!("YAML syntax error: {}", e.message),
            )
            .with_hint("check indentation, quotes and brackets around this position"),
        );
    }
    clamp_to_eof(text, &mut diags.0[first_new..]);
    count
}

/// Parsers may report an error one line past the end of the text: point at the end instead.
fn clamp_to_eof(text: &str, diags: &mut [Diagnostic]) {
    let last_line = text.split('\n').count();
    let last_column = text.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    for d in diags.iter_mut().filter(|d| d.line > last_line) {
        d.line = last_line;
        d.column = last_column;
    }
}

/// Byte offset of the start of every line (index 0 = line 1).
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn not_utf8(file: &str, bytes: &[u8], e: std::str::Utf8Error) -> Diagnostic {
    let offset = e.valid_up_to();
    let good = &bytes[..offset];
    let line = good.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    // The prefix is valid UTF-8, so the column counts characters.
    let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
    Diagnostic::error(
        file,
        line,
        column,
        format!(
            "file is not valid UTF-8: byte 0x{:02x} at offset {offset}",
            bytes[offset]
        ),
    )
    .with_hint("save the file as UTF-8")
}
