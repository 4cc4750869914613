//! `Pool`: one multiplexed master connection per host, opened lazily, shared by every
//! command of a cycle, capped at `max_sessions_per_host` concurrent sessions per host.
//!
//! Lifetime guarantees (no ssh process outlives the pool):
//! - masters are children of the agent (see `master.rs`), killed when the last
//!   reference goes: `Pool` dropped (all clones) and no operation in flight;
//! - [`Pool::close`] terminates every master gracefully and waits for it;
//! - a background task closes masters idle for `idle_timeout`, and forgets masters
//!   whose process died (the link broke), so the next command reconnects;
//! - the kernel kills masters if the agent process dies (`PR_SET_PDEATHSIG`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::config::{HostSpec, SshConfig};
use super::error::SshError;
use super::master::Master;
use super::script;
use super::session::{ensure_success, error_chain, short, spawn_wait, Output};

/// Connections to every host the agent manages. Cheap to clone (shared state).
/// Hosts are identified by `HostSpec::name`; a host whose spec changed is reconnected.
/// Create it inside a tokio runtime (the idle reaper is a tokio task).
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: SshConfig,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

struct Slot {
    sessions: Semaphore,
    master: tokio::sync::Mutex<Option<Arc<Master>>>,
    last_used: Mutex<Instant>,
    /// The last failed connection attempt: callers that were already waiting for it
    /// get its error instead of each trying again (N queued commands to a dead host
    /// must not cost N connect timeouts).
    failure: Mutex<Option<(Instant, SshError)>>,
}

impl Pool {
    /// A pool with no connection open yet. When called inside a tokio runtime, starts
    /// the idle reaper (it stops by itself when the pool is dropped).
    pub fn new(cfg: SshConfig) -> Pool {
        let inner = Arc::new(Inner {
            cfg,
            slots: Mutex::new(HashMap::new()),
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(reap_idle(Arc::downgrade(&inner)));
        }
        Pool { inner }
    }

    pub fn config(&self) -> &SshConfig {
        &self.inner.cfg
    }

    /// Open (or reuse) the master connection to `host`.
    pub async fn connect(&self, host: &HostSpec) -> Result<(), SshError> {
        let slot = self.slot(host);
        self.master(&slot, host, Instant::now()).await.map(drop)
    }

    /// Open connections to many hosts concurrently; one result per host, in order.
    pub async fn connect_all(&self, hosts: &[HostSpec]) -> Vec<(String, Result<(), SshError>)> {
        let mut set = tokio::task::JoinSet::new();
        for (i, h) in hosts.iter().enumerate() {
            let (pool, h) = (self.clone(), h.clone());
            set.spawn(async move { (i, pool.connect(&h).await) });
        }
        let mut res: Vec<Option<Result<(), SshError>>> = (0..hosts.len()).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, r)) = joined {
                res[i] = Some(r);
            }
        }
        hosts
            .iter()
            .zip(res)
            .map(|(h, r)| {
                let r = r.unwrap_or_else(|| {
                    Err(SshError::Local {
                        host: h.name.clone(),
                        detail: "connect task panicked".to_owned(),
                    })
                });
                (h.name.clone(), r)
            })
            .collect()
    }

    /// Run `cmd` in the login shell of the host (through `sudo -n` when `host.sudo`).
    /// Any exit status is an `Ok`; see [`Pool::check`] for "must succeed".
    pub async fn run(&self, host: &HostSpec, cmd: &str) -> Result<Output, SshError> {
        self.exec(host, &script::wrap(cmd, host.sudo), None, None)
            .await
    }

    /// [`Pool::run`] with `input` written to the command's stdin.
    pub async fn run_input(
        &self,
        host: &HostSpec,
        cmd: &str,
        input: &[u8],
    ) -> Result<Output, SshError> {
        self.exec(host, &script::wrap(cmd, host.sudo), Some(input), None)
            .await
    }

    /// [`Pool::run`], but a non-zero exit status is `SshError::CommandFailed`.
    pub async fn check(&self, host: &HostSpec, cmd: &str) -> Result<Output, SshError> {
        let out = self.run(host, cmd).await?;
        ensure_success(host, cmd, out)
    }

    /// The general form: `line` is sent as is (already wrapped for sudo), with optional
    /// stdin and a timeout overriding `command_timeout`. On timeout the session is
    /// closed; a remote process that ignores its closed stdin/stdout may keep running
    /// (wrap long remote work in `timeout(1)` if that matters).
    pub async fn exec(
        &self,
        host: &HostSpec,
        line: &str,
        input: Option<&[u8]>,
        timeout: Option<Duration>,
    ) -> Result<Output, SshError> {
        let asked = Instant::now();
        let slot = self.slot(host);
        let _permit = acquire(&slot).await;
        let master = self.master(&slot, host, asked).await?;
        let limit = timeout.unwrap_or(self.inner.cfg.command_timeout);
        let started = Instant::now();
        let res = tokio::time::timeout(limit, spawn_wait(&master, line, input)).await;
        *slot.last_used.lock().unwrap() = Instant::now();
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let cmd = short(line);
        match res {
            Err(_) => {
                tracing::debug!(host = %host.name, %cmd, elapsed_ms, "ssh command timed out");
                Err(SshError::Timeout {
                    host: host.name.clone(),
                    during: "running a command",
                    after: limit,
                })
            }
            Ok(Err(e)) => {
                let mut detail = error_chain(&e);
                tracing::debug!(host = %host.name, %cmd, elapsed_ms, error = %detail, "ssh command failed");
                // A dead master is forgotten so that the next command reconnects.
                let mut guard = slot.master.lock().await;
                if guard.as_ref().is_some_and(|m| !m.is_alive()) {
                    *guard = None;
                    detail.push_str(" (the master connection is down)");
                } else {
                    detail.push_str(" (the master connection is still up)");
                }
                Err(SshError::Disconnected {
                    host: host.name.clone(),
                    detail,
                })
            }
            Ok(Ok(out)) => {
                tracing::debug!(host = %host.name, %cmd, status = ?out.status, elapsed_ms, "ssh command");
                Ok(out)
            }
        }
    }

    /// PIDs of the local ssh master processes currently open (for status and tests).
    pub async fn master_pids(&self) -> Vec<(String, u32)> {
        let slots: Vec<_> = self.slots_snapshot();
        let mut out = Vec::new();
        for (name, slot) in slots {
            if let Some(m) = slot.master.lock().await.as_ref() {
                out.push((name, m.pid()));
            }
        }
        out.sort();
        out
    }

    /// Terminate every master gracefully and wait for the processes to exit. Operations
    /// still in flight keep their master until they finish, then it is killed.
    pub async fn close(&self) {
        for (_, slot) in self.slots_snapshot() {
            let taken = slot.master.lock().await.take();
            if let Some(m) = taken {
                if let Ok(m) = Arc::try_unwrap(m) {
                    m.close().await;
                }
            }
        }
    }

    fn slots_snapshot(&self) -> Vec<(String, Arc<Slot>)> {
        let slots = self.inner.slots.lock().unwrap();
        slots.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn slot(&self, host: &HostSpec) -> Arc<Slot> {
        let mut slots = self.inner.slots.lock().unwrap();
        slots
            .entry(host.name.clone())
            .or_insert_with(|| {
                Arc::new(Slot {
                    sessions: Semaphore::new(self.inner.cfg.max_sessions_per_host.max(1)),
                    master: tokio::sync::Mutex::new(None),
                    last_used: Mutex::new(Instant::now()),
                    failure: Mutex::new(None),
                })
            })
            .clone()
    }

    /// The live master of `slot`, opening it if needed. Concurrent callers wait for
    /// one connection attempt instead of racing several. A host whose spec changed
    /// (address, port, user, key) gets a new connection.
    /// `asked`: when the caller started waiting; a failure recorded since then is
    /// returned as is.
    async fn master(
        &self,
        slot: &Slot,
        host: &HostSpec,
        asked: Instant,
    ) -> Result<Arc<Master>, SshError> {
        let mut guard = slot.master.lock().await;
        if let Some(m) = guard.as_ref() {
            if m.is_alive() && m.spec == *host {
                return Ok(m.clone());
            }
            tracing::debug!(host = %host.name, "ssh master gone or host changed; reconnecting");
        }
        if let Some((at, e)) = slot.failure.lock().unwrap().as_ref() {
            if *at >= asked {
                return Err(e.clone());
            }
        }
        *guard = None;
        match Master::open(&self.inner.cfg, host).await {
            Ok(m) => {
                let m = Arc::new(m);
                *guard = Some(m.clone());
                *slot.last_used.lock().unwrap() = Instant::now();
                *slot.failure.lock().unwrap() = None;
                Ok(m)
            }
            Err(e) => {
                tracing::debug!(host = %host.name, error = %e, "ssh connect failed");
                *slot.failure.lock().unwrap() = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }
}

async fn acquire(slot: &Slot) -> SemaphorePermit<'_> {
    slot.sessions
        .acquire()
        .await
        .expect("the semaphore is never closed")
}

/// Close idle masters and forget dead ones, until the pool is dropped.
async fn reap_idle(inner: Weak<Inner>) {
    let period = match inner.upgrade() {
        Some(i) => {
            (i.cfg.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(30))
        }
        None => return,
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let slots: Vec<_> = inner.slots.lock().unwrap().values().cloned().collect();
        let (idle, max) = (
            inner.cfg.idle_timeout,
            inner.cfg.max_sessions_per_host.max(1),
        );
        drop(inner);
        for slot in slots {
            let Ok(mut guard) = slot.master.try_lock() else {
                continue;
            };
            let idle_for = slot.last_used.lock().unwrap().elapsed();
            let busy = slot.sessions.available_permits() < max;
            let dead = guard.as_ref().is_some_and(|m| !m.is_alive());
            if dead || (!busy && idle_for >= idle) {
                if let Some(m) = guard.take() {
                    drop(guard);
                    if let Ok(m) = Arc::try_unwrap(m) {
                        m.close().await;
                    }
                }
            }
        }
    }
}
