//! `agent run`: the service. Thin glue: config → lock → listener → loop
//! ([`crate::run`]). Exits 0 after SIGTERM/SIGINT once the running host step has
//! finished: the engine starts no further step, the loop starts no further cycle.

use super::exit::Exit;
use crate::config::Config;
use crate::history::History;
use crate::run::gitwatch::GitWatch;
use crate::run::http::{self, App};
use crate::run::schedule::Schedule;
use crate::run::service::{Controls, Service, Shared};
use crate::run::ssh::SshReconciler;
use crate::run::status::Status;
use crate::run::{lock, watch as filewatch};
use crate::source::{FetchOptions, SourceSpec};
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

#[derive(Debug, clap::Args)]
pub struct Args {}

fn git_watch(c: &Config) -> anyhow::Result<GitWatch> {
    let repo = c
        .repo
        .as_ref()
        .context("`agent run` needs `repo:` in the agent config (url, branch, path)")?;
    let mut opts = FetchOptions::new(Some(c.state_dir.join("cache")));
    opts.timeout = repo.timeout;
    opts.identity_file = c.ssh.identity_file.clone();
    opts.known_hosts = c.ssh.known_hosts.clone();
    opts.user = Some(c.ssh.user.clone());
    Ok(GitWatch {
        spec: SourceSpec {
            location: repo.url.clone(),
            rev: Some(repo.branch.clone()),
            subdir: Some(repo.path.clone()),
        },
        opts,
        allow_force_push: c.allow_force_push,
        state_dir: c.state_dir.clone(),
        keys: crate::validate::SecretOptions::from_config(Some(c))?,
        trust: c.trust.clone(),
        shard: c.shard.clone(),
    })
}

fn secret(c: &Config) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(path) = &c.webhook_secret_file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read webhookSecretFile {}", path.display()))?;
    let s = text.trim();
    anyhow::ensure!(
        !s.is_empty(),
        "webhookSecretFile {} is empty",
        path.display()
    );
    Ok(Some(s.as_bytes().to_vec()))
}

pub fn run(config_path: Option<&Path>) -> anyhow::Result<Exit> {
    let path = config_path.context("`agent run` needs --config FILE (or AGENT_CONFIG)")?;
    let config = Config::load_checked(path, &crate::targets::registry::names())?;
    let gw = git_watch(&config)?;
    let secret = secret(&config)?;
    // Before anything listens: a non-loopback listen without credentials is refused.
    let auth = crate::web::auth::load(&config, &path.display().to_string())?;
    let _lock = lock::acquire(&config.state_dir)?;
    crate::mask::key::init_for(Some(&config));
    // One thread is plenty: the work is waiting on SSH and Git (Git runs on the blocking pool).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(path, config, gw, secret, auth))?;
    Ok(Exit::Ok)
}

async fn serve(
    path: &Path,
    config: Config,
    gw: GitWatch,
    secret: Option<Vec<u8>>,
    auth: Option<crate::web::auth::Credentials>,
) -> anyhow::Result<()> {
    let repo = config
        .repo
        .as_ref()
        .map(|r| format!("{} {}", r.url, r.branch))
        .unwrap_or_default();
    let local_repo = gw.spec.location.clone();
    let mut status = Status::load(&config.state_dir).unwrap_or_default();
    (status.repo, status.next_run) = (repo, None);
    status.shard = config.shard.clone();
    // Opened after the lock: only this process marks cut-off cycles `interrupted`.
    let history = match config.history.enabled {
        true => Some(std::sync::Mutex::new(History::open(
            &config.state_dir,
            config.history.retention(),
        )?)),
        false => None,
    };
    let elector = match &config.leader_election {
        Some(le) => Some(elector(&config, le).await?),
        None => None,
    };
    let shared = Arc::new(Shared {
        status: std::sync::Mutex::new(status),
        metrics: Default::default(),
        state_dir: Some(config.state_dir.clone()),
        history,
        view: Default::default(),
        webhook: Default::default(),
        lease: elector.clone(),
    });
    let (diff_tx, diff_rx) = tokio::sync::mpsc::channel(4);
    let trigger = Arc::new(Notify::new());
    let (stop, shutdown) = watch::channel(false);
    let (config_tx, config_rx) = watch::channel(config.clone());
    let (schedule_tx, schedule_rx) = watch::channel(Schedule::of(&config));

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (`listen:` in the agent config)",
                config.listen
            )
        })?;
    tracing::info!(listen = %config.listen, auth = auth.is_some(), "serving the page /, /api/status, /api/history, /api/diff, /status, /healthz, /metrics{}", if secret.is_some() { ", /hooks/git" } else { "" });
    let app = Arc::new(App {
        shared: shared.clone(),
        trigger: trigger.clone(),
        secret,
        auth,
        diffs: Some(diff_tx),
    });
    let server = tokio::spawn(http::serve(listener, app, shutdown.clone()));
    let watcher = filewatch::spawn(
        path,
        &local_repo,
        config_tx,
        schedule_tx,
        trigger.clone(),
        shutdown.clone(),
    );

    let mut reconciler = SshReconciler::new(gw, config_rx);
    let stop_steps = reconciler.stop.clone();
    let (lease_done, lease_task) = match &elector {
        Some(e) => {
            reconciler.fence = Some(Arc::new(e.clone()));
            // Known before the first cycle, so a leader's first cycle applies.
            e.round().await;
            let (done, rx) = watch::channel(false);
            let t = trigger.clone();
            let task = tokio::spawn(e.clone().run(move || t.notify_one(), rx));
            (Some(done), Some(task))
        }
        None => (None, None),
    };
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::error!("cannot install signal handlers");
            return;
        };
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::info!("stop requested: finishing the running host step, then exiting");
        stop_steps.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = stop.send(true);
    });

    let ctl = Controls {
        trigger,
        shutdown,
        schedule: schedule_rx,
    };
    let seed = u64::from(std::process::id()) ^ crate::run::status::unix_now();
    match &config.shard {
        Some(shard) => {
            tracing::info!(shard = %shard, "agent run: started; managing only the hosts of shard {shard}")
        }
        None => tracing::info!("agent run: started"),
    }
    let mut service = Service::new(reconciler, shared.clone(), seed);
    service.diffs = Some(diff_rx);
    // One task sends the commit statuses in order; the loop never waits for it.
    let notify_grace = 2 * config.notify.timeout.unwrap_or(Duration::from_secs(10));
    let notifications = crate::notify::notifier::Notifier::new(
        config.notify.clone().for_shard(config.shard.as_deref()),
    )
    .map(|n| {
        let (tx, drain) = crate::notify::queue::start(n);
        service.commit_status = crate::run::commit_status::Reporter::new(tx);
        drain
    });
    // `run` consumes the service and with it the queue's sender: the drain can end.
    let mut reconciler = service.run(ctl).await;
    if let Some(drain) = notifications {
        drain.finish(notify_grace).await;
    }
    // Only now, with no step running, is the Lease given up (a follower takes over at once).
    if let (Some(done), Some(task), Some(e)) = (lease_done, lease_task, &elector) {
        let _ = done.send(true);
        let _ = task.await;
        e.release().await;
    }
    reconciler.close().await;
    let _ = server.await;
    drop(watcher);
    shared.status.lock().expect("status lock").next_run = None;
    if let Some(dir) = &shared.state_dir {
        let _ = shared.status().save(dir);
    }
    tracing::info!("agent run: stopped");
    Ok(())
}

/// The election for `leaderElection:`: a client for the cluster the Lease lives in.
async fn elector(
    config: &Config,
    le: &crate::config::LeaderElectionConfig,
) -> anyhow::Result<crate::lease::Elector> {
    let client = crate::kubeapi::connect(config.kubeconfig.as_deref())
        .await
        .context("leaderElection: no client for the cluster holding the Lease")?;
    // One Lease per shard: the agents of two shards never wait for each other.
    let params = crate::lease::Params {
        name: le.lease_name(config.shard.as_deref()),
        namespace: le.namespace.clone(),
        identity: le
            .identity
            .clone()
            .unwrap_or_else(|| crate::lease::default_identity(&config.state_dir)),
        duration: le.duration,
        renew: le.renew,
    };
    let shard = config.shard.as_deref().unwrap_or("-");
    tracing::info!(lease = %format!("{}/{}", params.namespace, params.name), identity = %params.identity, shard, "leader election: only the holder of the lease applies");
    Ok(crate::lease::Elector::new(client, params))
}
