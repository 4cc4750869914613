//! One reconcile cycle over plain values: rendered desired state in, change set
//! and rollout steps out. `agent diff` is exactly [`Engine::diff`]; `agent apply`
//! is [`Engine::apply`], which computes the same plans and then executes them.
//!
//! The engine knows no kind of target: it walks the registry
//! (`targets::registry`), restricted to the [`Selection`]. Every target plans
//! concurrently (observation is read-only); then, in registry order, each
//! target's waves run one after the other, the steps of a wave at once. The rules
//! are data: a target whose dependency failed is skipped with the dependency's
//! reason; a failed wave skips the rest of its target; a stop request (SIGTERM,
//! or the [`Fence`] refusing: the lease was lost) is seen before every
//! step (an unreachable host or a failed target affects only what depends on it:
//! the rest is still reconciled).

use crate::exec::Remote;
use crate::fence::Fence;
use crate::mask::Masker;
use crate::outcome::ApplyReport;
use crate::plan::ChangeSet;
use crate::rendered::Rendered;
use crate::targets::registry;
use crate::targets::target::{Cx, Plan, Settings, StepOutcome, StepPlan, Target};
use futures::StreamExt;
use schema::DesiredState;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The desired side of a cycle: everything derived from one commit.
pub struct Desired<'a> {
    pub commit: &'a str,
    pub state: &'a DesiredState,
    pub rendered: &'a Rendered,
}

/// Which targets a cycle looks at: names of registered targets, in registry order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection(Vec<&'static str>);

impl Default for Selection {
    fn default() -> Self {
        Selection(registry::names())
    }
}

impl Selection {
    /// No target at all.
    pub fn none() -> Selection {
        Selection(vec![])
    }

    /// The targets named; `Err` names the first unknown one.
    pub fn only<S: AsRef<str>>(names: &[S]) -> Result<Selection, String> {
        let known = registry::names();
        if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_ref())) {
            return Err(format!(
                "unknown target `{}` (known: {})",
                bad.as_ref(),
                known.join(", ")
            ));
        }
        Ok(Selection(
            known
                .into_iter()
                .filter(|k| names.iter().any(|n| n.as_ref() == *k))
                .collect(),
        ))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }

    pub fn names(&self) -> &[&'static str] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a selected target has work in the Kubernetes API for `rendered`.
    pub fn uses_kube(&self, rendered: &Rendered) -> bool {
        registry::all()
            .iter()
            .any(|t| self.contains(t.name()) && t.uses_kube(rendered))
    }
}

pub struct Engine<'a> {
    pub remote: &'a dyn Remote,
    pub masker: Masker,
    /// The Kubernetes API, when one is configured.
    pub kube: Option<&'a kube::Client>,
    pub select: Selection,
    pub settings: Settings,
    /// Set by `agent run` on SIGTERM: `apply` starts no further step; the step
    /// running finishes. `None`: never stops early.
    pub stop: Option<Arc<AtomicBool>>,
    /// Asked before every step; a refusal skips that step and the rest (leader
    /// election: only the Lease holder writes). `None`: every step may start.
    pub fence: Option<Arc<dyn Fence>>,
}

impl<'a> Engine<'a> {
    /// An engine for a state without decrypted secrets; for a state from
    /// [`crate::validate::prepare_with`] use [`Engine::with_secrets`].
    pub fn new(remote: &'a dyn Remote, state: &DesiredState) -> Self {
        Self::with_secrets(remote, state, &[])
    }

    /// An engine whose masker knows `secrets` (`Prepared::secrets`: every decrypted value).
    pub fn with_secrets(remote: &'a dyn Remote, state: &DesiredState, secrets: &[String]) -> Self {
        Engine {
            remote,
            masker: crate::secrets::masking::masker_for(state, secrets),
            kube: None,
            select: Selection::default(),
            settings: Settings::default(),
            stop: None,
            fence: None,
        }
    }

    /// The context every target of this cycle sees.
    pub fn cx<'c>(&'c self, d: &'c Desired<'c>, progress: &'c (dyn Fn(&str) + Sync)) -> Cx<'c> {
        Cx {
            remote: self.remote,
            commit: d.commit,
            state: d.state,
            rendered: d.rendered,
            masker: &self.masker,
            kube: self.kube,
            settings: self.settings,
            selected: self.select.names(),
            progress,
            stop: self.stop.as_deref(),
            fence: self.fence.as_deref(),
            memo: Default::default(),
        }
    }

    fn targets(&self) -> Vec<Box<dyn Target>> {
        registry::all()
            .into_iter()
            .filter(|t| self.select.contains(t.name()))
            .collect()
    }

    /// Every selected target's plan, observed concurrently.
    pub async fn plans(&self, cx: &Cx<'_>, targets: &[Box<dyn Target>]) -> Vec<Plan> {
        futures::future::join_all(targets.iter().map(|t| t.plan(cx))).await
    }

    /// Read-only: what differs between Git and the live platform.
    pub async fn diff(&self, d: &Desired<'_>) -> ChangeSet {
        let quiet = |_: &str| {};
        let cx = self.cx(d, &quiet);
        let plans = self.plans(&cx, &self.targets()).await;
        change_set(d, &plans)
    }

    /// The order `apply` would take, per target: the waves of its steps.
    pub async fn rollout_preview(&self, d: &Desired<'_>) -> (ChangeSet, Vec<Vec<StepPlan>>) {
        let quiet = |_: &str| {};
        let cx = self.cx(d, &quiet);
        let targets = self.targets();
        let plans = self.plans(&cx, &targets).await;
        let waves = targets
            .iter()
            .zip(&plans)
            .flat_map(|(t, p)| t.waves(&cx, p))
            .collect();
        (change_set(d, &plans), waves)
    }

    /// Observe, then apply every pending change in dependency order (module docs).
    pub async fn apply(&self, d: &Desired<'_>, progress: &(dyn Fn(&str) + Sync)) -> ApplyReport {
        let cx = self.cx(d, progress);
        let targets = self.targets();
        let plans = self.plans(&cx, &targets).await;
        let mut report = ApplyReport {
            plan: change_set(d, &plans),
            ..Default::default()
        };
        let mut failed: Vec<&'static str> = Vec::new();
        for (t, plan) in targets.iter().zip(&plans) {
            let blocked = if let Some(why) = cx.halt() {
                Some(format!("skipped: {why}"))
            } else {
                t.depends_on()
                    .iter()
                    .find(|d| failed.contains(&d.on))
                    .map(|d| format!("skipped: {}, and the {} rollout failed", d.why, d.on))
            };
            if run_target(t.as_ref(), &cx, plan, blocked, &mut report).await {
                failed.push(t.name());
            }
        }
        report
    }
}

/// The change set of `plans`, in a stable order.
fn change_set(d: &Desired<'_>, plans: &[Plan]) -> ChangeSet {
    let mut cs = ChangeSet {
        commit: d.commit.to_string(),
        shard: d.rendered.shard.clone(),
        ..Default::default()
    };
    for p in plans {
        cs.changes.extend(p.changes.iter().cloned());
        cs.errors.extend(p.errors.iter().cloned());
    }
    cs.sort();
    cs
}

fn absorb(report: &mut ApplyReport, o: StepOutcome) {
    report.steps.extend(o.step);
    report.applied.extend(o.applied);
    report.errors.extend(o.errors);
    report.health.extend(o.health);
}

/// Why the rest of `target`'s rollout is skipped once step `id` failed.
fn stopped_after(target: &dyn Target, id: &str) -> String {
    format!(
        "skipped: the {} rollout stopped after {id} failed",
        target.name()
    )
}

/// Runs `target`'s waves into `report`; whether any step did not converge.
pub(crate) async fn run_target(
    target: &dyn Target,
    cx: &Cx<'_>,
    plan: &Plan,
    mut blocked: Option<String>,
    report: &mut ApplyReport,
) -> bool {
    let waves = target.waves(cx, plan);
    let total: usize = waves.iter().map(Vec::len).sum();
    let (mut done, mut failed) = (0, false);
    for wave in waves {
        if blocked.is_none() {
            blocked = cx.halt().map(|why| format!("skipped: {why}"));
        }
        if let Some(reason) = &blocked {
            failed = true;
            for s in &wave {
                absorb(report, target.skip(s, reason));
            }
            continue;
        }
        // At most `cap` steps of the wave in flight; a new one starts when one ends,
        // none after a step failed (so a failure reaches at most `cap` hosts).
        let cap = cx.settings.rollout.cap();
        let stopped: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
        let stopped = &stopped;
        let jobs = wave.iter().enumerate().map(|(i, s)| {
            let tag = if s.id == target.name() {
                format!("[{}/{total}] {}", done + i + 1, s.id)
            } else {
                format!("[{}/{total}] {} {}", done + i + 1, target.name(), s.id)
            };
            async move {
                // Asked again right before each step, not once per wave: the lease
                // may have been lost, or a step failed, while earlier ones ran.
                if let Some(why) = cx.halt() {
                    return (i, target.skip(s, &format!("skipped: {why}")));
                }
                let failed_first = stopped.lock().expect("wave state").clone();
                if let Some(id) = failed_first {
                    return (i, target.skip(s, &stopped_after(target, &id)));
                }
                (cx.progress)(&format!("{tag}: {}", s.start));
                let o = target.apply_step(cx, plan, s).await;
                (cx.progress)(&format!("{tag}: {}", o.summary));
                if o.failed {
                    stopped
                        .lock()
                        .expect("wave state")
                        .get_or_insert_with(|| s.id.clone());
                }
                (i, o)
            }
        });
        // Collected first: a stream over the closure is not provably `Send` here.
        let jobs: Vec<_> = jobs.collect();
        let mut results: Vec<(usize, StepOutcome)> = futures::stream::iter(jobs)
            .buffer_unordered(cap)
            .collect()
            .await;
        results.sort_by_key(|(i, _)| *i);
        let results: Vec<StepOutcome> = results.into_iter().map(|(_, o)| o).collect();
        done += results.len();
        let first_failed = stopped.lock().expect("wave state").clone();
        if let Some(why) = cx.halt() {
            failed = true;
            blocked = Some(format!("skipped: {why}"));
        } else if let Some(id) = first_failed {
            failed = true;
            blocked = Some(stopped_after(target, &id));
        }
        for o in results {
            absorb(report, o);
        }
    }
    failed
}
