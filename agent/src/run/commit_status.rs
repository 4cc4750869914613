//! Which commit statuses a cycle reports (`notify:` in agent.yaml): `applying` when a
//! new commit's rollout starts, then `applied`, `failed` or `rolled-back` when it
//! ends, `rejected` for a commit not accepted. A state is sent once per commit: a
//! drift sweep that ends as the last report did sends nothing, one that repairs a
//! failed commit sends `applied`. Events go to a channel drained by one task
//! (`cli/run.rs`), so they keep their order and never delay a cycle.

use super::Outcome;
use crate::notify::event::{CommitState, Event};
use crate::outcome::StepStatus;
use tokio::sync::mpsc::UnboundedSender;

/// How many commits' last state is remembered (a rejected head between two sweeps of
/// the enforced commit must not make the sweep report that commit again).
const REMEMBERED: usize = 16;

#[derive(Debug, Default)]
pub struct Reporter {
    tx: Option<UnboundedSender<Event>>,
    /// The last state sent per commit, newest last.
    sent: std::collections::VecDeque<(String, CommitState)>,
}

/// The event of a finished rollout (pure).
pub fn event_of(out: &Outcome) -> Event {
    let rolled = out
        .steps
        .iter()
        .find(|s| s.status == StepStatus::RolledBack);
    let failed = !out.errors.is_empty() || crate::outcome::failed(&out.steps);
    let summary = match (rolled, out.errors.first()) {
        (Some(s), _) => format!("{} {} rolled back: {}", s.target, s.host, s.message),
        (None, Some(e)) => format!(
            "{}{}: {}",
            e.target,
            e.host
                .as_deref()
                .map(|h| format!(" {h}"))
                .unwrap_or_default(),
            e.message
        ),
        (None, None) => format!("live: {} change(s) applied", out.applied.len()),
    };
    Event::of_rollout(&out.commit, rolled.is_some(), failed, &summary)
}

impl Reporter {
    pub fn new(tx: UnboundedSender<Event>) -> Reporter {
        Reporter {
            tx: Some(tx),
            sent: Default::default(),
        }
    }

    fn send(&mut self, ev: Event) {
        if let Some(i) = self.sent.iter().position(|(c, _)| *c == ev.commit) {
            if self.sent[i].1 == ev.state {
                return;
            }
            self.sent.remove(i);
        }
        self.sent.push_back((ev.commit.clone(), ev.state));
        if self.sent.len() > REMEMBERED {
            self.sent.pop_front();
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(ev);
        }
    }

    pub fn starting(&mut self, commit: &str) {
        self.send(Event {
            commit: commit.to_string(),
            state: CommitState::Applying,
            description: "rollout started".into(),
        });
    }

    pub fn rejected(&mut self, commit: &str, reason: &str) {
        self.send(Event {
            commit: commit.to_string(),
            state: CommitState::Rejected,
            description: format!("not accepted: {reason}"),
        });
    }

    /// `corrective`: a drift sweep reports only a repair (`applied`), never a host
    /// failing later under a commit that already went live.
    pub fn finished(&mut self, out: &Outcome, corrective: bool) {
        let ev = event_of(out);
        if corrective && ev.state != CommitState::Applied {
            return;
        }
        self.send(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Step;

    #[test]
    fn each_state_is_sent_once_and_rollback_wins() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut r = Reporter::new(tx);
        r.starting("c1");
        let mut out = Outcome {
            commit: "c1".into(),
            ..Default::default()
        };
        out.steps.push(Step {
            target: "balancer".into(),
            host: "ha2".into(),
            files: vec![],
            status: StepStatus::RolledBack,
            message: "health check failed".into(),
            notes: vec![],
        });
        r.finished(&out, false);
        r.finished(&out, false);
        out.errors.push(crate::plan::TargetError {
            target: "gateway".into(),
            host: Some("gw".into()),
            message: "unreachable".into(),
            transient: true,
        });
        out.steps.clear();
        r.finished(&out, true);
        out.errors.clear();
        r.finished(&out, true);
        let got: Vec<CommitState> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|e| e.state)
            .collect();
        assert_eq!(
            got,
            [
                CommitState::Applying,
                CommitState::RolledBack,
                CommitState::Applied
            ]
        );
    }
}
