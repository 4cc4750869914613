//! The signed-commit gate between a snapshot and everything after it (docs/architecture.md,
//! safety rule 8): with `trust.requireSignedCommits`, a snapshot is handed on only when its
//! commit carries a valid signature by an allowed key. A refusal is a
//! [`SourceError::Untrusted`] naming the commit and the reason; the caller keeps the
//! last good commit in force.

use super::types::{FetchOptions, Snapshot, SourceError, SourceSpec, WORKING_TREE};
use crate::config::TrustConfig;
use crate::trust::{verify_commit, Verdict};
use std::path::{Path, PathBuf};

/// Checks `snapshot`'s commit in the repository at `repo` (a local repository, or the
/// cache repository of a remote URL: [`repo_path`]). `Ok(())` when signatures are not
/// required or the commit is validly signed by an allowed key. A working-tree snapshot
/// (files on disk) has no commit to check and is refused when signatures are required.
pub fn verify(snapshot: &Snapshot, trust: &TrustConfig, repo: &Path) -> Result<(), SourceError> {
    if !trust.require_signed_commits {
        return Ok(());
    }
    let refuse = |reason: String| SourceError::Untrusted {
        location: snapshot.origin.clone(),
        commit: snapshot.commit.clone(),
        reason,
    };
    if snapshot.commit == WORKING_TREE {
        return Err(refuse(
            "files on disk are not a commit, so no signature can be checked (use --rev)".into(),
        ));
    }
    let git = git2::Repository::discover(repo).map_err(|cause| SourceError::NotARepository {
        location: repo.display().to_string(),
        cause,
    })?;
    let id = git2::Oid::from_str(&snapshot.commit).map_err(|e| refuse(e.to_string()))?;
    match verify_commit(&git, id, &trust.allow_list()) {
        Ok(Verdict::Valid { key, principal }) => {
            tracing::info!(commit = %snapshot.commit, %principal, %key, "commit signature verified");
            Ok(())
        }
        Ok(other) => Err(refuse(other.to_string())),
        Err(e) => Err(refuse(format!("signature check failed: {e}"))),
    }
}

/// The Git repository a snapshot of `spec` was read from: the local repository
/// itself, or the bare cache repository of a remote URL.
pub fn repo_path(spec: &SourceSpec, opts: &FetchOptions) -> PathBuf {
    if super::types::url_scheme(&spec.location).is_some() {
        super::remote::cache_path(&opts.cache_dir, &spec.location)
    } else {
        PathBuf::from(&spec.location)
    }
}
