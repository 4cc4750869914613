//! The real [`Reconciler`]: polls through [`GitWatch`] and reconciles the accepted
//! commit over SSH (and the Kubernetes API) with [`Engine`], exactly as `agent apply`.
//!
//! Both a new commit (cause intentional) and a drift sweep (cause corrective) apply the
//! targets whose policy is `correct` and only diff those whose policy is `observe`: an
//! observed target is never written, its pending changes are reported as drift (for a new
//! commit: out of sync with it). The engine is not
//! changed for this: each half runs with a [`Selection`] of its targets. The SSH pool is
//! kept across cycles (its masters stay up), so a no-change cycle costs a few commands.
//! With leader election, a follower's cycle is observe-only for every target, and the
//! leader's engine asks the [`crate::fence::Fence`] before each step.

use super::gitwatch::{Accepted, GitWatch};
use super::{Cause, Found, Outcome, PollError, Polled, Reconciler};
use crate::config::{Config, Policies, Policy};
use crate::engine::{Desired, Engine, Selection};
use crate::kubeapi::connect;
use crate::outcome::{ApplyReport, StepStatus};
use crate::plan::{ChangeSet, TargetError};
use crate::rendered::Rendered;
use crate::ssh::{Pool, SshRemote};
use crate::targets::target::Settings;
use crate::targets::workloads::client::TARGET as WORKLOADS;
use std::sync::Arc;
use tokio::sync::watch;

pub struct SshReconciler {
    watch: Arc<GitWatch>,
    accepted: Option<Arc<Accepted>>,
    config: watch::Receiver<Config>,
    pool: Option<(crate::config::SshConfig, Pool)>,
    /// Set on SIGTERM: the engine starts no further host step (see [`Engine::stop`]).
    pub stop: Arc<std::sync::atomic::AtomicBool>,
    /// `leaderElection:`: asked before every step; while it refuses, cycles only
    /// observe (SSH connections stay warm, drift is reported, nothing is written).
    pub fence: Option<Arc<dyn crate::fence::Fence>>,
}

impl SshReconciler {
    /// Starts from the last known good commit saved in the state dir, if any.
    pub fn new(watch: GitWatch, config: watch::Receiver<Config>) -> Self {
        let accepted = watch.restore().map(Arc::new);
        if let Some(a) = &accepted {
            tracing::info!(commit = %a.snapshot.commit, "enforcing the last known good commit until the source answers");
        }
        SshReconciler {
            watch: Arc::new(watch),
            accepted,
            config,
            pool: None,
            stop: Arc::default(),
            fence: None,
        }
    }

    /// The pool for the current SSH settings (a new one when the config changed them).
    async fn pool(&mut self, config: &Config) -> Pool {
        if let Some((have, pool)) = &self.pool {
            if *have == config.ssh {
                return pool.clone();
            }
            pool.close().await;
        }
        let pool = Pool::new(crate::ssh::SshConfig::from(config));
        self.pool = Some((config.ssh.clone(), pool.clone()));
        pool
    }

    pub async fn close(&mut self) {
        if let Some((_, pool)) = self.pool.take() {
            pool.close().await;
        }
    }
}

#[path = "ssh_view.rs"]
pub mod view;

impl Reconciler for SshReconciler {
    fn masker(&self) -> crate::mask::Masker {
        view::masker(self)
    }

    async fn live(&mut self) -> Option<crate::web::live::LiveView> {
        view::live(self).await
    }

    async fn diff(&mut self, req: super::DiffRequest) -> super::DiffAnswer {
        view::diff(self, req).await
    }

    async fn poll(&mut self) -> Result<Polled, PollError> {
        let watch = self.watch.clone();
        let current = self.accepted.clone();
        let (polled, accepted) =
            tokio::task::spawn_blocking(move || watch.poll(current.as_deref()))
                .await
                .unwrap_or_else(|e| {
                    (
                        Err(PollError {
                            message: format!("poll task failed: {e}"),
                            transient: true,
                        }),
                        None,
                    )
                });
        if let Some(a) = accepted {
            self.accepted = Some(Arc::new(a));
        }
        polled
    }

    async fn reconcile(&mut self, cause: Cause) -> Option<Outcome> {
        let acc = self.accepted.clone()?;
        let config = self.config.borrow().clone();
        let pool = self.pool(&config).await;
        let state = &acc.prepared.state;
        let remote = SshRemote::from_inventory(pool, state);
        let commit = acc.snapshot.commit.as_str();
        let d = Desired {
            commit,
            state,
            rendered: &acc.prepared.rendered,
        };
        // The policy holds for new commits too: an `observe` target is never written,
        // its differences from the new commit are reported (out of sync) like drift.
        let (correct, observe) = match self.fence.as_ref().map(|f| f.may_start()) {
            Some(Err(why)) => {
                tracing::debug!(commit, "follower: observing only ({why})");
                (Selection::none(), Selection::default())
            }
            _ => split(&config.policies),
        };
        let mut errors = vec![];
        let kube_user = kube_user(&acc.prepared.rendered, &[&correct, &observe]);
        let kube = match connect_k8s(&config, kube_user).await {
            Ok(k) => k,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let mut engine = Engine::with_secrets(&remote, state, &acc.prepared.secrets);
        engine.kube = kube.as_ref();
        engine.stop = Some(self.stop.clone());
        engine.fence = self.fence.clone();
        engine.settings = Settings {
            cluster: config.cluster,
            preview: false,
            rollout: config.rollout,
        };
        let mut out = Outcome {
            commit: commit.to_string(),
            ..Default::default()
        };
        if !observe.is_empty() {
            engine.select = observe.clone();
            let cs = engine.diff(&d).await;
            absorb_diff(&mut out, &cs);
        }
        if !correct.is_empty() {
            engine.select = correct.clone();
            let progress = |line: &str| tracing::debug!(commit, "{line}");
            let rep = engine.apply(&d, &progress).await;
            absorb_apply(&mut out, &rep);
        }
        out.errors.extend(errors);
        out.targets = correct
            .names()
            .iter()
            .chain(observe.names())
            .map(|n| n.to_string())
            .collect();
        let shard = acc.prepared.rendered.shard.as_deref().unwrap_or("-");
        for f in &out.applied {
            tracing::info!(commit, shard, target = %f.target, host = f.host.as_deref().unwrap_or("-"), object = %f.object, cause = cause.as_str(), "change applied");
        }
        // Errors and drift are logged by the loop (run::logs): once, not every cycle.
        Some(out)
    }
}

/// (targets to correct, targets to observe) for a cycle.
pub fn split(p: &Policies) -> (Selection, Selection) {
    let all = Selection::default();
    let with = |want: Policy| -> Vec<&'static str> {
        all.names()
            .iter()
            .copied()
            .filter(|n| p.of(n) == want)
            .collect()
    };
    let sel = |names: Vec<&'static str>| Selection::only(&names).expect("registered names");
    (sel(with(Policy::Correct)), sel(with(Policy::Observe)))
}

/// The first target of `selections` with work in the Kubernetes API for `rendered`.
pub(super) fn kube_user(rendered: &Rendered, selections: &[&Selection]) -> Option<&'static str> {
    crate::targets::registry::names().into_iter().find(|n| {
        let sel = Selection::only(&[*n]).expect("a registered name");
        selections.iter().any(|s| s.contains(n)) && sel.uses_kube(rendered)
    })
}

/// A client for the cluster when `user` (a target with work in the API) needs one
/// and one is configured; a failure is `user`'s error.
pub(super) async fn connect_k8s(
    config: &Config,
    user: Option<&'static str>,
) -> Result<Option<kube::Client>, TargetError> {
    let configured = config.kubeconfig.is_some() || std::env::var_os("KUBECONFIG").is_some();
    let Some(user) = user.filter(|_| configured) else {
        return Ok(None);
    };
    connect(config.kubeconfig.as_deref())
        .await
        .map(Some)
        .map_err(|e| TargetError {
            target: user.into(),
            host: None,
            message: format!("cannot reach the cluster: {e}"),
            transient: true,
        })
}

/// Observe-only targets: pending changes are drift, errors are errors.
pub fn absorb_diff(out: &mut Outcome, cs: &ChangeSet) {
    out.drift.extend(cs.differing().map(|c| Found {
        target: c.target.clone(),
        host: c.host.clone(),
        object: c.object.clone(),
    }));
    out.errors.extend(cs.errors.iter().cloned());
    out.changes.extend(cs.differing().cloned());
}

/// Applied targets: what was applied, and every failure (plan, apply, host steps).
pub fn absorb_apply(out: &mut Outcome, rep: &ApplyReport) {
    for s in &rep.steps {
        if s.status == StepStatus::Applied {
            out.applied.extend(s.files.iter().map(|f| Found {
                target: s.target.clone(),
                host: Some(s.host.clone()),
                object: f.clone(),
            }));
        } else {
            out.errors.push(TargetError {
                target: s.target.clone(),
                host: Some(s.host.clone()),
                message: format!("{}: {}", s.status.as_str(), s.message),
                // A skipped host (an earlier step failed, or the agent is stopping) needs
                // no person by itself: it is retried next cycle (a WARN, not an ERROR).
                transient: s.status == StepStatus::Skipped,
            });
        }
    }
    out.applied.extend(
        rep.applied
            .iter()
            .filter(|c| c.action.is_change())
            .map(|c| Found {
                target: c.target.clone(),
                host: c.host.clone(),
                object: c.object.clone(),
            }),
    );
    out.errors
        .extend(rep.plan.errors.iter().chain(&rep.errors).cloned());
    out.changes.extend(rep.plan.differing().cloned());
    out.steps.extend(rep.steps.iter().cloned());
    out.health.extend(rep.health.iter().cloned());
    for h in rep.health.iter().filter(|h| !h.healthy) {
        out.errors.push(TargetError {
            target: WORKLOADS.into(),
            host: None,
            message: format!("{} unhealthy: {}", h.object, h.message),
            transient: true,
        });
    }
}

#[cfg(test)]
#[path = "ssh_tests.rs"]
mod tests;
