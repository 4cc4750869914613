//! Why a trust check could not be carried out (as opposed to a negative verdict).

/// Why a trust check could not be carried out (as opposed to a negative verdict).
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("commit {commit}: {source}")]
    Git { commit: String, source: git2::Error },
    #[error("running {tool}: {source}")]
    Tool {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("not a public key or known_hosts line: {line:?}")]
    BadKeyLine { line: String },
    #[error(transparent)]
    HostKey(#[from] HostKeyMismatch),
    #[error("no {key_type} key for {host} in the ssh-keyscan output")]
    NoScannedKey { host: String, key_type: String },
}

/// A host presented a key other than the pinned one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "host key of {host} changed: it presented {presented}, pinned is {pinned}; \
     refusing to connect (run `agent trust {host}` if the change is expected)"
)]
pub struct HostKeyMismatch {
    pub host: String,
    pub presented: String,
    pub pinned: String,
}
