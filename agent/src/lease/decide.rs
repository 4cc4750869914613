//! The election rule as a pure function: the Lease as read, what this agent saw of it
//! before, and the local clock in; what to write (if anything) out. No I/O, so every
//! case is a unit test.
//!
//! Time is never compared across machines: like client-go, a follower does not trust
//! the holder's `renewTime`; it notes, on its own clock, when it last saw the record
//! change (its resourceVersion), and takes over only when it has not changed for the
//! lease's `leaseDurationSeconds`.

use std::time::Duration;
use tokio::time::Instant;

/// The part of a Lease the rule reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub resource_version: String,
    /// `None` or empty: released.
    pub holder: Option<String>,
    pub transitions: i32,
    pub duration: Option<Duration>,
}

impl Record {
    pub fn holder(&self) -> Option<&str> {
        self.holder.as_deref().filter(|h| !h.is_empty())
    }
}

/// What this agent last saw: the record's resourceVersion and when (its own clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub resource_version: String,
    pub at: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// No Lease yet: create it, holding it (transitions 0).
    Create,
    /// We hold it: write a new `renewTime` (same transitions).
    Renew { transitions: i32 },
    /// Free or expired: take it (`leaseTransitions` + 1).
    TakeOver { transitions: i32 },
    /// Someone else holds it and it has not expired.
    Follow { holder: String },
}

/// The rule. `seen` is updated by the caller from `record` (see [`observe`]).
pub fn decide(
    me: &str,
    record: Option<&Record>,
    seen: Option<&Seen>,
    now: Instant,
    default_duration: Duration,
) -> Action {
    let Some(r) = record else {
        return Action::Create;
    };
    match r.holder() {
        Some(h) if h == me => Action::Renew {
            transitions: r.transitions,
        },
        None => Action::TakeOver {
            transitions: r.transitions + 1,
        },
        Some(h) => {
            let ttl = r.duration.unwrap_or(default_duration);
            let unchanged_since = match seen {
                Some(s) if s.resource_version == r.resource_version => s.at,
                _ => now,
            };
            if now.duration_since(unchanged_since) >= ttl {
                Action::TakeOver {
                    transitions: r.transitions + 1,
                }
            } else {
                Action::Follow { holder: h.into() }
            }
        }
    }
}

/// `seen` after reading `record` at `now`: unchanged when the record did not change.
pub fn observe(seen: Option<Seen>, record: &Record, now: Instant) -> Seen {
    match seen {
        Some(s) if s.resource_version == record.resource_version => s,
        _ => Seen {
            resource_version: record.resource_version.clone(),
            at: now,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rv: &str, holder: Option<&str>, transitions: i32) -> Record {
        Record {
            resource_version: rv.into(),
            holder: holder.map(String::from),
            transitions,
            duration: Some(Duration::from_secs(3)),
        }
    }

    const D: Duration = Duration::from_secs(15);

    #[test]
    fn no_lease_is_created_and_an_own_lease_is_renewed() {
        let now = Instant::now();
        assert_eq!(decide("a", None, None, now, D), Action::Create);
        let r = rec("7", Some("a"), 4);
        assert_eq!(
            decide("a", Some(&r), None, now, D),
            Action::Renew { transitions: 4 }
        );
    }

    #[test]
    fn a_released_lease_is_taken_at_once() {
        let now = Instant::now();
        for holder in [None, Some("")] {
            let r = rec("7", holder, 2);
            assert_eq!(
                decide("b", Some(&r), None, now, D),
                Action::TakeOver { transitions: 3 }
            );
        }
    }

    #[test]
    fn another_holder_expires_on_the_followers_clock_only() {
        let t0 = Instant::now();
        let r = rec("7", Some("a"), 0);
        // First sight: the lease counts as just renewed, whatever its renewTime says.
        let seen = observe(None, &r, t0);
        let follow = Action::Follow { holder: "a".into() };
        assert_eq!(decide("b", Some(&r), Some(&seen), t0, D), follow);
        let later = t0 + Duration::from_millis(2999);
        assert_eq!(decide("b", Some(&r), Some(&seen), later, D), follow);
        // Unchanged for its whole leaseDurationSeconds: expired.
        let expired = t0 + Duration::from_secs(3);
        assert_eq!(
            decide("b", Some(&r), Some(&seen), expired, D),
            Action::TakeOver { transitions: 1 }
        );
        // A renewal (new resourceVersion) restarts the follower's count.
        let renewed = rec("8", Some("a"), 0);
        let seen2 = observe(Some(seen), &renewed, expired);
        assert_eq!(seen2.at, expired);
        assert_eq!(
            decide("b", Some(&renewed), Some(&seen2), expired, D),
            follow
        );
    }

    #[test]
    fn a_lease_without_duration_uses_the_configured_one() {
        let t0 = Instant::now();
        let mut r = rec("7", Some("a"), 0);
        r.duration = None;
        let seen = observe(None, &r, t0);
        let at = t0 + Duration::from_secs(10);
        assert!(matches!(
            decide("b", Some(&r), Some(&seen), at, D),
            Action::Follow { .. }
        ));
        assert!(matches!(
            decide("b", Some(&r), Some(&seen), t0 + D, D),
            Action::TakeOver { .. }
        ));
    }
}
