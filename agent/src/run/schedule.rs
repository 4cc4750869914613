//! When the next cycle runs: the poll interval plus jitter after a good cycle, an
//! exponential backoff (also jittered) after a failing one, and whether a cycle without
//! a new commit is due for a drift sweep.
//!
//! Pure functions of their inputs and a seeded random generator, so the service loop's
//! timing is tested without waiting (see the loop tests under paused Tokio time).

use std::time::Duration;

/// The timing settings of the service loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Time between polls after a good cycle.
    pub interval: Duration,
    /// Up to this much random delay is added to each interval (spreads agents out).
    pub jitter: Duration,
    /// First retry delay after a failing cycle; doubles with each further failure.
    pub backoff_base: Duration,
    /// Backoff never grows beyond this.
    pub backoff_max: Duration,
    /// Drift sweep at most this often (`None`: on every cycle without a new commit).
    pub drift_interval: Option<Duration>,
}

impl Schedule {
    /// The schedule an agent config asks for (`interval`, `jitter`, `driftInterval`).
    pub fn of(c: &crate::config::Config) -> Schedule {
        Schedule::new(c.interval, c.jitter(), c.drift_interval)
    }
}

impl Schedule {
    /// Interval and jitter as given; backoff from 1 s (or the interval, if shorter) up to
    /// ten intervals, at least 5 minutes.
    pub fn new(interval: Duration, jitter: Duration, drift_interval: Option<Duration>) -> Self {
        Schedule {
            interval,
            jitter,
            backoff_base: interval.min(Duration::from_secs(1)),
            backoff_max: (interval * 10).max(Duration::from_secs(300)),
            drift_interval,
        }
    }

    /// The delay before the next cycle, after `failures` failing cycles in a row.
    ///
    /// Good cycle: `interval + U[0, jitter]`. Failing: `b = min(base·2^(failures-1), max)`,
    /// then `b/2 + U[0, b/2]` ("equal jitter": never zero, never more than `b`), so agents
    /// that failed together do not retry in lockstep.
    pub fn next_delay(&self, failures: u32, rng: &mut fastrand::Rng) -> Duration {
        if failures == 0 {
            return self.interval + random_upto(self.jitter, rng);
        }
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1).min(30))
            .unwrap_or(u32::MAX);
        let b = self
            .backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max);
        b / 2 + random_upto(b / 2, rng)
    }

    /// Whether a cycle without a new commit sweeps for drift, given the time since the
    /// last sweep (`None`: never swept).
    pub fn drift_due(&self, since_last_sweep: Option<Duration>) -> bool {
        match (self.drift_interval, since_last_sweep) {
            (None, _) | (_, None) => true,
            (Some(every), Some(since)) => since >= every,
        }
    }
}

/// Uniform in `[0, max]`, millisecond resolution.
fn random_upto(max: Duration, rng: &mut fastrand::Rng) -> Duration {
    let ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.u64(0..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Schedule {
        Schedule::new(Duration::from_secs(30), Duration::from_secs(3), None)
    }

    #[test]
    fn good_cycles_wait_interval_plus_bounded_jitter() {
        let mut rng = fastrand::Rng::with_seed(7);
        let delays: Vec<Duration> = (0..200).map(|_| s().next_delay(0, &mut rng)).collect();
        assert!(delays
            .iter()
            .all(|d| *d >= Duration::from_secs(30) && *d <= Duration::from_secs(33)));
        // Jitter actually varies the delay (not a constant hidden behind the bound).
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 50, "{}", distinct.len());
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let s = s();
        let mut rng = fastrand::Rng::with_seed(1);
        for (failures, cap) in [
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (9, 256),
            (10, 300),
            (40, 300),
        ] {
            let cap = Duration::from_secs(cap);
            for _ in 0..50 {
                let d = s.next_delay(failures, &mut rng);
                assert!(
                    d >= cap / 2 && d <= cap,
                    "failures {failures}: {d:?} vs {cap:?}"
                );
            }
        }
    }

    #[test]
    fn drift_sweep_every_cycle_or_every_drift_interval() {
        assert!(s().drift_due(Some(Duration::ZERO)));
        let mut every = s();
        every.drift_interval = Some(Duration::from_secs(300));
        assert!(every.drift_due(None));
        assert!(!every.drift_due(Some(Duration::from_secs(299))));
        assert!(every.drift_due(Some(Duration::from_secs(300))));
    }
}
