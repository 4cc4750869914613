//! "May I start a step now?": the guard the engine asks before every step (a host's
//! files, a cluster's CIB patch, the workloads' apply), beside the SIGTERM stop flag.
//! `agent run` with `leaderElection:` answers it from the Lease ([`crate::lease`]): a
//! lease is not a lock, so the holder checks it still holds it right before it
//! writes. A leaf: it knows neither the engine nor Kubernetes.

/// Answers cheaply (no I/O): from state a background loop keeps fresh.
pub trait Fence: Send + Sync {
    /// `Ok` when a step may start now; `Err(why not)` otherwise. A step already
    /// running is never interrupted: only the start of the next one is refused.
    fn may_start(&self) -> Result<(), String>;
}
