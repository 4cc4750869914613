//! The values of the source step: what to fetch ([`SourceSpec`], [`FetchOptions`]),
//! what was fetched ([`Snapshot`]) and why it failed ([`SourceError`]).

use super::known_hosts::KnownHostsError;
use schema::SourceFile;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The commit id given to snapshots of a plain directory (what is on disk, not a commit).
pub const WORKING_TREE: &str = "working-tree";

/// The desired state as read from one revision of the repository. Immutable plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Full commit id (40 hex digits), or [`WORKING_TREE`] for a plain directory.
    pub commit: String,
    /// What was asked for: the branch, tag or commit given, or the directory read.
    pub reference: String,
    /// Where it came from: the URL or the local path, as given.
    pub origin: String,
    /// The repository subdirectory the files were read from (`.` for the root).
    pub subdir: String,
    /// Every regular file below `subdir`, paths relative to it with `/`, sorted by path.
    pub files: Vec<SourceFile>,
    /// For a directory read from disk that lies inside a Git work tree: which one.
    pub work_tree: Option<WorkTree>,
}

/// The Git work tree a directory snapshot lies in (for reports: "uncommitted state of X at Y").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkTree {
    /// The work tree's root directory.
    pub root: PathBuf,
    /// The commit `HEAD` points at, if any (none in a repository without commits).
    pub head: Option<String>,
}

/// Where the desired state lives and which revision to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// A URL (`file://`, `ssh://`, `https://`, `http://`) or a local path.
    pub location: String,
    /// Branch, tag or commit id. `None`: a local path is read from disk as it is, a
    /// repository is read at its `HEAD` (a remote's default branch).
    pub rev: Option<String>,
    /// Subdirectory of the repository holding the desired state (`None` or `.`: the root).
    pub subdir: Option<String>,
}

/// How remote repositories are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Where bare cache repositories of remote URLs are kept.
    pub cache_dir: PathBuf,
    /// Gives up on a fetch that takes longer than this (connect and transfer).
    pub timeout: Duration,
    /// Private key for `ssh://` URLs.
    pub identity_file: Option<PathBuf>,
    /// known_hosts file the server's host key must be listed in (`ssh://`). There is no
    /// trust on first use: without this file, ssh URLs are refused.
    pub known_hosts: Option<PathBuf>,
    /// SSH user when the URL names none (default `git`).
    pub user: Option<String>,
}

impl FetchOptions {
    /// Defaults: cache under `$XDG_CACHE_HOME/agent` (or `~/.cache/agent`), 60 s timeout.
    pub fn new(cache_dir: Option<PathBuf>) -> Self {
        FetchOptions {
            cache_dir: cache_dir.unwrap_or_else(default_cache_dir),
            timeout: Duration::from_secs(60),
            identity_file: None,
            known_hosts: None,
            user: None,
        }
    }
}

/// `$XDG_CACHE_HOME/agent`, else `$HOME/.cache/agent`, else a directory under the temp dir.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("agent")
}

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{location}: cannot read: {cause}")]
    Unreadable {
        location: String,
        cause: std::io::Error,
    },
    #[error("{location}: not a Git repository: {cause}")]
    NotARepository {
        location: String,
        cause: git2::Error,
    },
    #[error(
        "{location}: revision `{rev}` not found (no branch, tag or commit by that name){known}"
    )]
    RevisionNotFound {
        location: String,
        rev: String,
        known: String,
    },
    #[error("{location}: subdirectory `{subdir}` does not exist at {commit}")]
    NoSuchSubdir {
        location: String,
        subdir: String,
        commit: String,
    },
    #[error(
        "{location}: unsupported URL scheme `{scheme}` (use file://, ssh://, https:// or a path)"
    )]
    UnsupportedScheme { location: String, scheme: String },
    #[error("{location}: cannot create the cache at {}: {cause}", cache.display())]
    Cache {
        location: String,
        cache: PathBuf,
        cause: String,
    },
    #[error("{location}: fetch failed: {cause}")]
    Fetch { location: String, cause: String },
    #[error("{location}: fetch timed out after {}s", timeout.as_secs())]
    Timeout { location: String, timeout: Duration },
    #[error("{location}: ssh host key of {host} is not in {known_hosts}")]
    HostKeyNotTrusted {
        location: String,
        host: String,
        known_hosts: String,
    },
    #[error("{location}: ssh URLs need a known_hosts file (ssh.knownHosts in the agent config); no trust on first use")]
    NoKnownHosts { location: String },
    #[error("{location}: {cause}")]
    KnownHosts {
        location: String,
        cause: KnownHostsError,
    },
    #[error("{location}: commit {commit} refused: {reason}; signed commits are required (trust.requireSignedCommits), the last good commit stays in force")]
    Untrusted {
        location: String,
        commit: String,
        reason: String,
    },
    #[error("{location}: reading {what} at {commit}: {cause}")]
    Read {
        location: String,
        what: String,
        commit: String,
        cause: git2::Error,
    },
    /// A directory with no Inventory and no `agent/v1` document: the wrong directory.
    #[error("not a desired-state repo: {}: {reason}; give PATH, --repo, or repo: in agent.yaml", path.display())]
    NotADesiredStateRepo {
        location: String,
        path: PathBuf,
        reason: String,
    },
    /// A directory source's walk failed or reached one of its limits.
    #[error("{location}: {cause}")]
    Walk {
        location: String,
        cause: super::walk::WalkError,
    },
}

impl SourceError {
    /// True when retrying later may succeed (network, timeout); false for mistakes that
    /// need a person (missing revision, bad URL, untrusted host key).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::Fetch { .. } | SourceError::Timeout { .. }
        )
    }
}

/// The scheme of `location` when it is a URL (`scp`-like `user@host:path` is not accepted,
/// so a Windows-free local path is never mistaken for a URL).
pub fn url_scheme(location: &str) -> Option<String> {
    let (scheme, rest) = location.split_once("://")?;
    let ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.');
    (ok && !rest.is_empty()).then(|| scheme.to_ascii_lowercase())
}
