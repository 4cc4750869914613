//! Test support for the host-level suites: the rollout of one host-level target
//! through the engine's own runner, and the change set of both host kinds, from
//! hand-made views (no observation round trip).

use super::kind::HostKind;
use super::target::HostTarget;
use super::views::{compare_files, files_of, HostViews};
use crate::exec::Remote;
use crate::mask::Masker;
use crate::outcome::{ApplyReport, Step};
use crate::plan::Change;
use crate::rendered::Rendered;
use crate::targets::balancer::kind::Balancer;
use crate::targets::gateway::kind::Gateway;
use crate::targets::target::{Cx, Plan, Settings, Target};
use std::sync::Arc;

/// The two host-level kinds, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Gateway,
    Balancer,
}

impl TargetKind {
    pub const fn name(self) -> &'static str {
        match self {
            TargetKind::Gateway => "gateway",
            TargetKind::Balancer => "balancer",
        }
    }
}

fn changes_of<K: HostKind>(
    kind: &K,
    rendered: &Rendered,
    views: &HostViews,
    masker: &Masker,
) -> Vec<Change> {
    let files = files_of(rendered, kind.name());
    let notes = |f: &_, live: &str, obs: &_| kind.diff_notes(f, live, obs);
    let mut changes = compare_files(&files, views, masker, &notes);
    changes.extend(kind.extra_changes(&files, views, masker));
    changes
}

/// The change set of every host-level file of `rendered` against `views`.
pub fn diff_files(rendered: &Rendered, views: &HostViews, masker: &Masker) -> Vec<Change> {
    let mut out = changes_of(&Balancer, rendered, views, masker);
    out.extend(changes_of(&Gateway, rendered, views, masker));
    out
}

/// `kind`'s rollout of `changes`, as the engine runs it (`blocked`: skip every step).
#[allow(clippy::too_many_arguments)]
pub async fn apply_target(
    remote: &dyn Remote,
    state: &schema::DesiredState,
    rendered: &Rendered,
    views: &HostViews,
    changes: &[Change],
    kind: TargetKind,
    blocked: Option<String>,
    progress: &(dyn Fn(&str) + Sync),
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Vec<Step> {
    apply_target_fenced(
        remote, state, rendered, views, changes, kind, blocked, progress, stop, None,
    )
    .await
}

/// The balancer rollout of `changes` with at most `cap` steps of a wave in flight.
pub async fn apply_capped(
    remote: &dyn Remote,
    rendered: &Rendered,
    views: &HostViews,
    changes: &[Change],
    cap: u32,
) -> Vec<Step> {
    let settings = Settings {
        rollout: crate::config::RolloutConfig { concurrency: cap },
        ..Settings::default()
    };
    let state = schema::DesiredState::default();
    let run = Run {
        remote,
        state: &state,
        rendered,
        views,
        changes,
        kind: TargetKind::Balancer,
        progress: &|_: &str| {},
        settings,
    };
    run.go(None, None, None).await
}

/// [`apply_target`] with a [`crate::fence::Fence`] asked before every step.
#[allow(clippy::too_many_arguments)]
pub async fn apply_target_fenced(
    remote: &dyn Remote,
    state: &schema::DesiredState,
    rendered: &Rendered,
    views: &HostViews,
    changes: &[Change],
    kind: TargetKind,
    blocked: Option<String>,
    progress: &(dyn Fn(&str) + Sync),
    stop: Option<&std::sync::atomic::AtomicBool>,
    fence: Option<&dyn crate::fence::Fence>,
) -> Vec<Step> {
    let run = Run {
        remote,
        state,
        rendered,
        views,
        changes,
        kind,
        progress,
        settings: Settings::default(),
    };
    run.go(blocked, stop, fence).await
}

/// One rollout of one host-level target through the engine's wave runner.
struct Run<'a> {
    remote: &'a dyn Remote,
    state: &'a schema::DesiredState,
    rendered: &'a Rendered,
    views: &'a HostViews,
    changes: &'a [Change],
    kind: TargetKind,
    progress: &'a (dyn Fn(&str) + Sync),
    settings: Settings,
}

impl Run<'_> {
    async fn go(
        self,
        blocked: Option<String>,
        stop: Option<&std::sync::atomic::AtomicBool>,
        fence: Option<&dyn crate::fence::Fence>,
    ) -> Vec<Step> {
        let kind = self.kind;
        let target: Box<dyn Target> = match kind {
            TargetKind::Gateway => Box::new(HostTarget(Gateway)),
            TargetKind::Balancer => Box::new(HostTarget(Balancer)),
        };
        let masker = Masker::new("k");
        let cx = Cx {
            remote: self.remote,
            commit: "c",
            state: self.state,
            rendered: self.rendered,
            masker: &masker,
            kube: None,
            settings: self.settings,
            selected: &["gateway", "balancer"],
            progress: self.progress,
            stop,
            fence,
            memo: Default::default(),
        };
        let mine: Vec<Change> = self
            .changes
            .iter()
            .filter(|c| c.target == kind.name())
            .cloned()
            .collect();
        let plan = Plan::new(mine, vec![], Arc::new(self.views.clone()));
        let mut report = ApplyReport::default();
        crate::engine::run_target(target.as_ref(), &cx, &plan, blocked, &mut report).await;
        report.steps
    }
}
