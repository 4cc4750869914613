//! The commit statuses of `agent run` in order, off the reconcile loop: one task
//! sends the events queued by `run::commit_status::Reporter`, one after the other.
//! At shutdown the queue is drained, so the status of the last rollout (often the one
//! a SIGTERM interrupted) still reaches GitHub, GitLab or the webhook, within a grace.

use super::event::Event;
use super::notifier::Notifier;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinHandle;

/// The sending task; [`Drain::finish`] waits for it once every sender is gone.
pub struct Drain {
    task: JoinHandle<()>,
}

/// Starts the task that sends every event put into the returned sender.
pub fn start(n: Notifier) -> (UnboundedSender<Event>, Drain) {
    let (tx, mut rx) = unbounded_channel::<Event>();
    let task = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            n.notify(&ev).await;
        }
    });
    (tx, Drain { task })
}

impl Drain {
    /// Waits until the events queued so far are sent (every sender must be dropped
    /// first), at most `grace`; whether they all were. What is left is logged and
    /// abandoned: shutdown is not held up by a receiver that does not answer.
    pub async fn finish(self, grace: Duration) -> bool {
        let mut task = self.task;
        match tokio::time::timeout(grace, &mut task).await {
            Ok(_) => true,
            Err(_) => {
                task.abort();
                tracing::warn!(
                    "commit statuses still queued after {grace:?} at shutdown were not sent"
                );
                false
            }
        }
    }
}
