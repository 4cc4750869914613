//! SSH transport: how the agent reaches gateway, balancer and cluster hosts.
//!
//! Place in the pipeline: the observe and rollout steps of targets call a [`Pool`];
//! nothing here knows about targets or the desired state. One OpenSSH master per host
//! (native multiplexing: each command is a new channel on the existing connection, no
//! new process, no new handshake), opened lazily and reused for the whole cycle.
//!
//! Guarantees:
//! - host keys are pinned: `StrictHostKeyChecking=yes` against the configured
//!   known_hosts plus the inventory's pinned key; trust on first use only when
//!   `SshConfig::strict_host_keys` is `false`; `~/.ssh/config` is never read;
//! - at most `max_sessions_per_host` concurrent sessions per host (below sshd's
//!   `MaxSessions`), any number of hosts in parallel;
//! - every master is a child process of the agent, terminated on [`Pool::close`], on
//!   drop, after `idle_timeout`, and by the kernel if the agent dies — unless
//!   `SshConfig::persist` is set (opt-in): then masters are detached, reused across
//!   runs and end `persist` after their last use (see `persist.rs`);
//! - every error names the host and is classified ([`SshError::is_transient`]);
//! - each operation below is one SSH round trip; file writes are atomic (see `files`).

mod config;
mod error;
mod master;
mod persist;
mod pool;
mod remote;
pub mod script;
mod session;

pub use config::{HostSpec, SshConfig};
pub use error::SshError;
pub use pool::Pool;
pub use remote::SshRemote;
pub use session::Output;
