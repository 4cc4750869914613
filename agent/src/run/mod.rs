//! `agent run`: the service on the deploy node. It repeats the cycle `agent apply`
//! runs once, on a schedule, and keeps serving what it found.
//!
//! Pieces, each a module: [`schedule`] (interval, jitter, backoff, drift cadence),
//! [`service`] (the loop, generic over a [`Reconciler`] so it is tested without SSH),
//! [`gitwatch`] (fetch, fast-forward check, last known good commit kept on disk),
//! [`ssh`] (the real reconciler: snapshot → `validate::prepare` → [`crate::engine`]),
//! [`status`] and [`metrics`] (what `/status`, `/metrics` and the state file show),
//! [`http`] (listener: `/status`, `/healthz`, `/metrics`, `POST /hooks/git`), [`lock`]
//! (one agent per state directory), [`watch`] (config file and local repo changes).
//!
//! Guarantees: one cycle at a time (the loop awaits each cycle before the next, so a
//! target is never reconciled twice at once); a cycle is never cancelled once started —
//! SIGTERM/SIGINT are seen between cycles, so a host step is never cut off half-way (see
//! [`service::Service::run`]); when Git is unreachable, a commit is invalid or its history
//! was rewritten, the last accepted commit keeps being enforced.

pub mod commit_status;
pub mod gitwatch;
pub mod http;
pub mod lock;
pub mod logs;
pub mod metrics;
pub mod schedule;
pub mod service;
pub mod ssh;
pub mod status;
pub mod watch;

use crate::outcome::HealthLine;
use crate::outcome::Step;
use crate::plan::{Change, TargetError};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// What a poll of the source found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// The branch head is the commit already accepted.
    Unchanged { commit: String },
    /// A new commit, fast-forward and valid: it is now the desired state.
    New { commit: String },
    /// A new head that is not accepted (history rewritten, desired state invalid): the last
    /// accepted commit stays the desired state. Needs a person.
    Rejected { commit: String, reason: String },
}

/// A poll that failed (Git unreachable, bad URL...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollError {
    pub message: String,
    /// Retrying later may help (network) rather than needing a person.
    pub transient: bool,
}

/// Why a reconcile runs; also the `cause` label of the applied-changes metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// A new commit: converge every target to it.
    Intentional,
    /// A drift sweep: report differences, correct them where the target's policy says so.
    Corrective,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Intentional => "intentional",
            Cause::Corrective => "corrective",
        }
    }
}

/// One object that differed from Git: corrected, or only reported (policy `observe`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub object: String,
}

/// What one reconcile did, as plain data: recorded in status, metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The commit enforced.
    pub commit: String,
    /// The targets looked at.
    pub targets: Vec<String>,
    /// Changes applied.
    pub applied: Vec<Found>,
    /// Differences found and left alone (policy `observe`).
    pub drift: Vec<Found>,
    pub errors: Vec<TargetError>,
    /// Every object that differed from Git, with its masked diff and notes (applied,
    /// only reported, or left pending by a failure): what the history records.
    pub changes: Vec<Change>,
    /// The rollout's host steps, in the order they ran.
    pub steps: Vec<Step>,
    /// Workload health after the apply.
    pub health: Vec<HealthLine>,
}

/// `/api/diff`: a fresh read-only diff of the commit the service enforces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffRequest {
    /// Target names (`gateway`, `balancer`, `cluster`, `workloads`); empty: all.
    pub targets: Vec<String>,
    /// Add the `crm_simulate` preview (`agent diff -v`).
    pub preview: bool,
    /// Only if this is the commit enforced (the client's `agent diff` would read it).
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffAnswer {
    /// The change set, its diffs masked.
    Done(crate::plan::ChangeSet),
    /// The service enforces another commit than the one asked for.
    Mismatch {
        enforced: String,
    },
    /// No commit accepted yet.
    NoCommit,
    BadRequest(String),
}

/// A diff asked by the listener, run by the loop between cycles (never during one).
#[derive(Debug)]
pub struct DiffJob {
    pub req: DiffRequest,
    pub reply: tokio::sync::oneshot::Sender<DiffAnswer>,
}

/// One reconcile cycle's two halves, as the loop sees them. The real one is
/// [`ssh::SshReconciler`]; tests use fakes.
pub trait Reconciler: Send {
    /// Fetches the source and decides which commit is desired from now on.
    fn poll(&mut self) -> impl Future<Output = Result<Polled, PollError>> + Send;
    /// Reconciles the targets against the last accepted commit. `None` when no commit was
    /// ever accepted (nothing to enforce yet). Never cancelled once started.
    fn reconcile(&mut self, cause: Cause) -> impl Future<Output = Option<Outcome>> + Send;
    /// The masker of the commit enforced: the history and the web view pass every text
    /// through it.
    fn masker(&self) -> crate::mask::Masker {
        crate::secrets::masking::secret_masker(&[])
    }
    /// The live platform data for the web view (read-only, bounded in time).
    fn live(&mut self) -> impl Future<Output = Option<crate::web::live::LiveView>> + Send {
        async { None }
    }
    /// A read-only diff of the commit enforced (`/api/diff`).
    fn diff(&mut self, req: DiffRequest) -> impl Future<Output = DiffAnswer> + Send {
        let _ = req;
        async { DiffAnswer::NoCommit }
    }
}
