//! The real [`Reconciler`]: polls through [`GitWatch`] and reconciles the accepted
//! commit over SSH (and the Kubernetes API) with [`Engine`], exactly as `agent apply`.
//!
//! Both a new commit (cause intentional) and a drift sweep (cause corrective) apply the
//! targets whose policy is `correct` and only diff those whose policy is `observe`: an
//! observed target is never written, its pending changes are reported as drift (for a new
//! commit: out of sync with it). The engine is not
//! changed for this: each half runs with a [`Selection`] of its targets. The SSH pool is
//! kept across cycles (its masters stay up), so a no-change cycle costs a few commands.

use super::gitwatch::{Accepted, GitWatch};
use super::{Cause, Found, Outcome, PollError, Polled, Reconciler};
use crate::config::{Config, Policies, Policy};
use crate::engine::{ApplyReport, Desired, Engine, Selection};
use crate::plan::{ChangeSet, TargetError};
use crate::ssh::{Pool, SshRemote};
use crate::targets::k8s::{K8sOptions, K8sTarget};
use crate::targets::rollout::StepStatus;
use std::sync::Arc;
use tokio::sync::watch;

pub struct SshReconciler {
    watch: Arc<GitWatch>,
    accepted: Option<Arc<Accepted>>,
    config: watch::Receiver<Config>,
    pool: Option<(crate::config::SshConfig, Pool)>,
    /// Set on SIGTERM: the engine starts no further host step (see [`Engine::stop`]).
    pub stop: Arc<std::sync::atomic::AtomicBool>,
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
        let pool = Pool::new(crate::cli::ssh_config(Some(config)));
        self.pool = Some((config.ssh.clone(), pool.clone()));
        pool
    }

    pub async fn close(&mut self) {
        if let Some((_, pool)) = self.pool.take() {
            pool.close().await;
        }
    }
}

impl Reconciler for SshReconciler {
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
        let (correct, observe) = split(&config.policies);
        let mut errors = vec![];
        let k8s = match connect_k8s(&config, &acc, correct.workloads || observe.workloads).await {
            Ok(k) => k,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let mut engine = Engine::with_secrets(&remote, state, &acc.prepared.secrets);
        engine.k8s = k8s.as_ref();
        engine.stop = Some(self.stop.clone());
        engine.cluster_policy = config.cluster.policy();
        let mut out = Outcome {
            commit: commit.to_string(),
            ..Default::default()
        };
        if observe != NONE {
            engine.select = observe;
            let cs = engine.diff(&d).await;
            absorb_diff(&mut out, &cs);
        }
        if correct != NONE {
            engine.select = correct;
            let progress = |line: &str| tracing::debug!(commit, "{line}");
            let rep = engine.apply(&d, &progress).await;
            absorb_apply(&mut out, &rep);
        }
        out.errors.extend(errors);
        out.targets = names(correct)
            .chain(names(observe))
            .map(str::to_string)
            .collect();
        for f in &out.applied {
            tracing::info!(commit, target = %f.target, host = f.host.as_deref().unwrap_or("-"), object = %f.object, cause = cause.as_str(), "change applied");
        }
        for e in &out.errors {
            let host = e.host.as_deref().unwrap_or("-");
            if e.transient {
                tracing::warn!(commit, target = %e.target, host, "{} (retrying with backoff)", e.message);
            } else {
                tracing::error!(commit, target = %e.target, host, "{}", e.message);
            }
        }
        for f in &out.drift {
            tracing::warn!(commit, target = %f.target, host = f.host.as_deref().unwrap_or("-"), object = %f.object, "drift found (policy observe: not corrected)");
        }
        Some(out)
    }
}

const NONE: Selection = Selection {
    gateway: false,
    balancer: false,
    cluster: false,
    workloads: false,
};

/// (targets to correct, targets to observe) for a drift sweep.
pub fn split(p: &Policies) -> (Selection, Selection) {
    let is = |pol: Policy, want: Policy| pol == want;
    let sel = |want| Selection {
        gateway: is(p.gateway, want),
        balancer: is(p.balancer, want),
        cluster: is(p.cluster, want),
        workloads: is(p.workloads, want),
    };
    (sel(Policy::Correct), sel(Policy::Observe))
}

fn names(s: Selection) -> impl Iterator<Item = &'static str> {
    [
        (s.gateway, "gateway"),
        (s.balancer, "balancer"),
        (s.cluster, "cluster"),
        (s.workloads, "workloads"),
    ]
    .into_iter()
    .filter_map(|(on, n)| on.then_some(n))
}

async fn connect_k8s(
    config: &Config,
    acc: &Accepted,
    wanted: bool,
) -> Result<Option<K8sTarget>, TargetError> {
    let has_objects = !acc.prepared.rendered.objects.is_empty();
    let configured = config.kubeconfig.is_some() || std::env::var_os("KUBECONFIG").is_some();
    if !(wanted && has_objects && configured) {
        return Ok(None);
    }
    let opts = K8sOptions {
        source: acc.snapshot.commit.clone(),
        ..Default::default()
    };
    K8sTarget::connect(config.kubeconfig.as_deref(), opts)
        .await
        .map(Some)
        .map_err(|e| TargetError {
            target: crate::targets::k8s::TARGET.into(),
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
    for h in rep.health.iter().filter(|h| !h.healthy) {
        out.errors.push(TargetError {
            target: crate::targets::k8s::TARGET.into(),
            host: None,
            message: format!("{} unhealthy: {}", h.object, h.message),
            transient: true,
        });
    }
}

#[cfg(test)]
#[path = "ssh_tests.rs"]
mod tests;
