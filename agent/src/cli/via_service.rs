//! `agent diff` through the running service (`GET /api/diff` on the config's `listen`):
//! the same change set, computed with the service's warm SSH connections instead of one
//! handshake per host, printed by the same functions as a direct diff (so the text, the
//! JSON and the exit code are the same).
//!
//! `--via-service` always asks the service (and fails when it does not answer). Without
//! it, `agent diff` asks on its own only when that is sure to mean the same diff: no
//! PATH, `--repo`, `--rev`, `--path` or `--kubeconfig` on the command line (so the
//! config's `repo:` is what would be read), the service answers at once, it follows the
//! same repo and branch, and it enforces the very commit this command just resolved
//! (`?commit=`; 409 otherwise). In every other case the diff runs directly.

use super::target_args::Args;
use crate::config::Config;
use crate::plan::ChangeSet;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub common: Args,
    /// Ask the running service (`agent run`, the config's `listen`) for the diff: its
    /// SSH connections are already open. Reads the commit it enforces.
    #[arg(long, conflicts_with_all = ["dir", "repo", "rev", "no_service", "base"])]
    pub via_service: bool,
    /// Never ask the service, even when it answers for the same repo and commit.
    #[arg(long)]
    pub no_service: bool,
    /// PR preview: compare `--rev` (the PR's head) with this revision (the base
    /// branch) and with the live platform; connect as the base says. With
    /// `--output markdown`, a PR comment.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ViaError {
    #[error("the service does not answer on {addr} (`listen:` in the agent config): {message}")]
    Down { addr: SocketAddr, message: String },
    #[error("the service answered {code}: {message}")]
    Refused { code: u16, message: String },
    /// It enforces another commit (automatic mode falls back).
    #[error("the service enforces commit {enforced}")]
    OtherCommit { enforced: String },
    #[error("the service follows {theirs}, not {ours}")]
    OtherRepo { theirs: String, ours: String },
}

/// Where a client reaches the service: a wildcard listen address on loopback.
pub fn service_addr(listen: SocketAddr) -> SocketAddr {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    addr
}

/// Whether the automatic mode may ask the service at all (the source is the config's).
pub fn may_ask(a: &DiffArgs, config: Option<&Config>) -> bool {
    let s = &a.common.source;
    !a.no_service
        && a.base.is_none()
        && config.is_some_and(|c| c.repo.is_some())
        && s.dir.is_none()
        && s.repo.is_none()
        && s.rev.is_none()
        && s.subdir.is_none()
        && a.common.kubeconfig.is_none()
}

fn repo_of(config: &Config) -> String {
    config
        .repo
        .as_ref()
        .map(|r| format!("{} {}", r.url, r.branch))
        .unwrap_or_default()
}

/// Asks `/api/diff`. `commit`: only if the service enforces it. `wait`: how long to wait
/// for an answer (the service finishes a running cycle first).
pub async fn ask(
    config: &Config,
    targets: &[&str],
    preview: bool,
    commit: Option<&str>,
    connect: Duration,
    wait: Duration,
) -> Result<ChangeSet, ViaError> {
    let addr = service_addr(config.listen);
    let down = |message: String| ViaError::Down { addr, message };
    // A quick connect first: a service that is not there costs the automatic mode nothing.
    tokio::time::timeout(connect, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| down("no answer".into()))?
        .map_err(|e| down(e.to_string()))?;
    let mut q: Vec<String> = targets.iter().map(|t| format!("target={t}")).collect();
    if preview {
        q.push("preview=1".into());
    }
    if let Some(c) = commit {
        q.push(format!("commit={c}"));
    }
    let path = format!("/api/diff?{}", q.join("&"));
    let auth = crate::web::auth::client_header(config);
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let (code, body) = tokio::time::timeout(
        wait,
        crate::run::http::request(addr, "GET", &path, &headers, b""),
    )
    .await
    .map_err(|_| down(format!("no diff within {} s", wait.as_secs())))?
    .map_err(|e| down(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let message = v["error"].as_str().unwrap_or(body.trim()).to_string();
    match code {
        200 => {}
        409 => {
            return Err(ViaError::OtherCommit {
                enforced: v["commit"].as_str().unwrap_or("?").to_string(),
            })
        }
        _ => return Err(ViaError::Refused { code, message }),
    }
    let theirs = v["repo"].as_str().unwrap_or_default().to_string();
    let ours = repo_of(config);
    if theirs != ours {
        return Err(ViaError::OtherRepo { theirs, ours });
    }
    serde_json::from_value(v["changeSet"].clone()).map_err(|e| ViaError::Refused {
        code,
        message: format!("not a change set: {e}"),
    })
}
