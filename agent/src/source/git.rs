//! Reading one commit of a Git repository into a [`Snapshot`]: resolve the revision,
//! take the tree (or the subdirectory's tree), copy every blob out.
//!
//! Regular and executable files are read; symbolic links and submodules are left out
//! (a commit's link target is not content, and a submodule is another repository).

use super::types::{Snapshot, SourceError, SourceSpec};
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use schema::SourceFile;
use std::path::Path;

/// A local repository (work tree or bare) read at `spec.rev` (default `HEAD`).
pub(super) fn snapshot_local(spec: &SourceSpec, subdir: &str) -> Result<Snapshot, SourceError> {
    let repo = Repository::open(&spec.location).map_err(|cause| SourceError::NotARepository {
        location: spec.location.clone(),
        cause,
    })?;
    let rev = spec.rev.clone().unwrap_or_else(|| "HEAD".to_string());
    let oid = resolve(&repo, &spec.location, &rev, &[])?;
    read_commit(&repo, &spec.location, oid, &rev, subdir)
}

/// Resolves `rev` to a commit: first through `prefixes` (`refs/remotes/origin/`,
/// `refs/tags/`... for cache repositories), then as Git itself would (branch, tag, id).
pub(super) fn resolve(
    repo: &Repository,
    location: &str,
    rev: &str,
    prefixes: &[&str],
) -> Result<Oid, SourceError> {
    let candidates = prefixes.iter().map(|p| format!("{p}{rev}"));
    for name in candidates.chain(std::iter::once(rev.to_string())) {
        if let Ok(object) = repo.revparse_single(&name) {
            if let Ok(commit) = object.peel_to_commit() {
                return Ok(commit.id());
            }
        }
    }
    Err(SourceError::RevisionNotFound {
        location: location.to_string(),
        rev: rev.to_string(),
        known: known_refs(repo),
    })
}

/// "; known: main, v1.0" — what the user could have meant, for the error message.
fn known_refs(repo: &Repository) -> String {
    let mut names: Vec<String> = repo
        .references()
        .map(|refs| {
            refs.flatten()
                .filter_map(|r| r.shorthand().map(str::to_string))
                .map(|n| n.strip_prefix("origin/").map(str::to_string).unwrap_or(n))
                .filter(|n| n != "HEAD" && n != "origin")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    if names.is_empty() {
        String::new()
    } else {
        format!("; known branches and tags: {}", names.join(", "))
    }
}

/// Copies the files of commit `oid` below `subdir` out of the repository.
pub(super) fn read_commit(
    repo: &Repository,
    location: &str,
    oid: Oid,
    reference: &str,
    subdir: &str,
) -> Result<Snapshot, SourceError> {
    let commit_id = oid.to_string();
    let read_err = |what: &str, cause| SourceError::Read {
        location: location.to_string(),
        what: what.to_string(),
        commit: commit_id.clone(),
        cause,
    };
    let commit = repo.find_commit(oid).map_err(|e| read_err("commit", e))?;
    let root = commit.tree().map_err(|e| read_err("tree", e))?;
    let tree = if subdir == "." {
        root
    } else {
        let entry = root.get_path(Path::new(subdir)).ok();
        match entry.filter(|e| e.kind() == Some(ObjectType::Tree)) {
            Some(e) => repo.find_tree(e.id()).map_err(|e| read_err(subdir, e))?,
            None => {
                return Err(SourceError::NoSuchSubdir {
                    location: location.to_string(),
                    subdir: subdir.to_string(),
                    commit: commit_id,
                })
            }
        }
    };
    let mut files = Vec::new();
    let mut failure = None;
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        // 0o100644 and 0o100755: files. Links (0o120000) and submodules are skipped.
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() & 0o170000 != 0o100000 {
            return TreeWalkResult::Ok;
        }
        let path = format!("{dir}{}", String::from_utf8_lossy(entry.name_bytes()));
        match repo.find_blob(entry.id()) {
            Ok(blob) => {
                files.push(SourceFile {
                    path,
                    bytes: blob.content().to_vec(),
                });
                TreeWalkResult::Ok
            }
            Err(e) => {
                failure = Some(read_err(&path, e));
                TreeWalkResult::Abort
            }
        }
    })
    .map_err(|e| failure.take().unwrap_or_else(|| read_err("tree", e)))?;
    if let Some(e) = failure {
        return Err(e);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Snapshot {
        commit: commit_id,
        reference: reference.to_string(),
        origin: location.to_string(),
        subdir: subdir.to_string(),
        files,
        work_tree: None,
    })
}
