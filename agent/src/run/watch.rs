//! File watching for the service (crate `notify`, inotify on Linux):
//!
//! - the agent config file: on change, load it again; a valid file replaces the running
//!   config (schedule, policies, SSH and kubeconfig take effect at the next cycle; `repo`,
//!   `stateDir`, `listen`, `allowForcePush` and the webhook secret need a restart, and a
//!   warning says so); an invalid one is logged as an ERROR and the old config stays;
//! - the repository, when it is a local directory: any change triggers a cycle.
//!
//! Events are debounced: after the first one, more arriving within [`DEBOUNCE`] are
//! folded into it (an editor's save or a `git commit` touches many files).

use super::schedule::Schedule;
use crate::config::Config;
use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};

pub const DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Config,
    Repo,
}

/// Starts watching; the returned watcher must be kept alive. `None` (with a warning) when
/// the platform's watcher cannot be started: the service then runs without reloads.
pub fn spawn(
    config_path: &Path,
    repo_location: &str,
    config_tx: watch::Sender<Config>,
    schedule_tx: watch::Sender<Schedule>,
    trigger: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) -> Option<notify::RecommendedWatcher> {
    let config_path =
        std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let repo_dir = local_dir(repo_location);
    let (tx, mut rx) = mpsc::unbounded_channel::<What>();
    let (cfg, repo) = (config_path.clone(), repo_dir.clone());
    let handler = move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        if ev.kind.is_access() {
            return;
        }
        for p in &ev.paths {
            if *p == cfg {
                let _ = tx.send(What::Config);
            } else if repo.as_ref().is_some_and(|r| p.starts_with(r)) {
                let _ = tx.send(What::Repo);
            }
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("file watching unavailable, config reload disabled: {e}");
            return None;
        }
    };
    // The directory, not the file: editors and config management replace files by rename.
    let dir = config_path.parent().unwrap_or(Path::new("/"));
    if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
        tracing::warn!(dir = %dir.display(), "cannot watch the config directory: {e}");
    }
    if let Some(r) = &repo_dir {
        if let Err(e) = watcher.watch(r, RecursiveMode::Recursive) {
            tracing::warn!(repo = %r.display(), "cannot watch the local repository: {e}");
        }
    }
    tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                w = rx.recv() => match w { Some(w) => w, None => return },
                _ = shutdown.changed() => return,
            };
            let (mut config, mut repo) = (first == What::Config, first == What::Repo);
            tokio::time::sleep(DEBOUNCE).await;
            while let Ok(w) = rx.try_recv() {
                config |= w == What::Config;
                repo |= w == What::Repo;
            }
            if config {
                reload(&config_path, &config_tx, &schedule_tx);
            }
            if repo {
                tracing::info!("local repository changed: starting a cycle");
                trigger.notify_one();
            }
        }
    });
    Some(watcher)
}

/// The directory of a local repository location (`/path` or `file:///path`), if it exists.
fn local_dir(location: &str) -> Option<PathBuf> {
    let path = match location.split_once("://") {
        Some(("file", rest)) => PathBuf::from(rest),
        Some(_) => return None,
        None => PathBuf::from(location),
    };
    let path = std::path::absolute(path).ok()?;
    path.is_dir().then_some(path)
}

fn reload(path: &Path, config_tx: &watch::Sender<Config>, schedule_tx: &watch::Sender<Schedule>) {
    let new = match Config::load_checked(path, &crate::targets::registry::names()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("agent config changed but is not valid, keeping the running one: {e}");
            return;
        }
    };
    let old = config_tx.borrow().clone();
    if new == old {
        return;
    }
    let restart = [
        (new.repo != old.repo, "repo"),
        (new.state_dir != old.state_dir, "stateDir"),
        (new.listen != old.listen, "listen"),
        (
            new.allow_force_push != old.allow_force_push,
            "allowForcePush",
        ),
        (
            new.webhook_secret_file != old.webhook_secret_file,
            "webhookSecretFile",
        ),
    ];
    for (_, key) in restart.iter().filter(|(changed, _)| *changed) {
        tracing::warn!("agent config: `{key}` changed; it takes effect after a restart");
    }
    tracing::info!(path = %path.display(), "agent config reloaded");
    let _ = schedule_tx.send(super::schedule::Schedule::of(&new));
    let _ = config_tx.send(new);
}
