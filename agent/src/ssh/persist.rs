//! Persistent masters (`SshConfig::persist`): connections that outlive the agent
//! process and are reused by the next invocation, as OpenSSH's `ControlPersist` does.
//!
//! Trade-off (opt-in; the default keeps every master a child of the agent):
//! - a one-shot `agent diff`/`apply` skips the SSH handshake per host when a master
//!   from an earlier run still answers, which is most of its cost on a big fleet;
//! - but ssh processes stay running after the agent exits, for up to `persist` after
//!   their last use, and anyone who can open a socket in the control directory can run
//!   commands on the hosts as the agent's user. The directory is therefore created
//!   `0700` and refused when it is group/world-accessible or owned by someone else.
//!
//! Layout: one socket per host directly in `SshConfig::control_dir`, named
//! `<host>-<hash>`; the hash covers everything that defines the connection (address,
//! port, user, pinned key, identity, key exchange), so a changed host gets a new master
//! instead of reusing one that points elsewhere. `<socket>.log` holds the master's log.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use openssh::Session;
use tokio::process::Command;

use super::config::{HostSpec, SshConfig};
use super::error::SshError;

/// The stable control socket of `host` under the control directory.
pub(crate) fn socket_path(cfg: &SshConfig, host: &HostSpec) -> PathBuf {
    let name: String = host
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(32)
        .collect();
    let key = format!(
        "{}\0{}\0{}\0{:?}\0{:?}\0{:?}\0{}",
        host.address,
        host.port,
        host.user.as_deref().unwrap_or(&cfg.user),
        host.host_key,
        cfg.identity_file,
        cfg.kex_algorithms,
        cfg.strict_host_keys,
    );
    cfg.control_dir
        .join(format!("{name}-{:08x}", fnv1a(key.as_bytes()) as u32))
}

/// 64-bit FNV-1a: stable across Rust releases (unlike `DefaultHasher`), so the socket
/// name of a host does not change when the agent is rebuilt.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Creates the control directory (`0700`) or checks that an existing one is private.
pub(crate) fn prepare_dir(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o077 != 0 {
        return Err(format!(
            "control directory {} must be a directory owned by uid {me} with mode 0700 \
             (its sockets give shell access to the hosts)",
            dir.display()
        ));
    }
    Ok(())
}

/// A session on the master already listening at `socket`, if it answers within
/// `limit`. A socket that does not answer is stale (its master died): it is removed.
pub(crate) async fn resume(socket: &Path, limit: Duration) -> Option<Session> {
    if !socket.exists() {
        return None;
    }
    let log = log_path(socket);
    let session = Session::resume_mux(socket.into(), Some(log.into_boxed_path()));
    match tokio::time::timeout(limit, session.check()).await {
        Ok(Ok(())) => Some(session),
        _ => {
            let _ = std::fs::remove_file(socket);
            None
        }
    }
}

pub(crate) fn log_path(socket: &Path) -> PathBuf {
    let mut p = socket.as_os_str().to_owned();
    p.push(".log");
    PathBuf::from(p)
}

/// Starts a detached master (`ssh -f`, `ControlPersist=<persist>`) and waits until it
/// is authenticated and listening. `cmd` is the complete master command (with `-f`
/// and `ControlPersist`, see `master_command`).
pub(crate) async fn start(
    cfg: &SshConfig,
    host: &HostSpec,
    mut cmd: Command,
    socket: &Path,
    persist: Duration,
) -> Result<Session, SshError> {
    let log = log_path(socket);
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(socket);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(false);
    let local = |detail: String| SshError::Local {
        host: host.name.clone(),
        detail,
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| local(format!("cannot start ssh: {e}")))?;
    // With -f the foreground process exits once authentication succeeded and the
    // master has gone to the background; a failure exits non-zero with the cause logged.
    let limit = cfg.connect_timeout * 2;
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(local(format!("waiting for ssh: {e}"))),
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(SshError::Timeout {
                host: host.name.clone(),
                during: "connecting",
                after: limit,
            });
        }
    };
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(SshError::from_ssh_log(
            &host.name,
            &text,
            cfg.connect_timeout,
        ));
    }
    tracing::debug!(host = %host.name, persist_s = persist.as_secs(), "persistent ssh master started");
    // The socket exists once the background master listens; it normally does by now.
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    resume(socket, cfg.connect_timeout).await.ok_or_else(|| {
        local(format!(
            "persistent master started but its socket {} does not answer",
            socket.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_name_is_stable_short_and_changes_with_the_connection() {
        let cfg = SshConfig {
            control_dir: PathBuf::from("/tmp/cp"),
            ..SshConfig::default()
        };
        let mut h = HostSpec::new("ha1", "10.77.0.11");
        let a = socket_path(&cfg, &h);
        assert_eq!(a, socket_path(&cfg, &h));
        assert!(a.to_str().unwrap().starts_with("/tmp/cp/ha1-"));
        assert_eq!(a.file_name().unwrap().len(), "ha1-".len() + 8);
        h.port = 2222;
        assert_ne!(
            a,
            socket_path(&cfg, &h),
            "a changed port must not reuse the master"
        );
        let h2 = HostSpec::new("../x y", "10.77.0.11");
        let p = socket_path(&cfg, &h2);
        assert_eq!(p.parent().unwrap(), Path::new("/tmp/cp"));
        assert!(p
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("___x_y-"));
    }

    #[test]
    fn control_dir_is_created_private_and_a_shared_one_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("cp");
        prepare_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = prepare_dir(&dir).unwrap_err();
        assert!(e.contains("mode 0700"), "{e}");
    }

    #[tokio::test]
    async fn a_stale_socket_is_not_resumed_and_is_removed() {
        let base = tempfile::tempdir().unwrap();
        let sock = base.path().join("h1-00000000");
        // A socket file nobody listens on any more (its master died).
        drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
        assert!(sock.exists());
        assert!(resume(&sock, Duration::from_secs(2)).await.is_none());
        assert!(!sock.exists());
    }
}
