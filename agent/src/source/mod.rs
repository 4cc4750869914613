//! Source: the desired-state repository → one immutable [`Snapshot`].
//!
//! This is the only module that touches Git (fetching and applying never meet:
//! everything after this step works on the snapshot value). It reads a branch, tag or
//! commit from a local repository or from a `file://`, `ssh://` or `https://` URL (fetched
//! into a bare cache repository), or a plain directory as it is on disk, and hands over
//! plain data: the full commit id and the files below the chosen subdirectory. Everything
//! after it (loading, rendering, diffing, applying) works on that value alone.
//!
//! Failures are typed ([`SourceError`]): each names the repository (URL or path) and the
//! step that failed, and says whether retrying may help ([`SourceError::is_transient`]).

mod dir;
mod git;
mod known_hosts;
mod remote;
pub mod types;
mod verify;
pub mod walk;

pub use known_hosts::{KnownHosts, KnownHostsError};
use types::url_scheme;
pub use types::{
    default_cache_dir, FetchOptions, Snapshot, SourceError, SourceSpec, WorkTree, WORKING_TREE,
};
pub use verify::{repo_path, verify};

use std::path::Path;

/// Takes a snapshot. Remote URLs are fetched into `opts.cache_dir` first; local paths are
/// read directly (a plain directory from disk, a repository at `spec.rev`).
pub fn snapshot(spec: &SourceSpec, opts: &FetchOptions) -> Result<Snapshot, SourceError> {
    let subdir = normalize_subdir(spec.subdir.as_deref());
    match url_scheme(&spec.location) {
        Some(scheme) => match scheme.as_str() {
            "file" | "ssh" | "https" | "http" => remote::snapshot(spec, &subdir, opts),
            _ => Err(SourceError::UnsupportedScheme {
                location: spec.location.clone(),
                scheme,
            }),
        },
        None if spec.rev.is_none() && !is_bare_repo(Path::new(&spec.location)) => {
            dir::snapshot(Path::new(&spec.location), &spec.location, &subdir)
        }
        None => git::snapshot_local(spec, &subdir),
    }
}

/// Whether `commit` descends from (or is) `ancestor`, in the repository a snapshot of
/// `spec` was taken from (for URLs: the cache, so call this after [`snapshot`]). This is
/// how `agent run` refuses history that was rewritten under it (a force-push).
pub fn descends_from(
    spec: &SourceSpec,
    opts: &FetchOptions,
    commit: &str,
    ancestor: &str,
) -> Result<bool, SourceError> {
    let location = spec.location.clone();
    let repo = match url_scheme(&spec.location) {
        Some(_) => git2::Repository::open_bare(remote::cache_path(&opts.cache_dir, &location)),
        None => git2::Repository::open(&location),
    }
    .map_err(|cause| SourceError::NotARepository {
        location: location.clone(),
        cause,
    })?;
    let read = |what: &str, cause| SourceError::Read {
        location: location.clone(),
        what: what.to_string(),
        commit: commit.to_string(),
        cause,
    };
    let new = git2::Oid::from_str(commit).map_err(|e| read("commit id", e))?;
    let old = git2::Oid::from_str(ancestor).map_err(|e| read("commit id", e))?;
    if new == old {
        return Ok(true);
    }
    // An ancestor missing from the repository (pruned after a force-push) is not an ancestor.
    if repo.find_commit(old).is_err() {
        return Ok(false);
    }
    repo.graph_descendant_of(new, old)
        .map_err(|e| read("history", e))
}

fn is_bare_repo(path: &Path) -> bool {
    path.join("HEAD").is_file() && path.join("objects").is_dir()
}

/// `None`, empty, `.` and `./` all mean the root; otherwise strip leading `./` and slashes.
fn normalize_subdir(subdir: Option<&str>) -> String {
    let s = subdir.unwrap_or(".").trim_matches('/');
    let s = s.strip_prefix("./").unwrap_or(s);
    if s.is_empty() || s == "." {
        ".".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_urls_and_paths() {
        assert_eq!(url_scheme("file:///tmp/x").as_deref(), Some("file"));
        assert_eq!(url_scheme("SSH://git@h/r.git").as_deref(), Some("ssh"));
        assert_eq!(url_scheme("/tmp/x"), None);
        assert_eq!(url_scheme("sample-repo"), None);
        assert_eq!(url_scheme("git@host:repo.git"), None);
    }

    #[test]
    fn subdir_forms_normalise() {
        assert_eq!(normalize_subdir(None), ".");
        assert_eq!(normalize_subdir(Some("./")), ".");
        assert_eq!(normalize_subdir(Some("/deploy/prod/")), "deploy/prod");
        assert_eq!(normalize_subdir(Some("./deploy")), "deploy");
    }

    #[test]
    fn unknown_scheme_is_refused_before_any_io() {
        let spec = SourceSpec {
            location: "ftp://example.invalid/repo".into(),
            rev: None,
            subdir: None,
        };
        let err = snapshot(&spec, &FetchOptions::new(Some("/nonexistent".into()))).unwrap_err();
        assert!(
            matches!(err, SourceError::UnsupportedScheme { ref scheme, .. } if scheme == "ftp")
        );
        assert!(!err.is_transient());
    }
}
