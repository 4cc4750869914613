//! Which files of a directory a snapshot reads, and how much (README "Directory
//! sources"). Pointed at the wrong directory (a home, `/tmp` full of build trees, a
//! project checkout with `target/`), the agent must answer in milliseconds with one
//! clear line, not read gigabytes into memory:
//!
//! - the walk (ripgrep's `ignore` crate) skips what Git would not track: `.git`, the
//!   rules of `.gitignore` files (also outside a Git repository) and
//!   `.git/info/exclude`, and build trees marked with a `CACHEDIR.TAG` (Cargo's
//!   `target/` carries one);
//! - `*.yaml`/`*.yml` files (what the loader reads; no document references other repo
//!   files) are read whole, up to [`Limits::file_bytes`] each;
//! - any other file is read only when it is at most [`Limits::scan_bytes`] and text
//!   (no NUL byte), for the plaintext-secret scan of `agent validate` (a committed
//!   `tls.key`); a larger one is never opened;
//! - past [`Limits::files`] files or [`Limits::total_bytes`] read in all, the walk stops
//!   with an error naming the limit and the path where it was reached.

use schema::SourceFile;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The directory source's limits (documented in the README; defaults via `Default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Files the walk may see (after the ignore rules).
    pub files: usize,
    /// Size of one YAML file.
    pub file_bytes: u64,
    /// Bytes read in all.
    pub total_bytes: u64,
    /// Largest non-YAML file read for the plaintext-secret scan.
    pub scan_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            files: 20_000,
            file_bytes: 8 << 20,
            total_bytes: 64 << 20,
            scan_bytes: 64 << 10,
        }
    }
}

/// Why a walk stopped.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// `limit` says which and its value, e.g. "more than 20000 files".
    #[error("{}: {limit} (a directory source's limit; is this the desired-state repo?)", path.display())]
    Limit { path: PathBuf, limit: String },
}

/// What a walk read.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<SourceFile>,
    /// Whether some YAML file outside hidden directories names `agent/v1` or an
    /// Inventory: the mark of a desired-state repo.
    pub has_agent_document: bool,
    /// YAML files read (for the "not a desired-state repo" message).
    pub yaml_files: usize,
}

pub fn walk(base: &Path, limits: &Limits) -> Result<Walked, WalkError> {
    let mut out = Walked::default();
    let (mut seen, mut total) = (0usize, 0u64);
    let walker = ignore::WalkBuilder::new(base)
        .hidden(false)
        .ignore(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .filter_entry(|e| {
            let dir = e.file_type().is_some_and(|t| t.is_dir());
            !(dir && (e.file_name() == ".git" || e.path().join("CACHEDIR.TAG").is_file()))
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| WalkError::Io {
            path: base.to_path_buf(),
            cause: std::io::Error::other(e.to_string()),
        })?;
        let path = entry.path();
        let Some(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            continue;
        }
        // Follow a symlink only when it leads to a regular file (no directory cycles).
        let meta = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m,
            _ => continue,
        };
        seen += 1;
        if seen > limits.files {
            return Err(limit(path, format!("more than {} files", limits.files)));
        }
        let rel = relative(base, path);
        let yaml = rel.ends_with(".yaml") || rel.ends_with(".yml");
        let size = meta.len();
        if yaml && size > limits.file_bytes {
            return Err(limit(
                path,
                format!(
                    "YAML file of {size} bytes, more than {} per file",
                    limits.file_bytes
                ),
            ));
        }
        if !yaml && size > limits.scan_bytes {
            continue;
        }
        if total + size > limits.total_bytes {
            return Err(limit(
                path,
                format!("more than {} bytes read in all", limits.total_bytes),
            ));
        }
        let bytes = read_at_most(path, size.max(1))?;
        total += bytes.len() as u64;
        if !yaml && bytes.contains(&0) {
            continue; // binary: nothing to scan
        }
        if yaml {
            out.yaml_files += 1;
            if !rel.split('/').any(|c| c.starts_with('.')) && marks_agent_repo(&bytes) {
                out.has_agent_document = true;
            }
        }
        out.files.push(SourceFile { path: rel, bytes });
    }
    Ok(out)
}

fn limit(path: &Path, limit: String) -> WalkError {
    WalkError::Limit {
        path: path.to_path_buf(),
        limit,
    }
}

/// Reads at most `max` bytes (a file that grew since its `stat` is still bounded).
fn read_at_most(path: &Path, max: u64) -> Result<Vec<u8>, WalkError> {
    let io = |cause| WalkError::Io {
        path: path.to_path_buf(),
        cause,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(max.min(1 << 20) as usize);
    file.take(max).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

fn relative(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `apiVersion: agent/v1` or `kind: Inventory` on some line (plain text: a document
/// whose other values are sops-encrypted keeps these keys readable only if they are;
/// a file encrypted whole does not count).
fn marks_agent_repo(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().any(|l| {
        let l = l.trim_start().trim_start_matches("- ").trim();
        (l.starts_with("apiVersion:") && l.contains("agent/v1"))
            || (l.starts_with("kind:")
                && l.trim_start_matches("kind:")
                    .trim()
                    .trim_matches(['"', '\''])
                    == "Inventory")
    })
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
