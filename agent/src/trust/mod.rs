//! Trust decisions: which commits and which hosts the agent believes (README,
//! "Secrets and trust").
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
pub mod error;
pub mod hostkey;

pub use commit::{verify_commit, AllowList, AllowedSshKey, Verdict};
pub use error::HostKeyMismatch;
pub use error::TrustError;
pub use hostkey::{check_pinned, fingerprint, record_host_key, Recorded};
