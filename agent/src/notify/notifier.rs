//! Sends one [`Event`] to every receiver of `notify:`, concurrently. Keys and tokens
//! are read from their files at each send (a rotated token is picked up, and no
//! secret stays in memory between cycles); a failure is logged with the receiver and
//! the answer's status, never with the token.

use super::event::Event;
use super::request::{github, gitlab, webhook, HttpRequest};
use super::send::send;
use crate::config::NotifyConfig;
use std::path::Path;
use std::time::Duration;

/// What one receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `webhook`, `github`, `gitlab`.
    pub receiver: &'static str,
    /// The HTTP status, or why there is none.
    pub result: Result<u16, String>,
}

/// The configured receivers.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    pub config: NotifyConfig,
}

/// The first line of a key or token file.
fn secret_line(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let line = text.lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        return Err(format!("{}: empty", path.display()));
    }
    Ok(line)
}

impl Notifier {
    pub fn new(config: NotifyConfig) -> Option<Notifier> {
        (!config.is_empty()).then_some(Notifier { config })
    }

    fn requests(&self, ev: &Event) -> Vec<(&'static str, Result<HttpRequest, String>)> {
        let c = &self.config;
        let mut out = Vec::new();
        if let Some(w) = &c.webhook {
            let r = secret_line(&w.secret_file).map(|k| webhook(&w.url, k.as_bytes(), ev));
            out.push(("webhook", r));
        }
        if let Some(g) = &c.github {
            out.push((
                "github",
                secret_line(&g.token_file).map(|t| github(g, &t, ev)),
            ));
        }
        if let Some(g) = &c.gitlab {
            out.push((
                "gitlab",
                secret_line(&g.token_file).map(|t| gitlab(g, &t, ev)),
            ));
        }
        out
    }

    /// Sends `ev` to every receiver; what each answered (2xx is success).
    pub async fn notify(&self, ev: &Event) -> Vec<Delivery> {
        let timeout = self.config.timeout.unwrap_or(Duration::from_secs(10));
        let jobs = self.requests(ev).into_iter().map(|(receiver, req)| async move {
            let result = match req {
                Ok(req) => send(&req, timeout).await.map(|(code, _)| code),
                Err(e) => Err(e),
            };
            match &result {
                Ok(code) if (200..300).contains(code) => {
                    tracing::info!(receiver, commit = %ev.commit, state = ev.state.as_str(), "commit status sent")
                }
                Ok(code) => {
                    tracing::warn!(receiver, commit = %ev.commit, code, "commit status refused")
                }
                Err(e) => {
                    tracing::warn!(receiver, commit = %ev.commit, "commit status not sent: {e}")
                }
            }
            Delivery { receiver, result }
        });
        futures::future::join_all(jobs).await
    }
}
