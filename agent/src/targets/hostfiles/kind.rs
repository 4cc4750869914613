//! What a host-level kind (a service configured by files on hosts: Apache, HAProxy)
//! adds to the shared host-file machinery. The machinery — observe, compare, stage,
//! check, swap, reload, health-check, roll back, HA-ordered waves — is written once
//! in this folder and knows nothing of any service; a kind is a value implementing
//! [`HostKind`], made a [`Target`](crate::targets::target::Target) by
//! [`HostTarget`](super::target::HostTarget).

use super::files::{Observation, ObservedFile};
use super::views::HostViews;
use crate::mask::Masker;
use crate::plan::Change;
use crate::rendered::{ManagedFile, RenderError};
use crate::targets::target::{Cx, Dependency};
use async_trait::async_trait;
use schema::DesiredState;

/// How a file of a step goes live, as the kind decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoLive {
    /// The common path: stage, check, keep previous, rename, reload.
    Swap,
    /// The file is already in place (swapped by the kind): reload it.
    ReloadOnly,
    /// Live without a reload (the kind changed the running service itself).
    Done,
    /// The staged copy was rejected: nothing live was touched.
    Rejected(String),
    /// Could not be carried out (host unreachable mid-step...).
    Failed(String),
}

/// A kind's decision for one file, with what it wants said in the step's notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePath {
    pub how: GoLive,
    pub notes: Vec<String>,
}

impl LivePath {
    pub fn swap() -> LivePath {
        LivePath {
            how: GoLive::Swap,
            notes: vec![],
        }
    }
}

/// One kind of host-level target.
#[async_trait]
pub trait HostKind: Send + Sync + 'static {
    /// What the health check compares against (e.g. every route's answer before).
    type Baseline: Send + Sync;

    /// The target's name (`gateway`, `balancer`).
    fn name(&self) -> &'static str;

    fn depends_on(&self) -> &'static [Dependency] {
        &[]
    }

    /// The files this kind owns on every host (pure). A file may carry `observe`
    /// lines for its host's observation round trip.
    fn render(&self, state: &DesiredState) -> Result<Vec<ManagedFile>, RenderError>;

    /// Notes on a differing file (how apply will make it live).
    fn diff_notes(&self, _file: &ManagedFile, _live: &str, _obs: &Observation) -> Vec<String> {
        vec![]
    }

    /// Changes beyond the files' contents (a service's runtime state that drifted).
    fn extra_changes(
        &self,
        _files: &[&ManagedFile],
        _views: &HostViews,
        _masker: &Masker,
    ) -> Vec<Change> {
        vec![]
    }

    /// Whether `change` (one of [`HostKind::extra_changes`]) puts `file` in its host's step.
    fn touches(&self, _change: &Change, _file: &ManagedFile) -> bool {
        false
    }

    /// Measured on the host before its step, for [`HostKind::health`].
    async fn baseline(&self, cx: &Cx<'_>, host: &str, files: &[&ManagedFile]) -> Self::Baseline;

    /// How `file` goes live (default: swap and reload). `obs` is the file's
    /// observation, `host` its host's.
    async fn go_live(
        &self,
        _cx: &Cx<'_>,
        _file: &ManagedFile,
        _obs: Option<&ObservedFile>,
        _host: Option<&Observation>,
    ) -> LivePath {
        LivePath::swap()
    }

    /// After `file` went live: `Ok(notes)` keeps it, `Err(why)` rolls it back.
    async fn health(
        &self,
        cx: &Cx<'_>,
        file: &ManagedFile,
        baseline: &Self::Baseline,
    ) -> Result<Vec<String>, String>;
}
