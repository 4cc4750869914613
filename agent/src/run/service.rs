//! The service loop: poll, reconcile, record, wait; repeat until told to stop.
//!
//! Each cycle: [`Reconciler::poll`]; a new commit → reconcile it (cause intentional);
//! otherwise, when a drift sweep is due, reconcile the commit already accepted (cause
//! corrective) — also when the poll failed or the new head was rejected, so the last
//! known good commit keeps being enforced. Then wait: interval + jitter after a good
//! cycle, exponential backoff after a transient failure; a trigger (webhook, local repo
//! changed) cuts the wait short, several triggers during one cycle make one more cycle.
//!
//! Shutdown: the loop looks at the stop signal only while waiting between cycles. A
//! running cycle is always awaited to its end, never dropped (a dropped future could leave
//! a host between upload and reload). To stop promptly, the real reconciler shares a stop
//! flag with the engine, which starts no further host step once it is set (cancellation
//! points between host steps only): the cycle then ends after the step running.
//! All timing uses `tokio::time`, so the tests run under paused time.

use super::metrics::Metrics;
use super::schedule::Schedule;
use super::status::{unix_now, CycleStatus, Status};
use super::{Cause, Polled, Reconciler};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// State shared between the loop and the HTTP listener.
#[derive(Debug, Default)]
pub struct Shared {
    pub status: Mutex<Status>,
    pub metrics: Mutex<Metrics>,
    /// Where `status.json` is written after each cycle (none in tests that do not care).
    pub state_dir: Option<PathBuf>,
}

impl Shared {
    pub fn status(&self) -> Status {
        self.status.lock().expect("status lock").clone()
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        f(&mut self.status.lock().expect("status lock"));
    }

    fn metrics(&self, f: impl FnOnce(&mut Metrics)) {
        f(&mut self.metrics.lock().expect("metrics lock"));
    }

    fn save(&self) {
        if let Some(dir) = &self.state_dir {
            if let Err(e) = self.status().save(dir) {
                tracing::warn!(dir = %dir.display(), "cannot write the status file: {e}");
            }
        }
    }
}

/// How the outside world talks to the loop.
#[derive(Clone)]
pub struct Controls {
    /// Start the next cycle now (webhook, local repository changed).
    pub trigger: Arc<Notify>,
    /// Becomes `true` on SIGTERM/SIGINT.
    pub shutdown: watch::Receiver<bool>,
    /// The current schedule (replaced when the config file is reloaded).
    pub schedule: watch::Receiver<Schedule>,
}

pub struct Service<R> {
    pub reconciler: R,
    pub shared: Arc<Shared>,
    rng: fastrand::Rng,
    /// Failing cycles in a row.
    failures: u32,
    /// Whether the last cycle's poll failed (Git unreachable): only then may the backoff
    /// grow beyond the interval (see [`Self::delay`]).
    source_failed: bool,
    last_sweep: Option<Instant>,
}

impl<R: Reconciler> Service<R> {
    pub fn new(reconciler: R, shared: Arc<Shared>, seed: u64) -> Self {
        Service {
            reconciler,
            shared,
            rng: fastrand::Rng::with_seed(seed),
            failures: 0,
            source_failed: false,
            last_sweep: None,
        }
    }

    /// Runs cycles until `ctl.shutdown` turns true; returns the reconciler. See the module
    /// docs for the cancellation guarantee.
    pub async fn run(mut self, mut ctl: Controls) -> R {
        loop {
            if *ctl.shutdown.borrow() {
                break;
            }
            let schedule = ctl.schedule.borrow().clone();
            self.cycle(&schedule).await;
            let delay = self.delay(&schedule);
            self.shared.update(|s| {
                s.next_run = Some(unix_now() + delay.as_secs());
                s.consecutive_failures = self.failures;
            });
            self.shared.save();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = ctl.trigger.notified() => tracing::info!("triggered: starting a cycle now"),
                _ = ctl.shutdown.changed() => {}
            }
        }
        tracing::info!("stopping: no cycle running");
        self.reconciler
    }

    /// Git unreachable: exponential backoff, growing past the interval (spares the Git
    /// server). Only targets failing: the same backoff but never longer than a normal
    /// wait, so a host that stays down does not delay new commits for the others.
    fn delay(&mut self, schedule: &Schedule) -> std::time::Duration {
        let backoff = schedule.next_delay(self.failures, &mut self.rng);
        if self.failures == 0 || self.source_failed {
            return backoff;
        }
        backoff.min(schedule.next_delay(0, &mut self.rng))
    }

    /// One poll and at most one reconcile; never cancelled (see module docs).
    async fn cycle(&mut self, schedule: &Schedule) {
        let started = Instant::now();
        // `failed`: back off before the next cycle; `errored`: not a success.
        let (mut failed, mut errored) = (false, false);
        let drift_due = schedule.drift_due(self.last_sweep.map(|t| started - t));
        self.source_failed = false;
        let cause = match self.reconciler.poll().await {
            Ok(Polled::New { commit }) => {
                tracing::info!(%commit, "new commit: reconciling (targets on `observe` are only compared)");
                self.shared.update(|s| {
                    s.commit_seen = Some(commit.clone());
                    s.commit_desired = Some(commit);
                    s.source_error = None;
                });
                Some(Cause::Intentional)
            }
            Ok(Polled::Unchanged { commit }) => {
                self.shared.update(|s| {
                    s.commit_seen = Some(commit);
                    s.source_error = None;
                });
                drift_due.then_some(Cause::Corrective)
            }
            Ok(Polled::Rejected { commit, reason }) => {
                tracing::error!(%commit, "commit not accepted, still enforcing the last accepted one: {reason}");
                errored = true;
                self.shared.metrics(|m| m.error("source"));
                self.shared.update(|s| {
                    s.commit_seen = Some(commit.clone());
                    s.source_error(format!("commit {commit} not accepted: {reason}"));
                });
                drift_due.then_some(Cause::Corrective)
            }
            Err(e) => {
                (failed, errored) = (e.transient, true);
                self.source_failed = e.transient;
                if e.transient {
                    tracing::warn!(
                        "source unreachable, enforcing the last accepted commit: {}",
                        e.message
                    );
                } else {
                    tracing::error!("source: {}", e.message);
                }
                self.shared.metrics(|m| m.error("source"));
                self.shared
                    .update(|s| s.source_error(format!("source: {}", e.message)));
                drift_due.then_some(Cause::Corrective)
            }
        };
        let mut counts = (0, 0, 0);
        if let Some(cause) = cause {
            if let Some(out) = self.reconciler.reconcile(cause).await {
                if cause == Cause::Corrective {
                    self.last_sweep = Some(started);
                }
                failed |= out.errors.iter().any(|e| e.transient);
                errored |= !out.errors.is_empty();
                counts = (out.applied.len(), out.drift.len(), out.errors.len());
                self.shared.metrics(|m| m.record(cause, &out));
                self.shared.update(|s| {
                    s.record(&out);
                    // Applied means every target holds the commit: an `observe` target
                    // still differing from it (drift) keeps the previous value.
                    if out.errors.is_empty() && out.drift.is_empty() {
                        s.commit_applied = Some(out.commit.clone());
                    }
                });
            }
        }
        let elapsed = started.elapsed();
        let ok = !errored;
        self.failures = if failed { self.failures + 1 } else { 0 };
        let now = unix_now();
        self.shared.metrics(|m| {
            m.observe_cycle(elapsed);
            if ok {
                m.success(now);
            }
        });
        self.shared.update(|s| {
            if ok {
                s.last_success = Some(now);
            }
            s.last_cycle = Some(CycleStatus {
                at: now,
                duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                cause,
                applied: counts.0,
                drift: counts.1,
                errors: counts.2,
            });
        });
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
