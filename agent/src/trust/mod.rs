//! Trust decisions: which commits and which hosts the agent believes (DESIGN.md §4
//! rule 8).
//!
//! - [`commit`]: is a commit signed by a key on the allow-list? The source step asks
//!   before handing a snapshot on; anything but [`Verdict::Valid`] keeps the last good
//!   commit in force.
//! - [`hostkey`]: host key fingerprints and the deliberate `agent trust HOST` step
//!   that records a host's presented key in a known_hosts file.
//!
//! Cryptographic checks are delegated to OpenSSH's `ssh-keygen -Y` and GnuPG, the
//! tools that made the signatures, rather than re-implemented.

pub mod commit;
pub mod hostkey;

pub use commit::{verify_commit, AllowList, AllowedSshKey, Verdict};
pub use hostkey::{check_pinned, fingerprint, record_host_key, HostKeyMismatch, Recorded};

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
    HostKey(#[from] hostkey::HostKeyMismatch),
    #[error("no {key_type} key for {host} in the ssh-keyscan output")]
    NoScannedKey { host: String, key_type: String },
}
