//! The loop against a scripted reconciler, under paused Tokio time: every wait is
//! skipped instantly, and the recorded instants are exact.

use super::*;
use crate::plan::TargetError;
use crate::run::{Found, Outcome, PollError};
use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Poll,
    Reconcile(Cause),
    Finished,
    Diff,
}

#[derive(Default)]
struct Fake {
    polls: VecDeque<Result<Polled, PollError>>,
    /// After the script: this answer forever.
    then: Option<Result<Polled, PollError>>,
    calls: Vec<(Duration, Call)>,
    start: Option<Instant>,
    accepted: Option<String>,
    reconcile_takes: Duration,
    errors: bool,
    /// Report the balancer's file as drift (policy observe) instead of applying it.
    drift: bool,
}

impl Fake {
    fn at(&self) -> Duration {
        self.start.expect("started").elapsed()
    }
    fn times(&self, want: &Call) -> Vec<Duration> {
        self.calls
            .iter()
            .filter(|(_, c)| c == want)
            .map(|(t, _)| *t)
            .collect()
    }
}

fn unchanged() -> Result<Polled, PollError> {
    Ok(Polled::Unchanged {
        commit: "c1".into(),
    })
}

fn unreachable() -> Result<Polled, PollError> {
    Err(PollError {
        message: "connection refused".into(),
        transient: true,
    })
}

impl Reconciler for Fake {
    async fn diff(&mut self, _req: crate::run::DiffRequest) -> crate::run::DiffAnswer {
        let at = self.at();
        self.calls.push((at, Call::Diff));
        crate::run::DiffAnswer::NoCommit
    }

    async fn poll(&mut self) -> Result<Polled, PollError> {
        let at = self.at();
        self.calls.push((at, Call::Poll));
        let next = self
            .polls
            .pop_front()
            .or_else(|| self.then.clone())
            .unwrap_or_else(unchanged);
        if let Ok(Polled::New { commit }) = &next {
            self.accepted = Some(commit.clone());
        }
        next
    }

    async fn reconcile(&mut self, cause: Cause) -> Option<Outcome> {
        let commit = self.accepted.clone()?;
        let at = self.at();
        self.calls.push((at, Call::Reconcile(cause)));
        tokio::time::sleep(self.reconcile_takes).await;
        let at = self.at();
        self.calls.push((at, Call::Finished));
        let f = Found {
            target: "balancer".into(),
            host: Some("ha1".into()),
            object: "/etc/haproxy/haproxy.cfg".into(),
        };
        let (applied, drift) = if self.drift {
            (vec![], vec![f])
        } else {
            (vec![f], vec![])
        };
        Some(Outcome {
            commit,
            targets: vec!["balancer".into()],
            applied,
            drift,
            errors: if self.errors {
                vec![TargetError {
                    target: "balancer".into(),
                    host: Some("ha1".into()),
                    message: "unreachable".into(),
                    transient: true,
                }]
            } else {
                vec![]
            },
            ..Default::default()
        })
    }
}

struct Running {
    handle: tokio::task::JoinHandle<Fake>,
    trigger: Arc<Notify>,
    stop: watch::Sender<bool>,
    shared: Arc<Shared>,
}

fn schedule(drift: Option<u64>) -> Schedule {
    Schedule::new(
        Duration::from_secs(30),
        Duration::from_secs(3),
        drift.map(Duration::from_secs),
    )
}

fn start(mut fake: Fake, schedule: Schedule) -> Running {
    fake.start = Some(Instant::now());
    let shared = Arc::new(Shared::default());
    let trigger = Arc::new(Notify::new());
    let (stop, shutdown) = watch::channel(false);
    let (_keep, schedule) = watch::channel(schedule);
    let ctl = Controls {
        trigger: trigger.clone(),
        shutdown,
        schedule,
    };
    let svc = Service::new(fake, shared.clone(), 42);
    let handle = tokio::spawn(async move {
        let _keep = _keep;
        svc.run(ctl).await
    });
    Running {
        handle,
        trigger,
        stop,
        shared,
    }
}

impl Running {
    async fn stop_after(self, secs: u64) -> (Fake, Arc<Shared>) {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        self.stop.send(true).unwrap();
        (self.handle.await.unwrap(), self.shared)
    }
}

#[tokio::test(start_paused = true)]
async fn polls_every_interval_plus_jitter() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        ..Default::default()
    };
    let (fake, shared) = start(fake, schedule(None)).stop_after(400).await;
    let polls = fake.times(&Call::Poll);
    assert!(polls.len() >= 12 && polls.len() <= 14, "{polls:?}");
    assert_eq!(polls[0], Duration::ZERO);
    for gap in polls.windows(2).map(|w| w[1] - w[0]) {
        assert!(
            gap >= Duration::from_secs(30) && gap <= Duration::from_secs(33),
            "{gap:?}"
        );
    }
    // First cycle: the new commit; every later one: a drift sweep (no driftInterval).
    let reconciles: Vec<_> = fake
        .calls
        .iter()
        .filter_map(|(_, c)| match c {
            Call::Reconcile(cause) => Some(*cause),
            _ => None,
        })
        .collect();
    assert_eq!(reconciles[0], Cause::Intentional);
    assert!(reconciles[1..].iter().all(|c| *c == Cause::Corrective));
    assert_eq!(reconciles.len(), polls.len());
    let st = shared.status();
    assert_eq!(st.commit_applied.as_deref(), Some("c1"));
    assert_eq!(st.consecutive_failures, 0);
    assert!(shared
        .metrics
        .lock()
        .unwrap()
        .render()
        .contains("agent_changes_applied_total{target=\"balancer\",cause=\"corrective\"}"));
}

#[tokio::test(start_paused = true)]
async fn drift_interval_spaces_the_sweeps() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        ..Default::default()
    };
    let (fake, _) = start(fake, schedule(Some(100))).stop_after(400).await;
    let sweeps = fake.times(&Call::Reconcile(Cause::Corrective));
    // A sweep at the first poll ≥ 100 s after the previous one (the new commit's
    // reconcile is not a sweep, so the first sweep is the second cycle).
    assert!(sweeps.len() >= 3 && sweeps.len() <= 4, "{sweeps:?}");
    for gap in sweeps.windows(2).map(|w| w[1] - w[0]) {
        assert!(
            gap >= Duration::from_secs(100) && gap <= Duration::from_secs(133),
            "{gap:?}"
        );
    }
    assert!(fake.times(&Call::Poll).len() > sweeps.len() + 5);
}

#[tokio::test(start_paused = true)]
async fn backs_off_exponentially_while_unreachable_and_keeps_enforcing() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        then: Some(unreachable()),
        ..Default::default()
    };
    let (fake, shared) = start(fake, schedule(None)).stop_after(100).await;
    let polls = fake.times(&Call::Poll);
    let gaps: Vec<Duration> = polls.windows(2).map(|w| w[1] - w[0]).collect();
    // Gap after the good first cycle: the interval; then 1 s, 2 s, 4 s... each in [b/2, b].
    assert!(gaps[0] >= Duration::from_secs(30), "{gaps:?}");
    for (i, gap) in gaps[1..].iter().enumerate() {
        let b = Duration::from_secs(1 << i);
        assert!(*gap >= b / 2 && *gap <= b, "gap {i}: {gap:?} {gaps:?}");
    }
    // Git down: every cycle still sweeps the last accepted commit.
    let sweeps = fake.times(&Call::Reconcile(Cause::Corrective));
    assert_eq!(sweeps.len(), polls.len() - 1);
    let st = shared.status();
    assert!(st.consecutive_failures >= 4, "{st:?}");
    assert_eq!(st.commit_desired.as_deref(), Some("c1"));
    assert!(st
        .last_error
        .unwrap()
        .message
        .contains("connection refused"));
    assert!(shared
        .metrics
        .lock()
        .unwrap()
        .render()
        .contains("agent_errors_total{target=\"source\"}"));
}

#[tokio::test(start_paused = true)]
async fn recovers_to_the_interval_after_an_error() {
    let fake = Fake {
        polls: [
            Ok(Polled::New {
                commit: "c1".into(),
            }),
            unreachable(),
            unreachable(),
            unchanged(),
        ]
        .into(),
        ..Default::default()
    };
    let (fake, shared) = start(fake, schedule(None)).stop_after(120).await;
    let polls = fake.times(&Call::Poll);
    let after_recovery = polls[4] - polls[3];
    assert!(after_recovery >= Duration::from_secs(30), "{polls:?}");
    assert_eq!(shared.status().consecutive_failures, 0);
    assert!(shared.status().last_success.is_some());
    assert_eq!(shared.status().source_error, None, "cleared by a good poll");
}

#[tokio::test(start_paused = true)]
async fn target_errors_back_off_too() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        errors: true,
        ..Default::default()
    };
    let (fake, shared) = start(fake, schedule(None)).stop_after(300).await;
    let polls = fake.times(&Call::Poll);
    let gaps: Vec<Duration> = polls.windows(2).map(|w| w[1] - w[0]).collect();
    // Retried sooner than the interval at first (1 s, 2 s, 4 s...), but a target that
    // stays down never stretches the wait past the interval (new commits still come in).
    assert!(gaps[0] <= Duration::from_secs(1), "{gaps:?}");
    assert!(
        gaps.iter().all(|g| *g <= Duration::from_secs(33)),
        "{gaps:?}"
    );
    assert!(gaps[gaps.len() - 1] >= Duration::from_secs(30), "{gaps:?}");
    let st = shared.status();
    assert_eq!(
        st.commit_applied, None,
        "a cycle with errors is not 'applied'"
    );
    assert_eq!(
        st.targets["balancer"].sync,
        crate::run::status::Sync::Failed
    );
}

#[tokio::test(start_paused = true)]
async fn a_commit_left_as_drift_is_seen_but_not_applied() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        drift: true,
        ..Default::default()
    };
    let (_fake, shared) = start(fake, schedule(None)).stop_after(40).await;
    let st = shared.status();
    assert_eq!(st.commit_desired.as_deref(), Some("c1"));
    assert_eq!(
        st.commit_applied, None,
        "an observed target still differs from c1"
    );
    assert_eq!(
        st.targets["balancer"].sync,
        crate::run::status::Sync::Drifted
    );
}

#[tokio::test(start_paused = true)]
async fn nothing_accepted_means_nothing_enforced() {
    let fake = Fake {
        polls: [Ok(Polled::Rejected {
            commit: "bad".into(),
            reason: "not a fast-forward".into(),
        })]
        .into(),
        ..Default::default()
    };
    let (fake, shared) = start(fake, schedule(None)).stop_after(10).await;
    assert_eq!(fake.calls, vec![(Duration::ZERO, Call::Poll)]);
    let st = shared.status();
    assert_eq!(st.commit_seen.as_deref(), Some("bad"));
    assert_eq!(st.commit_desired, None);
    assert!(st.last_error.unwrap().message.contains("fast-forward"));
    // Terminal problem: no fast retry, the next poll waits for the interval.
    assert_eq!(st.consecutive_failures, 0);
}

#[tokio::test(start_paused = true)]
async fn a_trigger_starts_a_cycle_at_once_and_bursts_coalesce() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        reconcile_takes: Duration::from_secs(5),
        ..Default::default()
    };
    let run = start(fake, schedule(Some(1000)));
    // Three triggers while the first cycle runs: one more cycle right after it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for _ in 0..3 {
        run.trigger.notify_one();
    }
    // One trigger while waiting: a cycle at once.
    tokio::time::sleep(Duration::from_secs(14)).await;
    run.trigger.notify_one();
    let (fake, _) = run.stop_after(5).await;
    assert_eq!(
        fake.times(&Call::Poll),
        vec![
            Duration::ZERO,
            Duration::from_secs(5),
            Duration::from_secs(15)
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_the_running_cycle_and_starts_no_other() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        reconcile_takes: Duration::from_secs(20),
        ..Default::default()
    };
    let run = start(fake, schedule(None));
    // Stop at 5 s, in the middle of the first reconcile.
    let (fake, _) = run.stop_after(5).await;
    assert_eq!(
        fake.calls,
        vec![
            (Duration::ZERO, Call::Poll),
            (Duration::ZERO, Call::Reconcile(Cause::Intentional)),
            (Duration::from_secs(20), Call::Finished),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_diff_asked_during_a_cycle_runs_after_it_and_each_reconcile_is_recorded() {
    let fake = Fake {
        polls: [Ok(Polled::New {
            commit: "c1".into(),
        })]
        .into(),
        reconcile_takes: Duration::from_secs(10),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut fake = fake;
    fake.start = Some(Instant::now());
    let shared = Arc::new(Shared {
        history: Some(Mutex::new(
            History::open(dir.path(), Default::default()).unwrap(),
        )),
        ..Default::default()
    });
    let (_stop, shutdown) = watch::channel(false);
    let (_keep, schedule) = watch::channel(schedule(None));
    let ctl = Controls {
        trigger: Arc::new(Notify::new()),
        shutdown,
        schedule,
    };
    let (tx, rx) = mpsc::channel(1);
    let mut svc = Service::new(fake, shared.clone(), 42);
    svc.diffs = Some(rx);
    let handle = tokio::spawn(svc.run(ctl));
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (reply, answer) = tokio::sync::oneshot::channel();
    tx.send(DiffJob {
        req: Default::default(),
        reply,
    })
    .await
    .unwrap();
    assert_eq!(answer.await.unwrap(), crate::run::DiffAnswer::NoCommit);
    tokio::time::sleep(Duration::from_secs(60)).await;
    _stop.send(true).unwrap();
    let fake = handle.await.unwrap();
    let diff = fake.times(&Call::Diff);
    let finished = fake.times(&Call::Finished);
    assert_eq!(diff.len(), 1);
    assert!(
        diff[0] >= finished[0],
        "the diff waited for the running cycle: {:?}",
        fake.calls
    );
    assert!(fake
        .times(&Call::Reconcile(Cause::Corrective))
        .iter()
        .all(|r| *r > diff[0] || *r < finished[0]));
    let h = shared.history.as_ref().unwrap().lock().unwrap();
    let entries = h
        .list(&crate::history::Filter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(entries.last().unwrap().cause, HistoryCause::Commit);
    assert!(
        entries.len() >= 2,
        "the commit, then folded drift sweeps: {entries:?}"
    );
    assert_eq!(entries[0].cause, HistoryCause::Drift);
}

#[tokio::test(start_paused = true)]
async fn commit_statuses_are_sent_once_per_commit_and_state() {
    use crate::notify::event::CommitState;
    let mut fake = Fake {
        polls: [
            Ok(Polled::New {
                commit: "c1".into(),
            }),
            Ok(Polled::New {
                commit: "c2".into(),
            }),
            Ok(Polled::Rejected {
                commit: "c3".into(),
                reason: "invalid".into(),
            }),
        ]
        .into(),
        ..Default::default()
    };
    fake.start = Some(Instant::now());
    let shared = Arc::new(Shared::default());
    let (stop, shutdown) = watch::channel(false);
    let (_keep, schedule) = watch::channel(schedule(None));
    let ctl = Controls {
        trigger: Arc::new(Notify::new()),
        shutdown,
        schedule,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut svc = Service::new(fake, shared, 42);
    svc.commit_status = super::super::commit_status::Reporter::new(tx);
    let handle = tokio::spawn(svc.run(ctl));
    tokio::time::sleep(Duration::from_secs(200)).await;
    stop.send(true).unwrap();
    handle.await.unwrap();
    let got: Vec<(String, CommitState)> = std::iter::from_fn(|| rx.try_recv().ok())
        .map(|e| (e.commit, e.state))
        .collect();
    let want = [
        ("c1", CommitState::Applying),
        ("c1", CommitState::Applied),
        ("c2", CommitState::Applying),
        ("c2", CommitState::Applied),
        ("c3", CommitState::Rejected),
    ]
    .map(|(c, s)| (c.to_string(), s));
    // The sweeps of c2 after the rejected c3 report nothing new.
    assert_eq!(got, want);
}
