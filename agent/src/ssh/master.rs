//! One ssh master process per host: the agent's own child, never a daemon.
//!
//! The master runs `ssh -M -N` in the foreground (no `-f`), so its PID is known and it
//! stays a child of the agent. Guarantees:
//! - `Master::close` sends SIGTERM and waits for the process (SIGKILL after 2 s);
//!   dropping a `Master` sends SIGKILL at once. Either way its private directory
//!   (control socket, log, pinned key file) is removed.
//! - The child is started with `PR_SET_PDEATHSIG(SIGKILL)`: if the agent dies (even by
//!   SIGKILL) the kernel kills the master. Linux ties this to the spawning *thread*,
//!   which is a tokio worker thread that lives as long as the runtime.
//! - Start-up is bounded: ssh's `ConnectTimeout` covers TCP and the banner; the whole
//!   start-up (authentication included) is cut at twice that, and the child is killed.
//!
//! Exception, only when `SshConfig::persist` is set: the master is detached
//! (`ssh -f`, `ControlPersist`), reused across agent runs and left running on close
//! (see `persist.rs` for the trade-off). None of the guarantees above apply to it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use openssh::Session;
use tokio::process::{Child, Command};

use super::config::{HostSpec, SshConfig};
use super::error::SshError;
use super::persist;

/// A running, authenticated master connection and its native-mux session handle.
pub(crate) struct Master {
    /// The host as it was when the connection was opened.
    pub(crate) spec: HostSpec,
    session: Session,
    child: std::sync::Mutex<Option<Child>>,
    pid: u32,
    /// Private directory of a non-persistent master (socket, log, pinned key file).
    _dir: Option<tempfile::TempDir>,
    /// Control socket of a persistent master (not ours to stop).
    persistent: Option<PathBuf>,
}

impl Master {
    /// Start a master for `host` and wait until its control socket accepts clients.
    pub(crate) async fn open(cfg: &SshConfig, host: &HostSpec) -> Result<Master, SshError> {
        if let Some(persist) = cfg.persist {
            return Self::open_persistent(cfg, host, persist).await;
        }
        let started = Instant::now();
        let local = |detail: String| SshError::Local {
            host: host.name.clone(),
            detail,
        };
        let dir = tempfile::Builder::new()
            .prefix("agent-ssh-")
            .tempdir_in(&cfg.control_dir)
            .map_err(|e| local(format!("control dir {}: {e}", cfg.control_dir.display())))?;
        let socket = dir.path().join("m");
        let log = dir.path().join("log");
        if socket.as_os_str().len() > 100 {
            return Err(local(format!(
                "control socket path too long (Unix sockets allow ~107 bytes): {}",
                socket.display()
            )));
        }
        let mut known = Vec::new();
        if let Some(k) = &cfg.known_hosts {
            known.push(k.clone());
        }
        if let Some(key) = &host.host_key {
            let pinned = dir.path().join("pinned");
            std::fs::write(
                &pinned,
                format!("{} {}\n", host.known_hosts_name(), key.trim()),
            )
            .map_err(|e| local(format!("writing pinned key file: {e}")))?;
            known.push(pinned);
        }
        let mut cmd = master_command(cfg, host, &socket, &log, &known, None);
        // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between
        // fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| local(format!("cannot start ssh: {e}")))?;
        let pid = child.id().unwrap_or(0);
        let limit = cfg.connect_timeout * 2;
        match wait_ready(&mut child, &socket, limit).await {
            Ready::Up => {}
            Ready::Exited => {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(SshError::from_ssh_log(
                    &host.name,
                    &text,
                    cfg.connect_timeout,
                ));
            }
            Ready::TimedOut => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(SshError::Timeout {
                    host: host.name.clone(),
                    during: "connecting",
                    after: limit,
                });
            }
        }
        tracing::debug!(host = %host.name, pid, elapsed_ms = started.elapsed().as_millis() as u64, "ssh master up");
        Ok(Master {
            spec: host.clone(),
            session: Session::resume_mux(socket.into_boxed_path(), Some(log.into_boxed_path())),
            child: std::sync::Mutex::new(Some(child)),
            pid,
            _dir: Some(dir),
            persistent: None,
        })
    }

    /// Reuse the persistent master of `host` when its socket answers, else start one.
    async fn open_persistent(
        cfg: &SshConfig,
        host: &HostSpec,
        persist: Duration,
    ) -> Result<Master, SshError> {
        let local = |detail: String| SshError::Local {
            host: host.name.clone(),
            detail,
        };
        persist::prepare_dir(&cfg.control_dir).map_err(local)?;
        let socket = persist::socket_path(cfg, host);
        if socket.as_os_str().len() > 100 {
            return Err(local(format!(
                "control socket path too long (Unix sockets allow ~107 bytes): {}",
                socket.display()
            )));
        }
        let session = match persist::resume(&socket, cfg.connect_timeout).await {
            Some(s) => {
                tracing::debug!(host = %host.name, "reusing persistent ssh master");
                s
            }
            None => {
                let mut known = Vec::new();
                if let Some(k) = &cfg.known_hosts {
                    known.push(k.clone());
                }
                if let Some(key) = &host.host_key {
                    let mut pinned = socket.as_os_str().to_owned();
                    pinned.push(".known");
                    let pinned = PathBuf::from(pinned);
                    std::fs::write(
                        &pinned,
                        format!("{} {}\n", host.known_hosts_name(), key.trim()),
                    )
                    .map_err(|e| local(format!("writing pinned key file: {e}")))?;
                    known.push(pinned);
                }
                let log = persist::log_path(&socket);
                let cmd = master_command(cfg, host, &socket, &log, &known, Some(persist));
                persist::start(cfg, host, cmd, &socket, persist).await?
            }
        };
        Ok(Master {
            spec: host.clone(),
            session,
            child: std::sync::Mutex::new(None),
            pid: 0,
            _dir: None,
            persistent: Some(socket),
        })
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// PID of the local `ssh` master process.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the master process is still running (it exits when the link dies).
    /// For a persistent master: whether its socket is still there (ssh removes it on exit).
    pub(crate) fn is_alive(&self) -> bool {
        if let Some(socket) = &self.persistent {
            return socket.exists();
        }
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        matches!(child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Terminate the master gracefully (SIGTERM, SIGKILL after 2 s) and reap it.
    /// A persistent master is left running (its `ControlPersist` ends it).
    pub(crate) async fn close(mut self) {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut child) = child {
            if let Some(pid) = child.id() {
                // SAFETY: plain kill(2) on our own child, which we have not reaped yet.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            }
            if tokio::time::timeout(Duration::from_secs(2), child.wait())
                .await
                .is_err()
            {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
            tracing::debug!(host = %self.spec.name, pid = self.pid, "ssh master closed");
        }
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut child) = child {
            // SIGKILL now; tokio reaps the zombie in the background.
            let _ = child.start_kill();
            let _ = child.try_wait();
        }
    }
}

enum Ready {
    Up,
    Exited,
    TimedOut,
}

/// The master is ready once ssh has created the control socket, which it does only
/// after authentication succeeded.
async fn wait_ready(child: &mut Child, socket: &Path, limit: Duration) -> Ready {
    let deadline = tokio::time::Instant::now() + limit;
    let mut poll = Duration::from_millis(1);
    loop {
        if socket.exists() {
            return Ready::Up;
        }
        tokio::select! {
            _ = child.wait() => {
                return if socket.exists() { Ready::Up } else { Ready::Exited };
            }
            _ = tokio::time::sleep(poll) => {}
            _ = tokio::time::sleep_until(deadline) => return Ready::TimedOut,
        }
        poll = (poll * 2).min(Duration::from_millis(10));
    }
}

fn master_command(
    cfg: &SshConfig,
    host: &HostSpec,
    socket: &Path,
    log: &Path,
    known: &[PathBuf],
    persist: Option<Duration>,
) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    // `-F none`: no ~/.ssh/config or /etc/ssh/ssh_config; everything is explicit.
    cmd.args(["-F", "none", "-M", "-N", "-T", "-S"])
        .arg(socket)
        .arg("-E")
        .arg(log);
    // Persistent: go to the background once authenticated, stay up `persist` after
    // the last client left.
    let control_persist = match persist {
        Some(d) => {
            cmd.arg("-f");
            format!("ControlPersist={}s", d.as_secs().max(1))
        }
        None => "ControlPersist=no".to_owned(),
    };
    let strict = if cfg.strict_host_keys {
        "yes"
    } else {
        "accept-new"
    };
    let known_files = if known.is_empty() {
        "/dev/null".to_owned()
    } else {
        known
            .iter()
            .map(|p| format!("\"{}\"", p.display()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut opts = vec![
        "ControlMaster=yes".to_owned(),
        control_persist,
        "BatchMode=yes".to_owned(),
        format!("StrictHostKeyChecking={strict}"),
        format!("UserKnownHostsFile={known_files}"),
        "GlobalKnownHostsFile=/dev/null".to_owned(),
        "UpdateHostKeys=no".to_owned(),
        format!("ConnectTimeout={}", cfg.connect_timeout.as_secs().max(1)),
        format!(
            "ServerAliveInterval={}",
            cfg.keepalive_interval.as_secs().max(1)
        ),
        "ServerAliveCountMax=3".to_owned(),
    ];
    if let Some(kex) = &cfg.kex_algorithms {
        opts.push(format!("KexAlgorithms={kex}"));
    }
    if let Some(key) = &cfg.identity_file {
        opts.push("IdentitiesOnly=yes".to_owned());
        cmd.arg("-i").arg(key);
    }
    for o in opts {
        cmd.arg("-o").arg(o);
    }
    let user = host.user.as_deref().unwrap_or(&cfg.user);
    cmd.arg("-p")
        .arg(host.port.to_string())
        .arg("-l")
        .arg(user)
        .arg("--")
        .arg(&host.address);
    cmd
}
