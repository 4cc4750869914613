//! Commit status after apply: `agent run` tells the outside world when a commit went
//! live, failed or was rolled back — a generic webhook (JSON body, HMAC-SHA256
//! signature header), GitHub's commit-status API and GitLab's (`notify:` in
//! agent.yaml, tokens read from files at each send so they can be rotated).
//!
//! `event` is the value (what happened to which commit), `request` turns it into the
//! exact HTTP request each service documents (pure), `send` is the one place that
//! opens a connection (HTTP or HTTPS with the system's roots), `notifier` sends one
//! event to every configured receiver, `queue` keeps them in order off the loop and
//! drains them at shutdown. A failed notification is logged, never retried,
//! and never delays or fails a cycle.

pub mod event;
pub mod notifier;
pub mod queue;
pub mod request;
pub mod send;
