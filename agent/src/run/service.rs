//! The service loop: poll, reconcile, record, wait; repeat until told to stop.
//!
//! Each cycle: [`Reconciler::poll`]; a new commit → reconcile it (cause intentional);
//! otherwise, when a drift sweep is due, reconcile the commit already accepted (cause
//! corrective) — also when the poll failed or the new head was rejected, so the last
//! known good commit keeps being enforced. Then wait: interval + jitter after a good
//! cycle, exponential backoff after a transient failure; a trigger (webhook, local repo
//! changed) cuts the wait short, several triggers during one cycle make one more cycle.
//!
//! The central view: each reconcile is recorded in the history (its entry opened before
//! the reconcile, completed after it), the live view is gathered after the cycle, and
//! `/api/diff` jobs are served while waiting — so a diff never runs during a cycle.
//! Problems (errors, drift, the source) are logged through [`super::logs`]: once, not
//! every cycle.
//!
//! Shutdown: the loop looks at the stop signal only while waiting between cycles. A
//! running cycle is always awaited to its end, never dropped (a dropped future could leave
//! a host between upload and reload). To stop promptly, the real reconciler shares a stop
//! flag with the engine, which starts no further host step once it is set (cancellation
//! points between host steps only): the cycle then ends after the step running.
//! All timing uses `tokio::time`, so the tests run under paused time.

use super::logs::{Level, Problem};
use super::metrics::Metrics;
use super::schedule::Schedule;
use super::status::{unix_now, CycleStatus, Status};
use super::{Cause, DiffJob, Outcome, Polled, Reconciler};
use crate::history::{History, HistoryCause, Record, Source};
use crate::mask::Masker;
use crate::web::live::LiveView;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

/// State shared between the loop and the HTTP listener.
#[derive(Debug, Default)]
pub struct Shared {
    pub status: Mutex<Status>,
    pub metrics: Mutex<Metrics>,
    /// Where `status.json` is written after each cycle (none in tests that do not care).
    pub state_dir: Option<PathBuf>,
    /// Where each cycle is recorded (`history.enabled`).
    pub history: Option<Mutex<History>>,
    /// What the web view shows beside the status.
    pub view: Mutex<View>,
    /// Set by `POST /hooks/git`: the next cycle's cause is `webhook` in the history.
    pub webhook: AtomicBool,
    /// `leaderElection:`: the election, read for the status (leader or follower).
    pub lease: Option<crate::lease::Elector>,
}

/// The last cycle's outcome, the last live view and the masker of the commit enforced.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub last: Option<Outcome>,
    pub live: Option<LiveView>,
    pub masker: Masker,
}

impl Shared {
    pub fn status(&self) -> Status {
        let mut s = self.status.lock().expect("status lock").clone();
        s.leadership = self.lease.as_ref().map(crate::lease::Elector::view);
        s
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        f(&mut self.status.lock().expect("status lock"));
    }

    fn metrics(&self, f: impl FnOnce(&mut Metrics)) {
        f(&mut self.metrics.lock().expect("metrics lock"));
    }

    /// Opens a history entry; a failure is logged and the cycle runs unrecorded.
    fn history_begin(&self, cause: HistoryCause) -> Option<i64> {
        let commit = self.status().commit_desired.unwrap_or_default();
        let h = self.history.as_ref()?;
        h.lock()
            .expect("history lock")
            .begin(Source::Run, cause, &commit)
            .map_err(|e| tracing::warn!("history: cannot record the cycle: {e}"))
            .ok()
    }

    fn history_finish(&self, id: Option<i64>, record: Option<&Record>) {
        let (Some(id), Some(h)) = (id, &self.history) else {
            return;
        };
        let mut h = h.lock().expect("history lock");
        let res = match record {
            Some(r) => h.finish(id, r),
            None => h.discard(id),
        };
        if let Err(e) = res {
            tracing::warn!("history: cannot record the cycle: {e}");
        }
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
    /// `/api/diff` requests, served between cycles.
    pub diffs: Option<mpsc::Receiver<DiffJob>>,
    /// Errors and drift logged once, again when they change or clear, and as reminders.
    log: super::logs::ProblemLog,
    /// Commit statuses for `notify:` (none configured: nothing is sent).
    pub commit_status: super::commit_status::Reporter,
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
            diffs: None,
            log: Default::default(),
            commit_status: Default::default(),
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
            // The web view's live data, read between cycles (bounded; its time counts
            // against the wait, so the schedule stays the schedule).
            let gathering = Instant::now();
            if let Some(live) = self.reconciler.live().await {
                self.shared.view.lock().expect("view lock").live = Some(live);
            }
            self.wait(delay.saturating_sub(gathering.elapsed()), &mut ctl)
                .await;
        }
        tracing::info!("stopping: no cycle running");
        self.reconciler
    }

    /// Waits `delay`, a trigger or the stop signal; serves `/api/diff` jobs meanwhile
    /// (so a diff never overlaps a cycle, and a cycle never starts during a diff).
    async fn wait(&mut self, delay: std::time::Duration, ctl: &mut Controls) {
        let deadline = Instant::now() + delay;
        let mut jobs = self.diffs.take();
        loop {
            let next_job = async {
                match jobs.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                _ = ctl.trigger.notified() => {
                    tracing::info!("triggered: starting a cycle now");
                    break;
                }
                _ = ctl.shutdown.changed() => break,
                job = next_job => match job {
                    Some(job) => {
                        let answer = self.reconciler.diff(job.req).await;
                        let _ = job.reply.send(answer);
                    }
                    None => jobs = None,
                },
            }
        }
        self.diffs = jobs;
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
        let mut source_problem = None;
        let cause = match self.reconciler.poll().await {
            Ok(Polled::New { commit }) => {
                tracing::info!(%commit, "new commit: reconciling (targets on `observe` are only compared)");
                self.commit_status.starting(&commit);
                self.shared.update(|s| {
                    s.commit_seen = Some(commit.clone());
                    s.commit_desired = Some(commit);
                    s.source_error = None;
                });
                Some(Cause::Intentional)
            }
            Ok(Polled::Unchanged { commit }) => {
                self.shared.update(|s| {
                    // The head is the accepted commit: also after a restart that restored
                    // it from the state dir before its cycle saved the status.
                    s.commit_desired = Some(commit.clone());
                    s.commit_seen = Some(commit);
                    s.source_error = None;
                });
                drift_due.then_some(Cause::Corrective)
            }
            Ok(Polled::Rejected { commit, reason }) => {
                source_problem = Some((Level::Error, format!("commit {commit} not accepted, still enforcing the last accepted one: {reason}")));
                self.commit_status.rejected(&commit, &reason);
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
                source_problem = Some(if e.transient {
                    (
                        Level::Warn,
                        format!(
                            "source unreachable, enforcing the last accepted commit: {}",
                            e.message
                        ),
                    )
                } else {
                    (Level::Error, format!("source: {}", e.message))
                });
                self.shared.metrics(|m| m.error("source"));
                self.shared
                    .update(|s| s.source_error(format!("source: {}", e.message)));
                drift_due.then_some(Cause::Corrective)
            }
        };
        let source: Vec<Problem> = source_problem
            .into_iter()
            .map(|(level, message)| Problem {
                target: "source".into(),
                host: None,
                kind: "error",
                message,
                level,
            })
            .collect();
        self.log.report(Instant::now(), &["source".into()], source);
        let mut counts = (0, 0, 0);
        let webhook = self.shared.webhook.swap(false, Ordering::SeqCst);
        if let Some(cause) = cause {
            let why = match (webhook, cause) {
                (true, _) => HistoryCause::Webhook,
                (_, Cause::Intentional) => HistoryCause::Commit,
                (_, Cause::Corrective) => HistoryCause::Drift,
            };
            let entry = self.shared.history_begin(why);
            let reconciled = Instant::now();
            let out = self.reconciler.reconcile(cause).await;
            let masker = self.reconciler.masker();
            let record = out
                .as_ref()
                .map(|o| Record::of(o, &masker, reconciled.elapsed()));
            self.shared.history_finish(entry, record.as_ref());
            if let Some(out) = &out {
                let mut view = self.shared.view.lock().expect("view lock");
                view.last = Some(out.clone());
                view.masker = masker;
            }
            if let Some(out) = out {
                if cause == Cause::Corrective {
                    self.last_sweep = Some(started);
                }
                failed |= out.errors.iter().any(|e| e.transient);
                errored |= !out.errors.is_empty();
                counts = (out.applied.len(), out.drift.len(), out.errors.len());
                self.commit_status
                    .finished(&out, cause == Cause::Corrective);
                self.log
                    .report(Instant::now(), &out.targets, super::logs::problems(&out));
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
