//! Operator-grade logs for what keeps going wrong. A service that cycles every few
//! seconds must not print the same ERROR every cycle: a problem (an error or drift on a
//! target and host, or the source) is logged when it appears, again when its message
//! changes, as a reminder at most every [`REMINDER`], and once when it clears. Each line
//! is logged under the module of what failed (`agent::targets::workloads`,
//! `agent::targets::balancer`, ..., `agent::source`), so `RUST_LOG` can pick them and a
//! reader sees at once where to look.

use super::Outcome;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// How often an unchanged problem is logged again.
pub const REMINDER: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// An operator must act.
    Error,
    /// Retried by itself (unreachable, skipped) or only reported (drift under `observe`).
    Warn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `gateway`, `balancer`, `cluster`, `workloads` or `source`.
    pub target: String,
    pub host: Option<String>,
    /// `error` or `drift`: separate keys for the same host.
    pub kind: &'static str,
    pub message: String,
    pub level: Level,
}

impl Problem {
    fn key(&self) -> (String, Option<String>, &'static str) {
        (self.target.clone(), self.host.clone(), self.kind)
    }
}

/// What to log about one problem now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    New,
    Changed,
    /// Unchanged since this long.
    Reminder(Duration),
    Cleared,
}

type Key = (String, Option<String>, &'static str);

#[derive(Debug, Default)]
pub struct ProblemLog {
    /// key → (problem, first seen, last logged).
    open: BTreeMap<Key, (Problem, Instant, Instant)>,
}

/// The problems a reconcile reports: its errors, and drift left alone (`observe`).
pub fn problems(out: &Outcome) -> Vec<Problem> {
    let mut v: Vec<Problem> = out
        .errors
        .iter()
        .map(|e| Problem {
            target: e.target.clone(),
            host: e.host.clone(),
            kind: "error",
            message: if e.transient {
                format!("{} (retrying with backoff)", e.message)
            } else {
                e.message.clone()
            },
            level: if e.transient {
                Level::Warn
            } else {
                Level::Error
            },
        })
        .collect();
    let mut drift: BTreeMap<(String, Option<String>), Vec<&str>> = BTreeMap::new();
    for f in &out.drift {
        drift
            .entry((f.target.clone(), f.host.clone()))
            .or_default()
            .push(&f.object);
    }
    v.extend(drift.into_iter().map(|((target, host), objects)| Problem {
        target,
        host,
        kind: "drift",
        message: format!(
            "drift found (policy observe: not corrected): {}",
            objects.join(", ")
        ),
        level: Level::Warn,
    }));
    v
}

impl ProblemLog {
    /// Compares `current` with what was open for the targets in `scope` (others are not
    /// re-evaluated this time) and returns what to log; [`ProblemLog::report`] logs it.
    pub fn update(
        &mut self,
        now: Instant,
        scope: &[String],
        current: Vec<Problem>,
    ) -> Vec<(Problem, Event)> {
        let mut events = vec![];
        let mut seen = vec![];
        for p in current {
            let key = p.key();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            match self.open.get_mut(&key) {
                None => {
                    events.push((p.clone(), Event::New));
                    self.open.insert(key, (p, now, now));
                }
                Some((old, _, logged)) if old.message != p.message => {
                    events.push((p.clone(), Event::Changed));
                    (*old, *logged) = (p, now);
                }
                Some((_, since, logged)) if now.duration_since(*logged) >= REMINDER => {
                    events.push((p, Event::Reminder(now.duration_since(*since))));
                    *logged = now;
                }
                Some(_) => {}
            }
        }
        let gone: Vec<Key> = self
            .open
            .keys()
            .filter(|k| scope.contains(&k.0) && !seen.contains(k))
            .cloned()
            .collect();
        for k in gone {
            if let Some((p, ..)) = self.open.remove(&k) {
                events.push((p, Event::Cleared));
            }
        }
        events
    }

    /// [`Self::update`], then one log line per event.
    pub fn report(&mut self, now: Instant, scope: &[String], current: Vec<Problem>) {
        for (p, e) in self.update(now, scope, current) {
            emit(&p, &e);
        }
    }
}

fn emit(p: &Problem, e: &Event) {
    let host = p.host.as_deref().unwrap_or("-");
    let msg = match e {
        Event::New | Event::Changed => p.message.clone(),
        Event::Reminder(d) => format!(
            "{} (still, for {} s; next reminder in {} s)",
            p.message,
            d.as_secs(),
            REMINDER.as_secs()
        ),
        Event::Cleared => format!("resolved: {}", p.message),
    };
    let level = if *e == Event::Cleared {
        Level::Warn
    } else {
        p.level
    };
    macro_rules! at {
        ($t:literal) => {
            match (level, *e == Event::Cleared) {
                (_, true) => tracing::info!(target: $t, host, "{msg}"),
                (Level::Error, _) => tracing::error!(target: $t, host, "{msg}"),
                (Level::Warn, _) => tracing::warn!(target: $t, host, "{msg}"),
            }
        };
    }
    match p.target.as_str() {
        "gateway" => at!("agent::targets::gateway"),
        "balancer" => at!("agent::targets::balancer"),
        "cluster" => at!("agent::targets::cluster"),
        "workloads" => at!("agent::targets::workloads"),
        "source" => at!("agent::source"),
        _ => at!("agent::run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(target: &str, msg: &str) -> Problem {
        Problem {
            target: target.into(),
            host: None,
            kind: "error",
            message: msg.into(),
            level: Level::Error,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_unchanged_error_is_logged_once_then_as_a_reminder_and_when_it_clears() {
        let mut log = ProblemLog::default();
        let scope = ["workloads".to_string()];
        let t0 = Instant::now();
        let no_kube = || vec![p("workloads", "no cluster configured")];
        let ev = |v: Vec<(Problem, Event)>| v.into_iter().map(|(_, e)| e).collect::<Vec<_>>();
        assert_eq!(ev(log.update(t0, &scope, no_kube())), [Event::New]);
        for i in 1..60 {
            assert!(
                log.update(t0 + Duration::from_secs(5 * i), &scope, no_kube())
                    .is_empty(),
                "cycle {i}: silent"
            );
        }
        assert_eq!(
            ev(log.update(t0 + REMINDER, &scope, no_kube())),
            [Event::Reminder(REMINDER)]
        );
        let changed = vec![p("workloads", "cannot reach the cluster")];
        assert_eq!(
            ev(log.update(
                t0 + REMINDER + Duration::from_secs(5),
                &scope,
                changed.clone()
            )),
            [Event::Changed]
        );
        assert!(
            log.update(
                t0 + REMINDER + Duration::from_secs(10),
                &["balancer".into()],
                vec![]
            )
            .is_empty(),
            "not re-evaluated: still open"
        );
        assert_eq!(
            ev(log.update(t0 + REMINDER + Duration::from_secs(15), &scope, vec![])),
            [Event::Cleared]
        );
        assert_eq!(
            ev(log.update(t0 + REMINDER + Duration::from_secs(20), &scope, changed)),
            [Event::New]
        );
    }
}
